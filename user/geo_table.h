/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The jurisdiction engine: GeoIP files and the policy compiled into one
 * table that answers, for any address, its country, zone and, per data
 * label, whether data may go there.
 *
 * Build: the GeoIP files are layered in order (a later file overrides where
 * ranges overlap), the policy CIDR lists are laid on top in precedence order
 * (internal < own_cidr < allow_cidr < deny_cidr; within a list the most
 * specific prefix wins; internal and own decide the zone, allow_cidr and
 * deny_cidr only the verdict), every resulting interval is given an interned
 * ea_geo_result, equal neighbours are merged, and the result is expanded
 * into the multibit trie of include/egress_audit.h that the kernel walks.
 */
#ifndef EA_GEO_TABLE_H
#define EA_GEO_TABLE_H

#include "config.h"
#include "geo_trie.h"
#include "ivl.h"

/* Sources that can decide a result: GeoIP files and policy entries. */
#define EA_SRC_NONE	0

/* Site layers (ea_ivl_val.site): what a destination is, in precedence order. */
enum ea_site_kind {
	EA_SITE_NONE = 0,
	EA_SITE_INTERNAL = 1,
	EA_SITE_OWN = 2,
};

/* Verdict layers (ea_ivl_val.pol): operator overrides, in precedence order. */
enum ea_pol_kind {
	EA_POL_NONE = 0,
	EA_POL_ALLOW = 1,
	EA_POL_DENY = 2,
};

struct ea_geo_table {
	/* final intervals, covering the whole space; val.cc holds the result */
	struct ea_ivl_list ivl;
	struct ea_geo_result *results;
	uint32_t nresults;
	char **sources;			/* sources[0] = "none" */
	uint32_t nsources;
	/* the kernel form: v4 over 32-bit keys, v6 over 128 bits */
	struct ea_geo_trie trie4, trie6;
	struct ea_trie_nodes nodes;	/* trie4's then trie6's */
	/* labels: names in bit order; with no [label], one named "host" */
	char label_names[EA_MAX_LABELS][EA_LABEL_NAME_MAX];
	uint32_t nlabels;
	uint64_t geo_ranges;		/* ranges read from the GeoIP files */
};

/* Details of one lookup, for classify. */
struct ea_geo_answer {
	const struct ea_geo_result *result;
	uint32_t result_idx;
	struct ea_cidr prefix;		/* the matching prefix */
	const char *source;
	bool policy_allowed;		/* verdict under [policy] allow */
};

int ea_geo_table_build(const struct ea_config *cfg, struct ea_geo_table *t,
		       struct ea_err *err);
void ea_geo_table_free(struct ea_geo_table *t);

/* Result index of a, by walking the trie as the kernel does. */
uint32_t ea_geo_table_lookup(const struct ea_geo_table *t, ea_addr_t a);
/* The nodes below the root that walk reads (for benchmarks). */
unsigned int ea_geo_table_levels(const struct ea_geo_table *t, ea_addr_t a);
/* Full answer, with the matching prefix and source. */
void ea_geo_table_answer(const struct ea_geo_table *t, ea_addr_t a,
			 struct ea_geo_answer *ans);

#endif /* EA_GEO_TABLE_H */
