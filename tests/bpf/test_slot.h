/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A slot of tcp_socks as the datapath leaves it for a flagged TCP flow
 * over IPv4 that was reported: 3 packets, 160 bytes, owner known, no
 * aggregate (result ~0). Callers set addresses, ports, times and owner.
 */
#ifndef EA_TEST_SLOT_H
#define EA_TEST_SLOT_H

#include <netinet/in.h>

#include "egress_audit.h"

static inline struct ea_sock_state ea_test_flagged_slot(uint64_t cookie)
{
	struct ea_sock_state s = { .in_slot = 1, .owner_known = 1 };

	s.flow.packets = 3;
	s.flow.bytes = 160;
	s.flow.result = ~0u;
	s.flow.verdict = EA_VERDICT_FLAGGED;
	s.flow.flags = EA_FLOW_RECORDED;
	s.flow.proto = EA_PROTO_TCP;
	s.flow.ip_proto = IPPROTO_TCP;
	s.flow.family = 4;
	s.owner.cookie = cookie;
	s.owner.cgroup_idx = ~0u;
	return s;
}

#endif
