// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of query filters and the scan (user/query_*.c): every filter,
 * alone and combined, gives exactly what a brute-force reference gives over
 * generated trails of two hosts (every record decoded, the chain recomputed,
 * each filter evaluated here from its option text); time-bounded scans read
 * less; bad values are refused with a message naming the option.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "community_id.h"
#include "config.h"
#include "record.h"
#include "report.h"
#include "timeparse.h"
#include "trail_read.h"
#include "trail_test_util.h"

#define NS		1000000000ll
#define NREC		2500
#define MAX_OPTS	4

/* A record as the reference keeps it. */
struct ref {
	uint64_t seq;
	uint8_t chain[32];
	struct ea_rec r;
};

static struct {
	char *log;
	char dirs[2][600];
	struct ref *refs;
	size_t nrefs;
} g;

struct opt {
	const char *name, *value;
};

/* Every record of a trail, decoded the plain way, chain recomputed. */
static void load_refs(const char *dir)
{
	struct ea_seg_list l;
	uint8_t chain[32] = { 0 };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_int_equal(ea_seg_list(dfd, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		struct ea_seg_reader s;
		const char *why;
		char name[40];
		const uint8_t *p;
		size_t len;

		ea_seg_name(name, l.seq[i], "eat");
		assert_int_equal(ea_seg_open(&s, dfd, name, &why), 0);
		while (ea_seg_next_block(&s, &why) == 1) {
			uint64_t seq = s.blk.first_seq;

			assert_int_equal(ea_seg_load_block(&s, &why), 0);
			while (ea_seg_next_record(&s, &p, &len, &why) == 1) {
				struct ref *x;

				g.refs = realloc(g.refs, (g.nrefs + 1) * sizeof(*g.refs));
				x = &g.refs[g.nrefs++];
				assert_int_equal(ea_rec_decode(s.ctx, p, len, &x->r, &why), 0);
				ea_chain_next(chain, p, len);
				x->seq = seq++;
				memcpy(x->chain, chain, 32);
			}
		}
		ea_seg_close(&s);
	}
	ea_seg_list_free(&l);
	close(dfd);
}

static int setup(void **state)
{
	struct ea_trail_opts o;
	const char *hosts[2] = { "h1", "h2" };

	(void)state;
	g.log = tt_tmpdir();
	for (int h = 0; h < 2; h++) {
		struct ea_rec *r = malloc(sizeof(*r));
		struct ea_err err = { { 0 } };
		struct ea_trail *t;
		struct ea_synth s;

		tt_opts(&o, g.log);
		o.host = hosts[h];
		o.rotate_size = 12000;
		assert_int_equal(ea_trail_open(&t, &o, &err), 0);
		ea_synth_init(&s, (uint64_t)h + 21, hosts[h], TT_START_NS + h * 60 * NS, r);
		for (int i = 0; i < NREC; i++) {
			ea_synth_next(&s, r);
			assert_int_equal(ea_trail_append(t, r), 0);
		}
		assert_int_equal(ea_trail_close(t), 0);
		free(r);
		snprintf(g.dirs[h], sizeof(g.dirs[h]), "%s/%s", g.log, hosts[h]);
		load_refs(g.dirs[h]);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_rmdir(g.log);
	free(g.refs);
	return 0;
}

/* The items of a comma-separated list, one at a time. */
static bool in_list(const char *list, const char *item)
{
	char buf[256], *p = buf, *tok;

	snprintf(buf, sizeof(buf), "%.255s", list);
	while ((tok = strsep(&p, ",")))
		if (!strcmp(tok, item))
			return true;
	return false;
}

static bool any_in_list(const char *filter, const char *labels)
{
	char buf[EA_REC_LABELS_MAX], *p = buf, *tok;

	snprintf(buf, sizeof(buf), "%s", labels);
	while ((tok = strsep(&p, ",")))
		if (*tok && in_list(filter, tok))
			return true;
	return false;
}

/* dst within CIDR text (IPv4 ones apply to IPv4-mapped addresses). */
static bool ref_cidr(const char *cidr, const uint8_t dst[16])
{
	char addr[64];
	uint8_t net[16] = { 0 };
	int len;

	assert_int_equal(sscanf(cidr, "%63[^/]/%d", addr, &len), 2);
	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, net), 1);
	} else {
		net[10] = net[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, addr, net + 12), 1);
		len += 96;
	}
	for (int b = 0; b < len; b++)
		if ((net[b / 8] ^ dst[b / 8]) & (0x80 >> (b % 8)))
			return false;
	return true;
}

static bool ref_dport(const char *v, unsigned int port)
{
	char buf[128], *p = buf, *tok;

	snprintf(buf, sizeof(buf), "%s", v);
	while ((tok = strsep(&p, ","))) {
		unsigned int lo, hi;

		if (sscanf(tok, "%u-%u", &lo, &hi) != 2)
			hi = lo;
		if (port >= lo && port <= hi)
			return true;
	}
	return false;
}

static bool ref_flow_opt(const struct opt *o, const struct ea_rec *r)
{
	char num[32], cc[3];

	if (!strcmp(o->name, "verdict"))
		return in_list(o->value, ea_verdict_name(r->verdict));
	if (!strcmp(o->name, "zone"))
		return in_list(o->value, ea_zone_name(r->zone));
	if (!strcmp(o->name, "proto"))
		return in_list(o->value, ea_proto_name(r->proto));
	if (!strcmp(o->name, "country")) {
		char upper[128];

		for (size_t i = 0; i < sizeof(upper); i++)
			if (!(upper[i] = (char)toupper((unsigned char)o->value[i])))
				break;
		return in_list(upper, r->country ? ea_cc_format(r->country, cc) : "--");
	}
	if (!strcmp(o->name, "label"))
		return any_in_list(o->value, r->labels);
	if (!strcmp(o->name, "comm"))
		return !fnmatch(o->value, r->comm, 0);
	if (!strcmp(o->name, "dst"))
		return ref_cidr(o->value, r->dst);
	if (!strcmp(o->name, "dport"))
		return ref_dport(o->value, r->dport);
	if (!strcmp(o->name, "community-id")) {
		char id[EA_COMMUNITY_ID_LEN];

		return ea_community_id(r, id) && in_list(o->value, id);
	}
	snprintf(num, sizeof(num), "%u", !strcmp(o->name, "pid") ? r->pid : r->uid);
	return in_list(o->value, num);
}

/* One option evaluated from its text. */
static bool ref_opt(const struct opt *o, const struct ea_rec *r)
{
	const char *why;
	int64_t t;

	if (!strcmp(o->name, "since") || !strcmp(o->name, "until")) {
		assert_int_equal(ea_time_parse(o->value, 0, &t, &why), 0);
		return o->name[0] == 's' ? r->ts_ns >= t : r->ts_ns < t;
	}
	if (!strcmp(o->name, "event"))
		return in_list(o->value, ea_rec_kind_name(r->kind)) ||
		       (in_list(o->value, "flow") && ea_rec_is_flow(r));
	if (!strcmp(o->name, "host"))
		return in_list(o->value, r->host);
	return ea_rec_is_flow(r) && ref_flow_opt(o, r);
}

/* The reference: options of one name are alternatives (times narrow),
 * different names must all hold. */
static bool ref_match(const struct opt *opts, const struct ea_rec *r)
{
	for (const struct opt *o = opts; o->name; o++) {
		bool time = !strcmp(o->name, "since") || !strcmp(o->name, "until");
		bool any = false;

		if (time) {
			if (!ref_opt(o, r))
				return false;
			continue;
		}
		for (const struct opt *p = opts; p->name; p++)
			any = any || (!strcmp(p->name, o->name) && ref_opt(p, r));
		if (!any)
			return false;
	}
	return true;
}

struct got {
	uint64_t *seq;
	uint8_t (*chain)[32];
	char (*host)[8];
	size_t n;
};

static int collect(void *ctx, const struct ea_rec *r)
{
	struct got *g2 = ctx;

	g2->seq = realloc(g2->seq, (g2->n + 1) * sizeof(*g2->seq));
	g2->chain = realloc(g2->chain, (g2->n + 1) * sizeof(*g2->chain));
	g2->host = realloc(g2->host, (g2->n + 1) * sizeof(*g2->host));
	g2->seq[g2->n] = r->seq;
	memcpy(g2->chain[g2->n], r->chain, 32);
	snprintf(g2->host[g2->n], sizeof(g2->host[0]), "%.7s", r->host);
	g2->n++;
	return 0;
}

/* A filter from options, through the same code as the commands. */
static void build_filter(struct ea_filter *f, const struct opt *opts)
{
	struct option lo[EA_FILTER_NOPTS + 1];
	struct ea_err err = { { 0 } };

	memset(f, 0, sizeof(*f));
	ea_filter_options(lo);
	for (const struct opt *o = opts; o->name; o++) {
		int val = -1;

		for (int i = 0; lo[i].name; i++)
			if (!strcmp(lo[i].name, o->name))
				val = lo[i].val;
		assert_true(val >= 0);
		if (ea_filter_add(f, val, o->value, 0, &err))
			fail_msg("--%s %s: %s", o->name, o->value, err.msg);
	}
}

/* The scan over both trails equals the reference; returns bytes read. */
static uint64_t check_query(const struct opt *opts)
{
	struct got got = { 0 };
	struct ea_filter f;
	struct ea_scan sc;
	size_t k = 0;

	build_filter(&f, opts);
	sc = (struct ea_scan){ .f = &f, .want_chain = true, .fn = collect, .ctx = &got };
	for (int h = 0; h < 2; h++)
		assert_int_equal(ea_scan_trail(&sc, g.dirs[h]), 0);
	assert_string_equal(sc.err, "");
	for (size_t i = 0; i < g.nrefs; i++) {
		const struct ref *x = &g.refs[i];

		if (!ref_match(opts, &x->r))
			continue;
		if (k >= got.n)
			fail_msg("--%s %s: seq %llu of %s missing", opts[0].name, opts[0].value,
				 (unsigned long long)x->seq, x->r.host);
		if (got.seq[k] != x->seq || strcmp(got.host[k], x->r.host))
			fail_msg("--%s %s: match %zu is %s seq %llu, want %s seq %llu", opts[0].name,
				 opts[0].value, k, got.host[k], (unsigned long long)got.seq[k],
				 x->r.host, (unsigned long long)x->seq);
		assert_memory_equal(got.chain[k], x->chain, 32);
		k++;
	}
	assert_int_equal(k, got.n);
	assert_int_equal(sc.st.matched, got.n);
	ea_filter_free(&f);
	free(got.seq);
	free(got.chain);
	free(got.host);
	return sc.st.bytes_read;
}

#define Q(...)	check_query((const struct opt[]){ __VA_ARGS__, { NULL, NULL } })

/*
 * --community-id: the IDs of two flows of the trails, one of them with a
 * stranger's; the flows that share a 5-tuple match together.
 */
static void test_community_id_filter(void)
{
	char ids[2][EA_COMMUNITY_ID_LEN], list[3 * EA_COMMUNITY_ID_LEN];
	size_t n = 0;

	for (size_t i = 0; i < g.nrefs && n < 2; i++)
		if (ea_community_id(&g.refs[i].r, ids[n]) && (!n || strcmp(ids[0], ids[n])))
			n++;
	assert_int_equal(n, 2);
	Q({ "community-id", ids[0] });
	snprintf(list, sizeof(list), "%s,1:AAAAAAAAAAAAAAAAAAAAAAAAAAA=", ids[1]);
	Q({ "community-id", list });
	Q({ "community-id", "1:AAAAAAAAAAAAAAAAAAAAAAAAAAA=" });
}

static void test_each_filter(void **state)
{
	(void)state;
	Q({ "since", "2025-11-24T16:00:01Z" });
	Q({ "until", "2025-11-24T16:00:01.5Z" });
	Q({ "event", "flow_end" });
	Q({ "event", "lost,heartbeat,checkpoint" });
	Q({ "event", "flow" });
	Q({ "verdict", "flagged" });
	Q({ "verdict", "allowed,blocked" });
	Q({ "country", "US,cn" });
	Q({ "country", "--" });
	Q({ "zone", "third" });
	Q({ "zone", "eu,eea" });
	Q({ "label", "pii" });
	Q({ "label", "finance,pii" });
	Q({ "comm", "evil*" });
	Q({ "comm", "python3" });
	Q({ "comm", "a,b;c=d" });
	Q({ "pid", "1003,1004" });
	Q({ "uid", "0" });
	Q({ "dst", "20.0.0.0/6" });
	Q({ "dst", "2a00::/12" });
	Q({ "dst", "::/0" });
	Q({ "dport", "443" });
	Q({ "dport", "20-60,5000-6000" });
	Q({ "proto", "udp" });
	Q({ "host", "h2" });
	test_community_id_filter();
}

static void test_combined_filters(void **state)
{
	(void)state;
	Q({ "country", "US" }, { "verdict", "flagged" });
	Q({ "since", "2025-11-24T16:00:01Z" }, { "until", "2025-11-24T16:01:01Z" },
	  { "zone", "third" }, { "host", "h1,h2" });
	Q({ "label", "pii" }, { "dport", "443" }, { "proto", "tcp" }, { "uid", "1000,1001" });
	Q({ "event", "flow_start,lost" }, { "host", "h1" });
	Q({ "comm", "*" }, { "comm", "curl" });
}

/* A time range reads only what overlaps it. */
static void test_time_bound_reads_less(void **state)
{
	uint64_t all, part;

	(void)state;
	all = Q({ "event", "flow" });
	part = Q({ "since", "2025-11-24T16:01:01Z" }, { "until", "2025-11-24T16:01:01.2Z" });
	assert_true(part * 5 < all);
}

static void expect_refused(const char *name, const char *value, const char *msg)
{
	struct option lo[EA_FILTER_NOPTS + 1];
	struct ea_err err = { { 0 } };
	struct ea_filter f = { 0 };
	int val = -1;

	ea_filter_options(lo);
	for (int i = 0; lo[i].name; i++)
		if (!strcmp(lo[i].name, name))
			val = lo[i].val;
	assert_int_equal(ea_filter_add(&f, val, value, 0, &err), -EINVAL);
	if (!strstr(err.msg, msg) || strncmp(err.msg, "--", 2) || !strstr(err.msg, name))
		fail_msg("--%s %s: message '%s'", name, value, err.msg);
	ea_filter_free(&f);
}

/*
 * One --since and one --until: a second is refused, not taken for an
 * alternative; -j and --csv exclude each other (and --html in report).
 */
static void test_refused_twice(void **state)
{
	struct option lo[EA_FILTER_NOPTS + 1];
	struct ea_global_opts g = { .json = true };
	struct ea_err err = { { 0 } };
	struct ea_filter f = { 0 };
	char *query[] = { "query", "--log-dir", "/nonexistent", "--csv", NULL };
	char *report[] = { "report", "--log-dir", "/nonexistent", "--html", "/nonexistent/r",
			   "--csv", NULL };
	char *out;
	int rc;

	(void)state;
	ea_filter_options(lo);
	for (int i = 0; i < 2; i++) {
		int val = EA_FILTER_OPT + i;	/* since, until */

		assert_int_equal(ea_filter_add(&f, val, "2025-11-24", 0, &err), 0);
		assert_int_equal(ea_filter_add(&f, val, "2025-11-25", 0, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "given twice"));
		assert_non_null(strstr(err.msg, lo[i].name));
	}
	ea_filter_free(&f);
	out = tt_run_cmd(cmd_query, &g, query, 4, &rc);
	assert_int_equal(rc, 2);
	free(out);
	for (int n = 5; n <= 6; n++) {	/* -j --html F, then --html F --csv */
		g.json = n == 5;
		out = tt_run_cmd(cmd_report, &g, report, n, &rc);
		assert_int_equal(rc, 2);
		free(out);
	}
}

/*
 * A word that is the value of a command option is never a global option:
 * --comm -h selects comm "-h" (no help), --country -- -j selects flows of
 * no country and -j after it asks for JSON.
 */
static void test_option_values(void **state)
{
	struct ea_global_opts go = { 0 };
	char *comm[] = { "query", "--log-dir", g.log, "--comm", "-h", NULL };
	char *country[] = { "query", "--log-dir", g.log, "--country", "--", "-j", "--limit",
			    "1", NULL };
	char *out;
	int rc;

	(void)state;
	out = tt_run_cmd(cmd_query, &go, comm, 5, &rc);
	assert_int_equal(rc, 0);
	assert_true(!strncmp(out, "SEQ ", 4) && !strchr(out, '\n')[1]);
	free(out);
	assert_false(go.json);
	out = tt_run_cmd(cmd_query, &go, country, 8, &rc);
	assert_int_equal(rc, 0);
	assert_true(go.json);
	assert_int_equal(out[0], '{');
	free(out);
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_refused("since", "yesterday", "not a time");
	expect_refused("until", "2025-02-30", "no such date");
	expect_refused("event", "flow_begin", "not an event");
	expect_refused("verdict", "ok", "not a verdict");
	expect_refused("country", "USA", "not a country code");
	expect_refused("country", "U1", "not a country code");
	expect_refused("country", "DE,uk", "write 'GB'");
	expect_refused("zone", "mars", "not a zone");
	expect_refused("pid", "-1", "not a number");
	expect_refused("uid", "4294967296", "not a number");
	expect_refused("dst", "10.0.0.1/8", "host bits");
	expect_refused("dst", "example.org", "not an address");
	expect_refused("dport", "70000", "out of range");
	expect_refused("dport", "90-80", "out of range");
	expect_refused("dport", "http", "not a port");
	expect_refused("proto", "sctp", "not a protocol");
	expect_refused("label", "a,,b", "empty name");
	/* an empty value or item selects nothing: refused, never ignored */
	expect_refused("verdict", "", "empty value");
	expect_refused("event", "", "empty value");
	expect_refused("country", "DE,", "empty value");
	expect_refused("zone", ",eu", "empty value");
	expect_refused("pid", "", "empty value");
	expect_refused("uid", "0,,1", "empty value");
	expect_refused("dst", "", "empty value");
	expect_refused("dport", "443,", "empty value");
	expect_refused("proto", "", "empty value");
	/* an item too long to hold is shown as given, cut */
	expect_refused("country", "DEUTSCHLAND", "'DEUTSCHLAND': not a country code");
	expect_refused("community-id", "1:abc", "not a Community ID");
	expect_refused("community-id", "2:wCb3OG7yAFWelaUydu0D+125CLM=", "not a Community ID");
	expect_refused("community-id", "1:wCb3OG7yAFWelaUydu0D+125CL!=", "not a Community ID");
}

/* The reference of report: flows by identity, last record wins. */
struct rflow {
	char id[400];
	size_t last;		/* index into g.refs */
};

static int rflow_cmp(const void *a, const void *b)
{
	const struct rflow *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->last < y->last ? -1 : x->last > y->last;
}

static void ref_value(enum ea_report_key k, const struct ea_rec *r, char *buf, size_t len)
{
	char cc[3], addr[64];
	time_t secs = (time_t)(r->start_ns / NS);
	struct tm tm;

	switch (k) {
	case EA_KEY_COUNTRY:
		snprintf(buf, len, "%s", r->country ? ea_cc_format(r->country, cc) : "--");
		break;
	case EA_KEY_ZONE:
		snprintf(buf, len, "%s", ea_zone_name(r->zone));
		break;
	case EA_KEY_VERDICT:
		snprintf(buf, len, "%s", ea_verdict_name(r->verdict));
		break;
	case EA_KEY_COMM:
		snprintf(buf, len, "%s", r->comm);
		break;
	case EA_KEY_DST:
		snprintf(buf, len, "%s", ea_addr_format(ea_addr_from_bytes(r->dst), addr));
		break;
	case EA_KEY_HOST:
		snprintf(buf, len, "%s", r->host);
		break;
	case EA_KEY_CGROUP:
		snprintf(buf, len, "%.290s", r->cgroup[0] ? r->cgroup : "-");	/* synth: short */
		break;
	case EA_KEY_UID:
		snprintf(buf, len, "%u", r->uid);
		break;
	case EA_KEY_PROTO:
		snprintf(buf, len, "%s", r->proto == EA_PROTO_TCP ? "tcp" :
			 r->proto == EA_PROTO_UDP ? "udp" : "other");
		break;
	case EA_KEY_DPORT:
		snprintf(buf, len, "%u", r->dport);
		break;
	default:
		if (r->start_ns < 0 && r->start_ns % NS)
			secs--;
		gmtime_r(&secs, &tm);
		strftime(buf, len, k == EA_KEY_DAY ? "%Y-%m-%d" : "%Y-%m-%dT%H", &tm);
	}
}

struct rgroup {
	char key[300];
	uint64_t flows, bytes, packets;
};

static void rgroup_add(struct rgroup **v, size_t *n, const char *key, const struct ea_rec *r)
{
	size_t i;

	for (i = 0; i < *n && strcmp((*v)[i].key, key); i++)
		;
	if (i == *n) {
		*v = realloc(*v, (*n + 1) * sizeof(**v));
		memset(&(*v)[i], 0, sizeof(**v));
		snprintf((*v)[i].key, sizeof((*v)[i].key), "%s", key);
		(*n)++;
	}
	(*v)[i].flows++;
	(*v)[i].bytes += r->bytes;
	(*v)[i].packets += r->packets;
}

/* One key (label expands to each label) or two keys joined with '|'. */
static void ref_group(const struct ea_rec *r, const enum ea_report_key *keys, size_t nkeys,
		      struct rgroup **v, size_t *n)
{
	char a[300], b[300], key[620], labels[EA_REC_LABELS_MAX], *p = labels, *tok;

	if (keys[0] != EA_KEY_LABEL) {
		ref_value(keys[0], r, a, sizeof(a));
		b[0] = '\0';
		if (nkeys > 1)
			ref_value(keys[1], r, b, sizeof(b));
		snprintf(key, sizeof(key), "%s|%s", a, b);
		rgroup_add(v, n, key, r);
		return;
	}
	snprintf(labels, sizeof(labels), "%s", r->labels[0] ? r->labels : "-");
	while ((tok = strsep(&p, ","))) {
		snprintf(key, sizeof(key), "%s|", tok);
		rgroup_add(v, n, key, r);
	}
}

static void check_report(const struct opt *opts, const enum ea_report_key *keys, size_t nkeys)
{
	struct ea_report *rp = ea_report_new(keys, nkeys);
	struct rflow *fl = calloc(g.nrefs, sizeof(*fl));
	const struct ea_report_row *rows;
	struct rgroup *grp = NULL;
	size_t nfl = 0, ngrp = 0, nrows;
	struct ea_filter f;

	build_filter(&f, opts);
	for (size_t i = 0; i < g.nrefs; i++) {
		const struct ea_rec *r = &g.refs[i].r;

		if (!ref_match(opts, r) || !ea_rec_is_flow(r))
			continue;
		assert_int_equal(ea_report_add(rp, r), 0);
		snprintf(fl[nfl].id, sizeof(fl[nfl].id), "%s/%llu/%lld/%u/%u/%u/%u/%u/%02x%02x%02x%02x"
			 "%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", r->host,
			 (unsigned long long)r->cookie, (long long)r->start_ns, r->sport, r->dport,
			 r->ip_proto, r->origin, r->ifindex, r->dst[0], r->dst[1], r->dst[2],
			 r->dst[3], r->dst[4], r->dst[5], r->dst[6], r->dst[7], r->dst[8], r->dst[9],
			 r->dst[10], r->dst[11], r->dst[12], r->dst[13], r->dst[14], r->dst[15]);
		fl[nfl++].last = i;
	}
	qsort(fl, nfl, sizeof(*fl), rflow_cmp);
	for (size_t i = 0; i < nfl; i++)
		if (i + 1 == nfl || strcmp(fl[i].id, fl[i + 1].id))
			ref_group(&g.refs[fl[i].last].r, keys, nkeys, &grp, &ngrp);
	assert_int_equal(ea_report_finish(rp, &rows, &nrows), 0);
	assert_int_equal(nrows, ngrp);
	for (size_t i = 0; i < nrows; i++) {
		char key[620];
		size_t j;

		snprintf(key, sizeof(key), "%s|%s", rows[i].key[0], nkeys > 1 ? rows[i].key[1] : "");
		for (j = 0; j < ngrp && strcmp(grp[j].key, key); j++)
			;
		if (j == ngrp)
			fail_msg("report group '%s' not in the reference", key);
		assert_int_equal(rows[i].flows, grp[j].flows);
		assert_int_equal(rows[i].bytes, grp[j].bytes);
		assert_int_equal(rows[i].packets, grp[j].packets);
		if (i)
			assert_true(rows[i - 1].bytes >= rows[i].bytes);
	}
	ea_report_free(rp);
	ea_filter_free(&f);
	free(fl);
	free(grp);
}

#define R(keys, ...) check_report((const struct opt[]){ __VA_ARGS__, { NULL, NULL } }, \
				  keys, sizeof(keys) / sizeof(keys[0]))

static void test_report(void **state)
{
	static const enum ea_report_key by_country[] = { EA_KEY_COUNTRY };
	static const enum ea_report_key by_label[] = { EA_KEY_LABEL };
	static const enum ea_report_key by_zone_verdict[] = { EA_KEY_ZONE, EA_KEY_VERDICT };
	static const enum ea_report_key by_comm_host[] = { EA_KEY_COMM, EA_KEY_HOST };
	static const enum ea_report_key by_dst[] = { EA_KEY_DST };
	static const enum ea_report_key by_hour_day[] = { EA_KEY_HOUR, EA_KEY_DAY };
	static const enum ea_report_key by_cgroup_uid[] = { EA_KEY_CGROUP, EA_KEY_UID };
	static const enum ea_report_key by_proto_dport[] = { EA_KEY_PROTO, EA_KEY_DPORT };

	(void)state;
	R(by_country, { "event", "flow" });
	R(by_label, { "event", "flow" });
	R(by_zone_verdict, { "host", "h1" });
	R(by_comm_host, { "since", "2025-11-24T16:00:01Z" });
	R(by_dst, { "country", "US,CN" }, { "verdict", "flagged" });
	R(by_hour_day, { "dport", "443" });
	R(by_cgroup_uid, { "event", "flow" });
	R(by_proto_dport, { "verdict", "flagged,blocked" });
}

/* A label a hostile trail lists twice, or empty, counts its flow once. */
static void test_report_label_once(void **state)
{
	static const enum ea_report_key by_label[] = { EA_KEY_LABEL };
	struct ea_report *rp = ea_report_new(by_label, 1);
	const struct ea_report_row *rows;
	struct ea_rec r;
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.kind = EA_REC_FLOW_END;
	r.cookie = 1;
	r.bytes = 10;
	r.packets = 1;
	snprintf(r.labels, sizeof(r.labels), "pii,,pii");
	assert_int_equal(ea_report_add(rp, &r), 0);
	assert_int_equal(ea_report_finish(rp, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].key[0], "pii");
	assert_int_equal(rows[0].flows, 1);
	ea_report_free(rp);
}

/* What a report's window may be missing: each kind of record, hostile details. */
static void test_report_gaps(void **state)
{
	static const struct {
		uint32_t kind;
		uint64_t count;
		const char *detail;
	} recs[] = {
		{ EA_REC_LOST, 5, "" },
		{ EA_REC_LOST, 7, "{\"reason\":\"flood_limit\",\"pid\":9,\"comm\":\"x\"}" },
		/* a comm that spells the reason is not a refusal */
		{ EA_REC_LOST, 11, "{\"comm\":\"{\\\"reason\\\":\\\"flood_limit\\\"\"}" },
		{ EA_REC_LOST, 2, "{\"reason\":\"skipped\",\"program\":\"tcp_state\"}" },
		{ EA_REC_LOST, 3, "{\"reason\":\"skipped\",\"program\":\"tcp_send\"}" },
		{ EA_REC_GAP, 0, "{\"records\":12,\"since\":\"a\",\"until\":\"b\"}" },
		{ EA_REC_GAP, 0, "{\"since\":\"a\"}" },
		{ EA_REC_GAP, 0, "{\"records\":\"x\"}" },
		{ EA_REC_TAMPER, 0, "{}" },
		{ EA_REC_AGENT_START, 0, "{}" },
		{ EA_REC_AGENT_STOP, 0, "{}" },
		{ EA_REC_AGENT_START, 0, "{\"version\":\"0.1.0\",\"commit\":\"0123456789ab\","
					 "\"config\":null}" },
		{ EA_REC_AGENT_START, 0, "{\"version\":\"0.1.0\",\"commit\":\"0123456789ab\"}" },
		{ EA_REC_AGENT_START, 0, "{\"version\":\"0.1\",\"config\":\"/etc/x\"}" },
		/* a build spelt by a path, or by a version that is not one, is none */
		{ EA_REC_AGENT_START, 0, "{\"config\":\"{\\\"version\\\":\\\"9.9\\\"\"}" },
		{ EA_REC_AGENT_START, 0, "{\"version\":\"<b>\",\"commit\":\"x\"}" },
		{ EA_REC_AGENT_START, 0, "{\"version\":\"0.2.0\",\"commit\":\"<b>\"}" },
		{ EA_REC_FLOW_START, 3, "" },
		{ EA_REC_HEARTBEAT, 4, "{\"records\":99}" },
	};
	struct ea_report_gaps g = { 0 };
	struct ea_rec *r = calloc(1, sizeof(*r));

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		memset(r, 0, sizeof(*r));
		r->kind = recs[i].kind;
		r->count = recs[i].count;
		snprintf(r->detail, sizeof(r->detail), "%s", recs[i].detail);
		ea_report_gaps_add(&g, r);
	}
	assert_int_equal(g.lost_ring, 16);
	assert_int_equal(g.lost_refused, 7);
	assert_int_equal(g.lost_skipped, 5);
	assert_int_equal(g.unwritten, 12);
	assert_int_equal(g.tampers, 1);
	assert_int_equal(g.starts, 7);
	assert_int_equal(g.stops, 1);	/* flow and heartbeat records count nowhere */
	assert_int_equal(g.nbuilds, 3);
	assert_string_equal(g.builds[0], "0.1.0 (commit 0123456789ab)");
	assert_string_equal(g.builds[1], "0.1");
	assert_string_equal(g.builds[2], "0.2.0");
	assert_int_equal(g.other_builds, 0);

	/* past EA_REPORT_BUILDS builds, the starts are counted */
	memset(&g, 0, sizeof(g));
	for (int i = 0; i < EA_REPORT_BUILDS + 2; i++) {
		memset(r, 0, sizeof(*r));
		r->kind = EA_REC_AGENT_START;
		snprintf(r->detail, sizeof(r->detail), "{\"version\":\"1.%d\"}", i);
		ea_report_gaps_add(&g, r);
	}
	assert_int_equal(g.nbuilds, EA_REPORT_BUILDS);
	assert_int_equal(g.other_builds, 2);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_filter),
		cmocka_unit_test(test_combined_filters),
		cmocka_unit_test(test_time_bound_reads_less),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_label_once),
		cmocka_unit_test(test_report_gaps),
		cmocka_unit_test(test_refused_twice),
		cmocka_unit_test(test_option_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
