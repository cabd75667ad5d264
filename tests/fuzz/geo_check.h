/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the GeoIP fuzz targets check of a successful import. */
#ifndef EA_FUZZ_GEO_CHECK_H
#define EA_FUZZ_GEO_CHECK_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ivl.h"

/*
 * Abort unless every interval holds a valid country of source src and no
 * policy, in order and disjoint from its neighbour; with_line: each also
 * names its input line (text formats).
 */
static inline void check_ranges(const struct ea_ivl_list *l, uint16_t src, bool with_line)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ea_ivl *iv = &l->v[i];
		char cc[3] = { (char)(iv->val.cc >> 8), (char)iv->val.cc, 0 };

		if (iv->start > iv->end || !ea_cc_valid(cc) || !strcmp(cc, "ZZ") ||
		    iv->val.cc_src != src || iv->val.pol || iv->val.pol_src ||
		    (with_line && !iv->line))
			abort();
		if (i && iv->start <= l->v[i - 1].end)
			abort();
	}
}

#endif /* EA_FUZZ_GEO_CHECK_H */
