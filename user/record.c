// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records: made from kernel events, printed readable or as JSON lines. */
#include <string.h>

#include "addr.h"
#include "config.h"
#include "json_check.h"
#include "record.h"
#include "sbuf.h"
#include "util.h"

static const char *const kind_names[EA_REC_KIND_MAX] = {
	[EA_REC_FLOW_START] = "flow_start",
	[EA_REC_FLOW_UPDATE] = "flow_update",
	[EA_REC_FLOW_END] = "flow_end",
	[EA_REC_LOST] = "lost",
	[EA_REC_AGENT_START] = "agent_start",
	[EA_REC_AGENT_STOP] = "agent_stop",
	[EA_REC_HEARTBEAT] = "heartbeat",
	[EA_REC_CONFIG] = "config",
	[EA_REC_CHECKPOINT] = "checkpoint",
	[EA_REC_REPAIR] = "repair",
	[EA_REC_GAP] = "gap",
	[EA_REC_RETENTION] = "retention",
	[EA_REC_TAMPER] = "tamper",
};

const char *ea_rec_kind_name(uint32_t kind)
{
	return kind < EA_REC_KIND_MAX && kind_names[kind] ? kind_names[kind] : "unknown";
}

int ea_rec_kind_parse(const char *name)
{
	for (int k = 0; k < EA_REC_KIND_MAX; k++)
		if (kind_names[k] && !strcmp(kind_names[k], name))
			return k;
	return -1;
}

const char *ea_counter_name(uint32_t k)
{
	static const char *const names[EA_CNT_MAX] = {
		[EA_CNT_LOST_START] = "lost_flow_start",
		[EA_CNT_LOST_UPDATE] = "lost_flow_update",
		[EA_CNT_LOST_END] = "lost_flow_end",
		[EA_CNT_NO_STORAGE] = "no_socket_storage",
		[EA_CNT_NO_SOCKET] = "packets_without_socket",
		[EA_CNT_BAD_PACKET] = "bad_packets",
		[EA_CNT_TABLE_MISS] = "table_misses",
		[EA_CNT_UDP_FLOWS_FULL] = "udp_flows_untracked",
		[EA_CNT_DEV_FLOWS_FULL] = "device_flows_untracked",
		[EA_CNT_FLOOD_START] = "flood_refused_flow_start",
		[EA_CNT_FLOOD_UPDATE] = "flood_refused_flow_update",
		[EA_CNT_FLOOD_END] = "flood_refused_flow_end",
		[EA_CNT_ROUTED] = "source_routed_packets",
		[EA_CNT_TCP_SLOTS_FULL] = "tcp_slots_full",
		[EA_CNT_QDISC_BYPASS_KEPT] = "packet_qdisc_bypass_refused",
		[EA_CNT_DEEP_PATH] = "paths_too_deep",
		[EA_CNT_TAINT_FULL] = "taint_untracked",
		[EA_CNT_DISCONNECTED] = "paths_disconnected",
		[EA_CNT_TCP_CLOSE_UNSEEN] = "tcp_closes_unseen",
		[EA_CNT_TCP_SLOT_FREEING] = "tcp_swept_slots_busy",
		[EA_CNT_CGROUP_RELABELLED] = "cgroups_relabelled",
		[EA_CNT_CGROUP_LABELS_FULL] = "cgroup_labels_full",
	};

	return k < EA_CNT_MAX ? names[k] : NULL;
}

#define DETAIL_IS(r, start)	(!strncmp((r)->detail, start, sizeof(start) - 1))

enum ea_lost_cause ea_rec_lost_cause(const struct ea_rec *r)
{
	if (DETAIL_IS(r, EA_LOST_REFUSED_DETAIL))
		return EA_LOST_REFUSED;
	if (DETAIL_IS(r, EA_LOST_SKIPPED_DETAIL))
		return EA_LOST_SKIPPED;
	return EA_LOST_RING;
}

const char *ea_lost_cause_text(enum ea_lost_cause c)
{
	switch (c) {
	case EA_LOST_REFUSED:
		return "refused";
	case EA_LOST_SKIPPED:
		return "skipped by the kernel";
	default:
		return "ring buffer full";
	}
}

bool ea_rec_is_flow(const struct ea_rec *r)
{
	return r->kind >= EA_REC_FLOW_START && r->kind <= EA_REC_FLOW_END;
}

const char *ea_proto_name(uint32_t proto)
{
	static const char *const names[] = {
		[EA_PROTO_OTHER] = "other", [EA_PROTO_TCP] = "tcp",
		[EA_PROTO_UDP] = "udp", [EA_PROTO_ICMP] = "icmp",
		[EA_PROTO_RAW] = "raw", [EA_PROTO_PACKET] = "packet",
	};

	return proto < sizeof(names) / sizeof(names[0]) ? names[proto] : "other";
}

const char *ea_origin_name(uint32_t origin)
{
	switch (origin) {
	case EA_ORIGIN_SOCKET:
		return "socket";
	case EA_ORIGIN_DEVICE:
		return "device";
	case EA_ORIGIN_PACKET:
		return "packet";
	}
	return "unknown";
}

const char *ea_format_time(int64_t real_ns, char buf[40])
{
	_Static_assert(EA_PUT_TIME_MAX < 40, "room for the time and its NUL");
	*ea_put_time(buf, real_ns) = '\0';
	return buf;
}

void ea_print_escaped(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* Copy a string, cut to fit (strlcpy). */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Label names of a bit set, comma separated. */
static void label_list(char *out, size_t len, uint64_t bits,
		       const struct ea_record_ctx *ctx)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < ctx->nlabels && i < EA_MAX_LABELS; i++) {
		size_t l;

		if (!(bits & (1ull << i)))
			continue;
		l = strnlen(ctx->label_names[i], 64);
		if (n + l + 2 > len)
			break;
		if (n)
			out[n++] = ',';
		memcpy(out + n, ctx->label_names[i], l);
		n += l;
		out[n] = '\0';
	}
}

void ea_rec_from_event(struct ea_rec *r, const struct ea_flow_event *e,
		       const struct ea_record_ctx *ctx)
{
	memset(r, 0, offsetof(struct ea_rec, comm));
	r->kind = e->type;	/* EA_EV_FLOW_* == EA_REC_FLOW_* */
	r->ts_ns = (int64_t)e->ts_ns + ctx->boot_to_real_ns;
	copy_str(r->host, sizeof(r->host), ctx->host);
	r->verdict = e->verdict;
	r->proto = e->proto;
	r->ip_proto = e->ip_proto;
	r->origin = e->origin;
	r->zone = e->zone;
	r->mapped = !!(e->flags & EA_FLOW_MAPPED);
	r->routed = !!(e->flags & EA_FLOW_ROUTED);
	r->country = e->country;
	r->sport = e->sport;
	r->dport = e->dport;
	memcpy(r->src, e->src, 16);
	memcpy(r->dst, e->dst, 16);
	r->family = ea_addr_is_v4(ea_addr_from_bytes(r->dst)) ? 4 : 6;
	r->pid = e->tgid;
	r->tid = e->pid;
	r->uid = e->uid;
	r->gid = e->gid;
	r->ifindex = e->ifindex;
	r->cgroup_id = e->cgroup_id;
	r->cookie = e->cookie;
	r->start_ns = (int64_t)e->start_ns + ctx->start_to_real_ns;
	r->bytes = e->bytes;
	r->packets = e->packets;
	memcpy(r->comm, e->comm, EA_COMM_LEN);
	r->comm[EA_COMM_LEN] = '\0';
	copy_str(r->cgroup, sizeof(r->cgroup), ctx->cgroup ? ctx->cgroup : "");
	label_list(r->labels, sizeof(r->labels), e->labels, ctx);
	r->evidence[0] = '\0';
	r->count = 0;
	r->what[0] = '\0';
	r->detail[0] = '\0';
}

/* "a,b" as a JSON array of strings. */
static void list_json(struct ea_sbuf *b, const char *list)
{
	const char *p = list;

	ea_sb_putc(b, '[');
	while (*p) {
		size_t n = strcspn(p, ",");

		if (p != list)
			ea_sb_putc(b, ',');
		ea_sb_json_strn(b, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	ea_sb_putc(b, ']');
}

/* "a=x;a=y;b=z" as {"a":["x","y"],"b":["z"]} (entries of a label are adjacent). */
static void evidence_json(struct ea_sbuf *b, const char *ev)
{
	char label[EA_LABEL_NAME_MAX] = "";
	const char *p = ev;
	bool open = false;

	ea_sb_putc(b, '{');
	while (*p) {
		size_t n = strcspn(p, ";"), k = strcspn(p, "=");

		if (k < n && k < sizeof(label)) {
			if (!open || strncmp(label, p, k) || label[k]) {
				if (open)
					ea_sb_puts(b, "],");
				snprintf(label, sizeof(label), "%.*s", (int)k, p);
				ea_sb_json_str(b, label);
				ea_sb_puts(b, ":[");
				open = true;
			} else {
				ea_sb_putc(b, ',');
			}
			ea_sb_json_strn(b, p + k + 1, n - k - 1);
		}
		p += n;
		if (*p == ';')
			p++;
	}
	ea_sb_puts(b, open ? "]}" : "}");
}

/* ,"key":"name" for one of the program's own names (no escaping). */
#define PUT_KEY_NAME(p, key, name)					\
	({								\
		char *_p = EA_PUT_LIT(p, key "\"");			\
		_p = ea_put_name(_p, name);				\
		*_p++ = '"';						\
		_p;							\
	})
#define PUT_KEY_U64(p, key, v)	ea_put_u64(EA_PUT_LIT(p, key), v)
#define PUT_KEY_ADDR(p, key, a)						\
	({								\
		char *_p = ea_addr_put(EA_PUT_LIT(p, key "\""), ea_addr_from_bytes(a)); \
		*_p++ = '"';						\
		_p;							\
	})

/*
 * The most a flow record's fixed-size keys and values take: its keys (about
 * 200 bytes), 13 numbers, 2 addresses, a time and 4 names, with room.
 */
#define FLOW_HEAD_MAX	(512 + 13 * EA_PUT_U64_MAX + 2 * EA_ADDR_STRLEN + \
			 EA_PUT_TIME_MAX + 4 * EA_PUT_NAME_MAX)
#define FLOW_TAIL_MAX	(256 + 3 * EA_PUT_U64_MAX + EA_PUT_NAME_MAX)

/*
 * A flow record's keys after the header, in three pieces around the labels
 * and the evidence, each written at a cursor into room reserved at once.
 */
static void flow_json(struct ea_sbuf *b, const struct ea_rec *r)
{
	size_t comm = strnlen(r->comm, sizeof(r->comm));
	size_t cgroup = strnlen(r->cgroup, sizeof(r->cgroup));
	char cc[3], *start, *p;

	p = start = ea_sb_room(b, FLOW_HEAD_MAX + EA_PUT_JSON_MAX(comm) +
				  EA_PUT_JSON_MAX(cgroup));
	if (!p)
		return;
	p = PUT_KEY_NAME(p, ",\"verdict\":", ea_verdict_name(r->verdict));
	p = PUT_KEY_NAME(p, ",\"proto\":", ea_proto_name(r->proto));
	p = PUT_KEY_U64(p, ",\"family\":", r->family);
	p = PUT_KEY_ADDR(p, ",\"src\":", r->src);
	p = PUT_KEY_U64(p, ",\"sport\":", r->sport);
	p = PUT_KEY_ADDR(p, ",\"dst\":", r->dst);
	p = PUT_KEY_U64(p, ",\"dport\":", r->dport);
	p = PUT_KEY_NAME(p, ",\"country\":", ea_cc_format(r->country, cc));
	p = PUT_KEY_NAME(p, ",\"zone\":", ea_zone_name(r->zone));
	p = PUT_KEY_U64(p, ",\"pid\":", r->pid);
	p = PUT_KEY_U64(p, ",\"tid\":", r->tid);
	p = ea_put_json_strn(EA_PUT_LIT(p, ",\"comm\":"), r->comm, comm);
	p = PUT_KEY_U64(p, ",\"uid\":", r->uid);
	p = PUT_KEY_U64(p, ",\"gid\":", r->gid);
	p = EA_PUT_LIT(p, ",\"cgroup\":");
	p = cgroup ? ea_put_json_strn(p, r->cgroup, cgroup) : EA_PUT_LIT(p, "null");
	p = PUT_KEY_U64(p, ",\"cgroup_id\":", r->cgroup_id);
	p = PUT_KEY_U64(p, ",\"bytes\":", r->bytes);
	p = PUT_KEY_U64(p, ",\"packets\":", r->packets);
	p = ea_put_time(EA_PUT_LIT(p, ",\"start\":\""), r->start_ns);
	p = EA_PUT_LIT(p, "\",\"labels\":");
	ea_sb_added(b, (size_t)(p - start));

	list_json(b, r->labels);
	ea_sb_puts(b, ",\"evidence\":");
	evidence_json(b, r->evidence);

	p = start = ea_sb_room(b, FLOW_TAIL_MAX);
	if (!p)
		return;
	p = PUT_KEY_NAME(p, ",\"origin\":", ea_origin_name(r->origin));
	p = PUT_KEY_U64(p, ",\"ifindex\":", r->ifindex);
	p = PUT_KEY_U64(p, ",\"ip_proto\":", r->ip_proto);
	p = PUT_KEY_U64(p, ",\"cookie\":", r->cookie);
	p = r->mapped ? EA_PUT_LIT(p, ",\"mapped\":true") : EA_PUT_LIT(p, ",\"mapped\":false");
	p = r->routed ? EA_PUT_LIT(p, ",\"routed\":true") : EA_PUT_LIT(p, ",\"routed\":false");
	ea_sb_added(b, (size_t)(p - start));
}

#define HEAD_MAX	(128 + EA_PUT_NAME_MAX + EA_PUT_TIME_MAX + EA_PUT_U64_MAX + \
			 2 * sizeof(((struct ea_rec *)0)->chain))

/* The keys every record has: event, ts, host, and its place in the trail. */
static void head_json(struct ea_sbuf *b, const struct ea_rec *r)
{
	size_t host = strnlen(r->host, sizeof(r->host));
	char *start, *p;

	p = start = ea_sb_room(b, HEAD_MAX + EA_PUT_JSON_MAX(host));
	if (!p)
		return;
	p = PUT_KEY_NAME(p, "{\"event\":", ea_rec_kind_name(r->kind));
	p = ea_put_time(EA_PUT_LIT(p, ",\"ts\":\""), r->ts_ns);
	p = ea_put_json_strn(EA_PUT_LIT(p, "\",\"host\":"), r->host, host);
	if (r->seq) {
		p = PUT_KEY_U64(p, ",\"seq\":", r->seq);
		p = EA_PUT_LIT(p, ",\"chain\":\"");
		ea_hex(p, r->chain, sizeof(r->chain));
		p += 2 * sizeof(r->chain);
		*p++ = '"';
	}
	ea_sb_added(b, (size_t)(p - start));
}

/*
 * Whether a record's detail goes into a line as the object it is: a valid
 * object of text only (no control, line control or byte of no character),
 * as the agent writes them. A hostile trail's other text (a line break
 * would split the line) goes in as a string, or escaped.
 */
static bool detail_embeddable(const char *detail)
{
	const unsigned char *u = (const unsigned char *)detail;
	bool text = true;

	while (*u && text)
		u += ea_utf8_text_len(u, &text);
	return text && ea_json_object_valid(detail);
}

void ea_rec_json_open(struct ea_sbuf *b, const struct ea_rec *r)
{
	head_json(b, r);
	if (ea_rec_is_flow(r)) {
		flow_json(b, r);
	} else if (r->kind == EA_REC_LOST) {
		ea_sb_puts(b, ",\"what\":");
		ea_sb_json_str(b, r->what);
		ea_sb_puts(b, ",\"count\":");
		ea_sb_u64(b, r->count);
	}
	if (r->detail[0]) {
		ea_sb_puts(b, ",\"detail\":");
		if (detail_embeddable(r->detail))
			ea_sb_puts(b, r->detail);
		else
			ea_sb_json_str(b, r->detail);
	}
}

void ea_rec_json(struct ea_sbuf *b, const struct ea_rec *r)
{
	ea_rec_json_open(b, r);
	ea_sb_puts(b, "}\n");
}

static void print_json(FILE *f, const struct ea_rec *r)
{
	static __thread struct ea_sbuf b;

	ea_sb_reset(&b);
	ea_rec_json(&b, r);
	if (!b.oom)
		fwrite(b.p, 1, b.len, f);
}

static void print_flow_text(FILE *f, const struct ea_rec *r)
{
	char src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3];

	ea_addr_format(ea_addr_from_bytes(r->src), src);
	ea_addr_format(ea_addr_from_bytes(r->dst), dst);
	fprintf(f, " %-7s %-6s %s:%u -> %s:%u %s %s pid=%u comm=",
		ea_verdict_name(r->verdict), ea_proto_name(r->proto), src, r->sport,
		dst, r->dport, ea_cc_format(r->country, cc), ea_zone_name(r->zone),
		r->pid);
	ea_print_escaped(f, r->comm, sizeof(r->comm));
	fprintf(f, " uid=%u cgroup=", r->uid);
	ea_print_escaped(f, r->cgroup[0] ? r->cgroup : "?", sizeof(r->cgroup));
	fprintf(f, " bytes=%llu packets=%llu labels=%s", (unsigned long long)r->bytes,
		(unsigned long long)r->packets, r->labels[0] ? r->labels : "-");
	if (r->origin != EA_ORIGIN_SOCKET)
		fprintf(f, " origin=%s ifindex=%u", ea_origin_name(r->origin), r->ifindex);
}

static void print_text(FILE *f, const struct ea_rec *r)
{
	char ts[40];

	fprintf(f, "%s %-11s", ea_format_time(r->ts_ns, ts), ea_rec_kind_name(r->kind));
	if (r->seq)
		fprintf(f, " seq=%llu", (unsigned long long)r->seq);
	if (ea_rec_is_flow(r))
		print_flow_text(f, r);
	else if (r->kind == EA_REC_LOST)
		fprintf(f, " %llu %s events (%s)", (unsigned long long)r->count, r->what,
			ea_lost_cause_text(ea_rec_lost_cause(r)));
	if (r->detail[0]) {
		fputc(' ', f);
		if (detail_embeddable(r->detail))
			fputs(r->detail, f);
		else
			ea_print_escaped(f, r->detail, sizeof(r->detail));
	}
	fputc('\n', f);
}

void ea_rec_print(FILE *f, bool json, const struct ea_rec *r)
{
	if (json)
		print_json(f, r);
	else
		print_text(f, r);
}
