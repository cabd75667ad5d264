/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A record: the unit the agent prints, writes to the audit trail and feeds
 * to the SIEM. Flow records come from kernel events; the agent adds its own
 * (lost, agent start and stop, heartbeat, configuration, checkpoint, ...).
 * Every string is NUL-terminated and may hold any byte an attacker chose
 * (process names, paths): each output format escapes it.
 */
#ifndef EA_REC_H
#define EA_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "egress_audit.h"

/* Record kinds. Values are stored in the trail: never renumber. */
enum ea_rec_kind {
	EA_REC_FLOW_START = 1,
	EA_REC_FLOW_UPDATE = 2,
	EA_REC_FLOW_END = 3,
	EA_REC_LOST = 4,
	EA_REC_AGENT_START = 5,
	EA_REC_AGENT_STOP = 6,
	EA_REC_HEARTBEAT = 7,
	EA_REC_CONFIG = 8,
	EA_REC_CHECKPOINT = 9,
	EA_REC_REPAIR = 10,	/* a torn tail was cut at start */
	EA_REC_GAP = 11,	/* records could not be written (disk full) */
	EA_REC_RETENTION = 12,	/* segments deleted by retention */
	EA_REC_TAMPER = 13,	/* the agent's hooks or settings changed behind its back */
	EA_REC_KIND_MAX = 14,
};

#define EA_REC_HOST_MAX		256
#define EA_REC_CGROUP_MAX	512
#define EA_REC_LABELS_MAX	1024	/* comma-separated label names */
#define EA_REC_EVIDENCE_MAX	2048	/* label=path-or-cgroup;... */
#define EA_REC_DETAIL_MAX	4096	/* JSON object for agent records */

struct ea_rec {
	uint32_t kind;			/* enum ea_rec_kind */
	uint64_t seq;			/* trail sequence number (0: not yet) */
	uint8_t chain[32];		/* trail chain value */
	int64_t ts_ns;			/* CLOCK_REALTIME */
	char host[EA_REC_HOST_MAX];

	/* flow records */
	uint8_t verdict;		/* enum ea_verdict */
	uint8_t proto;			/* enum ea_proto */
	uint8_t ip_proto;
	uint8_t family;			/* 4 or 6 */
	uint8_t origin;			/* enum ea_origin */
	uint8_t zone;			/* enum ea_zone */
	uint8_t mapped;			/* destination was IPv4-mapped */
	uint8_t routed;			/* a packet named a source route (dst: its deciding address) */
	uint16_t country;		/* packed ISO code, 0 none */
	uint16_t sport, dport;
	uint8_t src[16], dst[16];	/* network order, IPv4 as ::ffff:a.b.c.d */
	uint32_t pid, tid, uid, gid, ifindex;
	uint64_t cgroup_id, cookie;
	int64_t start_ns;		/* CLOCK_REALTIME of the first packet */
	uint64_t bytes, packets;
	char comm[EA_COMM_LEN + 1];
	char cgroup[EA_REC_CGROUP_MAX];
	char labels[EA_REC_LABELS_MAX];
	char evidence[EA_REC_EVIDENCE_MAX];

	/* lost records: how many events of which kind */
	uint64_t count;
	char what[32];

	/* agent, heartbeat, config, checkpoint, repair, gap, retention */
	char detail[EA_REC_DETAIL_MAX];
};

/* How the detail of a lost record refused by the flood limit starts. */
#define EA_LOST_REFUSED_DETAIL	"{\"reason\":\"flood_limit\""
/* How that of runs of a program the kernel skipped starts (what "program_run"). */
#define EA_LOST_SKIPPED_DETAIL	"{\"reason\":\"skipped\""

const char *ea_rec_kind_name(uint32_t kind);
int ea_rec_kind_parse(const char *name);	/* kind or -1 */
bool ea_rec_is_flow(const struct ea_rec *r);
/* Why a lost record's events were lost, from its detail. */
enum ea_lost_cause {
	EA_LOST_RING,		/* the ring buffer was full */
	EA_LOST_REFUSED,	/* refused by the flood limit */
	EA_LOST_SKIPPED,	/* runs of a program the kernel skipped */
};

enum ea_lost_cause ea_rec_lost_cause(const struct ea_rec *r);
const char *ea_lost_cause_text(enum ea_lost_cause c);

#endif /* EA_REC_H */
