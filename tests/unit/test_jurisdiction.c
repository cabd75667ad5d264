// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of ea_country_zone() against data/jurisdictions.csv (run from
 * the repository root): every listed code has its zone, every other code of
 * two letters is a third country.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

#define CSV_PATH	"data/jurisdictions.csv"

static uint16_t cc(const char *s)
{
	return ea_cc_pack(s);
}

/* The zone column of each row, indexed by code; -1 for unlisted codes. */
static int listed[26][26];

/* Read the table into listed[][]; returns the number of rows. */
static int read_csv(void)
{
	char line[512];
	int rows = 0;
	bool header = false;
	FILE *f = fopen(CSV_PATH, "r");

	if (!f)
		fail_msg("cannot open %s (run from the repository root)", CSV_PATH);
	memset(listed, 0xff, sizeof(listed));
	while (fgets(line, sizeof(line), f)) {
		char *code, *name, *zone, *save;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!header) {
			assert_string_equal(line, "code,name,zone,since,note");
			header = true;
			continue;
		}
		code = strtok_r(line, ",", &save);
		name = strtok_r(NULL, ",", &save);
		zone = strtok_r(NULL, ",", &save);
		assert_non_null(code);
		assert_non_null(name);
		assert_non_null(zone);
		if (!ea_cc_valid(code))
			fail_msg("bad code '%s' in %s", code, CSV_PATH);
		if (ea_zone_parse(zone) < 0)
			fail_msg("bad zone '%s' for %s", zone, code);
		if (listed[code[0] - 'A'][code[1] - 'A'] >= 0)
			fail_msg("%s listed twice", code);
		listed[code[0] - 'A'][code[1] - 'A'] = ea_zone_parse(zone);
		rows++;
	}
	fclose(f);
	return rows;
}

static void test_every_row(void **state)
{
	int rows = read_csv();

	(void)state;
	assert_true(rows >= 50);
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char code[3] = { a, b, '\0' };
			int want = listed[a - 'A'][b - 'A'];
			uint32_t got = ea_country_zone(cc(code));

			if (want < 0)
				want = EA_ZONE_THIRD;
			if (got != (uint32_t)want)
				fail_msg("%s: zone %s, %s says %s", code, ea_zone_name(got),
					 CSV_PATH, ea_zone_name((uint32_t)want));
		}
	}
}

static void test_named_cases(void **state)
{
	(void)state;
	assert_int_equal(ea_country_zone(cc("GR")), EA_ZONE_EU);
	assert_int_equal(ea_country_zone(cc("EL")), EA_ZONE_THIRD);
	assert_int_equal(ea_country_zone(cc("DE")), EA_ZONE_EU);
	assert_int_equal(ea_country_zone(cc("RE")), EA_ZONE_EU);
	assert_int_equal(ea_country_zone(cc("AX")), EA_ZONE_EU);
	assert_int_equal(ea_country_zone(cc("NO")), EA_ZONE_EEA);
	assert_int_equal(ea_country_zone(cc("US")), EA_ZONE_ADEQUACY_PARTIAL);
	assert_int_equal(ea_country_zone(cc("CA")), EA_ZONE_ADEQUACY_PARTIAL);
	assert_int_equal(ea_country_zone(cc("FO")), EA_ZONE_ADEQUACY);
	assert_int_equal(ea_country_zone(cc("GB")), EA_ZONE_ADEQUACY);
	assert_int_equal(ea_country_zone(cc("SJ")), EA_ZONE_THIRD);
	assert_int_equal(ea_country_zone(cc("GL")), EA_ZONE_THIRD);
	assert_int_equal(ea_country_zone(cc("UK")), EA_ZONE_THIRD);
	assert_int_equal(ea_country_zone(cc("CN")), EA_ZONE_THIRD);
	assert_int_equal(ea_country_zone(0), EA_ZONE_UNKNOWN);
}

static void test_not_codes(void **state)
{
	(void)state;
	assert_int_equal(ea_country_zone(cc("de")), EA_ZONE_UNKNOWN);
	assert_int_equal(ea_country_zone(cc("D1")), EA_ZONE_UNKNOWN);
	assert_int_equal(ea_country_zone(0x4400), EA_ZONE_UNKNOWN);
	assert_int_equal(ea_country_zone(0xffff), EA_ZONE_UNKNOWN);
	assert_int_equal(ea_country_zone(cc("@Z")), EA_ZONE_UNKNOWN);
	assert_int_equal(ea_country_zone(cc("Z[")), EA_ZONE_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_named_cases),
		cmocka_unit_test(test_not_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
