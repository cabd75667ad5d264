// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the GeoIP CSV parser. Any input must either fail
 * with a message or give a sorted, disjoint list of valid country ranges.
 * Seeds: tests/fuzz/corpus/geo_csv/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo_check.h"
#include "geo_import.h"

#define SRC	3

/* Parse one input; a failure must come with a message. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err = { { 0 } };
	int ret = ea_geo_parse_csv("fuzz.csv", (const char *)data, size, SRC,
				   &l, &err);

	if (ret == 0)
		check_ranges(&l, SRC, true);
	else if (!err.msg[0] || strlen(err.msg) >= sizeof(err.msg))
		abort();
	ea_ivl_list_free(&l);
	return 0;
}
