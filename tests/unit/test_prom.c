// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus text format writer: family lines, samples with and
 * without labels, label values with hostile bytes (quotes, backslashes,
 * line feeds, invalid UTF-8), HELP text escaping, and the special values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "prom.h"
#include "sbuf.h"

static void expect_buf(struct ea_sbuf *b, const char *want)
{
	if (strcmp(b->p, want))
		fail_msg("got\n%s\nwant\n%s", b->p, want);
	ea_sb_free(b);
}

static void test_family(void **state)
{
	struct ea_sbuf b = { 0 };

	ea_prom_family(&b, "egress_audit_flows_total", EA_PROM_COUNTER, "Flows that left.");
	ea_prom_family(&b, "egress_audit_siem_connected", EA_PROM_GAUGE, "Up or not.");
	expect_buf(&b, "# HELP egress_audit_flows_total Flows that left.\n"
		       "# TYPE egress_audit_flows_total counter\n"
		       "# HELP egress_audit_siem_connected Up or not.\n"
		       "# TYPE egress_audit_siem_connected gauge\n");
}

static void test_help_escaped(void **state)
{
	struct ea_sbuf b = { 0 };

	/* only backslash and line feed are escaped in HELP; quotes stay */
	ea_prom_family(&b, "m", EA_PROM_GAUGE, "a\\b\nc \"d\"");
	expect_buf(&b, "# HELP m a\\\\b\\nc \"d\"\n# TYPE m gauge\n");
}

static void test_samples(void **state)
{
	struct ea_sbuf b = { 0 };

	ea_prom_u64(&b, "m_total", NULL, 0);
	ea_prom_u64(&b, "m_total", (const char *[]){ NULL }, UINT64_MAX);
	ea_prom_u64(&b, "m_total", (const char *[]){ "country", "US", "zone",
						     "adequacy-partial", NULL }, 42);
	expect_buf(&b, "m_total 0\n"
		       "m_total 18446744073709551615\n"
		       "m_total{country=\"US\",zone=\"adequacy-partial\"} 42\n");
}

static void test_label_values_hostile(void **state)
{
	struct ea_sbuf b = { 0 };

	ea_prom_u64(&b, "m", (const char *[]){ "v", "a\"b\\c\nd", NULL }, 1);
	ea_prom_u64(&b, "m", (const char *[]){ "v", "tab\there} x=\"1\"", NULL }, 2);
	ea_prom_u64(&b, "m", (const char *[]){ "v", "caf\xc3\xa9 \xf0\x9f\x98\x80", NULL }, 3);
	/* invalid UTF-8: each byte of a bad sequence becomes U+FFFD */
	ea_prom_u64(&b, "m", (const char *[]){ "v", "\xff\xc0\xaf|\xe2\x82", NULL }, 4);
	ea_prom_u64(&b, "m", (const char *[]){ "v", "", NULL }, 5);
	expect_buf(&b, "m{v=\"a\\\"b\\\\c\\nd\"} 1\n"
		       "m{v=\"tab\there} x=\\\"1\\\"\"} 2\n"
		       "m{v=\"caf\xc3\xa9 \xf0\x9f\x98\x80\"} 3\n"
		       "m{v=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\"} 4\n"
		       "m{v=\"\"} 5\n");
}

static void test_doubles(void **state)
{
	struct ea_sbuf b = { 0 };

	ea_prom_double(&b, "g", NULL, 0.25);
	ea_prom_double(&b, "g", NULL, 1764900000.5);
	ea_prom_double(&b, "g", NULL, 3);
	ea_prom_double(&b, "g", NULL, NAN);
	ea_prom_double(&b, "g", NULL, INFINITY);
	ea_prom_double(&b, "g", NULL, -INFINITY);
	expect_buf(&b, "g 0.25\ng 1764900000.5\ng 3\ng NaN\ng +Inf\ng -Inf\n");
}

static void test_scalar(void **state)
{
	struct ea_sbuf b = { 0 };

	ea_prom_scalar(&b, "r_total", EA_PROM_COUNTER, "Records.", 12);
	expect_buf(&b, "# HELP r_total Records.\n# TYPE r_total counter\nr_total 12\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_help_escaped),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_label_values_hostile),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_scalar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
