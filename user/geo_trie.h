/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel form of the GeoIP table: the multibit trie of
 * include/egress_audit.h, compiled from a list of intervals, and its walk
 * in user space (the steps of the kernel's walk in bpf/geo.bpf.h).
 *
 * Compiling: the intervals are first expanded into a plain trie of 4-bit
 * levels. Each node then gets the width (4, 8 or 12 bits) that minimises
 * the expected number of nodes a walk reads, plus EA_TRIE_CHUNK_COST for
 * each 64 bytes of nodes, a destination being any range of the table with
 * equal weight (and within it, any address). So nodes are wide where many
 * ranges lie beneath them, and 4 bits wide in sparse regions.
 *
 * In user space a node slot is tagged: its width's kind (0: 4 bits, 1: 8,
 * 2: 12) above EA_TRIE_KIND_SHIFT and its index among the nodes of that
 * width below. geo_maps.c turns it into the kernel's shared index.
 */
#ifndef EA_GEO_TRIE_H
#define EA_GEO_TRIE_H

#include "ivl.h"
#include "egress_audit.h"

/* Expected node reads, summed over the ranges, that 64 more bytes must save. */
#define EA_TRIE_CHUNK_COST	4.0

#define EA_TRIE_KINDS		3
#define EA_TRIE_KIND_SHIFT	28
#define EA_TRIE_INDEX_MASK	((1u << EA_TRIE_KIND_SHIFT) - 1)

_Static_assert(EA_TRIE_NODE8_BITS == 2 * EA_TRIE_STRIDE &&
	       EA_TRIE_NODE12_BITS == 3 * EA_TRIE_STRIDE,
	       "kind k takes EA_TRIE_STRIDE * (k + 1) bits, as the kernel's maps do");

/* Address bits a node of kind k takes, and its slots. */
static inline unsigned int ea_trie_kind_bits(unsigned int kind)
{
	return EA_TRIE_STRIDE * (kind + 1);
}

static inline uint32_t ea_trie_kind_slots(unsigned int kind)
{
	return 1u << ea_trie_kind_bits(kind);
}

struct ea_geo_trie {
	uint32_t *root;			/* 1 << root_bits slots */
	unsigned int root_bits;
};

/* The nodes of both tries, by kind: node i of kind k is slot[k][i << bits(k)...]. */
struct ea_trie_nodes {
	uint32_t *slot[EA_TRIE_KINDS];
	uint32_t count[EA_TRIE_KINDS], cap[EA_TRIE_KINDS];
};

/*
 * Compile intervals (sorted, disjoint, covering [0, 2^width); val.cc holds
 * the result index) into trie, with nodes of kinds up to max_kind, adding
 * its nodes to nodes. Returns 0, -ENOMEM or -EOVERFLOW (more nodes than a
 * slot can index).
 */
int ea_trie_build(const struct ea_ivl_list *ivl, unsigned int width,
		  unsigned int root_bits, unsigned int max_kind, struct ea_geo_trie *trie,
		  struct ea_trie_nodes *nodes);
void ea_trie_nodes_free(struct ea_trie_nodes *nodes);

/*
 * Walk from slot s with the address bits not yet used left-aligned in
 * hi:lo, for at most max_levels nodes. Returns the slot where the walk
 * stopped: a result (EA_TRIE_LEAF set) on a well-formed trie. *levels
 * (unless NULL): the nodes read.
 */
uint32_t ea_trie_walk(const struct ea_trie_nodes *nodes, uint32_t s, uint64_t hi,
		      uint64_t lo, unsigned int max_levels, unsigned int *levels);

#endif /* EA_GEO_TRIE_H */
