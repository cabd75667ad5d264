// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records: made from kernel events, printed readable or as JSON lines. */
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "record.h"
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

/* Label names of a bit set, comma separated. */
static void label_list(char *out, size_t len, uint64_t bits,
		       const struct ea_record_ctx *ctx)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < ctx->nlabels && i < EA_MAX_LABELS; i++) {
		if (!(bits & (1ull << i)))
			continue;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
				      ctx->label_names[i]);
		if (n >= len)
			break;
	}
}

void ea_rec_from_event(struct ea_rec *r, const struct ea_flow_event *e,
		       const struct ea_record_ctx *ctx)
{
	memset(r, 0, offsetof(struct ea_rec, comm));
	r->kind = e->type;	/* EA_EV_FLOW_* == EA_REC_FLOW_* */
	r->ts_ns = (int64_t)e->ts_ns + ctx->boot_to_real_ns;
	snprintf(r->host, sizeof(r->host), "%s", ctx->host);
	r->verdict = e->verdict;
	r->proto = e->proto;
	r->ip_proto = e->ip_proto;
	r->origin = e->origin;
	r->zone = e->zone;
	r->mapped = !!(e->flags & EA_FLOW_MAPPED);
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
	r->start_ns = (int64_t)e->start_ns + ctx->boot_to_real_ns;
	r->bytes = e->bytes;
	r->packets = e->packets;
	memcpy(r->comm, e->comm, EA_COMM_LEN);
	r->comm[EA_COMM_LEN] = '\0';
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", ctx->cgroup ? ctx->cgroup : "");
	label_list(r->labels, sizeof(r->labels), e->labels, ctx);
	r->evidence[0] = '\0';
	r->count = 0;
	r->what[0] = '\0';
	r->detail[0] = '\0';
}

/* "a,b" as a JSON array of strings. */
static void print_list_json(FILE *f, const char *list)
{
	char item[EA_REC_LABELS_MAX];
	const char *p = list;

	fputc('[', f);
	while (*p) {
		size_t n = strcspn(p, ",");

		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if (p != list)
			fputc(',', f);
		ea_json_str(f, item);
		p += n;
		if (*p == ',')
			p++;
	}
	fputc(']', f);
}

/* "a=x;a=y;b=z" as {"a":["x","y"],"b":["z"]} (entries of a label are adjacent). */
static void print_evidence_json(FILE *f, const char *ev)
{
	char label[EA_LABEL_NAME_MAX] = "", item[EA_REC_EVIDENCE_MAX];
	const char *p = ev;
	bool open = false;

	fputc('{', f);
	while (*p) {
		size_t n = strcspn(p, ";"), k = strcspn(p, "=");

		if (k < n && k < sizeof(label)) {
			if (!open || strncmp(label, p, k) || label[k]) {
				if (open)
					fputs("],", f);
				snprintf(label, sizeof(label), "%.*s", (int)k, p);
				ea_json_str(f, label);
				fputs(":[", f);
				open = true;
			} else {
				fputc(',', f);
			}
			snprintf(item, sizeof(item), "%.*s", (int)(n - k - 1), p + k + 1);
			ea_json_str(f, item);
		}
		p += n;
		if (*p == ';')
			p++;
	}
	fputs(open ? "]}" : "}", f);
}

static void print_flow_json(FILE *f, const struct ea_rec *r)
{
	char start[40], src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3];

	ea_addr_format(ea_addr_from_bytes(r->src), src);
	ea_addr_format(ea_addr_from_bytes(r->dst), dst);
	fprintf(f, ",\"verdict\":\"%s\",\"proto\":\"%s\",\"family\":%u,"
		"\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,"
		"\"country\":\"%s\",\"zone\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":",
		ea_verdict_name(r->verdict), ea_proto_name(r->proto), r->family,
		src, r->sport, dst, r->dport, ea_cc_format(r->country, cc),
		ea_zone_name(r->zone), r->pid, r->tid);
	ea_json_str(f, r->comm);
	fprintf(f, ",\"uid\":%u,\"gid\":%u,\"cgroup\":", r->uid, r->gid);
	if (r->cgroup[0])
		ea_json_str(f, r->cgroup);
	else
		fputs("null", f);
	fprintf(f, ",\"cgroup_id\":%llu,\"bytes\":%llu,\"packets\":%llu,\"start\":\"%s\","
		"\"labels\":", (unsigned long long)r->cgroup_id,
		(unsigned long long)r->bytes, (unsigned long long)r->packets,
		ea_format_time(r->start_ns, start));
	print_list_json(f, r->labels);
	fputs(",\"evidence\":", f);
	print_evidence_json(f, r->evidence);
	fprintf(f, ",\"origin\":\"%s\",\"ifindex\":%u,\"ip_proto\":%u,\"cookie\":%llu,"
		"\"mapped\":%s", ea_origin_name(r->origin), r->ifindex, r->ip_proto,
		(unsigned long long)r->cookie, r->mapped ? "true" : "false");
}

static void print_json(FILE *f, const struct ea_rec *r)
{
	char ts[40], hex[65];

	fprintf(f, "{\"event\":\"%s\",\"ts\":\"%s\",\"host\":", ea_rec_kind_name(r->kind),
		ea_format_time(r->ts_ns, ts));
	ea_json_str(f, r->host);
	if (r->seq) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", r->chain[i]);
		fprintf(f, ",\"seq\":%llu,\"chain\":\"%s\"", (unsigned long long)r->seq, hex);
	}
	if (ea_rec_is_flow(r))
		print_flow_json(f, r);
	else if (r->kind == EA_REC_LOST)
		fprintf(f, ",\"what\":\"%s\",\"count\":%llu", r->what,
			(unsigned long long)r->count);
	if (r->detail[0])
		fprintf(f, ",\"detail\":%s", r->detail);
	fputs("}\n", f);
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
		fprintf(f, " %llu %s events (ring buffer full)",
			(unsigned long long)r->count, r->what);
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
