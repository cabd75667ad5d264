// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the small formatters of user/util.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util.h"

static void expect_size(uint64_t bytes, const char *want)
{
	char buf[EA_SIZE_STRLEN];

	assert_ptr_equal(ea_format_size(bytes, buf), buf);
	assert_string_equal(buf, want);
}

/* Bytes below a KiB as they are, then one decimal in the largest unit that fits. */
static void test_format_size(void **state)
{
	(void)state;
	expect_size(0, "0 B");
	expect_size(1023, "1023 B");
	expect_size(1024, "1.0 KiB");
	expect_size(1536, "1.5 KiB");
	expect_size(1024 * 1024 - 1, "1024.0 KiB");	/* rounds, stays in KiB */
	expect_size(1024 * 1024, "1.0 MiB");
	expect_size(64ull << 20, "64.0 MiB");
	expect_size((1ull << 30) + (1ull << 29), "1.5 GiB");
	expect_size(3ull << 40, "3.0 TiB");
	expect_size(1ull << 50, "1.0 PiB");
	expect_size(1ull << 60, "1.0 EiB");
	/* the largest fits the buffer */
	expect_size(UINT64_MAX, "16.0 EiB");
}

static void test_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x7f, 0xa5, 0xff };
	char out[2 * sizeof(b) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	ea_hex(out, b, sizeof(b));
	assert_string_equal(out, "007fa5ff");
	assert_int_equal(ea_hex_value('0'), 0);
	assert_int_equal(ea_hex_value('9'), 9);
	assert_int_equal(ea_hex_value('a'), 10);
	assert_int_equal(ea_hex_value('F'), 15);
	assert_int_equal(ea_hex_value('g'), -1);
	assert_int_equal(ea_hex_value('/'), -1);
	assert_int_equal(ea_hex_value('\0'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
