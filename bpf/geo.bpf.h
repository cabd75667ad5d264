/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The GeoIP classifier of the kernel side: maps holding the multibit trie
 * (see include/egress_audit.h) and its walk. One array access per level, so
 * the cost does not grow with the number of prefixes in the table. The
 * maps are mappable, for the agent to check them in place (geo_maps.c).
 */
#ifndef EA_GEO_BPF_H
#define EA_GEO_BPF_H

#include "egress_audit.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EA_GEO_ROOT_ROWS);
	__type(key, __u32);
	__type(value, struct ea_trie_chunk);	/* a row of root slots */
} geo_root SEC(".maps");

/*
 * Nodes of 12, 8 and 4 bits, sized by the agent before load (one index
 * space): indices from geo_node8_first on are 8-bit nodes, from
 * geo_chunks_first on chunks.
 */
const volatile __u32 geo_node8_first;
const volatile __u32 geo_chunks_first;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_trie_node12);
} geo_node12 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_trie_node8);
} geo_node8 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ea_trie_chunk);
} geo_chunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EA_GEO_BANKS * EA_MAX_RESULTS);
	__type(key, __u32);
	__type(value, struct ea_geo_result);
} geo_results SEC(".maps");

/* Where root slot idx of geo_root lies (see EA_GEO_ROOT4, EA_GEO_ROOT6). */
static __always_inline const __u32 *ea_root_slot(__u32 idx)
{
	__u32 row = idx / EA_TRIE_CHUNK_SLOTS;
	struct ea_trie_chunk *r = bpf_map_lookup_elem(&geo_root, &row);

	return r ? &r->slot[idx & (EA_TRIE_CHUNK_SLOTS - 1)] : NULL;
}

/* The result index in slot s; ~0 when it is none (a corrupt table). */
static __always_inline __u32 ea_trie_result(__u32 s)
{
	return (s & EA_TRIE_LEAF) ? s & ~EA_TRIE_LEAF : ~0u;
}

/* The n (<= 12) address bits from bit pos of hi:lo; they never span both. */
static __always_inline __u32 ea_key_bits(__u64 hi, __u64 lo, __u64 pos, const __u32 n)
{
	__u64 w = pos < 64 ? hi : lo;

	return (w << (pos & 63)) >> (64 - n);
}

/*
 * Walk from *slot, the address bits hi:lo used up to bit pos. Each slot is
 * passed where it lies in the map value as the key of the next lookup, and
 * its range tells which map holds it (include/egress_audit.h): no key is
 * computed or copied on the walk's chain of dependent loads. The position,
 * not shifted copies of the address, moves on, so that the verifier sees
 * few distinct states. Returns the result index, or ~0 on a corrupt table.
 */
static __always_inline __u32 ea_trie_walk(const __u32 *slot, __u64 hi, __u64 lo, __u64 pos,
					  const __u64 end)
{
	struct ea_trie_node12 *n12;
	struct ea_trie_node8 *n8;
	struct ea_trie_chunk *c;
	__u32 s;

	for (s = *slot; pos < end && !(s & EA_TRIE_LEAF); s = *slot) {
		if (s >= geo_chunks_first) {
			c = bpf_map_lookup_elem(&geo_chunks, slot);
			if (!c)
				return ~0u;
			slot = &c->slot[ea_key_bits(hi, lo, pos, EA_TRIE_STRIDE)];
			pos += EA_TRIE_STRIDE;
		} else if (s >= geo_node8_first) {
			n8 = bpf_map_lookup_elem(&geo_node8, slot);
			if (!n8)
				return ~0u;
			slot = &n8->slot[ea_key_bits(hi, lo, pos, EA_TRIE_NODE8_BITS)];
			pos += EA_TRIE_NODE8_BITS;
		} else {
			n12 = bpf_map_lookup_elem(&geo_node12, slot);
			if (!n12)
				return ~0u;
			slot = &n12->slot[ea_key_bits(hi, lo, pos, EA_TRIE_NODE12_BITS)];
			pos += EA_TRIE_NODE12_BITS;
		}
	}
	return ea_trie_result(s);
}

/*
 * Result index of an IPv4 address (host byte order); ~0 when none. Below
 * the 20-bit root the IPv4 trie has chunks only (at most 3 of them), taken
 * with the address bits at fixed places; at a result the lookup fails, its
 * EA_TRIE_LEAF bit putting it past the map's end.
 */
static __always_inline __u32 ea_geo_index4(__u32 bank, __u32 addr)
{
	const __u32 *slot = ea_root_slot(EA_GEO_ROOT4(bank) + (addr >> (32 - EA_TRIE_ROOT_BITS4)));
	struct ea_trie_chunk *c;
	int i;

	if (!slot)
		return ~0u;
	for (i = 0; i < EA_TRIE_MAX_LEVELS4; i++) {
		c = bpf_map_lookup_elem(&geo_chunks, slot);
		if (!c)
			break;
		slot = &c->slot[(addr >> (32 - EA_TRIE_ROOT_BITS4 - EA_TRIE_STRIDE * (i + 1))) &
				(EA_TRIE_CHUNK_SLOTS - 1)];
	}
	return ea_trie_result(*slot);
}

/* Result index of an IPv6 address (four words, host byte order). */
static __always_inline __u32 ea_geo_index6(__u32 bank, const __u32 a[4])
{
	const __u32 *slot = ea_root_slot(EA_GEO_ROOT6(bank) + (a[0] >> (32 - EA_TRIE_ROOT_BITS6)));
	__u64 hi = (__u64)a[0] << 32 | a[1], lo = (__u64)a[2] << 32 | a[3];

	if (!slot)
		return ~0u;
	return ea_trie_walk(slot, hi, lo, EA_TRIE_ROOT_BITS6, 128);
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
