/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records as the agent prints them: one readable line each, or one JSON
 * object per line with the contract keys (event, ts, host, verdict, proto,
 * family, src, sport, dst, dport, country, zone, pid, comm, uid, cgroup,
 * bytes, packets, start, labels; lost records carry count), and the
 * conversion of kernel events into records.
 */
#ifndef EA_RECORD_H
#define EA_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rec.h"

/* What a record needs beyond the kernel event. */
struct ea_record_ctx {
	const char *host;
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	int64_t start_to_real_ns;	/* the same when the flow started */
	const char *cgroup;		/* path of the event's cgroup, or NULL */
	const char (*label_names)[64];	/* names by bit */
	uint32_t nlabels;
};

const char *ea_proto_name(uint32_t proto);

/* The sum over the CPUs of a per-CPU aggregate (map agg): ncpu values. */
static inline struct ea_agg ea_agg_sum(const struct ea_agg *v, int ncpu)
{
	struct ea_agg sum = { 0 };

	for (int c = 0; c < ncpu; c++) {
		sum.flows += v[c].flows;
		sum.packets += v[c].packets;
		sum.bytes += v[c].bytes;
	}
	return sum;
}

/* Name of a datapath counter (enum ea_counter), NULL for unused slots. */
const char *ea_counter_name(uint32_t k);
const char *ea_origin_name(uint32_t origin);

/* RFC 3339 UTC with microseconds, e.g. 2026-11-29T05:30:00.123456Z. */
const char *ea_format_time(int64_t real_ns, char buf[40]);

/* A flow record from a kernel event (size already checked). */
void ea_rec_from_event(struct ea_rec *r, const struct ea_flow_event *e,
		       const struct ea_record_ctx *ctx);
struct ea_sbuf;
/* A record as one JSON line (with seq and chain once set), appended to b. */
void ea_rec_json(struct ea_sbuf *b, const struct ea_rec *r);
/* The same, its object left open for more members. */
void ea_rec_json_open(struct ea_sbuf *b, const struct ea_rec *r);
/* Any record, readable or as one JSON line (with seq and chain once set). */
void ea_rec_print(FILE *f, bool json, const struct ea_rec *r);

/* Text with every non-printable byte as \xNN (plain output). */
void ea_print_escaped(FILE *f, const char *s, size_t max);

#endif /* EA_RECORD_H */
