/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading the audit trail: the segments of a trail directory, and one
 * segment block by block and record by record. Input is hostile: every
 * length is checked before it is used, every block against its CRC.
 */
#ifndef EA_TRAIL_READ_H
#define EA_TRAIL_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec_codec.h"
#include "trail_fmt.h"

struct libdeflate_decompressor;

struct ea_seg_reader {
	int fd;
	uint64_t size;			/* file size when opened */
	uint64_t off;			/* offset of the next block header */
	uint64_t blk_off;		/* offset of the current block header */
	uint64_t bytes_read;		/* bytes read from the file */
	size_t hdr_len;
	struct ea_seg_hdr hdr;
	struct ea_blk_hdr blk;		/* the current block */
	uint8_t *comp, *raw;		/* grown to the largest block met */
	size_t comp_cap, raw_cap;
	const uint8_t *rp, *rend;	/* records of the loaded block not yet read */
	uint32_t left;			/* records of it not yet read */
	struct ea_rec_ctx *ctx;		/* decoding context, reset with each block */
	struct libdeflate_decompressor *dd;
};

/* Open a segment and read its header; takes fd. 0, -ENODATA (the file
 * ends inside the header), -EINVAL (*why) or another -errno, after which
 * the reader is closed. */
int ea_seg_open_fd(struct ea_seg_reader *s, int fd, const char **why);
int ea_seg_open(struct ea_seg_reader *s, int dirfd, const char *name, const char **why);
void ea_seg_close(struct ea_seg_reader *s);

/*
 * Read the next block header into s->blk: 1, 0 at the clean end of the
 * file, -ENODATA when the file ends inside the block (a torn tail) or
 * -EINVAL with *why.
 */
int ea_seg_next_block(struct ea_seg_reader *s, const char **why);
/* Read the current block's data, check its CRC and inflate it. Blocks are
 * raw DEFLATE; libdeflate inflates a whole block in one call, faster than
 * zlib's streaming inflate. */
int ea_seg_load_block(struct ea_seg_reader *s, const char **why);
/* The next encoded record of the loaded block: 1, 0 after the last one
 * (when the counts and lengths agree), -EINVAL otherwise. Records are
 * decoded in order with ea_rec_decode(s->ctx, ...). */
int ea_seg_next_record(struct ea_seg_reader *s, const uint8_t **rec, size_t *len,
		       const char **why);

/* The segments of a trail directory, by first seq. */
struct ea_seg_list {
	uint64_t *seq;
	size_t n;
};

int ea_seg_list(int dirfd, struct ea_seg_list *l);
void ea_seg_list_free(struct ea_seg_list *l);

/* The index of segment first_seq, if present and readable. 0, -ENOENT or -EINVAL. */
int ea_idx_read(int dirfd, uint64_t first_seq, struct ea_seg_idx *x, const char **why);

/*
 * The trail directories a path names: itself when it holds segments,
 * else each subdirectory that does (one per host), sorted. 0 or -errno.
 */
int ea_trail_dirs(const char *path, char ***dirs, size_t *n);
void ea_trail_dirs_free(char **dirs, size_t n);

#endif /* EA_TRAIL_READ_H */
