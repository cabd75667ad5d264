// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of command-line time parsing (user/timeparse.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#define NS	1000000000ll
#define NOW	(1764000000ll * NS + 123)	/* 2025-11-24T16:00:00.000000123Z */

static int64_t parse_ok(const char *s)
{
	const char *why = NULL;
	int64_t t;

	if (ea_time_parse(s, NOW, &t, &why))
		fail_msg("'%s': %s", s, why);
	return t;
}

static void parse_bad(const char *s)
{
	const char *why = NULL;
	int64_t t;

	if (ea_time_parse(s, NOW, &t, &why) != -EINVAL)
		fail_msg("'%s' accepted", s);
	assert_non_null(why);
}

/* Against timegm for every day of a few years, leap days included. */
static void test_days_from_civil(void **state)
{
	(void)state;
	for (int y = 1970; y < 2110; y += 7) {
		for (unsigned int m = 1; m <= 12; m++) {
			struct tm tm = { .tm_year = y - 1900, .tm_mon = (int)m - 1, .tm_mday = 28 };

			assert_int_equal(ea_days_from_civil(y, m, 28) * 86400, timegm(&tm));
		}
	}
	assert_int_equal(ea_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(ea_days_from_civil(2000, 3, 1) - ea_days_from_civil(2000, 2, 28), 2);
	assert_int_equal(ea_days_from_civil(1900 + 200, 3, 1) - ea_days_from_civil(2100, 2, 28), 1);
}

static void test_rfc3339(void **state)
{
	const char *why = "";
	int64_t t;

	(void)state;
	assert_int_equal(parse_ok("2025-11-24T16:00:00Z"), 1764000000ll * NS);
	assert_int_equal(parse_ok("2025-11-24t16:00:00z"), 1764000000ll * NS);
	assert_int_equal(parse_ok("2025-11-24 16:00:00Z"), 1764000000ll * NS);
	assert_int_equal(parse_ok("2025-11-24T16:00:00.5Z"), 1764000000ll * NS + NS / 2);
	assert_int_equal(parse_ok("2025-11-24T16:00:00.123456789Z"), 1764000000ll * NS + 123456789);
	assert_int_equal(parse_ok("2025-11-24T18:00:00+02:00"), 1764000000ll * NS);
	assert_int_equal(parse_ok("2025-11-24T10:30:00-05:30"), 1764000000ll * NS);
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), 1709164800ll * NS);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), 1483228800ll * NS);
	parse_bad("2025-11-24T16:00:00");		/* no zone: said so */
	assert_int_equal(ea_time_parse("2025-11-24T16:00:00", NOW, &t, &why), -EINVAL);
	assert_non_null(strstr(why, "needs a time zone"));
	parse_bad("2025-11-24T16:00Z");
	parse_bad("2025-11-24T24:00:00Z");
	parse_bad("2025-11-24T16:60:00Z");
	parse_bad("2025-11-24T16:00:61Z");
	parse_bad("2025-11-24T16:00:00.Z");
	parse_bad("2025-11-24T16:00:00.1234567890Z");
	parse_bad("2025-11-24T16:00:00+2:00");
	parse_bad("2025-11-24T16:00:00+24:00");
	parse_bad("2025-11-24T16:00:00Zjunk");
	parse_bad("2025-11-24X16:00:00Z");
	/* an offset may not move a time out of 1970 to 2261 */
	assert_int_equal(parse_ok("1970-01-01T01:00:00+01:00"), 0);
	parse_bad("1970-01-01T00:59:59+01:00");
	assert_int_equal(parse_ok("2261-12-31T23:59:59.999999999Z"),
			 ea_days_from_civil(2262, 1, 1) * 86400 * NS - 1);
	parse_bad("2261-12-31T23:59:59-00:01");
}

static void test_dates(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2025-11-24"), 1763942400ll * NS);
	assert_int_equal(parse_ok("2000-02-29"), 951782400ll * NS);
	parse_bad("2025-02-29");
	parse_bad("1900-02-29");
	parse_bad("2025-13-01");
	parse_bad("2025-00-10");
	parse_bad("2025-01-32");
	parse_bad("1969-12-31");
	parse_bad("2262-01-01");
	parse_bad("2025-1-01x");
	parse_bad("25-11-24");
}

static void test_relative(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("now"), NOW);
	assert_int_equal(parse_ok("-90s"), NOW - 90 * NS);
	assert_int_equal(parse_ok("-30m"), NOW - 1800 * NS);
	assert_int_equal(parse_ok("-2h"), NOW - 7200 * NS);
	assert_int_equal(parse_ok("-7d"), NOW - 7 * 86400 * NS);
	assert_int_equal(parse_ok("-1w"), NOW - 7 * 86400 * NS);
	assert_int_equal(parse_ok("-0s"), NOW);
	parse_bad("-");
	parse_bad("-h");
	parse_bad("-2");
	parse_bad("-2y");
	parse_bad("-2hh");
	parse_bad("-99999999999w");
	parse_bad("-10281w");		/* before 1970 */
	assert_int_equal(parse_ok("-2900w"), NOW - 2900ll * 7 * 86400 * NS);
	parse_bad("+2h");
	parse_bad("");
	parse_bad("yesterday");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
