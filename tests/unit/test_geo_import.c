// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the GeoIP importers: CSV text and decimal forms, hostile input,
 * gzip, MMDB databases made by mmdb_writer, and the shipped snapshot.
 * Run from the repository root: the snapshot is read as data/....
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "geo_import.h"
#include "mmdb_writer.h"

#define SRC		7
#define SNAPSHOT	"data/geo-whois-asn-country.csv.gz"

static char tmpdir[] = "/tmp/ea-geo-import-XXXXXX";

/* A path in the test's temporary directory. */
static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* A fresh temporary directory for the files the tests write. */
static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* Remove the temporary directory and what the tests left in it. */
static int group_teardown(void **state)
{
	static const char *const names[] = {
		"geo.csv.gz", "geo-data", "multi.gz", "trunc.gz", "trailing.gz",
		"flip.gz", "empty.csv", "v6.mmdb", "v4.mmdb", "plain.mmdb",
		"badmeta.mmdb", "badrec.mmdb", "cycle.mmdb", "badcc.mmdb",
		"csv-as-mmdb",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_path(names[i]));
	return rmdir(tmpdir);
}

/* An address from text; the test fails if it does not parse. */
static ea_addr_t A(const char *s)
{
	ea_addr_t a = 0;

	assert_int_equal(ea_addr_parse(s, &a), 0);
	return a;
}

/* Parse len bytes as "geo.csv" with a cleared error. */
static int parse_n(const char *text, size_t len, struct ea_ivl_list *l,
		   struct ea_err *err)
{
	memset(err, 0, sizeof(*err));
	return ea_geo_parse_csv("geo.csv", text, len, SRC, l, err);
}

/* Parse a NUL-terminated text as "geo.csv". */
static int parse(const char *text, struct ea_ivl_list *l, struct ea_err *err)
{
	return parse_n(text, strlen(text), l, err);
}

/* Interval i is [start, end] with country cc from this test's source. */
static void check_ivl(const struct ea_ivl_list *l, size_t i, ea_addr_t start,
		      ea_addr_t end, const char *cc)
{
	char a[EA_ADDR_STRLEN], b[EA_ADDR_STRLEN], c[3];
	char x[EA_ADDR_STRLEN], y[EA_ADDR_STRLEN];

	assert_true(i < l->n);
	if (l->v[i].start != start || l->v[i].end != end)
		fail_msg("interval %zu is %s-%s, want %s-%s", i,
			 ea_addr_format(l->v[i].start, a),
			 ea_addr_format(l->v[i].end, b),
			 ea_addr_format(start, x), ea_addr_format(end, y));
	assert_string_equal(ea_cc_format(l->v[i].val.cc, c), cc);
	assert_int_equal(l->v[i].val.cc_src, SRC);
	assert_int_equal(l->v[i].val.pol, 0);
	assert_int_equal(l->v[i].val.pol_src, 0);
}

/* The address is in an interval of country cc. */
static void expect_cc(const struct ea_ivl_list *l, const char *addr, const char *cc)
{
	long i = ea_ivl_find(l, A(addr));
	char buf[3];

	if (i < 0)
		fail_msg("%s: not found", addr);
	assert_string_equal(ea_cc_format(l->v[i].val.cc, buf), cc);
}

/* Parsing len bytes of text fails with a message holding want. */
static void expect_error_n(const char *text, size_t len, const char *want)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	int ret = parse_n(text, len, &l, &err);

	if (ret != -EINVAL || !strstr(err.msg, want))
		fail_msg("ret %d, message '%s', want '%s'", ret, err.msg, want);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	ea_ivl_list_free(&l);
}

/* Parsing text fails with a message holding want. */
static void expect_error(const char *text, const char *want)
{
	expect_error_n(text, strlen(text), want);
}

/* Write bytes to a file, replacing it. */
static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A whole file in a malloc'd buffer. */
static void read_whole(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	*buf = malloc((size_t)n);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

/* gzip text into a file, as one member per string. */
static void write_gz(const char *path, const char *const *parts, size_t nparts)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fclose(f);
	for (size_t i = 0; i < nparts; i++) {
		gzFile gz = gzopen(path, "ab");

		assert_non_null(gz);
		assert_int_equal(gzwrite(gz, parts[i], (unsigned int)strlen(parts[i])),
				 (int)strlen(parts[i]));
		assert_int_equal(gzclose(gz), Z_OK);
	}
}

/* ---- CSV ---------------------------------------------------------------- */

/* Text IPv4, IPv6 and mapped IPv6, sorted on the way out. */
static void test_text_v4_v6(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("2001:200::,2001:218:2000:51:ffff:ffff:ffff:ffff,AU\n"
			       "1.0.0.0,1.0.0.255,AU\n"
			       "::ffff:2.0.0.0,::ffff:2.0.0.9,FR\n", &l, &err), 0);
	assert_int_equal(l.n, 3);
	check_ivl(&l, 0, A("1.0.0.0"), A("1.0.0.255"), "AU");
	assert_int_equal(l.v[0].line, 2);
	check_ivl(&l, 1, A("2.0.0.0"), A("2.0.0.9"), "FR");
	check_ivl(&l, 2, A("2001:200::"),
		  A("2001:218:2000:51:ffff:ffff:ffff:ffff"), "AU");
	assert_int_equal(l.v[2].line, 1);
	ea_ivl_list_free(&l);
}

/* Decimal IPv4 and IPv6 numbers. */
static void test_decimal(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("16777216,16777471,AU\n"
			       "42540528726795050063891204319802818560,"
			       "42540530638174472233151362808233852927,JP\n"
			       "0,255,US\n", &l, &err), 0);
	assert_int_equal(l.n, 3);
	check_ivl(&l, 0, A("0.0.0.0"), A("0.0.0.255"), "US");
	check_ivl(&l, 1, A("1.0.0.0"), A("1.0.0.255"), "AU");
	check_ivl(&l, 2, A("2001:200::"),
		  A("2001:218:2000:51:ffff:ffff:ffff:ffff"), "JP");
	ea_ivl_list_free(&l);
}

/* Both numbers <= 0xffffffff: IPv4; otherwise the line is IPv6. */
static void test_decimal_family_rule(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("0,4294967295,US\n", &l, &err), 0);
	check_ivl(&l, 0, A("0.0.0.0"), A("255.255.255.255"), "US");
	ea_ivl_list_free(&l);
	assert_int_equal(parse("4294967295,4294967296,US\n", &l, &err), 0);
	check_ivl(&l, 0, 0xffffffffu, (ea_addr_t)1 << 32, "US");
	ea_ivl_list_free(&l);
}

/* 2^128 - 1 is the last address; 2^128 and beyond are errors. */
static void test_decimal_limits(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("0,340282366920938463463374607431768211455,DE",
			       &l, &err), 0);
	check_ivl(&l, 0, 0, EA_ADDR_MAX, "DE");
	ea_ivl_list_free(&l);
	expect_error("0,340282366920938463463374607431768211456,DE",
		     "geo.csv:1: bad end address '340282366920938463463374607431768211456'");
	expect_error("99999999999999999999999999999999999999999,0,DE",
		     "geo.csv:1: bad start address");
	expect_error("0,0340282366920938463463374607431768211456,DE",
		     "bad end address");
}

/* CRLF, comments, blanks, a header, a BOM, no final newline. */
static void test_crlf_comments_header(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("# snapshot\r\n"
			       "\r\n"
			       "start,end,country\r\n"
			       "1.0.0.0,1.0.0.255,au\r\n"
			       "   # indented comment\n"
			       "\t \n"
			       " 1.0.1.0 ,\t1.0.1.255 , CN \r\n"
			       "1.0.2.0,1.0.2.255,JP", &l, &err), 0);
	assert_int_equal(l.n, 3);
	check_ivl(&l, 0, A("1.0.0.0"), A("1.0.0.255"), "AU");
	assert_int_equal(l.v[0].line, 4);
	check_ivl(&l, 1, A("1.0.1.0"), A("1.0.1.255"), "CN");
	assert_int_equal(l.v[1].line, 7);
	check_ivl(&l, 2, A("1.0.2.0"), A("1.0.2.255"), "JP");
	assert_int_equal(l.v[2].line, 8);
	ea_ivl_list_free(&l);

	assert_int_equal(parse("\xef\xbb\xbfip_range_start,ip_range_end,country_code\n"
			       "16777216,16777471,AU\n", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].line, 2);
	ea_ivl_list_free(&l);

	assert_int_equal(parse("", &l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse("# only a comment\n\n", &l, &err), 0);
	assert_int_equal(l.n, 0);
	ea_ivl_list_free(&l);
	assert_int_equal(parse("start,end,country\n", &l, &err), 0);
	assert_int_equal(l.n, 0);
	ea_ivl_list_free(&l);
}

/* A header is only taken as the first line; a bad first line is no header. */
static void test_header_rules(void **state)
{
	expect_error("1.0.0.0,1.0.0.255,AU\nstart,end,country\n",
		     "geo.csv:2: bad start address 'start'");
	expect_error("x.y,1.0.0.255,AU\n", "geo.csv:1: bad start address 'x.y'");
	expect_error("1.2.3,x,AU\n", "geo.csv:1: bad start address '1.2.3'");
	expect_error("1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,AU\n"
		     "1.0.2.0,1.0.2.255,AU\n1.0.3.0,1.0.3.255,AU\n"
		     "1.0.4.0,1.0.4.255,AU\n1.0.5.0,1.0.5.255,AU\n"
		     "1.0.6.0,1.0.6.255,AU\n1.0.7.0,1.0.7.255,AU\n"
		     "1.0.8.0,1.0.8.255,AU\n1.0.9.0,1.0.9.255,AU\n"
		     "# a comment\nx.y,1.0.10.255,AU\n",
		     "geo.csv:12: bad start address 'x.y'");
	/* a mistyped address on the first line is no header: '.' and ':' are not in names */
	expect_error("l.2.3.0,l.2.3.255,US\n1.0.0.0,1.0.0.255,AU\n",
		     "geo.csv:1: bad start address 'l.2.3.0'");
	expect_error("abcd::g,abcd::h,US\n", "geo.csv:1: bad start address 'abcd::g'");
}

/* "ZZ" adds nothing; "EU" and "AP" are kept. */
static void test_special_codes(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(parse("1.0.0.0,1.0.0.255,ZZ\n"
			       "1.0.1.0,1.0.1.255,EU\n"
			       "1.0.2.0,1.0.2.255,ap\n", &l, &err), 0);
	assert_int_equal(l.n, 2);
	check_ivl(&l, 0, A("1.0.1.0"), A("1.0.1.255"), "EU");
	check_ivl(&l, 1, A("1.0.2.0"), A("1.0.2.255"), "AP");
	ea_ivl_list_free(&l);
	/* a ZZ line is still checked */
	expect_error("1.0.0.255,1.0.0.0,ZZ\n", "inverted range");
	/* Greece and the United Kingdom as people write them, not as ISO 3166 does */
	expect_error("1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,el\n",
		     "geo.csv:2: 'EL' is not an ISO 3166 code; write 'GR'");
	expect_error("1.0.0.0,1.0.0.255,UK\n", "geo.csv:1: 'UK' is not an ISO 3166 code; write 'GB'");
}

/* Hostile lines: each an error naming the line and the problem. */
static void test_bad_lines(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ ",1.0.0.255,AU", "geo.csv:1: bad start address ''" },
		{ "1.0.0.0,,AU", "geo.csv:1: bad end address ''" },
		{ "1.0.0.0,1.0.0.255,", "geo.csv:1: invalid country code ''" },
		{ ",,", "geo.csv:1: bad start address ''" },
		{ "1.0.0.0,1.0.0.255,AU,extra", "geo.csv:1: expected 3 fields, got 4" },
		{ "1.0.0.0,1.0.0.255,AU,", "expected 3 fields, got 4" },
		{ "1.0.0.0,1.0.0.255", "geo.csv:1: expected 3 fields, got 2" },
		{ "1.0.0.0", "expected 3 fields, got 1" },
		{ "1.0.0.0,1.0.0.255,USA", "geo.csv:1: invalid country code 'USA'" },
		{ "1.0.0.0,1.0.0.255,U1", "invalid country code 'U1'" },
		{ "1.0.0.0,1.0.0.255,A", "invalid country code 'A'" },
		{ "1.0.0.0,1.0.0.255,A U", "invalid country code 'A U'" },
		{ "1.0.0.0,1.0.0.255,\xc3\x84U", "invalid country code '\\xc3\\x84U'" },
		{ "\xef\xbc\x91.0.0.0,1.0.0.255,AU", "bad start address '\\xef\\xbc\\x91.0.0.0'" },
		{ "-1,16777471,AU", "bad start address '-1'" },
		{ "16777216,-16777471,AU", "bad end address '-16777471'" },
		{ "+16777216,16777471,AU", "bad start address '+16777216'" },
		{ "1.0.0.0,+1.0.0.255,AU", "bad end address '+1.0.0.255'" },
		{ "1.2.3,1.2.3.255,AU", "bad start address '1.2.3'" },
		{ "1.2.3.0,1.2.3.256,AU", "bad end address '1.2.3.256'" },
		{ "1.2.3.4.5,1.2.3.255,AU", "bad start address '1.2.3.4.5'" },
		{ "01.2.3.0,1.2.3.255,AU", "bad start address '01.2.3.0'" },
		{ "1.2.3.0000,1.2.3.255,AU", "bad start address" },
		{ "1..3.0,1.2.3.255,AU", "bad start address" },
		{ "1.2.3.,1.2.3.255,AU", "bad start address" },
		{ "0x10,0x20,AU", "bad start address '0x10'" },
		{ "1 6,20,AU", "bad start address '1 6'" },
		{ "2001:db8::g,2001:db8::ffff,AU", "bad start address '2001:db8::g'" },
		{ "2001:db8:::1,2001:db8::ffff,AU", "bad start address" },
		{ "[2001:db8::],2001:db8::ffff,AU", "bad start address" },
		{ "1.0.0.0,2001::,AU", "geo.csv:1: start and end differ in family" },
		{ "2001::,1.0.0.0,AU", "start and end differ in family" },
		{ "1.0.0.0,16777471,AU", "start and end mix text and decimal forms" },
		{ "1.0.0.255,1.0.0.0,AU", "geo.csv:1: inverted range (end before start)" },
		{ "16777471,16777216,AU", "inverted range (end before start)" },
		{ "2001::1,2001::,AU", "inverted range (end before start)" },
		{ "1.0.0.0;1.0.0.255;AU", "expected 3 fields, got 1" },
		{ "\"1.0.0.0\",\"1.0.0.255\",\"AU\"", "bad start address '\"1.0.0.0\"'" },
		{ "1.0.0.0\r1.0.0.255,AU", "expected 3 fields, got 2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].want);
}

/* A NUL byte inside a line is never cut off silently. */
static void test_embedded_nul(void **state)
{
	static const char a[] = "1.0.0.0\0,1.0.0.255,AU\n";
	static const char b[] = "::1\0x,::2,AU\n";
	static const char c[] = "1.0.0.0,1.0.0.255,A\0\n";
	static const char d[] = "16777216,16777\0" "471,AU\n";
	static const char e[] = "1.0.0.0,1.0.0.255,AU\n\0\n";

	expect_error_n(a, sizeof(a) - 1, "geo.csv:1: bad start address '1.0.0.0\\x00'");
	expect_error_n(b, sizeof(b) - 1, "bad start address '::1\\x00x'");
	expect_error_n(c, sizeof(c) - 1, "invalid country code 'A\\x00'");
	expect_error_n(d, sizeof(d) - 1, "bad end address '16777\\x00471'");
	expect_error_n(e, sizeof(e) - 1, "geo.csv:2: expected 3 fields, got 1");
}

/* Lines over 64 KiB: bounded messages, comments still skipped. */
static void test_long_lines(void **state)
{
	size_t n = 70 * 1024;
	char *buf = malloc(n + 64);
	char want[128];

	assert_non_null(buf);
	/* a long country field */
	strcpy(buf, "1.0.0.0,1.0.0.255,");
	memset(buf + strlen(buf), 'A', n);
	buf[18 + n] = '\0';
	expect_error(buf, "invalid country code 'AAAAAAAA");
	expect_error(buf, "AAA...'");
	/* a long address */
	memset(buf, '1', n);
	strcpy(buf + n, ",1,AU\n");
	expect_error(buf, "geo.csv:1: bad start address '1111111111");
	/* many fields */
	memset(buf, ',', n);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "expected 3 fields, got %zu", n + 1);
	expect_error(buf, want);
	/* a long comment and a long blank line are fine */
	memset(buf, ' ', n);
	buf[0] = '#';
	strcpy(buf + n, "\n1.0.0.0,1.0.0.255,AU\n");
	{
		struct ea_ivl_list l = { 0 };
		struct ea_err err;

		assert_int_equal(parse(buf, &l, &err), 0);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].line, 2);
		ea_ivl_list_free(&l);
	}
	free(buf);
}

static const char *const nested_lines[] = {
	"1.0.0.0,1.0.3.255,AU\n",	/* outer */
	"1.0.1.0,1.0.1.255,CN\n",	/* inside it */
	"1.0.0.0,1.0.0.127,JP\n",	/* same start, narrower */
	"1.0.3.128,1.0.4.255,NZ\n",	/* overlaps the end of the outer */
};

/* The resolution of nested_lines, with the line each piece came from. */
static void check_nested(const struct ea_ivl_list *l, const uint32_t lines[4])
{
	assert_int_equal(l->n, 5);
	check_ivl(l, 0, A("1.0.0.0"), A("1.0.0.127"), "JP");
	assert_int_equal(l->v[0].line, lines[2]);
	check_ivl(l, 1, A("1.0.0.128"), A("1.0.0.255"), "AU");
	assert_int_equal(l->v[1].line, lines[0]);
	check_ivl(l, 2, A("1.0.1.0"), A("1.0.1.255"), "CN");
	assert_int_equal(l->v[2].line, lines[1]);
	check_ivl(l, 3, A("1.0.2.0"), A("1.0.3.127"), "AU");
	assert_int_equal(l->v[3].line, lines[0]);
	check_ivl(l, 4, A("1.0.3.128"), A("1.0.4.255"), "NZ");
	assert_int_equal(l->v[4].line, lines[3]);
}

/* Overlaps resolve to the most specific range, whatever the line order. */
static void test_overlap(void **state)
{
	static const uint32_t fwd[4] = { 1, 2, 3, 4 }, rev[4] = { 4, 3, 2, 1 };
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	char text[256] = "", back[256] = "";

	for (int i = 0; i < 4; i++) {
		strcat(text, nested_lines[i]);
		strcat(back, nested_lines[3 - i]);
	}
	assert_int_equal(parse(text, &l, &err), 0);
	check_nested(&l, fwd);
	ea_ivl_list_free(&l);
	assert_int_equal(parse(back, &l, &err), 0);
	check_nested(&l, rev);
	ea_ivl_list_free(&l);

	/* identical ranges: the later line */
	assert_int_equal(parse("16777216,16777471,DE\n16777216,16777471,US\n",
			       &l, &err), 0);
	assert_int_equal(l.n, 1);
	check_ivl(&l, 0, A("1.0.0.0"), A("1.0.0.255"), "US");
	assert_int_equal(l.v[0].line, 2);
	ea_ivl_list_free(&l);

	/* a range over the whole space, holes punched in it at both ends */
	assert_int_equal(parse("::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,US\n"
			       "1.0.0.0,1.0.0.255,AU\n"
			       "::,::,DE\n"
			       "ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,FR\n",
			       &l, &err), 0);
	assert_int_equal(l.n, 5);
	check_ivl(&l, 0, 0, 0, "DE");
	check_ivl(&l, 1, 1, A("0.255.255.255"), "US");
	check_ivl(&l, 2, A("1.0.0.0"), A("1.0.0.255"), "AU");
	check_ivl(&l, 3, A("1.0.1.0"), A("fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "US");
	check_ivl(&l, 4, A("ffff::"), EA_ADDR_MAX, "FR");
	ea_ivl_list_free(&l);

	/* touching ranges stay as they are */
	assert_int_equal(parse("1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.0,AU\n",
			       &l, &err), 0);
	assert_int_equal(l.n, 2);
	ea_ivl_list_free(&l);
}

/*
 * Random overlapping ranges over 1.0.0.0/26 against a brute-force oracle:
 * each address goes to the covering range that starts last, then ends
 * first, then comes later in the file.
 */
static void test_overlap_random(void **state)
{
	enum { SPACE = 64, MAXR = 12 };
	static const char *const ccs[] = { "AU", "CN", "JP", "NZ", "DE", "FR" };
	unsigned int seed = 1;

	for (int round = 0; round < 500; round++) {
		unsigned int lo[MAXR], hi[MAXR], cc[MAXR];
		int n = 1 + rand_r(&seed) % MAXR;
		struct ea_ivl_list l = { 0 };
		struct ea_err err;
		char text[MAXR * 40] = "";

		for (int i = 0; i < n; i++) {
			unsigned int a = (unsigned int)rand_r(&seed) % SPACE;
			unsigned int b = (unsigned int)rand_r(&seed) % SPACE;

			lo[i] = a < b ? a : b;
			hi[i] = a < b ? b : a;
			cc[i] = (unsigned int)rand_r(&seed) % 6;
			snprintf(text + strlen(text), 40, "1.0.0.%u,1.0.0.%u,%s\n",
				 lo[i], hi[i], ccs[cc[i]]);
		}
		assert_int_equal(parse(text, &l, &err), 0);
		for (unsigned int a = 0; a < SPACE; a++) {
			long got = ea_ivl_find(&l, ea_addr_from_v4(0x01000000 | a));
			int best = -1;

			for (int i = 0; i < n; i++) {
				if (a < lo[i] || a > hi[i])
					continue;
				if (best < 0 || lo[i] > lo[best] ||
				    (lo[i] == lo[best] && hi[i] <= hi[best]))
					best = i;
			}
			if (best < 0) {
				assert_int_equal(got, -1);
				continue;
			}
			assert_true(got >= 0);
			assert_int_equal(l.v[got].val.cc, ea_cc_pack(ccs[cc[best]]));
			assert_int_equal(l.v[got].line, best + 1);
		}
		ea_ivl_list_free(&l);
	}
}

/* ---- files and gzip ----------------------------------------------------- */

/* ea_geo_read_file with this test's source and a cleared error. */
static int read_file(const char *path, enum ea_geo_format fmt,
		     struct ea_ivl_list *l, struct ea_err *err)
{
	memset(err, 0, sizeof(*err));
	return ea_geo_read_file(path, fmt, SRC, l, err);
}

/* gzip read, detected by content, members concatenated. */
static void test_gzip(void **state)
{
	static const char *const one[] = {
		"# gz\n1.0.0.0,1.0.0.255,AU\n2001:200::,2001:200::ffff,JP\n",
	};
	static const char *const two[] = {
		"1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.",
		"255,CN\n1.0.2.0,1.0.2.255,\n",
	};
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	write_gz(tmp_path("geo.csv.gz"), one, 1);
	assert_int_equal(read_file(tmp_path("geo.csv.gz"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 2);
	check_ivl(&l, 0, A("1.0.0.0"), A("1.0.0.255"), "AU");
	check_ivl(&l, 1, A("2001:200::"), A("2001:200::ffff"), "JP");
	assert_int_equal(l.v[1].line, 3);
	ea_ivl_list_free(&l);

	write_gz(tmp_path("geo-data"), one, 1);
	assert_int_equal(read_file(tmp_path("geo-data"), EA_GEO_CSV, &l, &err), 0);
	assert_int_equal(l.n, 2);
	ea_ivl_list_free(&l);

	/* lines span members; the error names the file and line */
	write_gz(tmp_path("multi.gz"), two, 2);
	assert_int_equal(read_file(tmp_path("multi.gz"), EA_GEO_AUTO, &l, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "multi.gz:3: invalid country code ''"));
	ea_ivl_list_free(&l);
}

/* Data that inflates far beyond its compressed size. */
static void test_gzip_large(void **state)
{
	size_t n = 200000, len = 0;
	char *text = malloc(n * 16 + 64);
	const char *parts[1] = { text };
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		memcpy(text + len, "# padding line\n", 15);
		len += 15;
	}
	strcpy(text + len, "1.0.0.0,1.0.0.255,AU\n");
	write_gz(tmp_path("geo.csv.gz"), parts, 1);
	free(text);
	assert_int_equal(read_file(tmp_path("geo.csv.gz"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].line, n + 1);
	ea_ivl_list_free(&l);
}

/* A cut, damaged or padded gzip file is an error, never a partial import. */
static void test_gzip_damaged(void **state)
{
	static const char *const one[] = {
		"1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,CN\n1.0.2.0,1.0.2.255,JP\n",
	};
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	uint8_t *buf, *pad;
	size_t len;

	write_gz(tmp_path("geo.csv.gz"), one, 1);
	read_whole(tmp_path("geo.csv.gz"), &buf, &len);

	for (size_t cut = 2; cut < len; cut += 3) {
		write_file(tmp_path("trunc.gz"), buf, cut);
		assert_int_equal(read_file(tmp_path("trunc.gz"), EA_GEO_AUTO, &l, &err),
				 -EINVAL);
		assert_non_null(strstr(err.msg, "trunc.gz: truncated gzip data"));
		ea_ivl_list_free(&l);
	}

	/* a flipped CRC byte */
	buf[len - 6] ^= 0x40;
	write_file(tmp_path("flip.gz"), buf, len);
	assert_int_equal(read_file(tmp_path("flip.gz"), EA_GEO_AUTO, &l, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "flip.gz: corrupt gzip data"));
	ea_ivl_list_free(&l);
	buf[len - 6] ^= 0x40;

	pad = malloc(len + 4);
	assert_non_null(pad);
	memcpy(pad, buf, len);
	memcpy(pad + len, "\0\0\0\0", 4);
	write_file(tmp_path("trailing.gz"), pad, len + 4);
	assert_int_equal(read_file(tmp_path("trailing.gz"), EA_GEO_AUTO, &l, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "trailing data after the gzip stream"));
	ea_ivl_list_free(&l);
	free(pad);
	free(buf);
}

/* Missing file, directory, no ranges, unknown format. */
static void test_missing_and_empty(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	char want[300];

	snprintf(want, sizeof(want), "%s: No such file or directory",
		 tmp_path("nope.csv"));
	assert_int_equal(read_file(tmp_path("nope.csv"), EA_GEO_AUTO, &l, &err),
			 -ENOENT);
	assert_string_equal(err.msg, want);
	assert_int_equal(read_file(tmp_path("nope.csv"), EA_GEO_MMDB, &l, &err),
			 -ENOENT);
	assert_string_equal(err.msg, want);

	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	assert_int_equal(read_file(tmpdir, EA_GEO_AUTO, &l, &err), -EISDIR);
	assert_string_equal(err.msg, want);

	write_file(tmp_path("empty.csv"), "# nothing\n", 10);
	assert_int_equal(read_file(tmp_path("empty.csv"), EA_GEO_AUTO, &l, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "empty.csv: no address ranges"));
	ea_ivl_list_free(&l);
	assert_int_equal(read_file(tmp_path("empty.csv"), 9, &l, &err), -EINVAL);
	assert_int_equal(l.n, 0);
	ea_ivl_list_free(&l);
}

/* ---- MMDB --------------------------------------------------------------- */

/* The test database: IPv4 and IPv6 networks, with and without a country. */
static struct mmdb_writer *sample_db(int ip_version)
{
	struct mmdb_writer *w = mmdb_writer_new(ip_version);

	assert_non_null(w);
	assert_int_equal(mmdb_writer_insert(w, "1.0.0.0/24", "AU", "AU"), 0);
	assert_int_equal(mmdb_writer_insert(w, "1.0.1.0/24", "CN", NULL), 0);
	assert_int_equal(mmdb_writer_insert(w, "8.8.8.0/24", NULL, "US"), 0);
	assert_int_equal(mmdb_writer_insert(w, "9.0.0.0/8", NULL, NULL), 0);
	assert_int_equal(mmdb_writer_insert(w, "128.0.0.0/1", "de", NULL), 0);
	if (ip_version == 6) {
		assert_int_equal(mmdb_writer_insert(w, "2001:200::/23", "JP", NULL), 0);
		assert_int_equal(mmdb_writer_insert(w, "2a00::/12", NULL, "FR"), 0);
		assert_int_equal(mmdb_writer_insert(w, "2c0f::/16", NULL, NULL), 0);
		assert_int_equal(mmdb_writer_insert(w, "ffff::/16", "ZZ", NULL), 0);
	}
	return w;
}

/* The IPv4 part of sample_db, mapped, with no line numbers. */
static void check_sample_v4(const struct ea_ivl_list *l)
{
	check_ivl(l, 0, A("1.0.0.0"), A("1.0.0.255"), "AU");
	check_ivl(l, 1, A("1.0.1.0"), A("1.0.1.255"), "CN");
	check_ivl(l, 2, A("8.8.8.0"), A("8.8.8.255"), "US");
	check_ivl(l, 3, A("128.0.0.0"), A("255.255.255.255"), "DE");
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(l->v[i].line, 0);
}

/* IPv6 database with IPv4 aliases: every network exactly once. */
static void test_mmdb_v6(void **state)
{
	struct mmdb_writer *w = sample_db(6);
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(mmdb_writer_alias_ipv4(w), 0);
	assert_int_equal(mmdb_writer_write(w, tmp_path("v6.mmdb")), 0);
	mmdb_writer_free(w);

	assert_int_equal(read_file(tmp_path("v6.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 6);
	check_sample_v4(&l);
	check_ivl(&l, 4, A("2001:200::"), A("2001:3ff:ffff:ffff:ffff:ffff:ffff:ffff"), "JP");
	check_ivl(&l, 5, A("2a00::"), A("2a0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "FR");
	/* the aliases and ::/96 itself are not imported */
	assert_int_equal(ea_ivl_find(&l, A("::1.0.0.1")), -1);
	assert_int_equal(ea_ivl_find(&l, A("2002:100::")), -1);
	assert_int_equal(ea_ivl_find(&l, A("2001:0:100::1")), -1);
	ea_ivl_list_free(&l);

	assert_int_equal(read_file(tmp_path("v6.mmdb"), EA_GEO_MMDB, &l, &err), 0);
	assert_int_equal(l.n, 6);
	ea_ivl_list_free(&l);
}

/* Without aliases the result is the same. */
static void test_mmdb_v6_plain(void **state)
{
	struct mmdb_writer *w = sample_db(6);
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(mmdb_writer_write(w, tmp_path("plain.mmdb")), 0);
	mmdb_writer_free(w);
	assert_int_equal(read_file(tmp_path("plain.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 6);
	check_sample_v4(&l);
	ea_ivl_list_free(&l);
}

/* IPv4 database: addresses come out mapped. */
static void test_mmdb_v4(void **state)
{
	struct mmdb_writer *w = sample_db(4);
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_int_equal(mmdb_writer_write(w, tmp_path("v4.mmdb")), 0);
	mmdb_writer_free(w);
	assert_int_equal(read_file(tmp_path("v4.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 4);
	check_sample_v4(&l);
	ea_ivl_list_free(&l);
}

/* Neighbouring networks of one country may come out merged. */
static void test_mmdb_adjacent(void **state)
{
	struct mmdb_writer *w = mmdb_writer_new(6);
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	long i;

	assert_non_null(w);
	assert_int_equal(mmdb_writer_insert(w, "10.0.0.0/9", "NL", NULL), 0);
	assert_int_equal(mmdb_writer_insert(w, "10.128.0.0/9", "NL", NULL), 0);
	assert_int_equal(mmdb_writer_insert(w, "11.0.0.0/8", "BE", NULL), 0);
	assert_int_equal(mmdb_writer_write(w, tmp_path("v6.mmdb")), 0);
	mmdb_writer_free(w);
	assert_int_equal(read_file(tmp_path("v6.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	i = ea_ivl_find(&l, A("10.0.0.0"));
	assert_true(i >= 0);
	assert_int_equal(ea_ivl_find(&l, A("10.255.255.255")) >= 0, 1);
	assert_int_equal(l.v[ea_ivl_find(&l, A("10.200.0.1"))].val.cc, ea_cc_pack("NL"));
	assert_int_equal(l.v[ea_ivl_find(&l, A("11.0.0.1"))].val.cc, ea_cc_pack("BE"));
	assert_int_equal(ea_ivl_find(&l, A("12.0.0.0")), -1);
	assert_int_equal(ea_ivl_find(&l, A("9.255.255.255")), -1);
	ea_ivl_list_free(&l);
}

/*
 * A network over ::/96 and ::ffff:0:0/96 alike: its IPv4 part comes out
 * once, mapped, and the rest of it as IPv6.
 */
static void test_mmdb_wide_v6(void **state)
{
	struct mmdb_writer *w = mmdb_writer_new(6);
	struct ea_ivl_list l = { 0 };
	struct ea_err err;

	assert_non_null(w);
	assert_int_equal(mmdb_writer_insert(w, "::/64", "US", NULL), 0);
	assert_int_equal(mmdb_writer_insert(w, "1.0.0.0/24", "AU", NULL), 0);
	assert_int_equal(mmdb_writer_alias_ipv4(w), 0);
	assert_int_equal(mmdb_writer_write(w, tmp_path("v6.mmdb")), 0);
	mmdb_writer_free(w);
	assert_int_equal(read_file(tmp_path("v6.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	expect_cc(&l, "0.0.0.0", "US");
	expect_cc(&l, "0.255.255.255", "US");
	expect_cc(&l, "1.0.0.7", "AU");
	expect_cc(&l, "1.0.1.0", "US");
	expect_cc(&l, "255.255.255.255", "US");
	expect_cc(&l, "::1:0:0", "US");
	expect_cc(&l, "::fffe:ffff:ffff", "US");
	expect_cc(&l, "::1:ffff:0:0", "US");
	expect_cc(&l, "::ffff:ffff:ffff:ffff", "US");
	assert_int_equal(ea_ivl_find(&l, A("::5")), -1);
	assert_int_equal(ea_ivl_find(&l, A("::ffff:ffff")), -1);
	assert_int_equal(ea_ivl_find(&l, A("0:0:0:1::")), -1);
	ea_ivl_list_free(&l);

	/* one record for all of ::/64 */
	w = mmdb_writer_new(6);
	assert_non_null(w);
	assert_int_equal(mmdb_writer_insert(w, "::/64", "US", NULL), 0);
	assert_int_equal(mmdb_writer_write(w, tmp_path("v6.mmdb")), 0);
	mmdb_writer_free(w);
	assert_int_equal(read_file(tmp_path("v6.mmdb"), EA_GEO_AUTO, &l, &err), 0);
	assert_int_equal(l.n, 3);
	check_ivl(&l, 0, (ea_addr_t)1 << 32, EA_V4_BASE - 1, "US");
	check_ivl(&l, 1, EA_V4_BASE, EA_V4_LAST, "US");
	check_ivl(&l, 2, EA_V4_LAST + 1, ((ea_addr_t)1 << 64) - 1, "US");
	ea_ivl_list_free(&l);
}

/* Write a built sample database with one change at offset off. */
static void write_patched(const char *name, size_t off, const uint8_t *bytes,
			  size_t n)
{
	struct mmdb_writer *w = sample_db(6);
	uint8_t *buf;
	size_t len;

	assert_int_equal(mmdb_writer_alias_ipv4(w), 0);
	assert_int_equal(mmdb_writer_build(w, &buf, &len), 0);
	mmdb_writer_free(w);
	assert_true(off + n <= len);
	memcpy(buf + off, bytes, n);
	write_file(tmp_path(name), buf, len);
	free(buf);
}

/* Reading a temporary file fails with "<path>: ..." holding want. */
static void expect_file_error(const char *name, enum ea_geo_format fmt,
			      const char *want)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	char prefix[300];

	snprintf(prefix, sizeof(prefix), "%s: ", tmp_path(name));
	assert_int_equal(read_file(tmp_path(name), fmt, &l, &err), -EINVAL);
	if (strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, want))
		fail_msg("message '%s', want '%s' and '%s'", err.msg, prefix, want);
	ea_ivl_list_free(&l);
}

/* Damaged databases: bad metadata, bad records, shared nodes, cycles. */
static void test_mmdb_corrupt(void **state)
{
	static const uint8_t far[3] = { 0xff, 0xff, 0xfe };
	static const uint8_t to_root[3] = { 0, 0, 0 };
	static const uint8_t to_one[6] = { 0, 0, 1, 0, 0, 1 };
	struct mmdb_writer *w;
	uint8_t *buf;
	size_t len;

	/* metadata cut short after the marker */
	w = sample_db(6);
	assert_int_equal(mmdb_writer_build(w, &buf, &len), 0);
	mmdb_writer_free(w);
	write_file(tmp_path("badmeta.mmdb"), buf, len - 40);
	free(buf);
	expect_file_error("badmeta.mmdb", EA_GEO_AUTO, "MaxMind DB");

	/* a record past the data section, or back to the root */
	write_patched("badrec.mmdb", mmdb_writer_node_offset(0) + 3, far, 3);
	expect_file_error("badrec.mmdb", EA_GEO_AUTO, "corrupt search tree");
	write_patched("badrec.mmdb", mmdb_writer_node_offset(1), to_root, 3);
	expect_file_error("badrec.mmdb", EA_GEO_AUTO, "corrupt search tree");

	/* both halves of the tree sharing node 1 */
	write_patched("cycle.mmdb", mmdb_writer_node_offset(0) + 3, to_one, 3);
	expect_file_error("cycle.mmdb", EA_GEO_AUTO, "nodes shared or in a cycle");

	/* node 1 pointing at itself twice: a cycle */
	write_patched("cycle.mmdb", mmdb_writer_node_offset(1), to_one, 6);
	expect_file_error("cycle.mmdb", EA_GEO_AUTO, "corrupt search tree");

	/* a CSV file read as MMDB */
	write_file(tmp_path("csv-as-mmdb"), "1.0.0.0,1.0.0.255,AU\n", 21);
	expect_file_error("csv-as-mmdb", EA_GEO_MMDB, "MaxMind DB");
}

/* An iso_code that is not two letters is an error. */
static void test_mmdb_bad_country(void **state)
{
	struct mmdb_writer *w = mmdb_writer_new(6);

	assert_non_null(w);
	assert_int_equal(mmdb_writer_insert(w, "1.0.0.0/24", "USA", NULL), 0);
	assert_int_equal(mmdb_writer_write(w, tmp_path("badcc.mmdb")), 0);
	mmdb_writer_free(w);
	expect_file_error("badcc.mmdb", EA_GEO_AUTO, "invalid country code 'USA'");
}

/* ---- the shipped snapshot ----------------------------------------------- */

/* Monotonic time in seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The shipped snapshot: size, known facts, and how long it takes. */
static void test_snapshot(void **state)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err;
	double t0 = now(), dt;
	int ret = read_file(SNAPSHOT, EA_GEO_AUTO, &l, &err);

	dt = now() - t0;
	if (ret)
		fail_msg("%s", err.msg);
	print_message("snapshot: %zu intervals in %.3f s\n", l.n, dt);
	assert_true(l.n > 500000);
	expect_cc(&l, "1.0.0.0", "AU");
	expect_cc(&l, "1.0.1.0", "CN");
	expect_cc(&l, "2c0f:e9a0:2::2a:1", "FR");
	/* overlapping lines: the most specific range wins */
	expect_cc(&l, "2.58.197.14", "DE");
	expect_cc(&l, "2.58.197.15", "BE");
	expect_cc(&l, "5.61.192.0", "SK");
	expect_cc(&l, "5.61.198.0", "GB");
	expect_cc(&l, "108.165.88.0", "US");
	ea_ivl_list_free(&l);
}

/* Run from the repository root (the snapshot is read as data/...). */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_v4_v6),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_decimal_family_rule),
		cmocka_unit_test(test_decimal_limits),
		cmocka_unit_test(test_crlf_comments_header),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_special_codes),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_overlap_random),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_large),
		cmocka_unit_test(test_gzip_damaged),
		cmocka_unit_test(test_missing_and_empty),
		cmocka_unit_test(test_mmdb_v6),
		cmocka_unit_test(test_mmdb_v6_plain),
		cmocka_unit_test(test_mmdb_v4),
		cmocka_unit_test(test_mmdb_adjacent),
		cmocka_unit_test(test_mmdb_wide_v6),
		cmocka_unit_test(test_mmdb_corrupt),
		cmocka_unit_test(test_mmdb_bad_country),
		cmocka_unit_test(test_snapshot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
