/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Interval lists over the 128-bit address space: the working form of the
 * GeoIP data and the policy before they are compiled into the kernel trie.
 *
 * A list is sorted by start and its intervals are disjoint. Each interval
 * carries an ea_ivl_val whose zero fields mean "not set by this layer", so
 * layering is one rule: where a later layer overlaps, its non-zero fields
 * replace those below (ea_ivl_overlay).
 */
#ifndef EA_IVL_H
#define EA_IVL_H

#include "addr.h"
#include "err.h"

struct ea_ivl_val {
	uint16_t cc;		/* packed country code (ea_cc_pack) */
	uint16_t cc_src;	/* source id of the country (file) */
	uint16_t site;		/* enum ea_site_kind (geo_table.h): zone override */
	uint16_t site_src;	/* source id of the site entry */
	uint16_t pol;		/* enum ea_pol_kind (geo_table.h): verdict override */
	uint16_t pol_src;	/* source id of the policy entry */
};

struct ea_ivl {
	ea_addr_t start, end;	/* inclusive */
	struct ea_ivl_val val;
	uint32_t line;		/* input line (0: none), for error messages */
};

struct ea_ivl_list {
	struct ea_ivl *v;
	size_t n, cap;
};

void ea_ivl_list_free(struct ea_ivl_list *l);
/* Append; returns 0 or -ENOMEM. Order is not checked here. */
int ea_ivl_push(struct ea_ivl_list *l, const struct ea_ivl *iv);

/*
 * Sort by start and check that no two intervals overlap. On overlap,
 * -EINVAL and err names both lines ("<what>: line A overlaps line B").
 */
int ea_ivl_normalize(struct ea_ivl_list *l, const char *what, struct ea_err *err);

/*
 * Lay `top` over `base` (both normalized). The result, in *out, covers the
 * union; where both cover an address, each non-zero field of top's value
 * replaces base's. Adjacent intervals of equal value are not merged here.
 */
int ea_ivl_overlay(const struct ea_ivl_list *base, const struct ea_ivl_list *top,
		   struct ea_ivl_list *out);

/* Merge neighbours (end + 1 == next start) whose values are equal. */
void ea_ivl_coalesce(struct ea_ivl_list *l);

/* Index of the interval holding a, or -1. O(log n). */
long ea_ivl_find(const struct ea_ivl_list *l, ea_addr_t a);

/*
 * The minimal set of CIDR prefixes covering [start, end] exactly, in address
 * order. Writes at most max prefixes and returns how many the range needs
 * (at most 256 for a 128-bit range).
 */
int ea_range_to_cidrs(ea_addr_t start, ea_addr_t end, struct ea_cidr *out, int max);

/* The prefix of the minimal decomposition of [start, end] that holds a. */
struct ea_cidr ea_range_cidr_of(ea_addr_t start, ea_addr_t end, ea_addr_t a);

#endif /* EA_IVL_H */
