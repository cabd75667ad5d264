// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records to and from their compact binary form in the audit trail. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "rec_codec.h"

#define BIT(f)		(1u << (f))
#define CLASS_BYTES	7

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

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

/* A string of at most max - 1 bytes (the field's size less its NUL). */
static size_t put_str(uint8_t *out, const char *s, size_t max)
{
	size_t len = strnlen(s, max - 1);
	size_t n = ea_varint_put(out, len);

	memcpy(out + n, s, len);
	return n + len;
}

static bool is_v4(const uint8_t a[16])
{
	return !memcmp(a, v4_prefix, sizeof(v4_prefix));
}

static bool is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

/* Which optional fields r has. */
static uint32_t field_mask(const struct ea_rec *r)
{
	uint32_t m = 0;

	if (r->verdict || r->proto || r->ip_proto || r->family || r->origin ||
	    r->zone || r->mapped)
		m |= BIT(EA_F_CLASS);
	m |= r->country ? BIT(EA_F_COUNTRY) : 0;
	m |= r->sport ? BIT(EA_F_SPORT) : 0;
	m |= r->dport ? BIT(EA_F_DPORT) : 0;
	if (!is_zero(r->src, 16))
		m |= is_v4(r->src) ? BIT(EA_F_SRC4) : BIT(EA_F_SRC6);
	if (!is_zero(r->dst, 16))
		m |= is_v4(r->dst) ? BIT(EA_F_DST4) : BIT(EA_F_DST6);
	m |= r->pid ? BIT(EA_F_PID) : 0;
	m |= r->tid ? BIT(EA_F_TID) : 0;
	m |= r->uid ? BIT(EA_F_UID) : 0;
	m |= r->gid ? BIT(EA_F_GID) : 0;
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
		[EA_F_PID] = r->pid, [EA_F_TID] = r->tid, [EA_F_UID] = r->uid,
		[EA_F_GID] = r->gid, [EA_F_IFINDEX] = r->ifindex,
		[EA_F_CGROUP_ID] = r->cgroup_id, [EA_F_COOKIE] = r->cookie,
		[EA_F_START] = zigzag(r->ts_ns - r->start_ns),
		[EA_F_BYTES] = r->bytes, [EA_F_PACKETS] = r->packets,
	};
	size_t n = 0;

	for (int f = EA_F_PID; f <= EA_F_PACKETS; f++)
		if (m & BIT(f))
			n += ea_varint_put(o + n, v[f]);
	return n;
}

/* Class bytes, country, ports and addresses that are present. */
static size_t put_flow_head(uint8_t *o, const struct ea_rec *r, uint32_t m)
{
	size_t n = 0;

	if (m & BIT(EA_F_CLASS)) {
		const uint8_t c[CLASS_BYTES] = { r->verdict, r->proto, r->ip_proto,
						 r->family, r->origin, r->zone, r->mapped };

		memcpy(o, c, CLASS_BYTES);
		n = CLASS_BYTES;
	}
	if (m & BIT(EA_F_COUNTRY)) {
		o[n++] = (uint8_t)r->country;
		o[n++] = (uint8_t)(r->country >> 8);
	}
	if (m & BIT(EA_F_SPORT))
		n += ea_varint_put(o + n, r->sport);
	if (m & BIT(EA_F_DPORT))
		n += ea_varint_put(o + n, r->dport);
	if (m & (BIT(EA_F_SRC4) | BIT(EA_F_SRC6))) {
		size_t k = m & BIT(EA_F_SRC4) ? 4 : 16;

		memcpy(o + n, r->src + 16 - k, k);
		n += k;
	}
	if (m & (BIT(EA_F_DST4) | BIT(EA_F_DST6))) {
		size_t k = m & BIT(EA_F_DST4) ? 4 : 16;

		memcpy(o + n, r->dst + 16 - k, k);
		n += k;
	}
	return n;
}

size_t ea_rec_encode(const struct ea_rec *r, uint8_t *out)
{
	uint32_t m = field_mask(r);
	size_t n = 0;

	out[n++] = (uint8_t)r->kind;
	n += ea_varint_put(out + n, m);
	n += ea_varint_put(out + n, zigzag(r->ts_ns));
	n += put_str(out + n, r->host, sizeof(r->host));
	n += put_flow_head(out + n, r, m);
	n += put_numbers(out + n, r, m);
	if (m & BIT(EA_F_COMM))
		n += put_str(out + n, r->comm, sizeof(r->comm));
	if (m & BIT(EA_F_CGROUP))
		n += put_str(out + n, r->cgroup, sizeof(r->cgroup));
	if (m & BIT(EA_F_LABELS))
		n += put_str(out + n, r->labels, sizeof(r->labels));
	if (m & BIT(EA_F_EVIDENCE))
		n += put_str(out + n, r->evidence, sizeof(r->evidence));
	if (m & BIT(EA_F_COUNT))
		n += ea_varint_put(out + n, r->count);
	if (m & BIT(EA_F_WHAT))
		n += put_str(out + n, r->what, sizeof(r->what));
	if (m & BIT(EA_F_DETAIL))
		n += put_str(out + n, r->detail, sizeof(r->detail));
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

static bool get_bytes(struct dec *d, void *out, size_t n, const char *what)
{
	if ((size_t)(d->end - d->p) < n)
		return bad(d, what);
	memcpy(out, d->p, n);
	d->p += n;
	return true;
}

/* A string into a field of size max: no NUL inside, room for one after. */
static bool get_str(struct dec *d, char *out, size_t max, const char *what)
{
	uint64_t len;

	if (!get_u64(d, &len, what))
		return false;
	if (len >= max || len > (uint64_t)(d->end - d->p))
		return bad(d, what);
	if (memchr(d->p, '\0', len))
		return bad(d, what);
	memcpy(out, d->p, len);
	out[len] = '\0';
	d->p += len;
	return true;
}

/* An address of k bytes as the low bytes of a 16-byte one. */
static bool get_addr(struct dec *d, uint8_t a[16], size_t k, const char *what)
{
	if (k == 4)
		memcpy(a, v4_prefix, sizeof(v4_prefix));
	return get_bytes(d, a + 16 - k, k, what);
}

static bool dec_flow_head(struct dec *d, struct ea_rec *r, uint32_t m)
{
	uint8_t c[CLASS_BYTES], cc[2];
	uint64_t v;

	if (m & BIT(EA_F_CLASS)) {
		if (!get_bytes(d, c, CLASS_BYTES, "truncated class"))
			return false;
		r->verdict = c[0], r->proto = c[1], r->ip_proto = c[2];
		r->family = c[3], r->origin = c[4], r->zone = c[5], r->mapped = c[6];
	}
	if (m & BIT(EA_F_COUNTRY)) {
		if (!get_bytes(d, cc, 2, "truncated country"))
			return false;
		r->country = (uint16_t)(cc[0] | cc[1] << 8);
	}
	if ((m & BIT(EA_F_SPORT)) && !get_num(d, UINT16_MAX, &v, "bad sport"))
		return false;
	r->sport = m & BIT(EA_F_SPORT) ? (uint16_t)v : 0;
	if ((m & BIT(EA_F_DPORT)) && !get_num(d, UINT16_MAX, &v, "bad dport"))
		return false;
	r->dport = m & BIT(EA_F_DPORT) ? (uint16_t)v : 0;
	if ((m & (BIT(EA_F_SRC4) | BIT(EA_F_SRC6))) &&
	    !get_addr(d, r->src, m & BIT(EA_F_SRC4) ? 4 : 16, "truncated src"))
		return false;
	if ((m & (BIT(EA_F_DST4) | BIT(EA_F_DST6))) &&
	    !get_addr(d, r->dst, m & BIT(EA_F_DST4) ? 4 : 16, "truncated dst"))
		return false;
	return true;
}

static bool dec_numbers(struct dec *d, struct ea_rec *r, uint32_t m)
{
	uint64_t v[EA_F_PACKETS + 1] = { 0 };

	for (int f = EA_F_PID; f <= EA_F_PACKETS; f++) {
		uint64_t max = f < EA_F_CGROUP_ID ? UINT32_MAX : UINT64_MAX;

		if ((m & BIT(f)) && !get_num(d, max, &v[f], "bad number field"))
			return false;
	}
	r->pid = (uint32_t)v[EA_F_PID];
	r->tid = (uint32_t)v[EA_F_TID];
	r->uid = (uint32_t)v[EA_F_UID];
	r->gid = (uint32_t)v[EA_F_GID];
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
static bool dec_tail(struct dec *d, struct ea_rec *r, uint32_t m)
{
	r->comm[0] = r->cgroup[0] = r->labels[0] = r->evidence[0] = '\0';
	r->what[0] = r->detail[0] = '\0';
	r->count = 0;
	return (!(m & BIT(EA_F_COMM)) || get_str(d, r->comm, sizeof(r->comm), "bad comm")) &&
	       (!(m & BIT(EA_F_CGROUP)) ||
		get_str(d, r->cgroup, sizeof(r->cgroup), "bad cgroup")) &&
	       (!(m & BIT(EA_F_LABELS)) ||
		get_str(d, r->labels, sizeof(r->labels), "bad labels")) &&
	       (!(m & BIT(EA_F_EVIDENCE)) ||
		get_str(d, r->evidence, sizeof(r->evidence), "bad evidence")) &&
	       (!(m & BIT(EA_F_COUNT)) || get_u64(d, &r->count, "bad count")) &&
	       (!(m & BIT(EA_F_WHAT)) || get_str(d, r->what, sizeof(r->what), "bad what")) &&
	       (!(m & BIT(EA_F_DETAIL)) ||
		get_str(d, r->detail, sizeof(r->detail), "bad detail"));
}

/* kind, mask, ts and host. */
static bool dec_head(struct dec *d, struct ea_rec *r, uint32_t *mask)
{
	uint64_t m, ts;

	if (d->p >= d->end)
		return bad(d, "empty record");
	r->kind = *d->p++;
	if (r->kind < EA_REC_FLOW_START || r->kind >= EA_REC_KIND_MAX)
		return bad(d, "unknown record kind");
	if (!get_num(d, BIT(EA_F_MAX) - 1, &m, "bad field mask"))
		return false;
	if ((m & BIT(EA_F_SRC4) && m & BIT(EA_F_SRC6)) ||
	    (m & BIT(EA_F_DST4) && m & BIT(EA_F_DST6)))
		return bad(d, "two forms of one address");
	if (!get_u64(d, &ts, "bad timestamp"))
		return false;
	r->ts_ns = unzigzag(ts);
	*mask = (uint32_t)m;
	return get_str(d, r->host, sizeof(r->host), "bad host");
}

int ea_rec_decode(const uint8_t *p, size_t len, struct ea_rec *r, const char **why)
{
	struct dec d = { .p = p, .end = p + len };
	uint32_t m = 0;

	memset(&r->verdict, 0, offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict));
	if (dec_head(&d, r, &m) && dec_flow_head(&d, r, m) && dec_numbers(&d, r, m) &&
	    dec_tail(&d, r, m) && (d.p == d.end || bad(&d, "trailing bytes")))
		return 0;
	*why = d.why ? d.why : "malformed record";
	return -EINVAL;
}
