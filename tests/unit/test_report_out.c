// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of report's output (user/report_html.c, user/cmd_report.c):
 * the HTML escape of every name (markup, quotes, controls, bytes of no
 * UTF-8 character); a whole page made by the command from a trail of
 * hostile names, in which every '<' must open one of the page's own
 * elements, the names must appear escaped, and every byte must be valid
 * UTF-8; and the same trail's groups as JSON lines and CSV, line by line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "rec_test_util.h"
#include "report.h"
#include "report_html.h"
#include "trail_test_util.h"
#include "util.h"
#include "version.h"

static char *escaped(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ea_html_str(f, in);
	fclose(f);
	return buf;
}

static void expect_escape(const char *in, const char *want)
{
	char *got = escaped(in);

	if (strcmp(got, want))
		fail_msg("html of %s: got %s want %s", in, got, want);
	free(got);
}

static void test_html_str(void **state)
{
	(void)state;
	expect_escape("plain /x.slice", "plain /x.slice");
	expect_escape("<script>a&b</script>", "&lt;script&gt;a&amp;b&lt;/script&gt;");
	expect_escape("\"'", "&quot;&#39;");
	expect_escape("a\nb\x1b\x7f", "a&#xfffd;b&#xfffd;&#xfffd;");
	expect_escape("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	expect_escape("\xff<\xc3", "&#xfffd;&lt;&#xfffd;");
	expect_escape("\xed\xa0\x80", "&#xfffd;&#xfffd;&#xfffd;");	/* a surrogate */
	expect_escape("\xc2\x85\xe2\x80\xa9", "&#xfffd;&#xfffd;");	/* NEL, U+2029 */
}

/* The elements the page is made of: nothing else may open with '<'. */
static const char *const elements[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
	"table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "text", "g", "line",
	"polyline", "path", "circle", "span", "div", "small", "b", "code", "ul", "li",
};

static void check_tags(const char *page)
{
	for (const char *p = strchr(page, '<'); p; p = strchr(p + 1, '<')) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = 0, i;

		while (isalnum((unsigned char)name[n]) || name[n] == '!' || name[n] == '-')
			n++;
		for (i = 0; i < sizeof(elements) / sizeof(elements[0]); i++)
			if (strlen(elements[i]) == n && !strncmp(elements[i], name, n))
				break;
		if (i == sizeof(elements) / sizeof(elements[0]))
			fail_msg("an element the page does not make: %.40s", p);
	}
}

static void check_utf8(const char *page)
{
	for (const unsigned char *u = (const unsigned char *)page; *u;) {
		size_t n = *u < 0x80 ? 1 : ea_utf8_valid_len(u);

		if (!n)
			fail_msg("not UTF-8 at byte %zu", (size_t)(u - (const unsigned char *)page));
		u += n;
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *const names[] = {
	"<script>x", "<img src=y>", "a\"b'c&d", "\xff\xfe<b>", "</td><td>",
};

/* A trail in dir of one flow a name, each name its comm, labels and cgroup. */
static void hostile_trail(const char *dir)
{
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t;

	tt_opts(&o, dir);
	if (ea_trail_open(&t, &o, &err))
		fail_msg("open: %s", err.msg);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rt_flow_rec(r, names[i]);
		r->ts_ns = TT_START_NS + (int64_t)i * 1000000000;
		r->start_ns = r->ts_ns;
		r->sport = (uint16_t)(40000 + i);
		snprintf(r->labels, sizeof(r->labels), "%s", names[i]);
		snprintf(r->cgroup, sizeof(r->cgroup), "/x/%s", names[i]);
		assert_int_equal(ea_trail_append(t, r), 0);
	}
	assert_int_equal(ea_trail_close(t), 0);
	free(r);
}

/* The page report makes of the hostile trail, by one key and by two. */
static void test_hostile_page(void **state)
{
	char *dir = tt_tmpdir(), html[600], made[128], build[64], *page;
	struct ea_global_opts g = { 0 };

	(void)state;
	hostile_trail(dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	for (int by = 0; by < 2; by++) {
		char *argv[] = { "report", "--log-dir", dir, "--by", by ? "label,comm" : "comm",
				 "--html", html, NULL };

		optind = 1;
		assert_int_equal(cmd_report(&g, 7, argv), 0);
		page = read_file(html);
		check_tags(page);
		check_utf8(page);
		assert_non_null(strstr(page, "&lt;script&gt;x"));
		assert_non_null(strstr(page, "&lt;img src=y&gt;"));
		assert_non_null(strstr(page, "&lt;/td&gt;&lt;td&gt;"));
		assert_non_null(strstr(page, "&#xfffd;&#xfffd;&lt;b&gt;"));
		assert_null(strstr(page, "<script"));
		ea_build_format(build, sizeof(build), ea_version(), ea_commit());
		assert_string_equal(ea_build(), build);	/* one spelling */
		snprintf(made, sizeof(made), " by egress-audit %s from 1 trail(s)", build);
		assert_non_null(strstr(page, made));
		free(page);
	}
	tt_rmdir(dir);
}

/*
 * --html FILE: a link planted at a name the page might be written under
 * first is not followed; the page is FILE, mode 0600, and no temporary
 * file stays.
 */
static void test_html_no_follow(void **state)
{
	char *dir = tt_tmpdir(), html[600], link[620], victim[620], *text;
	char *argv[] = { "report", "--log-dir", dir, "--html", html, NULL };
	struct ea_global_opts g = { 0 };
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *d;

	(void)state;
	hostile_trail(dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(link, sizeof(link), "%s.tmp", html);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	close(open(victim, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(symlink(victim, link), 0);
	optind = 1;
	assert_int_equal(cmd_report(&g, 5, argv), 0);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(lstat(html, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	text = read_file(html);
	check_tags(text);
	free(text);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))	/* the link alone starts so */
		n += !strncmp(de->d_name, "report.html.", 12);
	closedir(d);
	assert_int_equal(n, 1);
	tt_rmdir(dir);
}

/*
 * Sums of a hostile trail's counts stop at UINT64_MAX rather than wrap;
 * a flow whose labels are all empty counts under "-", as one with none.
 */
static void test_sums_and_empty_labels(void **state)
{
	static const enum ea_report_key by_label = EA_KEY_LABEL;
	struct ea_report *rp = ea_report_new(&by_label, 1);
	struct ea_report_gaps g = { 0 };
	const struct ea_report_row *rows;
	struct ea_rec *r = malloc(sizeof(*r));
	size_t n;

	(void)state;
	assert_non_null(rp);
	for (int i = 0; i < 3; i++) {
		rt_flow_rec(r, "x");
		r->sport = (uint16_t)(40000 + i);
		r->bytes = r->packets = UINT64_MAX - 10;
		snprintf(r->labels, sizeof(r->labels), "%s", i ? "," : "");
		assert_int_equal(ea_report_add(rp, r), 0);
		memset(r, 0, sizeof(*r));
		r->kind = EA_REC_LOST;
		r->count = UINT64_MAX / 2 + 1;
		ea_report_gaps_add(&g, r);
		r->kind = EA_REC_GAP;
		snprintf(r->detail, sizeof(r->detail), "{\"records\":18446744073709551615}");
		ea_report_gaps_add(&g, r);
	}
	assert_int_equal(ea_report_finish(rp, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].key[0], "-");
	assert_int_equal(rows[0].flows, 3);
	assert_true(rows[0].bytes == UINT64_MAX && rows[0].packets == UINT64_MAX);
	assert_true(g.lost_ring == UINT64_MAX && g.unwritten == UINT64_MAX);
	ea_report_free(rp);
	free(r);
}

/* Sizes on the page: the unit is of the rounded value (999950 B is 1.0 MB). */
static void test_html_units(void **state)
{
	char *dir = tt_tmpdir(), html[600], *page;
	char *argv[] = { "report", "--log-dir", dir, "--html", html, NULL };
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_global_opts g = { 0 };
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t;

	(void)state;
	tt_opts(&o, dir);
	if (ea_trail_open(&t, &o, &err))
		fail_msg("open: %s", err.msg);
	rt_flow_rec(r, "x");
	r->bytes = 999950;
	assert_int_equal(ea_trail_append(t, r), 0);
	assert_int_equal(ea_trail_close(t), 0);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	optind = 1;
	assert_int_equal(cmd_report(&g, 5, argv), 0);
	page = read_file(html);
	assert_non_null(strstr(page, ">1.0 MB<"));
	assert_null(strstr(page, "1000.0"));
	free(page);
	free(r);
	tt_rmdir(dir);
}

/* What report prints on standard output with args, in a string. */
static char *report_stdout(struct ea_global_opts *g, char **argv, int argc)
{
	int rc;
	char *out = tt_run_cmd(cmd_report, g, argv, argc, &rc);

	assert_int_equal(rc, 0);
	return out;
}

static void expect_lines(const char *out, const char *const *want, size_t n)
{
	size_t lines = 0;

	for (const char *p = out; *p; p = strchr(p, '\n') + 1)
		lines++;
	if (lines != n)
		fail_msg("%zu lines, want %zu: %s", lines, n, out);
	for (size_t i = 0; i < n; i++)
		if (!strstr(out, want[i]))
			fail_msg("no line %s in %s", want[i], out);
}

/* Groups of the hostile trail as JSON lines and as CSV: escaped per format. */
static void test_hostile_groups(void **state)
{
	static const char *const json[] = {
		"{\"comm\":\"<script>x\",\"flows\":1,\"bytes\":1500,\"packets\":3}\n",
		"{\"comm\":\"<img src=y>\",\"flows\":1,\"bytes\":1500,\"packets\":3}\n",
		"{\"comm\":\"a\\\"b'c&d\",\"flows\":1,\"bytes\":1500,\"packets\":3}\n",
		"{\"comm\":\"\\ufffd\\ufffd<b>\",\"flows\":1,\"bytes\":1500,\"packets\":3}\n",
		"{\"comm\":\"</td><td>\",\"flows\":1,\"bytes\":1500,\"packets\":3}\n",
	};
	static const char *const csv[] = {
		"comm,flows,bytes,packets\n", "<script>x,1,1500,3\n", "<img src=y>,1,1500,3\n",
		"\"a\"\"b'c&d\",1,1500,3\n", "\xef\xbf\xbd\xef\xbf\xbd<b>,1,1500,3\n", "</td><td>,1,1500,3\n",
	};
	struct ea_global_opts g = { .json = true };
	char *dir = tt_tmpdir(), *out;
	char *argv[] = { "report", "--log-dir", dir, "--by", "comm", NULL, NULL };

	(void)state;
	hostile_trail(dir);
	out = report_stdout(&g, argv, 5);
	expect_lines(out, json, sizeof(json) / sizeof(json[0]));
	free(out);
	g.json = false;
	argv[5] = "--csv";
	out = report_stdout(&g, argv, 6);
	expect_lines(out, csv, sizeof(csv) / sizeof(csv[0]));
	free(out);
	tt_rmdir(dir);
}

/* The records-not-written count of a report's footer. */
static unsigned long long unwritten(char **argv, int argc)
{
	struct ea_global_opts g = { 0 };
	char *out = report_stdout(&g, argv, argc);
	const char *p = strstr(out, " records not written");
	unsigned long long n = ~0ull;

	while (p && p > out && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (!p || sscanf(p, "%llu", &n) != 1)
		fail_msg("no count of records not written in: %s", out);
	free(out);
	return n;
}

/*
 * A gap record is written when writing resumes: an outage that ran past a
 * window's end counts in that window, and in none it does not overlap.
 */
static void test_gap_by_span(void **state)
{
	char *dir = tt_tmpdir();
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t;
	char *in[] = { "report", "--log-dir", dir, "--since", "2025-11-24T16:00:00Z",
		       "--until", "2025-11-24T16:01:00Z", NULL };
	char *after[] = { "report", "--log-dir", dir, "--since", "2025-11-24T16:02:00Z",
			  "--until", "2025-11-24T16:04:00Z", NULL };

	(void)state;
	tt_opts(&o, dir);
	if (ea_trail_open(&t, &o, &err))
		fail_msg("open: %s", err.msg);
	for (int i = 0; i < 10; i++) {
		rt_flow_rec(r, "x");
		r->ts_ns = r->start_ns = TT_START_NS + (int64_t)i * 1000000000;
		r->sport = (uint16_t)(40000 + i);
		assert_int_equal(ea_trail_append(t, r), 0);
	}
	/* refused from 16:00:10 to 16:01:40, written when writing resumed */
	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_GAP;
	r->ts_ns = TT_START_NS + 100 * 1000000000ll;
	snprintf(r->host, sizeof(r->host), "%s", TT_HOST);
	snprintf(r->detail, sizeof(r->detail), "{\"records\":5000,\"since\":"
		 "\"2025-11-24T16:00:10Z\",\"until\":\"2025-11-24T16:01:40Z\"}");
	assert_int_equal(ea_trail_append(t, r), 0);
	rt_flow_rec(r, "y");
	r->ts_ns = r->start_ns = TT_START_NS + 200 * 1000000000ll;
	assert_int_equal(ea_trail_append(t, r), 0);
	assert_int_equal(ea_trail_close(t), 0);
	assert_int_equal(unwritten(in, 7), 5000);
	assert_int_equal(unwritten(after, 7), 0);
	free(r);
	tt_rmdir(dir);
}

/* n flows of comm, one a second from ts (ns). */
static void append_flows(struct ea_trail *t, struct ea_rec *r, const char *comm, int64_t ts,
			 int n)
{
	for (int i = 0; i < n; i++) {
		rt_flow_rec(r, comm);
		r->ts_ns = r->start_ns = ts + (int64_t)i * 1000000000;
		r->sport = (uint16_t)(40000 + i);
		assert_int_equal(ea_trail_append(t, r), 0);
	}
}

/*
 * Records in seq order are not in time order when the clock steps back:
 * 60 flows at 16:00, then the clock an hour back and 60 flows at 15:01.
 * A window of 15:00-15:30 holds the 60 written after the step.
 */
static void test_clock_back(void **state)
{
	static const char *const want[] = {
		"{\"comm\":\"back\",\"flows\":60,\"bytes\":90000,\"packets\":180}\n",
	};
	struct ea_global_opts g = { .json = true };
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t;
	char *dir = tt_tmpdir(), *out;
	char *argv[] = { "report", "--log-dir", dir, "--by", "comm", "--since",
			 "2025-11-24T15:00:00Z", "--until", "2025-11-24T15:30:00Z", NULL };

	(void)state;
	tt_opts(&o, dir);
	if (ea_trail_open(&t, &o, &err))
		fail_msg("open: %s", err.msg);
	append_flows(t, r, "ahead", TT_START_NS, 60);
	append_flows(t, r, "back", TT_START_NS - 59 * 60 * 1000000000ll, 60);
	assert_int_equal(ea_trail_close(t), 0);
	out = report_stdout(&g, argv, 9);
	expect_lines(out, want, 1);
	free(out);
	free(r);
	tt_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_str),
		cmocka_unit_test(test_hostile_page),
		cmocka_unit_test(test_hostile_groups),
		cmocka_unit_test(test_gap_by_span),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_html_no_follow),
		cmocka_unit_test(test_sums_and_empty_labels),
		cmocka_unit_test(test_html_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
