/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Transports of the SIEM feed: one connection to one destination.
 *
 *   relp://HOST:PORT  RELP (librelp): every message acknowledged
 *   relp+tls://HOST:PORT  RELP over TLS (librelp, GnuTLS): acknowledged,
 *                     the server verified by ca and its name, with a client
 *                     certificate (librelp verifies only then)
 *   tls://HOST:PORT   RFC 5425: TLS, octet-counting framing
 *   tcp://HOST:PORT   RFC 6587 octet counting, no acknowledgement
 *   udp://HOST:PORT   RFC 5426: one datagram per message
 *
 * A connection takes messages (without framing) and says how many of the
 * latest ones may not be delivered yet; ea_siem_conn_flush() makes that
 * none. For RELP "delivered" means acknowledged by the receiver; for TLS
 * and TCP it means written to the socket (best effort: what the kernel had
 * not sent when the connection broke is lost unnoticed); for UDP, sent.
 *
 * Every blocking step gives up when *abort becomes nonzero, and after
 * timeout_ms without progress.
 */
#ifndef EA_SIEM_TRANSPORT_H
#define EA_SIEM_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define EA_SIEM_HOST_MAX	255
#define EA_SIEM_RELP_WINDOW	1024	/* messages in flight without an ack */

enum ea_siem_proto {
	EA_SIEM_RELP,
	EA_SIEM_TLS,
	EA_SIEM_TCP,
	EA_SIEM_UDP,
	EA_SIEM_RELP_TLS,
	EA_SIEM_PROTO_MAX,
};

struct ea_siem_target {
	int proto;			/* enum ea_siem_proto */
	char host[EA_SIEM_HOST_MAX + 1];	/* without IPv6 brackets */
	char port[6];
};

struct ea_siem_conn_cfg {
	struct ea_siem_target target;
	const char *ca;			/* CA file: verify the server's chain */
	const char *cert, *key;		/* client certificate and key */
	bool has_fingerprint;		/* pin the server certificate */
	uint8_t fingerprint[32];	/* SHA-256 of its DER */
	int timeout_ms;
	const int *abort;
};

struct ea_siem_conn;

/* "relp://host:514", "tls://[2001:db8::1]:6514": 0, or -EINVAL and *why. */
int ea_siem_target_parse(const char *s, struct ea_siem_target *t, const char **why);
const char *ea_siem_proto_name(int proto);
/* "sha256:HEX" (64 digits, ':' between bytes allowed): 0 or -EINVAL. */
int ea_siem_fingerprint_parse(const char *s, uint8_t fp[32]);

/*
 * Whether the CA, certificate and key of cfg (those given) load as a TLS
 * connection would load them, the key matching the certificate: 0, or
 * -errno and err naming the file.
 */
int ea_siem_tls_check(const struct ea_siem_conn_cfg *cfg, struct ea_err *err);
/* Connect (and for TLS: handshake and verify). 0, or -errno and err. */
int ea_siem_conn_open(struct ea_siem_conn **c, const struct ea_siem_conn_cfg *cfg,
		      struct ea_err *err);
/*
 * Send one message. 0, -EMSGSIZE when it can never be sent (UDP), or
 * another -errno with err: the connection is then broken and only
 * ea_siem_conn_close() may follow.
 */
int ea_siem_conn_send(struct ea_siem_conn *c, const char *msg, size_t len,
		      struct ea_err *err);
/*
 * Deliver everything sent so far. RELP does this by closing the session
 * gracefully after the last acknowledgement; the next send opens a new
 * one. 0, or -errno with err as for send.
 */
int ea_siem_conn_flush(struct ea_siem_conn *c, struct ea_err *err);
/*
 * The end of a batch: what was sent leaves now (streams write their
 * buffer, and so deliver it; RELP uncorks). 0, or -errno as for send.
 */
int ea_siem_conn_push(struct ea_siem_conn *c, struct ea_err *err);
/* How many of the latest messages sent may not be delivered yet. */
size_t ea_siem_conn_unconfirmed(const struct ea_siem_conn *c);
/* Close and free; TLS sends close_notify. NULL is fine. */
void ea_siem_conn_close(struct ea_siem_conn *c);

#endif /* EA_SIEM_TRANSPORT_H */
