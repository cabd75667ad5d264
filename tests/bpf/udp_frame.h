/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A crafted frame for the classifier (tests/bpf and tests/bench): Ethernet,
 * an IPv4 or IPv6 header towards dst and a UDP header, ports 12345 -> 443.
 */
#ifndef EA_TEST_UDP_FRAME_H
#define EA_TEST_UDP_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

#define EA_TEST_ETH_HLEN	14
#define EA_TEST_FRAME_MAX	128

/* Fill buf (EA_TEST_FRAME_MAX bytes); frag_v4 makes an IPv4 one a later fragment. */
static inline size_t ea_test_udp_frame(uint8_t *buf, ea_addr_t dst, bool frag_v4)
{
	uint8_t d[16];

	memset(buf, 0, EA_TEST_FRAME_MAX);
	ea_addr_to_bytes(dst, d);
	if (ea_addr_is_v4(dst)) {
		buf[12] = 0x08;
		buf[13] = 0x00;
		buf[14] = 0x45;
		buf[17] = 28;
		if (frag_v4)
			buf[20] = 0x00, buf[21] = 0x10;	/* offset 16 * 8 */
		buf[22] = 64;
		buf[23] = 17;
		memcpy(buf + 26, "\xc0\x00\x02\x01", 4);	/* src 192.0.2.1 */
		memcpy(buf + 30, d + 12, 4);
		buf[34] = 0x30, buf[35] = 0x39;		/* sport 12345 */
		buf[36] = 0x01, buf[37] = 0xbb;		/* dport 443 */
		return EA_TEST_ETH_HLEN + 28;
	}
	buf[12] = 0x86;
	buf[13] = 0xdd;
	buf[14] = 0x60;
	buf[19] = 8;
	buf[20] = 17;
	buf[21] = 64;
	buf[22 + 15] = 1;				/* src ::1 */
	memcpy(buf + 38, d, 16);
	return EA_TEST_ETH_HLEN + 40 + 8;
}

#endif /* EA_TEST_UDP_FRAME_H */
