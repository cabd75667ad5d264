/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Aggregation for `egress-audit report`: flows, bytes and packets grouped
 * by one or more keys (country, zone, verdict, label, comm, dst, host,
 * hour, day).
 *
 * A flow is counted once: its records (flow_start, flow_update, flow_end)
 * share host, socket cookie, start time, destination, ports and protocol,
 * and bytes and packets are totals so far, so a flow contributes the
 * totals and the fields of its last selected record. hour and day are
 * those of the flow's start (UTC). A flow with several labels counts under
 * each of them ("-" when it has none), so label groups may add up to more
 * than all flows.
 */
#ifndef EA_REPORT_H
#define EA_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

enum ea_report_key {
	EA_KEY_COUNTRY, EA_KEY_ZONE, EA_KEY_VERDICT, EA_KEY_LABEL, EA_KEY_COMM,
	EA_KEY_DST, EA_KEY_HOST, EA_KEY_HOUR, EA_KEY_DAY, EA_KEY_CGROUP, EA_KEY_UID,
	EA_KEY_PROTO, EA_KEY_DPORT, EA_KEY_MAX,
};

#define EA_REPORT_KEYS	4	/* keys of one report, at most */
#define EA_REPORT_VAL	(EA_REC_LABELS_MAX)

struct ea_report_row {
	char *key[EA_REPORT_KEYS];	/* values of the report's keys */
	uint64_t flows, bytes, packets;
};

struct ea_report;

#define EA_REPORT_BUILDS	8	/* builds a report names */
#define EA_REPORT_BUILD_LEN	64

/*
 * What a report over a time window may be missing, from the trail's own
 * records in that window (filters on flow fields do not apply to them):
 * events lost before the trail (the ring buffer full, refused by the
 * flood limit, or not seen: runs of a program the kernel skipped), records the trail could not take (gap records), tamper
 * findings, and the agent's starts and stops.
 */
struct ea_report_gaps {
	uint64_t lost_ring, lost_refused;	/* events */
	uint64_t lost_skipped;			/* program runs the kernel skipped */
	uint64_t unwritten;			/* records, from gap records */
	uint64_t tampers, starts, stops;	/* records */
	/* the builds that started in the window: "0.1.0 (commit 0123abcd4567)" */
	char builds[EA_REPORT_BUILDS][EA_REPORT_BUILD_LEN];
	size_t nbuilds;
	uint64_t other_builds;			/* starts of builds past those */
};

/* Count r into g when it is one of those records (an agent_start's build too). */
void ea_report_gaps_add(struct ea_report_gaps *g, const struct ea_rec *r);
/*
 * When the records a gap record counts began to be refused (its "since"),
 * in ns; INT64_MIN when its detail does not say.
 */
int64_t ea_report_gap_since(const struct ea_rec *r);
/* The builds of g as report names them: "egress-audit 0.1.0 (commit ...), ..." */
#define EA_REPORT_BUILDS_STRLEN	(EA_REPORT_BUILDS * (EA_REPORT_BUILD_LEN + 16) + 64)
const char *ea_report_builds_str(const struct ea_report_gaps *g,
				 char buf[EA_REPORT_BUILDS_STRLEN]);

const char *ea_report_key_name(enum ea_report_key k);
int ea_report_key_parse(const char *s);		/* enum ea_report_key or -1 */

struct ea_report *ea_report_new(const enum ea_report_key *keys, size_t nkeys);
/* A selected record (non-flow records are ignored). 0 or -ENOMEM. */
int ea_report_add(struct ea_report *rp, const struct ea_rec *r);
/* Group the flows; rows sorted by bytes, most first, then by key. */
int ea_report_finish(struct ea_report *rp, const struct ea_report_row **rows, size_t *n);
uint64_t ea_report_flows(const struct ea_report *rp);	/* distinct flows */
void ea_report_free(struct ea_report *rp);

/* The value of key k for a flow record r into buf ("-" when it has none);
 * for EA_KEY_LABEL the whole label list. */
const char *ea_report_value(enum ea_report_key k, const struct ea_rec *r, char *buf,
			    size_t len);

#endif /* EA_REPORT_H */
