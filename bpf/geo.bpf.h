/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The GeoIP classifier of the kernel side: maps holding the multibit trie
 * (see include/egress_audit.h) and its walk. One array access per level, so
 * the cost does not grow with the number of prefixes in the table.
 */
#ifndef EA_GEO_BPF_H
#define EA_GEO_BPF_H

#include "egress_audit.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EA_GEO_ROOT_ROWS);
	__type(key, __u32);
	__type(value, struct ea_trie_chunk);	/* a row of root slots */
} geo_root SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* sized by the agent before load */
	__type(key, __u32);
	__type(value, struct ea_trie_chunk);
} geo_chunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EA_GEO_BANKS * EA_MAX_RESULTS);
	__type(key, __u32);
	__type(value, struct ea_geo_result);
} geo_results SEC(".maps");

/*
 * The chunk of the next level, or NULL when *slot is a result (its
 * EA_TRIE_LEAF bit puts it past the map's end) or corrupt. The slot is the
 * key where it lies in the map value: a level costs the slot's load and
 * the inlined array lookup, with no copy to the stack between them.
 */
static __always_inline struct ea_trie_chunk *ea_trie_child(const __u32 *slot)
{
	return bpf_map_lookup_elem(&geo_chunks, slot);
}

/* Where root slot idx of geo_root lies (see EA_GEO_ROOT4, EA_GEO_ROOT6). */
static __always_inline const __u32 *ea_root_slot(__u32 idx)
{
	__u32 row = idx / EA_TRIE_CHUNK_SLOTS;
	struct ea_trie_chunk *r = bpf_map_lookup_elem(&geo_root, &row);

	return r ? &r->slot[idx & (EA_TRIE_CHUNK_SLOTS - 1)] : NULL;
}

/* The result index where a walk stopped; ~0 when not at a result (corrupt table). */
static __always_inline __u32 ea_trie_result(const __u32 *slot)
{
	__u32 s = *slot;

	return (s & EA_TRIE_LEAF) ? s & ~EA_TRIE_LEAF : ~0u;
}

/* Result index of an IPv4 address (host byte order); ~0 when none. */
static __always_inline __u32 ea_geo_index4(__u32 bank, __u32 addr)
{
	const __u32 *slot = ea_root_slot(EA_GEO_ROOT4(bank) + (addr >> (32 - EA_TRIE_ROOT_BITS4)));
	struct ea_trie_chunk *c;
	int i;

	if (!slot)
		return ~0u;
	for (i = 0; i < EA_TRIE_MAX_LEVELS4 - 1; i++) {
		c = ea_trie_child(slot);
		if (!c)
			break;
		slot = &c->slot[(addr >> (32 - EA_TRIE_ROOT_BITS4 - EA_TRIE_STRIDE * (i + 1))) &
				(EA_TRIE_CHUNK_SLOTS - 1)];
	}
	return ea_trie_result(slot);
}

/* Result index of an IPv6 address (four words, host byte order). */
static __always_inline __u32 ea_geo_index6(__u32 bank, const __u32 a[4])
{
	const __u32 *slot = ea_root_slot(EA_GEO_ROOT6(bank) + (a[0] >> (32 - EA_TRIE_ROOT_BITS6)));
	struct ea_trie_chunk *c;
	int i;

	if (!slot)
		return ~0u;
	for (i = 0; i < EA_TRIE_MAX_LEVELS6 - 1; i++) {
		__u32 bit = EA_TRIE_ROOT_BITS6 + EA_TRIE_STRIDE * i;
		__u32 word = a[(bit >> 5) & 3];

		c = ea_trie_child(slot);
		if (!c)
			break;
		slot = &c->slot[(word >> (32 - EA_TRIE_STRIDE - (bit & 31))) &
				(EA_TRIE_CHUNK_SLOTS - 1)];
	}
	return ea_trie_result(slot);
}

static __always_inline const struct ea_geo_result *ea_geo_result_at(__u32 bank, __u32 idx)
{
	__u32 key;

	if (idx >= EA_MAX_RESULTS)
		return NULL;
	key = bank * EA_MAX_RESULTS + idx;
	return bpf_map_lookup_elem(&geo_results, &key);
}

/*
 * Classify a destination given as four network-order words (IPv4 in a[3]
 * with a[0..2] = 0, 0, 0xffff as an IPv4-mapped address). Returns the result
 * index, or ~0 on a corrupt table.
 */
static __always_inline __u32 ea_geo_classify(__u32 bank, const __u32 net[4])
{
	__u32 a[4];

	a[0] = bpf_ntohl(net[0]);
	a[1] = bpf_ntohl(net[1]);
	a[2] = bpf_ntohl(net[2]);
	a[3] = bpf_ntohl(net[3]);
	if (a[0] == 0 && a[1] == 0 && a[2] == 0xffff)
		return ea_geo_index4(bank, a[3]);
	return ea_geo_index6(bank, a);
}

#endif /* EA_GEO_BPF_H */
