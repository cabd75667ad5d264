/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A flow, and a slot of tcp_socks, as the datapath leaves them for a
 * flagged flow over IPv4 that was reported: the slot's a TCP flow of 3
 * packets, 160 bytes, owner known, no aggregate (result ~0). Callers set
 * addresses, ports, times and owner.
 */
#ifndef EA_TEST_SLOT_H
#define EA_TEST_SLOT_H

#include <netinet/in.h>

#include "egress_audit.h"

/* A flagged IPv4 flow that was reported, with no aggregate (result ~0). */
static inline void ea_test_flagged_flow(struct ea_flow *f, __u8 proto, __u8 ip_proto,
					__u64 packets, __u64 bytes)
{
	f->packets = packets;
	f->bytes = bytes;
	f->result = ~0u;
	f->verdict = EA_VERDICT_FLAGGED;
	f->flags = EA_FLOW_RECORDED;
	f->proto = proto;
	f->ip_proto = ip_proto;
	f->family = 4;
}

static inline struct ea_sock_state ea_test_flagged_slot(uint64_t cookie)
{
	struct ea_sock_state s = { .in_slot = 1, .owner_known = 1 };

	ea_test_flagged_flow(&s.flow, EA_PROTO_TCP, IPPROTO_TCP, 3, 160);
	s.owner.cookie = cookie;
	s.owner.cgroup_idx = ~0u;
	return s;
}

#endif
