// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trails for the SIEM feed tests, through the real trail writer and reader:
 *
 *   siem_trail write --log-dir DIR --host HOST --records N [--rate R] [--hostile]
 *   siem_trail dump TRAIL_DIR
 *
 * write appends N records (synthetic ones, or with --hostile a cycle of
 * flows whose process names hold every byte a format must escape, and one
 * record of each other kind), R per second (0: as fast as it can), the
 * blocks written after every small batch as the agent does. dump prints
 * every record of a trail as one JSON object per line with the fields the
 * tests compare (comm as hex: it may be any bytes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "rec_synth.h"
#include "record.h"
#include "siem_follow.h"
#include "siem_format.h"
#include "trail.h"
#include "util.h"

#define BATCH	64

static const char *const hostile[] = {
	"pipe|name", "eq=name", "back\\slash", "brack]et", "quo\"te", "new\nline",
	"tab\there", "bad\xff\xfe", "x=1 y|2\\]\"\n\t\xfe", "sproc=evil", "a^b",
	"cr\rlf", "esc\x1b[31m", "caf\xc3\xa9", "trunc\xe2\x82", "}\",\"x\":\"",
};

/* The wall clock in ns. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An IPv6 address in network order. */
static void v6(uint8_t b[16], const char *text)
{
	ea_addr_t a = 0;

	ea_addr_parse(text, &a);
	ea_addr_to_bytes(a, b);
}

/* Record i of the hostile cycle: mostly flagged flows, one of each other class. */
static void hostile_rec(struct ea_rec *r, uint64_t i, const char *host)
{
	size_t n = sizeof(hostile) / sizeof(hostile[0]);
	uint64_t k = i % (n + 4);

	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->ts_ns = now_ns();
	if (k == n) {
		r->kind = EA_REC_LOST;
		snprintf(r->what, sizeof(r->what), "flow_start");
		r->count = i + 1;
		return;
	}
	if (k == n + 1) {
		r->kind = EA_REC_HEARTBEAT;
		snprintf(r->detail, sizeof(r->detail), "{\"n\":%llu,\"s\":\"a]b\\\"c\"}",
			 (unsigned long long)i);
		return;
	}
	r->kind = EA_REC_FLOW_START + (uint32_t)(i % 3);
	r->verdict = k == n + 2 ? EA_VERDICT_BLOCKED :
		     k == n + 3 ? EA_VERDICT_ALLOWED : EA_VERDICT_FLAGGED;
	r->proto = EA_PROTO_TCP;
	r->ip_proto = 6;
	r->origin = EA_ORIGIN_SOCKET;
	r->zone = EA_ZONE_THIRD;
	r->country = ea_cc_pack("CN");
	r->sport = (uint16_t)(40000 + i % 1000);
	r->dport = 443;
	ea_addr_to_bytes(ea_addr_from_v4(0xc0000201), r->src);
	if (i % 2) {
		r->family = 4;
		ea_addr_to_bytes(ea_addr_from_v4(0xcb007105), r->dst);
	} else {
		r->family = 6;
		v6(r->src, "2001:db8:1::1");
		v6(r->dst, "2001:db8:3::5");
	}
	r->pid = (uint32_t)(1000 + i);
	r->tid = r->pid;
	r->uid = 1000;
	r->gid = 1000;
	r->start_ns = r->ts_ns - 1000000000;
	r->bytes = 1000 * i + 7;
	r->packets = i + 1;
	snprintf(r->comm, sizeof(r->comm), "%s", k < n ? hostile[k] : "curl");
	snprintf(r->cgroup, sizeof(r->cgroup), "/e2e/%s", k < n ? hostile[k] : "x");
	snprintf(r->labels, sizeof(r->labels), "pii");
}

/* Sleep until record i is due at rate per second. */
static void pace(int64_t start, uint64_t i, uint64_t rate)
{
	int64_t due = start + (int64_t)(i * 1000000000ull / rate), now = now_ns();
	struct timespec ts;

	if (due <= now)
		return;
	ts.tv_sec = (due - now) / 1000000000;
	ts.tv_nsec = (due - now) % 1000000000;
	nanosleep(&ts, NULL);
}

/* siem_trail write: append records through the trail writer. */
static int cmd_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'h' },
		{ "records", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "hostile", no_argument, NULL, 'x' },
		{ 0 },
	};
	struct ea_trail_opts o = { .host = "e2e-host", .flush = EA_FLUSH_INCREMENTAL };
	struct ea_err err = { { 0 } };
	static struct ea_rec r;
	uint64_t n = 0, rate = 0;
	struct ea_synth s;
	struct ea_trail *t;
	bool bad = false;
	int64_t start;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.log_dir = optarg; break;
		case 'h': o.host = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'r': rate = strtoull(optarg, NULL, 0); break;
		case 'x': bad = true; break;
		default: return 2;
		}
	}
	if (!o.log_dir || !n)
		return 2;
	if (ea_trail_open(&t, &o, &err)) {
		fprintf(stderr, "siem_trail: %s\n", err.msg);
		return 1;
	}
	start = now_ns();
	ea_synth_init(&s, 7, o.host, start, &r);
	for (uint64_t i = 0; i < n; i++) {
		if (bad)
			hostile_rec(&r, i, o.host);
		else
			ea_synth_next(&s, &r);
		if (ea_trail_append(t, &r))
			fprintf(stderr, "siem_trail: record %llu refused\n", (unsigned long long)i);
		if (i % BATCH == BATCH - 1 || i + 1 == n) {
			ea_trail_tick(t, now_ns());
			ea_trail_flush(t);
		}
		if (rate)
			pace(start, i + 1, rate);
	}
	return ea_trail_close(t) ? 1 : 0;
}

/* One record as the JSON line check_siem.py reads. */
static void dump_one(const struct ea_rec *r)
{
	static const char *const cls[] = { "flagged", "blocked", "allowed", "lost",
					   "checkpoint", "agent" };
	char src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3];
	uint32_t c = ea_siem_class_of(r);
	int bit = __builtin_ctz(c);

	printf("{\"seq\":%llu,\"kind\":\"%s\",\"class\":\"%s\",\"host\":",
	       (unsigned long long)r->seq, ea_rec_kind_name(r->kind), cls[bit]);
	ea_json_str(stdout, r->host);
	printf(",\"comm_hex\":\"");
	for (const unsigned char *p = (const unsigned char *)r->comm; *p; p++)
		printf("%02x", *p);
	printf("\"");
	if (ea_rec_is_flow(r))
		printf(",\"verdict\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,"
		       "\"dport\":%u,\"bytes\":%llu,\"packets\":%llu,\"pid\":%u,\"uid\":%u,"
		       "\"country\":\"%s\",\"family\":%u,\"ip_proto\":%u",
		       ea_verdict_name(r->verdict),
		       ea_addr_format(ea_addr_from_bytes(r->src), src),
		       ea_addr_format(ea_addr_from_bytes(r->dst), dst), r->sport, r->dport,
		       (unsigned long long)r->bytes, (unsigned long long)r->packets, r->pid,
		       r->uid, r->country ? ea_cc_format(r->country, cc) : "", r->family,
		       r->ip_proto);
	if (r->kind == EA_REC_LOST)
		printf(",\"what\":\"%s\",\"count\":%llu", r->what, (unsigned long long)r->count);
	printf("}\n");
}

/* siem_trail dump: every record of a trail, through the feed's follower. */
static int cmd_dump(const char *dir)
{
	static struct ea_rec r;
	struct ea_follow f;
	const char *why;
	int ret;

	if (ea_follow_open(&f, dir, 1)) {
		perror(dir);
		return 1;
	}
	while ((ret = ea_follow_next(&f, &r, &why)) == 1)
		dump_one(&r);
	ea_follow_close(&f);
	if (ret < 0) {
		fprintf(stderr, "siem_trail: %s: %s\n", dir, why);
		return 1;
	}
	return 0;
}

/* write or dump. */
int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "write"))
		return cmd_write(argc - 1, argv + 1);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return cmd_dump(argv[2]);
	fprintf(stderr, "usage: siem_trail write --log-dir DIR --host HOST --records N "
		"[--rate R] [--hostile]\n       siem_trail dump TRAIL_DIR\n");
	return 2;
}
