/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Synthetic records for tests, benchmarks and load, from a seed: flows of
 * processes to destinations in several countries and zones (IPv4 and
 * IPv6), each a flow_start, flow_updates with growing totals and a
 * flow_end sharing cookie, start, addresses and ports, interleaved as
 * concurrent flows are; now and then a lost or heartbeat record. Some
 * process names hold bytes that every output format must escape.
 */
#ifndef EA_REC_SYNTH_H
#define EA_REC_SYNTH_H

#include <stdint.h>

#include "rec.h"

#define EA_SYNTH_FLOWS	64	/* flows open at a time */

struct ea_synth_flow {
	uint64_t cookie, bytes;
	int64_t start_ns;
	uint32_t dest, pid;
	uint16_t sport;
	uint8_t labels, udp;
};

struct ea_synth {
	uint64_t state;
	int64_t ts_ns;
	uint32_t step_ns;		/* largest time between records (default 2 ms) */
	uint32_t agent_every;		/* one record in this many is not a flow (0: none) */
	uint64_t next_cookie;
	struct ea_synth_flow flows[EA_SYNTH_FLOWS];
	char host[EA_REC_HOST_MAX];
};

/* Start at start_ns (CLOCK_REALTIME ns); r is cleared once. */
void ea_synth_init(struct ea_synth *s, uint64_t seed, const char *host, int64_t start_ns,
		   struct ea_rec *r);
/* The next record into r (the same r each time: only what changes is written). */
void ea_synth_next(struct ea_synth *s, struct ea_rec *r);

#endif /* EA_REC_SYNTH_H */
