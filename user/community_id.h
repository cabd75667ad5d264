/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Community ID (version 1) of a flow: the hash of its 5-tuple that
 * Zeek, Suricata, Elastic and others put beside their flow records, so that
 * a SIEM can join this host's flow records with a network sensor's.
 * Specification: https://github.com/corelight/community-id-spec
 */
#ifndef EA_COMMUNITY_ID_H
#define EA_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "rec.h"

/* "1:" and the base64 of a SHA-1 digest, with its NUL */
#define EA_COMMUNITY_ID_LEN	(2 + 28 + 1)

/*
 * The Community ID of the tuple as given: addresses of len 4 or 16 bytes
 * in network order, ports in host order (hashed when with_ports; for ICMP
 * messages that have a reply the caller passes type and counterpart type,
 * one-way ICMP messages, which the specification leaves unordered, are
 * not for this function). The two directions of a flow give the same ID.
 * Returns false only if the digest fails.
 */
bool ea_community_id_tuple(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr,
			   unsigned int len, uint8_t ip_proto, bool with_ports, uint16_t sport,
			   uint16_t dport, char out[EA_COMMUNITY_ID_LEN]);

/*
 * The Community ID (seed 0) of a flow record, as a sensor on the wire would
 * compute it. False when the record does not hold what the hash needs: no
 * source address or port yet (a datagram before its source was chosen),
 * no IP protocol, ICMP and SCTP, whose type, code or ports the records do
 * not carry, or source and destination of two families.
 */
bool ea_community_id(const struct ea_rec *r, char out[EA_COMMUNITY_ID_LEN]);

#endif /* EA_COMMUNITY_ID_H */
