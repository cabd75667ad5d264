/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Following a trail while the agent writes it: records in seq order from
 * any seq on, with their chain values, across segment rotations; at the
 * end, "nothing yet" until the writer adds more. Only complete blocks that
 * check out are read, so a block being written is never half seen.
 */
#ifndef EA_SIEM_FOLLOW_H
#define EA_SIEM_FOLLOW_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "rec.h"
#include "rec_codec.h"
#include "trail_read.h"

struct ea_follow {
	int dirfd;
	char dir[PATH_MAX];
	struct ea_seg_reader seg;
	bool open;
	uint64_t seg_first;		/* first seq of the open segment */
	uint64_t next;			/* seq of the next record to hand out */
	uint64_t rec_seq;		/* seq of the next record of the loaded block */
	uint8_t chain[EA_CHAIN_LEN];	/* chain value before rec_seq */
	struct ea_rec_ctx *ctx;		/* the loaded block's decoding context */
	uint64_t missing;		/* records gone before they were read */
	uint64_t missing_upto;		/* ... counted up to here (a seek back meets them again) */

	/* the end of the trail, found by walking block headers */
	uint64_t head_seg, head_off, head;
};

/* Follow the trail in dir from seq from (>= 1). 0 or -errno. */
int ea_follow_open(struct ea_follow *f, const char *dir, uint64_t from);
/*
 * The next record into r (seq and chain set): 1, 0 when there is none
 * yet, or -errno with *why (a block that does not check out; the same
 * call is tried again later).
 */
int ea_follow_next(struct ea_follow *f, struct ea_rec *r, const char **why);
/* Go back (or forward) to seq. */
void ea_follow_seek(struct ea_follow *f, uint64_t seq);
/* The seq of the last record in the trail (0: none). */
uint64_t ea_follow_head(struct ea_follow *f);
void ea_follow_close(struct ea_follow *f);

#endif /* EA_SIEM_FOLLOW_H */
