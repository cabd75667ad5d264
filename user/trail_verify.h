/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Verification of one host's trail: every segment header, block and
 * record decodes; seqs run without a gap from the first segment to the
 * last; the chain recomputed from the records matches every segment and
 * block header, every index and every checkpoint; checkpoint signatures
 * hold under the public key; records missing at the start are accounted
 * for by a retention record; anchors (seq and chain value received earlier
 * by the SIEM) are in the trail with that chain value. The walk stops at
 * the first fault and names its segment and seq.
 */
#ifndef EA_TRAIL_VERIFY_H
#define EA_TRAIL_VERIFY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "trail_fmt.h"

struct ea_anchor {
	uint64_t seq;
	uint8_t chain[EA_CHAIN_LEN];
};

struct ea_verify_opts {
	const char *pubkey;		/* NULL: DIR/host.pub, else DIR/../host.pub */
	const struct ea_anchor *anchors;
	size_t nanchors;
};

struct ea_verify_result {
	bool ok;
	char host[EA_REC_HOST_MAX];
	char segment[64];		/* where the first fault is ("" if none) */
	uint64_t seq;			/* the seq it concerns (0: none) */
	char what[512];			/* what is wrong */
	bool torn;			/* it is a torn tail of the last segment (a
					 * writer may be in the middle of a block) */
	uint64_t first_seq, last_seq, records, segments, blocks;
	uint64_t checkpoints, last_checkpoint;	/* seq of the last checkpoint record */
	uint64_t anchors;		/* anchors matched */
	uint64_t missing_indexes;	/* closed segments without an index */
	char pubkey[PATH_MAX + 16];	/* the key file used ("" if none was needed) */
	char key_id[80];
};

/* Parse "SEQ:CHAINHEX". 0 or -EINVAL. */
int ea_anchor_parse(const char *s, struct ea_anchor *a);

/* Verify the trail in dir. 0 when intact, 1 when not (res says where and
 * what), -errno when dir cannot be read at all. */
int ea_trail_verify(const char *dir, const struct ea_verify_opts *o,
		    struct ea_verify_result *res);

#endif /* EA_TRAIL_VERIFY_H */
