// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the interval lists (user/ivl.c): normalizing, layering,
 * coalescing and lookup against brute-force models, and the split of ranges
 * into CIDR prefixes checked for exact, minimal cover on random ranges.
 * Random inputs come from a fixed seed, so a failure repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivl.h"

#define U		256	/* addresses in an overlay model universe */
#define BIG_N		600000	/* intervals in the large-list tests */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: small, fast and good enough for test inputs. */
static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd64() % n);
}

static ea_addr_t rnd128(void)
{
	return ((ea_addr_t)rnd64() << 64) | rnd64();
}

/* Fail with both addresses in text when a != b. */
static void check_addr_eq(ea_addr_t a, ea_addr_t b, const char *what)
{
	char sa[EA_ADDR_STRLEN], sb[EA_ADDR_STRLEN];

	if (a != b)
		fail_msg("%s: %s != %s", what, ea_addr_format(a, sa),
			 ea_addr_format(b, sb));
}

static struct ea_ivl_val val_cc(uint16_t cc)
{
	struct ea_ivl_val v = { .cc = cc };

	return v;
}

static void push(struct ea_ivl_list *l, ea_addr_t s, ea_addr_t e,
		 struct ea_ivl_val val, uint32_t line)
{
	struct ea_ivl iv = { .start = s, .end = e, .val = val, .line = line };

	assert_int_equal(ea_ivl_push(l, &iv), 0);
}

static bool val_eq(struct ea_ivl_val a, struct ea_ivl_val b)
{
	return a.cc == b.cc && a.cc_src == b.cc_src && a.pol == b.pol &&
	       a.pol_src == b.pol_src;
}

/* Sorted by start, well formed and disjoint. */
static void check_normalized(const struct ea_ivl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		assert_true(l->v[i].start <= l->v[i].end);
		if (i)
			assert_true(l->v[i - 1].end < l->v[i].start);
	}
}

/* Pushes keep every element and grow the array in amortized steps. */
static void test_push_free(void **state)
{
	struct ea_ivl_list l = { 0 };
	size_t grows = 0, cap = 0;

	for (uint32_t i = 0; i < 100000; i++) {
		push(&l, i * 2, i * 2, val_cc((uint16_t)i), i);
		if (l.cap != cap) {
			grows++;
			cap = l.cap;
		}
	}
	assert_int_equal(l.n, 100000);
	assert_true(grows < 20);
	for (uint32_t i = 0; i < 100000; i++)
		assert_true(l.v[i].start == i * 2 && l.v[i].line == i);
	ea_ivl_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	ea_ivl_list_free(&l);
}

/* Shuffled disjoint input, made of a few sorted runs or random. */
static void check_sort(size_t n, bool runs)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err = { 0 };

	for (size_t i = 0; i < n; i++)
		push(&l, (ea_addr_t)i * 10, (ea_addr_t)i * 10 + 9,
		     val_cc((uint16_t)i), (uint32_t)i);
	if (runs) {
		/* rotate: two sorted runs, the second lower */
		size_t k = n / 3;
		struct ea_ivl *tmp = malloc(n * sizeof(*tmp));

		assert_non_null(tmp);
		memcpy(tmp, l.v + k, (n - k) * sizeof(*tmp));
		memcpy(tmp + (n - k), l.v, k * sizeof(*tmp));
		memcpy(l.v, tmp, n * sizeof(*tmp));
		free(tmp);
	} else {
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd64() % (i + 1);
			struct ea_ivl t = l.v[i];

			l.v[i] = l.v[j];
			l.v[j] = t;
		}
	}
	assert_int_equal(ea_ivl_normalize(&l, "t", &err), 0);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(l.v[i].start == (ea_addr_t)i * 10);
		assert_true(l.v[i].end == (ea_addr_t)i * 10 + 9);
		assert_int_equal(l.v[i].line, i);
		assert_int_equal(l.v[i].val.cc, (uint16_t)i);
	}
	ea_ivl_list_free(&l);
}

static void test_normalize_sorts(void **state)
{
	check_sort(1, false);
	check_sort(2, false);
	check_sort(1000, false);
	check_sort(1001, true);
	check_sort(100000, false);
	check_sort(BIG_N, true);
}

/* Normalize err, expecting -EINVAL and the exact message. */
static void check_normalize_err(struct ea_ivl_list *l, const char *msg)
{
	struct ea_err err = { 0 };

	assert_int_equal(ea_ivl_normalize(l, "geo.csv", &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	ea_ivl_list_free(l);
}

static void test_normalize_overlap(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err = { 0 };

	push(&l, 10, 20, val_cc(1), 3);
	push(&l, 15, 30, val_cc(2), 7);
	check_normalize_err(&l, "geo.csv: line 7 overlaps line 3");

	push(&l, 15, 30, val_cc(1), 3);
	push(&l, 40, 50, val_cc(1), 5);
	push(&l, 10, 15, val_cc(2), 7);
	check_normalize_err(&l, "geo.csv: line 7 overlaps line 3");

	push(&l, 100, 200, val_cc(1), 2);
	push(&l, 0, 1000, val_cc(2), 9);
	check_normalize_err(&l, "geo.csv: line 9 overlaps line 2");

	push(&l, 5, 5, val_cc(1), 4);
	push(&l, 5, 5, val_cc(2), 6);
	check_normalize_err(&l, "geo.csv: line 6 overlaps line 4");

	push(&l, 0, EA_ADDR_MAX, val_cc(1), 1);
	push(&l, EA_ADDR_MAX, EA_ADDR_MAX, val_cc(2), 2);
	check_normalize_err(&l, "geo.csv: line 2 overlaps line 1");

	push(&l, 9, 8, val_cc(1), 12);
	check_normalize_err(&l, "geo.csv: line 12: range start after end");

	/* adjacent intervals are fine, up to the last address */
	push(&l, 20, 29, val_cc(1), 2);
	push(&l, 10, 19, val_cc(1), 1);
	push(&l, 30, EA_ADDR_MAX - 1, val_cc(1), 3);
	push(&l, EA_ADDR_MAX, EA_ADDR_MAX, val_cc(1), 4);
	push(&l, 0, 9, val_cc(1), 5);
	assert_int_equal(ea_ivl_normalize(&l, "geo.csv", &err), 0);
	check_normalized(&l);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.v[0].line, 5);
	assert_int_equal(l.v[4].line, 4);
	ea_ivl_list_free(&l);

	assert_int_equal(ea_ivl_normalize(&l, "geo.csv", &err), 0);
}

/* A brute-force picture of a list over the universe [off, off + U). */
struct paint {
	bool cov[U];
	struct ea_ivl_val val[U];
	uint32_t line[U];
};

static struct ea_ivl_val rnd_val(void)
{
	struct ea_ivl_val v = { 0 };

	/* each field unset one time in three */
	v.cc = rnd_below(3) ? (uint16_t)(1 + rnd_below(4)) : 0;
	v.cc_src = rnd_below(3) ? (uint16_t)(1 + rnd_below(4)) : 0;
	v.pol = rnd_below(3) ? (uint16_t)(1 + rnd_below(4)) : 0;
	v.pol_src = rnd_below(3) ? (uint16_t)(1 + rnd_below(4)) : 0;
	return v;
}

/*
 * A random normalized list inside the universe, with touching neighbours,
 * gaps, and sometimes intervals at both ends of the universe.
 */
static void gen_list(struct ea_ivl_list *l, struct paint *p, ea_addr_t off,
		     uint32_t line0)
{
	unsigned int pos = rnd_below(3) ? rnd_below(24) : 0;
	unsigned int maxlen = 1 + rnd_below(rnd_below(2) ? 8 : 96);

	memset(p, 0, sizeof(*p));
	if (!rnd_below(8))
		return;
	while (pos < U) {
		unsigned int end = pos + rnd_below(maxlen);
		struct ea_ivl_val v = rnd_val();
		uint32_t line = line0 + (uint32_t)l->n;

		if (end >= U || !rnd_below(40))
			end = U - 1;
		push(l, off + pos, off + end, v, line);
		for (unsigned int a = pos; a <= end; a++) {
			p->cov[a] = true;
			p->val[a] = v;
			p->line[a] = line;
		}
		pos = end + 1 + (rnd_below(3) ? rnd_below(maxlen) : 0);
	}
}

/* Overlay two random lists and compare with painting one over the other. */
static void check_overlay_model(ea_addr_t off)
{
	struct ea_ivl_list b = { 0 }, t = { 0 }, out = { 0 };
	struct paint pb, pt, po;

	gen_list(&b, &pb, off, 1);
	gen_list(&t, &pt, off, 1000);
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	check_normalized(&out);
	assert_true(out.n <= 2 * (b.n + t.n));
	memset(&po, 0, sizeof(po));
	for (size_t i = 0; i < out.n; i++) {
		const struct ea_ivl *iv = &out.v[i];

		assert_true(iv->start >= off && iv->end <= off + (U - 1));
		for (ea_addr_t a = iv->start - off;; a++) {
			po.cov[a] = true;
			po.val[a] = iv->val;
			po.line[a] = iv->line;
			if (a == iv->end - off)
				break;
		}
	}
	for (unsigned int a = 0; a < U; a++) {
		struct ea_ivl_val want = pb.val[a];

		if (pt.cov[a]) {
			want.cc = pt.val[a].cc ? pt.val[a].cc : want.cc;
			want.cc_src = pt.val[a].cc_src ? pt.val[a].cc_src :
							 want.cc_src;
			want.pol = pt.val[a].pol ? pt.val[a].pol : want.pol;
			want.pol_src = pt.val[a].pol_src ? pt.val[a].pol_src :
							   want.pol_src;
		}
		assert_int_equal(po.cov[a], pb.cov[a] || pt.cov[a]);
		if (!po.cov[a])
			continue;
		if (!val_eq(po.val[a], want))
			fail_msg("address +%u: value differs", a);
		assert_int_equal(po.line[a], pt.cov[a] ? pt.line[a] : pb.line[a]);
	}
	ea_ivl_list_free(&b);
	ea_ivl_list_free(&t);
	ea_ivl_list_free(&out);
}

static void test_overlay_random(void **state)
{
	const ea_addr_t offs[] = {
		0, EA_V4_BASE + 0x0a000000, EA_V4_LAST - (U - 1),
		EA_ADDR_MAX - (U - 1),
	};

	for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++)
		for (int i = 0; i < 1500; i++)
			check_overlay_model(offs[k]);
}

/* out must cover [0, EA_ADDR_MAX] without gaps. */
static void check_covers_all(const struct ea_ivl_list *l)
{
	assert_true(l->n > 0);
	check_addr_eq(l->v[0].start, 0, "first start");
	check_addr_eq(l->v[l->n - 1].end, EA_ADDR_MAX, "last end");
	for (size_t i = 1; i < l->n; i++)
		check_addr_eq(l->v[i].start, l->v[i - 1].end + 1, "gap");
}

static void test_overlay_edges(void **state)
{
	struct ea_ivl_list b = { 0 }, t = { 0 }, out = { 0 };
	const ea_addr_t m = EA_ADDR_MAX;
	struct ea_ivl_val bv = { .cc = 1, .cc_src = 1 };
	struct ea_ivl_val tv = { .pol = 3, .pol_src = 2 };
	struct ea_ivl_val both = { .cc = 1, .cc_src = 1, .pol = 3, .pol_src = 2 };

	/* both empty, base empty, top empty */
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	assert_int_equal(out.n, 0);
	push(&t, 5, m, tv, 1);
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	assert_int_equal(out.n, 1);
	assert_true(out.v[0].start == 5 && out.v[0].end == m);
	assert_true(ea_ivl_overlay(&t, &b, &out) == 0 && out.n == 1);
	assert_true(val_eq(out.v[0].val, tv));
	ea_ivl_list_free(&t);

	/* top covers everything, base in pieces touching both ends */
	push(&b, 0, 9, bv, 1);
	push(&b, 100, 199, bv, 2);
	push(&b, m - 9, m, bv, 3);
	push(&t, 0, m, tv, 4);
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	check_covers_all(&out);
	assert_int_equal(out.n, 5);
	assert_true(val_eq(out.v[0].val, both) && out.v[0].end == 9);
	assert_true(val_eq(out.v[1].val, tv) && out.v[1].end == 99);
	assert_true(val_eq(out.v[2].val, both) && out.v[2].end == 199);
	assert_true(val_eq(out.v[3].val, tv) && out.v[3].end == m - 10);
	assert_true(val_eq(out.v[4].val, both) && out.v[4].start == m - 9);

	/* the same lists swapped: base covers everything */
	assert_int_equal(ea_ivl_overlay(&t, &b, &out), 0);
	check_covers_all(&out);
	assert_int_equal(out.n, 5);
	assert_true(val_eq(out.v[4].val, both) && out.v[4].line == 3);
	ea_ivl_list_free(&b);
	ea_ivl_list_free(&t);

	/* single last address on both sides */
	push(&b, m - 1, m, bv, 1);
	push(&t, m, m, tv, 2);
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	assert_int_equal(out.n, 2);
	assert_true(out.v[0].start == m - 1 && out.v[0].end == m - 1);
	assert_true(out.v[1].start == m && out.v[1].end == m);
	assert_true(val_eq(out.v[1].val, both));

	/* layering in place: out is base */
	assert_int_equal(ea_ivl_overlay(&b, &t, &b), 0);
	assert_int_equal(b.n, 2);
	assert_true(val_eq(b.v[1].val, both));
	ea_ivl_list_free(&b);
	ea_ivl_list_free(&t);
	ea_ivl_list_free(&out);
}

/* Large lists: linear time, and the result stays normalized. */
static void test_overlay_big(void **state)
{
	struct ea_ivl_list b = { 0 }, t = { 0 }, out = { 0 };
	struct ea_err err = { 0 };

	for (uint32_t i = 0; i < BIG_N; i++) {
		ea_addr_t s = EA_V4_BASE + (ea_addr_t)i * 4096;

		push(&b, s, s + 4095, val_cc((uint16_t)(1 + i % 7)), i + 1);
		push(&t, s + 1024, s + 2047, val_cc((uint16_t)(1 + i % 5)), i + 1);
	}
	assert_int_equal(ea_ivl_normalize(&b, "base", &err), 0);
	assert_int_equal(ea_ivl_normalize(&t, "top", &err), 0);
	assert_int_equal(ea_ivl_overlay(&b, &t, &out), 0);
	assert_int_equal(out.n, 3 * (size_t)BIG_N);
	check_normalized(&out);
	ea_ivl_coalesce(&out);
	check_normalized(&out);
	ea_ivl_list_free(&b);
	ea_ivl_list_free(&t);
	ea_ivl_list_free(&out);
}

static void test_coalesce(void **state)
{
	struct ea_ivl_list l = { 0 };
	const ea_addr_t m = EA_ADDR_MAX;

	ea_ivl_coalesce(&l);
	assert_int_equal(l.n, 0);
	push(&l, 0, 9, val_cc(1), 1);
	push(&l, 10, 19, val_cc(1), 2);
	push(&l, 20, 29, val_cc(2), 3);
	push(&l, 31, 40, val_cc(2), 4);
	push(&l, 41, m - 1, val_cc(2), 5);
	push(&l, m, m, val_cc(2), 6);
	ea_ivl_coalesce(&l);
	assert_int_equal(l.n, 3);
	assert_true(l.v[0].start == 0 && l.v[0].end == 19 && l.v[0].line == 1);
	assert_true(l.v[1].start == 20 && l.v[1].end == 29);
	assert_true(l.v[2].start == 31 && l.v[2].end == m && l.v[2].line == 4);
	ea_ivl_list_free(&l);

	/* values differing in one field only stay apart */
	push(&l, 0, m - 1, val_cc(1), 1);
	push(&l, m, m, (struct ea_ivl_val){ .cc = 1, .pol_src = 1 }, 2);
	ea_ivl_coalesce(&l);
	assert_int_equal(l.n, 2);
	ea_ivl_list_free(&l);
}

/* The index holding a by linear scan, or -1. */
static long find_linear(const struct ea_ivl_list *l, ea_addr_t a)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].start <= a && a <= l->v[i].end)
			return (long)i;
	return -1;
}

static void test_find(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct paint p;
	const ea_addr_t m = EA_ADDR_MAX;

	assert_int_equal(ea_ivl_find(&l, 0), -1);
	assert_int_equal(ea_ivl_find(&l, m), -1);
	for (int round = 0; round < 200; round++) {
		gen_list(&l, &p, round & 1 ? m - (U - 1) : 0, 1);
		for (int a = -2; a < U + 2; a++) {
			ea_addr_t x = (round & 1 ? m - (U - 1) : 0) + (ea_addr_t)a;

			assert_int_equal(ea_ivl_find(&l, x), find_linear(&l, x));
		}
		ea_ivl_list_free(&l);
	}
	push(&l, 0, 0, val_cc(1), 1);
	push(&l, 2, m, val_cc(1), 2);
	assert_int_equal(ea_ivl_find(&l, 0), 0);
	assert_int_equal(ea_ivl_find(&l, 1), -1);
	assert_int_equal(ea_ivl_find(&l, m), 1);
	ea_ivl_list_free(&l);
}

/* Host-bit mask of a block of 2^bits addresses. */
static ea_addr_t host_mask(unsigned int bits)
{
	return bits >= 128 ? EA_ADDR_MAX : ((ea_addr_t)1 << bits) - 1;
}

/*
 * Reference split, independent of the greedy walk: descend the prefix tree
 * and take every block inside [s, e] whose parent is not, in address order.
 */
static void ref_cidrs(ea_addr_t lo, unsigned int bits, ea_addr_t s, ea_addr_t e,
		      struct ea_cidr *out, int *n)
{
	ea_addr_t hi = lo | host_mask(bits);

	if (hi < s || lo > e)
		return;
	if (lo >= s && hi <= e) {
		assert_true(*n < 256);
		out[*n].addr = lo;
		out[*n].len = (uint8_t)(128 - bits);
		(*n)++;
		return;
	}
	ref_cidrs(lo, bits - 1, s, e, out, n);
	ref_cidrs(lo | ((ea_addr_t)1 << (bits - 1)), bits - 1, s, e, out, n);
}

/*
 * Split [s, e] and check: aligned prefixes in order, contiguous, covering
 * exactly [s, e]; no two neighbours are siblings (a partition of a range
 * into aligned blocks is minimal iff no sibling pair can merge); and the
 * same list as the tree reference. Returns the count.
 */
static int check_cidrs(ea_addr_t s, ea_addr_t e)
{
	struct ea_cidr out[257], ref[256];
	int n, nref = 0;

	out[256].len = 0xaa;
	n = ea_range_to_cidrs(s, e, out, 256);
	assert_true(n >= 1 && n <= 254 && out[256].len == 0xaa);
	assert_int_equal(ea_range_to_cidrs(s, e, NULL, 0), n);
	check_addr_eq(out[0].addr, s, "first prefix");
	for (int i = 0; i < n; i++) {
		assert_true(out[i].len <= 128);
		assert_true((out[i].addr & ~ea_prefix_mask(out[i].len)) == 0);
		if (i == 0)
			continue;
		check_addr_eq(out[i].addr, ea_cidr_last(&out[i - 1]) + 1, "gap");
		if (out[i].len == out[i - 1].len && out[i].len > 0) {
			ea_addr_t bit = (ea_addr_t)1 << (128 - out[i].len);

			if (!(out[i - 1].addr & bit))
				fail_msg("prefixes %d and %d are siblings", i - 1, i);
		}
	}
	check_addr_eq(ea_cidr_last(&out[n - 1]), e, "last address");
	ref_cidrs(0, 128, s, e, ref, &nref);
	assert_int_equal(n, nref);
	for (int i = 0; i < n; i++)
		assert_true(out[i].addr == ref[i].addr && out[i].len == ref[i].len);
	return n;
}

/* Prefix count by brute force over blocks of a 16-bit space. */
static int count16(uint32_t s, uint32_t e)
{
	int n = 0;

	for (unsigned int k = 0; k <= 16; k++) {
		for (uint32_t b = s >> k; b <= e >> k; b++) {
			uint32_t lo = b << k, hi = lo + (1u << k) - 1;
			uint32_t plo = lo & ~((2u << k) - 1);
			uint32_t phi = plo + (2u << k) - 1;
			bool in = lo >= s && hi <= e;
			bool parent_in = k < 16 && plo >= s && phi <= e;

			if (in && !parent_in)
				n++;
		}
	}
	return n;
}

/* A random start, sometimes with many low zero bits. */
static ea_addr_t rnd_start(void)
{
	ea_addr_t a = rnd128();

	if (rnd_below(2))
		a &= ~host_mask(rnd_below(129));
	return a;
}

static void test_cidrs_random(void **state)
{
	const ea_addr_t m = EA_ADDR_MAX;
	int i;

	assert_int_equal(check_cidrs(0, m), 1);
	assert_int_equal(check_cidrs(0, 0), 1);
	assert_int_equal(check_cidrs(m, m), 1);
	assert_int_equal(check_cidrs(1, m), 128);
	assert_int_equal(check_cidrs(0, m - 1), 128);
	assert_int_equal(check_cidrs(1, m - 1), 254);
	assert_int_equal(check_cidrs(EA_V4_BASE, EA_V4_LAST), 1);
	for (i = 0; i < 7000; i++) {
		/* small width anywhere in the 128-bit space */
		ea_addr_t s = rnd_start(), e = s + rnd_below(70000);

		check_cidrs(s, e < s ? m : e);
	}
	for (i = 0; i < 7000; i++) {
		/* full width */
		ea_addr_t a = rnd_start(), b = rnd_below(4) ? rnd128() : m - rnd_below(9);

		check_cidrs(a < b ? a : b, a < b ? b : a);
	}
	for (i = 0; i < 6000; i++) {
		/* IPv4-mapped */
		uint32_t a = (uint32_t)rnd64(), b = (uint32_t)rnd64();
		int n;

		if (rnd_below(2))
			a &= ~0u << rnd_below(32);
		if (a > b) {
			uint32_t x = a;

			a = b;
			b = x;
		}
		n = check_cidrs(ea_addr_from_v4(a), ea_addr_from_v4(b));
		assert_true(n <= 62);
	}
	for (i = 0; i < 1500; i++) {
		uint32_t a = rnd_below(1u << 16), b = rnd_below(1u << 16);

		if (a > b) {
			uint32_t x = a;

			a = b;
			b = x;
		}
		assert_int_equal(check_cidrs(a, b), count16(a, b));
	}
}

/* Writing stops at max, but the full count is returned. */
static void test_cidrs_max(void **state)
{
	struct ea_cidr out[3] = { 0 };

	assert_int_equal(ea_range_to_cidrs(1, 14, out, 2), 6);
	assert_true(out[0].addr == 1 && out[0].len == 128);
	assert_true(out[1].addr == 2 && out[1].len == 127);
	assert_int_equal(out[2].len, 0);
	assert_int_equal(ea_range_to_cidrs(5, 4, out, 3), 0);
}

static void check_cidr_of(ea_addr_t s, ea_addr_t e)
{
	struct ea_cidr out[256], c;
	int n = ea_range_to_cidrs(s, e, out, 256);

	for (int i = 0; i < n; i++) {
		ea_addr_t last = ea_cidr_last(&out[i]);
		ea_addr_t probes[3] = {
			out[i].addr, last,
			out[i].addr + (rnd128() & (last - out[i].addr)),
		};

		for (int k = 0; k < 3; k++) {
			c = ea_range_cidr_of(s, e, probes[k]);
			assert_true(c.addr == out[i].addr && c.len == out[i].len);
		}
	}
	if (s > 0) {
		c = ea_range_cidr_of(s, e, s - 1);
		assert_true(c.addr == s - 1 && c.len == 128);
	}
}

static void test_cidr_of(void **state)
{
	struct ea_cidr c;

	c = ea_range_cidr_of(0, EA_ADDR_MAX, 12345);
	assert_true(c.addr == 0 && c.len == 0);
	c = ea_range_cidr_of(ea_addr_from_v4(0x0a000000), ea_addr_from_v4(0x0a0001ff),
			     ea_addr_from_v4(0x0a000180));
	assert_true(c.addr == ea_addr_from_v4(0x0a000000) && c.len == 96 + 23);
	check_cidr_of(0, EA_ADDR_MAX);
	check_cidr_of(1, EA_ADDR_MAX - 1);
	for (int i = 0; i < 1000; i++) {
		ea_addr_t a = rnd_start(), b = rnd128();

		check_cidr_of(a < b ? a : b, a < b ? b : a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_free),
		cmocka_unit_test(test_normalize_sorts),
		cmocka_unit_test(test_normalize_overlap),
		cmocka_unit_test(test_overlay_random),
		cmocka_unit_test(test_overlay_edges),
		cmocka_unit_test(test_overlay_big),
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_cidrs_random),
		cmocka_unit_test(test_cidrs_max),
		cmocka_unit_test(test_cidr_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
