/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records as SIEM messages. Every message is one RFC 5424 syslog message:
 *
 *   <PRI>1 TIMESTAMP HOST egress-audit - KIND [egress-audit@32473 seq="N" chain="HEX"]
 *   [origin software="egress-audit" swVersion="VERSION"] BODY
 *
 * (one line: the header, the record's SD element, RFC 5424's origin element)
 * with the body in one of five formats (CEF, LEEF 2.0, ECS JSON, OCSF JSON,
 * or none: the record's fields as structured data). Every string of a
 * record may hold any byte an attacker chose; each format escapes it by its
 * own rules (README, "The SIEM feed"). Output is always valid UTF-8: a byte
 * that is not part of a well-formed UTF-8 sequence becomes U+FFFD, as does
 * a control character that a format has no escape for. The trail keeps the
 * exact bytes; a message's seq finds them.
 *
 * 32473 is the example enterprise number of RFC 5612 (documentation use);
 * a site with its own Private Enterprise Number may change EA_SIEM_SD_ID.
 */
#ifndef EA_SIEM_FORMAT_H
#define EA_SIEM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define EA_SIEM_APP_NAME	"egress-audit"
#define EA_SIEM_VENDOR		"egress-audit"
#define EA_SIEM_PRODUCT		"egress-audit"
#define EA_SIEM_SD_ID		"egress-audit@32473"
#define EA_SIEM_ORIGIN_ID	"origin"	/* RFC 5424, 7.2 */
#define EA_SIEM_FACILITY	13	/* log audit */
#define EA_SIEM_OCSF_VERSION	"1.1.0"
#define EA_SIEM_ECS_VERSION	"8.11.0"
#define EA_SIEM_LEEF_DELIM	'^'

/* Room for any record in any format (all strings full, worst escaping). */
#define EA_SIEM_MSG_MAX		(128 * 1024)

enum ea_siem_fmt {
	EA_SIEM_FMT_CEF,
	EA_SIEM_FMT_LEEF,
	EA_SIEM_FMT_ECS,
	EA_SIEM_FMT_OCSF,
	EA_SIEM_FMT_RFC5424,
	EA_SIEM_FMT_MAX,
};

/* What `select` chooses from: one class per record. */
enum ea_siem_class {
	EA_SIEM_FLAGGED = 1u << 0,	/* flow records, verdict flagged */
	EA_SIEM_BLOCKED = 1u << 1,	/* flow records, verdict blocked */
	EA_SIEM_ALLOWED = 1u << 2,	/* flow records, verdict allowed */
	EA_SIEM_LOST = 1u << 3,		/* lost events, trail gaps */
	EA_SIEM_CHECKPOINT = 1u << 4,
	EA_SIEM_AGENT = 1u << 5,	/* start, stop, heartbeat, config, repair, retention */
	EA_SIEM_TAMPER = 1u << 6,	/* the agent's hooks or settings changed */
};

#define EA_SIEM_SELECT_DEFAULT	(EA_SIEM_FLAGGED | EA_SIEM_BLOCKED | EA_SIEM_LOST | \
				 EA_SIEM_CHECKPOINT | EA_SIEM_AGENT | EA_SIEM_TAMPER)

/* A record's severity in each scale the formats use. */
struct ea_siem_sev {
	uint8_t syslog;		/* 0 emergency .. 7 debug */
	uint8_t cef;		/* 0..10; also LEEF sev and ECS event.severity */
	uint8_t ocsf;		/* OCSF severity_id: 1 informational .. 5 critical */
};

int ea_siem_fmt_parse(const char *name);	/* enum ea_siem_fmt or -1 */
const char *ea_siem_fmt_name(int fmt);

uint32_t ea_siem_class_of(const struct ea_rec *r);
/* The class named by w[0..n) ("flagged", "agent", ...), or 0. */
uint32_t ea_siem_class_parse(const char *w, size_t n);

void ea_siem_severity(const struct ea_rec *r, struct ea_siem_sev *sev);

/*
 * The whole syslog message of r in format fmt, without framing, into
 * buf[0..size). Returns its length (it is also NUL-terminated), or -ENOSPC
 * when it does not fit, -EINVAL for an unknown format.
 */
int ea_siem_format(int fmt, const struct ea_rec *r, char *buf, size_t size);

#endif /* EA_SIEM_FORMAT_H */
