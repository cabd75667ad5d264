// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record output with hostile strings: JSON escaping (quotes, backslashes,
 * control bytes, invalid UTF-8), the readable form's \xNN escaping, the
 * labels and evidence lists, and the contract keys of a flow record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "json_check.h"
#include "rec_test_util.h"
#include "record.h"
#include "sbuf.h"
#include "util.h"

/* What fn wrote to a memory stream. */
static char *capture_json_str(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ea_json_str(f, in);
	fclose(f);
	return buf;
}

static void expect_json(const char *in, const char *want)
{
	char *got = capture_json_str(in);

	if (strcmp(got, want))
		fail_msg("json of %s: got %s want %s", in, got, want);
	free(got);
}

static void test_json_escapes(void **state)
{
	expect_json("plain", "\"plain\"");
	expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"");
	expect_json("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	expect_json("\b\f", "\"\\b\\f\"");
	expect_json("|=]", "\"|=]\"");
}

static void test_json_utf8(void **state)
{
	expect_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	expect_json("\xff", "\"\\ufffd\"");
	expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong '/' */
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	expect_json("\xe2\x82", "\"\\ufffd\\ufffd\"");		/* truncated */
	expect_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	/* C1 controls and the Unicode line and paragraph separators: escaped */
	expect_json("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9\xc2\x80\xc2\x9f",
		    "\"a\\u0085b\\u2028c\\u2029\\u0080\\u009f\"");
	/* their neighbours are kept */
	expect_json("\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa", "\"\xc2\xa0\xe2\x80\xa7\xe2\x80\xaa\"");
}

static char *print(const struct ea_rec *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ea_rec_print(f, json, r);
	fclose(f);
	return buf;
}

static void expect_in(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing %s in %s", needle, hay);
}

/* r printed (as JSON or text) holds want, on one line that ends it. */
static void expect_line(const struct ea_rec *r, bool json, const char *want)
{
	char *out = print(r, json);

	expect_in(out, want);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

static void test_flow_json_keys(void **state)
{
	struct ea_rec r;
	char *out;

	rt_flow_rec(&r, "curl");
	out = print(&r, true);
	expect_in(out, "{\"event\":\"flow_end\",\"ts\":\"2025-11-29T05:30:00.123456Z\",\"host\":\"db-01\"");
	expect_in(out, "\"verdict\":\"flagged\",\"proto\":\"tcp\",\"family\":4,\"src\":\"192.0.2.1\","
		       "\"sport\":40000,\"dst\":\"198.51.100.7\",\"dport\":443,\"country\":\"US\","
		       "\"zone\":\"adequacy-partial\",\"pid\":42,");
	expect_in(out, "\"comm\":\"curl\",\"uid\":1000,");
	expect_in(out, "\"cgroup\":\"/eu.slice\"");
	expect_in(out, "\"bytes\":1500,\"packets\":3,\"start\":\"2025-11-29T05:29:58.123456Z\"");
	expect_in(out, "\"labels\":[\"eu-users\",\"host\"]");
	expect_in(out, "\"evidence\":{\"eu-users\":[\"file /srv/eu/.../a%3Bb (inode 7)\","
		       "\"cgroup /eu.slice\"],\"host\":[\"cgroup /\"]}");
	expect_in(out, "\"mapped\":false,\"routed\":false}");
	assert_int_equal(out[strlen(out) - 1], '\n');
	free(out);
	r.routed = 1;
	out = print(&r, true);
	expect_in(out, "\"mapped\":false,\"routed\":true}");
	free(out);
}

static void test_hostile_comm(void **state)
{
	struct ea_rec r;
	char *out;

	rt_flow_rec(&r, "a|b=c\\d]\"e\nf\t\xff");
	out = print(&r, true);
	expect_in(out, "\"comm\":\"a|b=c\\\\d]\\\"e\\nf\\t\\ufffd\"");
	assert_null(strchr(out, '\t'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	expect_line(&r, false, "comm=a|b=c\\x5cd]\"e\\x0af\\x09\\xff ");
}

static void test_lost_record(void **state)
{
	struct ea_rec r = { .kind = EA_REC_LOST, .ts_ns = 1764394200000000000ll, .count = 17 };
	char *out;

	snprintf(r.host, sizeof(r.host), "h");
	snprintf(r.what, sizeof(r.what), "flow_end");
	out = print(&r, true);
	assert_string_equal(out, "{\"event\":\"lost\",\"ts\":\"2025-11-29T05:30:00.000000Z\","
				 "\"host\":\"h\",\"what\":\"flow_end\",\"count\":17}\n");
	free(out);
	out = print(&r, false);
	expect_in(out, " lost        17 flow_end events (ring buffer full)\n");
	free(out);
}

/* A lost record's cause is its detail's first key: a value that spells one is none. */
static void test_lost_causes(void **state)
{
	static const struct {
		const char *detail;
		enum ea_lost_cause cause;
		const char *text;
	} cases[] = {
		{ "", EA_LOST_RING, "17 flow_end events (ring buffer full)" },
		{ "{\"reason\":\"flood_limit\",\"pid\":3,\"comm\":\"x\"}", EA_LOST_REFUSED,
		  "17 flow_end events (refused) {" },
		{ "{\"reason\":\"skipped\",\"program\":\"tcp_state\"}", EA_LOST_SKIPPED,
		  "17 flow_end events (skipped by the kernel) {\"reason\":\"skipped\"" },
		{ "{\"program\":\"{\\\"reason\\\":\\\"skipped\\\"\"}", EA_LOST_RING,
		  "(ring buffer full)" },
		{ "{\"reason\":\"skippedx\"}", EA_LOST_RING, "(ring buffer full)" },
	};
	struct ea_rec r = { .kind = EA_REC_LOST, .ts_ns = 1764394200000000000ll, .count = 17 };

	(void)state;
	snprintf(r.host, sizeof(r.host), "h");
	snprintf(r.what, sizeof(r.what), "flow_end");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;

		snprintf(r.detail, sizeof(r.detail), "%s", cases[i].detail);
		assert_int_equal(ea_rec_lost_cause(&r), cases[i].cause);
		out = print(&r, false);
		expect_in(out, cases[i].text);
		free(out);
	}
}

/*
 * What a hostile trail may hold comes out as valid JSON: a detail that is
 * no JSON object as a string, a country of other bytes than letters as ??.
 */
static void test_hostile_detail_country(void **state)
{
	struct ea_rec r = { .kind = EA_REC_HEARTBEAT, .ts_ns = 1764394200000000000ll };
	char *out;

	(void)state;
	snprintf(r.host, sizeof(r.host), "h");
	snprintf(r.detail, sizeof(r.detail), "not json \"x");
	out = print(&r, true);
	expect_in(out, ",\"detail\":\"not json \\\"x\"}");
	free(out);
	snprintf(r.detail, sizeof(r.detail), "{\"a\":1}");
	out = print(&r, true);
	expect_in(out, ",\"detail\":{\"a\":1}}");
	free(out);
	/* valid JSON, but across lines or with bytes of no character: a string */
	snprintf(r.detail, sizeof(r.detail), "{\n\"a\":1}");
	expect_line(&r, true, ",\"detail\":\"{\\n\\\"a\\\":1}\"}\n");
	expect_line(&r, false, " {\\x0a\"a\":1}\n");
	snprintf(r.detail, sizeof(r.detail), "{\"a\":\"\xff\"}");
	expect_line(&r, true, ",\"detail\":\"{\\\"a\\\":\\\"\\ufffd\\\"}\"}");
	/* a line separator, which some readers take for a line end */
	snprintf(r.detail, sizeof(r.detail), "{\"a\":\"\xe2\x80\xa8\"}");
	expect_line(&r, true, ",\"detail\":\"{\\\"a\\\":\\\"\\u2028\\\"}\"}");
	rt_flow_rec(&r, "curl");
	r.country = (uint16_t)('"' << 8 | '\n');
	out = print(&r, true);
	expect_in(out, "\"country\":\"??\"");
	free(out);
}

static void test_kind_names(void **state)
{
	for (int k = 1; k < EA_REC_KIND_MAX; k++)
		assert_int_equal(ea_rec_kind_parse(ea_rec_kind_name((uint32_t)k)), k);
	assert_int_equal(ea_rec_kind_parse("nope"), -1);
}

/*
 * The names a JSON line copies without a bound (ea_put_name), for every
 * value a hostile trail's record may hold: each fits the room reserved.
 */
static void test_names_fit(void **state)
{
	const char *(*const names[])(uint32_t) = {
		ea_rec_kind_name, ea_verdict_name, ea_proto_name, ea_zone_name, ea_origin_name,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (uint32_t v = 0; v <= 0x10000; v++)
			assert_true(strlen(names[i](v)) <= EA_PUT_NAME_MAX);
}

/* Decimal numbers at every digit count and the ends of the range. */
static void test_u64_digits(void **state)
{
	struct ea_sbuf b = { 0 };
	uint64_t v = 1;
	char want[24];

	for (int digits = 1; digits <= 20; digits++, v *= 10) {
		uint64_t cases[] = { v - 1, v, v + 1, v * 7 + 3 };

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (digits == 20 && i == 3)
				continue;	/* past the range */
			ea_sb_reset(&b);
			ea_sb_u64(&b, cases[i]);
			snprintf(want, sizeof(want), "%llu", (unsigned long long)cases[i]);
			assert_string_equal(b.p, want);
		}
	}
	/* the digit count starts from the bit length: both sides of each power of two */
	for (int bit = 1; bit < 64; bit++) {
		uint64_t p = 1ull << bit;
		uint64_t cases[] = { p - 1, p, p + 1 };

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			ea_sb_reset(&b);
			ea_sb_u64(&b, cases[i]);
			snprintf(want, sizeof(want), "%llu", (unsigned long long)cases[i]);
			assert_string_equal(b.p, want);
		}
	}
	ea_sb_reset(&b);
	ea_sb_u64(&b, UINT64_MAX);
	assert_string_equal(b.p, "18446744073709551615");
	ea_sb_free(&b);
}

/*
 * A flow record at its largest: every string at its longest, of bytes that
 * each take six to escape, the longest IPv6 text and numbers. Its pieces
 * are written into room reserved ahead, which must hold them: the line is
 * one valid JSON object of exactly the length its parts add up to.
 */
static void test_flow_json_largest(void **state)
{
	static struct ea_rec r;
	struct ea_sbuf b = { 0 };
	size_t big, small;

	(void)state;
	rt_flow_rec(&r, "");
	memset(r.src, 0xab, sizeof(r.src));
	memset(r.dst, 0xcd, sizeof(r.dst));
	r.seq = r.cgroup_id = r.cookie = r.bytes = r.packets = UINT64_MAX;
	r.pid = r.tid = r.uid = r.gid = r.ifindex = UINT32_MAX;
	r.ts_ns = r.start_ns = INT64_MAX;
	r.zone = EA_ZONE_ADEQUACY_PARTIAL;
	r.origin = EA_ORIGIN_DEVICE;
	/* the longest numbers, names and addresses, and no strings */
	r.host[0] = r.cgroup[0] = '\0';
	ea_rec_json(&b, &r);
	b.p[b.len - 1] = '\0';
	assert_true(ea_json_object_valid(b.p));
	expect_in(b.p, ",\"start\":\"2262-04-11T23:47:16.854775Z\"");
	/* the same record with short strings, then with the longest */
	snprintf(r.cgroup, sizeof(r.cgroup), "x");
	ea_sb_reset(&b);
	ea_rec_json(&b, &r);
	small = b.len;
	memset(r.host, 0x01, sizeof(r.host) - 1);
	memset(r.comm, 0x01, sizeof(r.comm) - 1);
	memset(r.cgroup, 0x01, sizeof(r.cgroup) - 1);
	ea_sb_reset(&b);
	ea_rec_json(&b, &r);
	big = b.len;
	assert_false(b.oom);
	assert_int_equal(big - small, 6 * (sizeof(r.host) - 1 + sizeof(r.comm) - 1 +
					   sizeof(r.cgroup) - 1) - 1);
	assert_int_equal(b.p[b.len - 1], '\n');
	b.p[b.len - 1] = '\0';
	assert_true(ea_json_object_valid(b.p));
	expect_in(b.p, "\"src\":\"abab:abab:abab:abab:abab:abab:abab:abab\"");
	expect_in(b.p, ",\"cookie\":18446744073709551615,");
	expect_in(b.p, ",\"comm\":\"\\u0001\\u0001");
	ea_sb_free(&b);
}

/* A time as RFC 3339 with microseconds, the slow way: gmtime and strftime. */
static void time_by_libc(int64_t ns, char *out, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%06uZ", (unsigned int)(ns % 1000000000 / 1000));
}

static void expect_time(struct ea_sbuf *b, int64_t ns)
{
	char want[64];

	time_by_libc(ns, want, sizeof(want));
	ea_sb_reset(b);
	ea_sb_time(b, ns);
	if (strcmp(b->p, want))
		fail_msg("time %lld: got %s want %s", (long long)ns, b->p, want);
}

/*
 * Times are formatted from the day count, not by gmtime: the same text at
 * the edges of days, months, leap years and centuries, at both ends of the
 * range of nanoseconds since 1970, and at random, each time after another
 * second so that no cached date is reused.
 */
static void test_time_civil(void **state)
{
	static const int64_t secs[] = {
		0, 59, 60, 86399, 86400, 951782399, 951782400, 951868800,	/* 2000-02-29 */
		4107542399, 4107542400, 4107628800,	/* 2100-02-28, 03-01 (no leap day) */
		1709164800, 1735689599, 1735689600, 9223372035,	/* 2262-04-11 */
	};
	struct ea_sbuf b = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		expect_time(&b, secs[i] * 1000000000 + 999999999);
		expect_time(&b, secs[i] * 1000000000);
	}
	expect_time(&b, INT64_MAX);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		expect_time(&b, (int64_t)(x >> 1));
	}
	ea_sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_digits),
		cmocka_unit_test(test_time_civil),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_hostile_detail_country),
		cmocka_unit_test(test_flow_json_keys),
		cmocka_unit_test(test_flow_json_largest),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_lost_record),
		cmocka_unit_test(test_lost_causes),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_names_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
