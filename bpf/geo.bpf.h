/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The GeoIP classifier of the kernel side: maps holding the multibit trie
 * (see include/egress_audit.h) and its walk. One array access per level, so
 * the cost does not grow with the number of prefixes in the table.
 */
#ifndef EA_GEO_BPF_H
#define EA_GEO_BPF_H

#include "egress_audit.h"

#define EA_TRIE_BAD	0xffffffffu	/* no such slot: a walk ends with ~0 */

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

/* Follow chunk slots from a root slot; key bits come from next_nibble. */
static __always_inline __u32 ea_trie_step(__u32 slot, __u32 nibble)
{
	struct ea_trie_chunk *c;
	__u32 idx = slot & ~EA_TRIE_NODE;

	c = bpf_map_lookup_elem(&geo_chunks, &idx);
	if (!c)
		return EA_TRIE_BAD;	/* corrupt table: the walk gives up */
	return c->slot[nibble & (EA_TRIE_CHUNK_SLOTS - 1)];
}

/* Root slot idx of geo_root (see EA_GEO_ROOT4, EA_GEO_ROOT6). */
static __always_inline __u32 ea_root_slot(__u32 idx)
{
	__u32 row = idx / EA_TRIE_CHUNK_SLOTS;
	struct ea_trie_chunk *r = bpf_map_lookup_elem(&geo_root, &row);

	return r ? r->slot[idx & (EA_TRIE_CHUNK_SLOTS - 1)] : EA_TRIE_BAD;
}

/* Result index of an IPv4 address (host byte order); ~0 when none. */
static __always_inline __u32 ea_geo_index4(__u32 bank, __u32 addr)
{
	__u32 s = ea_root_slot(EA_GEO_ROOT4(bank) + (addr >> (32 - EA_TRIE_ROOT_BITS4)));
	int i;

	for (i = 0; i < EA_TRIE_MAX_LEVELS4 - 1 && (s & EA_TRIE_NODE); i++)
		s = ea_trie_step(s, addr >> (32 - EA_TRIE_ROOT_BITS4 - EA_TRIE_STRIDE * (i + 1)));
	return (s & EA_TRIE_NODE) ? ~0u : s;
}

/* Result index of an IPv6 address (four words, host byte order). */
static __always_inline __u32 ea_geo_index6(__u32 bank, const __u32 a[4])
{
	__u32 s = ea_root_slot(EA_GEO_ROOT6(bank) + (a[0] >> (32 - EA_TRIE_ROOT_BITS6)));
	int i;

	for (i = 0; i < EA_TRIE_MAX_LEVELS6 - 1 && (s & EA_TRIE_NODE); i++) {
		__u32 bit = EA_TRIE_ROOT_BITS6 + EA_TRIE_STRIDE * i;
		__u32 word = a[(bit >> 5) & 3];

		s = ea_trie_step(s, word >> (32 - EA_TRIE_STRIDE - (bit & 31)));
	}
	return (s & EA_TRIE_NODE) ? ~0u : s;
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
