// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's configuration file, parsed with inih.
 *
 * inih counts lines by calls of its reader, splits a line longer than its
 * buffer into several and reports no event for a section header (whose name
 * it also truncates). So the text reaches inih through a reader that hands
 * over exactly one physical line per call and keeps the line number, refuses
 * lines that do not fit, and parses section headers itself. The reader
 * follows inih's rules for comments and continuation lines (inih's default
 * options) so that both agree on what each line is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "siem_format.h"
#include "siem_transport.h"
#include "util.h"

#define CONFIG_MAX_SIZE		(1u << 20)	/* bytes of a config file */
#define SHOW_MAX		40	/* bytes of input quoted in a message */
#define SHOW_SIZE		(SHOW_MAX + 4)
#define IFNAME_MAX		15	/* IFNAMSIZ - 1 */
#define INTERVAL_MAX_S		86400
#define RINGBUF_MIN_KIB		4
#define RINGBUF_MAX_KIB		1048576
#define FLOOD_MAX_EVENTS	1000000
#define SIZE_MAX_BYTES		(1ull << 50)	/* 1 PiB */
#define ROTATE_SIZE_MIN		(64ull << 10)
#define AGE_MAX_S		(100ull * 366 * 86400)

static const char *const flush_names[] = {
	[EA_FLUSH_NONE] = "none",
	[EA_FLUSH_INCREMENTAL] = "incremental",
	[EA_FLUSH_DATA] = "data",
	[EA_FLUSH_SYNC] = "sync",
};

static const char *const disk_full_names[] = {
	[EA_DISK_FULL_SUSPEND] = "suspend",
	[EA_DISK_FULL_ROTATE] = "rotate",
	[EA_DISK_FULL_HALT] = "halt-logging",
};

#define ZONE_BIT(z)		(1u << (z))
#define DEFAULT_ALLOW		(ZONE_BIT(EA_ZONE_EU) | ZONE_BIT(EA_ZONE_EEA) | \
				 ZONE_BIT(EA_ZONE_ADEQUACY) | \
				 ZONE_BIT(EA_ZONE_INTERNAL) | ZONE_BIT(EA_ZONE_OWN))

static const char *const zone_names[EA_ZONE_MAX] = {
	[EA_ZONE_UNKNOWN] = "unknown",
	[EA_ZONE_EU] = "eu",
	[EA_ZONE_EEA] = "eea",
	[EA_ZONE_ADEQUACY] = "adequacy",
	[EA_ZONE_ADEQUACY_PARTIAL] = "adequacy-partial",
	[EA_ZONE_THIRD] = "third",
	[EA_ZONE_INTERNAL] = "internal",
	[EA_ZONE_OWN] = "own",
};

static const char *const verdict_names[EA_VERDICT_MAX] = {
	[EA_VERDICT_ALLOWED] = "allowed",
	[EA_VERDICT_FLAGGED] = "flagged",
	[EA_VERDICT_BLOCKED] = "blocked",
};

enum section {
	SEC_NONE,		/* before the first header */
	SEC_BAD,		/* after a bad header: its keys are ignored */
	SEC_AGENT,
	SEC_GEOIP,
	SEC_POLICY,
	SEC_LABEL,
	SEC_SIEM,
};

/* What inih takes a line for. */
enum line_kind {
	LINE_BLANK,		/* empty or comment */
	LINE_CONT,		/* continues the value of the previous key */
	LINE_SECTION,
	LINE_PAIR,
};

/* Keys that take a single value; each remembers the line it was set on. */
enum once_slot {
	ONCE_AGENT_CGROUP,
	ONCE_RECORD,
	ONCE_TCP_COUNT,
	ONCE_WATCH_32BIT,
	ONCE_AGENT_MODE,
	ONCE_INTERVAL,
	ONCE_RINGBUF,
	ONCE_TCP_SLOTS,
	ONCE_SLOT_SWEEP,
	ONCE_FLOOD,
	ONCE_HOSTNAME,
	ONCE_LOG_DIR,
	ONCE_KEY_FILE,
	ONCE_FLUSH,
	ONCE_DISK_FULL,
	ONCE_ROTATE_SIZE,
	ONCE_ROTATE_AGE,
	ONCE_RETAIN_SIZE,
	ONCE_RETAIN_AGE,
	ONCE_CHECKPOINT,
	ONCE_HEARTBEAT,
	ONCE_UNKNOWN,
	ONCE_LABEL_MODE,
	ONCE_SIEM_TARGET,
	ONCE_SIEM_FORMAT,
	ONCE_SIEM_SELECT,
	ONCE_SIEM_CA,
	ONCE_SIEM_CERT,
	ONCE_SIEM_KEY,
	ONCE_SIEM_FINGERPRINT,
	ONCE_SIEM_BACKOFF,
	ONCE_MAX,
};

#define REPEATABLE		ONCE_MAX

struct parse {
	const char *name;		/* file name in messages */
	struct ea_config *cfg;
	struct ea_err *err;
	const char *pos, *end;		/* text not yet read */
	uint32_t line;			/* the line last handed to inih */
	enum line_kind kind;		/* what inih takes that line for */
	bool prev_name;			/* inih continues values on indented lines */
	enum section sec;
	size_t label;			/* index of the current [label] */
	size_t siem;			/* index of the current [siem] */
	bool policy_allow_seen;
	uint32_t once[ONCE_MAX];
	int rc;				/* the first error */
	uint32_t err_line;
};

struct key {
	const char *name;
	enum once_slot once;
	int (*set)(struct parse *p, const char *key, char *v);
};

/* The name of a zone, "invalid" for a value outside enum ea_zone. */
const char *ea_zone_name(uint32_t zone)
{
	return zone < EA_ZONE_MAX ? zone_names[zone] : "invalid";
}

/* The config name of a flush mode. */
const char *ea_flush_mode_name(uint32_t mode)
{
	return mode < sizeof(flush_names) / sizeof(flush_names[0]) ? flush_names[mode] : "invalid";
}

/* The config name of a disk-full action. */
const char *ea_disk_full_name(uint32_t action)
{
	return action < sizeof(disk_full_names) / sizeof(disk_full_names[0]) ?
		       disk_full_names[action] : "invalid";
}

/* The name of a verdict, "invalid" for a value outside enum ea_verdict. */
const char *ea_verdict_name(uint32_t verdict)
{
	return verdict < EA_VERDICT_MAX ? verdict_names[verdict] : "invalid";
}

/* The zone named by w[0..n), in any case, or -1. */
static int zone_lookup(const char *w, size_t n)
{
	for (int z = 0; z < EA_ZONE_MAX; z++) {
		if (strlen(zone_names[z]) == n && !strncasecmp(zone_names[z], w, n))
			return z;
	}
	return -1;
}

/* The zone named by s (any case), or -1. */
int ea_zone_parse(const char *s)
{
	return s ? zone_lookup(s, strlen(s)) : -1;
}

/* Blanks as inih's isspace() sees them in the C locale. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* The next blank-separated word of *s and its length, or NULL at the end. */
static const char *next_word(const char **s, size_t *len)
{
	const char *w = *s;
	const char *e;

	while (is_blank(*w))
		w++;
	if (!*w)
		return NULL;
	for (e = w; *e && !is_blank(*e); e++)
		;
	*len = (size_t)(e - w);
	*s = e;
	return w;
}

/* w[0..n) fit for a message: at most SHOW_MAX bytes, unprintable ones '?'. */
static const char *show(const char *w, size_t n, char buf[SHOW_SIZE])
{
	size_t m = n > SHOW_MAX ? SHOW_MAX : n;

	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)w[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n > m) {
		memcpy(buf + m, "...", 3);
		m += 3;
	}
	buf[m] = '\0';
	return buf;
}

/* A two-letter country code in either case, packed upper-case; 0 if not. */
static uint16_t cc_word(const char *w, size_t n)
{
	char cc[2];

	if (n != 2)
		return 0;
	for (int i = 0; i < 2; i++) {
		char c = w[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return 0;
		cc[i] = c;
	}
	return ea_cc_pack(cc);
}

/* arr with room for element n; the capacity is the next power of two. */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return arr;
	return realloc(arr, (n ? 2 * n : 1) * size);
}

/* Insert cc into the sorted set arr[0..*n) unless present. 0 or -ENOMEM. */
static int cc_insert(uint16_t **arr, size_t *n, uint16_t cc)
{
	size_t lo = 0, hi = *n;
	uint16_t *v;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((*arr)[mid] == cc)
			return 0;
		if ((*arr)[mid] < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	v = grow(*arr, *n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memmove(v + lo + 1, v + lo, (*n - lo) * sizeof(*v));
	v[lo] = cc;
	*arr = v;
	(*n)++;
	return 0;
}

/* Whether the sorted set arr[0..n) holds cc. */
static bool cc_has(const uint16_t *arr, size_t n, uint16_t cc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (arr[mid] == cc)
			return true;
		if (arr[mid] < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Append a copy of s[0..n) to vec. 0 or -ENOMEM. */
static int str_push(struct ea_str_vec *vec, const char *s, size_t n, uint32_t line)
{
	char **v = grow(vec->v, vec->n, sizeof(*v));
	uint32_t *lines;
	char *copy;

	if (!v)
		return -ENOMEM;
	vec->v = v;
	lines = grow(vec->line, vec->n, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	vec->line = lines;
	copy = strndup(s, n);
	if (!copy)
		return -ENOMEM;
	lines[vec->n] = line;
	v[vec->n++] = copy;
	return 0;
}

/* Whether vec holds s[0..n). */
static bool str_has(const struct ea_str_vec *vec, const char *s, size_t n)
{
	for (size_t i = 0; i < vec->n; i++) {
		if (strlen(vec->v[i]) == n && !memcmp(vec->v[i], s, n))
			return true;
	}
	return false;
}

/* Free the strings of vec and empty it. */
static void str_vec_free(struct ea_str_vec *vec)
{
	for (size_t i = 0; i < vec->n; i++)
		free(vec->v[i]);
	free(vec->v);
	free(vec->line);
	vec->v = NULL;
	vec->line = NULL;
	vec->n = 0;
}

/* A word of an allow list: a zone (*zone >= 0) or a country code (*cc). */
static int allow_word(const char *w, size_t n, int *zone, uint16_t *cc)
{
	*cc = 0;
	*zone = zone_lookup(w, n);
	if (*zone >= 0)
		return 0;
	*cc = cc_word(w, n);
	return *cc && !ea_cc_iso_alias(*cc) ? 0 : -EINVAL;
}

/* Copy the bad word w[0..n) to bad, truncated to badlen. */
static void copy_bad(char *bad, size_t badlen, const char *w, size_t n)
{
	if (!bad || !badlen)
		return;
	if (n >= badlen)
		n = badlen - 1;
	memcpy(bad, w, n);
	bad[n] = '\0';
}

/*
 * Add the zones and country codes of text to set. Every word is checked
 * before any is added, so on -EINVAL set is unchanged and bad holds the word.
 */
int ea_allow_set_parse(const char *text, struct ea_allow_set *set,
		       char *bad, size_t badlen)
{
	const char *s = text;
	const char *w;
	size_t n;
	int zone;
	uint16_t cc;

	copy_bad(bad, badlen, "", 0);
	if (!text || !set)
		return -EINVAL;
	while ((w = next_word(&s, &n))) {
		if (allow_word(w, n, &zone, &cc)) {
			copy_bad(bad, badlen, w, n);
			return -EINVAL;
		}
	}
	s = text;
	while ((w = next_word(&s, &n))) {
		allow_word(w, n, &zone, &cc);
		if (zone >= 0)
			set->zones |= ZONE_BIT(zone);
		else if (cc_insert(&set->ccs, &set->nccs, cc))
			return -ENOMEM;
	}
	return 0;
}

/* Whether data may go to zone or to country cc (0: none) under set. */
bool ea_allow_set_has(const struct ea_allow_set *set, uint32_t zone, uint16_t cc)
{
	if (!set)
		return false;
	if (zone < 32 && (set->zones & ZONE_BIT(zone)))
		return true;
	return cc && cc_has(set->ccs, set->nccs, cc);
}

/* Free the country codes of set and empty it. */
void ea_allow_set_free(struct ea_allow_set *set)
{
	if (!set)
		return;
	free(set->ccs);
	set->ccs = NULL;
	set->nccs = 0;
	set->zones = 0;
}

/* Record the first error, at the current line; returns 0 for handlers. */
static int record(struct parse *p, int rc, const char *what)
{
	if (p->rc)
		return 0;
	p->rc = rc;
	p->err_line = p->line;
	ea_err_set(p->err, "%s:%u: %s", p->name, p->line, what);
	return 0;
}

/* An -EINVAL error at the current line; returns 0. */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse *p, const char *fmt, ...)
{
	char what[sizeof(((struct ea_err *)0)->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return record(p, -EINVAL, what);
}

/* Out of memory at the current line; returns 0. */
static int fail_oom(struct parse *p)
{
	return record(p, -ENOMEM, "out of memory");
}

/* "[agent]", "[label pii]": the section a message is about. */
static const char *sec_show(const struct parse *p, char *buf, size_t size)
{
	static const char *const names[] = {
		[SEC_AGENT] = "[agent]",
		[SEC_GEOIP] = "[geoip]",
		[SEC_POLICY] = "[policy]",
	};

	if (p->sec == SEC_LABEL)
		snprintf(buf, size, "[label %s]", p->cfg->labels[p->label].name);
	else if (p->sec == SEC_SIEM)
		snprintf(buf, size, "[siem %s]", p->cfg->siems[p->siem].name);
	else if (p->sec < sizeof(names) / sizeof(names[0]) && names[p->sec])
		snprintf(buf, size, "%s", names[p->sec]);
	else
		snprintf(buf, size, "[]");
	return buf;
}

/* An -EINVAL error about the value of key: "[section] key: ..."; 0. */
__attribute__((format(printf, 3, 4)))
static int fail_key(struct parse *p, const char *key, const char *fmt, ...)
{
	char sec[EA_LABEL_NAME_MAX + 16];
	char what[sizeof(((struct ea_err *)0)->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(p, "%s %s: %s", sec_show(p, sec, sizeof(sec)), key, what);
}

/* The error for a bad country code or zone word, with a hint for aliases. */
static int fail_word(struct parse *p, const char *key, const char *w, size_t n,
		     const char *problem)
{
	char buf[SHOW_SIZE];
	uint16_t cc = cc_word(w, n);
	const char *iso = cc ? ea_cc_iso_alias(cc) : NULL;

	if (iso)
		return fail_key(p, key, "'%s' is not an ISO 3166 code; write '%s'",
				show(w, n, buf), iso);
	return fail_key(p, key, "'%s' %s", show(w, n, buf), problem);
}

/* A decimal number in min..max into *out, or an error naming key. */
static int get_u32(struct parse *p, const char *key, const char *v,
		   uint32_t min, uint32_t max, uint32_t *out)
{
	char buf[SHOW_SIZE];
	uint64_t n = 0;
	const char *s;

	for (s = v; *s; s++) {
		if (*s < '0' || *s > '9')
			return fail_key(p, key, "'%s' is not a number",
					show(v, strlen(v), buf));
	}
	for (s = v; *s && n <= max; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	if (n < min || n > max)
		return fail_key(p, key, "'%s' is out of range %u..%u",
				show(v, strlen(v), buf), min, max);
	*out = (uint32_t)n;
	return 1;
}

/* 0 for v == a, 1 for v == b, otherwise an error naming key and -1. */
static int get_choice(struct parse *p, const char *key, const char *v,
		      const char *a, const char *b)
{
	char buf[SHOW_SIZE];

	if (!strcmp(v, a))
		return 0;
	if (!strcmp(v, b))
		return 1;
	fail_key(p, key, "'%s' is neither '%s' nor '%s'", show(v, strlen(v), buf),
		 a, b);
	return -1;
}

/* A key of two choices a and b: *second tells which; 1, or 0 on error. */
static int get_flag(struct parse *p, const char *key, const char *v, const char *a,
		    const char *b, bool *second)
{
	int c = get_choice(p, key, v, a, b);

	if (c < 0)
		return 0;
	*second = c == 1;
	return 1;
}

/* Add the allow list v to set; errors name key. */
static int add_allow(struct parse *p, const char *key, struct ea_allow_set *set,
		     const char *v)
{
	char bad[SHOW_MAX + 2];
	int rc = ea_allow_set_parse(v, set, bad, sizeof(bad));

	if (rc == -ENOMEM)
		return fail_oom(p);
	if (rc)
		return fail_word(p, key, bad, strlen(bad),
				 "is neither a zone nor a country code");
	return 1;
}

/*
 * For text that ea_cidr_parse refused: the network it names when the only
 * fault is host bits set beyond the prefix. 0 or -EINVAL.
 */
static int cidr_masked(const char *text, struct ea_cidr *out)
{
	char addr[EA_CIDR_STRLEN + 1], probe[EA_CIDR_STRLEN + 16];
	const char *slash = strchr(text, '/');
	struct ea_cidr zero;
	ea_addr_t a;
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - text);
	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (ea_addr_parse(addr, &a))
		return -EINVAL;
	/* the same prefix length on the zero address of the same family */
	snprintf(probe, sizeof(probe), "%s%s", strchr(addr, ':') ? "::" : "0.0.0.0",
		 slash);
	if (ea_cidr_parse(probe, &zero))
		return -EINVAL;
	out->len = zero.len;
	out->addr = a & ea_prefix_mask(zero.len);
	return 0;
}

/* Add the CIDRs of v to vec, each with the current line. */
static int add_cidrs(struct parse *p, const char *key, struct ea_cidr_vec *vec,
		     const char *v)
{
	char text[EA_CIDR_STRLEN + 1];
	char buf[SHOW_SIZE], net[EA_CIDR_STRLEN];
	struct ea_cidr_entry *e;
	struct ea_cidr c;
	const char *w;
	size_t n;

	while ((w = next_word(&v, &n))) {
		if (n >= sizeof(text))
			return fail_key(p, key, "'%s' is not an address or CIDR",
					show(w, n, buf));
		memcpy(text, w, n);
		text[n] = '\0';
		if (ea_cidr_parse(text, &c)) {
			if (!cidr_masked(text, &c))
				return fail_key(p, key, "'%s' has host bits set (the network is %s)",
						show(w, n, buf), ea_cidr_format(&c, net));
			return fail_key(p, key, "'%s' is not an address or CIDR",
					show(w, n, buf));
		}
		e = grow(vec->v, vec->n, sizeof(*e));
		if (!e)
			return fail_oom(p);
		vec->v = e;
		e[vec->n].cidr = c;
		e[vec->n].line = p->line;
		vec->n++;
	}
	return 1;
}

/* Whether w[0..n) is a valid network interface name. */
static bool ifname_ok(const char *w, size_t n)
{
	if (n > IFNAME_MAX || (n == 1 && w[0] == '.') ||
	    (n == 2 && w[0] == '.' && w[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

/* [agent] cgroup = PATH */
static int agent_cgroup(struct parse *p, const char *key, char *v)
{
	(void)key;
	p->cfg->agent.cgroup = strdup(v);
	p->cfg->agent.cgroup_line = p->line;
	return p->cfg->agent.cgroup ? 1 : fail_oom(p);
}

/* [agent] interfaces = IF ...: appends, skipping names already listed. */
static int agent_interfaces(struct parse *p, const char *key, char *v)
{
	struct ea_str_vec *vec = &p->cfg->agent.interfaces;
	char buf[SHOW_SIZE];
	const char *s = v;
	const char *w;
	size_t n;

	while ((w = next_word(&s, &n))) {
		if (!ifname_ok(w, n))
			return fail_key(p, key, "'%s' is not an interface name",
					show(w, n, buf));
		if (str_has(vec, w, n))
			continue;
		if (vec->n == EA_MAX_INTERFACES)
			return fail_key(p, key, "at most %d interfaces", EA_MAX_INTERFACES);
		if (str_push(vec, w, n, p->line))
			return fail_oom(p);
	}
	return 1;
}

/* [agent] record = flagged|all */
static int agent_record(struct parse *p, const char *key, char *v)
{
	return get_flag(p, key, v, "flagged", "all", &p->cfg->agent.record_all);
}

/* [agent] tcp_count = socket|packet */
static int agent_tcp_count(struct parse *p, const char *key, char *v)
{
	return get_flag(p, key, v, "socket", "packet", &p->cfg->agent.tcp_per_packet);
}

/* [agent] watch_32bit_calls = auto|no */
static int agent_watch_32bit(struct parse *p, const char *key, char *v)
{
	return get_flag(p, key, v, "auto", "no", &p->cfg->agent.ignore_32bit_calls);
}

/* [agent] mode = audit|enforce */
static int agent_mode(struct parse *p, const char *key, char *v)
{
	int c = get_choice(p, key, v, "audit", "enforce");

	if (c < 0)
		return 0;
	p->cfg->agent.mode = c ? EA_MODE_ENFORCE : EA_MODE_AUDIT;
	return 1;
}

/* [agent] update_interval = SECONDS */
static int agent_interval(struct parse *p, const char *key, char *v)
{
	return get_u32(p, key, v, 1, INTERVAL_MAX_S,
		       &p->cfg->agent.update_interval_s);
}

/* [agent] ringbuf_size = KIB, a power of two. */
static int agent_ringbuf(struct parse *p, const char *key, char *v)
{
	char buf[SHOW_SIZE];
	uint32_t kib;

	if (!get_u32(p, key, v, RINGBUF_MIN_KIB, RINGBUF_MAX_KIB, &kib))
		return 0;
	if (kib & (kib - 1))
		return fail_key(p, key, "'%s' is not a power of two",
				show(v, strlen(v), buf));
	p->cfg->agent.ringbuf_kib = kib;
	return 1;
}

/* [agent] tcp_slots = N TCP flows with state in map slots; 0: socket storage only */
static int agent_tcp_slots(struct parse *p, const char *key, char *v)
{
	return get_u32(p, key, v, 0, EA_TCP_SLOTS_MAX, &p->cfg->agent.tcp_slots);
}

/* [agent] slot_sweep = SECONDS between sweeps of the slots for sockets that are gone */
static int agent_slot_sweep(struct parse *p, const char *key, char *v)
{
	return get_u32(p, key, v, 1, INTERVAL_MAX_S, &p->cfg->agent.slot_sweep_s);
}

/* [agent] flood_limit = EVENTS a second per process under pressure; 0: none */
static int agent_flood(struct parse *p, const char *key, char *v)
{
	return get_u32(p, key, v, 0, FLOOD_MAX_EVENTS, &p->cfg->agent.flood_events);
}

/* [agent] hostname = NAME, as the trail will take it for its directory */
static int agent_hostname(struct parse *p, const char *key, char *v)
{
	char buf[SHOW_SIZE];

	if (!ea_host_name_ok(v))
		return fail_key(p, key, "'%s' is not a host name (1 to %d printable ASCII "
				"characters, no blanks, no '/', not starting with '.')",
				show(v, strlen(v), buf), EA_HOST_NAME_MAX);
	p->cfg->agent.hostname = strdup(v);
	return p->cfg->agent.hostname ? 1 : fail_oom(p);
}

/* The index of v in names[0..n), or an error naming key and -1. */
static int get_name(struct parse *p, const char *key, const char *v,
		    const char *const *names, size_t n)
{
	char buf[SHOW_SIZE], list[128];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v, names[i]))
			return (int)i;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i ? "|" : "", names[i]);
	}
	fail_key(p, key, "'%s' is not one of %s", show(v, strlen(v), buf), list);
	return -1;
}

/*
 * A number with an optional unit suffix from units ("K" ...), each unit
 * mul[i] times the plain number; at most max. 1, or 0 after an error.
 */
static int get_scaled(struct parse *p, const char *key, const char *v,
		      const char *units, const uint64_t *mul, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	char buf[SHOW_SIZE];
	uint64_t n = 0, m = 1;
	const char *s = v, *u;

	for (; *s >= '0' && *s <= '9'; s++)
		if (n <= max)
			n = n * 10 + (uint64_t)(*s - '0');
	if (s == v || (*s && (s[1] || !(u = strchr(units, *s)))))
		return fail_key(p, key, "'%s' is not a number with an optional unit (%s)",
				show(v, strlen(v), buf), units);
	if (*s)
		m = mul[u - units];
	if (n > max / m || n * m < min || n * m > max)
		return fail_key(p, key, "'%s' is out of range", show(v, strlen(v), buf));
	*out = n * m;
	return 1;
}

/* A size in bytes: N, NK, NM, NG or NT (powers of 1024). */
static int get_size(struct parse *p, const char *key, const char *v,
		    uint64_t min, uint64_t *out)
{
	static const uint64_t mul[] = { 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40 };

	return get_scaled(p, key, v, "KMGT", mul, min, SIZE_MAX_BYTES, out);
}

/* A duration in seconds: N, Ns, Nm, Nh or Nd. */
static int get_age(struct parse *p, const char *key, const char *v,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	static const uint64_t mul[] = { 1, 60, 3600, 86400 };

	return get_scaled(p, key, v, "smhd", mul, min, max, out);
}

/* 0 when v is an absolute path, else the error of the key. */
static int check_abs_path(struct parse *p, const char *key, const char *v)
{
	char buf[SHOW_SIZE];

	if (v[0] == '/')
		return 0;
	return fail_key(p, key, "'%s' is not an absolute path", show(v, strlen(v), buf));
}

/* A key's absolute path, into *out. */
static int set_abs_path(struct parse *p, const char *key, const char *v, char **out)
{
	if (v[0] != '/')
		return check_abs_path(p, key, v);
	*out = strdup(v);
	return *out ? 1 : fail_oom(p);
}

/* [agent] log_dir = DIR, absolute. */
static int agent_log_dir(struct parse *p, const char *key, char *v)
{
	return set_abs_path(p, key, v, &p->cfg->agent.log_dir);
}

/* [agent] key_file = FILE, absolute. */
static int agent_key_file(struct parse *p, const char *key, char *v)
{
	return set_abs_path(p, key, v, &p->cfg->agent.key_file);
}

/* [agent] flush = none|incremental|data|sync */
static int agent_flush(struct parse *p, const char *key, char *v)
{
	int c = get_name(p, key, v, flush_names, sizeof(flush_names) / sizeof(flush_names[0]));

	if (c < 0)
		return 0;
	p->cfg->agent.flush = (uint32_t)c;
	return 1;
}

/* [agent] disk_full_action = suspend|rotate|halt-logging */
static int agent_disk_full(struct parse *p, const char *key, char *v)
{
	int c = get_name(p, key, v, disk_full_names,
			 sizeof(disk_full_names) / sizeof(disk_full_names[0]));

	if (c < 0)
		return 0;
	p->cfg->agent.disk_full = (uint32_t)c;
	return 1;
}

/* [agent] rotate_size = SIZE, at least 64K. */
static int agent_rotate_size(struct parse *p, const char *key, char *v)
{
	return get_size(p, key, v, ROTATE_SIZE_MIN, &p->cfg->agent.rotate_size);
}

/* [agent] retain_size = SIZE; 0: no limit. */
static int agent_retain_size(struct parse *p, const char *key, char *v)
{
	return get_size(p, key, v, 0, &p->cfg->agent.retain_size);
}

/* [agent] rotate_age = DURATION; 0: never by age. */
static int agent_rotate_age(struct parse *p, const char *key, char *v)
{
	return get_age(p, key, v, 0, AGE_MAX_S, &p->cfg->agent.rotate_age_s);
}

/* [agent] retain_age = DURATION; 0: no limit. */
static int agent_retain_age(struct parse *p, const char *key, char *v)
{
	return get_age(p, key, v, 0, AGE_MAX_S, &p->cfg->agent.retain_age_s);
}

/* [agent] checkpoint_interval = DURATION, 1 s .. 1 day. */
static int agent_checkpoint(struct parse *p, const char *key, char *v)
{
	uint64_t s;

	if (!get_age(p, key, v, 1, INTERVAL_MAX_S, &s))
		return 0;
	p->cfg->agent.checkpoint_interval_s = (uint32_t)s;
	return 1;
}

/* [agent] heartbeat_interval = DURATION, 1 s .. 1 day. */
static int agent_heartbeat(struct parse *p, const char *key, char *v)
{
	uint64_t s;

	if (!get_age(p, key, v, 1, INTERVAL_MAX_S, &s))
		return 0;
	p->cfg->agent.heartbeat_interval_s = (uint32_t)s;
	return 1;
}

/* [geoip] file = PATH, absolute: appends, layered in order. */
static int geoip_file(struct parse *p, const char *key, char *v)
{
	if (v[0] != '/')
		return check_abs_path(p, key, v);
	return str_push(&p->cfg->geoip_files, v, strlen(v), p->line) ? fail_oom(p) : 1;
}

/* [policy] allow: the first occurrence replaces the defaults, others add. */
static int policy_allow(struct parse *p, const char *key, char *v)
{
	struct ea_allow_set *set = &p->cfg->policy.allow;

	if (!p->policy_allow_seen) {
		ea_allow_set_free(set);
		p->policy_allow_seen = true;
	}
	return add_allow(p, key, set, v);
}

/* [policy] deny = CC ...: country codes only. */
static int policy_deny(struct parse *p, const char *key, char *v)
{
	struct ea_policy_cfg *pol = &p->cfg->policy;
	char buf[SHOW_SIZE];
	const char *s = v;
	const char *w;
	uint16_t cc;
	size_t n;

	while ((w = next_word(&s, &n))) {
		if (zone_lookup(w, n) >= 0)
			return fail_key(p, key, "'%s' is a zone; deny takes country codes",
					show(w, n, buf));
		cc = cc_word(w, n);
		if (!cc || ea_cc_iso_alias(cc))
			return fail_word(p, key, w, n, "is not a country code");
		if (cc_insert(&pol->deny, &pol->ndeny, cc))
			return fail_oom(p);
	}
	return 1;
}

/* [policy] own_cidr = CIDR ... */
static int policy_own(struct parse *p, const char *key, char *v)
{
	return add_cidrs(p, key, &p->cfg->policy.own_cidr, v);
}

/* [policy] allow_cidr = CIDR ... */
static int policy_allow_cidr(struct parse *p, const char *key, char *v)
{
	return add_cidrs(p, key, &p->cfg->policy.allow_cidr, v);
}

/* [policy] deny_cidr = CIDR ... */
static int policy_deny_cidr(struct parse *p, const char *key, char *v)
{
	return add_cidrs(p, key, &p->cfg->policy.deny_cidr, v);
}

/* [policy] unknown = flag|allow */
static int policy_unknown(struct parse *p, const char *key, char *v)
{
	return get_flag(p, key, v, "flag", "allow", &p->cfg->policy.unknown_allow);
}

/* The [label] section being parsed. */
static struct ea_label_cfg *cur_label(struct parse *p)
{
	return &p->cfg->labels[p->label];
}

/* [label] cgroup = PATH: appends. */
static int label_cgroup(struct parse *p, const char *key, char *v)
{
	(void)key;
	return str_push(&cur_label(p)->cgroups, v, strlen(v), p->line) ? fail_oom(p) : 1;
}

/* [label] path = DIR: appends; the directory must be absolute. */
static int label_path(struct parse *p, const char *key, char *v)
{
	if (v[0] != '/')
		return check_abs_path(p, key, v);
	return str_push(&cur_label(p)->paths, v, strlen(v), p->line) ? fail_oom(p) : 1;
}

/* [label] allow = ZONE|CC ...: appends to the label's own set. */
static int label_allow(struct parse *p, const char *key, char *v)
{
	cur_label(p)->has_allow = true;
	return add_allow(p, key, &cur_label(p)->allow, v);
}

/* [label] mode = audit|enforce */
static int label_mode(struct parse *p, const char *key, char *v)
{
	int c = get_choice(p, key, v, "audit", "enforce");

	if (c < 0)
		return 0;
	cur_label(p)->has_mode = true;
	cur_label(p)->mode = c ? EA_MODE_ENFORCE : EA_MODE_AUDIT;
	return 1;
}

static const struct key agent_keys[] = {
	{ "cgroup", ONCE_AGENT_CGROUP, agent_cgroup },
	{ "interfaces", REPEATABLE, agent_interfaces },
	{ "record", ONCE_RECORD, agent_record },
	{ "tcp_count", ONCE_TCP_COUNT, agent_tcp_count },
	{ "watch_32bit_calls", ONCE_WATCH_32BIT, agent_watch_32bit },
	{ "mode", ONCE_AGENT_MODE, agent_mode },
	{ "update_interval", ONCE_INTERVAL, agent_interval },
	{ "ringbuf_size", ONCE_RINGBUF, agent_ringbuf },
	{ "flood_limit", ONCE_FLOOD, agent_flood },
	{ "tcp_slots", ONCE_TCP_SLOTS, agent_tcp_slots },
	{ "slot_sweep", ONCE_SLOT_SWEEP, agent_slot_sweep },
	{ "hostname", ONCE_HOSTNAME, agent_hostname },
	{ "log_dir", ONCE_LOG_DIR, agent_log_dir },
	{ "key_file", ONCE_KEY_FILE, agent_key_file },
	{ "flush", ONCE_FLUSH, agent_flush },
	{ "disk_full_action", ONCE_DISK_FULL, agent_disk_full },
	{ "rotate_size", ONCE_ROTATE_SIZE, agent_rotate_size },
	{ "rotate_age", ONCE_ROTATE_AGE, agent_rotate_age },
	{ "retain_size", ONCE_RETAIN_SIZE, agent_retain_size },
	{ "retain_age", ONCE_RETAIN_AGE, agent_retain_age },
	{ "checkpoint_interval", ONCE_CHECKPOINT, agent_checkpoint },
	{ "heartbeat_interval", ONCE_HEARTBEAT, agent_heartbeat },
	{ NULL, REPEATABLE, NULL },
};

static const struct key geoip_keys[] = {
	{ "file", REPEATABLE, geoip_file },
	{ NULL, REPEATABLE, NULL },
};

static const struct key policy_keys[] = {
	{ "allow", REPEATABLE, policy_allow },
	{ "deny", REPEATABLE, policy_deny },
	{ "own_cidr", REPEATABLE, policy_own },
	{ "allow_cidr", REPEATABLE, policy_allow_cidr },
	{ "deny_cidr", REPEATABLE, policy_deny_cidr },
	{ "unknown", ONCE_UNKNOWN, policy_unknown },
	{ NULL, REPEATABLE, NULL },
};

/* The [siem] section being parsed. */
static struct ea_siem_cfg *cur_siem(struct parse *p)
{
	return &p->cfg->siems[p->siem];
}

/* A copy of v into *out; 1, or 0 when out of memory. */
static int set_str(struct parse *p, char **out, const char *v)
{
	*out = strdup(v);
	return *out ? 1 : fail_oom(p);
}

/* [siem] target = relp|tls|tcp|udp://HOST:PORT */
static int siem_target(struct parse *p, const char *key, char *v)
{
	struct ea_siem_target t;
	char buf[SHOW_SIZE];
	const char *why;

	if (ea_siem_target_parse(v, &t, &why))
		return fail_key(p, key, "'%s': %s", show(v, strlen(v), buf), why);
	cur_siem(p)->proto = (uint32_t)t.proto;
	return set_str(p, &cur_siem(p)->target, v);
}

/* [siem] format = cef|leef|json-ecs|json-ocsf|rfc5424 */
static int siem_format(struct parse *p, const char *key, char *v)
{
	const char *names[EA_SIEM_FMT_MAX];
	int f;

	for (int i = 0; i < EA_SIEM_FMT_MAX; i++)
		names[i] = ea_siem_fmt_name(i);
	f = get_name(p, key, v, names, EA_SIEM_FMT_MAX);
	if (f < 0)
		return 0;
	cur_siem(p)->format = (uint32_t)f;
	return 1;
}

/* [siem] select = flagged blocked allowed lost checkpoint agent (any of) */
static int siem_select(struct parse *p, const char *key, char *v)
{
	char buf[SHOW_SIZE];
	const char *s = v;
	uint32_t bits = 0, bit;
	const char *w;
	size_t n;

	while ((w = next_word(&s, &n))) {
		bit = ea_siem_class_parse(w, n);
		if (!bit)
			return fail_key(p, key, "'%s' is not one of flagged blocked allowed "
					"lost checkpoint agent", show(w, n, buf));
		bits |= bit;
	}
	cur_siem(p)->select = bits;
	return 1;
}

/* [siem] ca = FILE, absolute */
static int siem_ca(struct parse *p, const char *key, char *v)
{
	return set_abs_path(p, key, v, &cur_siem(p)->ca);
}

/* [siem] cert = FILE, absolute */
static int siem_cert(struct parse *p, const char *key, char *v)
{
	return set_abs_path(p, key, v, &cur_siem(p)->cert);
}

/* [siem] key = FILE, absolute */
static int siem_key(struct parse *p, const char *key, char *v)
{
	return set_abs_path(p, key, v, &cur_siem(p)->key);
}

/* [siem] fingerprint = sha256:HEX */
static int siem_fingerprint(struct parse *p, const char *key, char *v)
{
	char buf[SHOW_SIZE];

	if (ea_siem_fingerprint_parse(v, cur_siem(p)->fingerprint))
		return fail_key(p, key, "'%s' is not sha256: and 64 hex digits",
				show(v, strlen(v), buf));
	cur_siem(p)->has_fingerprint = true;
	return 1;
}

/* [siem] backoff_cap = DURATION, 1 s .. 1 h */
static int siem_backoff(struct parse *p, const char *key, char *v)
{
	uint64_t s;

	if (!get_age(p, key, v, 1, 3600, &s))
		return 0;
	cur_siem(p)->backoff_cap_s = (uint32_t)s;
	return 1;
}

static const struct key siem_keys[] = {
	{ "target", ONCE_SIEM_TARGET, siem_target },
	{ "format", ONCE_SIEM_FORMAT, siem_format },
	{ "select", ONCE_SIEM_SELECT, siem_select },
	{ "ca", ONCE_SIEM_CA, siem_ca },
	{ "cert", ONCE_SIEM_CERT, siem_cert },
	{ "key", ONCE_SIEM_KEY, siem_key },
	{ "fingerprint", ONCE_SIEM_FINGERPRINT, siem_fingerprint },
	{ "backoff_cap", ONCE_SIEM_BACKOFF, siem_backoff },
	{ NULL, REPEATABLE, NULL },
};

static const struct key label_keys[] = {
	{ "cgroup", REPEATABLE, label_cgroup },
	{ "path", REPEATABLE, label_path },
	{ "allow", REPEATABLE, label_allow },
	{ "mode", ONCE_LABEL_MODE, label_mode },
	{ NULL, REPEATABLE, NULL },
};

/* The key called name in the current section, or NULL. */
static const struct key *find_key(const struct parse *p, const char *name)
{
	const struct key *k;

	switch (p->sec) {
	case SEC_AGENT:
		k = agent_keys;
		break;
	case SEC_GEOIP:
		k = geoip_keys;
		break;
	case SEC_POLICY:
		k = policy_keys;
		break;
	case SEC_LABEL:
		k = label_keys;
		break;
	case SEC_SIEM:
		k = siem_keys;
		break;
	default:
		return NULL;
	}
	for (; k->name; k++) {
		if (!strcmp(k->name, name))
			return k;
	}
	return NULL;
}

/* A key that takes one value: set once, and not continued on more lines. */
static int check_once(struct parse *p, const struct key *k)
{
	uint32_t *seen;

	if (k->once == REPEATABLE)
		return 1;
	seen = &p->once[k->once];
	if (p->kind == LINE_CONT)
		return fail_key(p, k->name, "takes one value, but line %u continues on this line",
				*seen);
	if (*seen)
		return fail_key(p, k->name, "set twice (first on line %u)", *seen);
	*seen = p->line;
	return 1;
}

/*
 * A copy of value for key without an inline '#' comment (inih strips ';'
 * ones) and trailing blanks; NULL after an error for control characters or
 * an empty value.
 */
static char *clean_value(struct parse *p, const char *key, const char *value)
{
	size_t len;
	char *v;

	for (len = 0; value[len]; len++) {
		if (value[len] == '#' && (len == 0 || is_blank(value[len - 1])))
			break;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail_key(p, key, "control character 0x%02x in the value", c);
			return NULL;
		}
	}
	while (len && is_blank(value[len - 1]))
		len--;
	if (!len) {
		fail_key(p, key, "empty value");
		return NULL;
	}
	v = strndup(value, len);
	if (!v)
		fail_oom(p);
	return v;
}

/* inih's handler: one name = value pair, or one continuation line. */
static int on_pair(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	char buf[SHOW_SIZE], sec[EA_LABEL_NAME_MAX + 16];
	const struct key *k;
	char *v;
	int ok;

	(void)section;
	p->prev_name = name[0] != '\0';
	if (!name[0])
		return fail(p, "missing key name before '='");
	if (p->sec == SEC_BAD)
		return 1;
	if (p->sec == SEC_NONE)
		return fail(p, "key '%s' outside any section",
			    show(name, strlen(name), buf));
	k = find_key(p, name);
	if (!k)
		return fail(p, "unknown key '%s' in %s", show(name, strlen(name), buf),
			    sec_show(p, sec, sizeof(sec)));
	if (!check_once(p, k))
		return 0;
	v = clean_value(p, k->name, value);
	if (!v)
		return 0;
	ok = k->set(p, k->name, v);
	free(v);
	return ok;
}

/* Whether s[0..n) is a label name: 1..63 of [A-Za-z0-9._-]. */
static bool label_name_ok(const char *s, size_t n)
{
	if (!n || n >= EA_LABEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "[label NAME]": a new label, unique by name, at most EA_MAX_LABELS. */
static void label_header(struct parse *p, const char *s, size_t n)
{
	struct ea_config *cfg = p->cfg;
	struct ea_label_cfg *l;
	char buf[SHOW_SIZE];

	p->sec = SEC_BAD;
	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	if (!n) {
		fail(p, "[label] section without a name (write [label NAME])");
		return;
	}
	if (!label_name_ok(s, n)) {
		fail(p, "label name '%s' is not 1 to %d characters of A-Z a-z 0-9 . _ -",
		     show(s, n, buf), EA_LABEL_NAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < cfg->nlabels; i++) {
		if (strlen(cfg->labels[i].name) == n &&
		    !memcmp(cfg->labels[i].name, s, n)) {
			fail(p, "duplicate label '%s' (first on line %u)",
			     show(s, n, buf), cfg->labels[i].line);
			return;
		}
	}
	if (cfg->nlabels >= EA_MAX_LABELS) {
		fail(p, "too many labels (at most %d)", EA_MAX_LABELS);
		return;
	}
	l = grow(cfg->labels, cfg->nlabels, sizeof(*l));
	if (!l) {
		fail_oom(p);
		return;
	}
	cfg->labels = l;
	l = &cfg->labels[cfg->nlabels];
	memset(l, 0, sizeof(*l));
	memcpy(l->name, s, n);
	l->line = p->line;
	p->label = cfg->nlabels++;
	p->once[ONCE_LABEL_MODE] = 0;
	p->sec = SEC_LABEL;
}

/* A destination name: a label name that does not start with '.'. */
static bool siem_name_ok(const char *s, size_t n)
{
	return n < EA_SIEM_NAME_MAX && label_name_ok(s, n) && s[0] != '.';
}

/* A new [siem] with its defaults. 0, or -1 after an error. */
static int siem_add(struct parse *p, const char *s, size_t n)
{
	struct ea_config *cfg = p->cfg;
	struct ea_siem_cfg *d;

	d = grow(cfg->siems, cfg->nsiems, sizeof(*d));
	if (!d) {
		fail_oom(p);
		return -1;
	}
	cfg->siems = d;
	d = &cfg->siems[cfg->nsiems];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, s, n);
	d->format = EA_SIEM_FMT_MAX;
	d->select = EA_SIEM_SELECT_DEFAULT;
	d->backoff_cap_s = EA_SIEM_BACKOFF_CAP_S;
	d->line = p->line;
	p->siem = cfg->nsiems++;
	for (int i = ONCE_SIEM_TARGET; i <= ONCE_SIEM_BACKOFF; i++)
		p->once[i] = 0;
	return 0;
}

/* "[siem NAME]": a new destination, unique by name, at most EA_MAX_SIEMS. */
static void siem_header(struct parse *p, const char *s, size_t n)
{
	struct ea_config *cfg = p->cfg;
	char buf[SHOW_SIZE];

	p->sec = SEC_BAD;
	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	if (!n) {
		fail(p, "[siem] section without a name (write [siem NAME])");
		return;
	}
	if (!siem_name_ok(s, n)) {
		fail(p, "siem name '%s' is not 1 to %d characters of A-Z a-z 0-9 . _ - "
		     "(not starting with '.')", show(s, n, buf), EA_SIEM_NAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < cfg->nsiems; i++) {
		if (strlen(cfg->siems[i].name) == n && !memcmp(cfg->siems[i].name, s, n)) {
			fail(p, "duplicate siem '%s' (first on line %u)", show(s, n, buf),
			     cfg->siems[i].line);
			return;
		}
	}
	if (cfg->nsiems >= EA_MAX_SIEMS) {
		fail(p, "too many siem sections (at most %d)", EA_MAX_SIEMS);
		return;
	}
	if (!siem_add(p, s, n))
		p->sec = SEC_SIEM;
}

/* What a [siem] needs as a whole; errors name its header line. */
static void siem_check(struct parse *p)
{
	for (size_t i = 0; i < p->cfg->nsiems && !p->rc; i++) {
		const struct ea_siem_cfg *d = &p->cfg->siems[i];

		p->line = d->line;
		if (!d->target)
			fail(p, "[siem %s] needs a target", d->name);
		else if (d->format >= EA_SIEM_FMT_MAX)
			fail(p, "[siem %s] needs a format", d->name);
		else if (d->proto == EA_SIEM_RELP_TLS && d->has_fingerprint)
			fail(p, "[siem %s] relp+tls:// verifies by ca, not by fingerprint "
			     "(librelp pins SHA-1 only); use tls:// to pin", d->name);
		else if (d->proto == EA_SIEM_RELP_TLS && (!d->ca || !d->cert || !d->key))
			fail(p, "[siem %s] relp+tls:// needs ca, cert and key (librelp "
			     "verifies the server only with a client certificate)", d->name);
		else if (d->proto != EA_SIEM_TLS && d->proto != EA_SIEM_RELP_TLS &&
			 (d->ca || d->cert || d->key || d->has_fingerprint))
			fail(p, "[siem %s] ca, cert, key and fingerprint apply to tls:// "
			     "and relp+tls:// targets only", d->name);
		else if (!d->cert != !d->key)
			fail(p, "[siem %s] cert and key go together", d->name);
	}
}

/*
 * Every [label] names where its data is: a label without a cgroup or a
 * path would match no flow, yet its presence turns the label "host" off,
 * and nothing would be flagged. Errors name its header line.
 */
static void label_check(struct parse *p)
{
	for (size_t i = 0; i < p->cfg->nlabels && !p->rc; i++) {
		const struct ea_label_cfg *l = &p->cfg->labels[i];

		p->line = l->line;
		if (!l->cgroups.n && !l->paths.n)
			fail(p, "[label %s] needs a cgroup or a path", l->name);
	}
}

/* Whether vec holds all of IPv4, 0.0.0.0/0 (stored as ::ffff:0:0/96). */
static bool has_all_v4(const struct ea_cidr_vec *vec)
{
	for (size_t i = 0; i < vec->n; i++)
		if (vec->v[i].cidr.len == 96 && vec->v[i].cidr.addr == EA_V4_BASE)
			return true;
	return false;
}

/*
 * IPv4 is looked up as ::ffff:a.b.c.d, so an IPv6 prefix shorter than /96
 * that covers ::ffff:0:0/96 (::/0, ::/8) holds all of IPv4 too. Refused
 * unless the list says so itself with 0.0.0.0/0, which then decides IPv4
 * as the more specific prefix. Errors name the prefix's line.
 */
static void cidr_check(struct parse *p, const char *key, const struct ea_cidr_vec *vec)
{
	char net[EA_CIDR_STRLEN];

	if (has_all_v4(vec))
		return;
	for (size_t i = 0; i < vec->n && !p->rc; i++) {
		const struct ea_cidr *c = &vec->v[i].cidr;

		if (c->len >= 96 || !ea_cidr_contains(c, EA_V4_BASE))
			continue;
		p->line = vec->v[i].line;
		fail(p, "[policy] %s: '%s' covers ::ffff:0:0/96, the IPv4-mapped addresses, "
		     "and with them all of IPv4; write IPv4 as IPv4 CIDRs (add 0.0.0.0/0 "
		     "if all of it is meant)", key, ea_cidr_format(c, net));
	}
}

/* Whether s[0..n) is word followed by nothing or by a blank. */
static bool starts_word(const char *s, size_t n, const char *word)
{
	size_t wn = strlen(word);

	return n >= wn && !memcmp(s, word, wn) && (n == wn || is_blank(s[wn]));
}

/*
 * A section header; s follows the '['. The name ends at inih's ']' (the
 * first one, unless a ';' after a blank comes first); after it only a
 * comment may follow.
 */
static void section_header(struct parse *p, const char *s)
{
	char buf[SHOW_SIZE];
	const char *e = s;
	const char *rest;
	bool was_blank = false;
	size_t n;

	p->sec = SEC_BAD;
	while (*e && *e != ']' && !(was_blank && *e == ';')) {
		was_blank = is_blank(*e);
		e++;
	}
	if (*e != ']') {
		fail(p, "missing ']' in section header");
		return;
	}
	for (rest = e + 1; is_blank(*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		fail(p, "unexpected text after section header");
		return;
	}
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	n = (size_t)(e - s);
	if (starts_word(s, n, "label"))
		label_header(p, s + 5, n - 5);
	else if (starts_word(s, n, "siem"))
		siem_header(p, s + 4, n - 4);
	else if (n == 5 && !memcmp(s, "agent", 5))
		p->sec = SEC_AGENT;
	else if (n == 5 && !memcmp(s, "geoip", 5))
		p->sec = SEC_GEOIP;
	else if (n == 6 && !memcmp(s, "policy", 6))
		p->sec = SEC_POLICY;
	else
		fail(p, "unknown section [%s]", show(s, n, buf));
}

/* Tell what inih will take line for (as inih does), and parse a header. */
static void classify(struct parse *p, const char *line)
{
	const char *s = line;

	while (is_blank(*s))
		s++;
	if (!*s || *s == ';' || *s == '#') {
		p->kind = LINE_BLANK;
	} else if (p->prev_name && s > line) {
		/* inih would take it for more of the value above */
		p->kind = LINE_CONT;
		if (*s == '[')
			fail(p, "indented section header (a header starts its line; an "
			     "indented line continues the value above)");
	} else if (*s == '[') {
		p->kind = LINE_SECTION;
		p->prev_name = false;
		section_header(p, s + 1);
	} else {
		p->kind = LINE_PAIR;
	}
}

/* Whether s[0..n) holds only blanks or a comment. */
static bool blank_or_comment(const char *s, size_t n)
{
	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	return !n || *s == ';' || *s == '#';
}

/* An empty line for inih in place of one that cannot be given to it. */
static char *blank_line(struct parse *p, char *buf)
{
	p->kind = LINE_BLANK;
	buf[0] = '\n';
	buf[1] = '\0';
	return buf;
}

/*
 * inih's reader: exactly one physical line per call, so that inih's line
 * count is the true one. A UTF-8 byte order mark starting the text is
 * dropped; lines that do not fit inih's buffer are errors, unless they are
 * comments, which are passed on as empty lines.
 */
static char *read_line(char *buf, int size, void *user)
{
	struct parse *p = user;
	const char *s = p->pos;
	const char *nl;
	size_t len, body;

	if (s >= p->end)
		return NULL;
	if (size < 4) {
		fail(p, "inih line buffer too small");
		return NULL;
	}
	nl = memchr(s, '\n', (size_t)(p->end - s));
	len = nl ? (size_t)(nl - s) + 1 : (size_t)(p->end - s);
	p->pos = s + len;
	p->line++;
	while (p->line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;
		len -= 3;
	}
	body = len;
	if (body && s[body - 1] == '\n')
		body--;
	if (body && s[body - 1] == '\r')
		body--;
	if (memchr(s, '\0', len)) {
		fail(p, "NUL byte in the line");
		return blank_line(p, buf);
	}
	if (body > (size_t)size - 3) {
		if (!blank_or_comment(s, body))
			fail(p, "line too long (at most %d characters)", size - 3);
		return blank_line(p, buf);
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	classify(p, buf);
	return buf;
}

/* Parse text[0..len) into cfg, which holds its defaults. 0 or -errno. */
static int parse_text(const char *name, const char *text, size_t len,
		      struct ea_config *cfg, struct ea_err *err)
{
	struct parse p = {
		.name = name, .cfg = cfg, .err = err,
		.pos = text, .end = text + len,
	};
	int r;

	r = ini_parse_stream(read_line, &p, on_pair, &p);
	if (r == -2 && !p.rc) {
		p.rc = -ENOMEM;
		ea_err_set(err, "%s: %s", name, strerror(ENOMEM));
	}
	if (r > 0 && (!p.rc || (uint32_t)r < p.err_line)) {
		p.rc = 0;
		p.line = (uint32_t)r;
		fail(&p, "expected 'key = value' or [section]");
	}
	if (!p.rc)
		cidr_check(&p, "own_cidr", &cfg->policy.own_cidr);
	if (!p.rc)
		cidr_check(&p, "allow_cidr", &cfg->policy.allow_cidr);
	if (!p.rc)
		cidr_check(&p, "deny_cidr", &cfg->policy.deny_cidr);
	if (!p.rc)
		label_check(&p);
	if (!p.rc)
		siem_check(&p);
	return p.rc;
}

/* Defaults, then text[0..len) from name; on error cfg holds the defaults. */
static int config_text(const char *name, const char *text, size_t len,
		       struct ea_config *cfg, struct ea_err *err)
{
	int rc;

	ea_config_defaults(cfg);
	cfg->path = strdup(name);
	if (!cfg->path) {
		ea_err_set(err, "%s: %s", name, strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = parse_text(name, text, len, cfg, err);
	if (rc) {
		ea_config_free(cfg);
		ea_config_defaults(cfg);
	}
	return rc;
}

/* The whole file at path (at most CONFIG_MAX_SIZE bytes). 0 or -errno. */
static int read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = -EISDIR;
	while (!rc) {
		ssize_t r;

		if (n == cap) {
			char *b = realloc(buf, cap ? 2 * cap : 4096);

			if (!b) {
				rc = -ENOMEM;
				break;
			}
			buf = b;
			cap = cap ? 2 * cap : 4096;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > CONFIG_MAX_SIZE)
			rc = -EFBIG;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

uint32_t ea_label_mode(const struct ea_config *cfg, const struct ea_label_cfg *l)
{
	return l->has_mode ? l->mode : cfg->agent.mode;
}

/* The embedded defaults; nothing is allocated. */
void ea_config_defaults(struct ea_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->agent.mode = EA_MODE_AUDIT;
	cfg->agent.update_interval_s = 60;
	cfg->agent.ringbuf_kib = 4096;
	cfg->agent.flood_events = 1000;
	cfg->agent.tcp_slots = EA_TCP_SLOTS;
	cfg->agent.slot_sweep_s = 10;
	cfg->agent.flush = EA_FLUSH_NONE;
	cfg->agent.disk_full = EA_DISK_FULL_SUSPEND;
	cfg->agent.rotate_size = 64ull << 20;
	cfg->agent.rotate_age_s = 86400;
	cfg->agent.retain_size = 1ull << 30;
	cfg->agent.retain_age_s = 0;
	cfg->agent.checkpoint_interval_s = 300;
	cfg->agent.heartbeat_interval_s = 60;
	cfg->policy.allow.zones = DEFAULT_ALLOW;
}

/*
 * Defaults, then the file at path. *cfg is overwritten, not freed. On error
 * err says "PATH: reason" or "PATH:LINE: problem" and *cfg holds the
 * defaults, with nothing to free.
 */
int ea_config_load(const char *path, struct ea_config *cfg, struct ea_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	ea_config_defaults(cfg);
	if (!path)
		return 0;
	rc = read_file(path, &text, &len);
	if (rc) {
		ea_err_set(err, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = config_text(path, text, len, cfg, err);
	free(text);
	return rc;
}

/* Defaults, then the INI text; as ea_config_load, with name as the path. */
int ea_config_parse_string(const char *name, const char *text,
			   struct ea_config *cfg, struct ea_err *err)
{
	if (!name)
		name = "<string>";
	if (!text) {
		ea_config_defaults(cfg);
		ea_err_set(err, "%s: no text", name);
		return -EINVAL;
	}
	return config_text(name, text, strlen(text), cfg, err);
}

/* Free everything cfg holds and zero it; it may be loaded again. */
void ea_config_free(struct ea_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->agent.cgroup);
	str_vec_free(&cfg->agent.interfaces);
	free(cfg->agent.hostname);
	free(cfg->agent.log_dir);
	free(cfg->agent.key_file);
	str_vec_free(&cfg->geoip_files);
	ea_allow_set_free(&cfg->policy.allow);
	free(cfg->policy.deny);
	free(cfg->policy.own_cidr.v);
	free(cfg->policy.allow_cidr.v);
	free(cfg->policy.deny_cidr.v);
	for (size_t i = 0; i < cfg->nlabels; i++) {
		str_vec_free(&cfg->labels[i].cgroups);
		str_vec_free(&cfg->labels[i].paths);
		ea_allow_set_free(&cfg->labels[i].allow);
	}
	free(cfg->labels);
	for (size_t i = 0; i < cfg->nsiems; i++) {
		free(cfg->siems[i].target);
		free(cfg->siems[i].ca);
		free(cfg->siems[i].cert);
		free(cfg->siems[i].key);
	}
	free(cfg->siems);
	memset(cfg, 0, sizeof(*cfg));
}
