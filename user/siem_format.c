// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIEM messages: the RFC 5424 header and structured data, and one body per
 * format. Strings pass through sb_text(), which keeps well-formed UTF-8,
 * turns every other byte into U+FFFD and hands each ASCII byte to the
 * format's escaper; so no format can be broken out of by a process name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "community_id.h"
#include "json_check.h"
#include "config.h"
#include "record.h"
#include "sbuf.h"
#include "siem_format.h"
#include "util.h"
#include "version.h"

#define FFFD		"\xef\xbf\xbd"	/* U+FFFD REPLACEMENT CHARACTER */
#define HOST_MAX	255		/* RFC 5424 HOSTNAME */

/* An output buffer that refuses, and remembers, what does not fit. */
struct sb {
	char *p;
	size_t len, cap;
	bool full;
};

/* The escaped form of ASCII byte c, or NULL to copy it as it is. */
typedef const char *(*esc_fn)(unsigned char c, char tmp[8]);

/*
 * An escaper, and the printable ASCII bytes it rewrites as a bit set (it
 * sees every control character too).
 */
struct esc {
	esc_fn fn;
	uint64_t special[2];
	bool json;	/* a C1 control or U+2028/9 as \uXXXX, else U+FFFD */
};

#define SPECIAL_LO(c)	((c) < 64 ? 1ull << ((c) & 63) : 0)
#define SPECIAL_HI(c)	((c) >= 64 ? 1ull << (((c) - 64) & 63) : 0)
#define SPECIAL(a, b, c, d) { SPECIAL_LO(a) | SPECIAL_LO(b) | SPECIAL_LO(c) | SPECIAL_LO(d), \
			      SPECIAL_HI(a) | SPECIAL_HI(b) | SPECIAL_HI(c) | SPECIAL_HI(d) }

static const char *const fmt_names[EA_SIEM_FMT_MAX] = {
	[EA_SIEM_FMT_CEF] = "cef",
	[EA_SIEM_FMT_LEEF] = "leef",
	[EA_SIEM_FMT_ECS] = "json-ecs",
	[EA_SIEM_FMT_OCSF] = "json-ocsf",
	[EA_SIEM_FMT_RFC5424] = "rfc5424",
};

static const struct {
	const char *name;
	uint32_t bit;
} class_names[] = {
	{ "flagged", EA_SIEM_FLAGGED },
	{ "blocked", EA_SIEM_BLOCKED },
	{ "allowed", EA_SIEM_ALLOWED },
	{ "lost", EA_SIEM_LOST },
	{ "checkpoint", EA_SIEM_CHECKPOINT },
	{ "agent", EA_SIEM_AGENT },
	{ "tamper", EA_SIEM_TAMPER },
};

/* What a record of each kind is, for people (CEF name, JSON message). */
static const char *const kind_text[EA_REC_KIND_MAX] = {
	[EA_REC_FLOW_START] = "Egress flow start",
	[EA_REC_FLOW_UPDATE] = "Egress flow update",
	[EA_REC_FLOW_END] = "Egress flow end",
	[EA_REC_LOST] = "Events lost",
	[EA_REC_AGENT_START] = "Agent started",
	[EA_REC_AGENT_STOP] = "Agent stopped",
	[EA_REC_HEARTBEAT] = "Agent heartbeat",
	[EA_REC_CONFIG] = "Agent configuration",
	[EA_REC_CHECKPOINT] = "Trail checkpoint",
	[EA_REC_REPAIR] = "Trail repaired",
	[EA_REC_GAP] = "Trail gap",
	[EA_REC_RETENTION] = "Trail retention",
	[EA_REC_TAMPER] = "Agent tampered with",
};

/* The format called name, or -1. */
int ea_siem_fmt_parse(const char *name)
{
	for (int f = 0; f < EA_SIEM_FMT_MAX; f++)
		if (name && !strcmp(fmt_names[f], name))
			return f;
	return -1;
}

/* The name of format fmt, "invalid" outside the enum. */
const char *ea_siem_fmt_name(int fmt)
{
	return fmt >= 0 && fmt < EA_SIEM_FMT_MAX ? fmt_names[fmt] : "invalid";
}

/* The select class of a record; kinds this build does not know are agent's. */
uint32_t ea_siem_class_of(const struct ea_rec *r)
{
	if (ea_rec_is_flow(r)) {
		if (r->verdict == EA_VERDICT_BLOCKED)
			return EA_SIEM_BLOCKED;
		return r->verdict == EA_VERDICT_ALLOWED ? EA_SIEM_ALLOWED : EA_SIEM_FLAGGED;
	}
	switch (r->kind) {
	case EA_REC_LOST:
	case EA_REC_GAP:
		return EA_SIEM_LOST;
	case EA_REC_CHECKPOINT:
		return EA_SIEM_CHECKPOINT;
	case EA_REC_TAMPER:
		return EA_SIEM_TAMPER;
	}
	return EA_SIEM_AGENT;
}

/* The class named by w[0..n), or 0. */
uint32_t ea_siem_class_parse(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strlen(class_names[i].name) == n && !memcmp(class_names[i].name, w, n))
			return class_names[i].bit;
	return 0;
}

/*
 * Severity: the auditor itself attacked is critical, a flow that went
 * where it may not high, one that was stopped medium, lost audit data an
 * error, the rest information.
 */
void ea_siem_severity(const struct ea_rec *r, struct ea_siem_sev *sev)
{
	static const struct ea_siem_sev info = { 6, 1, 1 }, allowed = { 6, 3, 1 },
		blocked = { 5, 5, 3 }, flagged = { 4, 7, 4 }, lost = { 3, 8, 4 },
		trail = { 5, 4, 2 }, tamper = { 2, 9, 5 };

	switch (ea_siem_class_of(r)) {
	case EA_SIEM_FLAGGED:
		*sev = flagged;
		return;
	case EA_SIEM_BLOCKED:
		*sev = blocked;
		return;
	case EA_SIEM_ALLOWED:
		*sev = allowed;
		return;
	case EA_SIEM_LOST:
		*sev = lost;
		return;
	case EA_SIEM_TAMPER:
		*sev = tamper;
		return;
	}
	*sev = r->kind == EA_REC_REPAIR || r->kind == EA_REC_RETENTION ? trail : info;
}

/* --- output buffer -------------------------------------------------------- */

/* Append n bytes, or mark the buffer full. */
static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Append a string. */
static void sb_puts(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Append one byte. */
static void sb_putc(struct sb *b, char c)
{
	sb_put(b, &c, 1);
}

/* Append printf output (short: headers and rare fields). */
__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->full = true;
	else
		sb_put(b, tmp, (size_t)n);
}

/* A decimal number, without printf (most of a message is numbers). */
static void sb_u64(struct sb *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(b, tmp + i, sizeof(tmp) - i);
}

/* A signed decimal number. */
static void sb_i64(struct sb *b, int64_t v)
{
	if (v < 0) {
		sb_putc(b, '-');
		sb_u64(b, -(uint64_t)v);
		return;
	}
	sb_u64(b, (uint64_t)v);
}

/* RFC 3339 UTC with microseconds, as ea_format_time() writes it. */
static void sb_time(struct sb *b, int64_t ns)
{
	char tmp[EA_PUT_TIME_MAX];

	sb_put(b, tmp, (size_t)(ea_put_time(tmp, ns) - tmp));
}

/* " key=": a key of one of the key=value formats (keys are constants). */
static void sb_key(struct sb *b, char lead, const char *key)
{
	sb_putc(b, lead);
	sb_puts(b, key);
	sb_putc(b, '=');
}

/* Whether c is printable ASCII that e copies as it is. */
static bool plain(const struct esc *e, unsigned char c)
{
	return c >= 0x20 && c < 0x7f && !((e->special[c >> 6] >> (c & 63)) & 1);
}

/*
 * s[0..n) as UTF-8: well-formed sequences copied, every other byte U+FFFD,
 * ASCII bytes through the escaper (runs of plain bytes copied at once). A
 * sequence may not run past n. A C1 control or a line or paragraph
 * separator, which CEF and LEEF readers may take for a line end, is
 * escaped in JSON and U+FFFD elsewhere.
 */
static void sb_textn(struct sb *b, const char *s, size_t n, const struct esc *e)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, j;
	char tmp[8];

	while (i < n && u[i]) {
		size_t len;
		const char *x;

		for (j = i; j < n && plain(e, u[j]); j++)
			;
		if (j > i) {
			sb_put(b, s + i, j - i);
			i = j;
			continue;
		}
		len = ea_utf8_valid_len(u + i);
		if (!len || len > n - i) {
			sb_put(b, FFFD, 3);
			i++;
		} else if (len > 1 && ea_utf8_line_ctl(u + i, len)) {
			if (e->json)
				snprintf(tmp, sizeof(tmp), "\\u%04x",
					 (unsigned int)(ea_utf8_line_ctl(u + i, len) & 0xffff));
			sb_puts(b, e->json ? tmp : FFFD);
			i += len;
		} else if (len > 1) {
			sb_put(b, s + i, len);
			i += len;
		} else {
			x = e->fn(u[i], tmp);
			if (x)
				sb_puts(b, x);
			else
				sb_putc(b, (char)u[i]);
			i++;
		}
	}
}

/* A whole string through sb_textn(). */
static void sb_text(struct sb *b, const char *s, const struct esc *e)
{
	sb_textn(b, s, strlen(s), e);
}

/* --- escapers, one per context -------------------------------------------- */

/* C0 control characters and DEL. */
static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Validated JSON text embedded as it is; blanks between tokens stay blanks. */
static const char *esc_json_raw(unsigned char c, char tmp[8])
{
	(void)tmp;
	return is_ctl(c) ? " " : NULL;
}

/* RFC 5424 PARAM-VALUE: '"', '\' and ']' escaped; no escape exists for controls. */
static const char *esc_sd(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case ']':
		return "\\]";
	}
	return is_ctl(c) ? FFFD : NULL;
}

/* CEF header field: '|' and '\' escaped. */
static const char *esc_cef_hdr(unsigned char c, char tmp[8])
{
	(void)tmp;
	if (c == '|')
		return "\\|";
	if (c == '\\')
		return "\\\\";
	return is_ctl(c) ? FFFD : NULL;
}

/* CEF extension value: '\' and '=' escaped, line ends as \n and \r. */
static const char *esc_cef_ext(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '\\':
		return "\\\\";
	case '=':
		return "\\=";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	}
	return is_ctl(c) ? FFFD : NULL;
}

/* LEEF value: '\', '=', '|' and the delimiter escaped with a backslash. */
static const char *esc_leef(unsigned char c, char tmp[8])
{
	if (c == '\\' || c == '=' || c == '|' || c == EA_SIEM_LEEF_DELIM) {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		tmp[2] = '\0';
		return tmp;
	}
	return is_ctl(c) ? FFFD : NULL;
}

/* 0 in a SPECIAL() list stands for nothing: it is a control character. */
static const struct esc json_esc = { ea_json_escape, SPECIAL('"', '\\', 0, 0), true };
static const struct esc json_raw = { esc_json_raw, SPECIAL(0, 0, 0, 0), true };
static const struct esc sd_esc = { esc_sd, SPECIAL('"', '\\', ']', 0), false };
static const struct esc cef_hdr = { esc_cef_hdr, SPECIAL('|', '\\', 0, 0), false };
static const struct esc cef_ext = { esc_cef_ext, SPECIAL('\\', '=', 0, 0), false };
static const struct esc leef_esc = { esc_leef, SPECIAL('\\', '=', '|', EA_SIEM_LEEF_DELIM), false };

/* --- JSON writer ------------------------------------------------------------ */

struct jw {
	struct sb *b;
	bool first;	/* nothing written yet at this level */
};

/*
 * The comma before a member and its key (NULL inside arrays). Keys are
 * this file's own literals, plain JSON, so they are copied, not escaped:
 * a message has dozens.
 */
static void jw_key(struct jw *j, const char *key)
{
	if (!j->first)
		sb_putc(j->b, ',');
	j->first = false;
	if (key) {
		sb_putc(j->b, '"');
		sb_puts(j->b, key);
		sb_puts(j->b, "\":");
	}
}

/* Open an object or array (c is '{' or '['). */
static void jw_open(struct jw *j, const char *key, char c)
{
	jw_key(j, key);
	sb_putc(j->b, c);
	j->first = true;
}

/* Close it; the next member needs a comma. */
static void jw_close(struct jw *j, char c)
{
	sb_putc(j->b, c);
	j->first = false;
}

/* A string member (or element) from v[0..n). */
static void jw_strn(struct jw *j, const char *key, const char *v, size_t n)
{
	jw_key(j, key);
	sb_putc(j->b, '"');
	sb_textn(j->b, v, n, &json_esc);
	sb_putc(j->b, '"');
}

/* A string member. */
static void jw_str(struct jw *j, const char *key, const char *v)
{
	jw_strn(j, key, v, strlen(v));
}

/* A number member. */
static void jw_u64(struct jw *j, const char *key, uint64_t v)
{
	jw_key(j, key);
	sb_u64(j->b, v);
}

/* A signed number member. */
static void jw_i64(struct jw *j, const char *key, int64_t v)
{
	jw_key(j, key);
	sb_i64(j->b, v);
}

/* A true/false member. */
static void jw_bool(struct jw *j, const char *key, bool v)
{
	jw_key(j, key);
	sb_puts(j->b, v ? "true" : "false");
}

/* "a,b" as ["a","b"]. */
static void jw_list(struct jw *j, const char *key, const char *list)
{
	const char *p = list;

	jw_open(j, key, '[');
	while (*p) {
		size_t n = strcspn(p, ",");

		jw_strn(j, NULL, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	jw_close(j, ']');
}

/* "a=x;a=y;b=z" as {"a":["x","y"],"b":["z"]} (a label's entries are adjacent). */
static void jw_evidence(struct jw *j, const char *key, const char *ev)
{
	const char *p = ev, *label = NULL;
	size_t label_len = 0;

	jw_open(j, key, '{');
	while (*p) {
		size_t n = strcspn(p, ";"), k = strcspn(p, "=");

		if (k < n) {
			if (!label || label_len != k || memcmp(label, p, k)) {
				if (label)
					jw_close(j, ']');
				jw_key(j, NULL);
				sb_putc(j->b, '"');
				sb_textn(j->b, p, k, &json_esc);
				sb_puts(j->b, "\":[");
				j->first = true;
				label = p;
				label_len = k;
			}
			jw_strn(j, NULL, p + k + 1, n - k - 1);
		}
		p += n;
		if (*p == ';')
			p++;
	}
	if (label)
		jw_close(j, ']');
	jw_close(j, '}');
}

/* The agent's detail: an object when it is valid JSON, else a string. */
static void jw_detail(struct jw *j, const char *key, const char *detail)
{
	if (!ea_json_object_valid(detail)) {
		jw_str(j, key, detail);
		return;
	}
	jw_key(j, key);
	sb_text(j->b, detail, &json_raw);
}

/* --- pieces shared by the formats ----------------------------------------- */

/* Nanoseconds since the epoch as milliseconds. */
static int64_t epoch_ms(int64_t ns)
{
	return ns / 1000000;
}

static const char *kind_desc(uint32_t kind)
{
	return kind < EA_REC_KIND_MAX && kind_text[kind] ? kind_text[kind] : "Agent record";
}

static const char *addr_text(const uint8_t a[16], char buf[EA_ADDR_STRLEN])
{
	return ea_addr_format(ea_addr_from_bytes(a), buf);
}

/* Whether an address is IPv4 (stored IPv4-mapped). */
static bool addr_v4(const uint8_t a[16])
{
	return ea_addr_is_v4(ea_addr_from_bytes(a));
}

/* The record's chain value in lower-case hex. */
static void chain_hex(const struct ea_rec *r, char hex[65])
{
	ea_hex(hex, r->chain, sizeof(r->chain));
}

/* Upper-case protocol name for CEF and LEEF. */
static const char *proto_upper(uint32_t proto, char buf[8])
{
	const char *p = ea_proto_name(proto);
	size_t i;

	for (i = 0; p[i] && i < 7; i++)
		buf[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i]);
	buf[i] = '\0';
	return buf;
}

/* HOSTNAME: 1..255 printable US-ASCII; other bytes become '?'. */
static void put_hostname(struct sb *b, const char *host)
{
	size_t i;

	for (i = 0; host[i] && i < HOST_MAX; i++) {
		unsigned char c = (unsigned char)host[i];

		sb_putc(b, c > 32 && c < 127 ? (char)c : '?');
	}
	if (!i)
		sb_putc(b, '-');
}

/* ` name="value"`: one SD-PARAM. */
static void sd_param(struct sb *b, const char *name, const char *value)
{
	sb_key(b, ' ', name);
	sb_putc(b, '"');
	sb_text(b, value, &sd_esc);
	sb_putc(b, '"');
}

/* A numeric SD-PARAM. */
static void sd_u64(struct sb *b, const char *name, uint64_t v)
{
	sb_key(b, ' ', name);
	sb_putc(b, '"');
	sb_u64(b, v);
	sb_putc(b, '"');
}

/* PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then "[SD-ID". */
static void put_header(struct sb *b, const struct ea_rec *r)
{
	struct ea_siem_sev sev;
	char hex[65];

	ea_siem_severity(r, &sev);
	sb_putc(b, '<');
	sb_u64(b, EA_SIEM_FACILITY * 8 + sev.syslog);
	sb_puts(b, ">1 ");
	sb_time(b, r->ts_ns);
	sb_putc(b, ' ');
	put_hostname(b, r->host);
	sb_puts(b, " " EA_SIEM_APP_NAME " - ");
	sb_puts(b, ea_rec_kind_name(r->kind));
	sb_puts(b, " [" EA_SIEM_SD_ID);
	chain_hex(r, hex);
	sd_u64(b, "seq", r->seq);
	sd_param(b, "chain", hex);
}

/* --- rfc5424: every field as an SD-PARAM ----------------------------------- */

/* The fields of a flow record as SD-PARAMs. */
static void sd_flow(struct sb *b, const struct ea_rec *r)
{
	char src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3], start[40];
	char cid[EA_COMMUNITY_ID_LEN];

	sd_param(b, "verdict", ea_verdict_name(r->verdict));
	sd_param(b, "proto", ea_proto_name(r->proto));
	sd_u64(b, "family", r->family);
	sd_param(b, "src", addr_text(r->src, src));
	sd_u64(b, "sport", r->sport);
	sd_param(b, "dst", addr_text(r->dst, dst));
	sd_u64(b, "dport", r->dport);
	sd_param(b, "country", ea_cc_format(r->country, cc));
	sd_param(b, "zone", ea_zone_name(r->zone));
	sd_u64(b, "pid", r->pid);
	sd_u64(b, "tid", r->tid);
	sd_param(b, "comm", r->comm);
	sd_u64(b, "uid", r->uid);
	sd_u64(b, "gid", r->gid);
	sd_param(b, "cgroup", r->cgroup);
	sd_u64(b, "cgroup_id", r->cgroup_id);
	sd_u64(b, "bytes", r->bytes);
	sd_u64(b, "packets", r->packets);
	sd_param(b, "start", ea_format_time(r->start_ns, start));
	sd_param(b, "labels", r->labels);
	sd_param(b, "evidence", r->evidence);
	sd_param(b, "origin", ea_origin_name(r->origin));
	sd_u64(b, "ifindex", r->ifindex);
	sd_u64(b, "ip_proto", r->ip_proto);
	sd_u64(b, "cookie", r->cookie);
	sd_param(b, "mapped", r->mapped ? "true" : "false");
	sd_param(b, "routed", r->routed ? "true" : "false");
	if (ea_community_id(r, cid))
		sd_param(b, "community_id", cid);
}

/* rfc5424: the rest of the record in the record's SD element; no MSG. */
static void sd_record(struct sb *b, const struct ea_rec *r)
{
	sd_param(b, "host", r->host);
	if (ea_rec_is_flow(r))
		sd_flow(b, r);
	if (r->kind == EA_REC_LOST) {
		sd_param(b, "what", r->what);
		sd_u64(b, "count", r->count);
	}
	if (r->detail[0])
		sd_param(b, "detail", r->detail);
}

/* RFC 5424's own "origin" element (section 7.2): the software that wrote it. */
static void put_origin(struct sb *b)
{
	sb_puts(b, "[" EA_SIEM_ORIGIN_ID);
	sd_param(b, "software", EA_SIEM_PRODUCT);
	sd_param(b, "swVersion", ea_version());
	sb_putc(b, ']');
}

/* --- CEF -------------------------------------------------------------------- */

/* A string CEF extension: " key=value". */
static void cef_str(struct sb *b, const char *key, const char *v)
{
	sb_key(b, ' ', key);
	sb_text(b, v, &cef_ext);
}

/* A numeric CEF extension. */
static void cef_u64(struct sb *b, const char *key, uint64_t v)
{
	sb_key(b, ' ', key);
	sb_u64(b, v);
}

/* An address: src/dst when IPv4, a labelled c6a field when IPv6. */
static void cef_addr(struct sb *b, const uint8_t a[16], const char *v4key,
		     const char *v6key, const char *v6label)
{
	char text[EA_ADDR_STRLEN];

	addr_text(a, text);
	if (addr_v4(a)) {
		cef_str(b, v4key, text);
		return;
	}
	cef_str(b, v6key, text);
	sb_putc(b, ' ');
	sb_puts(b, v6key);
	sb_puts(b, "Label=");
	sb_puts(b, v6label);
}

/* The CEF extensions of a flow record. */
static void cef_flow(struct sb *b, const struct ea_rec *r)
{
	char cc[3], proto[8];

	cef_str(b, "act", ea_verdict_name(r->verdict));
	cef_addr(b, r->src, "src", "c6a2", "Source IPv6 Address");
	cef_u64(b, "spt", r->sport);
	cef_addr(b, r->dst, "dst", "c6a3", "Destination IPv6 Address");
	cef_u64(b, "dpt", r->dport);
	cef_str(b, "proto", proto_upper(r->proto, proto));
	cef_str(b, "sproc", r->comm);
	cef_u64(b, "spid", r->pid);
	cef_u64(b, "suid", r->uid);
	cef_u64(b, "out", r->bytes);
	cef_u64(b, "cnt", r->packets);
	cef_u64(b, "start", (uint64_t)epoch_ms(r->start_ns));
	if (r->kind == EA_REC_FLOW_END)
		cef_u64(b, "end", (uint64_t)epoch_ms(r->ts_ns));
	cef_u64(b, "deviceDirection", 1);
	sb_puts(b, " cs1Label=country");
	cef_str(b, "cs1", ea_cc_format(r->country, cc));
	sb_puts(b, " cs2Label=zone");
	cef_str(b, "cs2", ea_zone_name(r->zone));
	sb_puts(b, " cs3Label=labels");
	cef_str(b, "cs3", r->labels);
	sb_puts(b, " cs4Label=cgroup");
	cef_str(b, "cs4", r->cgroup);
	sb_puts(b, " cs5Label=evidence");
	cef_str(b, "cs5", r->evidence);
}

/* CEF:0|Vendor|Product|Version|Class|Name|Severity|Extension */
static void body_cef(struct sb *b, const struct ea_rec *r)
{
	struct ea_siem_sev sev;
	char hex[65];

	ea_siem_severity(r, &sev);
	sb_printf(b, "CEF:0|" EA_SIEM_VENDOR "|" EA_SIEM_PRODUCT "|%s|", ea_version());
	sb_text(b, ea_rec_kind_name(r->kind), &cef_hdr);
	sb_putc(b, '|');
	sb_text(b, kind_desc(r->kind), &cef_hdr);
	if (ea_rec_is_flow(r)) {
		sb_puts(b, " (");
		sb_text(b, ea_verdict_name(r->verdict), &cef_hdr);
		sb_putc(b, ')');
	}
	sb_putc(b, '|');
	sb_u64(b, sev.cef);
	sb_puts(b, "|rt=");
	sb_i64(b, epoch_ms(r->ts_ns));
	cef_u64(b, "externalId", r->seq);
	cef_str(b, "cat", ea_rec_kind_name(r->kind));
	cef_str(b, "dvchost", r->host);
	if (ea_rec_is_flow(r))
		cef_flow(b, r);
	if (r->kind == EA_REC_LOST) {
		cef_u64(b, "cnt", r->count);
		cef_str(b, "reason", r->what);
	}
	if (r->detail[0])
		cef_str(b, "msg", r->detail);
	chain_hex(r, hex);
	sb_puts(b, " cs6Label=chain");
	cef_str(b, "cs6", hex);
}

/* --- LEEF 2.0 ---------------------------------------------------------------- */

/* A string LEEF attribute, after the delimiter. */
static void leef_str(struct sb *b, const char *key, const char *v)
{
	sb_key(b, EA_SIEM_LEEF_DELIM, key);
	sb_text(b, v, &leef_esc);
}

/* A numeric LEEF attribute. */
static void leef_u64(struct sb *b, const char *key, uint64_t v)
{
	sb_key(b, EA_SIEM_LEEF_DELIM, key);
	sb_u64(b, v);
}

/* devTime as "MMM dd yyyy HH:mm:ss.SSS z" (C locale, UTC). */
static void leef_time(struct sb *b, int64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[40];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%b %d %Y %H:%M:%S", &tm);
	sb_printf(b, "devTime=%s.%03d UTC", buf, (int)((ns / 1000000) % 1000));
	sb_printf(b, "%cdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS z", EA_SIEM_LEEF_DELIM);
}

/* The LEEF attributes of a flow record. */
static void leef_flow(struct sb *b, const struct ea_rec *r)
{
	char src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3], proto[8], start[40];

	leef_str(b, "verdict", ea_verdict_name(r->verdict));
	leef_str(b, "src", addr_text(r->src, src));
	leef_u64(b, "srcPort", r->sport);
	leef_str(b, "dst", addr_text(r->dst, dst));
	leef_u64(b, "dstPort", r->dport);
	leef_str(b, "proto", proto_upper(r->proto, proto));
	leef_u64(b, "srcBytes", r->bytes);
	leef_u64(b, "srcPackets", r->packets);
	leef_str(b, "country", ea_cc_format(r->country, cc));
	leef_str(b, "zone", ea_zone_name(r->zone));
	leef_u64(b, "pid", r->pid);
	leef_str(b, "comm", r->comm);
	leef_u64(b, "uid", r->uid);
	leef_u64(b, "gid", r->gid);
	leef_str(b, "cgroup", r->cgroup);
	leef_str(b, "labels", r->labels);
	leef_str(b, "evidence", r->evidence);
	leef_str(b, "start", ea_format_time(r->start_ns, start));
}

/* LEEF:2.0|Vendor|Product|Version|EventID|^|key=value^... */
static void body_leef(struct sb *b, const struct ea_rec *r)
{
	struct ea_siem_sev sev;
	char hex[65];

	ea_siem_severity(r, &sev);
	sb_printf(b, "LEEF:2.0|" EA_SIEM_VENDOR "|" EA_SIEM_PRODUCT "|%s|", ea_version());
	sb_text(b, ea_rec_kind_name(r->kind), &cef_hdr);
	sb_printf(b, "|%c|", EA_SIEM_LEEF_DELIM);
	leef_time(b, r->ts_ns);
	leef_str(b, "cat", ea_rec_is_flow(r) ? ea_verdict_name(r->verdict)
					     : ea_rec_kind_name(r->kind));
	leef_u64(b, "sev", sev.cef);
	leef_str(b, "host", r->host);
	if (ea_rec_is_flow(r))
		leef_flow(b, r);
	if (r->kind == EA_REC_LOST) {
		leef_str(b, "what", r->what);
		leef_u64(b, "count", r->count);
	}
	if (r->detail[0])
		leef_str(b, "detail", r->detail);
	leef_u64(b, "seq", r->seq);
	chain_hex(r, hex);
	leef_str(b, "chain", hex);
}

/* --- JSON: fields both JSON formats keep under a name of their own -------- */

/* What neither schema has a place for: seq, chain, verdict, zone, labels, ... */
static void jw_extra(struct jw *j, const struct ea_rec *r)
{
	char hex[65];

	chain_hex(r, hex);
	jw_u64(j, "seq", r->seq);
	jw_str(j, "chain", hex);
	jw_str(j, "kind", ea_rec_kind_name(r->kind));
	if (ea_rec_is_flow(r)) {
		jw_str(j, "verdict", ea_verdict_name(r->verdict));
		jw_str(j, "zone", ea_zone_name(r->zone));
		jw_list(j, "labels", r->labels);
		jw_evidence(j, "evidence", r->evidence);
		if (r->cgroup[0])
			jw_str(j, "cgroup", r->cgroup);
		jw_u64(j, "cgroup_id", r->cgroup_id);
		jw_str(j, "origin", ea_origin_name(r->origin));
		jw_u64(j, "ifindex", r->ifindex);
		jw_u64(j, "cookie", r->cookie);
		jw_bool(j, "mapped", r->mapped);
		jw_bool(j, "routed", r->routed);
	}
	if (r->kind == EA_REC_LOST) {
		jw_str(j, "what", r->what);
		jw_u64(j, "count", r->count);
	}
	if (r->detail[0])
		jw_detail(j, "detail", r->detail);
}

/* An endpoint's "ip" and "port" members. */
static void jw_endpoint_ip(struct jw *j, const uint8_t a[16], uint16_t port)
{
	char text[EA_ADDR_STRLEN];

	jw_str(j, "ip", addr_text(a, text));
	jw_u64(j, "port", port);
}

/* --- ECS ---------------------------------------------------------------------- */

static const char *ecs_flow_type(uint32_t kind)
{
	if (kind == EA_REC_FLOW_START)
		return "start";
	return kind == EA_REC_FLOW_END ? "end" : "info";
}

static const char *ecs_host_type(uint32_t kind)
{
	switch (kind) {
	case EA_REC_AGENT_START:
		return "start";
	case EA_REC_AGENT_STOP:
		return "end";
	case EA_REC_CONFIG:
		return "change";
	}
	return "info";
}

/* ECS event.*: kind, category, type, outcome, severity, sequence, hash. */
static void ecs_event(struct jw *j, const struct ea_rec *r)
{
	struct ea_siem_sev sev;
	uint32_t cls = ea_siem_class_of(r);
	bool flow = ea_rec_is_flow(r);
	char hex[65];

	ea_siem_severity(r, &sev);
	jw_open(j, "event", '{');
	jw_str(j, "kind", cls & (EA_SIEM_FLAGGED | EA_SIEM_BLOCKED | EA_SIEM_LOST |
				 EA_SIEM_TAMPER) ? "alert" : "event");
	jw_open(j, "category", '[');
	jw_str(j, NULL, flow ? "network" : r->kind == EA_REC_CONFIG ? "configuration" : "host");
	jw_close(j, ']');
	jw_open(j, "type", '[');
	if (flow) {
		jw_str(j, NULL, "connection");
		jw_str(j, NULL, ecs_flow_type(r->kind));
		jw_str(j, NULL, cls == EA_SIEM_BLOCKED ? "denied" : "allowed");
	} else {
		jw_str(j, NULL, ecs_host_type(r->kind));
	}
	jw_close(j, ']');
	jw_str(j, "action", ea_rec_kind_name(r->kind));
	if (flow)
		jw_str(j, "outcome", cls == EA_SIEM_BLOCKED ? "failure" : "success");
	jw_u64(j, "severity", sev.cef);
	jw_u64(j, "sequence", r->seq);
	chain_hex(r, hex);
	jw_str(j, "hash", hex);
	jw_str(j, "module", "egress_audit");
	jw_str(j, "dataset", flow ? "egress_audit.flow" : "egress_audit.agent");
	if (flow) {
		char start[40], end[40];

		jw_str(j, "start", ea_format_time(r->start_ns, start));
		if (r->kind == EA_REC_FLOW_END)
			jw_str(j, "end", ea_format_time(r->ts_ns, end));
	}
	jw_close(j, '}');
}

/* ECS source, destination, network, process, user and group of a flow. */
static void ecs_flow(struct jw *j, const struct ea_rec *r)
{
	char cc[3], num[sizeof("4294967295")], cid[EA_COMMUNITY_ID_LEN];

	jw_open(j, "source", '{');
	jw_endpoint_ip(j, r->src, r->sport);
	jw_u64(j, "bytes", r->bytes);
	jw_u64(j, "packets", r->packets);
	jw_close(j, '}');
	jw_open(j, "destination", '{');
	jw_endpoint_ip(j, r->dst, r->dport);
	if (r->country) {
		jw_open(j, "geo", '{');
		jw_str(j, "country_iso_code", ea_cc_format(r->country, cc));
		jw_close(j, '}');
	}
	jw_close(j, '}');
	jw_open(j, "network", '{');
	jw_str(j, "transport", ea_proto_name(r->proto));
	snprintf(num, sizeof(num), "%u", r->ip_proto);
	jw_str(j, "iana_number", num);
	jw_str(j, "direction", "egress");
	jw_str(j, "type", r->family == 6 ? "ipv6" : "ipv4");
	jw_u64(j, "bytes", r->bytes);
	jw_u64(j, "packets", r->packets);
	if (ea_community_id(r, cid))
		jw_str(j, "community_id", cid);
	jw_close(j, '}');
	jw_open(j, "process", '{');
	jw_u64(j, "pid", r->pid);
	jw_str(j, "name", r->comm);
	jw_open(j, "thread", '{');
	jw_u64(j, "id", r->tid);
	jw_close(j, '}');
	jw_close(j, '}');
	snprintf(num, sizeof(num), "%u", r->uid);
	jw_open(j, "user", '{');
	jw_str(j, "id", num);
	jw_close(j, '}');
	snprintf(num, sizeof(num), "%u", r->gid);
	jw_open(j, "group", '{');
	jw_str(j, "id", num);
	jw_close(j, '}');
}

/* json-ecs: one Elastic Common Schema document. */
static void body_ecs(struct sb *b, const struct ea_rec *r)
{
	struct jw j = { .b = b, .first = true };
	char ts[40];

	jw_open(&j, NULL, '{');
	jw_str(&j, "@timestamp", ea_format_time(r->ts_ns, ts));
	jw_open(&j, "ecs", '{');
	jw_str(&j, "version", EA_SIEM_ECS_VERSION);
	jw_close(&j, '}');
	jw_str(&j, "message", kind_desc(r->kind));
	ecs_event(&j, r);
	jw_open(&j, "host", '{');
	jw_str(&j, "hostname", r->host);
	jw_close(&j, '}');
	jw_open(&j, "observer", '{');
	jw_str(&j, "vendor", EA_SIEM_VENDOR);
	jw_str(&j, "product", EA_SIEM_PRODUCT);
	jw_str(&j, "version", ea_version());
	jw_close(&j, '}');
	if (ea_rec_is_flow(r))
		ecs_flow(&j, r);
	jw_open(&j, "egress_audit", '{');
	jw_extra(&j, r);
	jw_close(&j, '}');
	jw_close(&j, '}');
}

/* --- OCSF ---------------------------------------------------------------------- */

static const char *const ocsf_sev_names[] = {
	"Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal",
};

/* Network Activity: 1 Open, 2 Close, 6 Traffic. */
static uint32_t ocsf_activity(uint32_t kind, const char **name)
{
	if (kind == EA_REC_FLOW_START) {
		*name = "Open";
		return 1;
	}
	if (kind == EA_REC_FLOW_END) {
		*name = "Close";
		return 2;
	}
	*name = "Traffic";
	return 6;
}

/* Action and disposition of a verdict: allowed, detected (flagged), blocked. */
static void ocsf_verdict(struct jw *j, uint32_t verdict)
{
	bool blocked = verdict == EA_VERDICT_BLOCKED;

	jw_u64(j, "action_id", blocked ? 2 : 1);
	jw_str(j, "action", blocked ? "Denied" : "Allowed");
	if (blocked) {
		jw_u64(j, "disposition_id", 2);
		jw_str(j, "disposition", "Blocked");
	} else if (verdict == EA_VERDICT_FLAGGED) {
		jw_u64(j, "disposition_id", 15);
		jw_str(j, "disposition", "Detected");
	} else {
		jw_u64(j, "disposition_id", 1);
		jw_str(j, "disposition", "Allowed");
	}
}

/* OCSF class, category, activity and type: Network Activity, or Base Event. */
static void ocsf_class(struct jw *j, const struct ea_rec *r)
{
	const char *act;
	char type[64];
	uint32_t id;

	if (!ea_rec_is_flow(r)) {
		jw_u64(j, "activity_id", 99);
		jw_str(j, "activity_name", ea_rec_kind_name(r->kind));
		jw_u64(j, "category_uid", 0);
		jw_str(j, "category_name", "Uncategorized");
		jw_u64(j, "class_uid", 0);
		jw_str(j, "class_name", "Base Event");
		jw_u64(j, "type_uid", 99);
		jw_str(j, "type_name", "Base Event: Other");
		return;
	}
	id = ocsf_activity(r->kind, &act);
	jw_u64(j, "activity_id", id);
	jw_str(j, "activity_name", act);
	jw_u64(j, "category_uid", 4);
	jw_str(j, "category_name", "Network Activity");
	jw_u64(j, "class_uid", 4001);
	jw_str(j, "class_name", "Network Activity");
	jw_u64(j, "type_uid", 4001 * 100 + id);
	snprintf(type, sizeof(type), "Network Activity: %s", act);
	jw_str(j, "type_name", type);
	ocsf_verdict(j, r->verdict);
}

/* OCSF endpoints, connection, traffic and actor of a flow. */
static void ocsf_flow(struct jw *j, const struct ea_rec *r)
{
	char cc[3], uid[12], cid[EA_COMMUNITY_ID_LEN];

	jw_open(j, "src_endpoint", '{');
	jw_endpoint_ip(j, r->src, r->sport);
	jw_close(j, '}');
	jw_open(j, "dst_endpoint", '{');
	jw_endpoint_ip(j, r->dst, r->dport);
	if (r->country) {
		jw_open(j, "location", '{');
		jw_str(j, "country", ea_cc_format(r->country, cc));
		jw_close(j, '}');
	}
	jw_close(j, '}');
	jw_open(j, "connection_info", '{');
	jw_u64(j, "direction_id", 2);
	jw_str(j, "direction", "Outbound");
	jw_u64(j, "protocol_num", r->ip_proto);
	jw_str(j, "protocol_name", ea_proto_name(r->proto));
	jw_u64(j, "protocol_ver_id", r->family == 6 ? 6 : 4);
	if (ea_community_id(r, cid))
		jw_str(j, "community_uid", cid);
	jw_close(j, '}');
	jw_open(j, "traffic", '{');
	jw_u64(j, "bytes_out", r->bytes);
	jw_u64(j, "packets_out", r->packets);
	jw_close(j, '}');
	jw_open(j, "actor", '{');
	jw_open(j, "process", '{');
	jw_u64(j, "pid", r->pid);
	jw_u64(j, "tid", r->tid);
	jw_str(j, "name", r->comm);
	snprintf(uid, sizeof(uid), "%u", r->uid);
	jw_open(j, "user", '{');
	jw_str(j, "uid", uid);
	jw_close(j, '}');
	jw_close(j, '}');
	jw_close(j, '}');
	jw_i64(j, "start_time", epoch_ms(r->start_ns));
	if (r->kind == EA_REC_FLOW_END)
		jw_i64(j, "end_time", epoch_ms(r->ts_ns));
}

/* json-ocsf: one OCSF event with the required base attributes. */
static void body_ocsf(struct sb *b, const struct ea_rec *r)
{
	struct jw j = { .b = b, .first = true };
	struct ea_siem_sev sev;

	ea_siem_severity(r, &sev);
	jw_open(&j, NULL, '{');
	ocsf_class(&j, r);
	jw_u64(&j, "severity_id", sev.ocsf);
	jw_str(&j, "severity", ocsf_sev_names[sev.ocsf]);
	jw_i64(&j, "time", epoch_ms(r->ts_ns));
	jw_str(&j, "message", kind_desc(r->kind));
	jw_open(&j, "metadata", '{');
	jw_str(&j, "version", EA_SIEM_OCSF_VERSION);
	jw_open(&j, "product", '{');
	jw_str(&j, "name", EA_SIEM_PRODUCT);
	jw_str(&j, "vendor_name", EA_SIEM_VENDOR);
	jw_str(&j, "version", ea_version());
	jw_close(&j, '}');
	jw_u64(&j, "sequence", r->seq);
	jw_close(&j, '}');
	jw_open(&j, "device", '{');
	jw_str(&j, "hostname", r->host);
	jw_close(&j, '}');
	if (ea_rec_is_flow(r))
		ocsf_flow(&j, r);
	jw_open(&j, "unmapped", '{');
	jw_extra(&j, r);
	jw_close(&j, '}');
	jw_close(&j, '}');
}

/* The message: header, the record's SD element, origin, then the body of fmt. */
int ea_siem_format(int fmt, const struct ea_rec *r, char *buf, size_t size)
{
	struct sb b = { .p = buf, .cap = size ? size - 1 : 0 };

	if (fmt < 0 || fmt >= EA_SIEM_FMT_MAX)
		return -EINVAL;
	put_header(&b, r);
	if (fmt == EA_SIEM_FMT_RFC5424)
		sd_record(&b, r);
	sb_putc(&b, ']');
	put_origin(&b);
	if (fmt != EA_SIEM_FMT_RFC5424) {
		sb_putc(&b, ' ');
		if (fmt == EA_SIEM_FMT_CEF)
			body_cef(&b, r);
		else if (fmt == EA_SIEM_FMT_LEEF)
			body_leef(&b, r);
		else if (fmt == EA_SIEM_FMT_ECS)
			body_ecs(&b, r);
		else
			body_ocsf(&b, r);
	}
	if (b.full || !size)
		return -ENOSPC;
	buf[b.len] = '\0';
	return (int)b.len;
}
