/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Synthetic records for tests, benchmarks and load: plausible flow records
 * (countries, zones, verdicts, labels, processes, IPv4 and IPv6
 * destinations) with now and then a lost or heartbeat record, from a seed.
 * Some process names hold bytes that every output format must escape.
 */
#ifndef EA_REC_SYNTH_H
#define EA_REC_SYNTH_H

#include <stdint.h>

#include "rec.h"

struct ea_synth {
	uint64_t state;
	int64_t ts_ns;
	char host[EA_REC_HOST_MAX];
	uint32_t agent_every;		/* one record in this many is not a flow (0: none) */
};

/* Start at start_ns (CLOCK_REALTIME ns); r is cleared once. */
void ea_synth_init(struct ea_synth *s, uint64_t seed, const char *host, int64_t start_ns,
		   struct ea_rec *r);
/* The next record into r (the same r each time: only what changes is written). */
void ea_synth_next(struct ea_synth *s, struct ea_rec *r);

#endif /* EA_REC_SYNTH_H */
