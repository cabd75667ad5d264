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

	if (per_bank * EA_GEO_BANKS >= EA_TRIE_NODE)
		return -E2BIG;
	m->bank_chunks = (uint32_t)per_bank;
	return bpf_map__set_max_entries(m->chunks, m->bank_chunks * EA_GEO_BANKS);
}

/* A slot as stored in the kernel: chunk indices move to the bank's range. */
static uint32_t bank_slot(uint32_t s, uint32_t base)
{
	return (s & EA_TRIE_NODE) ? ((s & ~EA_TRIE_NODE) + base) | EA_TRIE_NODE : s;
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

static int fill_root(const struct ea_geo_maps *m, const struct ea_geo_trie *trie,
		     uint32_t first, uint32_t base)
{
	uint32_t n = 1u << trie->root_bits, *slots = malloc(n * sizeof(*slots));
	int err;

	if (!slots)
		return -ENOMEM;
	for (uint32_t r = 0; r < n; r++)
		slots[r] = bank_slot(trie->root[r], base);
	err = update_range(bpf_map__fd(m->root), first, slots, n);
	free(slots);
	return err;
}

static int fill_chunks(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		       uint32_t base)
{
	struct ea_trie_chunk *c = malloc((t->nchunks ? t->nchunks : 1) * sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nchunks; i++)
		for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++)
			c[i].slot[k] = bank_slot(t->chunks[i].slot[k], base);
	err = update_range(bpf_map__fd(m->chunks), base, c, t->nchunks);
	free(c);
	return err;
}

int ea_geo_maps_fill(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		     uint32_t bank)
{
	uint32_t base = bank * m->bank_chunks;
	int err;

	if (bank >= EA_GEO_BANKS || t->nchunks > m->bank_chunks)
		return -E2BIG;
	err = fill_chunks(m, t, base);
	if (!err)
		err = fill_root(m, &t->trie4, EA_GEO_ROOT4(bank), base);
	if (!err)
		err = fill_root(m, &t->trie6, EA_GEO_ROOT6(bank), base);
	if (!err)
		err = update_range(bpf_map__fd(m->results), bank * EA_MAX_RESULTS,
				   t->results, t->nresults);
	return err;
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
 * Entries [first, first + count) of a map against want (size bytes each):
 * the number that differ, all of them written again then, or -errno.
 */
static int check_range(int fd, uint32_t first, const void *want, uint32_t count,
		       size_t size)
{
	char *got = malloc((count ? count : 1) * size);
	int bad = 0, err;

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

/* The next 1/parts of the root slots of trie, from *cur (wrapping). */
static int check_root(const struct ea_geo_maps *m, const struct ea_geo_trie *trie,
		      uint32_t first, uint32_t base, uint32_t parts, uint32_t *cur)
{
	uint32_t total = 1u << trie->root_bits, n = (total + parts - 1) / parts, *want;
	int ret;

	if (*cur >= total)
		*cur = 0;
	if (n > total - *cur)
		n = total - *cur;
	want = malloc(n * sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (uint32_t r = 0; r < n; r++)
		want[r] = bank_slot(trie->root[*cur + r], base);
	ret = check_range(bpf_map__fd(m->root), first + *cur, want, n, sizeof(*want));
	free(want);
	*cur += n;
	return ret;
}

/* The next 1/parts of the chunks, from *cur (wrapping). */
static int check_chunks(const struct ea_geo_maps *m, const struct ea_geo_table *t,
			uint32_t base, uint32_t parts, uint32_t *cur)
{
	uint32_t n = (t->nchunks + parts - 1) / parts;
	struct ea_trie_chunk *want;
	int ret;

	if (*cur >= t->nchunks)
		*cur = 0;
	if (n > t->nchunks - *cur)
		n = t->nchunks - *cur;
	want = malloc((n ? n : 1) * sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++)
			want[i].slot[k] = bank_slot(t->chunks[*cur + i].slot[k], base);
	ret = check_range(bpf_map__fd(m->chunks), base + *cur, want, n, sizeof(*want));
	free(want);
	*cur += n;
	return ret;
}

int ea_geo_maps_check(const struct ea_geo_maps *m, const struct ea_geo_table *t,
		      uint32_t bank, uint32_t parts, struct ea_geo_check *c,
		      const char **what)
{
	uint32_t base = bank * m->bank_chunks;
	int n[4], total = 0;
	static const char *const names[4] = { "geo_results", "geo_root", "geo_root",
					      "geo_chunks" };

	n[0] = check_range(bpf_map__fd(m->results), bank * EA_MAX_RESULTS, t->results,
			   t->nresults, sizeof(*t->results));
	n[1] = check_root(m, &t->trie4, EA_GEO_ROOT4(bank), base, parts, &c->root4);
	n[2] = check_root(m, &t->trie6, EA_GEO_ROOT6(bank), base, parts, &c->root6);
	n[3] = check_chunks(m, t, base, parts, &c->chunks);
	*what = NULL;
	for (int i = 0; i < 4; i++) {
		if (n[i] < 0)
			return n[i];
		if (n[i] && !*what)
			*what = names[i];
		total += n[i];
	}
	return total;
}
