/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The evidence of recorded flows, kept from their flow_start until their
 * flow_end: a flow that outlives its owner (TCP closing after the process
 * exited) ends with the evidence it started with.
 */
#ifndef EA_EVIDENCE_CACHE_H
#define EA_EVIDENCE_CACHE_H

#include <stddef.h>

#include "rec.h"

#define EA_EVIDENCE_CACHE_SLOTS	65536	/* power of two */

struct ea_evidence_cache;

struct ea_evidence_cache *ea_evidence_cache_new(void);
void ea_evidence_cache_free(struct ea_evidence_cache *c);
/* Remember r's evidence (flow_start/update) or complete it (flow_end). */
void ea_evidence_cache_apply(struct ea_evidence_cache *c, struct ea_rec *r);

#endif /* EA_EVIDENCE_CACHE_H */
