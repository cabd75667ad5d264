// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the record encoding (user/rec_codec.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec_codec.h"
#include "rec_synth.h"

static struct ea_rec_ctx enc_ctx, dec_ctx;

/* Whether two records hold the same fields (seq and chain aside). */
static void assert_same(const struct ea_rec *a, const struct ea_rec *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->ts_ns, b->ts_ns);
	assert_string_equal(a->host, b->host);
	assert_memory_equal(&a->verdict, &b->verdict,
			    offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict));
	assert_string_equal(a->comm, b->comm);
	assert_string_equal(a->cgroup, b->cgroup);
	assert_string_equal(a->labels, b->labels);
	assert_string_equal(a->evidence, b->evidence);
	assert_int_equal(a->count, b->count);
	assert_string_equal(a->what, b->what);
	assert_string_equal(a->detail, b->detail);
}

static struct ea_rec *new_rec(void)
{
	struct ea_rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

/* Encode then decode n synthetic records in one block context. */
static void test_roundtrip_synthetic(void **state)
{
	struct ea_rec *r = new_rec(), *d = new_rec();
	uint8_t buf[EA_REC_ENC_MAX];
	struct ea_synth s;
	const char *why = NULL;

	(void)state;
	ea_synth_init(&s, 7, "host-a", 1764000000000000000ll, r);
	ea_rec_ctx_reset(&enc_ctx);
	ea_rec_ctx_reset(&dec_ctx);
	for (int i = 0; i < 20000; i++) {
		size_t n;

		ea_synth_next(&s, r);
		n = ea_rec_encode(&enc_ctx, r, buf);
		assert_true(n > 3 && n < EA_REC_ENC_MAX);
		if (ea_rec_decode(&dec_ctx, buf, n, d, &why))
			fail_msg("record %d: %s", i, why);
		assert_same(r, d);
	}
	free(r);
	free(d);
}

/* Every field at its largest, and strings at their longest. */
static void test_roundtrip_extremes(void **state)
{
	struct ea_rec *r = new_rec(), *d = new_rec();
	uint8_t buf[EA_REC_ENC_MAX];
	const char *why = NULL;
	size_t n;

	(void)state;
	r->kind = EA_REC_FLOW_END;
	r->ts_ns = INT64_MIN + 5;
	r->start_ns = INT64_MAX;
	memset(r->host, 'h', sizeof(r->host) - 1);
	r->verdict = r->proto = r->ip_proto = r->family = r->origin = r->zone = 255;
	r->mapped = r->routed = 1;	/* flags: every bit the class byte holds */
	r->country = 0xffff;
	r->sport = r->dport = 65535;
	memset(r->src, 0xff, 16);
	memset(r->dst, 0xfe, 16);
	r->pid = r->uid = UINT32_MAX;
	r->tid = 1;
	r->gid = 0;
	r->ifindex = UINT32_MAX;
	r->cgroup_id = r->cookie = r->bytes = r->packets = r->count = UINT64_MAX;
	memset(r->comm, 'c', sizeof(r->comm) - 1);
	memset(r->cgroup, 'g', sizeof(r->cgroup) - 1);
	memset(r->labels, 'l', sizeof(r->labels) - 1);
	memset(r->evidence, 'e', sizeof(r->evidence) - 1);
	memset(r->what, 'w', sizeof(r->what) - 1);
	memset(r->detail, 'd', sizeof(r->detail) - 1);
	ea_rec_ctx_reset(&enc_ctx);
	ea_rec_ctx_reset(&dec_ctx);
	n = ea_rec_encode(&enc_ctx, r, buf);
	assert_true(n <= EA_REC_ENC_MAX);
	assert_int_equal(ea_rec_decode(&dec_ctx, buf, n, d, &why), 0);
	assert_same(r, d);
	free(r);
	free(d);
}

/* A record uses only the fields its kind has: a lost record is small. */
static void test_compact(void **state)
{
	struct ea_rec *r = new_rec();
	uint8_t buf[EA_REC_ENC_MAX];

	(void)state;
	r->kind = EA_REC_LOST;
	r->ts_ns = 1764000000000000000ll;
	strcpy(r->host, "h");
	r->count = 5;
	strcpy(r->what, "flow_end");
	ea_rec_ctx_reset(&enc_ctx);
	assert_true(ea_rec_encode(&enc_ctx, r, buf) < 32);
	/* the same host again: one byte */
	r->ts_ns += 1000;
	assert_true(ea_rec_encode(&enc_ctx, r, buf) < 20);
	free(r);
}

/* Decode must refuse, with a reason, and never read past the input. */
static void expect_bad(const uint8_t *p, size_t n, const char *what)
{
	struct ea_rec *d = new_rec();
	uint8_t *copy = malloc(n ? n : 1);
	const char *why = NULL;

	memcpy(copy, p, n);
	ea_rec_ctx_reset(&dec_ctx);
	if (ea_rec_decode(&dec_ctx, copy, n, d, &why) != -EINVAL)
		fail_msg("%s: accepted", what);
	assert_non_null(why);
	free(copy);
	free(d);
}

static void test_hostile(void **state)
{
	static const uint8_t empty[1];
	static const uint8_t kind0[] = { 0, 0, 0, 0, 0 };
	static const uint8_t kind99[] = { 99, 0, 0, 0, 0 };
	static const uint8_t base_ref[] = { 1, 1, 0, 0, 0 };
	static const uint8_t mask_big[] = { 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0 };
	static const uint8_t varint_long[] = { 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0x7f, 0 };
	static const uint8_t host_long[] = { 1, 0, 0, 0, 0xfe, 0x7f, 'a' };
	static const uint8_t host_nul[] = { 1, 0, 0, 0, 4, 'a', 0 };
	static const uint8_t host_ref[] = { 1, 0, 0, 0, 1 };
	static const uint8_t trailing[] = { 4, 0, 0, 0, 0, 9 };
	static const uint8_t class_short[] = { 1, 0, 4, 0, 0, 4, 1, 2 };
	static const uint8_t addr_bad[] = { 1, 0, 0x40, 0, 0, 6, 1, 2, 3 };
	static const uint8_t str_past[] = { 4, 0, 0x80, 0x80, 0x40, 0, 0, 0x7f, 'x' };

	(void)state;
	expect_bad(empty, 0, "empty");
	expect_bad(kind0, sizeof(kind0), "kind 0");
	expect_bad(kind99, sizeof(kind99), "kind 99");
	expect_bad(base_ref, sizeof(base_ref), "reference to a flow not seen");
	expect_bad(mask_big, sizeof(mask_big), "unknown mask bits");
	expect_bad(varint_long, sizeof(varint_long), "varint over 64 bits");
	expect_bad(host_long, sizeof(host_long), "host longer than the input");
	expect_bad(host_nul, sizeof(host_nul), "NUL in a string");
	expect_bad(host_ref, sizeof(host_ref), "reference to a value not seen");
	expect_bad(trailing, sizeof(trailing), "trailing bytes");
	expect_bad(class_short, sizeof(class_short), "class of 2 bytes");
	expect_bad(addr_bad, sizeof(addr_bad), "address of 3 bytes");
	expect_bad(str_past, sizeof(str_past), "detail past the end");
}

/* Every truncation of a valid record is refused. */
static void test_truncations(void **state)
{
	struct ea_rec *r = new_rec();
	uint8_t buf[EA_REC_ENC_MAX];
	struct ea_synth s;
	size_t n;

	(void)state;
	ea_synth_init(&s, 3, "host-b", 1764000000000000000ll, r);
	for (int i = 0; i < 50; i++) {
		ea_synth_next(&s, r);
		ea_rec_ctx_reset(&enc_ctx);
		n = ea_rec_encode(&enc_ctx, r, buf);
		for (size_t k = 0; k < n; k++)
			expect_bad(buf, k, "truncated");
	}
	free(r);
}

static void test_varint(void **state)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, UINT32_MAX,
					 (uint64_t)1 << 63, UINT64_MAX };
	uint8_t buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = ea_varint_put(buf, vals[i]);
		const uint8_t *p = buf;
		uint64_t v;

		assert_true(n >= 1 && n <= 10);
		assert_int_equal(ea_varint_get(&p, buf + n, &v), 0);
		assert_true(v == vals[i]);
		assert_ptr_equal(p, buf + n);
		p = buf;
		if (n > 1)
			assert_int_equal(ea_varint_get(&p, buf + n - 1, &v), -EINVAL);
	}
}

/*
 * Varints of every length followed by more input (bytes with and without
 * the continuation bit), as in a block: read whole, no byte past their end.
 */
static void test_varint_in_stream(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint8_t buf[32];

	(void)state;
	for (unsigned int bits = 0; bits <= 64; bits++) {
		for (int k = 0; k < 200; k++) {
			uint64_t want, v;
			const uint8_t *p = buf;
			size_t n;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			want = bits == 64 ? seed : bits ? (seed & ((1ull << bits) - 1)) | 1ull << (bits - 1) : 0;
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (uint8_t)(seed >> (8 * (i % 8)) ^ (k & 1 ? 0x80 : 0) ^ i);
			n = ea_varint_put(buf, want);
			assert_int_equal(ea_varint_get(&p, buf + sizeof(buf), &v), 0);
			assert_true(v == want);
			assert_ptr_equal(p, buf + n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_synthetic),
		cmocka_unit_test(test_roundtrip_extremes),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_varint_in_stream),
	};

	ea_rec_ctx_init(&enc_ctx);
	ea_rec_ctx_init(&dec_ctx);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
