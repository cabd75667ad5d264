// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the small formatters of user/util.c and user/addr.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
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

/* s formatted back after parsing: the text as given, RFC 5952's form. */
static void expect_addr(const char *s, const char *want)
{
	char buf[EA_ADDR_STRLEN];
	ea_addr_t a;

	assert_int_equal(ea_addr_parse(s, &a), 0);
	assert_string_equal(ea_addr_format(a, buf), want);
}

/* The cases of compression, case, leading zeros and embedded IPv4. */
static void test_addr_format(void **state)
{
	(void)state;
	expect_addr("::", "::");
	expect_addr("::1", "::1");
	expect_addr("1::", "1::");
	expect_addr("2001:DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	expect_addr("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");	/* one zero group */
	expect_addr("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");		/* the longest run */
	expect_addr("1:0:0:2:0:0:3:4", "1::2:0:0:3:4");		/* the first of equal runs */
	expect_addr("0:0:1:0:0:0:0:0", "0:0:1::");
	expect_addr("fe80::0abc:00ef", "fe80::abc:ef");
	expect_addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	expect_addr("::1.2.3.4", "::1.2.3.4");				/* IPv4-compatible */
	expect_addr("::ffff:192.0.2.1", "192.0.2.1");			/* mapped: as IPv4 */
	expect_addr("::fffe:192.0.2.1", "::fffe:c000:201");
	expect_addr("198.51.100.7", "198.51.100.7");
	expect_addr("0.0.0.0", "0.0.0.0");
	expect_addr("255.255.255.255", "255.255.255.255");
}

/* A group that makes zero runs and the other special cases likely. */
static uint16_t random_group(void)
{
	switch (rand() % 6) {
	case 0:
	case 1:
		return 0;
	case 2:
		return 0xffff;
	case 3:
		return (uint16_t)(rand() % 16);
	default:
		return (uint16_t)rand();
	}
}

/* Every address but a mapped one is written as the C library writes it. */
static void test_addr_format_as_inet_ntop(void **state)
{
	char got[EA_ADDR_STRLEN], want[INET6_ADDRSTRLEN];
	uint8_t b[16];

	(void)state;
	srand(5952);
	for (int n = 0; n < 200000; n++) {
		ea_addr_t a;

		for (int i = 0; i < 8; i++) {
			uint16_t g = random_group();

			b[2 * i] = (uint8_t)(g >> 8);
			b[2 * i + 1] = (uint8_t)g;
		}
		a = ea_addr_from_bytes(b);
		if (ea_addr_is_v4(a))
			continue;
		assert_non_null(inet_ntop(AF_INET6, b, want, sizeof(want)));
		ea_addr_format(a, got);
		if (strcmp(got, want))
			fail_msg("%s written as %s", want, got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_addr_format_as_inet_ntop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
