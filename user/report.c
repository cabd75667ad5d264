// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Flows, bytes and packets grouped by keys (report.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "record.h"
#include "report.h"
#include "timeparse.h"
#include "util.h"
#include "version.h"

#define SEP	'\x1f'		/* between the values of a joined key */

static const char *const key_names[EA_KEY_MAX] = {
	"country", "zone", "verdict", "label", "comm", "dst", "host", "hour", "day",
	"cgroup", "uid", "proto", "dport",
};

/* A hash table from byte strings to indexes. */
struct ht_ent {
	uint64_t h;
	char *k;
	size_t klen, idx;
};

struct ht {
	struct ht_ent *e;
	size_t cap, n;
};

struct flow {
	char *vals;			/* the key values of its last record, joined */
	uint64_t bytes, packets;
};

struct ea_report {
	enum ea_report_key keys[EA_REPORT_KEYS];
	size_t nkeys;
	struct ht flows_ht, rows_ht;
	struct flow *flows;
	size_t nflows;
	struct ea_report_row *rows;
	size_t nrows;
};

/* The number after "key": in a detail object, or 0. */
static uint64_t detail_u64(const char *detail, const char *key)
{
	const char *p = strstr(detail, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/*
 * The quoted value after prefix at *p, of the characters in set, into out
 * (at most len - 1 of them); *p moves past its closing quote. False when
 * the text is not so.
 */
static bool take_quoted(const char **p, const char *prefix, const char *set, char *out,
			size_t len)
{
	size_t n;

	if (strncmp(*p, prefix, strlen(prefix)))
		return false;
	*p += strlen(prefix);
	n = strspn(*p, set);
	if (!n || n >= len || (*p)[n] != '"')
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + 1;
	return true;
}

/*
 * The build an agent_start names, as the agent writes its detail: version
 * first, then the commit (older agents: none). A detail that does not open
 * so names no build: a path in it cannot pass for one.
 */
static void add_build(struct ea_report_gaps *g, const char *detail)
{
	char version[24], commit[24], build[EA_REPORT_BUILD_LEN];
	const char *p = detail;

	if (!take_quoted(&p, "{\"version\":\"", "0123456789.abcdefghijklmnopqrstuvwxyz-+",
			 version, sizeof(version)))
		return;
	if (!take_quoted(&p, ",\"commit\":\"", "0123456789abcdef-dirty", commit, sizeof(commit)))
		commit[0] = '\0';
	ea_build_format(build, sizeof(build), version, commit);
	for (size_t i = 0; i < g->nbuilds; i++)
		if (!strcmp(g->builds[i], build))
			return;
	if (g->nbuilds == EA_REPORT_BUILDS) {
		g->other_builds++;
		return;
	}
	memcpy(g->builds[g->nbuilds++], build, sizeof(build));
}

int64_t ea_report_gap_since(const struct ea_rec *r)
{
	const char *p = strstr(r->detail, "\"since\":\""), *why;
	char text[40];
	int64_t t;

	if (!p || sscanf(p + 9, "%39[^\"]", text) != 1 || ea_time_parse(text, 0, &t, &why))
		return INT64_MIN;
	return t;
}

void ea_report_gaps_add(struct ea_report_gaps *g, const struct ea_rec *r)
{
	switch (r->kind) {
	case EA_REC_LOST:
		switch (ea_rec_lost_cause(r)) {
		case EA_LOST_REFUSED:
			g->lost_refused = ea_sat_add(g->lost_refused, r->count);
			break;
		case EA_LOST_SKIPPED:
			g->lost_skipped = ea_sat_add(g->lost_skipped, r->count);
			break;
		default:
			g->lost_ring = ea_sat_add(g->lost_ring, r->count);
		}
		break;
	case EA_REC_GAP:
		g->unwritten = ea_sat_add(g->unwritten, detail_u64(r->detail, "\"records\":"));
		break;
	case EA_REC_TAMPER:
		g->tampers++;
		break;
	case EA_REC_AGENT_START:
		g->starts++;
		add_build(g, r->detail);
		break;
	case EA_REC_AGENT_STOP:
		g->stops++;
		break;
	default:
		break;
	}
}

const char *ea_report_builds_str(const struct ea_report_gaps *g,
				 char buf[EA_REPORT_BUILDS_STRLEN])
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->nbuilds; i++)
		n += (size_t)snprintf(buf + n, EA_REPORT_BUILDS_STRLEN - n, "%segress-audit %s",
				      i ? ", " : "", g->builds[i]);
	if (g->other_builds)
		snprintf(buf + n, EA_REPORT_BUILDS_STRLEN - n, " and %llu starts of other builds",
			 (unsigned long long)g->other_builds);
	return buf;
}

const char *ea_report_key_name(enum ea_report_key k)
{
	return k < EA_KEY_MAX ? key_names[k] : "?";
}

int ea_report_key_parse(const char *s)
{
	for (int k = 0; k < EA_KEY_MAX; k++)
		if (!strcmp(s, key_names[k]))
			return k;
	return -1;
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int ht_grow(struct ht *t)
{
	size_t cap = t->cap ? 2 * t->cap : 1024;
	struct ht_ent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->e[i].k)
			continue;
		for (j = t->e[i].h & (cap - 1); e[j].k; j = (j + 1) & (cap - 1))
			;
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

/* The entry for k (a new one, idx = *next, when absent); NULL on ENOMEM. */
static struct ht_ent *ht_get(struct ht *t, const void *k, size_t klen, size_t next, bool *fresh)
{
	uint64_t h = fnv(k, klen);
	char *copy;
	size_t j;

	if ((t->n + 1) * 2 > t->cap && ht_grow(t))
		return NULL;
	for (j = h & (t->cap - 1); t->e[j].k; j = (j + 1) & (t->cap - 1))
		if (t->e[j].h == h && t->e[j].klen == klen && !memcmp(t->e[j].k, k, klen)) {
			*fresh = false;
			return &t->e[j];
		}
	copy = malloc(klen ? klen : 1);
	if (!copy)
		return NULL;
	memcpy(copy, k, klen);
	t->e[j] = (struct ht_ent){ .h = h, .k = copy, .klen = klen, .idx = next };
	t->n++;
	*fresh = true;
	return &t->e[j];
}

static void ht_free(struct ht *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].k);
	free(t->e);
}

struct ea_report *ea_report_new(const enum ea_report_key *keys, size_t nkeys)
{
	struct ea_report *rp = calloc(1, sizeof(*rp));

	if (!rp || nkeys > EA_REPORT_KEYS) {
		free(rp);
		return NULL;
	}
	memcpy(rp->keys, keys, nkeys * sizeof(*keys));
	rp->nkeys = nkeys;
	return rp;
}

const char *ea_report_value(enum ea_report_key k, const struct ea_rec *r, char *buf,
			    size_t len)
{
	char t[40];

	switch (k) {
	case EA_KEY_COUNTRY:
		return r->country ? ea_cc_format(r->country, buf) : "--";
	case EA_KEY_ZONE:
		return ea_zone_name(r->zone);
	case EA_KEY_VERDICT:
		return ea_verdict_name(r->verdict);
	case EA_KEY_LABEL:
		return r->labels[0] ? r->labels : "-";
	case EA_KEY_COMM:
		return r->comm;
	case EA_KEY_DST:
		return len >= EA_ADDR_STRLEN ? ea_addr_format(ea_addr_from_bytes(r->dst), buf) : "";
	case EA_KEY_HOST:
		return r->host;
	case EA_KEY_HOUR:
	case EA_KEY_DAY:
		ea_format_time(r->start_ns, t);
		snprintf(buf, len, "%.*s", k == EA_KEY_DAY ? 10 : 13, t);
		return buf;
	case EA_KEY_CGROUP:
		return r->cgroup[0] ? r->cgroup : "-";
	case EA_KEY_UID:
		snprintf(buf, len, "%u", r->uid);
		return buf;
	case EA_KEY_PROTO:
		return ea_proto_name(r->proto);
	case EA_KEY_DPORT:
		snprintf(buf, len, "%u", r->dport);
		return buf;
	default:
		return "";
	}
}

/* What makes a flow one: host, cookie, start, addresses, ports, protocol. */
static size_t flow_id(const struct ea_rec *r, uint8_t *buf)
{
	size_t hl = strnlen(r->host, sizeof(r->host));
	size_t n = 0;

	memcpy(buf, r->host, hl);
	n += hl;
	buf[n++] = 0;
	memcpy(buf + n, &r->cookie, 8);
	memcpy(buf + n + 8, &r->start_ns, 8);
	memcpy(buf + n + 16, r->src, 16);
	memcpy(buf + n + 32, r->dst, 16);
	memcpy(buf + n + 48, &r->sport, 2);
	memcpy(buf + n + 50, &r->dport, 2);
	buf[n + 52] = r->ip_proto;
	buf[n + 53] = r->origin;
	memcpy(buf + n + 54, &r->ifindex, 4);
	return n + 58;
}

/* The key values of r joined by SEP into a new string. */
static char *join_values(const struct ea_report *rp, const struct ea_rec *r)
{
	size_t cap = 64, n = 0;
	char *s = malloc(cap), buf[64];

	for (size_t i = 0; s && i < rp->nkeys; i++) {
		const char *v = ea_report_value(rp->keys[i], r, buf, sizeof(buf));
		size_t len = strlen(v);

		if (n + len + 2 > cap) {
			char *t = realloc(s, cap = n + len + 64);

			if (!t) {
				free(s);
				return NULL;
			}
			s = t;
		}
		if (i)
			s[n++] = SEP;
		for (size_t j = 0; j < len; j++)	/* a separator in a name would split it */
			s[n++] = v[j] == SEP ? '?' : v[j];
	}
	if (s)
		s[n] = '\0';
	return s;
}

int ea_report_add(struct ea_report *rp, const struct ea_rec *r)
{
	uint8_t id[EA_REC_HOST_MAX + 64];
	struct ht_ent *e;
	struct flow *f;
	bool fresh;

	if (!ea_rec_is_flow(r))
		return 0;
	e = ht_get(&rp->flows_ht, id, flow_id(r, id), rp->nflows, &fresh);
	if (!e)
		return -ENOMEM;
	if (fresh) {
		f = realloc(rp->flows, (rp->nflows + 1) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		rp->flows = f;
		rp->flows[rp->nflows++] = (struct flow){ 0 };
	}
	f = &rp->flows[e->idx];
	free(f->vals);
	f->vals = join_values(rp, r);
	f->bytes = r->bytes;
	f->packets = r->packets;
	return f->vals ? 0 : -ENOMEM;
}

/* Add a flow's totals to the row of the joined key k. */
static int add_to_row(struct ea_report *rp, const char *k, const struct flow *f)
{
	struct ea_report_row *row;
	struct ht_ent *e;
	bool fresh;

	e = ht_get(&rp->rows_ht, k, strlen(k), rp->nrows, &fresh);
	if (!e)
		return -ENOMEM;
	if (fresh) {
		row = realloc(rp->rows, (rp->nrows + 1) * sizeof(*row));
		if (!row)
			return -ENOMEM;
		rp->rows = row;
		memset(&rp->rows[rp->nrows++], 0, sizeof(*row));
	}
	row = &rp->rows[e->idx];
	row->flows++;
	row->bytes = ea_sat_add(row->bytes, f->bytes);
	row->packets = ea_sat_add(row->packets, f->packets);
	return 0;
}

/* Whether the label p[0..len) comes earlier in the list that starts at labels. */
static bool label_seen(const char *labels, const char *p, size_t len)
{
	for (const char *q = labels; q < p;) {
		size_t n = strcspn(q, ",\x1f");

		if (n == len && !strncmp(q, p, len))
			return true;
		q += n + (q[n] == ',');
	}
	return false;
}

/* A flow into its row, or into one row per label when grouping by label. */
static int group_flow(struct ea_report *rp, const struct flow *f)
{
	size_t li = rp->nkeys, pre = 0, len, rows = 0;
	const char *v = f->vals, *labels, *end;
	char *k;
	int err = 0;

	for (size_t i = 0; i < rp->nkeys && li == rp->nkeys; i++)
		if (rp->keys[i] == EA_KEY_LABEL)
			li = i;
	if (li == rp->nkeys)
		return add_to_row(rp, v, f);
	for (size_t i = 0; i < li; i++)
		pre += strcspn(v + pre, "\x1f") + 1;
	labels = v + pre;
	end = labels + strcspn(labels, "\x1f");
	k = malloc(strlen(v) + 2);
	if (!k)
		return -ENOMEM;
	for (const char *p = labels; !err && p < end;) {
		len = strcspn(p, ",\x1f");
		/* each label once, and none empty (a hostile trail's "a,,a") */
		if (len && !label_seen(labels, p, len)) {
			snprintf(k, strlen(v) + 2, "%.*s%.*s%s", (int)pre, v, (int)len, p, end);
			err = add_to_row(rp, k, f);
			rows++;
		}
		p += len + (p[len] == ',');
	}
	if (!err && !rows) {	/* only empty labels (","): as a flow with none */
		snprintf(k, strlen(v) + 2, "%.*s-%s", (int)pre, v, end);
		err = add_to_row(rp, k, f);
	}
	free(k);
	return err;
}

static int row_cmp(const void *a, const void *b)
{
	const struct ea_report_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	for (int i = 0; i < EA_REPORT_KEYS && x->key[i]; i++) {
		int c = strcmp(x->key[i], y->key[i]);

		if (c)
			return c;
	}
	return 0;
}

/* Each row's key values out of its joined key. */
static int split_keys(struct ea_report *rp)
{
	for (size_t i = 0; i < rp->rows_ht.cap; i++) {
		struct ht_ent *e = &rp->rows_ht.e[i];
		struct ea_report_row *row;
		char *s, *p;

		if (!e->k)
			continue;
		row = &rp->rows[e->idx];
		s = malloc(e->klen + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, e->k, e->klen);
		s[e->klen] = '\0';
		p = s;
		for (size_t k = 0; k < rp->nkeys; k++)
			row->key[k] = strsep(&p, "\x1f");
		if (!rp->nkeys)
			free(s);
	}
	return 0;
}

int ea_report_finish(struct ea_report *rp, const struct ea_report_row **rows, size_t *n)
{
	int err = 0;

	for (size_t i = 0; !err && i < rp->nflows; i++)
		err = group_flow(rp, &rp->flows[i]);
	if (!err)
		err = split_keys(rp);
	if (err)
		return err;
	qsort(rp->rows, rp->nrows, sizeof(*rp->rows), row_cmp);
	*rows = rp->rows;
	*n = rp->nrows;
	return 0;
}

uint64_t ea_report_flows(const struct ea_report *rp)
{
	return rp->nflows;
}

void ea_report_free(struct ea_report *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->nflows; i++)
		free(rp->flows[i].vals);
	for (size_t i = 0; i < rp->nrows && rp->nkeys; i++)
		free(rp->rows[i].key[0]);
	ht_free(&rp->flows_ht);
	ht_free(&rp->rows_ht);
	free(rp->flows);
	free(rp->rows);
	free(rp);
}
