/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The on-disk format of the audit trail (see trail.h for the whole design):
 * segment header, block header, segment index, file names and the chain.
 * All integers are little-endian. Every header carries a CRC32 of its own
 * bytes, so a flipped bit anywhere is caught before any field is believed.
 */
#ifndef EA_TRAIL_FMT_H
#define EA_TRAIL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"
#include "util.h"

#define EA_SEG_MAGIC		"EATRAIL1"
#define EA_SEG_VERSION		1
#define EA_SEG_HDR_MAX		(8 + 2 + 2 + 8 + 32 + 8 + 1 + 255 + 4)
#define EA_SEG_HDR_MIN		(EA_SEG_HDR_MAX - 255)

#define EA_BLK_MAGIC		0x4b424145u	/* "EABK" */
#define EA_BLK_HDR_LEN		80
#define EA_BLK_RAW_MAX		(1u << 20)	/* encoded records of a block */
#define EA_BLK_COMP_MAX		(EA_BLK_RAW_MAX + (EA_BLK_RAW_MAX >> 8) + 64)

#define EA_IDX_MAGIC		"EAINDEX1"
#define EA_IDX_LEN		(8 + 6 * 8 + 32 + 4)

#define EA_SEG_NAME_LEN		28	/* seg-%020llu.eat */
#define EA_CHAIN_LEN		32

/* Segment header: what the file is and where it sits in the chain. */
struct ea_seg_hdr {
	uint64_t first_seq;		/* seq of its first record */
	uint8_t chain[EA_CHAIN_LEN];	/* chain value before it */
	int64_t created_ns;
	char host[EA_REC_HOST_MAX];
};

/* Block header: one raw DEFLATE stream (RFC 1951) of count records. */
struct ea_blk_hdr {
	uint32_t count;
	uint64_t first_seq;
	int64_t min_ts, max_ts;
	uint32_t raw_len, comp_len;
	uint8_t chain[EA_CHAIN_LEN];	/* chain value before its first record */
	uint32_t data_crc;		/* CRC32 of the compressed bytes */
};

/* Segment index (seg-N.idx), written when a segment is closed. */
struct ea_seg_idx {
	uint64_t first_seq, last_seq;
	int64_t min_ts, max_ts;
	uint64_t nblocks, size;		/* blocks, and bytes of the segment file */
	uint8_t end_chain[EA_CHAIN_LEN];
};

/* Serialize into buf (EA_SEG_HDR_MAX bytes); returns the length. */
size_t ea_seg_hdr_put(uint8_t *buf, const struct ea_seg_hdr *h);
/* Parse from buf[0..len): the header length, -ENODATA if len is too short
 * for it, or -EINVAL with *why. */
int ea_seg_hdr_get(const uint8_t *buf, size_t len, struct ea_seg_hdr *h, const char **why);

void ea_blk_hdr_put(uint8_t buf[EA_BLK_HDR_LEN], const struct ea_blk_hdr *h);
int ea_blk_hdr_get(const uint8_t buf[EA_BLK_HDR_LEN], struct ea_blk_hdr *h, const char **why);

void ea_idx_put(uint8_t buf[EA_IDX_LEN], const struct ea_seg_idx *x);
int ea_idx_get(const uint8_t *buf, size_t len, struct ea_seg_idx *x, const char **why);

/* "seg-%020llu.eat" and its index "seg-%020llu.idx". */
void ea_seg_name(char buf[EA_SEG_NAME_LEN + 1], uint64_t first_seq, const char *ext);
/* The first seq a segment file name gives, or false when it is not one. */
bool ea_seg_name_parse(const char *name, const char *ext, uint64_t *first_seq);

/* The chain: SHA-256(previous chain || encoded record), in place. */
void ea_chain_next(uint8_t chain[EA_CHAIN_LEN], const uint8_t *rec, size_t len);

int ea_unhex(uint8_t *out, const char *hex, size_t n);	/* exactly 2n digits */

#endif /* EA_TRAIL_FMT_H */
