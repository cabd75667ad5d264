/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the record output tests share: one flow record with every field set. */
#ifndef EA_REC_TEST_UTIL_H
#define EA_REC_TEST_UTIL_H

#include "rec.h"

/*
 * flow_end, 2025-11-29T05:30:00.123456Z on host db-01: a flagged TCP flow
 * 192.0.2.1:40000 -> 198.51.100.7:443 (US, adequacy-partial) of pid 42,
 * tid 43, uid 1000, process comm, in /eu.slice with labels and evidence.
 */
void rt_flow_rec(struct ea_rec *r, const char *comm);

#endif /* EA_REC_TEST_UTIL_H */
