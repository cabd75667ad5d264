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

#endif /* EA_GEO_MAPS_H */
