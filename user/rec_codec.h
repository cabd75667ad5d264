/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary encoding of a record in the audit trail, and its decoder.
 *
 *   record := kind:u8  mask:varint  ts:zigzag-varint  host:str  field...
 *
 * varint is unsigned LEB128 (at most 10 bytes), str a varint length and
 * that many bytes (no NUL among them). The mask says which fields follow, in
 * the order of enum ea_rec_field; fields that hold zero or an empty string
 * are left out, so each kind carries only what it uses. seq and chain are
 * not part of the encoding: seq is the record's place in the trail and the
 * chain is computed over these bytes.
 *
 * The decoder treats its input as hostile: every length is checked against
 * the input and against the field it fills, and a record must use all of
 * its bytes. It returns -EINVAL and a static reason.
 */
#ifndef EA_REC_CODEC_H
#define EA_REC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* Optional fields, in encoding order (bit n of the mask). */
enum ea_rec_field {
	EA_F_CLASS,		/* verdict proto ip_proto family origin zone mapped: 7 x u8 */
	EA_F_COUNTRY,		/* u16, little-endian */
	EA_F_SPORT,		/* varint */
	EA_F_DPORT,		/* varint */
	EA_F_SRC4,		/* 4 bytes: src is ::ffff:a.b.c.d */
	EA_F_SRC6,		/* 16 bytes */
	EA_F_DST4,
	EA_F_DST6,
	EA_F_PID,		/* varint each */
	EA_F_TID,
	EA_F_UID,
	EA_F_GID,
	EA_F_IFINDEX,
	EA_F_CGROUP_ID,
	EA_F_COOKIE,
	EA_F_START,		/* zigzag varint: ts - start */
	EA_F_BYTES,
	EA_F_PACKETS,
	EA_F_COMM,		/* str each */
	EA_F_CGROUP,
	EA_F_LABELS,
	EA_F_EVIDENCE,
	EA_F_COUNT,		/* varint */
	EA_F_WHAT,		/* str */
	EA_F_DETAIL,		/* str */
	EA_F_MAX,
};

/* Bytes an encoded record may take, at most (all strings full). */
#define EA_REC_ENC_MAX	16384

/* Encode r into out (room for EA_REC_ENC_MAX bytes); returns the length. */
size_t ea_rec_encode(const struct ea_rec *r, uint8_t *out);

/*
 * Decode the record of exactly len bytes at p into r. seq and chain are
 * left as they are. 0, or -EINVAL with *why set.
 */
int ea_rec_decode(const uint8_t *p, size_t len, struct ea_rec *r, const char **why);

/* LEB128 helpers shared with the trail format. */
size_t ea_varint_put(uint8_t *out, uint64_t v);
/* Read a varint from [*p, end); 0 or -EINVAL (truncated or over 64 bits). */
int ea_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif /* EA_REC_CODEC_H */
