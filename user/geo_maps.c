// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Upload of the GeoIP trie and results into the kernel's array maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "geo_maps.h"

int ea_geo_maps_size(struct ea_geo_maps *m, const struct ea_geo_table *t)
{
	uint64_t per_bank = (uint64_t)t->nchunks + t->nchunks / 4 + 1024;

	if (per_bank * EA_GEO_BANKS >= EA_TRIE_LEAF)
		return -E2BIG;
	m->bank_chunks = (uint32_t)per_bank;
	return bpf_map__set_max_entries(m->chunks, m->bank_chunks * EA_GEO_BANKS);
}

/* A slot as stored in the kernel: chunk indices move to the bank's range. */
static uint32_t bank_slot(uint32_t s, uint32_t base)
{
	return (s & EA_TRIE_LEAF) ? s : s + base;
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

/* count values at consecutive keys from first, in one batch. */
static int read_range(int fd, uint32_t first, void *values, uint32_t count)
{
	uint32_t *keys = malloc((count ? count : 1) * sizeof(*keys));
	uint32_t prev = first - 1, out, n = count;
	int err;

	if (!keys)
		return -ENOMEM;
	/* a batch starts after the key given, at 0 when none is */
	err = count ? bpf_map_lookup_batch(fd, first ? &prev : NULL, &out, keys, values, &n,
					   NULL) : 0;
	free(keys);
	if (err && errno != ENOENT)
		return -errno;
	return n == count ? 0 : -EIO;
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
	err = read_range(fd, first, got, count);
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
static int sync_root(const struct ea_geo_maps *m, const struct ea_geo_trie *trie,
		     uint32_t first, uint32_t base, uint32_t from, uint32_t n, bool check)
{
	struct ea_trie_chunk *want = malloc((n ? n : 1) * sizeof(*want));
	const uint32_t *slot = trie->root + (size_t)from * EA_TRIE_CHUNK_SLOTS;
	int ret;

	if (!want)
		return -ENOMEM;
	for (uint32_t r = 0; r < n; r++)
		for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++)
			want[r].slot[k] = bank_slot(*slot++, base);
	ret = sync_range(bpf_map__fd(m->root), first / EA_TRIE_CHUNK_SLOTS + from, want, n,
			 sizeof(*want), check);
	free(want);
	return ret;
}

/* Chunks [from, from + n) of the bank whose chunks start at base. */
static int sync_chunks(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		       uint32_t base, uint32_t from, uint32_t n, bool check)
{
	struct ea_trie_chunk *want = malloc((n ? n : 1) * sizeof(*want));
	int ret;

	if (!want)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++)
			want[i].slot[k] = bank_slot(t->chunks[from + i].slot[k], base);
	ret = sync_range(bpf_map__fd(m->chunks), base + from, want, n, sizeof(*want), check);
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
	uint32_t base = bank * m->bank_chunks;
	int err;

	if (bank >= EA_GEO_BANKS || t->nchunks > m->bank_chunks)
		return -E2BIG;
	err = sync_chunks(m, t, base, 0, t->nchunks, false);
	if (!err)
		err = sync_root(m, &t->trie4, EA_GEO_ROOT4(bank), base, 0,
				root_rows(&t->trie4), false);
	if (!err)
		err = sync_root(m, &t->trie6, EA_GEO_ROOT6(bank), base, 0,
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
	uint32_t base = bank * m->bank_chunks, n4, n6, nc;
	uint32_t f4 = next_part(root_rows(&t->trie4), parts, &c->root4, &n4);
	uint32_t f6 = next_part(root_rows(&t->trie6), parts, &c->root6, &n6);
	uint32_t fc = next_part(t->nchunks, parts, &c->chunks, &nc);
	const struct bpf_map *map[4] = { m->results, m->root, m->root, m->chunks };
	int n[4], total = 0;

	n[0] = sync_results(m, t, bank, true);
	n[1] = sync_root(m, &t->trie4, EA_GEO_ROOT4(bank), base, f4, n4, true);
	n[2] = sync_root(m, &t->trie6, EA_GEO_ROOT6(bank), base, f6, n6, true);
	n[3] = sync_chunks(m, t, base, fc, nc, true);
	*what = NULL;
	for (int i = 0; i < 4; i++) {
		if (n[i] < 0)
			return n[i];
		if (n[i] && !*what)
			*what = bpf_map__name(map[i]);
		total += n[i];
	}
	return total;
}
