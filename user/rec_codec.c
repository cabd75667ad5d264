// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records to and from their compact binary form in the audit trail. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "rec_codec.h"

#define BIT(f)		(1u << (f))

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static const uint16_t mru_size[EA_MRU_FIELDS] = {
	[EA_MRU_HOST] = EA_REC_HOST_MAX, [EA_MRU_CLASS] = EA_CLASS_LEN,
	[EA_MRU_SRC] = 16, [EA_MRU_DST] = 16, [EA_MRU_COMM] = EA_COMM_LEN + 1,
	[EA_MRU_CGROUP] = EA_REC_CGROUP_MAX, [EA_MRU_LABELS] = EA_REC_LABELS_MAX,
};

size_t ea_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int ea_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *s = *p;
	uint64_t x = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (s >= end)
			return -EINVAL;
		b = *s++;
		if (shift == 63 && b > 1)
			return -EINVAL;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*p = s;
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void ea_rec_ctx_init(struct ea_rec_ctx *c)
{
	uint8_t *p = c->store;

	for (int f = 0; f < EA_MRU_FIELDS; f++) {
		c->mru[f].size = mru_size[f];
		c->mru[f].buf = p;
		p += EA_MRU_N * mru_size[f];
	}
	ea_rec_ctx_reset(c);
}

void ea_rec_ctx_reset(struct ea_rec_ctx *c)
{
	c->ts = 0;
	c->cookie = 0;
	c->nflows = 0;
	for (int f = 0; f < EA_MRU_FIELDS; f++)
		c->mru[f].n = 0;
}

static uint8_t *mru_slot(const struct ea_mru *m, uint8_t slot)
{
	return m->buf + (size_t)slot * m->size;
}

/* Its first and last 8 bytes and its length: most values differ in these. */
static uint64_t mru_tag(const void *v, size_t len)
{
	uint64_t a = 0, b = 0;

	if (len >= 8) {
		memcpy(&a, v, 8);
		memcpy(&b, (const uint8_t *)v + len - 8, 8);
	} else {
		memcpy(&a, v, len);
	}
	return a ^ (b * 0x9e3779b97f4a7c15ull) ^ len;
}

/* The place of v in m (0: most recent), or -1. */
static int mru_find(const struct ea_mru *m, const void *v, size_t len, uint64_t tag)
{
	for (int i = 0; i < m->n; i++) {
		uint8_t s = m->order[i];

		if (m->tag[s] == tag && m->len[s] == len && !memcmp(mru_slot(m, s), v, len))
			return i;
	}
	return -1;
}

/* Move place i to the front; returns its slot. */
static uint8_t mru_use(struct ea_mru *m, int i)
{
	uint8_t s = m->order[i];

	if (i) {
		memmove(m->order + 1, m->order, (size_t)i);
		m->order[0] = s;
	}
	return s;
}

/* A new value at the front; the least recent one goes when all are in use. */
static void mru_add(struct ea_mru *m, const void *v, size_t len)
{
	uint8_t s;

	if (m->n < EA_MRU_N) {
		s = m->n++;
		memmove(m->order + 1, m->order, s);
	} else {
		s = m->order[EA_MRU_N - 1];
		memmove(m->order + 1, m->order, EA_MRU_N - 1);
	}
	m->order[0] = s;
	m->len[s] = (uint16_t)len;
	m->tag[s] = mru_tag(v, len);
	memcpy(mru_slot(m, s), v, len);
}

/* v (len bytes) as an mstr; lit/litlen is what a new value stores. */
static size_t put_mstr(uint8_t *out, struct ea_mru *m, const void *v, size_t len,
		       const void *lit, size_t litlen)
{
	int i = mru_find(m, v, len, mru_tag(v, len));
	size_t n;

	if (i >= 0) {
		mru_use(m, i);
		return ea_varint_put(out, (uint64_t)i << 1 | 1);
	}
	mru_add(m, v, len);
	n = ea_varint_put(out, (uint64_t)litlen << 1);
	memcpy(out + n, lit, litlen);
	return n + litlen;
}

/* A string field (at most size - 1 bytes) as an mstr. */
static size_t put_mstr_s(uint8_t *out, struct ea_mru *m, const char *s, size_t size)
{
	size_t len = strnlen(s, size - 1);

	return put_mstr(out, m, s, len, s, len);
}

/* An address: 4 bytes stored for an IPv4-mapped one. */
static size_t put_addr(uint8_t *out, struct ea_mru *m, const uint8_t a[16])
{
	bool v4 = !memcmp(a, v4_prefix, sizeof(v4_prefix));

	return put_mstr(out, m, a, 16, v4 ? a + 12 : a, v4 ? 4 : 16);
}

static size_t put_str(uint8_t *out, const char *s, size_t max)
{
	size_t len = strnlen(s, max - 1);
	size_t n = ea_varint_put(out, len);

	memcpy(out + n, s, len);
	return n + len;
}

static const struct ea_flow_vals zero_vals;

/* Copy flow fields: the fixed part, then the strings as long as they are. */
static void copy_vals(struct ea_flow_vals *d, const struct ea_flow_vals *s)
{
	memcpy(d, s, offsetof(struct ea_flow_vals, comm));
	memcpy(d->comm, s->comm, s->comm_len + 1u);
	memcpy(d->cgroup, s->cgroup, s->cgroup_len + 1u);
	memcpy(d->labels, s->labels, s->labels_len + 1u);
}

/* s (NUL-terminated within max) into a field of size max; its length. */
static uint16_t put_len(char *field, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);

	memcpy(field, s, n);
	field[n] = '\0';
	return (uint16_t)n;
}

static void vals_from_rec(struct ea_flow_vals *v, const struct ea_rec *r)
{
	const uint8_t cls[EA_CLASS_LEN] = { r->verdict, r->proto, r->ip_proto, r->family,
					    r->origin, r->zone,
					    (uint8_t)((r->mapped ? 1 : 0) | (r->routed ? 2 : 0)),
					    (uint8_t)r->country, (uint8_t)(r->country >> 8) };

	memcpy(v->cls, cls, EA_CLASS_LEN);
	v->sport = r->sport;
	v->dport = r->dport;
	memcpy(v->src, r->src, 16);
	memcpy(v->dst, r->dst, 16);
	v->pid = r->pid;
	v->tid = r->tid;
	v->uid = r->uid;
	v->gid = r->gid;
	v->ifindex = r->ifindex;
	v->cgroup_id = r->cgroup_id;
	v->cookie = r->cookie;
	v->start_ns = r->start_ns;
	v->bytes = r->bytes;
	v->packets = r->packets;
	v->comm_len = put_len(v->comm, r->comm, sizeof(v->comm));
	v->cgroup_len = put_len(v->cgroup, r->cgroup, sizeof(v->cgroup));
	v->labels_len = put_len(v->labels, r->labels, sizeof(v->labels));
}

static void rec_from_vals(struct ea_rec *r, const struct ea_flow_vals *v)
{
	r->verdict = v->cls[0];
	r->proto = v->cls[1];
	r->ip_proto = v->cls[2];
	r->family = v->cls[3];
	r->origin = v->cls[4];
	r->zone = v->cls[5];
	r->mapped = v->cls[6] & 1;
	r->routed = (v->cls[6] >> 1) & 1;
	r->country = (uint16_t)(v->cls[7] | v->cls[8] << 8);
	r->sport = v->sport;
	r->dport = v->dport;
	memcpy(r->src, v->src, 16);
	memcpy(r->dst, v->dst, 16);
	r->pid = v->pid;
	r->tid = v->tid;
	r->uid = v->uid;
	r->gid = v->gid;
	r->ifindex = v->ifindex;
	r->cgroup_id = v->cgroup_id;
	r->cookie = v->cookie;
	r->start_ns = v->start_ns;
	r->bytes = v->bytes;
	r->packets = v->packets;
	memcpy(r->comm, v->comm, v->comm_len + 1u);
	memcpy(r->cgroup, v->cgroup, v->cgroup_len + 1u);
	memcpy(r->labels, v->labels, v->labels_len + 1u);
}

/* The place of the flow with this cookie among the recent ones, or -1. */
static int flow_find(const struct ea_rec_ctx *c, uint64_t cookie)
{
	for (int i = 0; i < c->nflows; i++)
		if (c->flows[c->flow_order[i]].cookie == cookie)
			return i;
	return -1;
}

/* Move flow place i to the front; returns its slot. */
static uint8_t flow_use(struct ea_rec_ctx *c, int i)
{
	uint8_t s = c->flow_order[i];

	memmove(c->flow_order + 1, c->flow_order, (size_t)i);
	c->flow_order[0] = s;
	return s;
}

/*
 * After a record: the flow it was based on (place b, -1: none) becomes the
 * most recent one, holding v; without a base, a record with a cookie takes
 * a new place (the least recent flow's, when all are in use).
 */
static void flow_remember(struct ea_rec_ctx *c, int b, const struct ea_flow_vals *v)
{
	uint8_t s;

	if (b < 0 && !v->cookie)
		return;
	if (b < 0 && c->nflows < EA_FLOWS_N) {
		c->flow_order[c->nflows] = c->nflows;
		b = c->nflows++;
	} else if (b < 0) {
		b = EA_FLOWS_N - 1;
	}
	s = flow_use(c, b);
	if (&c->flows[s] != v)
		copy_vals(&c->flows[s], v);
}

/* The fields of v (and r's own) that differ from base b. */
static uint32_t diff_mask(const struct ea_flow_vals *v, const struct ea_flow_vals *b,
			  const struct ea_rec *r)
{
	uint32_t m = 0;

	m |= v->bytes != b->bytes ? BIT(EA_F_BYTES) : 0;
	m |= v->packets != b->packets ? BIT(EA_F_PACKETS) : 0;
	m |= memcmp(v->cls, b->cls, EA_CLASS_LEN) ? BIT(EA_F_CLASS) : 0;
	m |= v->sport != b->sport ? BIT(EA_F_SPORT) : 0;
	m |= v->dport != b->dport ? BIT(EA_F_DPORT) : 0;
	m |= memcmp(v->src, b->src, 16) ? BIT(EA_F_SRC) : 0;
	m |= memcmp(v->dst, b->dst, 16) ? BIT(EA_F_DST) : 0;
	m |= v->pid != b->pid ? BIT(EA_F_PID) : 0;
	m |= v->tid != b->tid ? BIT(EA_F_TID) : 0;
	m |= v->uid != b->uid ? BIT(EA_F_UID) : 0;
	m |= v->gid != b->gid ? BIT(EA_F_GID) : 0;
	m |= v->ifindex != b->ifindex ? BIT(EA_F_IFINDEX) : 0;
	m |= v->cgroup_id != b->cgroup_id ? BIT(EA_F_CGROUP_ID) : 0;
	m |= v->cookie != b->cookie ? BIT(EA_F_COOKIE) : 0;
	m |= v->start_ns != b->start_ns ? BIT(EA_F_START) : 0;
	m |= v->comm_len != b->comm_len || memcmp(v->comm, b->comm, v->comm_len) ?
		     BIT(EA_F_COMM) : 0;
	m |= v->cgroup_len != b->cgroup_len || memcmp(v->cgroup, b->cgroup, v->cgroup_len) ?
		     BIT(EA_F_CGROUP) : 0;
	m |= v->labels_len != b->labels_len || memcmp(v->labels, b->labels, v->labels_len) ?
		     BIT(EA_F_LABELS) : 0;
	m |= r->evidence[0] ? BIT(EA_F_EVIDENCE) : 0;
	m |= r->count ? BIT(EA_F_COUNT) : 0;
	m |= r->what[0] ? BIT(EA_F_WHAT) : 0;
	m |= r->detail[0] ? BIT(EA_F_DETAIL) : 0;
	return m;
}

/* Totals, class, ports and addresses that are given. */
static size_t put_head(struct ea_rec_ctx *c, uint8_t *o, const struct ea_flow_vals *v,
		       uint32_t m)
{
	size_t n = 0;

	if (m & BIT(EA_F_BYTES))
		n += ea_varint_put(o + n, v->bytes);
	if (m & BIT(EA_F_PACKETS))
		n += ea_varint_put(o + n, v->packets);
	if (m & BIT(EA_F_CLASS))
		n += put_mstr(o + n, &c->mru[EA_MRU_CLASS], v->cls, EA_CLASS_LEN, v->cls,
			      EA_CLASS_LEN);
	if (m & BIT(EA_F_SPORT))
		n += ea_varint_put(o + n, v->sport);
	if (m & BIT(EA_F_DPORT))
		n += ea_varint_put(o + n, v->dport);
	if (m & BIT(EA_F_SRC))
		n += put_addr(o + n, &c->mru[EA_MRU_SRC], v->src);
	if (m & BIT(EA_F_DST))
		n += put_addr(o + n, &c->mru[EA_MRU_DST], v->dst);
	return n;
}

/* The numbers from pid to start that are given, in order. */
static size_t put_numbers(struct ea_rec_ctx *c, uint8_t *o, const struct ea_flow_vals *v,
			  int64_t ts, uint32_t m)
{
	const uint64_t x[] = {
		[EA_F_PID] = v->pid,
		[EA_F_TID] = zigzag((int64_t)v->tid - (int64_t)v->pid),
		[EA_F_UID] = v->uid,
		[EA_F_GID] = zigzag((int64_t)v->gid - (int64_t)v->uid),
		[EA_F_IFINDEX] = v->ifindex,
		[EA_F_CGROUP_ID] = v->cgroup_id,
		[EA_F_COOKIE] = zigzag((int64_t)(v->cookie - c->cookie)),
		[EA_F_START] = zigzag((int64_t)((uint64_t)ts - (uint64_t)v->start_ns)),
	};
	size_t n = 0;

	for (int f = EA_F_PID; f <= EA_F_START; f++)
		if (m & BIT(f))
			n += ea_varint_put(o + n, x[f]);
	return n;
}

/* The strings and the lost count that are given. */
static size_t put_tail(struct ea_rec_ctx *c, uint8_t *o, const struct ea_flow_vals *v,
		       const struct ea_rec *r, uint32_t m)
{
	size_t n = 0;

	if (m & BIT(EA_F_COMM))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_COMM], v->comm, sizeof(v->comm));
	if (m & BIT(EA_F_CGROUP))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_CGROUP], v->cgroup, sizeof(v->cgroup));
	if (m & BIT(EA_F_LABELS))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_LABELS], v->labels, sizeof(v->labels));
	if (m & BIT(EA_F_EVIDENCE))
		n += put_str(o + n, r->evidence, sizeof(r->evidence));
	if (m & BIT(EA_F_COUNT))
		n += ea_varint_put(o + n, r->count);
	if (m & BIT(EA_F_WHAT))
		n += put_str(o + n, r->what, sizeof(r->what));
	if (m & BIT(EA_F_DETAIL))
		n += put_str(o + n, r->detail, sizeof(r->detail));
	return n;
}

size_t ea_rec_encode(struct ea_rec_ctx *c, const struct ea_rec *r, uint8_t *out)
{
	struct ea_flow_vals *v = &c->cur;
	const struct ea_flow_vals *base = &zero_vals;
	int b;
	uint32_t m;
	size_t n = 0;

	vals_from_rec(v, r);
	b = v->cookie ? flow_find(c, v->cookie) : -1;
	if (b >= 0)
		base = &c->flows[c->flow_order[b]];
	m = diff_mask(v, base, r);
	out[n++] = (uint8_t)r->kind;
	n += ea_varint_put(out + n, (uint64_t)(b + 1));
	n += ea_varint_put(out + n, m);
	n += ea_varint_put(out + n, zigzag((int64_t)((uint64_t)r->ts_ns - (uint64_t)c->ts)));
	n += put_mstr_s(out + n, &c->mru[EA_MRU_HOST], r->host, sizeof(r->host));
	n += put_head(c, out + n, v, m);
	n += put_numbers(c, out + n, v, r->ts_ns, m);
	n += put_tail(c, out + n, v, r, m);
	c->ts = r->ts_ns;
	if (v->cookie)
		c->cookie = v->cookie;
	flow_remember(c, b, v);
	return n;
}

/* Decoding state: the input left, and the first reason it was refused. */
struct dec {
	const uint8_t *p, *end;
	const char *why;
};

static bool bad(struct dec *d, const char *why)
{
	if (!d->why)
		d->why = why;
	return false;
}

/* Inlined: most varints of a record are one byte. */
static inline __attribute__((always_inline)) bool get_u64(struct dec *d, uint64_t *v,
							  const char *what)
{
	if (d->p < d->end && *d->p < 0x80) {
		*v = *d->p++;
		return true;
	}
	return !ea_varint_get(&d->p, d->end, v) || bad(d, what);
}

/* A varint that must fit max. */
static inline __attribute__((always_inline)) bool get_num(struct dec *d, uint64_t max,
							  uint64_t *v, const char *what)
{
	return get_u64(d, v, what) && (*v <= max || bad(d, what));
}

/* What a new value of an mstr field may be. */
enum lit { LIT_STR, LIT_CLASS, LIT_ADDR };

/* A new value's bytes into v (16 for an address); its length or -1. */
static int get_lit(struct dec *d, uint64_t len, enum lit kind, uint16_t size, uint8_t *v,
		   const char *what)
{
	if (len > (uint64_t)(d->end - d->p) ||
	    (kind == LIT_STR && (len >= size || memchr(d->p, '\0', len))) ||
	    (kind == LIT_CLASS && len != EA_CLASS_LEN) ||
	    (kind == LIT_ADDR && len != 4 && len != 16)) {
		bad(d, what);
		return -1;
	}
	if (kind == LIT_ADDR && len == 4) {
		memcpy(v, v4_prefix, sizeof(v4_prefix));
		memcpy(v + 12, d->p, 4);
		d->p += 4;
		return 16;
	}
	memcpy(v, d->p, len);
	d->p += len;
	return (int)len;
}

/*
 * An mstr into out; its length, or -1. Inlined: a class or an address
 * is copied at its fixed size, not by a call.
 */
static inline __attribute__((always_inline)) int get_mstr(struct dec *d, struct ea_mru *m,
							  enum lit kind, uint8_t *out,
							  const char *what)
{
	uint64_t x;
	uint8_t s;
	int len;

	if (!get_u64(d, &x, what))
		return -1;
	if (x & 1) {
		if ((x >> 1) >= m->n) {
			bad(d, what);
			return -1;
		}
		s = mru_use(m, (int)(x >> 1));
		if (kind == LIT_ADDR)
			memcpy(out, mru_slot(m, s), 16);
		else if (kind == LIT_CLASS)
			memcpy(out, mru_slot(m, s), EA_CLASS_LEN);
		else
			memcpy(out, mru_slot(m, s), m->len[s]);
		return m->len[s];
	}
	len = get_lit(d, x >> 1, kind, m->size, out, what);
	if (len >= 0)
		mru_add(m, out, (size_t)len);
	return len;
}

/* A string mstr into a field of its size (NUL-terminated), and its length. */
static bool get_mstr_s(struct dec *d, struct ea_mru *m, char *out, uint16_t *outlen,
		       const char *what)
{
	int len = get_mstr(d, m, LIT_STR, (uint8_t *)out, what);

	if (len < 0)
		return false;
	out[len] = '\0';
	if (outlen)
		*outlen = (uint16_t)len;
	return true;
}

/* A string into a field of size max: no NUL inside, room for one after. */
static bool get_str(struct dec *d, char *out, size_t max, const char *what)
{
	uint64_t len;

	if (!get_u64(d, &len, what))
		return false;
	if (len >= max || len > (uint64_t)(d->end - d->p) || memchr(d->p, '\0', len))
		return bad(d, what);
	memcpy(out, d->p, len);
	out[len] = '\0';
	d->p += len;
	return true;
}

static bool dec_head(struct ea_rec_ctx *c, struct dec *d, struct ea_flow_vals *v, uint32_t m)
{
	uint64_t x = 0;

	if ((m & BIT(EA_F_BYTES)) && !get_u64(d, &v->bytes, "bad bytes"))
		return false;
	if ((m & BIT(EA_F_PACKETS)) && !get_u64(d, &v->packets, "bad packets"))
		return false;
	if ((m & BIT(EA_F_CLASS)) &&
	    get_mstr(d, &c->mru[EA_MRU_CLASS], LIT_CLASS, v->cls, "bad class") < 0)
		return false;
	if (m & BIT(EA_F_SPORT)) {
		if (!get_num(d, UINT16_MAX, &x, "bad sport"))
			return false;
		v->sport = (uint16_t)x;
	}
	if (m & BIT(EA_F_DPORT)) {
		if (!get_num(d, UINT16_MAX, &x, "bad dport"))
			return false;
		v->dport = (uint16_t)x;
	}
	if ((m & BIT(EA_F_SRC)) &&
	    get_mstr(d, &c->mru[EA_MRU_SRC], LIT_ADDR, v->src, "bad src") < 0)
		return false;
	return !(m & BIT(EA_F_DST)) ||
	       get_mstr(d, &c->mru[EA_MRU_DST], LIT_ADDR, v->dst, "bad dst") >= 0;
}

static bool dec_numbers(struct ea_rec_ctx *c, struct dec *d, struct ea_flow_vals *v,
			int64_t ts, uint32_t m)
{
	uint64_t x[EA_F_START + 1];

	for (int f = EA_F_PID; f <= EA_F_START; f++) {
		uint64_t max = f == EA_F_PID || f == EA_F_UID || f == EA_F_IFINDEX ?
				       UINT32_MAX : UINT64_MAX;

		if ((m & BIT(f)) && !get_num(d, max, &x[f], "bad number field"))
			return false;
	}
	v->pid = m & BIT(EA_F_PID) ? (uint32_t)x[EA_F_PID] : v->pid;
	v->tid = m & BIT(EA_F_TID) ? (uint32_t)((int64_t)v->pid + unzigzag(x[EA_F_TID])) : v->tid;
	v->uid = m & BIT(EA_F_UID) ? (uint32_t)x[EA_F_UID] : v->uid;
	v->gid = m & BIT(EA_F_GID) ? (uint32_t)((int64_t)v->uid + unzigzag(x[EA_F_GID])) : v->gid;
	v->ifindex = m & BIT(EA_F_IFINDEX) ? (uint32_t)x[EA_F_IFINDEX] : v->ifindex;
	v->cgroup_id = m & BIT(EA_F_CGROUP_ID) ? x[EA_F_CGROUP_ID] : v->cgroup_id;
	v->cookie = m & BIT(EA_F_COOKIE) ? c->cookie + (uint64_t)unzigzag(x[EA_F_COOKIE]) :
					    v->cookie;
	v->start_ns = m & BIT(EA_F_START) ?
		(int64_t)((uint64_t)ts - (uint64_t)unzigzag(x[EA_F_START])) : v->start_ns;
	return true;
}

/* The strings and the lost count; those not in bases are empty when absent. */
static bool dec_tail(struct ea_rec_ctx *c, struct dec *d, struct ea_flow_vals *v,
		     struct ea_rec *r, uint32_t m)
{
	r->evidence[0] = r->what[0] = r->detail[0] = '\0';
	r->count = 0;
	return (!(m & BIT(EA_F_COMM)) ||
		get_mstr_s(d, &c->mru[EA_MRU_COMM], v->comm, &v->comm_len, "bad comm")) &&
	       (!(m & BIT(EA_F_CGROUP)) ||
		get_mstr_s(d, &c->mru[EA_MRU_CGROUP], v->cgroup, &v->cgroup_len, "bad cgroup")) &&
	       (!(m & BIT(EA_F_LABELS)) ||
		get_mstr_s(d, &c->mru[EA_MRU_LABELS], v->labels, &v->labels_len, "bad labels")) &&
	       (!(m & BIT(EA_F_EVIDENCE)) ||
		get_str(d, r->evidence, sizeof(r->evidence), "bad evidence")) &&
	       (!(m & BIT(EA_F_COUNT)) || get_u64(d, &r->count, "bad count")) &&
	       (!(m & BIT(EA_F_WHAT)) || get_str(d, r->what, sizeof(r->what), "bad what")) &&
	       (!(m & BIT(EA_F_DETAIL)) ||
		get_str(d, r->detail, sizeof(r->detail), "bad detail"));
}

/* kind, base, mask, ts and host; *v is the base (decoded into in place),
 * or the context's own record starting from nothing. */
static bool dec_start(struct ea_rec_ctx *c, struct dec *d, struct ea_rec *r,
		      struct ea_flow_vals **v, int *base, uint32_t *mask)
{
	uint64_t b, m, ts;

	if (d->p >= d->end)
		return bad(d, "empty record");
	r->kind = *d->p++;
	if (r->kind < EA_REC_FLOW_START || r->kind >= EA_REC_KIND_MAX)
		return bad(d, "unknown record kind");
	if (!get_num(d, c->nflows, &b, "reference to a flow not seen"))
		return false;
	if (!get_num(d, BIT(EA_F_MAX) - 1, &m, "bad field mask") ||
	    !get_u64(d, &ts, "bad timestamp"))
		return false;
	*base = (int)b - 1;
	*v = b ? &c->flows[c->flow_order[b - 1]] : &c->cur;
	if (!b) {
		memset(*v, 0, offsetof(struct ea_flow_vals, comm));
		(*v)->comm[0] = (*v)->cgroup[0] = (*v)->labels[0] = '\0';
	}
	c->ts = (int64_t)((uint64_t)c->ts + (uint64_t)unzigzag(ts));
	r->ts_ns = c->ts;
	*mask = (uint32_t)m;
	return get_mstr_s(d, &c->mru[EA_MRU_HOST], r->host, NULL, "bad host");
}

int ea_rec_decode(struct ea_rec_ctx *c, const uint8_t *p, size_t len, struct ea_rec *r,
		  const char **why)
{
	struct dec d = { .p = p, .end = p + len };
	struct ea_flow_vals *v = NULL;
	uint32_t m = 0;
	int b = -1;

	if (dec_start(c, &d, r, &v, &b, &m) && dec_head(c, &d, v, m) &&
	    dec_numbers(c, &d, v, r->ts_ns, m) && dec_tail(c, &d, v, r, m) &&
	    (d.p == d.end || bad(&d, "trailing bytes"))) {
		rec_from_vals(r, v);
		if (v->cookie)
			c->cookie = v->cookie;
		flow_remember(c, b, v);
		return 0;
	}
	*why = d.why ? d.why : "malformed record";
	return -EINVAL;
}
