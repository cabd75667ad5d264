// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark of the audit trail, on one core, through the real code:
 *
 *   bench_trail [RECORDS] [DIR]
 *
 * writer: synthetic flow records generated into one record (as the agent
 *         fills its record from each event) and appended (encode, chain,
 *         compress, write), the trail closed; records per CPU second (with
 *         and without the generation), bytes on disk per record;
 * scan:   a full scan (every record decoded and filtered, none matching);
 * query:  a scan bounded to 1% of the time range; bytes it read against
 *         the full scan's, segments skipped by their index;
 * json:   the same records formatted as the JSON lines `run -j` prints
 *         (with seq and chain, as after the trail); ns per record, net of
 *         the generation;
 * text:   the same records printed as `run` prints them without -j, into
 *         /dev/null; ns per record, net of the generation;
 * addr6:  IPv6 addresses written as text by the records' formatter
 *         (ea_addr_format) and by the C library's inet_ntop, the two
 *         alternated in one run; ns per address.
 * Prints one JSON object on standard output. Times are the thread's CPU
 * time, so a busy machine does not count against the figures (wall-clock
 * seconds are given too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "query.h"
#include "rec_synth.h"
#include "record.h"
#include "sbuf.h"
#include "trail.h"
#include "trail_read.h"

#define HOST	"bench-host.example.org"
#define T0	1764000000000000000ll	/* 2025-11-24T16:00:00Z */

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct clocks {
	struct timespec cpu, wall;
};

static void clocks_now(struct clocks *c)
{
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu);
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Bytes of the segments of a trail directory, and how many there are. */
static uint64_t seg_bytes(const char *dir, size_t *nsegs)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_list l;
	struct stat st;
	uint64_t n = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	*nsegs = 0;
	if (fd < 0 || ea_seg_list(fd, &l))
		return 0;
	for (size_t i = 0; i < l.n; i++) {
		ea_seg_name(name, l.seq[i], "eat");
		if (!fstatat(fd, name, &st, 0))
			n += (uint64_t)st.st_size;
	}
	*nsegs = l.n;
	ea_seg_list_free(&l);
	close(fd);
	return n;
}

/* Generate n flow records into one record, as the agent fills its scratch
 * record from each event; CPU seconds. */
static double generate_only(uint64_t n)
{
	static struct ea_rec r;
	struct ea_synth s;
	struct clocks a, b;
	uint64_t sum = 0;

	ea_synth_init(&s, 1, HOST, T0, &r);
	s.agent_every = 0;
	s.step_ns = 2000;
	clocks_now(&a);
	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(&s, &r);
		sum += r.bytes;
	}
	clocks_now(&b);
	return sum ? since(&a.cpu, &b.cpu) : 0;
}

/* The records the formatting phases format: flows, with seq and chain. */
static void synth_flows(struct ea_synth *s, struct ea_rec *r)
{
	ea_synth_init(s, 1, HOST, T0, r);
	s->agent_every = 0;
	s->step_ns = 2000;
	memset(r->chain, 0xa5, sizeof(r->chain));
}

/* Generate n flow records and format each as `run -j` prints it; CPU
 * seconds, and the bytes of all lines in *bytes. */
static double format_json(uint64_t n, uint64_t *bytes)
{
	static struct ea_rec r;
	struct ea_sbuf b = { 0 };
	struct ea_synth s;
	struct clocks a, z;

	synth_flows(&s, &r);
	*bytes = 0;
	clocks_now(&a);
	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(&s, &r);
		r.seq = i + 1;
		ea_sb_reset(&b);
		ea_rec_json(&b, &r);
		*bytes += b.len;
	}
	clocks_now(&z);
	ea_sb_free(&b);
	return since(&a.cpu, &z.cpu);
}

/* An IPv6 address of a documentation prefix, varied by i; network order. */
static void v6_of(uint64_t i, uint8_t b[16])
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x12 };

	memcpy(b, base, sizeof(base));
	b[9] = (uint8_t)(i >> 8);
	b[12] = (uint8_t)(i >> 16);
	b[14] = (uint8_t)(i >> 3);
	b[15] = (uint8_t)i;
}

/*
 * CPU ns per IPv6 address written by ea_addr_format (*ours) and by
 * inet_ntop (*libc), n addresses each, in ten alternated rounds.
 */
static void format_addr6(uint64_t n, double *ours, double *libc)
{
	char buf[EA_ADDR_STRLEN > INET6_ADDRSTRLEN ? EA_ADDR_STRLEN : INET6_ADDRSTRLEN];
	struct clocks a, b, c;
	uint64_t sum = 0;
	uint8_t addr[16];

	*ours = *libc = 0;
	for (int round = 0; round < 10; round++) {
		clocks_now(&a);
		for (uint64_t i = 0; i < n / 10; i++) {
			v6_of(i, addr);
			sum += strlen(ea_addr_format(ea_addr_from_bytes(addr), buf));
		}
		clocks_now(&b);
		for (uint64_t i = 0; i < n / 10; i++) {
			v6_of(i, addr);
			sum += strlen(inet_ntop(AF_INET6, addr, buf, sizeof(buf)));
		}
		clocks_now(&c);
		*ours += since(&a.cpu, &b.cpu);
		*libc += since(&b.cpu, &c.cpu);
	}
	*ours = sum ? *ours / (double)n * 1e9 : 0;
	*libc = *libc / (double)n * 1e9;
}

/* Generate n flow records and print each as `run` does without -j, into
 * /dev/null (fully buffered); CPU seconds. */
static double format_text(uint64_t n)
{
	static char buf[1 << 16];
	static struct ea_rec r;
	FILE *f = fopen("/dev/null", "w");
	struct ea_synth s;
	struct clocks a, z;

	if (!f)
		exit(1);
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	synth_flows(&s, &r);
	clocks_now(&a);
	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(&s, &r);
		r.seq = i + 1;
		ea_rec_print(f, false, &r);
	}
	clocks_now(&z);
	fclose(f);
	return since(&a.cpu, &z.cpu);
}

/* Generate and append n records through the writer, close it; CPU and
 * wall seconds; the times of records 0, n/2 and n/2 + n/100. */
static void write_trail(const char *log, uint64_t n, double *cpu, double *wall,
			int64_t mark[2])
{
	struct ea_trail_opts o = { .log_dir = log, .host = HOST, .flush = EA_FLUSH_NONE,
				   .rotate_size = 8u << 20 };
	static struct ea_rec r;
	struct ea_err err = { { 0 } };
	struct clocks a, b;
	struct ea_trail *t;
	struct ea_synth s;

	if (ea_trail_open(&t, &o, &err)) {
		fprintf(stderr, "bench_trail: %s\n", err.msg);
		exit(1);
	}
	ea_synth_init(&s, 1, HOST, real_ns(), &r);
	s.agent_every = 0;
	s.step_ns = 2000;
	clocks_now(&a);
	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(&s, &r);
		if (i == n / 2 || i == n / 2 + n / 100)
			mark[i != n / 2] = r.ts_ns;
		if (ea_trail_append(t, &r))
			exit(1);
	}
	if (ea_trail_close(t))
		exit(1);
	clocks_now(&b);
	*cpu = since(&a.cpu, &b.cpu);
	*wall = since(&a.wall, &b.wall);
}

static int count(void *ctx, const struct ea_rec *r)
{
	(void)r;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Scan with filter f; CPU and wall seconds, matches, scan statistics. */
static void scan(const char *dir, const struct ea_filter *f, double *cpu, double *wall,
		 uint64_t *matched, struct ea_scan_stats *st)
{
	struct ea_scan sc = { .f = f, .fn = count, .ctx = matched };
	struct clocks a, b;

	*matched = 0;
	clocks_now(&a);
	if (ea_scan_trail(&sc, dir) || sc.err[0]) {
		fprintf(stderr, "bench_trail: scan: %s\n", sc.err);
		exit(1);
	}
	clocks_now(&b);
	*cpu = since(&a.cpu, &b.cpu);
	*wall = since(&a.wall, &b.wall);
	*st = sc.st;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000, m_full, m_part;
	char tmpl[] = "/tmp/ea-bench-trail.XXXXXX", dir[4200];
	const char *log = argc > 2 ? argv[2] : mkdtemp(tmpl);
	struct ea_filter none = { .flow_only = true, .countries = { 1 }, .ncountries = 1 };
	struct ea_filter part = { .has_since = true, .has_until = true };
	double w_cpu, w_wall, g_cpu, s_cpu, s_wall, p_cpu, p_wall, j_cpu, t_cpu, a_ours, a_libc;
	struct ea_scan_stats full, bounded;
	int64_t mark[2];
	uint64_t bytes, j_bytes;
	size_t nsegs;

	if (!log || !n)
		return 1;
	snprintf(dir, sizeof(dir), "%s/%s", log, HOST);
	g_cpu = generate_only(n);
	write_trail(log, n, &w_cpu, &w_wall, mark);
	bytes = seg_bytes(dir, &nsegs);
	scan(dir, &none, &s_cpu, &s_wall, &m_full, &full);
	part.since = mark[0];
	part.until = mark[1];
	scan(dir, &part, &p_cpu, &p_wall, &m_part, &bounded);
	j_cpu = format_json(n, &j_bytes);
	t_cpu = format_text(n);
	format_addr6(n, &a_ours, &a_libc);
	printf("{\"records\":%llu,\"writer\":{\"records_per_s\":%.0f,"
	       "\"records_per_s_without_generation\":%.0f,\"cpu_s\":%.3f,\"wall_s\":%.3f,"
	       "\"generation_cpu_s\":%.3f,\"bytes_on_disk\":%llu,\"bytes_per_record\":%.1f,"
	       "\"segments\":%zu},", (unsigned long long)n, (double)n / w_cpu,
	       (double)n / (w_cpu - g_cpu), w_cpu, w_wall, g_cpu, (unsigned long long)bytes,
	       (double)bytes / (double)n, nsegs);
	printf("\"scan\":{\"records\":%llu,\"records_per_s\":%.0f,\"cpu_s\":%.3f,"
	       "\"wall_s\":%.3f,\"bytes_read\":%llu},", (unsigned long long)full.records,
	       (double)full.records / s_cpu, s_cpu, s_wall, (unsigned long long)full.bytes_read);
	printf("\"bounded_query\":{\"window_records\":%llu,\"matched\":%llu,\"cpu_s\":%.3f,"
	       "\"wall_s\":%.3f,\"bytes_read\":%llu,\"fraction_of_full_scan\":%.4f,"
	       "\"segments_read\":%llu,\"segments_skipped\":%llu,\"blocks_skipped\":%llu},",
	       (unsigned long long)(n / 100), (unsigned long long)m_part, p_cpu, p_wall,
	       (unsigned long long)bounded.bytes_read,
	       (double)bounded.bytes_read / (double)full.bytes_read,
	       (unsigned long long)bounded.segments, (unsigned long long)bounded.segments_skipped,
	       (unsigned long long)bounded.blocks_skipped);
	printf("\"json\":{\"ns_per_record\":%.1f,\"bytes_per_record\":%.1f,\"cpu_s\":%.3f},",
	       (j_cpu - g_cpu) / (double)n * 1e9, (double)j_bytes / (double)n, j_cpu);
	printf("\"text\":{\"ns_per_record\":%.1f,\"cpu_s\":%.3f},",
	       (t_cpu - g_cpu) / (double)n * 1e9, t_cpu);
	printf("\"addr6\":{\"ns_per_addr\":%.1f,\"inet_ntop_ns_per_addr\":%.1f}}\n",
	       a_ours, a_libc);
	if (argc <= 2)
		nftw(log, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return m_full ? 1 : 0;
}
