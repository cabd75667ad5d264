/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Selecting records from trails, for query and report. Filters: --since,
 * --until (RFC 3339, a date, or relative like -2h; since inclusive, until
 * exclusive), --event, --verdict, --country (two letters, or -- for none),
 * --zone, --label, --comm (a shell pattern), --pid, --uid, --dst (CIDR),
 * --dport (N or N-M), --proto, --host, --community-id (the flow's, as
 * the SIEM messages carry it). Each takes a comma-separated list
 * (except --comm, whose names may hold commas) and may be repeated: the
 * values of one filter are alternatives, different filters must all hold
 * (--since and --until are bounds, not alternatives: once each). A filter on a
 * flow field selects flow records only.
 *
 * The scan reads trails in seq order. A time-bounded scan skips segments
 * by their index and blocks by their headers, so it reads only what
 * overlaps the time range.
 */
#ifndef EA_QUERY_H
#define EA_QUERY_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "rec.h"

#define EA_FILTER_MAX	64
#define EA_FILTER_OPT	0x100	/* getopt values of filter options start here */

struct ea_port_range {
	uint16_t lo, hi;
};

struct ea_filter {
	bool has_since, has_until;
	int64_t since, until;
	uint32_t kinds, verdicts, zones, protos;	/* bit sets; 0: any */
	uint16_t countries[EA_FILTER_MAX];		/* 0: no country */
	size_t ncountries;
	const char *labels[EA_FILTER_MAX];
	size_t nlabels;
	const char *comms[EA_FILTER_MAX];
	size_t ncomms;
	uint32_t pids[EA_FILTER_MAX];
	size_t npids;
	uint32_t uids[EA_FILTER_MAX];
	size_t nuids;
	struct ea_cidr dsts[EA_FILTER_MAX];
	size_t ndsts;
	struct ea_port_range dports[EA_FILTER_MAX];
	size_t ndports;
	const char *hosts[EA_FILTER_MAX];
	size_t nhosts;
	const char *community_ids[EA_FILTER_MAX];
	size_t ncommunity_ids;
	bool flow_only;
	char *copies[EA_FILTER_MAX];	/* lists split into names */
	size_t ncopies;
};

/* getopt_long entries of the filter options (val EA_FILTER_OPT + i), then a
 * terminating zero entry; out has room for EA_FILTER_NOPTS + 1. */
#define EA_FILTER_NOPTS	15
void ea_filter_options(struct option *out);

/*
 * Add the value of filter option val (from ea_filter_options). 0, or
 * -EINVAL with err naming the option and the problem. value must outlive f.
 */
int ea_filter_add(struct ea_filter *f, int val, const char *value, int64_t now_ns,
		  struct ea_err *err);
bool ea_filter_match(const struct ea_filter *f, const struct ea_rec *r);
void ea_filter_free(struct ea_filter *f);
/* Whether records in [min_ts, max_ts] may match (the time bounds alone). */
bool ea_filter_overlaps(const struct ea_filter *f, int64_t min_ts, int64_t max_ts);

struct ea_scan_stats {
	uint64_t segments, segments_skipped, blocks, blocks_skipped;
	uint64_t records, matched, bytes_read;
};

/* Called with each matching record (seq and chain set when want_chain);
 * nonzero stops the scan. */
typedef int (*ea_scan_fn)(void *ctx, const struct ea_rec *r);

struct ea_scan {
	const struct ea_filter *f;
	bool want_chain;
	ea_scan_fn fn;
	void *ctx;
	struct ea_scan_stats st;
	char err[512];			/* the first damage met, if any */
};

/* Scan the trail in dir. 0, 1 when fn stopped it, -errno when dir cannot
 * be read; damage is reported in sc->err and the scan goes on. */
int ea_scan_trail(struct ea_scan *sc, const char *dir);

#endif /* EA_QUERY_H */
