// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Address, prefix and country-code parsing and formatting. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Network order in memory, two 64-bit words at a time (every record has two). */
ea_addr_t ea_addr_from_bytes(const uint8_t b[16])
{
	uint64_t hi, lo;

	memcpy(&hi, b, sizeof(hi));
	memcpy(&lo, b + 8, sizeof(lo));
	return (ea_addr_t)be64toh(hi) << 64 | be64toh(lo);
}

void ea_addr_to_bytes(ea_addr_t a, uint8_t b[16])
{
	uint64_t hi = htobe64((uint64_t)(a >> 64)), lo = htobe64((uint64_t)a);

	memcpy(b, &hi, sizeof(hi));
	memcpy(b + 8, &lo, sizeof(lo));
}

int ea_addr_parse(const char *s, ea_addr_t *out)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (!s || !*s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &v4) == 1) {
		*out = ea_addr_from_v4(ntohl(v4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6) == 1) {
		*out = ea_addr_from_bytes(v6.s6_addr);
		return 0;
	}
	return -EINVAL;
}

int ea_addr_parse_decimal(const char *s, bool v6, ea_addr_t *out)
{
	ea_addr_t v = 0;
	ea_addr_t limit = v6 ? EA_ADDR_MAX : 0xffffffffu;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned int)(*s - '0');
		if (v > (limit - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v6 ? v : ea_addr_from_v4((uint32_t)v);
	return 0;
}

/* An IPv4 address (host order) in dotted decimal, by hand. */
static char *put_v4(char *p, uint32_t v)
{
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned int o = (v >> shift) & 0xff;

		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		if (shift)
			*p++ = '.';
	}
	return p;
}

/* A 16-bit group in lowercase hex, without leading zeros. */
static char *put_group(char *p, unsigned int g)
{
	static const char hex[] = "0123456789abcdef";
	int shift = g >= 0x1000 ? 12 : g >= 0x100 ? 8 : g >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(g >> shift) & 0xf];
	return p;
}

/*
 * The longest run of two or more zero groups (the first of equal ones), as
 * its start and length; length 0 when there is none.
 */
static void zero_run(const uint16_t w[8], int *best, int *best_len)
{
	*best = 0;
	*best_len = 0;
	for (int i = 0, j; i < 8; i = j + 1) {
		for (j = i; j < 8 && !w[j]; j++)
			;
		if (j - i > *best_len && j - i >= 2) {
			*best = i;
			*best_len = j - i;
		}
	}
}

/*
 * An IPv6 address as inet_ntop(3) writes it (RFC 5952's compression of
 * the longest zero run, lowercase hex, and the IPv4-compatible ::a.b.c.d;
 * a mapped one is written as IPv4 before it gets here), by hand: the C
 * library's goes through sprintf for each group, five to ten times
 * slower, and every record with an IPv6 address prints two.
 */
static char *put_v6(char *p, ea_addr_t a)
{
	uint16_t w[8];
	int best, len;

	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a >> (112 - 16 * i));
	zero_run(w, &best, &len);
	for (int i = 0; i < 8; i++) {
		if (i >= best && i < best + len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && len == 6)
			return put_v4(p, (uint32_t)a);
		p = put_group(p, w[i]);
	}
	if (best + len == 8)
		*p++ = ':';
	return p;
}

char *ea_addr_put(char *p, ea_addr_t a)
{
	/* by hand: this runs for every record printed */
	return ea_addr_is_v4(a) ? put_v4(p, (uint32_t)a) : put_v6(p, a);
}

const char *ea_addr_format(ea_addr_t a, char buf[EA_ADDR_STRLEN])
{
	*ea_addr_put(buf, a) = '\0';
	return buf;
}

int ea_cidr_parse(const char *s, struct ea_cidr *out)
{
	char text[EA_CIDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	ea_addr_t a;
	long len;

	if (alen == 0 || alen >= EA_ADDR_STRLEN)
		return -EINVAL;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (ea_addr_parse(text, &a))
		return -EINVAL;
	if (!slash) {
		len = 128;
	} else {
		char *end;
		const char *p = slash + 1;

		if (*p < '0' || *p > '9' || strlen(p) > 3)
			return -EINVAL;
		len = strtol(p, &end, 10);
		if (*end)
			return -EINVAL;
		/* an IPv4 prefix length counts IPv4 bits */
		if (ea_addr_is_v4(a) && !strchr(text, ':')) {
			if (len > 32)
				return -EINVAL;
			len += 96;
		}
		if (len > 128)
			return -EINVAL;
	}
	if (a & ~ea_prefix_mask((unsigned int)len))
		return -EINVAL;		/* host bits set */
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}

const char *ea_cidr_format(const struct ea_cidr *c, char buf[EA_CIDR_STRLEN])
{
	char abuf[EA_ADDR_STRLEN];
	unsigned int len = c->len;

	if (ea_addr_is_v4(c->addr) && len >= 96)
		len -= 96;
	snprintf(buf, EA_CIDR_STRLEN, "%s/%u", ea_addr_format(c->addr, abuf), len);
	return buf;
}

bool ea_cc_valid(const char *s)
{
	return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] == '\0';
}

const char *ea_cc_iso_alias(uint16_t cc)
{
	/* codes people write for a country whose ISO code (and GeoIP data) differs */
	static const struct {
		char alias[3];
		char iso[3];
	} aliases[] = {
		{ "EL", "GR" },
		{ "UK", "GB" },
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (ea_cc_pack(aliases[i].alias) == cc)
			return aliases[i].iso;
	}
	return NULL;
}
