// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of query's output (user/query_out.c): CSV read back by an RFC
 * 4180 reader, every column of a flow row and of an agent record's row,
 * hostile cells (separators, quotes, line ends, formulas a spreadsheet
 * would run), the Community ID in CSV and JSON, and the table's escapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "query_out.h"
#include "rec_test_util.h"
#include "record.h"

#define NCOLS	28
#define CID	"1:lWOTJwBjzASkHgo+w0kukpG9z0M="	/* TCP 192.0.2.1:40000 -> 198.51.100.7:443 */

static const char *const columns[NCOLS] = {
	"seq", "chain", "ts", "host", "event", "verdict", "proto", "family", "src", "sport",
	"dst", "dport", "country", "zone", "pid", "tid", "uid", "gid", "comm", "cgroup", "bytes",
	"packets", "start", "labels", "count", "what", "detail", "community_id",
};

struct row {
	char cell[NCOLS + 1][512];
	int n;
};

/*
 * Read one CSV record from *s as RFC 4180 has it: quoted cells may hold
 * commas, line ends and "" for a quote. Returns false at the end.
 */
static bool csv_read(const char **s, struct row *row)
{
	const char *p = *s;

	if (!*p)
		return false;
	memset(row, 0, sizeof(*row));
	for (;;) {
		char *out = row->cell[row->n];
		size_t n = 0;

		assert_true(row->n <= NCOLS);
		if (*p == '"') {
			for (p++; !(p[0] == '"' && p[1] != '"'); p++) {
				assert_true(*p);	/* an unterminated quote */
				if (*p == '"')
					p++;
				out[n++] = *p;
			}
			p++;
		} else {
			while (*p && *p != ',' && *p != '\n') {
				assert_true(*p != '"' && *p != '\r');
				out[n++] = *p++;
			}
		}
		row->n++;
		if (*p == ',') {
			p++;
			continue;
		}
		assert_int_equal(*p, '\n');
		*s = p + 1;
		return true;
	}
}

/* The shared flow record, with a seq and chain as a trail gives them. */
static void flow_rec(struct ea_rec *r)
{
	rt_flow_rec(r, "curl");
	r->seq = 7;
	r->chain[0] = 0xab;
	r->gid = 1001;
}

/* What query prints of r (of the header when r is NULL). */
static __attribute__((noinline)) char *output(enum ea_out_format fmt, const struct ea_rec *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!r)
		ea_out_header(f, fmt);
	else
		ea_out_record(f, fmt, r);
	fclose(f);
	return buf;
}

/* The header names every column, in order. */
static void test_csv_header(void **state)
{
	char *out = output(EA_OUT_CSV, NULL);
	const char *p = out;
	struct row row;

	(void)state;
	assert_true(csv_read(&p, &row));
	assert_int_equal(row.n, NCOLS);
	for (int i = 0; i < NCOLS; i++)
		assert_string_equal(row.cell[i], columns[i]);
	assert_false(csv_read(&p, &row));
	free(out);
}

static void expect_cell(const struct row *row, const char *name, const char *want)
{
	for (int i = 0; i < NCOLS; i++)
		if (!strcmp(columns[i], name)) {
			if (strcmp(row->cell[i], want))
				fail_msg("%s: '%s', want '%s'", name, row->cell[i], want);
			return;
		}
	fail_msg("no column %s", name);
}

static void test_csv_flow(void **state)
{
	struct ea_rec *r = malloc(sizeof(*r));
	const char *p;
	struct row row;
	char *out;

	(void)state;
	flow_rec(r);
	p = out = output(EA_OUT_CSV, r);
	assert_true(csv_read(&p, &row));
	assert_int_equal(row.n, NCOLS);
	expect_cell(&row, "seq", "7");
	expect_cell(&row, "chain", "ab00000000000000000000000000000000000000000000000000000000000000");
	expect_cell(&row, "ts", "2025-11-29T05:30:00.123456Z");
	expect_cell(&row, "host", "db-01");
	expect_cell(&row, "event", "flow_end");
	expect_cell(&row, "verdict", "flagged");
	expect_cell(&row, "proto", "tcp");
	expect_cell(&row, "family", "4");
	expect_cell(&row, "src", "192.0.2.1");
	expect_cell(&row, "sport", "40000");
	expect_cell(&row, "dst", "198.51.100.7");
	expect_cell(&row, "dport", "443");
	expect_cell(&row, "country", "US");
	expect_cell(&row, "zone", "adequacy-partial");
	expect_cell(&row, "pid", "42");
	expect_cell(&row, "tid", "43");
	expect_cell(&row, "uid", "1000");
	expect_cell(&row, "gid", "1001");
	expect_cell(&row, "comm", "curl");
	expect_cell(&row, "cgroup", "/eu.slice");
	expect_cell(&row, "bytes", "1500");
	expect_cell(&row, "packets", "3");
	expect_cell(&row, "start", "2025-11-29T05:29:58.123456Z");
	expect_cell(&row, "labels", "eu-users,host");
	expect_cell(&row, "count", "");
	expect_cell(&row, "what", "");
	expect_cell(&row, "detail", "");
	expect_cell(&row, "community_id", CID);
	assert_false(csv_read(&p, &row));
	free(out);

	r->ip_proto = 1;	/* ICMP: no Community ID without type and code */
	r->proto = EA_PROTO_ICMP;
	p = out = output(EA_OUT_CSV, r);
	assert_true(csv_read(&p, &row));
	expect_cell(&row, "community_id", "");
	free(out);
	free(r);
}

/* A lost record and an agent record: every column there, flow columns empty. */
static void test_csv_other_records(void **state)
{
	struct ea_rec *r = calloc(1, sizeof(*r));
	const char *p;
	struct row row;
	char *out;

	(void)state;
	r->kind = EA_REC_LOST;
	r->seq = 9;
	r->count = 12;
	snprintf(r->host, sizeof(r->host), "db-01");
	snprintf(r->what, sizeof(r->what), "flow_start");
	p = out = output(EA_OUT_CSV, r);
	assert_true(csv_read(&p, &row));
	assert_int_equal(row.n, NCOLS);
	expect_cell(&row, "event", "lost");
	expect_cell(&row, "verdict", "");
	expect_cell(&row, "labels", "");
	expect_cell(&row, "count", "12");
	expect_cell(&row, "what", "flow_start");
	expect_cell(&row, "community_id", "");
	free(out);

	r->kind = EA_REC_HEARTBEAT;
	snprintf(r->detail, sizeof(r->detail), "{\"records\":3,\"a\":\"x,y\"}");
	p = out = output(EA_OUT_CSV, r);
	assert_true(csv_read(&p, &row));
	assert_int_equal(row.n, NCOLS);
	expect_cell(&row, "event", "heartbeat");
	expect_cell(&row, "detail", "{\"records\":3,\"a\":\"x,y\"}");
	free(out);
	free(r);
}

/*
 * Hostile cells: separators, quotes and line ends survive quoted; a cell a
 * spreadsheet would take for a formula gets a leading quote; other
 * controls and bytes of no character come out as U+FFFD.
 */
static void test_csv_hostile(void **state)
{
	static const struct {
		const char *in, *want;
	} cells[] = {
		{ "a,b", "a,b" },
		{ "say \"hi\"", "say \"hi\"" },
		{ "l1\nl2\r\n", "l1\nl2\r\n" },
		{ "=cmd|'/C x'!A0", "'=cmd|'/C x'!A0" },
		{ "+1+1", "'+1+1" },
		{ "-2+3", "'-2+3" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\tx", "'\tx" },
		{ "\rx", "'\rx" },
		{ "a=b", "a=b" },
		/* controls but tab and line ends, and no UTF-8, as U+FFFD */
		{ "a\x1b[2Kb\x7f", "a\xef\xbf\xbd[2Kb\xef\xbf\xbd" },
		{ "\xff\xfe\xc3", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xc2\x85y\xe2\x80\xa8", "x\xef\xbf\xbdy\xef\xbf\xbd" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },
		/* the placeholders of report are no formulas */
		{ "-", "-" },
		{ "--", "--" },
	};
	struct ea_rec *r = malloc(sizeof(*r));
	const char *p;
	struct row row;
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		flow_rec(r);
		snprintf(r->host, sizeof(r->host), "%s", cells[i].in);
		snprintf(r->comm, sizeof(r->comm), "%s", cells[i].in);
		snprintf(r->cgroup, sizeof(r->cgroup), "%s", cells[i].in);
		snprintf(r->labels, sizeof(r->labels), "%s", cells[i].in);
		p = out = output(EA_OUT_CSV, r);
		assert_true(csv_read(&p, &row));
		assert_int_equal(row.n, NCOLS);
		expect_cell(&row, "host", cells[i].want);
		expect_cell(&row, "comm", cells[i].want);
		expect_cell(&row, "cgroup", cells[i].want);
		expect_cell(&row, "labels", cells[i].want);
		assert_false(csv_read(&p, &row));
		free(out);
	}
	free(r);
}

/* JSON lines: the flow's Community ID last, none where the record has none. */
static void test_json_community_id(void **state)
{
	struct ea_rec *r = malloc(sizeof(*r));
	char *out;

	(void)state;
	flow_rec(r);
	out = output(EA_OUT_JSON, r);
	assert_non_null(strstr(out, "{\"event\":\"flow_end\""));
	assert_non_null(strstr(out, ",\"seq\":7,"));
	if (!strstr(out, ",\"community_id\":\"" CID "\"}\n") || strchr(out, '\n')[1])
		fail_msg("%s", out);
	free(out);

	r->sport = 0;	/* no source port: no ID */
	out = output(EA_OUT_JSON, r);
	assert_null(strstr(out, "community_id"));
	assert_string_equal(out + strlen(out) - 2, "}\n");
	free(out);

	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_AGENT_STOP;
	snprintf(r->detail, sizeof(r->detail), "{\"reason\":\"signal\"}");
	out = output(EA_OUT_JSON, r);
	assert_null(strstr(out, "community_id"));
	assert_non_null(strstr(out, ",\"detail\":{\"reason\":\"signal\"}}\n"));
	free(out);
	free(r);
}

/* The table: bytes outside printable ASCII and the backslash as \xNN. */
static void test_table_escapes(void **state)
{
	struct ea_rec *r = malloc(sizeof(*r));
	char *out;

	(void)state;
	flow_rec(r);
	snprintf(r->comm, sizeof(r->comm), "a\nb\\c\x1b[2J\xff");
	snprintf(r->labels, sizeof(r->labels), "l\tx");
	out = output(EA_OUT_TABLE, r);
	assert_non_null(strstr(out, " comm=a\\x0ab\\x5cc\\x1b[2J\\xff "));
	assert_non_null(strstr(out, " labels=l\\x09x\n"));
	assert_non_null(strstr(out, "flagged tcp   198.51.100.7:443 US adequacy-partial pid=42 "));
	assert_int_equal(strchr(out, '\n')[1], '\0');
	free(out);
	/* a lost record's "what", from a hostile trail, escaped too */
	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_LOST;
	r->count = 3;
	snprintf(r->what, sizeof(r->what), "x\x1b[2J\ny");
	out = output(EA_OUT_TABLE, r);
	assert_non_null(strstr(out, "3 x\\x1b[2J\\x0ay events lost\n"));
	assert_int_equal(strchr(out, '\n')[1], '\0');
	free(out);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_header),
		cmocka_unit_test(test_csv_flow),
		cmocka_unit_test(test_csv_other_records),
		cmocka_unit_test(test_csv_hostile),
		cmocka_unit_test(test_json_community_id),
		cmocka_unit_test(test_table_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
