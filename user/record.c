// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records: made from kernel events, printed readable or as JSON lines. */
#include <string.h>
#include <time.h>

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
	time_t secs = (time_t)(real_ns / 1000000000);
	unsigned int us = (unsigned int)((real_ns % 1000000000) / 1000) % 1000000;
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 40 - n, ".%06uZ", us);
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

/*
 * ,"key": then a number. Inlined, so that each literal key is copied with
 * its length known at compile time (no strlen, no memcpy call).
 */
static inline __attribute__((always_inline)) void
key_u64(struct ea_sbuf *b, const char *key, uint64_t v)
{
	ea_sb_puts(b, key);
	ea_sb_u64(b, v);
}

/* ,"key":"value" for values that need no escaping (names, addresses) */
static inline __attribute__((always_inline)) void
key_name(struct ea_sbuf *b, const char *key, const char *v)
{
	ea_sb_puts(b, key);
	ea_sb_putc(b, '"');
	ea_sb_puts(b, v);
	ea_sb_putc(b, '"');
}

static void flow_json(struct ea_sbuf *b, const struct ea_rec *r)
{
	char addr[EA_ADDR_STRLEN], cc[3];

	key_name(b, ",\"verdict\":", ea_verdict_name(r->verdict));
	key_name(b, ",\"proto\":", ea_proto_name(r->proto));
	key_u64(b, ",\"family\":", r->family);
	key_name(b, ",\"src\":", ea_addr_format(ea_addr_from_bytes(r->src), addr));
	key_u64(b, ",\"sport\":", r->sport);
	key_name(b, ",\"dst\":", ea_addr_format(ea_addr_from_bytes(r->dst), addr));
	key_u64(b, ",\"dport\":", r->dport);
	key_name(b, ",\"country\":", ea_cc_format(r->country, cc));
	key_name(b, ",\"zone\":", ea_zone_name(r->zone));
	key_u64(b, ",\"pid\":", r->pid);
	key_u64(b, ",\"tid\":", r->tid);
	ea_sb_puts(b, ",\"comm\":");
	ea_sb_json_str(b, r->comm);
	key_u64(b, ",\"uid\":", r->uid);
	key_u64(b, ",\"gid\":", r->gid);
	ea_sb_puts(b, ",\"cgroup\":");
	if (r->cgroup[0])
		ea_sb_json_str(b, r->cgroup);
	else
		ea_sb_puts(b, "null");
	key_u64(b, ",\"cgroup_id\":", r->cgroup_id);
	key_u64(b, ",\"bytes\":", r->bytes);
	key_u64(b, ",\"packets\":", r->packets);
	ea_sb_puts(b, ",\"start\":\"");
	ea_sb_time(b, r->start_ns);
	ea_sb_puts(b, "\",\"labels\":");
	list_json(b, r->labels);
	ea_sb_puts(b, ",\"evidence\":");
	evidence_json(b, r->evidence);
	key_name(b, ",\"origin\":", ea_origin_name(r->origin));
	key_u64(b, ",\"ifindex\":", r->ifindex);
	key_u64(b, ",\"ip_proto\":", r->ip_proto);
	key_u64(b, ",\"cookie\":", r->cookie);
	ea_sb_puts(b, r->mapped ? ",\"mapped\":true" : ",\"mapped\":false");
	ea_sb_puts(b, r->routed ? ",\"routed\":true" : ",\"routed\":false");
}

void ea_rec_json_open(struct ea_sbuf *b, const struct ea_rec *r)
{
	char chain[2 * sizeof(r->chain) + 1];

	key_name(b, "{\"event\":", ea_rec_kind_name(r->kind));
	ea_sb_puts(b, ",\"ts\":\"");
	ea_sb_time(b, r->ts_ns);
	ea_sb_puts(b, "\",\"host\":");
	ea_sb_json_str(b, r->host);
	if (r->seq) {
		key_u64(b, ",\"seq\":", r->seq);
		ea_hex(chain, r->chain, sizeof(r->chain));
		key_name(b, ",\"chain\":", chain);
	}
	if (ea_rec_is_flow(r)) {
		flow_json(b, r);
	} else if (r->kind == EA_REC_LOST) {
		ea_sb_puts(b, ",\"what\":");
		ea_sb_json_str(b, r->what);
		key_u64(b, ",\"count\":", r->count);
	}
	if (r->detail[0]) {
		ea_sb_puts(b, ",\"detail\":");
		/* the agent's JSON object; anything else (a hostile trail) as a string */
		if (ea_json_object_valid(r->detail))
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
	if (r->detail[0])
		fprintf(f, " %s", r->detail);
	fputc('\n', f);
}

void ea_rec_print(FILE *f, bool json, const struct ea_rec *r)
{
	if (json)
		print_json(f, r);
	else
		print_text(f, r);
}
