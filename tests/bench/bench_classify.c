// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_classify: the cost of classifying a destination, printed as one
 * JSON object on standard output.
 *
 *  - user space: ea_geo_table_lookup over random addresses, lookups/s on
 *    the calling thread (pin it with taskset);
 *  - kernel: bpf_prog_test_run_opts with a large .repeat on crafted frames
 *    through classify_dst of bpf/classify.bpf.c, its noop program and the
 *    parser alone (bench_parse of bpf/bench_noop.bpf.c), with the full
 *    shipped table and with a 10-prefix table, IPv4 and IPv6: ns per run,
 *    interleaved address by address so that drift hits all three alike;
 *    also one run per address (.repeat = 1), closer to a cold new flow;
 *  - loading: reading and compiling the shipped data set, filling the maps,
 *    the number of entries, and the maps' memlock from /proc/self/fdinfo.
 *
 * Usage: bench_classify [--quick]   (run from the repository root, with
 * EGRESS_AUDIT_DATADIR pointing at data/)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_noop.h"
#include "classify.skel.h"
#include "geo_maps.h"
#include "geo_table.h"
#include "../bpf/test_geoip.h"
#include "../bpf/udp_frame.h"


static const char small_config[] =	/* over the test GeoIP data */
	"[policy]\nown_cidr = 203.0.113.128/25\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static ea_addr_t rand128(void)
{
	return ((ea_addr_t)next_rand() << 64) | next_rand();
}

/*
 * A destination like real ones: a random interval of the full table (so
 * dense regions, where the trie is deep, weigh as much as they hold
 * intervals), then a random address in it. v4: IPv4 intervals; v6: those in
 * 2000::/3 (global unicast, where the data lives).
 */
static ea_addr_t sample_addr(const struct ea_geo_table *t, bool v4)
{
	const ea_addr_t g_lo = (ea_addr_t)1 << 125, g_hi = ((ea_addr_t)1 << 126) - 1;

	for (;;) {
		const struct ea_ivl *iv = &t->ivl.v[next_rand() % t->ivl.n];
		ea_addr_t lo = iv->start, hi = iv->end, span;

		if (v4) {
			if (hi < EA_V4_BASE || lo > EA_V4_LAST)
				continue;
			if (lo < EA_V4_BASE)
				lo = EA_V4_BASE;
			if (hi > EA_V4_LAST)
				hi = EA_V4_LAST;
		} else {
			if (hi < g_lo || lo > g_hi)
				continue;
			if (lo < g_lo)
				lo = g_lo;
			if (hi > g_hi)
				hi = g_hi;
		}
		span = hi - lo;
		return span == EA_ADDR_MAX ? rand128() : lo + rand128() % (span + 1);
	}
}

/* Mean ns per run of prog on one frame, repeat times. */
static double run_ns(int fd, const uint8_t *pkt, size_t len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts)) {
		fprintf(stderr, "bench_classify: test run: %s\n", strerror(errno));
		exit(1);
	}
	return (double)opts.duration;
}

struct kstat {
	double classify, noop, parse;	/* mean ns per run */
	double classify_1, noop_1;	/* .repeat = 1 */
	int naddr;
};

static struct classify_bpf *cls;
static struct bench_noop_bpf *nop;

static void kernel_ns(const ea_addr_t *addrs, int n, int repeat, uint32_t bank,
		      struct kstat *k)
{
	int fc = bpf_program__fd(cls->progs.classify_dst);
	int fn = bpf_program__fd(cls->progs.noop);
	int fp = bpf_program__fd(nop->progs.bench_parse);
	uint8_t pkt[EA_TEST_FRAME_MAX];

	memset(k, 0, sizeof(*k));
	cls->bss->geo_bank = bank;
	for (int i = 0; i < n; i++) {
		size_t len = ea_test_udp_frame(pkt, addrs[i], false);

		/* rotate the order: no program always runs first */
		for (int j = 0; j < 3; j++) {
			switch ((i + j) % 3) {
			case 0:
				k->classify += run_ns(fc, pkt, len, repeat);
				break;
			case 1:
				k->noop += run_ns(fn, pkt, len, repeat);
				break;
			case 2:
				k->parse += run_ns(fp, pkt, len, repeat);
				break;
			}
		}
		k->classify_1 += run_ns(fc, pkt, len, 1);
		k->noop_1 += run_ns(fn, pkt, len, 1);
		if (cls->bss->last_status)
			fprintf(stderr, "bench_classify: parse status %u\n",
				cls->bss->last_status);
	}
	k->classify /= n;
	k->noop /= n;
	k->parse /= n;
	k->classify_1 /= n;
	k->noop_1 /= n;
	k->naddr = n;
}

static double user_lookups(const struct ea_geo_table *t, const ea_addr_t *addrs,
			   int n, double min_s)
{
	volatile uint32_t sink = 0;
	uint64_t done = 0;
	double t0 = now_s(), t1;

	do {
		uint32_t acc = 0;

		for (int i = 0; i < n; i++)
			acc += ea_geo_table_lookup(t, addrs[i]);
		sink += acc;
		done += (uint64_t)n;
		t1 = now_s();
	} while (t1 - t0 < min_s);
	(void)sink;
	return (double)done / (t1 - t0);
}

static long long memlock_of(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void fill_bank(const struct ea_geo_table *t, uint32_t bank)
{
	struct ea_geo_maps m = EA_GEO_MAPS_OF(cls);
	int err = ea_geo_maps_fill(&m, t, bank);

	if (err) {
		fprintf(stderr, "bench_classify: filling bank %u: %s\n", bank, strerror(-err));
		exit(1);
	}
}

static void print_kstat(const char *name, const struct kstat *k, bool comma)
{
	printf("    \"%s\": {\"addresses\": %d, \"classify_ns\": %.2f, \"noop_ns\": %.2f, "
	       "\"parse_ns\": %.2f, \"net_ns\": %.2f, \"walk_ns\": %.2f, "
	       "\"classify_once_ns\": %.2f, \"noop_once_ns\": %.2f, \"net_once_ns\": %.2f}%s\n",
	       name, k->naddr, k->classify, k->noop, k->parse, k->classify - k->noop,
	       k->classify - k->parse, k->classify_1, k->noop_1,
	       k->classify_1 - k->noop_1, comma ? "," : "");
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	int naddr = quick ? 400 : 3000, repeat = quick ? 500 : 2000;
	int nuser = 1 << 20;
	double user_s = quick ? 0.3 : 1.5;
	struct ea_geo_table full = { 0 }, small = { 0 };
	struct ea_config cfg, small_cfg;
	struct ea_err err = { { 0 } };
	struct ea_geo_maps m;
	struct kstat kf4, kf6, ks4, ks6;
	ea_addr_t *a4, *a6, *amix;
	double t0, t1, t2, t3, u4, u6, umix;
	long long ml_root, ml_nodes, ml_results;
	uint64_t entries, levels4 = 0, levels6 = 0;

	/* loading: file -> table -> maps, as the agent does at start */
	t0 = now_s();
	if (ea_config_load(NULL, &cfg, &err) || ea_geo_table_build(&cfg, &full, &err)) {
		fprintf(stderr, "bench_classify: full table: %s\n", err.msg);
		return 1;
	}
	t1 = now_s();
	if (ea_test_config_parse("small.ini", small_config, &small_cfg, &err) ||
	    ea_geo_table_build(&small_cfg, &small, &err)) {
		fprintf(stderr, "bench_classify: small table: %s\n", err.msg);
		return 1;
	}
	libbpf_set_print(NULL);
	t2 = now_s();
	cls = classify_bpf__open();
	if (!cls)
		return 1;
	m = EA_GEO_MAPS_OF(cls);
	if (ea_geo_maps_size(&m, &full) || classify_bpf__load(cls)) {
		fprintf(stderr, "bench_classify: loading classify.bpf.o failed\n");
		return 1;
	}
	fill_bank(&full, 0);
	t3 = now_s();
	fill_bank(&small, 1);
	nop = bench_noop_bpf__open();
	if (!nop || bench_noop_load_only(nop, nop->progs.bench_parse)) {
		fprintf(stderr, "bench_classify: loading bench_noop.bpf.o failed\n");
		return 1;
	}
	ml_root = memlock_of(bpf_map__fd(cls->maps.geo_root));
	ml_nodes = 0;
	for (int k = 0; k < EA_TRIE_KINDS; k++)
		ml_nodes += memlock_of(bpf_map__fd(m.node[k]));
	ml_results = memlock_of(bpf_map__fd(cls->maps.geo_results));
	entries = (uint64_t)EA_GEO_ROOT_BANK / EA_TRIE_CHUNK_SLOTS + full.nresults;
	for (int k = 0; k < EA_TRIE_KINDS; k++)
		entries += full.nodes.count[k];

	/* addresses, the same for both tables */
	a4 = calloc((size_t)nuser, sizeof(*a4));
	a6 = calloc((size_t)nuser, sizeof(*a6));
	amix = calloc((size_t)nuser, sizeof(*amix));
	if (!a4 || !a6 || !amix)
		return 1;
	for (int i = 0; i < nuser; i++) {
		a4[i] = sample_addr(&full, true);
		a6[i] = sample_addr(&full, false);
		amix[i] = (i & 1) ? a6[i] : a4[i];
	}

	for (int i = 0; i < nuser; i++) {
		levels4 += ea_geo_table_levels(&full, a4[i]);
		levels6 += ea_geo_table_levels(&full, a6[i]);
	}
	u4 = user_lookups(&full, a4, nuser, user_s);
	u6 = user_lookups(&full, a6, nuser, user_s);
	umix = user_lookups(&full, amix, nuser, user_s);

	kernel_ns(a4, naddr, repeat, 0, &kf4);
	kernel_ns(a4, naddr, repeat, 1, &ks4);
	kernel_ns(a6, naddr, repeat, 0, &kf6);
	kernel_ns(a6, naddr, repeat, 1, &ks6);

	printf("{\n  \"repeat\": %d,\n", repeat);
	printf("  \"user_lookups_per_s\": {\"v4\": %.0f, \"v6\": %.0f, \"mixed\": %.0f},\n",
	       u4, u6, umix);
	printf("  \"kernel\": {\n");
	print_kstat("full_v4", &kf4, true);
	print_kstat("full_v6", &kf6, true);
	print_kstat("small_v4", &ks4, true);
	print_kstat("small_v6", &ks6, false);
	printf("  },\n");
	printf("  \"load\": {\"ranges\": %llu, \"intervals\": %zu, \"results\": %u, "
	       "\"nodes\": [%u, %u, %u], \"map_entries\": %llu, \"build_s\": %.3f, "
	       "\"maps_s\": %.3f, \"total_s\": %.3f},\n",
	       (unsigned long long)full.geo_ranges, full.ivl.n, full.nresults,
	       full.nodes.count[0], full.nodes.count[1], full.nodes.count[2],
	       (unsigned long long)entries, t1 - t0, t3 - t2, (t1 - t0) + (t3 - t2));
	printf("  \"memlock\": {\"geo_root\": %lld, \"geo_nodes\": %lld, "
	       "\"geo_results\": %lld, \"total\": %lld, \"node_entries\": [%u, %u, %u]},\n",
	       ml_root, ml_nodes, ml_results, ml_root + ml_nodes + ml_results,
	       bpf_map__max_entries(m.node[0]), bpf_map__max_entries(m.node[1]),
	       bpf_map__max_entries(m.node[2]));
	printf("  \"levels\": {\"v4\": %.3f, \"v6\": %.3f},\n", (double)levels4 / nuser,
	       (double)levels6 / nuser);
	printf("  \"small\": {\"intervals\": %zu, \"nodes\": [%u, %u, %u]}\n}\n",
	       small.ivl.n, small.nodes.count[0], small.nodes.count[1], small.nodes.count[2]);

	bench_noop_bpf__destroy(nop);
	classify_bpf__destroy(cls);
	ea_geo_table_free(&full);
	ea_geo_table_free(&small);
	ea_config_free(&cfg);
	ea_config_free(&small_cfg);
	free(a4);
	free(a6);
	free(amix);
	return 0;
}
