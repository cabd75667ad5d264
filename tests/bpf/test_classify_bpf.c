// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's classifier against user space's: the real trie walk of
 * bpf/geo.bpf.h, run by bpf_prog_test_run_opts on crafted Ethernet frames,
 * must give for every sampled address the result that user space computes
 * from the interval list (an independent path: binary search, no trie).
 * Also the packet parser on malformed and fragmented headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classify.skel.h"
#include "geo_maps.h"
#include "geo_table.h"
#include "test_geoip.h"
#include "udp_frame.h"


struct fixture {
	struct classify_bpf *skel;
	struct ea_geo_table full;	/* the shipped snapshot + default policy */
	struct ea_geo_table small;	/* the test GeoIP file + policy CIDRs */
	struct ea_config small_cfg;
	uint64_t rng;
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static ea_addr_t rand_addr(uint64_t *s)
{
	return ((ea_addr_t)next_rand(s) << 64) | next_rand(s);
}

static uint32_t kernel_classify(struct fixture *f, const uint8_t *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .repeat = 1);
	int fd = bpf_program__fd(f->skel->progs.classify_dst);

	f->skel->bss->last_result = ~0u;
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	return f->skel->bss->last_result;
}

static struct ea_geo_result expected(const struct ea_geo_table *t, ea_addr_t a)
{
	long i = ea_ivl_find(&t->ivl, a);

	assert_true(i >= 0);
	return t->results[t->ivl.v[i].val.cc];
}

/* The kernel's answer for a equals the interval list's, field by field. */
static void check_addr(struct fixture *f, const struct ea_geo_table *t, ea_addr_t a)
{
	uint8_t pkt[EA_TEST_FRAME_MAX];
	struct ea_geo_result want = expected(t, a), got;
	uint32_t idx = kernel_classify(f, pkt, ea_test_udp_frame(pkt, a, false));
	char buf[EA_ADDR_STRLEN];

	if (idx >= t->nresults)
		fail_msg("%s: kernel gave result %u of %u", ea_addr_format(a, buf),
			 idx, t->nresults);
	got = t->results[idx];
	if (memcmp(&got, &want, sizeof(got)))
		fail_msg("%s: kernel %c%c zone %u allow %llx, user %c%c zone %u allow %llx",
			 ea_addr_format(a, buf), got.country >> 8, got.country & 0xff,
			 got.zone, (unsigned long long)got.allow_labels,
			 want.country >> 8, want.country & 0xff, want.zone,
			 (unsigned long long)want.allow_labels);
}

static struct ea_geo_maps maps_of(struct fixture *f)
{
	return EA_GEO_MAPS_OF(f->skel);
}

static int load_bank(struct fixture *f, const struct ea_geo_table *t, uint32_t bank)
{
	struct ea_geo_maps m = maps_of(f);

	return ea_geo_maps_fill(&m, t, bank);
}

static const char small_config[] =	/* over the test GeoIP data */
	"[policy]\nown_cidr = 203.0.113.128/25\ndeny_cidr = 192.0.2.64/26\n"
	"allow_cidr = 2001:db8:3:1::/64\n"
	"[label strict]\npath = /s\nallow = eu\n[label relaxed]\npath = /r\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ea_config cfg;
	struct ea_err err = { { 0 } };
	struct ea_geo_maps m;

	f->rng = 0x9e3779b97f4a7c15ull;
	if (ea_config_load(NULL, &cfg, &err) || ea_geo_table_build(&cfg, &f->full, &err))
		fail_msg("full table: %s", err.msg);
	ea_config_free(&cfg);
	if (ea_test_config_parse("small.ini", small_config, &f->small_cfg, &err) ||
	    ea_geo_table_build(&f->small_cfg, &f->small, &err))
		fail_msg("small table: %s", err.msg);
	f->skel = classify_bpf__open();
	assert_non_null(f->skel);
	m = maps_of(f);
	assert_int_equal(ea_geo_maps_size(&m, &f->full), 0);
	assert_int_equal(classify_bpf__load(f->skel), 0);
	assert_int_equal(load_bank(f, &f->full, 0), 0);
	assert_int_equal(load_bank(f, &f->small, 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	classify_bpf__destroy(f->skel);
	ea_geo_table_free(&f->full);
	ea_geo_table_free(&f->small);
	ea_config_free(&f->small_cfg);
	free(f);
	return 0;
}

/* Random addresses and interval edges of a table, in one bank. */
static void sample_table(struct fixture *f, const struct ea_geo_table *t,
			 uint32_t bank, int n)
{
	f->skel->bss->geo_bank = bank;
	for (int i = 0; i < n; i++) {
		ea_addr_t v6 = rand_addr(&f->rng);
		ea_addr_t v4 = ea_addr_from_v4((uint32_t)next_rand(&f->rng));
		const struct ea_ivl *iv = &t->ivl.v[next_rand(&f->rng) % t->ivl.n];

		/* most IPv6 data lives in 2000::/3: sample it densely */
		check_addr(f, t, v6);
		check_addr(f, t, (v6 >> 3) | ((ea_addr_t)1 << 125));
		check_addr(f, t, v4);
		check_addr(f, t, iv->start);
		check_addr(f, t, iv->end);
	}
}

static void test_full_table_matches_user_space(void **state)
{
	struct fixture *f = *state;

	sample_table(f, &f->full, 0, 20000);
}

static void test_small_table_and_policy(void **state)
{
	struct fixture *f = *state;
	static const char *const addrs[] = {
		"192.0.2.1", "192.0.2.64", "192.0.2.127", "192.0.2.200",
		"198.51.100.7", "198.51.100.200", "203.0.113.5", "203.0.113.200",
		"2001:db8:1::1", "2001:db8:2::1", "2001:db8:3::1", "2001:db8:3:1::9",
		"2001:db8:4::1", "10.1.2.3", "127.0.0.1", "::1", "fe80::1",
		"::ffff:198.51.100.7", "8.8.8.8", "2a00::1",
	};

	sample_table(f, &f->small, 1, 2000);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		ea_addr_t a;

		assert_int_equal(ea_addr_parse(addrs[i], &a), 0);
		check_addr(f, &f->small, a);
	}
}

/* Bank switch: the same address answers from whichever bank is active. */
static void test_bank_switch(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[EA_TEST_FRAME_MAX];
	ea_addr_t a;
	size_t len;

	assert_int_equal(ea_addr_parse("203.0.113.5", &a), 0);
	len = ea_test_udp_frame(pkt, a, false);
	f->skel->bss->geo_bank = 1;
	assert_int_equal(f->small.results[kernel_classify(f, pkt, len)].country,
			 ea_cc_pack("CN"));
	f->skel->bss->geo_bank = 0;
	assert_int_equal(kernel_classify(f, pkt, len), ea_geo_table_lookup(&f->full, a));
}

/* Entries of all of bank's parts of the table that differ (and are put back). */
static int check_cycle(struct fixture *f, const struct ea_geo_table *t, uint32_t bank,
		       const char **first)
{
	struct ea_geo_maps m = maps_of(f);
	struct ea_geo_check c = { 0 };
	const char *what;
	int total = 0;

	*first = NULL;
	for (int i = 0; i < 16; i++) {
		int n = ea_geo_maps_check(&m, t, bank, 16, &c, &what);

		assert_true(n >= 0);
		if (n && !*first)
			*first = what;
		total += n;
	}
	return total;
}

/*
 * The guard's check of the table: a rewritten result, root slot, chunk and
 * 8-bit node are each found in one cycle of parts, written back (the next
 * cycle finds nothing), and the kernel answers as user space again.
 */
static void test_check_finds_and_repairs(void **state)
{
	struct fixture *f = *state;
	int res = bpf_map__fd(f->skel->maps.geo_results);
	int root = bpf_map__fd(f->skel->maps.geo_root);
	int chunks = bpf_map__fd(f->skel->maps.geo_chunks);
	int node8 = bpf_map__fd(f->skel->maps.geo_node8);
	struct ea_geo_maps m = maps_of(f);
	static struct ea_trie_node8 n8;
	struct ea_geo_result r;
	struct ea_trie_chunk c, row;
	uint32_t key, slot;
	const char *what;

	assert_int_equal(check_cycle(f, &f->full, 0, &what), 0);
	assert_null(what);
	key = 1;
	assert_int_equal(bpf_map_lookup_elem(res, &key, &r), 0);
	r.allow_labels = ~r.allow_labels;
	assert_int_equal(bpf_map_update_elem(res, &key, &r, BPF_ANY), 0);
	slot = EA_GEO_ROOT4(0) + (198u << 12);	/* the slot of 198.0.0.0/20 */
	key = slot / EA_TRIE_CHUNK_SLOTS;	/* its row */
	assert_int_equal(bpf_map_lookup_elem(root, &key, &row), 0);
	slot %= EA_TRIE_CHUNK_SLOTS;
	row.slot[slot] = row.slot[slot] == 7 ? 8 : 7;
	assert_int_equal(bpf_map_update_elem(root, &key, &row, BPF_ANY), 0);
	key = ea_geo_maps_index(&m, 0, 0, f->full.nodes.count[0] - 1);	/* last chunk */
	assert_int_equal(bpf_map_lookup_elem(chunks, &key, &c), 0);
	c.slot[3] ^= 1;
	assert_int_equal(bpf_map_update_elem(chunks, &key, &c, BPF_ANY), 0);
	assert_true(f->full.nodes.count[1] > 0);
	key = ea_geo_maps_index(&m, 1, 0, f->full.nodes.count[1] - 1);	/* last 8-bit node */
	assert_int_equal(bpf_map_lookup_elem(node8, &key, &n8), 0);
	n8.slot[200] ^= 1;
	assert_int_equal(bpf_map_update_elem(node8, &key, &n8, BPF_ANY), 0);

	assert_int_equal(check_cycle(f, &f->full, 0, &what), 4);
	assert_string_equal(what, "geo_results");
	assert_int_equal(check_cycle(f, &f->full, 0, &what), 0);
	sample_table(f, &f->full, 0, 2000);
}

/*
 * Malformed and truncated IP headers are reported, never classified; a
 * header cut short behind a sound one is not (see test_datapath_bpf).
 */
static void test_parser_rejects_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[EA_TEST_FRAME_MAX];
	ea_addr_t a;
	size_t len;

	assert_int_equal(ea_addr_parse("198.51.100.7", &a), 0);
	len = ea_test_udp_frame(pkt, a, false);
	pkt[14] = 0x44;				/* IHL 4: shorter than a header */
	assert_int_equal(kernel_classify(f, pkt, len), ~0u);
	assert_int_equal(f->skel->bss->last_status, 2);
	len = ea_test_udp_frame(pkt, a, false);
	pkt[14] = 0x65;				/* version 6 in an IPv4 frame */
	assert_int_equal(kernel_classify(f, pkt, len), ~0u);
	len = ea_test_udp_frame(pkt, a, false);
	pkt[14] = 0x4f;				/* IHL 15: ports beyond the end */
	assert_int_equal(kernel_classify(f, pkt, len), ~0u);
	assert_int_equal(f->skel->bss->last_status, 2);
	assert_int_equal(ea_addr_parse("2001:db8:2::1", &a), 0);
	len = ea_test_udp_frame(pkt, a, false);
	pkt[20] = 44;				/* fragment header that is not there */
	/* a sound fixed header: the walk ends there, the destination still counts */
	assert_int_not_equal(kernel_classify(f, pkt, EA_TEST_ETH_HLEN + 40), ~0u);
	assert_int_equal(f->skel->bss->last_status, 0);
	len = ea_test_udp_frame(pkt, a, false);
	pkt[12] = 0x08, pkt[13] = 0x06;		/* ARP */
	assert_int_equal(kernel_classify(f, pkt, len), ~0u);
	assert_int_equal(f->skel->bss->last_status, 1);
}

/* A non-first IPv4 fragment has no ports but is still classified. */
static void test_fragment_classified(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[EA_TEST_FRAME_MAX];
	ea_addr_t a;
	size_t len;

	f->skel->bss->geo_bank = 1;
	assert_int_equal(ea_addr_parse("198.51.100.7", &a), 0);
	len = ea_test_udp_frame(pkt, a, true);
	assert_int_equal(f->small.results[kernel_classify(f, pkt, len)].country,
			 ea_cc_pack("US"));
	assert_int_equal(f->skel->bss->last_status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_table_matches_user_space),
		cmocka_unit_test(test_small_table_and_policy),
		cmocka_unit_test(test_bank_switch),
		cmocka_unit_test(test_check_finds_and_repairs),
		cmocka_unit_test(test_parser_rejects_malformed),
		cmocka_unit_test(test_fragment_classified),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
