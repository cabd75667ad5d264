/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary encoding of a record in the audit trail, and its decoder.
 *
 * Records are encoded one after the other within a block, against a
 * context that starts empty with each block: the previous record's time
 * and nonzero socket cookie; for the fields that repeat (host, the class
 * bytes, source, destination, comm, cgroup, labels) the last EA_MRU_N
 * distinct values, most recent first; and the flow fields of the last
 * EA_FLOWS_N records with distinct nonzero cookies (the flows of the block).
 *
 *   record := kind:u8  base:varint  mask:varint  zigzag(ts - prev_ts):varint
 *             host:mstr  field...
 *
 * base 0 means a record made from nothing (flow fields zero, strings
 * empty); base i means the record starts as a copy of the flow fields of
 * the i-th most recent flow. The mask says which fields follow, in the
 * order of enum ea_rec_field, replacing the base's; the others keep it.
 * So a flow_start carries what its kind uses, and the flow_update and
 * flow_end after it little more than their totals.
 *
 * varint is unsigned LEB128 (at most 10 bytes); str a varint length and the
 * bytes (no NUL among them); mstr a varint x: odd, the value (x >> 1) places
 * back in that field's recent values (which then moves to the front); even,
 * a new value of x >> 1 bytes that follows (and goes to the front). seq and
 * chain are not part of the encoding: seq is the record's place in the
 * trail, and the chain is computed over exactly these bytes (which, through
 * the context, depend on the records before it in its block: those are
 * chained too).
 *
 * The decoder treats its input as hostile: every length is checked against
 * the input and against the field it fills, references to recent values
 * and flows against what there is, and a record must use all of its bytes.
 * It returns -EINVAL and a static reason.
 */
#ifndef EA_REC_CODEC_H
#define EA_REC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* Fields a record may give, in encoding order (bit n of the mask). */
enum ea_rec_field {
	EA_F_BYTES,		/* varint */
	EA_F_PACKETS,		/* varint */
	EA_F_CLASS,		/* mstr of 9 bytes: verdict proto ip_proto family origin
				 * zone flags (bit 0 mapped, bit 1 routed) country
				 * (u16 little-endian) */
	EA_F_SPORT,		/* varint */
	EA_F_DPORT,		/* varint */
	EA_F_SRC,		/* mstr: 4 bytes (::ffff:a.b.c.d) or 16 */
	EA_F_DST,		/* mstr: as src */
	EA_F_PID,		/* varint */
	EA_F_TID,		/* zigzag varint: tid - pid */
	EA_F_UID,		/* varint */
	EA_F_GID,		/* zigzag varint: gid - uid */
	EA_F_IFINDEX,		/* varint */
	EA_F_CGROUP_ID,		/* varint */
	EA_F_COOKIE,		/* zigzag varint: cookie - previous nonzero cookie */
	EA_F_START,		/* zigzag varint: ts - start */
	EA_F_COMM,		/* mstr */
	EA_F_CGROUP,		/* mstr */
	EA_F_LABELS,		/* mstr */
	EA_F_EVIDENCE,		/* str (not in bases: absent means empty) */
	EA_F_COUNT,		/* varint (not in bases: absent means 0) */
	EA_F_WHAT,		/* str (not in bases) */
	EA_F_DETAIL,		/* str (not in bases) */
	EA_F_MAX,
};

/* Bytes an encoded record may take, at most (all strings full). */
#define EA_REC_ENC_MAX	16384
#define EA_MRU_N	8
#define EA_FLOWS_N	32

/* Recent values of one field: EA_MRU_N slots of size bytes. */
struct ea_mru {
	uint8_t n;			/* slots in use */
	uint8_t order[EA_MRU_N];	/* slots, most recent first */
	uint16_t len[EA_MRU_N];		/* by slot */
	uint64_t tag[EA_MRU_N];		/* by slot: a quick fingerprint of the value */
	uint16_t size;
	uint8_t *buf;			/* EA_MRU_N * size bytes */
};

enum { EA_MRU_HOST, EA_MRU_CLASS, EA_MRU_SRC, EA_MRU_DST, EA_MRU_COMM, EA_MRU_CGROUP,
       EA_MRU_LABELS, EA_MRU_FIELDS };

#define EA_CLASS_LEN	9
#define EA_MRU_STORE	(EA_MRU_N * (EA_REC_HOST_MAX + EA_CLASS_LEN + 16 + 16 + \
				     EA_COMM_LEN + 1 + EA_REC_CGROUP_MAX + EA_REC_LABELS_MAX))

/* The flow fields of a record: what a base holds. */
struct ea_flow_vals {
	uint8_t cls[EA_CLASS_LEN];
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
	uint32_t pid, tid, uid, gid, ifindex;
	uint64_t cgroup_id, cookie;
	int64_t start_ns;
	uint64_t bytes, packets;
	uint16_t comm_len, cgroup_len, labels_len;
	char comm[EA_COMM_LEN + 1];
	char cgroup[EA_REC_CGROUP_MAX];
	char labels[EA_REC_LABELS_MAX];
};

/* The context of a block's records. It points into itself: not to be copied. */
struct ea_rec_ctx {
	int64_t ts;
	uint64_t cookie;		/* the last nonzero cookie */
	struct ea_mru mru[EA_MRU_FIELDS];
	uint8_t nflows;
	uint8_t flow_order[EA_FLOWS_N];	/* slots of flows, most recent first */
	struct ea_flow_vals flows[EA_FLOWS_N];
	struct ea_flow_vals cur;	/* the record being coded */
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
