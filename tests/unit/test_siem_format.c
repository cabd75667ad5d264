// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the SIEM message formats (user/siem_format.c). Each format
 * is read back by a strict parser of its own written here from the format's
 * rules (siem-formats reference), field by field; hostile process names must
 * come back as the documented value and never add, drop or split a field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "siem_format.h"
#include "util.h"
#include "version.h"

#define FFFD		"\xef\xbf\xbd"
#define VAL_MAX		16384
#define FIELDS_MAX	256

#define TS_NS		1795000000123456789LL	/* 2026-11-18T11:06:40.123456Z */
#define START_NS	1794999995500000000LL

struct kv {
	char key[128];
	char type;		/* 's' string, 'n' number, 'b' true/false, 'z' null */
	char val[VAL_MAX];
};

struct fields {
	struct kv v[FIELDS_MAX];
	int n;
};

struct syslog_msg {
	int pri;
	char ts[64], host[300], app[64], procid[200], msgid[64], sdid[64];
	const struct fields *origin;	/* the params of the origin element */
	const char *msg;	/* after "] ", NULL when there is none */
};

static char out[EA_SIEM_MSG_MAX];

/* --- a tiny field store ----------------------------------------------------- */

static struct kv *add(struct fields *f, const char *key, size_t klen, char type)
{
	struct kv *kv;

	if (f->n >= FIELDS_MAX || klen >= sizeof(kv->key))
		return NULL;
	kv = &f->v[f->n++];
	memcpy(kv->key, key, klen);
	kv->key[klen] = '\0';
	kv->type = type;
	kv->val[0] = '\0';
	return kv;
}

/* The value of key; the test fails when it is absent or there twice. */
static const char *get_at(const struct fields *f, const char *key, int line)
{
	const char *found = NULL;

	for (int i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].key, key))
			continue;
		if (found)
			fail_msg("line %d: key '%s' twice", line, key);
		found = f->v[i].val;
	}
	if (!found)
		fail_msg("line %d: key '%s' missing", line, key);
	return found;
}

#define get(f, key) get_at(f, key, __LINE__)

static bool has(const struct fields *f, const char *key)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].key, key))
			return true;
	return false;
}

#define expect(f, key, want) assert_string_equal(get(f, key), want)

/* --- RFC 5424 ------------------------------------------------------------------ */

/* One SP-terminated header field into buf. */
static const char *hdr_field(const char *p, char *buf, size_t size)
{
	size_t n = strcspn(p, " ");

	if (!p[n] || n == 0 || n >= size)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 33 || (unsigned char)buf[i] > 126)
			return NULL;
	return p + n + 1;
}

/* PARAM-VALUE after its '"': '\"', '\\', '\]' unescaped, a lone ']' refused. */
static const char *sd_value(const char *p, char *val)
{
	size_t n = 0;

	for (; *p != '"'; p++) {
		if (!*p || *p == ']' || n + 1 >= VAL_MAX)
			return NULL;
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
			p++;
		val[n++] = *p;
	}
	val[n] = '\0';
	return p + 1;
}

/*
 * The rest of an SD element after "[SD-ID": " NAME=\"VALUE\""... into sd,
 * then its ']'. The text after it, or NULL.
 */
static const char *sd_params(const char *p, struct fields *sd)
{
	struct kv *kv;

	sd->n = 0;
	while (*p == ' ') {
		size_t n = strcspn(++p, "= ]\"");

		if (!n || n > 32 || p[n] != '=' || p[n + 1] != '"')
			return NULL;
		kv = add(sd, p, n, 's');
		if (!kv || !(p = sd_value(p + n + 2, kv->val)))
			return NULL;
	}
	return *p == ']' ? p + 1 : NULL;
}

/*
 * A whole RFC 5424 message with exactly two SD elements: the record's
 * (its params into sd) and RFC 5424's "origin" (into h->origin). 0 or -1.
 */
static int parse_5424(const char *m, struct syslog_msg *h, struct fields *sd)
{
	static struct fields origin;
	const char *p = m;
	char *end;

	memset(h, 0, sizeof(*h));
	if (*p++ != '<')
		return -1;
	h->pri = (int)strtol(p, &end, 10);
	if (end == p || strncmp(end, ">1 ", 3) || h->pri < 0 || h->pri > 191)
		return -1;
	p = end + 3;
	if (!(p = hdr_field(p, h->ts, sizeof(h->ts))) ||
	    !(p = hdr_field(p, h->host, sizeof(h->host))) ||
	    !(p = hdr_field(p, h->app, sizeof(h->app))) ||
	    !(p = hdr_field(p, h->procid, sizeof(h->procid))) ||
	    !(p = hdr_field(p, h->msgid, sizeof(h->msgid))))
		return -1;
	if (*p++ != '[')
		return -1;
	p = hdr_field(p, h->sdid, sizeof(h->sdid)) ? p + strcspn(p, " ") : NULL;
	if (!p || !(p = sd_params(p, sd)))
		return -1;
	if (strncmp(p, "[origin ", 8) || !(p = sd_params(p + 7, &origin)))
		return -1;
	h->origin = &origin;
	if (!*p)
		return 0;
	if (*p != ' ' || p[1] == '[')
		return -1;
	h->msg = p + 1;
	return 0;
}

/* --- CEF ------------------------------------------------------------------------ */

/* A CEF header field up to an unescaped '|': '\|' and '\\' unescaped. */
static const char *cef_hdr(const char *p, char *val)
{
	size_t n = 0;

	for (; *p != '|'; p++) {
		if (!*p || n + 1 >= VAL_MAX)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p != '|' && *p != '\\')
				return NULL;
		}
		val[n++] = *p;
	}
	val[n] = '\0';
	return p + 1;
}

/* A CEF extension value: '\\', '\=', '\n', '\r' and nothing else escaped. */
static int cef_value(const char *p, size_t len, char *val)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (n + 1 >= VAL_MAX)
			return -1;
		if (c == '\\') {
			c = p[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 'r')
				c = '\r';
			else if (c != '\\' && c != '=')
				return -1;
		} else if (c == '=') {
			return -1;
		}
		val[n++] = c;
	}
	val[n] = '\0';
	return 0;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * CEF:0|... into h0..h6 (h0 "CEF:0") and the extension's keys. A key is the
 * word before an unescaped '='; its value runs to the blank before the
 * next key.
 */
static int parse_cef(const char *m, struct fields *f)
{
	size_t eq[FIELDS_MAX], ks[FIELDS_MAX], n = 0, len;
	const char *x = m;
	char key[4];

	f->n = 0;
	if (strncmp(m, "CEF:0|", 6))
		return -1;
	for (int i = 0; i < 7; i++) {
		struct kv *kv;

		snprintf(key, sizeof(key), "h%d", i);
		kv = add(f, key, strlen(key), 's');
		if (i == 0) {
			strcpy(kv->val, "CEF:0");
			x = m + 6;
			continue;
		}
		if (!(x = cef_hdr(x, kv->val)))
			return -1;
	}
	len = strlen(x);
	for (size_t i = 0; i < len; i++) {
		if (x[i] == '\\') {
			i++;
			continue;
		}
		if (x[i] != '=')
			continue;
		if (n == FIELDS_MAX)
			return -1;
		eq[n] = i;
		ks[n] = i;
		while (ks[n] > 0 && key_char(x[ks[n] - 1]))
			ks[n]--;
		if (ks[n] == i || (ks[n] > 0 && x[ks[n] - 1] != ' '))
			return -1;
		n++;
	}
	if (!n || ks[0] != 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t vend = k + 1 < n ? ks[k + 1] - 1 : len;
		struct kv *kv = add(f, x + ks[k], eq[k] - ks[k], 's');

		if (!kv || vend < eq[k] + 1 || cef_value(x + eq[k] + 1, vend - eq[k] - 1, kv->val))
			return -1;
	}
	return 0;
}

/* --- LEEF 2.0 --------------------------------------------------------------------- */

/* Up to an unescaped stop byte; '\\', '\=', '\|' and '\^' unescaped. */
static const char *leef_token(const char *p, char stop, char *val)
{
	size_t n = 0;

	for (; *p && *p != stop; p++) {
		if (n + 1 >= VAL_MAX)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '=' && *p != '|' && *p != '^')
				return NULL;
		} else if (*p == '=' && stop == '^') {
			return NULL;
		}
		val[n++] = *p;
	}
	val[n] = '\0';
	return p;
}

/* LEEF:2.0|V|P|Ver|EventID|^|k=v^k=v into h1..h5 and the keys. */
static int parse_leef(const char *m, struct fields *f)
{
	const char *p;
	char key[4];

	f->n = 0;
	if (strncmp(m, "LEEF:2.0|", 9))
		return -1;
	p = m + 9;
	for (int i = 1; i <= 5; i++) {
		struct kv *kv;

		snprintf(key, sizeof(key), "h%d", i);
		kv = add(f, key, strlen(key), 's');
		p = cef_hdr(p, kv->val);
		if (!p)
			return -1;
	}
	if (strcmp(f->v[4].val, "^"))
		return -1;
	while (*p) {
		size_t k = strcspn(p, "=^");
		struct kv *kv;

		if (!k || p[k] != '=')
			return -1;
		kv = add(f, p, k, 's');
		if (!kv || !(p = leef_token(p + k + 1, '^', kv->val)))
			return -1;
		if (*p == '^')
			p++;
	}
	return 0;
}

/* --- JSON --------------------------------------------------------------------------- */

static const char *json_val(const char *p, struct fields *f, const char *path, int depth);

static void put_utf8(char *val, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		val[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		val[(*n)++] = (char)(0xc0 | (cp >> 6));
		val[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		val[(*n)++] = (char)(0xe0 | (cp >> 12));
		val[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		val[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		val[(*n)++] = (char)(0xf0 | (cp >> 18));
		val[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		val[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		val[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const char *p, uint32_t *v)
{
	char buf[5], *end;

	memcpy(buf, p, 4);
	buf[4] = '\0';
	*v = (uint32_t)strtoul(buf, &end, 16);
	return end == buf + 4 ? 0 : -1;
}

/* A JSON string after its '"', strictly: no raw control bytes, valid escapes. */
static const char *json_str(const char *p, char *val)
{
	size_t n = 0;
	uint32_t cp, lo;

	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20 || n + 5 >= VAL_MAX)
			return NULL;
		if (*p != '\\') {
			val[n++] = *p;
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/':
			val[n++] = *p;
			break;
		case 'n':
			val[n++] = '\n';
			break;
		case 't':
			val[n++] = '\t';
			break;
		case 'r':
			val[n++] = '\r';
			break;
		case 'b':
			val[n++] = '\b';
			break;
		case 'f':
			val[n++] = '\f';
			break;
		case 'u':
			if (hex4(p + 1, &cp))
				return NULL;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p[1] != '\\' || p[2] != 'u' || hex4(p + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return NULL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			put_utf8(val, &n, cp);
			break;
		default:
			return NULL;
		}
	}
	val[n] = '\0';
	return p + 1;
}

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_obj(const char *p, struct fields *f, const char *path, int depth)
{
	char key[VAL_MAX], sub[256];
	int n;

	p = json_ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		if (*p != '"' || !(p = json_str(p + 1, key)))
			return NULL;
		p = json_ws(p);
		if (*p != ':')
			return NULL;
		n = snprintf(sub, sizeof(sub), "%s%s%.*s", path, *path ? "." : "", 200, key);
		if (n < 0 || (size_t)n >= sizeof(sub))
			return NULL;
		if (!(p = json_val(json_ws(p + 1), f, sub, depth + 1)))
			return NULL;
		p = json_ws(p);
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = json_ws(p + 1);
	}
}

static const char *json_arr(const char *p, struct fields *f, const char *path, int depth)
{
	char sub[256];
	struct kv *kv;
	int i = 0;

	kv = add(f, path, strlen(path), 'a');
	if (!kv)
		return NULL;
	p = json_ws(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		snprintf(sub, sizeof(sub), "%s[%d]", path, i++);
		snprintf(kv->val, VAL_MAX, "%d", i);
		if (!(p = json_val(p, f, sub, depth + 1)))
			return NULL;
		p = json_ws(p);
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = json_ws(p + 1);
	}
}

/* A value at path: objects and arrays recurse, the rest is stored. */
static const char *json_val(const char *p, struct fields *f, const char *path, int depth)
{
	struct kv *kv;
	size_t n;

	if (depth > 20)
		return NULL;
	if (*p == '{')
		return json_obj(p, f, path, depth);
	if (*p == '[')
		return json_arr(p, f, path, depth);
	if (*p == '"') {
		kv = add(f, path, strlen(path), 's');
		return kv ? json_str(p + 1, kv->val) : NULL;
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5) || !strncmp(p, "null", 4)) {
		n = *p == 'f' ? 5 : 4;
		kv = add(f, path, strlen(path), *p == 'n' ? 'z' : 'b');
	} else {
		n = strspn(p, "-0123456789.eE+");
		if (!n)
			return NULL;
		kv = add(f, path, strlen(path), 'n');
	}
	if (!kv)
		return NULL;
	memcpy(kv->val, p, n);
	kv->val[n] = '\0';
	return p + n;
}

static int parse_json(const char *m, struct fields *f)
{
	const char *p;

	f->n = 0;
	if (*m != '{')
		return -1;
	p = json_val(m, f, "", 0);
	return p && !*p ? 0 : -1;
}

/* --- records ---------------------------------------------------------------------------- */

static void v4(uint8_t b[16], uint32_t host_order)
{
	ea_addr_to_bytes(ea_addr_from_v4(host_order), b);
}

static void v6(uint8_t b[16], const char *text)
{
	ea_addr_t a;

	assert_int_equal(ea_addr_parse(text, &a), 0);
	ea_addr_to_bytes(a, b);
}

static void base_rec(struct ea_rec *r, uint32_t kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->seq = 42;
	for (int i = 0; i < 32; i++)
		r->chain[i] = (uint8_t)(i * 7 + 1);
	r->ts_ns = TS_NS;
	strcpy(r->host, "db-01.example.org");
}

static void flow_rec(struct ea_rec *r, const char *comm)
{
	base_rec(r, EA_REC_FLOW_START);
	r->verdict = EA_VERDICT_FLAGGED;
	r->proto = EA_PROTO_TCP;
	r->ip_proto = 6;
	r->family = 4;
	r->origin = EA_ORIGIN_SOCKET;
	r->zone = EA_ZONE_ADEQUACY_PARTIAL;
	r->country = ea_cc_pack("US");
	r->sport = 40000;
	r->dport = 443;
	v4(r->src, 0xc0000201);		/* 192.0.2.1 */
	v4(r->dst, 0xc6336407);		/* 198.51.100.7 */
	r->pid = 1234;
	r->tid = 1235;
	r->uid = 1000;
	r->gid = 1001;
	r->cgroup_id = 777;
	r->cookie = 99;
	r->start_ns = START_NS;
	r->bytes = 123456;
	r->packets = 89;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	strcpy(r->cgroup, "/system.slice/crm.service");
	strcpy(r->labels, "customer-pii,hr");
	strcpy(r->evidence, "customer-pii=/srv/crm;customer-pii=/srv/x;hr=/system.slice/crm.service");
}

static const char *fmt_rec(int fmt, const struct ea_rec *r)
{
	int n = ea_siem_format(fmt, r, out, sizeof(out));

	if (n < 0)
		fail_msg("%s: %d", ea_siem_fmt_name(fmt), n);
	assert_int_equal((size_t)n, strlen(out));
	return out;
}

/* Parse the header and SD of out; return the body (NULL for rfc5424). */
static const char *check_header(const char *msg, struct syslog_msg *h, struct fields *sd,
				const struct ea_rec *r)
{
	char hex[65];

	if (parse_5424(msg, h, sd))
		fail_msg("not RFC 5424: %s", msg);
	assert_string_equal(h->ts, "2026-11-18T11:06:40.123456Z");
	assert_string_equal(h->app, "egress-audit");
	assert_string_equal(h->procid, "-");
	assert_string_equal(h->msgid, ea_rec_kind_name(r->kind));
	assert_string_equal(h->sdid, "egress-audit@32473");
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->chain[i]);
	expect(sd, "seq", "42");
	expect(sd, "chain", hex);
	assert_int_equal(h->origin->n, 2);
	expect(h->origin, "software", "egress-audit");
	expect(h->origin, "swVersion", ea_version());
	return h->msg;
}

/* Output safe for line-based transports: valid UTF-8, no control bytes. */
static void check_clean(const char *msg)
{
	const unsigned char *u = (const unsigned char *)msg;

	while (*u) {
		size_t n = ea_utf8_valid_len(u);

		if (!n || (n == 1 && (*u < 0x20 || *u == 0x7f)))
			fail_msg("bad byte 0x%02x at %zu in %s", *u, (size_t)(u - (const unsigned char *)msg), msg);
		u += n;
	}
}

/* --- tests ------------------------------------------------------------------------------- */

static void test_names(void **state)
{
	struct ea_rec r;

	(void)state;
	assert_int_equal(ea_siem_fmt_parse("cef"), EA_SIEM_FMT_CEF);
	assert_int_equal(ea_siem_fmt_parse("leef"), EA_SIEM_FMT_LEEF);
	assert_int_equal(ea_siem_fmt_parse("json-ecs"), EA_SIEM_FMT_ECS);
	assert_int_equal(ea_siem_fmt_parse("json-ocsf"), EA_SIEM_FMT_OCSF);
	assert_int_equal(ea_siem_fmt_parse("rfc5424"), EA_SIEM_FMT_RFC5424);
	assert_int_equal(ea_siem_fmt_parse("CEF"), -1);
	assert_int_equal(ea_siem_fmt_parse(NULL), -1);
	assert_string_equal(ea_siem_fmt_name(EA_SIEM_FMT_OCSF), "json-ocsf");
	assert_string_equal(ea_siem_fmt_name(99), "invalid");
	assert_int_equal(ea_siem_class_parse("flagged", 7), EA_SIEM_FLAGGED);
	assert_int_equal(ea_siem_class_parse("agent", 5), EA_SIEM_AGENT);
	assert_int_equal(ea_siem_class_parse("tamper", 6), EA_SIEM_TAMPER);
	assert_int_equal(ea_siem_class_parse("agents", 6), 0);
	assert_int_equal(ea_siem_class_parse("flag", 4), 0);

	flow_rec(&r, "curl");
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_FLAGGED);
	r.verdict = EA_VERDICT_BLOCKED;
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_BLOCKED);
	r.verdict = EA_VERDICT_ALLOWED;
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_ALLOWED);
	base_rec(&r, EA_REC_GAP);
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_LOST);
	base_rec(&r, EA_REC_CHECKPOINT);
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_CHECKPOINT);
	base_rec(&r, EA_REC_HEARTBEAT);
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_AGENT);
	base_rec(&r, EA_REC_TAMPER);
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_TAMPER);
	assert_true(EA_SIEM_SELECT_DEFAULT & EA_SIEM_TAMPER);
	base_rec(&r, 200);
	assert_int_equal(ea_siem_class_of(&r), EA_SIEM_AGENT);
}

/* PRI = facility 13 (log audit) * 8 + severity. */
static void test_severity(void **state)
{
	static const struct {
		uint32_t kind;
		uint8_t verdict;
		int pri, cef, ocsf;
	} cases[] = {
		{ EA_REC_FLOW_START, EA_VERDICT_FLAGGED, 108, 7, 4 },
		{ EA_REC_FLOW_END, EA_VERDICT_BLOCKED, 109, 5, 3 },
		{ EA_REC_FLOW_UPDATE, EA_VERDICT_ALLOWED, 110, 3, 1 },
		{ EA_REC_LOST, 0, 107, 8, 4 },
		{ EA_REC_GAP, 0, 107, 8, 4 },
		{ EA_REC_TAMPER, 0, 106, 9, 5 },
		{ EA_REC_REPAIR, 0, 109, 4, 2 },
		{ EA_REC_HEARTBEAT, 0, 110, 1, 1 },
		{ EA_REC_CHECKPOINT, 0, 110, 1, 1 },
	};
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_siem_sev sev;
	struct ea_rec r;
	char num[8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flow_rec(&r, "x");
		r.kind = cases[i].kind;
		r.verdict = cases[i].verdict;
		ea_siem_severity(&r, &sev);
		assert_int_equal(sev.cef, cases[i].cef);
		assert_int_equal(sev.ocsf, cases[i].ocsf);
		check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r);
		assert_int_equal(h.pri, cases[i].pri);
		assert_int_equal(parse_cef(h.msg, f), 0);
		snprintf(num, sizeof(num), "%d", cases[i].cef);
		expect(f, "h6", num);
		check_header(fmt_rec(EA_SIEM_FMT_LEEF, &r), &h, sd, &r);
		assert_int_equal(parse_leef(h.msg, f), 0);
		expect(f, "sev", num);
	}
	free(f);
	free(sd);
}

static void test_rfc5424_fields(void **state)
{
	struct fields *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	assert_string_equal(h.host, "db-01.example.org");
	assert_int_equal(h.pri, 108);
	expect(sd, "host", "db-01.example.org");
	expect(sd, "verdict", "flagged");
	expect(sd, "proto", "tcp");
	expect(sd, "family", "4");
	expect(sd, "src", "192.0.2.1");
	expect(sd, "sport", "40000");
	expect(sd, "dst", "198.51.100.7");
	expect(sd, "dport", "443");
	expect(sd, "country", "US");
	expect(sd, "zone", "adequacy-partial");
	expect(sd, "pid", "1234");
	expect(sd, "tid", "1235");
	expect(sd, "comm", "curl");
	expect(sd, "uid", "1000");
	expect(sd, "gid", "1001");
	expect(sd, "cgroup", "/system.slice/crm.service");
	expect(sd, "cgroup_id", "777");
	expect(sd, "bytes", "123456");
	expect(sd, "packets", "89");
	expect(sd, "start", "2026-11-18T11:06:35.500000Z");
	expect(sd, "labels", "customer-pii,hr");
	expect(sd, "evidence", "customer-pii=/srv/crm;customer-pii=/srv/x;hr=/system.slice/crm.service");
	expect(sd, "origin", "socket");
	expect(sd, "ifindex", "0");
	expect(sd, "ip_proto", "6");
	expect(sd, "cookie", "99");
	expect(sd, "mapped", "false");
	expect(sd, "routed", "false");
	/* the Community ID of TCP 192.0.2.1:40000 -> 198.51.100.7:443 */
	expect(sd, "community_id", "1:lWOTJwBjzASkHgo+w0kukpG9z0M=");
	assert_int_equal(sd->n, 31);
	free(sd);
}

static void test_cef_fields(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	r.kind = EA_REC_FLOW_END;
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	assert_int_equal(sd->n, 2);
	expect(f, "h1", "egress-audit");
	expect(f, "h2", "egress-audit");
	expect(f, "h3", ea_version());
	expect(f, "h4", "flow_end");
	expect(f, "h5", "Egress flow end (flagged)");
	expect(f, "h6", "7");
	expect(f, "rt", "1795000000123");
	expect(f, "externalId", "42");
	expect(f, "cat", "flow_end");
	expect(f, "dvchost", "db-01.example.org");
	expect(f, "act", "flagged");
	expect(f, "src", "192.0.2.1");
	expect(f, "spt", "40000");
	expect(f, "dst", "198.51.100.7");
	expect(f, "dpt", "443");
	expect(f, "proto", "TCP");
	expect(f, "sproc", "curl");
	expect(f, "spid", "1234");
	expect(f, "suid", "1000");
	expect(f, "out", "123456");
	expect(f, "cnt", "89");
	expect(f, "start", "1794999995500");
	expect(f, "end", "1795000000123");
	expect(f, "deviceDirection", "1");
	expect(f, "cs1Label", "country");
	expect(f, "cs1", "US");
	expect(f, "cs2Label", "zone");
	expect(f, "cs2", "adequacy-partial");
	expect(f, "cs3Label", "labels");
	expect(f, "cs3", "customer-pii,hr");
	expect(f, "cs4Label", "cgroup");
	expect(f, "cs4", "/system.slice/crm.service");
	expect(f, "cs5Label", "evidence");
	expect(f, "cs5", "customer-pii=/srv/crm;customer-pii=/srv/x;hr=/system.slice/crm.service");
	expect(f, "cs6Label", "chain");
	expect(f, "cs6", get(sd, "chain"));
	assert_false(has(f, "c6a2"));
	free(f);
	free(sd);
}

/* IPv6 endpoints go to labelled c6a fields; src/dst are IPv4 only in CEF. */
static void test_cef_ipv6(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	r.family = 6;
	v6(r.src, "2001:db8:1::1");
	v6(r.dst, "2001:db8:2::7");
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	assert_false(has(f, "src"));
	assert_false(has(f, "dst"));
	expect(f, "c6a2", "2001:db8:1::1");
	expect(f, "c6a2Label", "Source IPv6 Address");
	expect(f, "c6a3", "2001:db8:2::7");
	expect(f, "c6a3Label", "Destination IPv6 Address");
	free(f);
	free(sd);
}

static void test_leef_fields(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	r.verdict = EA_VERDICT_BLOCKED;
	assert_int_equal(parse_leef(check_header(fmt_rec(EA_SIEM_FMT_LEEF, &r), &h, sd, &r), f), 0);
	expect(f, "h1", "egress-audit");
	expect(f, "h2", "egress-audit");
	expect(f, "h3", ea_version());
	expect(f, "h4", "flow_start");
	expect(f, "h5", "^");
	expect(f, "devTime", "Nov 18 2026 11:06:40.123 UTC");
	expect(f, "devTimeFormat", "MMM dd yyyy HH:mm:ss.SSS z");
	expect(f, "cat", "blocked");
	expect(f, "sev", "5");
	expect(f, "host", "db-01.example.org");
	expect(f, "verdict", "blocked");
	expect(f, "src", "192.0.2.1");
	expect(f, "srcPort", "40000");
	expect(f, "dst", "198.51.100.7");
	expect(f, "dstPort", "443");
	expect(f, "proto", "TCP");
	expect(f, "srcBytes", "123456");
	expect(f, "srcPackets", "89");
	expect(f, "country", "US");
	expect(f, "zone", "adequacy-partial");
	expect(f, "pid", "1234");
	expect(f, "comm", "curl");
	expect(f, "uid", "1000");
	expect(f, "gid", "1001");
	expect(f, "cgroup", "/system.slice/crm.service");
	expect(f, "labels", "customer-pii,hr");
	expect(f, "evidence", "customer-pii=/srv/crm;customer-pii=/srv/x;hr=/system.slice/crm.service");
	expect(f, "start", "2026-11-18T11:06:35.500000Z");
	expect(f, "seq", "42");
	expect(f, "chain", get(sd, "chain"));
	free(f);
	free(sd);
}

static void test_ecs_fields(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "@timestamp", "2026-11-18T11:06:40.123456Z");
	expect(f, "ecs.version", EA_SIEM_ECS_VERSION);
	expect(f, "event.kind", "alert");
	expect(f, "event.category[0]", "network");
	expect(f, "event.type[0]", "connection");
	expect(f, "event.type[1]", "start");
	expect(f, "event.type[2]", "allowed");
	expect(f, "event.action", "flow_start");
	expect(f, "event.outcome", "success");
	expect(f, "event.severity", "7");
	expect(f, "event.sequence", "42");
	expect(f, "event.hash", get(sd, "chain"));
	expect(f, "event.start", "2026-11-18T11:06:35.500000Z");
	expect(f, "host.hostname", "db-01.example.org");
	expect(f, "source.ip", "192.0.2.1");
	expect(f, "source.port", "40000");
	expect(f, "source.bytes", "123456");
	expect(f, "source.packets", "89");
	expect(f, "destination.ip", "198.51.100.7");
	expect(f, "destination.port", "443");
	expect(f, "destination.geo.country_iso_code", "US");
	expect(f, "network.transport", "tcp");
	expect(f, "network.iana_number", "6");
	expect(f, "network.direction", "egress");
	expect(f, "network.type", "ipv4");
	expect(f, "network.community_id", "1:lWOTJwBjzASkHgo+w0kukpG9z0M=");
	expect(f, "process.pid", "1234");
	expect(f, "process.name", "curl");
	expect(f, "process.thread.id", "1235");
	expect(f, "user.id", "1000");
	expect(f, "group.id", "1001");
	expect(f, "egress_audit.seq", "42");
	expect(f, "egress_audit.verdict", "flagged");
	expect(f, "egress_audit.zone", "adequacy-partial");
	expect(f, "egress_audit.labels[0]", "customer-pii");
	expect(f, "egress_audit.labels[1]", "hr");
	expect(f, "egress_audit.evidence.customer-pii[0]", "/srv/crm");
	expect(f, "egress_audit.evidence.customer-pii[1]", "/srv/x");
	expect(f, "egress_audit.evidence.hr[0]", "/system.slice/crm.service");
	expect(f, "egress_audit.cgroup", "/system.slice/crm.service");
	expect(f, "egress_audit.mapped", "false");
	expect(f, "egress_audit.routed", "false");
	r.routed = 1;
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "egress_audit.routed", "true");
	r.routed = 0;
	r.verdict = EA_VERDICT_BLOCKED;
	r.country = 0;
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "event.type[2]", "denied");
	expect(f, "event.outcome", "failure");
	assert_false(has(f, "destination.geo.country_iso_code"));
	free(f);
	free(sd);
}

static void test_ocsf_fields(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	r.kind = EA_REC_FLOW_END;
	r.family = 6;
	v6(r.src, "2001:db8:1::1");
	v6(r.dst, "2001:db8:2::7");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_OCSF, &r), &h, sd, &r), f), 0);
	expect(f, "activity_id", "2");
	expect(f, "activity_name", "Close");
	expect(f, "category_uid", "4");
	expect(f, "class_uid", "4001");
	expect(f, "type_uid", "400102");
	expect(f, "severity_id", "4");
	expect(f, "time", "1795000000123");
	expect(f, "start_time", "1794999995500");
	expect(f, "end_time", "1795000000123");
	expect(f, "metadata.version", EA_SIEM_OCSF_VERSION);
	expect(f, "metadata.product.name", "egress-audit");
	expect(f, "metadata.product.vendor_name", "egress-audit");
	expect(f, "metadata.sequence", "42");
	expect(f, "action_id", "1");
	expect(f, "disposition_id", "15");
	expect(f, "device.hostname", "db-01.example.org");
	expect(f, "src_endpoint.ip", "2001:db8:1::1");
	expect(f, "src_endpoint.port", "40000");
	expect(f, "dst_endpoint.ip", "2001:db8:2::7");
	expect(f, "dst_endpoint.port", "443");
	expect(f, "dst_endpoint.location.country", "US");
	expect(f, "connection_info.direction_id", "2");
	expect(f, "connection_info.protocol_num", "6");
	expect(f, "connection_info.protocol_ver_id", "6");
	/* TCP 2001:db8:1::1:40000 -> [2001:db8:2::7]:443 */
	expect(f, "connection_info.community_uid", "1:BuvghUNpyQQGaHecT/my0qdpcpM=");
	expect(f, "traffic.bytes_out", "123456");
	expect(f, "traffic.packets_out", "89");
	expect(f, "actor.process.pid", "1234");
	expect(f, "actor.process.name", "curl");
	expect(f, "actor.process.user.uid", "1000");
	expect(f, "unmapped.chain", get(sd, "chain"));
	expect(f, "unmapped.zone", "adequacy-partial");
	free(f);
	free(sd);
}

/* Lost records and agent records in every format. */
/*
 * Ids of ten digits (id-mapped users of SSSD or of a user namespace
 * picked by systemd-nspawn) come out whole in every format.
 */
static void test_wide_ids(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	r.uid = 4294967294u;
	r.gid = 1827400500u;
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	expect(sd, "uid", "4294967294");
	expect(sd, "gid", "1827400500");
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	expect(f, "suid", "4294967294");
	assert_int_equal(parse_leef(check_header(fmt_rec(EA_SIEM_FMT_LEEF, &r), &h, sd, &r), f), 0);
	expect(f, "uid", "4294967294");
	expect(f, "gid", "1827400500");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "user.id", "4294967294");
	expect(f, "group.id", "1827400500");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_OCSF, &r), &h, sd, &r), f), 0);
	expect(f, "actor.process.user.uid", "4294967294");
	free(f);
	free(sd);
}

static void test_agent_records(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	base_rec(&r, EA_REC_LOST);
	strcpy(r.what, "flow_start");
	r.count = 17;
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	expect(sd, "what", "flow_start");
	expect(sd, "count", "17");
	assert_int_equal(h.pri, 107);
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	expect(f, "cnt", "17");
	expect(f, "reason", "flow_start");
	assert_false(has(f, "sproc"));
	assert_int_equal(parse_leef(check_header(fmt_rec(EA_SIEM_FMT_LEEF, &r), &h, sd, &r), f), 0);
	expect(f, "count", "17");
	expect(f, "cat", "lost");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_OCSF, &r), &h, sd, &r), f), 0);
	expect(f, "class_uid", "0");
	expect(f, "activity_id", "99");
	expect(f, "unmapped.count", "17");
	assert_false(has(f, "src_endpoint.ip"));

	/* refused by the flood limit: the detail names the process, comm hostile */
	strcpy(r.detail, "{\"reason\":\"flood_limit\",\"pid\":4242,"
			 "\"comm\":\"x=1|y\\\"\\\\z\\n\"}");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "egress_audit.detail.reason", "flood_limit");
	expect(f, "egress_audit.detail.pid", "4242");
	expect(f, "egress_audit.detail.comm", "x=1|y\"\\z\n");
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	expect(f, "msg", r.detail);
	expect(f, "cnt", "17");
	assert_int_equal(parse_leef(check_header(fmt_rec(EA_SIEM_FMT_LEEF, &r), &h, sd, &r), f), 0);
	expect(f, "detail", r.detail);
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	expect(sd, "detail", r.detail);

	base_rec(&r, EA_REC_AGENT_START);
	strcpy(r.detail, "{\"pid\":7,\"hooks\":[\"cgroup/connect4\"],\"x\":{\"y\":null}}");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "event.kind", "event");
	expect(f, "event.category[0]", "host");
	expect(f, "event.type[0]", "start");
	expect(f, "egress_audit.detail.pid", "7");
	expect(f, "egress_audit.detail.hooks[0]", "cgroup/connect4");
	assert_false(has(f, "source.ip"));
	assert_int_equal(parse_cef(check_header(fmt_rec(EA_SIEM_FMT_CEF, &r), &h, sd, &r), f), 0);
	expect(f, "msg", r.detail);
	expect(f, "h5", "Agent started");
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	expect(sd, "detail", r.detail);

	/* a detail that is not JSON (or not only JSON) is carried as a string */
	strcpy(r.detail, "{\"a\":1} ]\"x\n");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_OCSF, &r), &h, sd, &r), f), 0);
	expect(f, "unmapped.detail", r.detail);
	strcpy(r.detail, "{\"a\":\"\xff\"}");
	assert_int_equal(parse_json(check_header(fmt_rec(EA_SIEM_FMT_ECS, &r), &h, sd, &r), f), 0);
	expect(f, "egress_audit.detail.a", FFFD);
	free(f);
	free(sd);
}

/*
 * What a name must come back as: U+FFFD for invalid bytes and for control
 * characters the format cannot carry (those not in keep; all are kept when
 * keep is NULL).
 */
static void expected_text(const char *in, const char *keep, char *want)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t n = 0;

	while (*u) {
		size_t len = ea_utf8_valid_len(u);

		if (!len || (len == 1 && (*u < 0x20 || *u == 0x7f) && keep &&
			     !strchr(keep, *u))) {
			memcpy(want + n, FFFD, 3);
			n += 3;
			u++;
		} else {
			memcpy(want + n, u, len);
			n += len;
			u += len;
		}
	}
	want[n] = '\0';
}

static const char *const hostile[] = {
	"a|b", "a=b", "a\\b", "a]b", "a\"b", "a\nb", "a\tb", "a\rb", "a\xff" "b",
	"\xc3\x28", "\xe2\x82", "caf\xc3\xa9", "x=1 y|2\\]\"\n\t\xfe",
	"sproc=evil", " spid=1 ", "\\", "=", "|", "]", "\"", "\x1b[31mred",
	"a^b", "n\\=x\\", "\\n", "}\",\"x\":\"", "a b=c d=e", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xc0\xaf", "\x7f",
};

/* Every hostile name, in every format, reads back as its documented value. */
static void test_hostile_names(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	char want[256];
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		flow_rec(&r, hostile[i]);
		snprintf(r.cgroup, sizeof(r.cgroup), "/x/%s", hostile[i]);

		check_clean(fmt_rec(EA_SIEM_FMT_RFC5424, &r));
		assert_null(check_header(out, &h, sd, &r));
		expected_text(hostile[i], "", want);
		expect(sd, "comm", want);
		assert_int_equal(sd->n, 31);

		check_clean(fmt_rec(EA_SIEM_FMT_CEF, &r));
		assert_int_equal(parse_cef(check_header(out, &h, sd, &r), f), 0);
		expected_text(hostile[i], "\n\r", want);
		expect(f, "sproc", want);
		expect(f, "spid", "1234");
		expect(f, "suid", "1000");

		check_clean(fmt_rec(EA_SIEM_FMT_LEEF, &r));
		assert_int_equal(parse_leef(check_header(out, &h, sd, &r), f), 0);
		expected_text(hostile[i], "", want);
		expect(f, "comm", want);
		expect(f, "uid", "1000");

		expected_text(hostile[i], NULL, want);
		check_clean(fmt_rec(EA_SIEM_FMT_ECS, &r));
		assert_int_equal(parse_json(check_header(out, &h, sd, &r), f), 0);
		expect(f, "process.name", want);
		expect(f, "user.id", "1000");
		check_clean(fmt_rec(EA_SIEM_FMT_OCSF, &r));
		assert_int_equal(parse_json(check_header(out, &h, sd, &r), f), 0);
		expect(f, "actor.process.name", want);
		expect(f, "actor.process.pid", "1234");
	}
	free(f);
	free(sd);
}

/* A cgroup path read back from out in format fmt, as want says. */
static void expect_cgroup(int fmt, const struct ea_rec *r, const char *want,
			  struct fields *f, struct fields *sd)
{
	static const char *const key[EA_SIEM_FMT_MAX] = {
		[EA_SIEM_FMT_CEF] = "cs4", [EA_SIEM_FMT_LEEF] = "cgroup",
		[EA_SIEM_FMT_ECS] = "egress_audit.cgroup",
		[EA_SIEM_FMT_OCSF] = "unmapped.cgroup", [EA_SIEM_FMT_RFC5424] = "cgroup",
	};
	struct syslog_msg h;
	const char *body;

	check_clean(fmt_rec(fmt, r));
	body = check_header(out, &h, sd, r);
	if (fmt == EA_SIEM_FMT_RFC5424)
		f = sd;
	else if (fmt == EA_SIEM_FMT_CEF)
		assert_int_equal(parse_cef(body, f), 0);
	else if (fmt == EA_SIEM_FMT_LEEF)
		assert_int_equal(parse_leef(body, f), 0);
	else
		assert_int_equal(parse_json(body, f), 0);
	expect(f, key[fmt], want);
}

/*
 * Each byte that ends a run of bytes copied as they are, at every place of
 * a long value: first, inside or last in the value, after a run of any
 * length, with a run after it or none.
 */
static void test_escapes_at_every_place(void **state)
{
	static const struct {
		const char *text;
		bool line_end;	/* U+FFFD but in JSON */
	} stops[] = {
		{ "|", false }, { "=", false }, { "\\", false }, { "]", false },
		{ "\"", false }, { "^", false }, { "\n", false }, { "\t", false },
		{ "\x01", false }, { "\x1f", false }, { "\x7f", false }, { "\xff", false },
		{ "\xc3\xa9", false },
		{ "\xe2\x80\xa8", true }, { "\xc2\x85", true },
	};
	static const char *const keep[EA_SIEM_FMT_MAX] = {
		[EA_SIEM_FMT_CEF] = "\n\r", [EA_SIEM_FMT_LEEF] = "",
		[EA_SIEM_FMT_RFC5424] = "",
	};
	static const char run[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	char want[256];
	struct ea_rec r;

	(void)state;
	for (size_t s = 0; s < sizeof(stops) / sizeof(stops[0]); s++) {
		for (int place = 0; place <= 40; place++) {
			const char *tail = place % 2 ? "tail.of.it" : "";

			flow_rec(&r, "crm");
			snprintf(r.cgroup, sizeof(r.cgroup), "/%.*s%s%s", place, run,
				 stops[s].text, tail);
			for (int fmt = 0; fmt < EA_SIEM_FMT_MAX; fmt++) {
				bool json = fmt == EA_SIEM_FMT_ECS || fmt == EA_SIEM_FMT_OCSF;

				if (stops[s].line_end && !json)
					snprintf(want, sizeof(want), "/%.*s" FFFD "%s", place, run,
						 tail);
				else
					expected_text(r.cgroup, keep[fmt], want);
				expect_cgroup(fmt, &r, want, f, sd);
			}
		}
	}
	free(f);
	free(sd);
}

/* The exact bytes each format writes for one name with every special. */
static void test_exact_escapes(void **state)
{
	static const char name[] = "x=1 y|2\\]\"\n\t\xfe";
	struct ea_rec r;
	char want[128];

	(void)state;
	flow_rec(&r, name);
	fmt_rec(EA_SIEM_FMT_CEF, &r);
	assert_non_null(strstr(out, " sproc=x\\=1 y|2\\\\]\"\\n" FFFD FFFD " spid=1234"));
	fmt_rec(EA_SIEM_FMT_LEEF, &r);
	assert_non_null(strstr(out, "^comm=x\\=1 y\\|2\\\\]\"" FFFD FFFD FFFD "^uid="));
	fmt_rec(EA_SIEM_FMT_RFC5424, &r);
	assert_non_null(strstr(out, " comm=\"x=1 y|2\\\\\\]\\\"" FFFD FFFD FFFD "\" "));
	fmt_rec(EA_SIEM_FMT_ECS, &r);
	assert_non_null(strstr(out, "\"name\":\"x=1 y|2\\\\]\\\"\\n\\t" FFFD "\""));
	fmt_rec(EA_SIEM_FMT_OCSF, &r);
	assert_non_null(strstr(out, "\"name\":\"x=1 y|2\\\\]\\\"\\n\\t" FFFD "\""));

	/* NEL and U+2028, line ends to some CEF and LEEF readers */
	flow_rec(&r, "a\xc2\x85" "b\xe2\x80\xa8" "c");
	fmt_rec(EA_SIEM_FMT_CEF, &r);
	assert_non_null(strstr(out, " sproc=a" FFFD "b" FFFD "c spid="));
	fmt_rec(EA_SIEM_FMT_LEEF, &r);
	assert_non_null(strstr(out, "^comm=a" FFFD "b" FFFD "c^"));
	fmt_rec(EA_SIEM_FMT_RFC5424, &r);
	assert_non_null(strstr(out, " comm=\"a" FFFD "b" FFFD "c\" "));
	fmt_rec(EA_SIEM_FMT_ECS, &r);
	assert_non_null(strstr(out, "\"name\":\"a\\u0085b\\u2028c\""));

	flow_rec(&r, "a^b|c\x01");
	fmt_rec(EA_SIEM_FMT_LEEF, &r);
	assert_non_null(strstr(out, "^comm=a\\^b\\|c" FFFD "^"));
	fmt_rec(EA_SIEM_FMT_ECS, &r);
	assert_non_null(strstr(out, "\"name\":\"a^b|c\\u0001\""));

	/* header fields of CEF escape '|' and '\' */
	base_rec(&r, EA_REC_HEARTBEAT);
	fmt_rec(EA_SIEM_FMT_CEF, &r);
	snprintf(want, sizeof(want),
		 "] CEF:0|egress-audit|egress-audit|%s|heartbeat|Agent heartbeat|1|rt=1795000000123 ",
		 ea_version());
	assert_non_null(strstr(out, want));
}

/* A host name that is not printable ASCII: '?' in HOSTNAME, exact in the body. */
static void test_hostile_host(void **state)
{
	struct fields *f = calloc(1, sizeof(*f)), *sd = calloc(1, sizeof(*sd));
	struct syslog_msg h;
	struct ea_rec r;

	(void)state;
	flow_rec(&r, "curl");
	strcpy(r.host, "a b]\"\xc3\xa9");
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	assert_string_equal(h.host, "a?b]\"??");
	expect(sd, "host", "a b]\"\xc3\xa9");
	r.host[0] = '\0';
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	assert_string_equal(h.host, "-");
	memset(r.host, 'h', sizeof(r.host) - 1);
	r.host[sizeof(r.host) - 1] = '\0';
	assert_null(check_header(fmt_rec(EA_SIEM_FMT_RFC5424, &r), &h, sd, &r));
	assert_int_equal(strlen(h.host), 255);
	free(f);
	free(sd);
}

/* Every string full of the bytes that escape worst still fits EA_SIEM_MSG_MAX. */
static void test_worst_case_fits(void **state)
{
	static const char fill[] = { 0x01, (char)0xff, '"' };
	static char big[EA_SIEM_MSG_MAX];
	struct fields *f = calloc(1, sizeof(*f));
	struct ea_rec r;
	int n;

	(void)state;
	for (size_t k = 0; k < sizeof(fill); k++) {
		flow_rec(&r, "");
		memset(r.host, fill[k], sizeof(r.host) - 1);
		memset(r.comm, fill[k], sizeof(r.comm) - 1);
		memset(r.cgroup, fill[k], sizeof(r.cgroup) - 1);
		memset(r.labels, fill[k], sizeof(r.labels) - 1);
		memset(r.evidence, fill[k], sizeof(r.evidence) - 1);
		memset(r.what, fill[k], sizeof(r.what) - 1);
		memset(r.detail, fill[k], sizeof(r.detail) - 1);
		for (int fmt = 0; fmt < EA_SIEM_FMT_MAX; fmt++) {
			n = ea_siem_format(fmt, &r, big, sizeof(big));
			assert_true(n > 0);
			check_clean(big);
		}
		r.kind = EA_REC_LOST;
		for (int fmt = 0; fmt < EA_SIEM_FMT_MAX; fmt++)
			assert_true(ea_siem_format(fmt, &r, big, sizeof(big)) > 0);
	}
	free(f);
}

static void test_errors(void **state)
{
	char small[64];
	struct ea_rec r;
	int n;

	(void)state;
	flow_rec(&r, "curl");
	assert_int_equal(ea_siem_format(EA_SIEM_FMT_MAX, &r, out, sizeof(out)), -EINVAL);
	assert_int_equal(ea_siem_format(-1, &r, out, sizeof(out)), -EINVAL);
	assert_int_equal(ea_siem_format(EA_SIEM_FMT_CEF, &r, small, sizeof(small)), -ENOSPC);
	assert_int_equal(ea_siem_format(EA_SIEM_FMT_CEF, &r, small, 0), -ENOSPC);
	n = ea_siem_format(EA_SIEM_FMT_ECS, &r, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(ea_siem_format(EA_SIEM_FMT_ECS, &r, out, (size_t)n), -ENOSPC);
	assert_int_equal(ea_siem_format(EA_SIEM_FMT_ECS, &r, out, (size_t)n + 1), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_rfc5424_fields),
		cmocka_unit_test(test_cef_fields),
		cmocka_unit_test(test_cef_ipv6),
		cmocka_unit_test(test_leef_fields),
		cmocka_unit_test(test_ecs_fields),
		cmocka_unit_test(test_wide_ids),
		cmocka_unit_test(test_ocsf_fields),
		cmocka_unit_test(test_agent_records),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_escapes_at_every_place),
		cmocka_unit_test(test_exact_escapes),
		cmocka_unit_test(test_hostile_host),
		cmocka_unit_test(test_worst_case_fits),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
