// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Community ID v1 of flows (see community_id.h). */
#include <string.h>
#include <netinet/in.h>
/* SHA1_*: half the cost of the EVP digest calls for a tuple (see trail_fmt.c) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "addr.h"
#include "community_id.h"

/* Whether endpoint a (address, port) sorts before endpoint b. */
static bool endpoint_before(const uint8_t *a, uint16_t aport, const uint8_t *b, uint16_t bport,
			    unsigned int len)
{
	int c = memcmp(a, b, len);

	return c < 0 || (c == 0 && aport < bport);
}

bool ea_community_id_tuple(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr,
			   unsigned int len, uint8_t ip_proto, bool with_ports, uint16_t sport,
			   uint16_t dport, char out[EA_COMMUNITY_ID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], md[SHA_DIGEST_LENGTH];
	SHA_CTX sha;
	size_t n = 0;

	if (!endpoint_before(saddr, sport, daddr, dport, len)) {
		const uint8_t *a = saddr;
		uint16_t p = sport;

		saddr = daddr;
		daddr = a;
		sport = dport;
		dport = p;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, saddr, len);
	n += len;
	memcpy(buf + n, daddr, len);
	n += len;
	buf[n++] = ip_proto;
	buf[n++] = 0;	/* padding */
	if (with_ports) {
		buf[n++] = (uint8_t)(sport >> 8);
		buf[n++] = (uint8_t)sport;
		buf[n++] = (uint8_t)(dport >> 8);
		buf[n++] = (uint8_t)dport;
	}
	if (!SHA1_Init(&sha) || !SHA1_Update(&sha, buf, n) || !SHA1_Final(md, &sha))
		return false;
	memcpy(out, "1:", 2);
	EVP_EncodeBlock((unsigned char *)out + 2, md, sizeof(md));	/* 28 and a NUL */
	return true;
}

bool ea_community_id(const struct ea_rec *r, char out[EA_COMMUNITY_ID_LEN])
{
	/* IPv4 sits in the last 4 bytes of the record's ::ffff:a.b.c.d */
	unsigned int len = r->family == 4 ? 4 : 16, off = 16 - len;
	bool ports = r->ip_proto == IPPROTO_TCP || r->ip_proto == IPPROTO_UDP;
	ea_addr_t src = ea_addr_from_bytes(r->src), dst = ea_addr_from_bytes(r->dst);
	bool unspecified = r->family == 4 ? !(uint32_t)src : !src;

	if (!ea_rec_is_flow(r) || !r->ip_proto || r->ip_proto == IPPROTO_ICMP ||
	    r->ip_proto == IPPROTO_ICMPV6 || r->ip_proto == IPPROTO_SCTP || unspecified ||
	    (ports && (!r->sport || !r->dport)) ||
	    (r->family == 6 && ea_addr_is_v4(src) != ea_addr_is_v4(dst)))
		return false;	/* the last: no packet has such a tuple */
	return ea_community_id_tuple(0, r->src + off, r->dst + off, len, r->ip_proto, ports,
				     r->sport, r->dport, out);
}
