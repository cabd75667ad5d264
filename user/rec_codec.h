/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary encoding of a record in the audit trail, and its decoder.
 *
 * Records are encoded one after the other within a block, against a small
 * context that starts empty with each block: the previous record's time
 * and field mask, and for the fields that repeat (host, the class bytes,
 * source, destination, comm, cgroup, labels) the last EA_MRU_N distinct
 * values, most recent first.
 *
 *   record := kind:u8  mask^prev_mask:varint  zigzag(ts - prev_ts):varint
 *             host:mstr  field...
 *
 * varint is unsigned LEB128 (at most 10 bytes), str a varint length and the
 * bytes (no NUL among them), mstr a varint x: odd, the value (x >> 1) places
 * back in the recent list (which then moves to the front); even, a new
 * value of x >> 1 bytes that follows (and goes to the front). The mask
 * says which fields follow, in the order of enum ea_rec_field; fields that
 * hold zero or an empty string are left out, so each kind carries only
 * what it uses. seq and chain are not part of the encoding: seq is the
 * record's place in the trail, and the chain is computed over exactly
 * these bytes (which, through the context, depend on the records before it
 * in its block: those are chained too).
 *
 * The decoder treats its input as hostile: every length is checked against
 * the input and against the field it fills, references to recent values
 * against the values there are, and a record must use all of its bytes.
 * It returns -EINVAL and a static reason.
 */
#ifndef EA_REC_CODEC_H
#define EA_REC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* Optional fields, in encoding order (bit n of the mask). */
enum ea_rec_field {
	EA_F_CLASS,		/* mstr of 9 bytes: verdict proto ip_proto family origin
				 * zone mapped country (u16 little-endian) */
	EA_F_SPORT,		/* varint */
	EA_F_DPORT,		/* varint */
	EA_F_SRC,		/* mstr: 4 bytes (::ffff:a.b.c.d) or 16 */
	EA_F_DST,		/* mstr: as src */
	EA_F_PID,		/* varint */
	EA_F_TID,		/* zigzag varint: tid - pid (absent: tid = pid) */
	EA_F_UID,		/* varint */
	EA_F_GID,		/* zigzag varint: gid - uid (absent: gid = uid) */
	EA_F_IFINDEX,		/* varint each */
	EA_F_CGROUP_ID,
	EA_F_COOKIE,
	EA_F_START,		/* zigzag varint: ts - start */
	EA_F_BYTES,
	EA_F_PACKETS,
	EA_F_COMM,		/* mstr */
	EA_F_CGROUP,		/* mstr */
	EA_F_LABELS,		/* mstr */
	EA_F_EVIDENCE,		/* str */
	EA_F_COUNT,		/* varint */
	EA_F_WHAT,		/* str */
	EA_F_DETAIL,		/* str */
	EA_F_MAX,
};

/* Bytes an encoded record may take, at most (all strings full). */
#define EA_REC_ENC_MAX	16384
#define EA_MRU_N	8

/* Recent values of one field: EA_MRU_N slots of size bytes. */
struct ea_mru {
	uint8_t n;			/* slots in use */
	uint8_t order[EA_MRU_N];	/* slots, most recent first */
	uint16_t len[EA_MRU_N];		/* by slot */
	uint16_t size;
	uint8_t *buf;			/* EA_MRU_N * size bytes */
};

enum { EA_MRU_HOST, EA_MRU_CLASS, EA_MRU_SRC, EA_MRU_DST, EA_MRU_COMM, EA_MRU_CGROUP,
       EA_MRU_LABELS, EA_MRU_FIELDS };

#define EA_CLASS_LEN	9
#define EA_MRU_STORE	(EA_MRU_N * (EA_REC_HOST_MAX + EA_CLASS_LEN + 16 + 16 + \
				     EA_COMM_LEN + 1 + EA_REC_CGROUP_MAX + EA_REC_LABELS_MAX))

/* The context of a block's records. It points into itself: not to be copied. */
struct ea_rec_ctx {
	int64_t ts;
	uint32_t mask;
	struct ea_mru mru[EA_MRU_FIELDS];
	uint8_t store[EA_MRU_STORE];
};

/* Set up a context (once), and empty it (at the start of each block). */
void ea_rec_ctx_init(struct ea_rec_ctx *c);
void ea_rec_ctx_reset(struct ea_rec_ctx *c);

/* Encode r into out (room for EA_REC_ENC_MAX bytes); returns the length. */
size_t ea_rec_encode(struct ea_rec_ctx *c, const struct ea_rec *r, uint8_t *out);

/*
 * Decode the record of exactly len bytes at p into r. seq and chain are
 * left as they are. 0, or -EINVAL with *why set (the context is then
 * undefined until the next reset).
 */
int ea_rec_decode(struct ea_rec_ctx *c, const uint8_t *p, size_t len, struct ea_rec *r,
		  const char **why);

/* LEB128 helpers shared with the trail format. */
size_t ea_varint_put(uint8_t *out, uint64_t v);
/* Read a varint from [*p, end); 0 or -EINVAL (truncated or over 64 bits). */
int ea_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif /* EA_REC_CODEC_H */
