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
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "record.h"
#include "report.h"
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
	struct ea_chain_ctx *cc = ea_chain_new();
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
				ea_chain_next(cc, chain, p, len);
				x->seq = seq++;
				memcpy(x->chain, chain, 32);
			}
		}
		ea_seg_close(&s);
	}
	ea_seg_list_free(&l);
	ea_chain_free(cc);
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

	snprintf(buf, sizeof(buf), "%s", list);
	while ((tok = strsep(&p, ",")))
		if (!strcmp(tok, item))
			return true;
	return false;
}

static bool any_in_list(const char *filter, const char *labels)
{
	char buf[256], *p = buf, *tok;

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
	if (!strcmp(o->name, "country"))
		return in_list(o->value, r->country ? ea_cc_format(r->country, cc) : "--");
	if (!strcmp(o->name, "label"))
		return any_in_list(o->value, r->labels);
	if (!strcmp(o->name, "comm"))
		return !fnmatch(o->value, r->comm, 0);
	if (!strcmp(o->name, "dst"))
		return ref_cidr(o->value, r->dst);
	if (!strcmp(o->name, "dport"))
		return ref_dport(o->value, r->dport);
	snprintf(num, sizeof(num), "%u", !strcmp(o->name, "pid") ? r->pid : r->uid);
	return in_list(o->value, num);
}

/* The reference: each option evaluated from its text. */
static bool ref_match(const struct opt *opts, const struct ea_rec *r)
{
	for (const struct opt *o = opts; o->name; o++) {
		const char *why;
		int64_t t;

		if (!strcmp(o->name, "since") || !strcmp(o->name, "until")) {
			assert_int_equal(ea_time_parse(o->value, 0, &t, &why), 0);
			if (o->name[0] == 's' ? r->ts_ns < t : r->ts_ns >= t)
				return false;
		} else if (!strcmp(o->name, "event")) {
			if (!in_list(o->value, ea_rec_kind_name(r->kind)) &&
			    !(in_list(o->value, "flow") && ea_rec_is_flow(r)))
				return false;
		} else if (!strcmp(o->name, "host")) {
			if (!in_list(o->value, r->host))
				return false;
		} else if (!ea_rec_is_flow(r) || !ref_flow_opt(o, r)) {
			return false;
		}
	}
	return true;
}
