/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Flow records as the agent prints them: one readable line each, or one
 * JSON object per line with the contract keys (event, ts, host, verdict,
 * proto, family, src, sport, dst, dport, country, zone, pid, comm, uid,
 * cgroup, bytes, packets, start, labels; lost records carry count).
 */
#ifndef EA_RECORD_H
#define EA_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "egress_audit.h"

/* What a record needs beyond the kernel event. */
struct ea_record_ctx {
	const char *host;
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	const char *cgroup;		/* path of the event's cgroup, or NULL */
	const char (*label_names)[64];	/* names by bit */
	uint32_t nlabels;
};

const char *ea_event_name(uint32_t type);
const char *ea_proto_name(uint32_t proto);
const char *ea_origin_name(uint32_t origin);

/* RFC 3339 UTC with microseconds, e.g. 2026-11-29T05:30:00.123456Z. */
const char *ea_format_time(int64_t real_ns, char buf[40]);

void ea_record_print_flow(FILE *f, bool json, const struct ea_flow_event *e,
			  const struct ea_record_ctx *ctx);
/* A lost record: count events of kind `what` the ring buffer could not take. */
void ea_record_print_lost(FILE *f, bool json, int64_t real_ns, const char *host,
			  const char *what, uint64_t count);

/* Text with every non-printable byte as \xNN (plain output). */
void ea_print_escaped(FILE *f, const char *s, size_t max);

#endif /* EA_RECORD_H */
