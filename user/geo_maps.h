/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Moving a compiled GeoIP table into the kernel maps declared by
 * bpf/geo.bpf.h (geo_root, geo_node12, geo_node8, geo_chunks, geo_results),
 * one bank at a time. The node maps share one index space (see
 * include/egress_audit.h): each holds, above the entries of the wider
 * maps, one part per bank, and their sizes say where each part starts.
 */
#ifndef EA_GEO_MAPS_H
#define EA_GEO_MAPS_H

#include <bpf/libbpf.h>

#include "geo_table.h"

struct ea_geo_maps {
	struct bpf_map *root, *results;
	struct bpf_map *node[EA_TRIE_KINDS];	/* by kind: 4, 8, 12 bits */
	/* where chunks and 8-bit nodes start: in the skeleton's .rodata */
	uint32_t *first[EA_TRIE_KINDS - 1];
};

/* The maps of a skeleton of a program that includes bpf/geo.bpf.h. */
#define EA_GEO_MAPS_OF(skel)							\
	((struct ea_geo_maps){ .root = (skel)->maps.geo_root,			\
			       .results = (skel)->maps.geo_results,		\
			       .node = { (skel)->maps.geo_chunks,		\
					 (skel)->maps.geo_node8,		\
					 (skel)->maps.geo_node12 },		\
			       .first = { (uint32_t *)&(skel)->rodata->geo_chunks_first, \
					  (uint32_t *)&(skel)->rodata->geo_node8_first } })

/*
 * Before load: size the node maps for two banks of a table like t, with
 * room for reloads to grow by a quarter, and tell the programs where the
 * nodes of each kind start.
 */
int ea_geo_maps_size(struct ea_geo_maps *m, const struct ea_geo_table *t);
/* After load: write t into bank (0 or 1). The bank is not yet active. */
int ea_geo_maps_fill(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		     uint32_t bank);

/* The kernel's index of node idx of kind in bank (after load). */
uint32_t ea_geo_maps_index(const struct ea_geo_maps *m, unsigned int kind, uint32_t bank,
			   uint32_t idx);

/* Where the next check of a bank starts: root rows, nodes of each kind. */
struct ea_geo_check {
	uint32_t root4, root6, nodes[EA_TRIE_KINDS];
};

/*
 * Compare bank (as filled from t) with what the kernel maps hold: every
 * result, and 1/parts of the root slots and of the nodes from c on, so
 * that parts calls cover the whole table. What differs is written again.
 * Returns the number of entries that differed, or -errno; *what names the
 * first map where one did.
 */
int ea_geo_maps_check(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		      uint32_t bank, uint32_t parts, struct ea_geo_check *c,
		      const char **what);

#endif /* EA_GEO_MAPS_H */
