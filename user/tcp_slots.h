/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The slots of TCP flow state (bpf/flow.bpf.h tcp_socks and
 * tcp_sock_keys) as user space sees them: how many are in use, and one
 * slot by its socket cookie, for the tests and tools that plant and read
 * slots. Writes are not atomic against the datapath: they are for a
 * cookie no socket has, in a bucket nothing else writes meanwhile.
 */
#ifndef EA_TCP_SLOTS_H
#define EA_TCP_SLOTS_H

#include <stdint.h>
#include "egress_audit.h"

/* Slots in use; -errno. */
int64_t ea_tcp_slots_in_use(int keys_fd);

/* The slot of cookie: 0, -ENOENT when it has none, or -errno. */
int ea_tcp_slot_get(int keys_fd, int socks_fd, uint64_t cookie, struct ea_sock_state *s);

/* Give cookie a slot holding *s: 0, -EEXIST, -ENOSPC (its bucket full) or -errno. */
int ea_tcp_slot_put(int keys_fd, int socks_fd, uint64_t cookie, const struct ea_sock_state *s);

/* Write *s into the slot cookie has: 0, -ENOENT or -errno. */
int ea_tcp_slot_set(int keys_fd, int socks_fd, uint64_t cookie, const struct ea_sock_state *s);

/* Free the slot of cookie: 0, -ENOENT or -errno. */
int ea_tcp_slot_drop(int keys_fd, uint64_t cookie);

#endif /* EA_TCP_SLOTS_H */
