/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The SIEM feed: one thread per [siem NAME] destination reads the audit
 * trail from the record after its cursor (trail_dir/cursors/NAME, the last
 * seq the destination acknowledged), sends the selected records in the
 * destination's format, and moves the cursor on only after delivery. So
 * delivery is in seq order and at least once, across outages and restarts:
 * after a reconnect the records since the cursor are sent again (the only
 * duplicates), and no record is ever skipped. For RELP, delivered means
 * acknowledged by the receiver; TLS and TCP can only know that the bytes
 * were written to the socket, UDP that the datagram was sent: they are
 * best effort.
 *
 * The threads never block the agent: its loop only reads their counters.
 * A destination that fails is retried with exponential backoff and jitter,
 * capped at its backoff_cap.
 */
#ifndef EA_SIEM_H
#define EA_SIEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

#define EA_SIEM_TARGET_MAX	300

struct ea_siem;

/* A destination's progress, as status and heartbeats show it. */
struct ea_siem_stats {
	char name[EA_SIEM_NAME_MAX];
	char target[EA_SIEM_TARGET_MAX];
	bool connected;
	bool idle;			/* found nothing more to read, delivered all */
	uint64_t acked;			/* the cursor: last seq delivered */
	uint64_t head;			/* the last seq in the trail */
	uint64_t lag_records;		/* head - acked */
	uint64_t lag_ms;		/* age of the oldest record not yet delivered */
	uint64_t sent;			/* messages sent (resent ones too) */
	uint64_t failures;		/* connections or sends that failed */
	uint64_t dropped;		/* messages too large for the transport (UDP) */
	uint64_t missing;		/* records gone from the trail before delivery */
	char error[256];		/* the last failure, "" when delivering */
};

/*
 * What ea_siem_start checks of every [siem] of cfg before it starts, and
 * nothing else: the target, and that the CA, certificate and key load.
 * 0, or -errno with err naming the destination, the file and the reason.
 */
int ea_siem_check(const struct ea_config *cfg, struct ea_err *err);

/*
 * Start a thread for every [siem] of cfg on the trail in trail_dir. The
 * configuration is copied. With no [siem] sections *s is NULL and 0 is
 * returned. 0, or -errno with err naming the destination and the reason.
 */
int ea_siem_start(struct ea_siem **s, const struct ea_config *cfg, const char *trail_dir,
		  struct ea_err *err);
size_t ea_siem_count(const struct ea_siem *s);
void ea_siem_get_stats(struct ea_siem *s, size_t i, struct ea_siem_stats *st);
/* Whether every destination has delivered the whole trail. */
bool ea_siem_drained(struct ea_siem *s);
/* The destinations as a JSON array (status). */
void ea_siem_json(struct ea_siem *s, FILE *f);
/* The destinations' delivery as Prometheus metric families (status.prom). */
struct ea_sbuf;
void ea_siem_prom(struct ea_siem *s, struct ea_sbuf *b);
/* A short JSON object of lags by destination, for heartbeat records. */
int ea_siem_lag_json(struct ea_siem *s, char *buf, size_t size);
/*
 * Stop: each thread delivers what it has sent (waiting at most a few
 * seconds), saves its cursor and ends. Frees s; NULL is fine. The number
 * of threads that did not end and were left running (s is not freed then).
 */
size_t ea_siem_stop(struct ea_siem *s);

#endif /* EA_SIEM_H */
