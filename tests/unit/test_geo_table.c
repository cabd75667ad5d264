// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The jurisdiction engine: layering of GeoIP files, policy precedence
 * (deny_cidr > allow_cidr > own_cidr > internal > deny > allow), per-label
 * allow sets, IPv4-mapped addresses, and the trie walk against the
 * interval list on random addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo_table.h"

struct fixture {
	char dir[64];
	char files[4][128];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/ea-geo-table-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (int i = 0; i < 4; i++)
		snprintf(f->files[i], sizeof(f->files[i]), "%s/l%d.csv", f->dir, i);
	/* base: whole documentation nets; overlay: a later file overrides */
	write_file(f->files[0], "192.0.2.0,192.0.2.255,DE\n198.51.100.0,198.51.100.255,US\n"
				"203.0.113.0,203.0.113.255,CN\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE\n");
	write_file(f->files[1], "192.0.2.64,192.0.2.127,JP\n2001:db8:2::,2001:db8:2:ffff:ffff:ffff:ffff:ffff,US\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		unlink(f->files[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Build a table from config text with the fixture's files substituted. */
static void build(struct fixture *f, const char *policy, struct ea_config *cfg,
		  struct ea_geo_table *t)
{
	char text[4096];
	struct ea_err err = { { 0 } };

	snprintf(text, sizeof(text), "[geoip]\nfile = %s\nfile = %s\n%s", f->files[0],
		 f->files[1], policy);
	if (ea_config_parse_string("t.ini", text, cfg, &err))
		fail_msg("config: %s", err.msg);
	if (ea_geo_table_build(cfg, t, &err))
		fail_msg("build: %s", err.msg);
}

static const struct ea_geo_result *at(const struct ea_geo_table *t, const char *addr,
				      struct ea_geo_answer *ans)
{
	ea_addr_t a;

	assert_int_equal(ea_addr_parse(addr, &a), 0);
	ea_geo_table_answer(t, a, ans);
	return ans->result;
}

static void expect(const struct ea_geo_table *t, const char *addr, const char *cc,
		   uint32_t zone, bool allowed, const char *prefix)
{
	struct ea_geo_answer ans;
	const struct ea_geo_result *r = at(t, addr, &ans);
	char buf[EA_CIDR_STRLEN], ccbuf[3];

	if (strcmp(ea_cc_format(r->country, ccbuf), cc) || r->zone != zone ||
	    ans.policy_allowed != allowed ||
	    (prefix && strcmp(ea_cidr_format(&ans.prefix, buf), prefix)))
		fail_msg("%s: got %s zone %s %s %s (source %s), want %s %s %s %s", addr,
			 ccbuf, ea_zone_name(r->zone),
			 ans.policy_allowed ? "allowed" : "flagged",
			 ea_cidr_format(&ans.prefix, buf), ans.source, cc,
			 ea_zone_name(zone), allowed ? "allowed" : "flagged",
			 prefix ? prefix : "");
}

static void test_layering_later_file_wins(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;

	build(*state, "", &cfg, &t);
	expect(&t, "192.0.2.1", "DE", EA_ZONE_EU, true, "192.0.2.0/26");
	expect(&t, "192.0.2.64", "JP", EA_ZONE_ADEQUACY, true, "192.0.2.64/26");
	expect(&t, "192.0.2.200", "DE", EA_ZONE_EU, true, "192.0.2.128/25");
	expect(&t, "2001:db8:2::1", "US", EA_ZONE_ADEQUACY_PARTIAL, false, "2001:db8:2::/48");
	expect(&t, "2001:db8:1::1", "DE", EA_ZONE_EU, true, "2001:db8::/47");
	expect(&t, "198.51.100.1", "US", EA_ZONE_ADEQUACY_PARTIAL, false, "198.51.100.0/24");
	expect(&t, "203.0.113.9", "CN", EA_ZONE_THIRD, false, NULL);
	expect(&t, "8.8.8.8", "--", EA_ZONE_UNKNOWN, false, NULL);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

static void test_mapped_equals_ipv4(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_geo_answer a4, a6;

	build(*state, "", &cfg, &t);
	at(&t, "198.51.100.7", &a4);
	at(&t, "::ffff:198.51.100.7", &a6);
	assert_int_equal(a4.result_idx, a6.result_idx);
	assert_true(a4.prefix.addr == a6.prefix.addr);
	assert_int_equal(a4.prefix.len, a6.prefix.len);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* deny_cidr > allow_cidr > own_cidr > internal > deny > allow. */
static void test_policy_precedence(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;

	build(*state,
	      "[policy]\n"
	      "allow = eu eea adequacy internal own\n"
	      "deny = DE\n"
	      "own_cidr = 198.51.100.0/24 10.1.0.0/16\n"
	      "allow_cidr = 198.51.100.128/25 203.0.113.0/24\n"
	      "deny_cidr = 198.51.100.192/26 10.1.2.0/24 192.0.2.64/27\n"
	      "unknown = allow\n", &cfg, &t);
	/* deny: DE flagged although eu is allowed */
	expect(&t, "192.0.2.1", "DE", EA_ZONE_EU, false, NULL);
	/* own beats the country: US own site allowed, zone own */
	expect(&t, "198.51.100.1", "US", EA_ZONE_OWN, true, "198.51.100.0/25");
	/* allow_cidr beats own_cidr */
	expect(&t, "198.51.100.130", "US", EA_ZONE_OWN, true, "198.51.100.128/26");
	/* deny_cidr beats allow_cidr */
	expect(&t, "198.51.100.200", "US", EA_ZONE_OWN, false, "198.51.100.192/26");
	/* own beats internal; deny_cidr beats own */
	expect(&t, "10.1.0.1", "--", EA_ZONE_OWN, true, NULL);
	expect(&t, "10.1.2.1", "--", EA_ZONE_OWN, false, "10.1.2.0/24");
	expect(&t, "10.2.0.1", "--", EA_ZONE_INTERNAL, true, NULL);
	/* deny_cidr beats the file's JP (adequacy) */
	expect(&t, "192.0.2.70", "JP", EA_ZONE_ADEQUACY, false, "192.0.2.64/27");
	expect(&t, "192.0.2.100", "JP", EA_ZONE_ADEQUACY, true, NULL);
	/* allow_cidr on a third country */
	expect(&t, "203.0.113.9", "CN", EA_ZONE_THIRD, true, NULL);
	/* unknown = allow */
	expect(&t, "8.8.8.8", "--", EA_ZONE_UNKNOWN, true, NULL);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* Within a list the most specific prefix wins; the source names the line. */
static void test_most_specific_and_source(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_geo_answer ans;

	build(*state, "[policy]\nallow_cidr = 203.0.113.0/24\nallow_cidr = 203.0.113.0/28\n",
	      &cfg, &t);
	at(&t, "203.0.113.1", &ans);
	assert_non_null(strstr(ans.source, "t.ini:6 [policy] allow_cidr 203.0.113.0/28"));
	at(&t, "203.0.113.100", &ans);
	assert_non_null(strstr(ans.source, "t.ini:5 [policy] allow_cidr 203.0.113.0/24"));
	at(&t, "192.0.2.1", &ans);
	assert_non_null(strstr(ans.source, "l0.csv"));
	at(&t, "192.0.2.65", &ans);
	assert_non_null(strstr(ans.source, "l1.csv"));
	at(&t, "127.0.0.1", &ans);
	assert_string_equal(ans.source, "internal: loopback");
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

static void test_internal_ranges(void **state)
{
	static const char *const internal[] = {
		"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1",
		"169.254.1.1", "224.0.0.1", "::1", "::", "fd00::1", "fe80::1", "ff02::1",
		"::ffff:10.0.0.1", "0.0.0.0",
	};
	struct ea_config cfg;
	struct ea_geo_table t;

	build(*state, "", &cfg, &t);
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		expect(&t, internal[i], "--", EA_ZONE_INTERNAL, true, NULL);
	expect(&t, "100.128.0.1", "--", EA_ZONE_UNKNOWN, false, NULL);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* Labels: each has its own allow set; the result carries one bit each. */
static void test_label_allow_sets(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_geo_answer ans;

	build(*state, "[label strict]\npath = /s\nallow = eu\n[label relaxed]\npath = /r\n"
		      "allow = eu adequacy US\n[label default]\npath = /d\n", &cfg, &t);
	assert_int_equal(t.nlabels, 3);
	assert_string_equal(t.label_names[1], "relaxed");
	at(&t, "192.0.2.65", &ans);			/* JP: adequacy */
	assert_int_equal(ans.result->allow_labels, 0x6);
	at(&t, "198.51.100.1", &ans);			/* US */
	assert_int_equal(ans.result->allow_labels, 0x2);
	at(&t, "192.0.2.1", &ans);			/* DE */
	assert_int_equal(ans.result->allow_labels, 0x7);
	at(&t, "203.0.113.1", &ans);			/* CN */
	assert_int_equal(ans.result->allow_labels, 0x0);
	/* a label's allow replaces [policy] allow whole: internal and own too */
	at(&t, "127.0.0.1", &ans);
	assert_int_equal(ans.result->zone, EA_ZONE_INTERNAL);
	assert_int_equal(ans.result->allow_labels, 0x4);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* Without labels, one label "host" under [policy] allow. */
static void test_host_label(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_geo_answer ans;

	build(*state, "", &cfg, &t);
	assert_int_equal(t.nlabels, 1);
	assert_string_equal(t.label_names[0], "host");
	at(&t, "192.0.2.1", &ans);
	assert_int_equal(ans.result->allow_labels, 1);
	at(&t, "203.0.113.1", &ans);
	assert_int_equal(ans.result->allow_labels, 0);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The trie walk answers as the interval list does, on random addresses. */
static void test_trie_equals_intervals(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	uint64_t s = 88172645463325252ull;

	/* a /126 takes the walk past the first 64 bits */
	build(*state, "[policy]\nown_cidr = 2001:db8:3::/52 2001:db8:5::8/126 192.0.2.3/32\n",
	      &cfg, &t);
	for (int i = 0; i < 200000; i++) {
		ea_addr_t a = ((ea_addr_t)xorshift(&s) << 64) | xorshift(&s);
		const struct ea_ivl *iv;

		switch (i % 4) {
		case 0:
			a = ea_addr_from_v4((uint32_t)a);
			break;
		case 1:	/* near the documentation nets */
			a = (((ea_addr_t)0x20010db8) << 96) | (a >> 48);
			break;
		case 2:
			iv = &t.ivl.v[xorshift(&s) % t.ivl.n];
			a = (i & 8) ? iv->start : iv->end;
			break;
		}
		assert_int_equal(ea_geo_table_lookup(&t, a),
				 t.ivl.v[ea_ivl_find(&t.ivl, a)].val.cc);
	}
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* The walk at both ends of every interval of t equals the interval list. */
static void check_every_edge(const struct ea_geo_table *t)
{
	for (size_t i = 0; i < t->ivl.n; i++) {
		const struct ea_ivl *iv = &t->ivl.v[i];
		ea_addr_t ends[2] = { iv->start, iv->end };

		for (int e = 0; e < 2; e++) {
			if (ea_geo_table_lookup(t, ends[e]) != iv->val.cc) {
				char buf[EA_ADDR_STRLEN];

				fail_msg("%s: walk %u, interval %u", ea_addr_format(ends[e], buf),
					 ea_geo_table_lookup(t, ends[e]), iv->val.cc);
			}
		}
	}
}

/* Nodes of kind reachable from slot s (tagged form), counted into n[]. */
static void count_reachable(const struct ea_geo_table *t, uint32_t s, uint32_t n[])
{
	unsigned int kind = s >> EA_TRIE_KIND_SHIFT;
	uint32_t per = ea_trie_kind_slots(kind);
	const uint32_t *slot;

	if (s & EA_TRIE_LEAF)
		return;
	n[kind]++;
	slot = t->nodes.slot[kind] + (size_t)(s & EA_TRIE_INDEX_MASK) * per;
	for (uint32_t b = 0; b < per; b++)
		count_reachable(t, slot[b], n);
}

/*
 * The shipped data: the compiled trie answers as the interval list at both
 * ends of all its intervals; IPv6 has wide nodes where ranges are dense,
 * IPv4 chunks only, and every node is reached once.
 */
static void test_full_table_every_edge(void **state)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_err err = { { 0 } };
	uint32_t n4[EA_TRIE_KINDS] = { 0 }, n6[EA_TRIE_KINDS] = { 0 };

	(void)state;
	if (ea_config_load(NULL, &cfg, &err) || ea_geo_table_build(&cfg, &t, &err))
		fail_msg("%s", err.msg);
	check_every_edge(&t);
	for (uint32_t r = 0; r < EA_TRIE_ROOT_SLOTS4; r++)
		count_reachable(&t, t.trie4.root[r], n4);
	for (uint32_t r = 0; r < EA_TRIE_ROOT_SLOTS6; r++)
		count_reachable(&t, t.trie6.root[r], n6);
	assert_true(n4[0] > 10000);
	assert_int_equal(n4[1] + n4[2], 0);
	assert_true(n6[1] > 100 && n6[2] > 10);
	for (int k = 0; k < EA_TRIE_KINDS; k++)
		assert_int_equal(n4[k] + n6[k], t.nodes.count[k]);
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/*
 * Dense ranges on both sides of bit 64 of IPv6 (every /68 of a /60 and
 * every /60 of a /48 alternating): wide nodes sit above and below the
 * halves but never across, and the walk still equals the interval list.
 */
static void test_wide_nodes_across_the_halves(void **state)
{
	struct fixture *f = *state;
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_err err = { { 0 } };
	char text[256];
	FILE *csv = fopen(f->files[2], "w");
	uint64_t s = 2463534242ull;

	assert_non_null(csv);
	for (unsigned int i = 0; i < 4096; i++)	/* /60s of 2001:db8:7::/48 */
		fprintf(csv, "2001:db8:7:%x%x%x0::,2001:db8:7:%x%x%xf:ffff:ffff:ffff:ffff,%s\n",
			i >> 8, (i >> 4) & 15, i & 15, i >> 8, (i >> 4) & 15, i & 15,
			i & 1 ? "US" : "DE");
	for (unsigned int i = 0; i < 256; i++)	/* /68s of 2001:db8:8::/60 */
		fprintf(csv, "2001:db8:8:%x:%x000::,2001:db8:8:%x:%xfff:ffff:ffff:ffff,%s\n",
			i >> 4, i & 15, i >> 4, i & 15, i & 1 ? "JP" : "FR");
	fclose(csv);
	snprintf(text, sizeof(text), "[geoip]\nfile = %s\n", f->files[2]);
	if (ea_config_parse_string("t.ini", text, &cfg, &err) ||
	    ea_geo_table_build(&cfg, &t, &err))
		fail_msg("%s", err.msg);
	check_every_edge(&t);
	assert_true(t.nodes.count[1] + t.nodes.count[2] > 0);
	for (int i = 0; i < 100000; i++) {
		ea_addr_t a = ((ea_addr_t)0x20010db8 << 96) | ((ea_addr_t)(7 + (i & 1)) << 80) |
			      (((ea_addr_t)xorshift(&s) << 64 | xorshift(&s)) >> 48);

		assert_int_equal(ea_geo_table_lookup(&t, a),
				 t.ivl.v[ea_ivl_find(&t.ivl, a)].val.cc);
	}
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
}

/* A bad GeoIP file fails the build with its name and line. */
static void test_bad_file_reported(void **state)
{
	struct fixture *f = *state;
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_err err = { { 0 } };
	char text[512], want[512];

	write_file(f->files[2], "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.0.255,CN\n");
	snprintf(text, sizeof(text), "[geoip]\nfile = %s\n", f->files[2]);
	assert_int_equal(ea_config_parse_string("t.ini", text, &cfg, &err), 0);
	assert_int_not_equal(ea_geo_table_build(&cfg, &t, &err), 0);
	snprintf(want, sizeof(want), "t.ini:2: [geoip] file %s:2: ", f->files[2]);
	assert_memory_equal(err.msg, want, strlen(want));
	ea_config_free(&cfg);
	/* a file that is not there is named by its key's line too */
	snprintf(text, sizeof(text), "[geoip]\n\nfile = %s/missing.csv\n", f->dir);
	assert_int_equal(ea_config_parse_string("t.ini", text, &cfg, &err), 0);
	assert_int_not_equal(ea_geo_table_build(&cfg, &t, &err), 0);
	snprintf(want, sizeof(want), "t.ini:3: [geoip] file %s/missing.csv: No such file "
		 "or directory", f->dir);
	assert_string_equal(err.msg, want);
	ea_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layering_later_file_wins),
		cmocka_unit_test(test_mapped_equals_ipv4),
		cmocka_unit_test(test_policy_precedence),
		cmocka_unit_test(test_most_specific_and_source),
		cmocka_unit_test(test_internal_ranges),
		cmocka_unit_test(test_label_allow_sets),
		cmocka_unit_test(test_host_label),
		cmocka_unit_test(test_trie_equals_intervals),
		cmocka_unit_test(test_full_table_every_edge),
		cmocka_unit_test(test_wide_nodes_across_the_halves),
		cmocka_unit_test(test_bad_file_reported),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
