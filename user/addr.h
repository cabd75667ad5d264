/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses in user space: one 128-bit number for IPv4 and IPv6 alike.
 * IPv4 a.b.c.d is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so
 * a mapped address and its IPv4 address are the same value and classify the
 * same way without a special case.
 */
#ifndef EA_ADDR_H
#define EA_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 ea_addr_t;

#define EA_ADDR_MAX		(~(ea_addr_t)0)
#define EA_V4_BASE		(((ea_addr_t)0xffff) << 32)	/* ::ffff:0.0.0.0 */
#define EA_V4_LAST		(EA_V4_BASE | 0xffffffffu)
#define EA_ADDR_STRLEN		48	/* IPv6 text + NUL, with room */
#define EA_CIDR_STRLEN		(EA_ADDR_STRLEN + 4)

static inline bool ea_addr_is_v4(ea_addr_t a)
{
	return a >= EA_V4_BASE && a <= EA_V4_LAST;
}

static inline ea_addr_t ea_addr_from_v4(uint32_t host_order)
{
	return EA_V4_BASE | host_order;
}

/* Network-order 16 bytes <-> number. */
ea_addr_t ea_addr_from_bytes(const uint8_t b[16]);
void ea_addr_to_bytes(ea_addr_t a, uint8_t b[16]);

/* Parse IPv4 or IPv6 text (IPv4-mapped IPv6 accepted). 0 or -EINVAL. */
int ea_addr_parse(const char *s, ea_addr_t *out);
/*
 * Parse an unsigned decimal integer address. v6 chooses the family: IPv4
 * numbers must fit 32 bits. 0 or -EINVAL (not a number, overflow).
 */
int ea_addr_parse_decimal(const char *s, bool v6, ea_addr_t *out);
/* Text form; IPv4 (and mapped) addresses print as a.b.c.d. */
const char *ea_addr_format(ea_addr_t a, char buf[EA_ADDR_STRLEN]);
/* The same text at p, room EA_ADDR_STRLEN, without the NUL: the end of it. */
char *ea_addr_put(char *p, ea_addr_t a);

/*
 * CIDR prefixes. len counts bits of the 128-bit form; an IPv4 /n is stored
 * as /(96 + n). ea_cidr_parse accepts "ADDR" (host prefix) or "ADDR/LEN"
 * and rejects host bits set beyond the prefix.
 */
struct ea_cidr {
	ea_addr_t addr;
	uint8_t len;
};

int ea_cidr_parse(const char *s, struct ea_cidr *out);
const char *ea_cidr_format(const struct ea_cidr *c, char buf[EA_CIDR_STRLEN]);

static inline ea_addr_t ea_prefix_mask(unsigned int len)
{
	return len == 0 ? 0 : EA_ADDR_MAX << (128 - len);
}

static inline ea_addr_t ea_cidr_last(const struct ea_cidr *c)
{
	return c->addr | ~ea_prefix_mask(c->len);
}

static inline bool ea_cidr_contains(const struct ea_cidr *c, ea_addr_t a)
{
	return (a & ea_prefix_mask(c->len)) == c->addr;
}

/* ISO 3166-1 alpha-2 codes packed as (c0 << 8) | c1; 0 means none. */
static inline uint16_t ea_cc_pack(const char *cc)
{
	return (uint16_t)(((uint8_t)cc[0] << 8) | (uint8_t)cc[1]);
}

static inline const char *ea_cc_format(uint16_t cc, char buf[3])
{
	buf[0] = (char)(cc >> 8);
	buf[1] = (char)(cc & 0xff);
	buf[2] = '\0';
	/* none, or not two letters (a hostile trail): nothing to quote anywhere */
	if (!cc || buf[0] < 'A' || buf[0] > 'Z' || buf[1] < 'A' || buf[1] > 'Z')
		buf[0] = buf[1] = cc ? '?' : '-';
	return buf;
}

/* Two upper-case ASCII letters, nothing more. */
bool ea_cc_valid(const char *s);

/* The ISO 3166 code meant by a common non-ISO code (EL, UK), or NULL. */
const char *ea_cc_iso_alias(uint16_t cc);

#endif /* EA_ADDR_H */
