// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Upload of the GeoIP trie and results into the kernel's array maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "geo_maps.h"
#include "util.h"

/* Nodes per bank beyond a quarter more than the first table's, by kind. */
static const uint32_t node_slack[EA_TRIE_KINDS] = { 1024, 64, 16 };

int ea_geo_maps_size(struct ea_geo_maps *m, const struct ea_geo_table *t)
{
	uint64_t below = 0;

	for (int k = EA_TRIE_KINDS - 1; k >= 0; k--) {
		uint32_t n = t->nodes.count[k];
		int err;

		below += ((uint64_t)n + n / 4 + node_slack[k]) * EA_GEO_BANKS;
		if (below >= EA_TRIE_LEAF)
			return -E2BIG;
		if (k < EA_TRIE_KINDS - 1)
			*m->first[k] = bpf_map__max_entries(m->node[k + 1]);
		err = bpf_map__set_max_entries(m->node[k], (uint32_t)below);
		if (err)
			return err;
	}
	return 0;
}

/* Where the nodes of each kind start, and how many a bank holds. */
struct node_layout {
	uint32_t first[EA_TRIE_KINDS], per_bank[EA_TRIE_KINDS];
};

static void layout_of(const struct ea_geo_maps *m, struct node_layout *l)
{
	uint32_t below = 0;

	for (int k = EA_TRIE_KINDS - 1; k >= 0; k--) {
		uint32_t max = bpf_map__max_entries(m->node[k]);

		l->first[k] = below;
		l->per_bank[k] = max > below ? (max - below) / EA_GEO_BANKS : 0;
		below = max;
	}
}

static uint32_t kernel_index(const struct node_layout *l, unsigned int kind, uint32_t bank,
			     uint32_t idx)
{
	return l->first[kind] + bank * l->per_bank[kind] + idx;
}

uint32_t ea_geo_maps_index(const struct ea_geo_maps *m, unsigned int kind, uint32_t bank,
			   uint32_t idx)
{
	struct node_layout l;

	layout_of(m, &l);
	return kernel_index(&l, kind, bank, idx);
}

/* A slot as stored in the kernel: a node's tagged index becomes the shared one. */
static uint32_t bank_slot(const struct node_layout *l, uint32_t bank, uint32_t s)
{
	if (s & EA_TRIE_LEAF)
		return s;
	return kernel_index(l, s >> EA_TRIE_KIND_SHIFT, bank, s & EA_TRIE_INDEX_MASK);
}

/* Write count values at consecutive keys from first, in one batch. */
static int update_range(int fd, uint32_t first, const void *values, uint32_t count)
{
	uint32_t *keys = malloc((count ? count : 1) * sizeof(*keys));
	uint32_t n = count;
	int err;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		keys[i] = first + i;
	err = count ? bpf_map_update_batch(fd, keys, values, &n, NULL) : 0;
	free(keys);
	return err ? -errno : 0;
}

/*
 * count values of size bytes at consecutive keys from first, read where
 * the map holds them (bpf/geo.bpf.h makes the maps mappable): the
 * once-a-second check of the table pays no copy through the kernel.
 */
static int read_range(int fd, uint32_t first, void *values, uint32_t count, size_t size)
{
	struct ea_map_view v;
	int err;

	if (!count)
		return 0;
	err = ea_map_view_open(&v, fd, first, count, size);
	if (err)
		return err;
	for (uint32_t i = 0; i < count; i++)
		memcpy((char *)values + i * size, v.at + i * v.stride, size);
	ea_map_view_close(&v);
	return 0;
}

/*
 * Make count entries of a map from key first hold want (size bytes each).
 * check: read them first and write only when some differ. Returns how many
 * differed (0 when written unread), or -errno.
 */
static int sync_range(int fd, uint32_t first, const void *want, uint32_t count,
		      size_t size, bool check)
{
	char *got;
	int bad = 0, err;

	if (!check)
		return update_range(fd, first, want, count);
	got = malloc((count ? count : 1) * size);
	if (!got)
		return -ENOMEM;
	err = read_range(fd, first, got, count, size);
	for (uint32_t i = 0; !err && i < count; i++)
		bad += !!memcmp(got + i * size, (const char *)want + i * size, size);
	free(got);
	if (!err && bad)
		err = update_range(fd, first, want, count);
	return err ? err : bad;
}

/* Rows of root slots in a trie's root (its slot count is a multiple of a row). */
static uint32_t root_rows(const struct ea_geo_trie *trie)
{
	return (1u << trie->root_bits) / EA_TRIE_CHUNK_SLOTS;
}

/*
 * Root rows [from, from + n) of trie, whose root starts at slot first of
 * geo_root (a row boundary).
 */
static int sync_root(const struct ea_geo_maps *m, const struct node_layout *l, uint32_t bank,
		     const struct ea_geo_trie *trie, uint32_t first, uint32_t from, uint32_t n,
		     bool check)
{
	struct ea_trie_chunk *want = malloc((n ? n : 1) * sizeof(*want));
	const uint32_t *slot = trie->root + (size_t)from * EA_TRIE_CHUNK_SLOTS;
	int ret;

	if (!want)
		return -ENOMEM;
	for (uint32_t r = 0; r < n; r++)
		for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++)
			want[r].slot[k] = bank_slot(l, bank, *slot++);
	ret = sync_range(bpf_map__fd(m->root), first / EA_TRIE_CHUNK_SLOTS + from, want, n,
			 sizeof(*want), check);
	free(want);
	return ret;
}

/* Nodes [from, from + n) of kind in bank. */
static int sync_nodes(const struct ea_geo_maps *m, const struct node_layout *l, uint32_t bank,
		      const struct ea_geo_table *t, unsigned int kind, uint32_t from, uint32_t n,
		      bool check)
{
	size_t per = ea_trie_kind_slots(kind), total = (size_t)n * per;
	const uint32_t *src = t->nodes.slot[kind] + (size_t)from * per;
	uint32_t *want = malloc((total ? total : 1) * sizeof(*want));
	int ret;

	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < total; i++)
		want[i] = bank_slot(l, bank, src[i]);
	ret = sync_range(bpf_map__fd(m->node[kind]), kernel_index(l, kind, bank, from), want, n,
			 per * sizeof(*want), check);
	free(want);
	return ret;
}

static int sync_results(const struct ea_geo_maps *m, const struct ea_geo_table *t,
			uint32_t bank, bool check)
{
	return sync_range(bpf_map__fd(m->results), bank * EA_MAX_RESULTS, t->results,
			  t->nresults, sizeof(*t->results), check);
}

int ea_geo_maps_fill(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		     uint32_t bank)
{
	struct node_layout l;
	int err = 0;

	layout_of(m, &l);
	if (bank >= EA_GEO_BANKS)
		return -EINVAL;
	for (unsigned int k = 0; k < EA_TRIE_KINDS; k++)
		if (t->nodes.count[k] > l.per_bank[k])
			return -E2BIG;
	for (unsigned int k = 0; k < EA_TRIE_KINDS && !err; k++)
		err = sync_nodes(m, &l, bank, t, k, 0, t->nodes.count[k], false);
	if (!err)
		err = sync_root(m, &l, bank, &t->trie4, EA_GEO_ROOT4(bank), 0,
				root_rows(&t->trie4), false);
	if (!err)
		err = sync_root(m, &l, bank, &t->trie6, EA_GEO_ROOT6(bank), 0,
				root_rows(&t->trie6), false);
	if (!err)
		err = sync_results(m, t, bank, false);
	return err;
}

/* The next 1/parts of total entries from *cur, wrapping: its first; *n its length. */
static uint32_t next_part(uint32_t total, uint32_t parts, uint32_t *cur, uint32_t *n)
{
	uint32_t from = *cur < total ? *cur : 0;

	*n = (total + parts - 1) / parts;
	if (*n > total - from)
		*n = total - from;
	*cur = from + *n;
	return from;
}

int ea_geo_maps_check(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		      uint32_t bank, uint32_t parts, struct ea_geo_check *c,
		      const char **what)
{
	uint32_t n4, n6, f4 = next_part(root_rows(&t->trie4), parts, &c->root4, &n4);
	uint32_t f6 = next_part(root_rows(&t->trie6), parts, &c->root6, &n6);
	const struct bpf_map *map[3 + EA_TRIE_KINDS] = { m->results, m->root, m->root };
	int n[3 + EA_TRIE_KINDS], total = 0;
	struct node_layout l;

	layout_of(m, &l);
	n[0] = sync_results(m, t, bank, true);
	n[1] = sync_root(m, &l, bank, &t->trie4, EA_GEO_ROOT4(bank), f4, n4, true);
	n[2] = sync_root(m, &l, bank, &t->trie6, EA_GEO_ROOT6(bank), f6, n6, true);
	for (unsigned int k = 0; k < EA_TRIE_KINDS; k++) {
		uint32_t count, from = next_part(t->nodes.count[k], parts, &c->nodes[k], &count);

		map[3 + k] = m->node[k];
		n[3 + k] = sync_nodes(m, &l, bank, t, k, from, count, true);
	}
	*what = NULL;
	for (int i = 0; i < 3 + EA_TRIE_KINDS; i++) {
		if (n[i] < 0)
			return n[i];
		if (n[i] && !*what)
			*what = bpf_map__name(map[i]);
		total += n[i];
	}
	return total;
}
