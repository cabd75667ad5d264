/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Moving a compiled GeoIP table into the kernel maps declared by
 * bpf/geo.bpf.h (geo_root, geo_chunks, geo_results), one bank at a time.
 */
#ifndef EA_GEO_MAPS_H
#define EA_GEO_MAPS_H

#include <bpf/libbpf.h>

#include "geo_table.h"

struct ea_geo_maps {
	struct bpf_map *root, *chunks, *results;
	uint32_t bank_chunks;	/* chunk slots per bank */
};

/*
 * Before load: size geo_chunks for two banks of a table like t, with room
 * for reloads to grow by a quarter.
 */
int ea_geo_maps_size(struct ea_geo_maps *m, const struct ea_geo_table *t);
/* After load: write t into bank (0 or 1). The bank is not yet active. */
int ea_geo_maps_fill(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		     uint32_t bank);

/* Where the next check of a bank starts: root rows, chunks. */
struct ea_geo_check {
	uint32_t root4, root6, chunks;
};

/*
 * Compare bank (as filled from t) with what the kernel maps hold: every
 * result, and 1/parts of the root slots and of the chunks from c on, so
 * that parts calls cover the whole table. What differs is written again.
 * Returns the number of entries that differed, or -errno; *what names the
 * first map where one did.
 */
int ea_geo_maps_check(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		      uint32_t bank, uint32_t parts, struct ea_geo_check *c,
		      const char **what);

#endif /* EA_GEO_MAPS_H */
