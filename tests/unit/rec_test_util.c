// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the record output tests share (rec_test_util.h). */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "rec_test_util.h"

void rt_flow_rec(struct ea_rec *r, const char *comm)
{
	ea_addr_t a;

	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_FLOW_END;
	r->ts_ns = 1764394200123456000ll;	/* 2025-11-29T05:30:00.123456Z */
	r->start_ns = r->ts_ns - 2000000000ll;
	snprintf(r->host, sizeof(r->host), "db-01");
	r->verdict = EA_VERDICT_FLAGGED;
	r->proto = EA_PROTO_TCP;
	r->ip_proto = 6;
	r->family = 4;
	r->country = ea_cc_pack("US");
	r->zone = EA_ZONE_ADEQUACY_PARTIAL;
	ea_addr_parse("192.0.2.1", &a);
	ea_addr_to_bytes(a, r->src);
	ea_addr_parse("198.51.100.7", &a);
	ea_addr_to_bytes(a, r->dst);
	r->sport = 40000;
	r->dport = 443;
	r->pid = 42;
	r->tid = 43;
	r->uid = 1000;
	r->bytes = 1500;
	r->packets = 3;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	snprintf(r->cgroup, sizeof(r->cgroup), "/eu.slice");
	snprintf(r->labels, sizeof(r->labels), "eu-users,host");
	snprintf(r->evidence, sizeof(r->evidence),
		 "eu-users=file /srv/eu/.../a%%3Bb (inode 7);eu-users=cgroup /eu.slice;host=cgroup /");
}
