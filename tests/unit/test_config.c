// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the configuration parser (user/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "siem_format.h"
#include "siem_transport.h"

#define ALL_DEFAULT_ZONES	((1u << EA_ZONE_EU) | (1u << EA_ZONE_EEA) | \
				 (1u << EA_ZONE_ADEQUACY) | \
				 (1u << EA_ZONE_INTERNAL) | (1u << EA_ZONE_OWN))
/* The longest line inih's buffer takes, without its line end. */
#define LINE_MAX_CHARS		(INI_MAX_LINE - 3)

static uint16_t cc(const char *s)
{
	return ea_cc_pack(s);
}

/* Parse text as "t.ini"; err is cleared first. */
static int parse(const char *text, struct ea_config *cfg, struct ea_err *err)
{
	memset(err, 0, sizeof(*err));
	return ea_config_parse_string("t.ini", text, cfg, err);
}

/* Parse text that must be accepted. */
static void parse_ok(const char *text, struct ea_config *cfg)
{
	struct ea_err err;
	int rc = parse(text, cfg, &err);

	if (rc)
		fail_msg("rc %d: %s", rc, err.msg);
}

/* Text must fail with -EINVAL, at line, with a message containing what. */
static void expect_error_at(const char *text, unsigned int line,
			    const char *what, int caller)
{
	struct ea_config cfg;
	struct ea_err err;
	char prefix[32];
	int rc = parse(text, &cfg, &err);

	snprintf(prefix, sizeof(prefix), "t.ini:%u: ", line);
	if (rc != -EINVAL || strncmp(err.msg, prefix, strlen(prefix)) ||
	    !strstr(err.msg, what))
		fail_msg("line %d: rc %d, message '%s', want '%s...%s'", caller, rc,
			 err.msg, prefix, what);
	/* a failed parse leaves the defaults with nothing to free */
	assert_null(cfg.path);
	assert_int_equal(cfg.nlabels, 0);
	assert_int_equal(cfg.policy.allow.zones, ALL_DEFAULT_ZONES);
	ea_config_free(&cfg);
}

#define expect_error(text, line, what) \
	expect_error_at(text, line, what, __LINE__)

static void expect_message(const char *text, const char *msg)
{
	struct ea_config cfg;
	struct ea_err err;

	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	ea_config_free(&cfg);
}

/* Write len bytes to a new temporary file; returns its malloc'd path. */
static char *temp_file(const char *data, size_t len)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	struct ea_config cfg;
	struct ea_err err = { "" };

	(void)state;
	ea_config_defaults(&cfg);
	assert_null(cfg.path);
	assert_null(cfg.agent.cgroup);
	assert_int_equal(cfg.agent.interfaces.n, 0);
	assert_false(cfg.agent.record_all);
	assert_false(cfg.agent.tcp_per_packet);
	assert_false(cfg.agent.ignore_32bit_calls);
	assert_int_equal(cfg.agent.mode, EA_MODE_AUDIT);
	assert_int_equal(cfg.agent.update_interval_s, 60);
	assert_int_equal(cfg.agent.ringbuf_kib, 4096);
	assert_int_equal(cfg.agent.flood_events, 1000);
	assert_int_equal(cfg.agent.tcp_slots, EA_TCP_SLOTS);
	assert_int_equal(cfg.agent.slot_sweep_s, 10);
	assert_null(cfg.agent.hostname);
	assert_int_equal(cfg.geoip_files.n, 0);
	assert_int_equal(cfg.policy.allow.zones, ALL_DEFAULT_ZONES);
	assert_int_equal(cfg.policy.allow.nccs, 0);
	assert_int_equal(cfg.policy.ndeny, 0);
	assert_int_equal(cfg.policy.own_cidr.n, 0);
	assert_int_equal(cfg.policy.allow_cidr.n, 0);
	assert_int_equal(cfg.policy.deny_cidr.n, 0);
	assert_false(cfg.policy.unknown_allow);
	assert_int_equal(cfg.nlabels, 0);
	ea_config_free(&cfg);

	assert_int_equal(ea_config_load(NULL, &cfg, &err), 0);
	assert_null(cfg.path);
	assert_int_equal(cfg.agent.ringbuf_kib, 4096);
	ea_config_free(&cfg);

	/* an empty file, or one of comments only, is the defaults */
	parse_ok("", &cfg);
	assert_string_equal(cfg.path, "t.ini");
	assert_int_equal(cfg.policy.allow.zones, ALL_DEFAULT_ZONES);
	ea_config_free(&cfg);
	parse_ok("; nothing\n# here\n\n[policy]\n", &cfg);
	assert_int_equal(cfg.policy.allow.zones, ALL_DEFAULT_ZONES);
	ea_config_free(&cfg);
}

static const char full_config[] =
	"; egress-audit test configuration\n"
	"[agent]\n"
	"cgroup = /sys/fs/cgroup/apps\n"
	"interfaces = eth0 ens3\n"
	"record = all\n"
	"tcp_count = packet\n"
	"watch_32bit_calls = no\n"
	"mode = enforce\n"
	"update_interval = 30\n"
	"ringbuf_size = 8192\n"
	"flood_limit = 250\n"
	"hostname = db-01.example.org\n"
	"[geoip]\n"
	"file = /var/lib/egress-audit/a.csv\n"
	"file = /var/lib/egress-audit/b.mmdb\n"
	"[policy]\n"
	"allow = eu eea internal own CH\n"
	"deny = ru CN\n"
	"own_cidr = 192.0.2.0/24 2001:db8::/32\n"
	"allow_cidr = 198.51.100.7\n"
	"deny_cidr = 203.0.113.0/25\n"
	"unknown = allow\n"
	"[label pii]\n"
	"cgroup = /sys/fs/cgroup/crm\n"
	"path = /srv/customers\n"
	"allow = eu\n"
	"mode = enforce\n"
	"[label logs.v2_x-y]\n"
	"path = /var/log/app\n";

static void test_every_key(void **state)
{
	struct ea_config cfg;
	struct ea_label_cfg *l;
	char buf[EA_CIDR_STRLEN];

	(void)state;
	parse_ok(full_config, &cfg);
	assert_string_equal(cfg.agent.cgroup, "/sys/fs/cgroup/apps");
	assert_int_equal(cfg.agent.interfaces.n, 2);
	assert_string_equal(cfg.agent.interfaces.v[0], "eth0");
	assert_string_equal(cfg.agent.interfaces.v[1], "ens3");
	assert_true(cfg.agent.record_all);
	assert_true(cfg.agent.tcp_per_packet);
	assert_true(cfg.agent.ignore_32bit_calls);
	assert_int_equal(cfg.agent.mode, EA_MODE_ENFORCE);
	assert_int_equal(cfg.agent.update_interval_s, 30);
	assert_int_equal(cfg.agent.ringbuf_kib, 8192);
	assert_int_equal(cfg.agent.flood_events, 250);
	assert_string_equal(cfg.agent.hostname, "db-01.example.org");

	assert_int_equal(cfg.geoip_files.n, 2);
	assert_string_equal(cfg.geoip_files.v[0], "/var/lib/egress-audit/a.csv");
	assert_string_equal(cfg.geoip_files.v[1], "/var/lib/egress-audit/b.mmdb");

	assert_int_equal(cfg.policy.allow.zones,
			 (1u << EA_ZONE_EU) | (1u << EA_ZONE_EEA) |
			 (1u << EA_ZONE_INTERNAL) | (1u << EA_ZONE_OWN));
	assert_int_equal(cfg.policy.allow.nccs, 1);
	assert_true(ea_allow_set_has(&cfg.policy.allow, EA_ZONE_ADEQUACY, cc("CH")));
	assert_false(ea_allow_set_has(&cfg.policy.allow, EA_ZONE_ADEQUACY, cc("GB")));
	assert_int_equal(cfg.policy.ndeny, 2);
	assert_int_equal(cfg.policy.deny[0], cc("CN"));
	assert_int_equal(cfg.policy.deny[1], cc("RU"));
	assert_int_equal(cfg.policy.own_cidr.n, 2);
	assert_string_equal(ea_cidr_format(&cfg.policy.own_cidr.v[0].cidr, buf),
			    "192.0.2.0/24");
	assert_int_equal(cfg.policy.own_cidr.v[0].line, 19);
	assert_string_equal(ea_cidr_format(&cfg.policy.own_cidr.v[1].cidr, buf),
			    "2001:db8::/32");
	assert_int_equal(cfg.policy.allow_cidr.n, 1);
	assert_string_equal(ea_cidr_format(&cfg.policy.allow_cidr.v[0].cidr, buf),
			    "198.51.100.7/32");
	assert_int_equal(cfg.policy.allow_cidr.v[0].line, 20);
	assert_int_equal(cfg.policy.deny_cidr.n, 1);
	assert_string_equal(ea_cidr_format(&cfg.policy.deny_cidr.v[0].cidr, buf),
			    "203.0.113.0/25");
	assert_true(cfg.policy.unknown_allow);

	assert_int_equal(cfg.nlabels, 2);
	l = &cfg.labels[0];
	assert_string_equal(l->name, "pii");
	assert_int_equal(l->line, 23);
	assert_int_equal(l->cgroups.n, 1);
	assert_string_equal(l->cgroups.v[0], "/sys/fs/cgroup/crm");
	assert_int_equal(l->cgroups.line[0], 24);	/* where a cgroup or tree is refused */
	assert_int_equal(l->paths.n, 1);
	assert_string_equal(l->paths.v[0], "/srv/customers");
	assert_int_equal(l->paths.line[0], 25);
	assert_true(l->has_allow);
	assert_int_equal(l->allow.zones, 1u << EA_ZONE_EU);
	assert_true(l->has_mode);
	assert_int_equal(l->mode, EA_MODE_ENFORCE);
	l = &cfg.labels[1];
	assert_string_equal(l->name, "logs.v2_x-y");
	assert_int_equal(l->line, 28);
	assert_false(l->has_allow);
	assert_false(l->has_mode);
	assert_int_equal(l->paths.n, 1);
	ea_config_free(&cfg);
}

static void test_other_values(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("[agent]\nrecord = flagged\nmode = audit\nupdate_interval = 86400\n"
		 "ringbuf_size = 4\n[policy]\nunknown = flag\n"
		 "[label a]\ncgroup = /a\nmode = audit\n", &cfg);
	assert_false(cfg.agent.record_all);
	assert_int_equal(cfg.agent.mode, EA_MODE_AUDIT);
	assert_int_equal(cfg.agent.update_interval_s, 86400);
	assert_int_equal(cfg.agent.ringbuf_kib, 4);
	assert_false(cfg.policy.unknown_allow);
	assert_true(cfg.labels[0].has_mode);
	assert_int_equal(cfg.labels[0].mode, EA_MODE_AUDIT);
	ea_config_free(&cfg);

	parse_ok("[agent]\nupdate_interval = 1\nringbuf_size = 1048576\n"
		 "hostname: h:1\nflood_limit = 0\ntcp_slots = 0\nslot_sweep = 1\n", &cfg);
	assert_int_equal(cfg.agent.tcp_slots, 0);
	assert_int_equal(cfg.agent.slot_sweep_s, 1);
	assert_int_equal(cfg.agent.update_interval_s, 1);
	assert_int_equal(cfg.agent.ringbuf_kib, 1048576);
	assert_int_equal(cfg.agent.flood_events, 0);
	assert_string_equal(cfg.agent.hostname, "h:1");
	ea_config_free(&cfg);

	/* the mapped range itself, and IPv6 prefixes beside it */
	parse_ok("[policy]\ndeny_cidr = ::ffff:0:0/96 ::/96 ::ffff:10.0.0.0/104 2000::/3\n", &cfg);
	assert_int_equal(cfg.policy.deny_cidr.n, 4);
	ea_config_free(&cfg);
	/* with all of IPv4 in the same list, as written */
	parse_ok("[policy]\ndeny_cidr = ::/0\ndeny_cidr = 0.0.0.0/0\nown_cidr = ::/8 ::ffff:0:0/96\n",
		 &cfg);
	assert_int_equal(cfg.policy.deny_cidr.n, 2);
	ea_config_free(&cfg);
}

static void test_repeatable_keys_append(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("[agent]\n"
		 "interfaces = eth0\n"
		 "interfaces = eth1 eth2\n"
		 "\teth3 eth0\n"			/* continuation; eth0 again */
		 "[geoip]\n"
		 "file = /a\n"
		 "[policy]\n"
		 "allow = eu\n"				/* replaces the defaults */
		 "allow = JP\n"
		 "  own\n"				/* continuation appends */
		 "deny = RU\n"
		 "deny = ru BY\n"
		 "own_cidr = 10.0.0.0/8\n"
		 "own_cidr = fd00::/8\n"
		 "  192.168.0.0/16\n"
		 "[geoip]\n"
		 "file = /b\n"
		 "[policy]\n"
		 "allow = CH\n"				/* later section: appends */
		 "[label x]\n"
		 "cgroup = /a\n"
		 "cgroup = /b\n"
		 "path = /p\n"
		 "path = /q\n"
		 "allow = GB\n"
		 "allow = adequacy\n", &cfg);
	assert_int_equal(cfg.agent.interfaces.n, 4);
	assert_string_equal(cfg.agent.interfaces.v[3], "eth3");
	assert_int_equal(cfg.geoip_files.n, 2);
	assert_string_equal(cfg.geoip_files.v[0], "/a");
	assert_string_equal(cfg.geoip_files.v[1], "/b");
	assert_int_equal(cfg.policy.allow.zones,
			 (1u << EA_ZONE_EU) | (1u << EA_ZONE_OWN));
	assert_int_equal(cfg.policy.allow.nccs, 2);
	assert_true(ea_allow_set_has(&cfg.policy.allow, EA_ZONE_THIRD, cc("JP")));
	assert_true(ea_allow_set_has(&cfg.policy.allow, EA_ZONE_THIRD, cc("CH")));
	assert_false(ea_allow_set_has(&cfg.policy.allow, EA_ZONE_EEA, cc("NO")));
	assert_int_equal(cfg.policy.ndeny, 2);
	assert_int_equal(cfg.policy.own_cidr.n, 3);
	assert_int_equal(cfg.policy.own_cidr.v[2].line, 15);
	assert_int_equal(cfg.labels[0].cgroups.n, 2);
	assert_int_equal(cfg.labels[0].paths.n, 2);
	assert_string_equal(cfg.labels[0].paths.v[1], "/q");
	assert_int_equal(cfg.labels[0].allow.zones, 1u << EA_ZONE_ADEQUACY);
	assert_int_equal(cfg.labels[0].allow.nccs, 1);
	ea_config_free(&cfg);
}

static void test_comments(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("# hash comment\n"
		 "; semicolon comment\n"
		 "   ; indented comment\n"
		 "[agent] ; after a header\n"
		 "hostname = h1 ; inline\n"
		 "cgroup = /a#b # inline hash\n"
		 "interfaces = eth0 # eth1\n"
		 "[policy] # after a header\n"
		 "allow = eu ;x\n", &cfg);
	assert_string_equal(cfg.agent.hostname, "h1");
	assert_string_equal(cfg.agent.cgroup, "/a#b");
	assert_int_equal(cfg.agent.interfaces.n, 1);
	ea_config_free(&cfg);
	/* ';' without a blank before it is not a comment */
	expect_error("[policy]\nallow = eu;x\n", 2, "'eu;x' is neither");
}

static void test_crlf(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("[agent]\r\nhostname = h\r\ninterfaces = a b\r\n\r\n"
		 "[label x]  \r\npath = /p\r\n  \r\n", &cfg);
	assert_string_equal(cfg.agent.hostname, "h");
	assert_string_equal(cfg.agent.interfaces.v[1], "b");
	assert_string_equal(cfg.labels[0].name, "x");
	assert_string_equal(cfg.labels[0].paths.v[0], "/p");
	ea_config_free(&cfg);
	expect_error("[agent]\r\n\r\n; x\r\nmode = fast\r\n", 4,
		     "[agent] mode: 'fast' is neither 'audit' nor 'enforce'");
	expect_error("[agent]\r\nhostname = a\rb\r\n", 2, "control character 0x0d");
}

static void test_bom(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("\xEF\xBB\xBF[agent]\nhostname = h\n", &cfg);
	assert_string_equal(cfg.agent.hostname, "h");
	ea_config_free(&cfg);
	expect_error("[agent]\n\xEF\xBB\xBFhostname = h\n", 2, "unknown key '?\?\?hostname'");
}

static void test_exact_messages(void **state)
{
	(void)state;
	expect_message("; c\n\n[foo]\n", "t.ini:3: unknown section [foo]");
	expect_message("[policy]\n\n\n\ncolour = red\n",
		       "t.ini:5: unknown key 'colour' in [policy]");
	expect_message("[policy]\n\n\n\n\n\nallow = eu mars\n",
		       "t.ini:7: [policy] allow: 'mars' is neither a zone nor a country code");
	expect_message("[label pii]\nallow = venus\n",
		       "t.ini:2: [label pii] allow: 'venus' is neither a zone nor a country code");
}

/* Every error case, with its line. */
static void test_errors(void **state)
{
	(void)state;
	/* sections */
	expect_error("[agent]\n[foo]\n", 2, "unknown section [foo]");
	expect_error("[Agent]\n", 1, "unknown section [Agent]");
	expect_error("[labelx]\n", 1, "unknown section [labelx]");
	expect_error("\n[agent\n", 2, "missing ']'");
	expect_error("[agent ;]\n", 1, "missing ']'");
	expect_error("[agent] x\n", 1, "unexpected text after section header");
	expect_error("[agent]\n\n[label]\n", 3, "[label] section without a name");
	expect_error("[label  ]\n", 1, "[label] section without a name");
	expect_error("[label \t ]\n", 1, "[label] section without a name");
	expect_error("[label a b]\n", 1, "label name 'a b' is not");
	expect_error("[label a/b]\n", 1, "label name 'a/b' is not");
	expect_error("[label p\xC3\xAF]\n", 1, "label name 'p?\?' is not");
	expect_error("[label "
		     "0123456789012345678901234567890123456789012345678901234567890123]\n",
		     1, "is not 1 to 63 characters");
	expect_error("[label a]\npath = /x\n[label b]\n[label a]\n", 4,
		     "duplicate label 'a' (first on line 1)");
	/* keys */
	expect_error("\n\nmode = audit\n", 3, "key 'mode' outside any section");
	expect_error("[agent]\n= x\n", 2, "missing key name");
	expect_error("[agent]\nMode = audit\n", 2, "unknown key 'Mode' in [agent]");
	expect_error("[label a]\nrecord = all\n", 2, "unknown key 'record' in [label a]");
	expect_error("[geoip]\npath = /x\n", 2, "unknown key 'path' in [geoip]");
	expect_error("[agent]\nfoo\n", 2, "expected 'key = value' or [section]");
	expect_error("[agent]\n  foo\n", 2, "expected 'key = value' or [section]");
	/* empty values */
	expect_error("[agent]\ncgroup =\n", 2, "[agent] cgroup: empty value");
	expect_error("[agent]\nhostname =   ; comment\n", 2, "[agent] hostname: empty value");
	expect_error("[agent]\nupdate_interval = # c\n", 2, "[agent] update_interval: empty value");
	expect_error("[geoip]\nfile =\n", 2, "[geoip] file: empty value");
	expect_error("[policy]\nallow =\n", 2, "[policy] allow: empty value");
	expect_error("[label a]\npath = \t\n", 2, "[label a] path: empty value");
	/* single-valued keys */
	expect_error("[agent]\nmode = audit\n[policy]\n[agent]\nmode = audit\n", 5,
		     "[agent] mode: set twice (first on line 2)");
	expect_error("[agent]\nhostname = a\n  b\n", 3,
		     "[agent] hostname: takes one value, but line 2 continues");
	expect_error("[label a]\nmode = audit\nmode = enforce\n", 3,
		     "[label a] mode: set twice (first on line 2)");
	/* enums */
	expect_error("[agent]\nrecord = some\n", 2, "'some' is neither 'flagged' nor 'all'");
	expect_error("[agent]\ntcp_count = bytes\n", 2,
		     "'bytes' is neither 'socket' nor 'packet'");
	expect_error("[agent]\nwatch_32bit_calls = yes\n", 2,
		     "'yes' is neither 'auto' nor 'no'");
	expect_error("[agent]\nmode = Audit\n", 2, "'Audit' is neither 'audit' nor 'enforce'");
	expect_error("[policy]\nunknown = deny\n", 2, "'deny' is neither 'flag' nor 'allow'");
	expect_error("[label a]\nmode = block\n", 2, "'block' is neither 'audit' nor 'enforce'");
	/* numbers */
	expect_error("[agent]\nupdate_interval = 6O\n", 2, "'6O' is not a number");
	expect_error("[agent]\nupdate_interval = -1\n", 2, "'-1' is not a number");
	expect_error("[agent]\nupdate_interval = +5\n", 2, "'+5' is not a number");
	expect_error("[agent]\nupdate_interval = 1 0\n", 2, "'1 0' is not a number");
	expect_error("[agent]\nupdate_interval = 0x10\n", 2, "'0x10' is not a number");
	expect_error("[agent]\nupdate_interval = 0\n", 2, "'0' is out of range 1..86400");
	expect_error("[agent]\nupdate_interval = 86401\n", 2, "out of range");
	expect_error("[agent]\nupdate_interval = 99999999999999999999999\n", 2, "out of range");
	expect_error("[agent]\nringbuf_size = 2\n", 2, "'2' is out of range 4..1048576");
	expect_error("[agent]\nringbuf_size = 2097152\n", 2, "out of range");
	expect_error("[agent]\nringbuf_size = 5000\n", 2, "'5000' is not a power of two");
	expect_error("[agent]\nflood_limit = 1000001\n", 2, "'1000001' is out of range 0..1000000");
	expect_error("[agent]\nflood_limit = -1\n", 2, "flood_limit");
	expect_error("[agent]\nflood_limit = 10 20\n", 2, "flood_limit");
	expect_error("[agent]\nflood_limit = 1\nflood_limit = 2\n", 3, "flood_limit");
	expect_error("[agent]\ntcp_slots = 1048577\n", 2, "'1048577' is out of range 0..1048576");
	expect_error("[agent]\ntcp_slots = -5\n", 2, "tcp_slots");
	expect_error("[agent]\nslot_sweep = 0\n", 2, "'0' is out of range 1..86400");
	expect_error("[agent]\nslot_sweep = 1\nslot_sweep = 2\n", 3, "slot_sweep");
	expect_error("[agent]\ntcp_slots = 12x\n", 2, "tcp_slots");
	expect_error("[agent]\n\ntcp_slots = 1\ntcp_slots = 1\n", 4, "tcp_slots");
	/* names */
	expect_error("[agent]\nhostname = a b\n", 2, "'a b' is not a host name");
	expect_error("[agent]\nhostname = h\xC3\xB4te\n", 2, "is not a host name");
	/* as the trail takes it for its directory, log_dir/HOST */
	expect_error("[agent]\nhostname = a/b\n", 2, "[agent] hostname: 'a/b' is not a host name");
	expect_error("[agent]\nhostname = .\n", 2, "'.' is not a host name");
	expect_error("[agent]\nhostname = ..\n", 2, "'..' is not a host name");
	expect_error("[agent]\nhostname = .hidden\n", 2, "'.hidden' is not a host name");
	expect_error("[agent]\ninterfaces = eth0 eth0/1\n", 2, "'eth0/1' is not an interface name");
	expect_error("[agent]\ninterfaces = a234567890123456\n", 2, "is not an interface name");
	expect_error("[agent]\ninterfaces = ..\n", 2, "'..' is not an interface name");
	{
		char many[600] = "[agent]\ninterfaces =";

		for (int i = 0; i <= 32; i++)	/* one more than the agent holds */
			snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s eth%d",
				 i && !(i % 8) ? "\n " : "", i);
		strcat(many, "\n");
		expect_error(many, 6, "at most 32 interfaces");
	}
	expect_error("[label a]\npath = srv/data\n", 2, "'srv/data' is not an absolute path");
	/* a label that names no data: it would flag nothing, and "host" would be gone */
	expect_message("[agent]\nmode = audit\n\n[label pii]\nallow = eu\nmode = enforce\n",
		       "t.ini:4: [label pii] needs a cgroup or a path");
	expect_error("[label a]\npath = /a\n[label b]\n; nothing\n[label c]\ncgroup = /c\n", 3,
		     "[label b] needs a cgroup or a path");
	/* relative files, as every other path key */
	expect_error("[geoip]\nfile = geo.csv\n", 2, "[geoip] file: 'geo.csv' is not an absolute path");
	expect_error("[geoip]\nfile = /a.csv\nfile = ./b.csv\n", 3, "'./b.csv' is not an absolute");
	expect_error("[siem a]\ntarget = tls://h:1\nformat = cef\nca = ca.pem\n", 4,
		     "[siem a] ca: 'ca.pem' is not an absolute path");
	expect_error("[siem a]\ncert = c.pem\n", 2, "[siem a] cert: 'c.pem' is not an absolute path");
	expect_error("[siem a]\nkey = etc/k.pem\n", 2, "[siem a] key: 'etc/k.pem' is not an absolute");
	/* zones and country codes */
	expect_error("[policy]\nallow = eu USA\n", 2, "'USA' is neither a zone");
	expect_error("[policy]\nallow = eu, eea\n", 2, "'eu,' is neither a zone");
	expect_error("[policy]\nallow = \xC3\xBC\n", 2, "'?\?' is neither a zone");
	expect_error("[policy]\nallow = EL\n", 2, "'EL' is not an ISO 3166 code; write 'GR'");
	expect_error("[policy]\ndeny = uk\n", 2, "'uk' is not an ISO 3166 code; write 'GB'");
	expect_error("[policy]\ndeny = US eu\n", 2, "'eu' is a zone; deny takes country codes");
	expect_error("[policy]\ndeny = U1\n", 2, "'U1' is not a country code");
	/* CIDRs */
	expect_error("[policy]\nown_cidr = 10.0.0.0/8 10.1.2.3/8\n", 2,
		     "'10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)");
	expect_error("[policy]\nallow_cidr = 2001:db8::1/32\n", 2,
		     "has host bits set (the network is 2001:db8::/32)");
	expect_error("[policy]\ndeny_cidr = example.com\n", 2,
		     "'example.com' is not an address or CIDR");
	expect_error("[policy]\ndeny_cidr = 10.0.0.0/33\n", 2, "is not an address or CIDR");
	expect_error("[policy]\ndeny_cidr = 10.0.0.0/\n", 2, "is not an address or CIDR");
	expect_error("[policy]\ndeny_cidr = 10.0.0.0/-1\n", 2, "is not an address or CIDR");
	expect_error("[policy]\ndeny_cidr = ::/129\n", 2, "is not an address or CIDR");
	/* IPv6 prefixes over ::ffff:0:0/96 would hold every IPv4 address */
	expect_error("[policy]\ndeny_cidr = 10.0.0.0/8\n\ndeny_cidr = 2001:db8::/32 ::/0\n", 4,
		     "[policy] deny_cidr: '::/0' covers ::ffff:0:0/96");
	expect_error("[policy]\nallow_cidr = 0.0.0.0/0\ndeny_cidr = ::/0\n", 3,
		     "add 0.0.0.0/0 if all of it is meant");
	expect_error("[policy]\nallow_cidr = ::/8\n", 2, "write IPv4 as IPv4 CIDRs");
	expect_error("[policy]\nown_cidr = ::fffe:0:0/95\n", 2, "'::fffe:0:0/95' covers ::ffff:0:0/96");
	expect_error("[policy]\ndeny_cidr = ::/80\n", 2, "'::/80' covers ::ffff:0:0/96");
	/* control characters */
	expect_error("[agent]\ncgroup = /a\x01z\n", 2, "control character 0x01");
	expect_error("[agent]\ncgroup = /a\x7fz\n", 2, "control character 0x7f");
}

/* Errors inside continuation lines and after blank lines keep exact lines. */
static void test_line_numbers(void **state)
{
	(void)state;
	expect_error("[policy]\n"
		     "allow = eu\n"
		     "  ; a comment between\n"
		     "\n"
		     "  mars\n", 5, "'mars' is neither");
	expect_error("[policy]\n"
		     "own_cidr = 10.0.0.0/8\n"
		     "\t10.0.0.1/8\n", 3, "host bits set");
	/* a header ends the value: an indented line after it is a key */
	expect_error("[agent]\n"
		     "interfaces = a\n"
		     "[policy]\n"
		     "  deny = x\n", 4, "[policy] deny: 'x' is not a country code");
	/* indented "[x]" after a key: inih would continue the value with it */
	expect_error("[policy]\n"
		     "allow = eu\n"
		     "  [agent]\n", 3, "indented section header");
	expect_error("[agent]\n"
		     "interfaces = eth0\n"
		     "  [policy]\n"
		     "allow = eu\n", 3, "indented section header");
	/* after a header it is one */
	expect_error("[policy]\n"
		     "  [foo]\n", 2, "unknown section [foo]");
	/* the first error is reported, whichever part of the parser sees it */
	expect_error("[agent]\nmode = x\nbroken\n[foo]\n", 2, "'x' is neither");
	expect_error("[agent]\nbroken\nmode = x\n[foo]\n", 2, "expected 'key = value'");
	expect_error("[foo]\nbroken\n", 1, "unknown section [foo]");
	expect_error("[agent]\nmode = audit\n\n[label]\nbroken\n", 4, "without a name");
	/* keys of a bad section are ignored, the header is the error */
	expect_error("[foo]\nmode = x\n", 1, "unknown section [foo]");
	expect_error("[label a]\nmode = audit\n[label a]\ncolour = red\n", 3, "duplicate label");
}

static void test_long_lines(void **state)
{
	size_t big = 100000;
	char *text = malloc(big + 1024);
	char *s;
	struct ea_config cfg;

	(void)state;
	assert_non_null(text);

	/* a line of exactly the limit is taken whole */
	s = text + sprintf(text, "[agent]\ncgroup = /");
	memset(s, 'c', LINE_MAX_CHARS - strlen("cgroup = /"));
	s += LINE_MAX_CHARS - strlen("cgroup = /");
	strcpy(s, "\r\n");
	parse_ok(text, &cfg);
	assert_int_equal(strlen(cfg.agent.cgroup), LINE_MAX_CHARS - strlen("cgroup = "));
	ea_config_free(&cfg);

	/* one more character is an error, not a line split in two */
	s = text + sprintf(text, "[agent]\n\ncgroup = /");
	memset(s, 'c', LINE_MAX_CHARS + 1 - strlen("cgroup = /"));
	strcpy(s + LINE_MAX_CHARS + 1 - strlen("cgroup = /"), "\n[foo]\n");
	expect_error(text, 3, "line too long");

	/* a very long value; its tail must not become a header */
	s = text + sprintf(text, "[policy]\nallow = ");
	for (size_t i = 0; i < big / 3; i++)
		s += sprintf(s, "eu ");
	strcpy(s, "[foo]\n");
	expect_error(text, 2, "line too long");

	/* long comment lines are fine, and counting goes on exactly */
	s = text + sprintf(text, "[agent]\n; ");
	memset(s, 'x', big);
	strcpy(s + big, "\n   # \n#");
	s += big + strlen("\n   # \n#");
	memset(s, '#', 500);
	strcpy(s + 500, "\nmode = x\n");
	expect_error(text, 5, "'x' is neither");

	/* a long last line without a line end */
	s = text + sprintf(text, "[agent]\nhostname=");
	memset(s, 'h', 300);
	s[300] = '\0';
	expect_error(text, 2, "line too long");
	free(text);
}

static void test_label_limits(void **state)
{
	char *text = malloc(8192);
	char *s = text;
	struct ea_config cfg;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < EA_MAX_LABELS; i++)
		s += sprintf(s, "[label l%d]\npath = /d%d\n", i, i);
	parse_ok(text, &cfg);
	assert_int_equal(cfg.nlabels, EA_MAX_LABELS);
	assert_string_equal(cfg.labels[63].name, "l63");
	assert_string_equal(cfg.labels[63].paths.v[0], "/d63");
	assert_int_equal(cfg.labels[63].line, 127);
	ea_config_free(&cfg);

	sprintf(s, "[label l%d]\npath = /x\n", EA_MAX_LABELS);
	expect_error(text, 129, "too many labels (at most 64)");

	/* a name of 63 characters is the longest */
	parse_ok("[label "
		 "012345678901234567890123456789012345678901234567890123456789012]\npath = /p\n",
		 &cfg);
	assert_int_equal(strlen(cfg.labels[0].name), 63);
	ea_config_free(&cfg);
	free(text);
}

static void test_non_ascii(void **state)
{
	struct ea_config cfg;

	(void)state;
	parse_ok("[label a]\npath = /donn\xC3\xA9""es\n[geoip]\nfile = /t\xC3\xA9l\xC3\xA9.csv\n",
		 &cfg);
	assert_string_equal(cfg.labels[0].paths.v[0], "/donn\xC3\xA9""es");
	ea_config_free(&cfg);
	expect_error("[agent]\n\xC3\xA9t\xC3\xA9 = 1\n", 2, "unknown key '?\?t?\?'");
	expect_error("[\xFF\xFE]\n", 1, "unknown section [?\?]");
	expect_error("[agent]\ninterfaces = \xC3\xA9th0\n", 2, "is not an interface name");
}

static void test_load_file(void **state)
{
	static const char nul[] = "[agent]\nmode = audit\ncgroup = /a\0b\n";
	struct ea_config cfg;
	struct ea_err err;
	char *path;
	char want[128];

	(void)state;
	path = temp_file(full_config, strlen(full_config));
	assert_int_equal(ea_config_load(path, &cfg, &err), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.nlabels, 2);
	ea_config_free(&cfg);
	/* the struct is reusable after ea_config_free */
	assert_int_equal(ea_config_load(path, &cfg, &err), 0);
	ea_config_free(&cfg);
	ea_config_free(&cfg);
	unlink(path);
	free(path);

	path = temp_file(nul, sizeof(nul) - 1);
	assert_int_equal(ea_config_load(path, &cfg, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the line", path);
	assert_string_equal(err.msg, want);
	ea_config_free(&cfg);
	unlink(path);
	free(path);

	assert_int_equal(ea_config_load("/nonexistent/egress.conf", &cfg, &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/egress.conf: No such file or directory");
	assert_int_equal(cfg.agent.ringbuf_kib, 4096);
	ea_config_free(&cfg);

	assert_int_equal(ea_config_load("/", &cfg, &err), -EISDIR);
	assert_string_equal(err.msg, "/: Is a directory");
	ea_config_free(&cfg);

	/* a NULL err is allowed */
	assert_int_equal(ea_config_parse_string("x", "[x]\n", &cfg, NULL), -EINVAL);
	ea_config_free(&cfg);
}

static void test_zone_and_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(ea_zone_name(EA_ZONE_UNKNOWN), "unknown");
	assert_string_equal(ea_zone_name(EA_ZONE_EU), "eu");
	assert_string_equal(ea_zone_name(EA_ZONE_EEA), "eea");
	assert_string_equal(ea_zone_name(EA_ZONE_ADEQUACY), "adequacy");
	assert_string_equal(ea_zone_name(EA_ZONE_ADEQUACY_PARTIAL), "adequacy-partial");
	assert_string_equal(ea_zone_name(EA_ZONE_THIRD), "third");
	assert_string_equal(ea_zone_name(EA_ZONE_INTERNAL), "internal");
	assert_string_equal(ea_zone_name(EA_ZONE_OWN), "own");
	assert_string_equal(ea_zone_name(EA_ZONE_MAX), "invalid");
	for (uint32_t z = 0; z < EA_ZONE_MAX; z++)
		assert_int_equal(ea_zone_parse(ea_zone_name(z)), z);
	assert_int_equal(ea_zone_parse("EU"), EA_ZONE_EU);
	assert_int_equal(ea_zone_parse("Adequacy-Partial"), EA_ZONE_ADEQUACY_PARTIAL);
	assert_int_equal(ea_zone_parse("adequacy-"), -1);
	assert_int_equal(ea_zone_parse(""), -1);
	assert_int_equal(ea_zone_parse(NULL), -1);
	assert_string_equal(ea_verdict_name(EA_VERDICT_ALLOWED), "allowed");
	assert_string_equal(ea_verdict_name(EA_VERDICT_FLAGGED), "flagged");
	assert_string_equal(ea_verdict_name(EA_VERDICT_BLOCKED), "blocked");
	assert_string_equal(ea_verdict_name(EA_VERDICT_MAX), "invalid");
}

static void test_allow_set(void **state)
{
	struct ea_allow_set set = { 0 };
	char bad[8];

	(void)state;
	assert_int_equal(ea_allow_set_parse("eu EU  jp\tUs us ch JP", &set, bad, sizeof(bad)), 0);
	assert_int_equal(set.zones, 1u << EA_ZONE_EU);
	assert_int_equal(set.nccs, 3);
	assert_int_equal(set.ccs[0], cc("CH"));
	assert_int_equal(set.ccs[1], cc("JP"));
	assert_int_equal(set.ccs[2], cc("US"));
	assert_true(ea_allow_set_has(&set, EA_ZONE_EU, 0));
	assert_true(ea_allow_set_has(&set, EA_ZONE_THIRD, cc("JP")));
	assert_false(ea_allow_set_has(&set, EA_ZONE_THIRD, cc("CN")));
	assert_false(ea_allow_set_has(&set, EA_ZONE_THIRD, 0));
	assert_false(ea_allow_set_has(&set, 99, 0));
	assert_false(ea_allow_set_has(NULL, EA_ZONE_EU, 0));

	/* all or nothing: a bad word leaves the set as it was */
	assert_int_equal(ea_allow_set_parse("third GB nowhere-at-all", &set, bad, sizeof(bad)),
			 -EINVAL);
	assert_string_equal(bad, "nowhere");
	assert_int_equal(set.zones, 1u << EA_ZONE_EU);
	assert_int_equal(set.nccs, 3);
	assert_int_equal(ea_allow_set_parse("g", &set, NULL, 0), -EINVAL);
	assert_int_equal(ea_allow_set_parse("G1", &set, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "G1");
	assert_int_equal(ea_allow_set_parse("el", &set, bad, sizeof(bad)), -EINVAL);

	/* adding */
	assert_int_equal(ea_allow_set_parse("own gb", &set, bad, sizeof(bad)), 0);
	assert_int_equal(set.zones, (1u << EA_ZONE_EU) | (1u << EA_ZONE_OWN));
	assert_int_equal(set.nccs, 4);
	assert_int_equal(ea_allow_set_parse("", &set, bad, sizeof(bad)), 0);
	ea_allow_set_free(&set);
	assert_null(set.ccs);
	assert_int_equal(set.nccs, 0);
	assert_int_equal(set.zones, 0);
	ea_allow_set_free(&set);
}

/* Configurations that are not text. */
static void test_hostile(void **state)
{
	char text[4096];
	struct ea_config cfg;
	struct ea_err err;

	(void)state;
	for (unsigned int seed = 1; seed <= 2000; seed++) {
		size_t n = (size_t)(rand_r(&seed) % (sizeof(text) - 1));

		for (size_t i = 0; i < n; i++) {
			int c = rand_r(&seed) % 256;

			text[i] = (char)(c ? c : '\n');
		}
		text[n] = '\0';
		if (ea_config_parse_string("t.ini", text, &cfg, &err))
			assert_memory_equal(err.msg, "t.ini:", 6);
		ea_config_free(&cfg);
	}
	expect_error("[[[[\n", 1, "missing ']'");
	expect_error("]]]]\n", 1, "expected 'key = value'");
	expect_error("[]\n", 1, "unknown section []");
	expect_error("[policy]\n:\n", 2, "missing key name");
	expect_error("[agent]\nhostname = \"h\"\n[\n", 3, "missing ']'");
}

/* [siem NAME] sections: every key, the defaults, several destinations. */
static void test_siem_sections(void **state)
{
	struct ea_config cfg;
	const struct ea_siem_cfg *d;

	(void)state;
	parse_ok("[siem soc]\n"
		 "target = tls://siem.example.org:6514\n"
		 "format = cef\n"
		 "select = flagged lost\n"
		 "ca = /etc/ssl/soc-ca.pem\n"
		 "cert = /etc/egress-audit/client.pem\n"
		 "key = /etc/egress-audit/client.key\n"
		 "fingerprint = sha256:00112233445566778899AABBCCDDEEFF"
		 "00112233445566778899aabbccddeeff\n"
		 "backoff_cap = 2m\n"
		 "[siem archive]\n"
		 "target = relp://[2001:db8::5]:2514\n"
		 "format = json-ocsf\n", &cfg);
	assert_int_equal(cfg.nsiems, 2);
	d = &cfg.siems[0];
	assert_string_equal(d->name, "soc");
	assert_string_equal(d->target, "tls://siem.example.org:6514");
	assert_int_equal(d->proto, EA_SIEM_TLS);
	assert_int_equal(d->format, EA_SIEM_FMT_CEF);
	assert_int_equal(d->select, EA_SIEM_FLAGGED | EA_SIEM_LOST);
	assert_string_equal(d->ca, "/etc/ssl/soc-ca.pem");
	assert_string_equal(d->cert, "/etc/egress-audit/client.pem");
	assert_string_equal(d->key, "/etc/egress-audit/client.key");
	assert_true(d->has_fingerprint);
	assert_int_equal(d->fingerprint[0], 0x00);
	assert_int_equal(d->fingerprint[10], 0xaa);
	assert_int_equal(d->fingerprint[31], 0xff);
	assert_int_equal(d->backoff_cap_s, 120);
	assert_int_equal(d->line, 1);
	d = &cfg.siems[1];
	assert_string_equal(d->name, "archive");
	assert_int_equal(d->proto, EA_SIEM_RELP);
	assert_int_equal(d->format, EA_SIEM_FMT_OCSF);
	assert_int_equal(d->select, EA_SIEM_SELECT_DEFAULT);
	assert_null(d->ca);
	assert_false(d->has_fingerprint);
	assert_int_equal(d->backoff_cap_s, EA_SIEM_BACKOFF_CAP_S);
	assert_int_equal(d->line, 10);
	ea_config_free(&cfg);

	parse_ok("[siem a]\ntarget = udp://127.0.0.1:514\nformat = rfc5424\n"
		 "select = agent checkpoint blocked allowed\n", &cfg);
	assert_int_equal(cfg.siems[0].proto, EA_SIEM_UDP);
	assert_int_equal(cfg.siems[0].select, EA_SIEM_AGENT | EA_SIEM_CHECKPOINT |
					      EA_SIEM_BLOCKED | EA_SIEM_ALLOWED);
	ea_config_free(&cfg);
	parse_ok("[siem a]\ntarget = tls://10.0.0.1:6514\nformat = leef\n"
		 "fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
		 "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n", &cfg);
	assert_int_equal(cfg.siems[0].fingerprint[17], 0x11);
	assert_int_equal(cfg.siems[0].format, EA_SIEM_FMT_LEEF);
	ea_config_free(&cfg);
	parse_ok("[siem a]\ntarget = relp+tls://siem.example.org:2514\nformat = cef\n"
		 "ca = /ca.pem\ncert = /c.pem\nkey = /k.pem\n", &cfg);
	assert_int_equal(cfg.siems[0].proto, EA_SIEM_RELP_TLS);
	assert_string_equal(cfg.siems[0].ca, "/ca.pem");
	assert_string_equal(cfg.siems[0].cert, "/c.pem");
	assert_string_equal(cfg.siems[0].key, "/k.pem");
	ea_config_free(&cfg);
}

/* Every [siem] mistake names the file, the line and the problem. */
static void test_siem_errors(void **state)
{
	static const char ok[] = "target = tcp://127.0.0.1:514\nformat = json-ecs\n";
	char text[4096];
	size_t n = 0;

	(void)state;
	expect_error("[siem]\n", 1, "[siem] section without a name");
	expect_error("[siem .x]\n", 1, "siem name '.x' is not");
	expect_error("[siem a/b]\n", 1, "siem name 'a/b' is not");
	expect_error("[siem a]\ntarget = tcp://h:1\nformat = cef\n[siem a]\n", 4,
		     "duplicate siem 'a' (first on line 1)");
	expect_error("[siem a]\nformat = cef\n", 1, "[siem a] needs a target");
	expect_error("[siem a]\ntarget = tcp://h:1\n", 1, "[siem a] needs a format");
	expect_error("[siem a]\ntarget = http://h:1\n", 2,
		     "[siem a] target: 'http://h:1': must start with relp://");
	expect_error("[siem a]\ntarget = tcp://h\n", 2, "missing :PORT");
	expect_error("[siem a]\ntarget = tcp://h:0\n", 2, "port must be 1..65535");
	expect_error("[siem a]\ntarget = tcp://h:65536\n", 2, "port must be 1..65535");
	expect_error("[siem a]\ntarget = tcp://::1:514\n", 2, "[ADDR]:PORT");
	expect_error("[siem a]\ntarget = tcp://:514\n", 2, "bad host");
	expect_error("[siem a]\nformat = CEF\n", 2,
		     "[siem a] format: 'CEF' is not one of cef|leef|json-ecs|json-ocsf|rfc5424");
	expect_error("[siem a]\nselect = flagged everything\n", 2,
		     "[siem a] select: 'everything' is not one of");
	expect_error("[siem a]\nfingerprint = sha256:0011\n", 2,
		     "[siem a] fingerprint: 'sha256:0011' is not sha256: and 64 hex digits");
	expect_error("[siem a]\nfingerprint = md5:00\n", 2, "is not sha256:");
	expect_error("[siem a]\nbackoff_cap = 0\n", 2, "[siem a] backoff_cap: '0' is out of range");
	expect_error("[siem a]\nbackoff_cap = 2h\n", 2, "is out of range");
	expect_error("[siem a]\ntarget = tcp://h:1\ntarget = tcp://h:2\n", 3,
		     "[siem a] target: set twice (first on line 2)");
	expect_error("[siem a]\nport = 1\n", 2, "unknown key 'port' in [siem a]");
	expect_error("[siem a]\ntarget = relp://h:1\nformat = cef\nca = /ca.pem\n", 1,
		     "[siem a] ca, cert, key and fingerprint apply to tls:// and relp+tls:// "
		     "targets only");
	expect_error("[siem a]\ntarget = relp+tls://h:1\nformat = cef\nca = /ca.pem\n"
		     "cert = /c.pem\nkey = /k.pem\nfingerprint = sha256:"
		     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 1,
		     "[siem a] relp+tls:// verifies by ca, not by fingerprint");
	expect_error("[siem a]\ntarget = relp+tls://h:1\nformat = cef\nca = /ca.pem\n", 1,
		     "[siem a] relp+tls:// needs ca, cert and key");
	expect_error("[siem a]\ntarget = relp+tls://h:1\nformat = cef\ncert = /c.pem\n"
		     "key = /k.pem\n", 1, "[siem a] relp+tls:// needs ca, cert and key");
	expect_error("[siem a]\ntarget = relp+ssl://h:1\n", 2,
		     "must start with relp://, relp+tls://, tls://");
	expect_error("[siem a]\ntarget = tls://h:1\nformat = cef\ncert = /c.pem\n", 1,
		     "[siem a] cert and key go together");
	expect_error("[siem a]\ntarget = tls://h:1\nformat = cef\nkey = /k.pem\n", 1,
		     "[siem a] cert and key go together");

	for (int i = 0; i <= EA_MAX_SIEMS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[siem d%d]\n%s", i, ok);
	expect_error(text, 3 * EA_MAX_SIEMS + 1, "too many siem sections (at most 16)");
}

/* The audit trail's keys of [agent]: defaults, every value, the units. */
static void test_trail_keys(void **state)
{
	struct ea_config cfg;

	(void)state;
	ea_config_defaults(&cfg);
	assert_null(cfg.agent.log_dir);
	assert_null(cfg.agent.key_file);
	assert_int_equal(cfg.agent.flush, EA_FLUSH_NONE);
	assert_int_equal(cfg.agent.disk_full, EA_DISK_FULL_SUSPEND);
	assert_int_equal(cfg.agent.rotate_size, 64ull << 20);
	assert_int_equal(cfg.agent.rotate_age_s, 86400);
	assert_int_equal(cfg.agent.retain_size, 1ull << 30);
	assert_int_equal(cfg.agent.retain_age_s, 0);
	assert_int_equal(cfg.agent.checkpoint_interval_s, 300);
	assert_int_equal(cfg.agent.heartbeat_interval_s, 60);
	parse_ok("[agent]\nlog_dir = /srv/trail\nkey_file = /etc/ea/host.key\nflush = sync\n"
		 "disk_full_action = halt-logging\nrotate_size = 128K\nrotate_age = 2h\n"
		 "retain_size = 3G\nretain_age = 30d\ncheckpoint_interval = 90s\n"
		 "heartbeat_interval = 2m\n", &cfg);
	assert_string_equal(cfg.agent.log_dir, "/srv/trail");
	assert_string_equal(cfg.agent.key_file, "/etc/ea/host.key");
	assert_int_equal(cfg.agent.flush, EA_FLUSH_SYNC);
	assert_int_equal(cfg.agent.disk_full, EA_DISK_FULL_HALT);
	assert_int_equal(cfg.agent.rotate_size, 128ull << 10);
	assert_int_equal(cfg.agent.rotate_age_s, 7200);
	assert_int_equal(cfg.agent.retain_size, 3ull << 30);
	assert_int_equal(cfg.agent.retain_age_s, 30 * 86400);
	assert_int_equal(cfg.agent.checkpoint_interval_s, 90);
	assert_int_equal(cfg.agent.heartbeat_interval_s, 120);
	ea_config_free(&cfg);
	parse_ok("[agent]\nflush = incremental\ndisk_full_action = rotate\nrotate_size = 1T\n"
		 "rotate_age = 0\nretain_size = 0\nretain_age = 86400\n", &cfg);
	assert_int_equal(cfg.agent.flush, EA_FLUSH_INCREMENTAL);
	assert_int_equal(cfg.agent.disk_full, EA_DISK_FULL_ROTATE);
	assert_int_equal(cfg.agent.rotate_size, 1ull << 40);
	assert_int_equal(cfg.agent.rotate_age_s, 0);
	assert_int_equal(cfg.agent.retain_size, 0);
	assert_int_equal(cfg.agent.retain_age_s, 86400);
	ea_config_free(&cfg);
	parse_ok("[agent]\nflush = data\n", &cfg);
	assert_int_equal(cfg.agent.flush, EA_FLUSH_DATA);
	ea_config_free(&cfg);
}

static void test_trail_key_errors(void **state)
{
	(void)state;
	expect_error("[agent]\nlog_dir = var/lib\n", 2, "[agent] log_dir: 'var/lib' is not an absolute path");
	expect_error("[agent]\nkey_file = k.pem\n", 2, "[agent] key_file: 'k.pem' is not an absolute path");
	expect_error("[agent]\nflush = always\n", 2,
		     "[agent] flush: 'always' is not one of none|incremental|data|sync");
	expect_error("[agent]\ndisk_full_action = panic\n", 2,
		     "'panic' is not one of suspend|rotate|halt-logging");
	expect_error("[agent]\nrotate_size = 10\n", 2, "[agent] rotate_size: '10' is out of range");
	expect_error("[agent]\nrotate_size = 1X\n", 2, "is not a number with an optional unit (KMGT)");
	expect_error("[agent]\nrotate_size = 10MB\n", 2, "is not a number with an optional unit");
	expect_error("[agent]\nretain_size = 2000T\n", 2, "is out of range");
	expect_error("[agent]\nretain_size = 99999999999999999999999\n", 2, "is out of range");
	expect_error("[agent]\nrotate_age = 1y\n", 2, "[agent] rotate_age: '1y' is not a number");
	expect_error("[agent]\nretain_age = -1d\n", 2, "is not a number");
	expect_error("[agent]\ncheckpoint_interval = 0\n", 2, "[agent] checkpoint_interval: '0' is out of range");
	expect_error("[agent]\nheartbeat_interval = 2d\n", 2, "is out of range");
	expect_error("[agent]\nflush = none\nflush = sync\n", 3, "[agent] flush: set twice (first on line 2)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_other_values),
		cmocka_unit_test(test_repeatable_keys_append),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_exact_messages),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_label_limits),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_zone_and_verdict_names),
		cmocka_unit_test(test_allow_set),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_siem_sections),
		cmocka_unit_test(test_siem_errors),
		cmocka_unit_test(test_trail_keys),
		cmocka_unit_test(test_trail_key_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
