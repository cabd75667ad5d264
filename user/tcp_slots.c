// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The slots of TCP flow state, as user space sees them (see tcp_slots.h). */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>

#include "tcp_slots.h"
#include "util.h"

/* Buckets of tcp_sock_keys (a power of two); 0 on error, errno set. */
static uint32_t buckets_of(int keys_fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(keys_fd, &info, &len))
		return 0;
	if (info.value_size != sizeof(struct ea_slot_bucket) || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return 0;
	}
	return info.max_entries;
}

/* Cookies set in n buckets. */
static int64_t cookies_set(const struct ea_slot_bucket *v, uint32_t n)
{
	int64_t used = 0;

	for (uint32_t b = 0; b < n; b++)
		for (int i = 0; i < EA_SLOT_BUCKET; i++)
			used += __atomic_load_n(&v[b].cookie[i], __ATOMIC_RELAXED) != 0;
	return used;
}

/*
 * Slots in use, read where the map holds them (bpf/flow.bpf.h makes it
 * mappable): no copy through the kernel, which for the default 8192
 * buckets took a millisecond of the agent's every second.
 */
int64_t ea_tcp_slots_in_use(int keys_fd)
{
	uint32_t n = buckets_of(keys_fd);
	struct ea_map_view v;
	int64_t used;
	int err;

	if (!n)
		return -errno;
	err = ea_map_view_open(&v, keys_fd, 0, n, sizeof(struct ea_slot_bucket));
	if (err)
		return err;
	used = cookies_set((const struct ea_slot_bucket *)v.at, n);
	ea_map_view_close(&v);
	return used;
}

/* Where a cookie's slot is, or would go. */
struct place {
	uint32_t buckets;
	uint32_t b;			/* its bucket */
	struct ea_slot_bucket k;	/* the bucket's cookies */
	int i;				/* its slot in the bucket; -1 for none */
};

/* Slot i of bucket b is entry i * buckets + b of tcp_socks (flow.bpf.h). */
static uint32_t entry_of(const struct place *p, int i)
{
	return (uint32_t)i * p->buckets + p->b;
}

/* The place of cookie (not 0): 0 or -errno. */
static int place_of(int keys_fd, uint64_t cookie, struct place *p)
{
	if (!cookie)
		return -EINVAL;
	p->buckets = buckets_of(keys_fd);
	if (!p->buckets)
		return -errno;
	p->b = (uint32_t)(cookie & (p->buckets - 1));
	if (bpf_map_lookup_elem(keys_fd, &p->b, &p->k))
		return -errno;
	for (p->i = EA_SLOT_BUCKET - 1; p->i >= 0 && p->k.cookie[p->i] != cookie; p->i--)
		;
	return 0;
}

/* The entry of tcp_socks that holds the slot of cookie: 0, -ENOENT or -errno. */
static int entry_of_cookie(int keys_fd, uint64_t cookie, uint32_t *idx)
{
	struct place p;
	int err = place_of(keys_fd, cookie, &p);

	if (err || p.i < 0)
		return err ?: -ENOENT;
	*idx = entry_of(&p, p.i);
	return 0;
}

int ea_tcp_slot_get(int keys_fd, int socks_fd, uint64_t cookie, struct ea_sock_state *s)
{
	uint32_t idx;
	int err = entry_of_cookie(keys_fd, cookie, &idx);

	return err ?: (bpf_map_lookup_elem(socks_fd, &idx, s) ? -errno : 0);
}

int ea_tcp_slot_set(int keys_fd, int socks_fd, uint64_t cookie, const struct ea_sock_state *s)
{
	uint32_t idx;
	int err = entry_of_cookie(keys_fd, cookie, &idx);

	return err ?: (bpf_map_update_elem(socks_fd, &idx, s, BPF_EXIST) ? -errno : 0);
}

int ea_tcp_slot_put(int keys_fd, int socks_fd, uint64_t cookie, const struct ea_sock_state *s)
{
	struct place p;
	uint32_t idx;
	int i, err = place_of(keys_fd, cookie, &p);

	if (err || p.i >= 0)
		return err ?: -EEXIST;
	for (i = 0; i < EA_SLOT_BUCKET && p.k.cookie[i]; i++)
		;
	if (i == EA_SLOT_BUCKET)
		return -ENOSPC;
	idx = entry_of(&p, i);
	if (bpf_map_update_elem(socks_fd, &idx, s, BPF_EXIST))
		return -errno;
	p.k.cookie[i] = cookie;	/* the slot first, then its cookie: as the datapath */
	return bpf_map_update_elem(keys_fd, &p.b, &p.k, BPF_EXIST) ? -errno : 0;
}

int ea_tcp_slot_drop(int keys_fd, uint64_t cookie)
{
	struct place p;
	int err = place_of(keys_fd, cookie, &p);

	if (err || p.i < 0)
		return err ?: -ENOENT;
	p.k.cookie[p.i] = 0;
	return bpf_map_update_elem(keys_fd, &p.b, &p.k, BPF_EXIST) ? -errno : 0;
}
