// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Printing of flow and lost records, readable or as JSON lines. */
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "record.h"
#include "util.h"

const char *ea_event_name(uint32_t type)
{
	static const char *const names[EA_EV_MAX] = {
		[EA_EV_FLOW_START] = "flow_start",
		[EA_EV_FLOW_UPDATE] = "flow_update",
		[EA_EV_FLOW_END] = "flow_end",
	};

	return type < EA_EV_MAX && names[type] ? names[type] : "unknown";
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

/* The comm of an event as a C string (the kernel's may lack the NUL). */
static void comm_of(const struct ea_flow_event *e, char out[EA_COMM_LEN + 1])
{
	memcpy(out, e->comm, EA_COMM_LEN);
	out[EA_COMM_LEN] = '\0';
}

static void print_labels_json(FILE *f, const struct ea_flow_event *e,
			      const struct ea_record_ctx *ctx)
{
	bool first = true;

	fputc('[', f);
	for (uint32_t i = 0; i < ctx->nlabels && i < EA_MAX_LABELS; i++) {
		if (!(e->labels & (1ull << i)))
			continue;
		if (!first)
			fputc(',', f);
		ea_json_str(f, ctx->label_names[i]);
		first = false;
	}
	fputc(']', f);
}

static void print_flow_json(FILE *f, const struct ea_flow_event *e,
			    const struct ea_record_ctx *ctx)
{
	char ts[40], start[40], src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3];
	char comm[EA_COMM_LEN + 1];
	bool v4 = ea_addr_is_v4(ea_addr_from_bytes((const uint8_t *)e->dst));

	comm_of(e, comm);
	ea_addr_format(ea_addr_from_bytes((const uint8_t *)e->src), src);
	ea_addr_format(ea_addr_from_bytes((const uint8_t *)e->dst), dst);
	fprintf(f, "{\"event\":\"%s\",\"ts\":\"%s\",\"host\":", ea_event_name(e->type),
		ea_format_time(e->ts_ns + ctx->boot_to_real_ns, ts));
	ea_json_str(f, ctx->host);
	fprintf(f, ",\"verdict\":\"%s\",\"proto\":\"%s\",\"family\":%d,"
		"\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,"
		"\"country\":\"%s\",\"zone\":\"%s\",\"pid\":%u,\"tid\":%u,\"comm\":",
		ea_verdict_name(e->verdict), ea_proto_name(e->proto), v4 ? 4 : 6,
		src, e->sport, dst, e->dport, ea_cc_format(e->country, cc),
		ea_zone_name(e->zone), e->tgid, e->pid);
	ea_json_str(f, comm);
	fprintf(f, ",\"uid\":%u,\"gid\":%u,\"cgroup\":", e->uid, e->gid);
	if (ctx->cgroup)
		ea_json_str(f, ctx->cgroup);
	else
		fputs("null", f);
	fprintf(f, ",\"cgroup_id\":%llu,\"bytes\":%llu,\"packets\":%llu,\"start\":\"%s\","
		"\"labels\":", (unsigned long long)e->cgroup_id,
		(unsigned long long)e->bytes, (unsigned long long)e->packets,
		ea_format_time(e->start_ns + ctx->boot_to_real_ns, start));
	print_labels_json(f, e, ctx);
	fprintf(f, ",\"origin\":\"%s\",\"ifindex\":%u,\"ip_proto\":%u,\"cookie\":%llu,"
		"\"mapped\":%s}\n", ea_origin_name(e->origin), e->ifindex, e->ip_proto,
		(unsigned long long)e->cookie,
		(e->flags & EA_FLOW_MAPPED) ? "true" : "false");
}

static void print_flow_text(FILE *f, const struct ea_flow_event *e,
			    const struct ea_record_ctx *ctx)
{
	char ts[40], src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3];
	char comm[EA_COMM_LEN + 1];

	comm_of(e, comm);
	ea_addr_format(ea_addr_from_bytes((const uint8_t *)e->src), src);
	ea_addr_format(ea_addr_from_bytes((const uint8_t *)e->dst), dst);
	fprintf(f, "%s %-11s %-7s %-6s %s:%u -> %s:%u %s %s pid=%u comm=",
		ea_format_time(e->ts_ns + ctx->boot_to_real_ns, ts),
		ea_event_name(e->type), ea_verdict_name(e->verdict),
		ea_proto_name(e->proto), src, e->sport, dst, e->dport,
		ea_cc_format(e->country, cc), ea_zone_name(e->zone), e->tgid);
	ea_print_escaped(f, comm, sizeof(comm));
	fprintf(f, " uid=%u cgroup=%s bytes=%llu packets=%llu labels=", e->uid,
		ctx->cgroup ? ctx->cgroup : "?", (unsigned long long)e->bytes,
		(unsigned long long)e->packets);
	for (uint32_t i = 0, n = 0; i < ctx->nlabels && i < EA_MAX_LABELS; i++)
		if (e->labels & (1ull << i))
			fprintf(f, "%s%s", n++ ? "," : "", ctx->label_names[i]);
	if (e->origin != EA_ORIGIN_SOCKET)
		fprintf(f, " origin=%s ifindex=%u", ea_origin_name(e->origin), e->ifindex);
	fputc('\n', f);
}

void ea_record_print_flow(FILE *f, bool json, const struct ea_flow_event *e,
			  const struct ea_record_ctx *ctx)
{
	if (json)
		print_flow_json(f, e, ctx);
	else
		print_flow_text(f, e, ctx);
}

void ea_record_print_lost(FILE *f, bool json, int64_t real_ns, const char *host,
			  const char *what, uint64_t count)
{
	char ts[40];

	ea_format_time(real_ns, ts);
	if (!json) {
		fprintf(f, "%s lost        %llu %s events (ring buffer full)\n", ts,
			(unsigned long long)count, what);
		return;
	}
	fprintf(f, "{\"event\":\"lost\",\"ts\":\"%s\",\"host\":", ts);
	ea_json_str(f, host);
	fprintf(f, ",\"what\":\"%s\",\"count\":%llu}\n", what, (unsigned long long)count);
}
