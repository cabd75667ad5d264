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
	c->mask = 0;
	for (int f = 0; f < EA_MRU_FIELDS; f++)
		c->mru[f].n = 0;
}

static uint8_t *mru_slot(const struct ea_mru *m, uint8_t slot)
{
	return m->buf + (size_t)slot * m->size;
}

/* The place of v in m (0: most recent), or -1. */
static int mru_find(const struct ea_mru *m, const void *v, size_t len)
{
	for (int i = 0; i < m->n; i++) {
		uint8_t s = m->order[i];

		if (m->len[s] == len && !memcmp(mru_slot(m, s), v, len))
			return i;
	}
	return -1;
}

/* Move place i to the front; returns its slot. */
static uint8_t mru_use(struct ea_mru *m, int i)
{
	uint8_t s = m->order[i];

	memmove(m->order + 1, m->order, (size_t)i);
	m->order[0] = s;
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
	memcpy(mru_slot(m, s), v, len);
}

/* v (len bytes) as an mstr; lit/litlen is what a new value stores. */
static size_t put_mstr(uint8_t *out, struct ea_mru *m, const void *v, size_t len,
		       const void *lit, size_t litlen)
{
	int i = mru_find(m, v, len);
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

static bool is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

static void class_bytes(const struct ea_rec *r, uint8_t c[EA_CLASS_LEN])
{
	const uint8_t v[EA_CLASS_LEN] = { r->verdict, r->proto, r->ip_proto, r->family,
					  r->origin, r->zone, r->mapped,
					  (uint8_t)r->country, (uint8_t)(r->country >> 8) };

	memcpy(c, v, EA_CLASS_LEN);
}

/* Which optional fields r has. */
static uint32_t field_mask(const struct ea_rec *r, const uint8_t cls[EA_CLASS_LEN])
{
	uint32_t m = 0;

	m |= !is_zero(cls, EA_CLASS_LEN) ? BIT(EA_F_CLASS) : 0;
	m |= r->sport ? BIT(EA_F_SPORT) : 0;
	m |= r->dport ? BIT(EA_F_DPORT) : 0;
	m |= !is_zero(r->src, 16) ? BIT(EA_F_SRC) : 0;
	m |= !is_zero(r->dst, 16) ? BIT(EA_F_DST) : 0;
	m |= r->pid ? BIT(EA_F_PID) : 0;
	m |= r->tid != r->pid ? BIT(EA_F_TID) : 0;
	m |= r->uid ? BIT(EA_F_UID) : 0;
	m |= r->gid != r->uid ? BIT(EA_F_GID) : 0;
	m |= r->ifindex ? BIT(EA_F_IFINDEX) : 0;
	m |= r->cgroup_id ? BIT(EA_F_CGROUP_ID) : 0;
	m |= r->cookie ? BIT(EA_F_COOKIE) : 0;
	m |= r->start_ns ? BIT(EA_F_START) : 0;
	m |= r->bytes ? BIT(EA_F_BYTES) : 0;
	m |= r->packets ? BIT(EA_F_PACKETS) : 0;
	m |= r->comm[0] ? BIT(EA_F_COMM) : 0;
	m |= r->cgroup[0] ? BIT(EA_F_CGROUP) : 0;
	m |= r->labels[0] ? BIT(EA_F_LABELS) : 0;
	m |= r->evidence[0] ? BIT(EA_F_EVIDENCE) : 0;
	m |= r->count ? BIT(EA_F_COUNT) : 0;
	m |= r->what[0] ? BIT(EA_F_WHAT) : 0;
	m |= r->detail[0] ? BIT(EA_F_DETAIL) : 0;
	return m;
}

/* The numeric flow fields that are present, in order. */
static size_t put_numbers(uint8_t *o, const struct ea_rec *r, uint32_t m)
{
	const uint64_t v[] = {
		[EA_F_PID] = r->pid,
		[EA_F_TID] = zigzag((int64_t)r->tid - (int64_t)r->pid),
		[EA_F_UID] = r->uid,
		[EA_F_GID] = zigzag((int64_t)r->gid - (int64_t)r->uid),
		[EA_F_IFINDEX] = r->ifindex,
		[EA_F_CGROUP_ID] = r->cgroup_id, [EA_F_COOKIE] = r->cookie,
		[EA_F_START] = zigzag((int64_t)((uint64_t)r->ts_ns - (uint64_t)r->start_ns)),
		[EA_F_BYTES] = r->bytes, [EA_F_PACKETS] = r->packets,
	};
	size_t n = 0;

	for (int f = EA_F_PID; f <= EA_F_PACKETS; f++)
		if (m & BIT(f))
			n += ea_varint_put(o + n, v[f]);
	return n;
}

/* Class, ports and addresses that are present. */
static size_t put_flow_head(struct ea_rec_ctx *c, uint8_t *o, const struct ea_rec *r,
			    uint32_t m, const uint8_t cls[EA_CLASS_LEN])
{
	size_t n = 0;

	if (m & BIT(EA_F_CLASS))
		n += put_mstr(o, &c->mru[EA_MRU_CLASS], cls, EA_CLASS_LEN, cls, EA_CLASS_LEN);
	if (m & BIT(EA_F_SPORT))
		n += ea_varint_put(o + n, r->sport);
	if (m & BIT(EA_F_DPORT))
		n += ea_varint_put(o + n, r->dport);
	if (m & BIT(EA_F_SRC))
		n += put_addr(o + n, &c->mru[EA_MRU_SRC], r->src);
	if (m & BIT(EA_F_DST))
		n += put_addr(o + n, &c->mru[EA_MRU_DST], r->dst);
	return n;
}

/* The string fields and the lost count that are present. */
static size_t put_tail(struct ea_rec_ctx *c, uint8_t *o, const struct ea_rec *r, uint32_t m)
{
	size_t n = 0;

	if (m & BIT(EA_F_COMM))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_COMM], r->comm, sizeof(r->comm));
	if (m & BIT(EA_F_CGROUP))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_CGROUP], r->cgroup, sizeof(r->cgroup));
	if (m & BIT(EA_F_LABELS))
		n += put_mstr_s(o + n, &c->mru[EA_MRU_LABELS], r->labels, sizeof(r->labels));
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
	uint8_t cls[EA_CLASS_LEN];
	uint32_t m;
	size_t n = 0;

	class_bytes(r, cls);
	m = field_mask(r, cls);
	out[n++] = (uint8_t)r->kind;
	n += ea_varint_put(out + n, m ^ c->mask);
	n += ea_varint_put(out + n, zigzag((int64_t)((uint64_t)r->ts_ns - (uint64_t)c->ts)));
	c->mask = m;
	c->ts = r->ts_ns;
	n += put_mstr_s(out + n, &c->mru[EA_MRU_HOST], r->host, sizeof(r->host));
	n += put_flow_head(c, out + n, r, m, cls);
	n += put_numbers(out + n, r, m);
	n += put_tail(c, out + n, r, m);
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

static bool get_u64(struct dec *d, uint64_t *v, const char *what)
{
	return !ea_varint_get(&d->p, d->end, v) || bad(d, what);
}

/* A varint that must fit max. */
static bool get_num(struct dec *d, uint64_t max, uint64_t *v, const char *what)
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

/* An mstr into out; its length, or -1. */
static int get_mstr(struct dec *d, struct ea_mru *m, enum lit kind, uint8_t *out,
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
		memcpy(out, mru_slot(m, s), m->len[s]);
		return m->len[s];
	}
	len = get_lit(d, x >> 1, kind, m->size, out, what);
	if (len >= 0)
		mru_add(m, out, (size_t)len);
	return len;
}

/* A string mstr into a field of its size (NUL-terminated). */
static bool get_mstr_s(struct dec *d, struct ea_mru *m, char *out, const char *what)
{
	int len = get_mstr(d, m, LIT_STR, (uint8_t *)out, what);

	if (len < 0)
		return false;
	out[len] = '\0';
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

static bool dec_flow_head(struct ea_rec_ctx *c, struct dec *d, struct ea_rec *r, uint32_t m)
{
	uint8_t cls[EA_CLASS_LEN];
	uint64_t v = 0;

	if (m & BIT(EA_F_CLASS)) {
		if (get_mstr(d, &c->mru[EA_MRU_CLASS], LIT_CLASS, cls, "bad class") < 0)
			return false;
		r->verdict = cls[0];
		r->proto = cls[1];
		r->ip_proto = cls[2];
		r->family = cls[3];
		r->origin = cls[4];
		r->zone = cls[5];
		r->mapped = cls[6];
		r->country = (uint16_t)(cls[7] | cls[8] << 8);
	}
	if ((m & BIT(EA_F_SPORT)) && !get_num(d, UINT16_MAX, &v, "bad sport"))
		return false;
	r->sport = (uint16_t)v;
	v = 0;
	if ((m & BIT(EA_F_DPORT)) && !get_num(d, UINT16_MAX, &v, "bad dport"))
		return false;
	r->dport = (uint16_t)v;
	if ((m & BIT(EA_F_SRC)) && get_mstr(d, &c->mru[EA_MRU_SRC], LIT_ADDR, r->src, "bad src") < 0)
		return false;
	return !(m & BIT(EA_F_DST)) ||
	       get_mstr(d, &c->mru[EA_MRU_DST], LIT_ADDR, r->dst, "bad dst") >= 0;
}

static bool dec_numbers(struct dec *d, struct ea_rec *r, uint32_t m)
{
	uint64_t v[EA_F_PACKETS + 1] = { 0 };

	for (int f = EA_F_PID; f <= EA_F_PACKETS; f++) {
		uint64_t max = f == EA_F_TID || f == EA_F_GID || f >= EA_F_CGROUP_ID ?
				       UINT64_MAX : UINT32_MAX;

		if ((m & BIT(f)) && !get_num(d, max, &v[f], "bad number field"))
			return false;
	}
	r->pid = (uint32_t)v[EA_F_PID];
	r->tid = (uint32_t)((int64_t)r->pid + unzigzag(v[EA_F_TID]));
	r->uid = (uint32_t)v[EA_F_UID];
	r->gid = (uint32_t)((int64_t)r->uid + unzigzag(v[EA_F_GID]));
	r->ifindex = (uint32_t)v[EA_F_IFINDEX];
	r->cgroup_id = v[EA_F_CGROUP_ID];
	r->cookie = v[EA_F_COOKIE];
	r->start_ns = m & BIT(EA_F_START) ?
		(int64_t)((uint64_t)r->ts_ns - (uint64_t)unzigzag(v[EA_F_START])) : 0;
	r->bytes = v[EA_F_BYTES];
	r->packets = v[EA_F_PACKETS];
	return true;
}

/* The string fields and the lost count, or empty where absent. */
static bool dec_tail(struct ea_rec_ctx *c, struct dec *d, struct ea_rec *r, uint32_t m)
{
	r->comm[0] = r->cgroup[0] = r->labels[0] = r->evidence[0] = '\0';
	r->what[0] = r->detail[0] = '\0';
	r->count = 0;
	return (!(m & BIT(EA_F_COMM)) || get_mstr_s(d, &c->mru[EA_MRU_COMM], r->comm, "bad comm")) &&
	       (!(m & BIT(EA_F_CGROUP)) ||
		get_mstr_s(d, &c->mru[EA_MRU_CGROUP], r->cgroup, "bad cgroup")) &&
	       (!(m & BIT(EA_F_LABELS)) ||
		get_mstr_s(d, &c->mru[EA_MRU_LABELS], r->labels, "bad labels")) &&
	       (!(m & BIT(EA_F_EVIDENCE)) ||
		get_str(d, r->evidence, sizeof(r->evidence), "bad evidence")) &&
	       (!(m & BIT(EA_F_COUNT)) || get_u64(d, &r->count, "bad count")) &&
	       (!(m & BIT(EA_F_WHAT)) || get_str(d, r->what, sizeof(r->what), "bad what")) &&
	       (!(m & BIT(EA_F_DETAIL)) ||
		get_str(d, r->detail, sizeof(r->detail), "bad detail"));
}

/* kind, mask, ts and host. */
static bool dec_head(struct ea_rec_ctx *c, struct dec *d, struct ea_rec *r, uint32_t *mask)
{
	uint64_t m, ts;

	if (d->p >= d->end)
		return bad(d, "empty record");
	r->kind = *d->p++;
	if (r->kind < EA_REC_FLOW_START || r->kind >= EA_REC_KIND_MAX)
		return bad(d, "unknown record kind");
	if (!get_num(d, BIT(EA_F_MAX) - 1, &m, "bad field mask"))
		return false;
	if (!get_u64(d, &ts, "bad timestamp"))
		return false;
	c->mask ^= (uint32_t)m;
	c->ts = (int64_t)((uint64_t)c->ts + (uint64_t)unzigzag(ts));
	r->ts_ns = c->ts;
	*mask = c->mask;
	return get_mstr_s(d, &c->mru[EA_MRU_HOST], r->host, "bad host");
}

int ea_rec_decode(struct ea_rec_ctx *c, const uint8_t *p, size_t len, struct ea_rec *r,
		  const char **why)
{
	struct dec d = { .p = p, .end = p + len };
	uint32_t m = 0;

	memset(&r->verdict, 0, offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict));
	if (dec_head(c, &d, r, &m) && dec_flow_head(c, &d, r, m) && dec_numbers(&d, r, m) &&
	    dec_tail(c, &d, r, m) && (d.p == d.end || bad(&d, "trailing bytes")))
		return 0;
	*why = d.why ? d.why : "malformed record";
	return -EINVAL;
}
