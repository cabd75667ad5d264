// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The jurisdiction engine: GeoIP files + policy -> results + kernel trie. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "geo_import.h"
#include "geo_table.h"
#include "util.h"

#define EMBEDDED_GEOIP	"geo-whois-asn-country.csv.gz"

/* Address blocks that never leave the site: zone internal. */
static const struct {
	const char *cidr;
	const char *what;
} internal_ranges[] = {
	{ "0.0.0.0/8", "internal: this network (RFC 1122)" },
	{ "10.0.0.0/8", "internal: private (RFC 1918)" },
	{ "100.64.0.0/10", "internal: shared CGNAT space (RFC 6598)" },
	{ "127.0.0.0/8", "internal: loopback" },
	{ "169.254.0.0/16", "internal: link-local" },
	{ "172.16.0.0/12", "internal: private (RFC 1918)" },
	{ "192.168.0.0/16", "internal: private (RFC 1918)" },
	{ "224.0.0.0/4", "internal: multicast" },
	{ "255.255.255.255/32", "internal: broadcast" },
	{ "::/128", "internal: unspecified" },
	{ "::1/128", "internal: loopback" },
	{ "fc00::/7", "internal: unique local (RFC 4193)" },
	{ "fe80::/10", "internal: link-local" },
	{ "ff00::/8", "internal: multicast" },
};

/* Register a source name; returns its id or -ENOMEM / -E2BIG. */
static int add_source(struct ea_geo_table *t, const char *name)
{
	char **v;

	for (uint32_t i = 0; i < t->nsources; i++)
		if (!strcmp(t->sources[i], name))
			return (int)i;
	if (t->nsources >= UINT16_MAX)
		return -E2BIG;
	v = realloc(t->sources, (t->nsources + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->sources = v;
	v[t->nsources] = strdup(name);
	if (!v[t->nsources])
		return -ENOMEM;
	return (int)t->nsources++;
}

/* Replace *acc by acc overlaid with top; frees both inputs' storage. */
static int overlay_into(struct ea_ivl_list *acc, struct ea_ivl_list *top)
{
	struct ea_ivl_list out = { 0 };
	int err = ea_ivl_overlay(acc, top, &out);

	ea_ivl_list_free(acc);
	ea_ivl_list_free(top);
	if (err)
		return err;
	*acc = out;
	return 0;
}

/* "CONFIG:LINE: [geoip] file " before err's "FILE: problem" for file i. */
static void geo_file_err(const struct ea_config *cfg, size_t i, struct ea_err *err)
{
	char what[sizeof(err->msg)];

	if (!err || i >= cfg->geoip_files.n)
		return;
	memcpy(what, err->msg, sizeof(what));
	ea_err_set(err, "%s:%u: [geoip] file %s", cfg->path ? cfg->path : "(config)",
		   cfg->geoip_files.line[i], what);
}

/* Layer the GeoIP files in order: a later file overrides earlier ones. */
static int read_geo_layers(const struct ea_config *cfg, struct ea_geo_table *t,
			   struct ea_ivl_list *geo, struct ea_err *err)
{
	char buf[4096];
	const char *embedded[1];
	const char *const *files = (const char *const *)cfg->geoip_files.v;
	size_t nfiles = cfg->geoip_files.n;

	if (!nfiles) {
		embedded[0] = ea_data_file(EMBEDDED_GEOIP, buf, sizeof(buf));
		if (!embedded[0]) {
			ea_err_set(err, "%s: embedded GeoIP snapshot not found "
				   "(set EGRESS_AUDIT_DATADIR)", EMBEDDED_GEOIP);
			return -ENOENT;
		}
		files = embedded;
		nfiles = 1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct ea_ivl_list layer = { 0 };
		int src = add_source(t, files[i]);
		int ret;

		if (src < 0)
			return src;
		ret = ea_geo_read_file(files[i], EA_GEO_AUTO, (uint16_t)src,
				       &layer, err);
		if (ret) {
			geo_file_err(cfg, i, err);
			ea_ivl_list_free(&layer);
			return ret;
		}
		t->geo_ranges += layer.n;
		ret = overlay_into(geo, &layer);
		if (ret)
			return ret;
	}
	return 0;
}

/* Paint one prefix with a policy kind over the policy layer. */
static int paint_cidr(struct ea_ivl_list *pol, const struct ea_cidr *c,
		      const struct ea_ivl_val *val)
{
	struct ea_ivl_list one = { 0 };
	struct ea_ivl iv = {
		.start = c->addr,
		.end = ea_cidr_last(c),
		.val = *val,
	};
	int err = ea_ivl_push(&one, &iv);

	if (err) {
		ea_ivl_list_free(&one);
		return err;
	}
	return overlay_into(pol, &one);
}

static int cmp_entry_len(const void *a, const void *b)
{
	const struct ea_cidr_entry *x = a, *y = b;

	return (int)x->cidr.len - (int)y->cidr.len;
}

/* Paint a config CIDR list, shortest prefix first: most specific wins. */
static int paint_list(struct ea_geo_table *t, struct ea_ivl_list *layer,
		      const struct ea_config *cfg, const struct ea_cidr_vec *vec,
		      const char *key, uint16_t site, uint16_t pol)
{
	struct ea_cidr_entry *sorted;
	int err = 0;

	if (!vec->n)
		return 0;
	sorted = malloc(vec->n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, vec->v, vec->n * sizeof(*sorted));
	qsort(sorted, vec->n, sizeof(*sorted), cmp_entry_len);
	for (size_t i = 0; i < vec->n && !err; i++) {
		char name[512], cbuf[EA_CIDR_STRLEN];
		struct ea_ivl_val val;
		int src;

		snprintf(name, sizeof(name), "%s:%u [policy] %s %s",
			 cfg->path ? cfg->path : "(defaults)", sorted[i].line,
			 key, ea_cidr_format(&sorted[i].cidr, cbuf));
		src = add_source(t, name);
		if (src < 0) {
			err = src;
			break;
		}
		val = (struct ea_ivl_val){ .site = site, .pol = pol };
		if (site)
			val.site_src = (uint16_t)src;
		else
			val.pol_src = (uint16_t)src;
		err = paint_cidr(layer, &sorted[i].cidr, &val);
	}
	free(sorted);
	return err;
}

/* The policy layer: internal < own_cidr < allow_cidr < deny_cidr. */
static int build_policy_layer(const struct ea_config *cfg, struct ea_geo_table *t,
			      struct ea_ivl_list *pol)
{
	const struct ea_policy_cfg *p = &cfg->policy;
	int err;

	for (size_t i = 0; i < sizeof(internal_ranges) / sizeof(internal_ranges[0]); i++) {
		struct ea_cidr c;
		int src = add_source(t, internal_ranges[i].what);

		if (src < 0)
			return src;
		if (ea_cidr_parse(internal_ranges[i].cidr, &c))
			return -EINVAL;
		err = paint_cidr(pol, &c, &(struct ea_ivl_val){
					 .site = EA_SITE_INTERNAL, .site_src = (uint16_t)src });
		if (err)
			return err;
	}
	err = paint_list(t, pol, cfg, &p->own_cidr, "own_cidr", EA_SITE_OWN, 0);
	if (!err)
		err = paint_list(t, pol, cfg, &p->allow_cidr, "allow_cidr", 0, EA_POL_ALLOW);
	if (!err)
		err = paint_list(t, pol, cfg, &p->deny_cidr, "deny_cidr", 0, EA_POL_DENY);
	return err;
}

static bool cc_denied(const struct ea_policy_cfg *p, uint16_t cc)
{
	for (size_t i = 0; i < p->ndeny; i++)
		if (p->deny[i] == cc)
			return true;
	return false;
}

/* May data whose allow set is `set` go to an interval of value v? */
static bool allowed_by(const struct ea_policy_cfg *p, const struct ea_allow_set *set,
		       const struct ea_ivl_val *v, uint32_t zone)
{
	if (v->pol == EA_POL_DENY)
		return false;
	if (v->pol == EA_POL_ALLOW)
		return true;
	if (v->site)
		return ea_allow_set_has(set, zone, 0);
	if (v->cc && cc_denied(p, v->cc))
		return false;
	if (zone == EA_ZONE_UNKNOWN)
		return p->unknown_allow || ea_allow_set_has(set, zone, 0);
	return ea_allow_set_has(set, zone, v->cc);
}

static uint32_t zone_of(const struct ea_ivl_val *v)
{
	if (v->site == EA_SITE_OWN)
		return EA_ZONE_OWN;
	if (v->site == EA_SITE_INTERNAL)
		return EA_ZONE_INTERNAL;
	return v->cc ? ea_country_zone(v->cc) : EA_ZONE_UNKNOWN;
}

/* The result of an interval's layered value, under every label. */
static struct ea_geo_result result_of(const struct ea_config *cfg,
				      const struct ea_ivl_val *v)
{
	const struct ea_policy_cfg *p = &cfg->policy;
	struct ea_geo_result r = {
		.country = v->cc,
		.zone = (uint8_t)zone_of(v),
		.source = v->pol ? v->pol_src : v->site ? v->site_src :
			  v->cc ? v->cc_src : EA_SRC_NONE,
	};

	if (v->pol || v->site)
		r.flags |= EA_RESULT_POLICY;
	if (allowed_by(p, &p->allow, v, r.zone))
		r.flags |= EA_RESULT_POLICY_ALLOWED;
	if (!cfg->nlabels) {
		if (r.flags & EA_RESULT_POLICY_ALLOWED)
			r.allow_labels = 1;
		return r;
	}
	for (size_t i = 0; i < cfg->nlabels; i++) {
		const struct ea_label_cfg *l = &cfg->labels[i];
		const struct ea_allow_set *set = l->has_allow ? &l->allow : &p->allow;

		if (allowed_by(p, set, v, r.zone))
			r.allow_labels |= 1ull << i;
	}
	return r;
}

/* Open-addressing index of distinct results. */
struct result_index {
	uint32_t *slot;		/* result idx + 1; 0 empty */
	uint32_t mask;
};

static uint32_t result_hash(const struct ea_geo_result *r)
{
	uint64_t h = r->allow_labels * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)r->country << 32) | ((uint64_t)r->zone << 24) |
	     ((uint64_t)r->flags << 16) | r->source;
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

static int intern_result(struct ea_geo_table *t, struct result_index *ix,
			 const struct ea_geo_result *r, uint32_t *idx)
{
	uint32_t h = result_hash(r) & ix->mask;

	for (;; h = (h + 1) & ix->mask) {
		uint32_t s = ix->slot[h];

		if (!s)
			break;
		if (!memcmp(&t->results[s - 1], r, sizeof(*r))) {
			*idx = s - 1;
			return 0;
		}
	}
	if (t->nresults >= EA_MAX_RESULTS)
		return -E2BIG;
	t->results[t->nresults] = *r;
	ix->slot[h] = t->nresults + 1;
	*idx = t->nresults++;
	return 0;
}

/* Append [start, end] with result idx to the final list. */
static int push_result(struct ea_ivl_list *out, ea_addr_t start, ea_addr_t end,
		       uint32_t idx)
{
	struct ea_ivl iv = { .start = start, .end = end, .val = { .cc = (uint16_t)idx } };

	return ea_ivl_push(out, &iv);
}

/*
 * Give every interval of the layered list its result and fill the gaps with
 * the result of "no data", so that the final list covers the whole space.
 */
static int assign_results(const struct ea_config *cfg, struct ea_geo_table *t,
			  const struct ea_ivl_list *merged)
{
	struct result_index ix = { .mask = 4 * EA_MAX_RESULTS - 1 };
	const struct ea_ivl_val none = { 0 };
	struct ea_geo_result r;
	ea_addr_t next = 0;
	bool done = false;
	uint32_t gap_idx, idx;
	int err;

	ix.slot = calloc(ix.mask + 1, sizeof(*ix.slot));
	t->results = calloc(EA_MAX_RESULTS, sizeof(*t->results));
	if (!ix.slot || !t->results) {
		free(ix.slot);
		return -ENOMEM;
	}
	r = result_of(cfg, &none);
	err = intern_result(t, &ix, &r, &gap_idx);
	for (size_t i = 0; i < merged->n && !err; i++) {
		const struct ea_ivl *iv = &merged->v[i];

		if (iv->start > next)
			err = push_result(&t->ivl, next, iv->start - 1, gap_idx);
		r = result_of(cfg, &iv->val);
		if (!err)
			err = intern_result(t, &ix, &r, &idx);
		if (!err)
			err = push_result(&t->ivl, iv->start, iv->end, idx);
		done = iv->end == EA_ADDR_MAX;
		next = iv->end + 1;
	}
	if (!err && !done)
		err = push_result(&t->ivl, next, EA_ADDR_MAX, gap_idx);
	free(ix.slot);
	if (!err)
		ea_ivl_coalesce(&t->ivl);
	return err;
}

/* Key-space views of the final list: IPv4 block only, or IPv6 without it. */
static int key_view(const struct ea_ivl_list *all, bool v4, struct ea_ivl_list *out)
{
	struct ea_ivl hole = { .start = EA_V4_BASE, .end = EA_V4_LAST };
	bool hole_done = false;
	int err = 0;

	for (size_t i = 0; i < all->n && !err; i++) {
		struct ea_ivl iv = all->v[i];
		bool inside = iv.end >= EA_V4_BASE && iv.start <= EA_V4_LAST;

		if (v4) {
			if (!inside)
				continue;
			iv.start = (iv.start < EA_V4_BASE ? EA_V4_BASE : iv.start) - EA_V4_BASE;
			iv.end = (iv.end > EA_V4_LAST ? EA_V4_LAST : iv.end) - EA_V4_BASE;
			err = ea_ivl_push(out, &iv);
			continue;
		}
		if (!inside) {
			err = ea_ivl_push(out, &iv);
			continue;
		}
		/* the IPv4 block is never looked up in the IPv6 trie */
		if (iv.start < EA_V4_BASE) {
			struct ea_ivl head = iv;

			head.end = EA_V4_BASE - 1;
			err = ea_ivl_push(out, &head);
		}
		if (!err && !hole_done) {
			hole.val = iv.val;
			err = ea_ivl_push(out, &hole);
			hole_done = true;
		}
		if (!err && iv.end > EA_V4_LAST) {
			struct ea_ivl tail = iv;

			tail.start = EA_V4_LAST + 1;
			err = ea_ivl_push(out, &tail);
		}
	}
	if (!err)
		ea_ivl_coalesce(out);
	return err;
}

static int build_tries(struct ea_geo_table *t)
{
	struct ea_ivl_list v4 = { 0 }, v6 = { 0 };
	int err;

	err = key_view(&t->ivl, true, &v4);
	if (!err)
		err = key_view(&t->ivl, false, &v6);
	if (!err)
		err = ea_trie_build(&v4, 32, EA_TRIE_ROOT_BITS4, 0, &t->trie4, &t->nodes);
	if (!err)
		err = ea_trie_build(&v6, 128, EA_TRIE_ROOT_BITS6, EA_TRIE_KINDS - 1, &t->trie6,
				    &t->nodes);
	ea_ivl_list_free(&v4);
	ea_ivl_list_free(&v6);
	return err;
}

static void set_labels(const struct ea_config *cfg, struct ea_geo_table *t)
{
	if (!cfg->nlabels) {
		snprintf(t->label_names[0], EA_LABEL_NAME_MAX, "host");
		t->nlabels = 1;
		return;
	}
	for (size_t i = 0; i < cfg->nlabels && i < EA_MAX_LABELS; i++)
		snprintf(t->label_names[i], EA_LABEL_NAME_MAX, "%s", cfg->labels[i].name);
	t->nlabels = (uint32_t)cfg->nlabels;
}

int ea_geo_table_build(const struct ea_config *cfg, struct ea_geo_table *t,
		       struct ea_err *err)
{
	struct ea_ivl_list geo = { 0 }, pol = { 0 };
	int ret;

	memset(t, 0, sizeof(*t));
	set_labels(cfg, t);
	ret = add_source(t, "none");
	if (ret >= 0)
		ret = read_geo_layers(cfg, t, &geo, err);
	if (!ret)
		ret = build_policy_layer(cfg, t, &pol);
	if (!ret)
		ret = overlay_into(&geo, &pol);
	if (!ret)
		ret = assign_results(cfg, t, &geo);
	if (!ret)
		ret = build_tries(t);
	ea_ivl_list_free(&geo);
	ea_ivl_list_free(&pol);
	/* the layers and the plain trie took tens of MiB: give the heap back */
	malloc_trim(0);
	if (ret && !err->msg[0])
		ea_err_set(err, "building the GeoIP table: %s",
			   ret == -E2BIG ? "more than 8192 distinct results"
					 : strerror(-ret));
	if (ret)
		ea_geo_table_free(t);
	return ret;
}

void ea_geo_table_free(struct ea_geo_table *t)
{
	ea_ivl_list_free(&t->ivl);
	free(t->results);
	for (uint32_t i = 0; i < t->nsources; i++)
		free(t->sources[i]);
	free(t->sources);
	ea_trie_nodes_free(&t->nodes);
	free(t->trie4.root);
	free(t->trie6.root);
	memset(t, 0, sizeof(*t));
}

/* The walk of a through the trie; *levels (unless NULL) the nodes read below the root. */
static uint32_t table_walk(const struct ea_geo_table *t, ea_addr_t a, unsigned int *levels)
{
	uint64_t hi = (uint64_t)(a >> 64), lo = (uint64_t)a;
	uint32_t s;

	if (ea_addr_is_v4(a)) {
		uint32_t v4 = (uint32_t)lo;

		s = t->trie4.root[v4 >> (32 - EA_TRIE_ROOT_BITS4)];
		s = ea_trie_walk(&t->nodes, s, (uint64_t)v4 << (32 + EA_TRIE_ROOT_BITS4), 0,
				 EA_TRIE_MAX_LEVELS4, levels);
	} else {
		s = t->trie6.root[hi >> (64 - EA_TRIE_ROOT_BITS6)];
		s = ea_trie_walk(&t->nodes, s,
				 hi << EA_TRIE_ROOT_BITS6 | lo >> (64 - EA_TRIE_ROOT_BITS6),
				 lo << EA_TRIE_ROOT_BITS6, EA_TRIE_MAX_LEVELS6, levels);
	}
	return s & ~EA_TRIE_LEAF;
}

uint32_t ea_geo_table_lookup(const struct ea_geo_table *t, ea_addr_t a)
{
	return table_walk(t, a, NULL);
}

unsigned int ea_geo_table_levels(const struct ea_geo_table *t, ea_addr_t a)
{
	unsigned int levels;

	table_walk(t, a, &levels);
	return levels;
}

void ea_geo_table_answer(const struct ea_geo_table *t, ea_addr_t a,
			 struct ea_geo_answer *ans)
{
	long i = ea_ivl_find(&t->ivl, a);
	ea_addr_t start = t->ivl.v[i].start, end = t->ivl.v[i].end;

	if (ea_addr_is_v4(a)) {
		if (start < EA_V4_BASE)
			start = EA_V4_BASE;
		if (end > EA_V4_LAST)
			end = EA_V4_LAST;
	}
	ans->result_idx = ea_geo_table_lookup(t, a);
	ans->result = &t->results[ans->result_idx];
	ans->prefix = ea_range_cidr_of(start, end, a);
	ans->source = t->sources[ans->result->source];
	ans->policy_allowed = ans->result->flags & EA_RESULT_POLICY_ALLOWED;
}
