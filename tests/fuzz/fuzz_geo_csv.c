// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the GeoIP CSV parser. Any input must either fail
 * with a message or give a sorted, disjoint list of valid country ranges.
 * Seeds: tests/fuzz/corpus/geo_csv/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo_import.h"

#define SRC	3

/* What a successful parse promises about each interval and its neighbour. */
static void check(const struct ea_ivl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ea_ivl *iv = &l->v[i];
		char cc[3] = { (char)(iv->val.cc >> 8), (char)iv->val.cc, 0 };

		if (iv->start > iv->end || !ea_cc_valid(cc) || !strcmp(cc, "ZZ") ||
		    iv->val.cc_src != SRC || iv->val.pol || iv->val.pol_src ||
		    !iv->line)
			abort();
		if (i && iv->start <= l->v[i - 1].end)
			abort();
	}
}

/* Parse one input; a failure must come with a message. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err = { { 0 } };
	int ret = ea_geo_parse_csv("fuzz.csv", (const char *)data, size, SRC,
				   &l, &err);

	if (ret == 0)
		check(&l);
	else if (!err.msg[0] || strlen(err.msg) >= sizeof(err.msg))
		abort();
	ea_ivl_list_free(&l);
	return 0;
}
