/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The writer's state, shared by trail.c, trail_open.c and trail_retain.c. */
#ifndef EA_TRAIL_PRIV_H
#define EA_TRAIL_PRIV_H

#include <limits.h>
#include <libdeflate.h>
#include <openssl/evp.h>

#include "trail.h"
#include "trail_fmt.h"
#include "trail_key.h"

#define EA_TRAIL_BLOCK_DEFAULT	(64u << 10)
#define EA_NS			1000000000ll

struct ea_trail {
	struct ea_trail_opts o;
	char log_dir[PATH_MAX];
	char dir[PATH_MAX];		/* log_dir/HOST */
	char host[EA_REC_HOST_MAX];
	int dirfd;			/* flock()ed: the one writer (trail_open.c) */
	int lock_errno;			/* why it could not be, on this file system */

	/* the segment being written */
	int fd;
	struct ea_seg_hdr seg;
	uint64_t seg_size, seg_blocks;
	int64_t seg_min, seg_max;
	bool seg_has_records;

	uint64_t next_seq;
	uint8_t chain[EA_CHAIN_LEN];	/* chain value of record next_seq - 1 */
	uint32_t last_kind;

	/* the block being built: encoded records with their lengths */
	uint8_t *raw;
	size_t raw_len, raw_cap, block_size;
	struct ea_blk_hdr blk;

	/* the block built and not yet written: header and compressed bytes */
	uint8_t *out;
	size_t out_len;
	struct ea_blk_hdr out_blk;
	uint8_t out_chain[EA_CHAIN_LEN];	/* chain after its last record */
	bool pending;

	struct libdeflate_compressor *zc;	/* raw DEFLATE, level 1 */
	struct ea_rec_ctx *ctx;		/* of the block being built */
	EVP_PKEY *key;

	int64_t last_flush_ns, last_checkpoint_ns, last_retain_ns;
	bool rotating;
	bool retaining;		/* a retention pass is deleting: none inside it */
	bool suspended, halted;
	uint64_t refused_run;		/* refused since the suspension began */
	int64_t refused_since;
	struct ea_trail_stats st;
	char repairs[2][320];		/* repair details found by recovery */
	int nrepairs;
	struct ea_rec scratch;		/* the trail's own records */
};

int64_t ea_trail_now(void);
/* Append a record of the trail's own (checkpoint, repair, gap, retention). */
int ea_trail_append_own(struct ea_trail *t, uint32_t kind, const char *detail);
/* Create segment next_seq (header via a temporary file) and make it current. */
int ea_trail_new_segment(struct ea_trail *t);
/* Find where the trail ends, cut a torn tail, open the last segment. */
int ea_trail_recover(struct ea_trail *t, struct ea_err *err);
/* Write the index of the closed segment first_seq. */
int ea_trail_write_idx(struct ea_trail *t, uint64_t first_seq, const struct ea_seg_idx *x);
/* Build the index of segment first_seq from its blocks. */
int ea_trail_scan_idx(struct ea_trail *t, uint64_t first_seq, struct ea_seg_idx *x);
/* Delete old segments as retention says ("size", "age") or to free space
 * ("disk_full": at least one). Returns how many were deleted. */
int ea_trail_retain(struct ea_trail *t, int64_t now, const char *reason);
void ea_trail_free(struct ea_trail *t);
/* fsync the trail directory when the flush mode is sync. */
void ea_trail_sync_dir(struct ea_trail *t);

#endif /* EA_TRAIL_PRIV_H */
