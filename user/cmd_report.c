// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* egress-audit report: flows, bytes and packets of the audit trail, grouped. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "query.h"
#include "query_out.h"
#include "report.h"
#include "report_html.h"
#include "trail_cli.h"
#include "trail_read.h"
#include "util.h"

const char cmd_report_usage[] =
	"Usage: egress-audit report [--log-dir DIR]... [FILTER]... [--by KEY[,KEY]...]\n"
	"                           [-j|--csv|--html FILE]\n\n"
	"Flows, bytes and packets of the audit trail grouped by KEY: country, zone,\n"
	"verdict, label, comm, dst, host, hour, day, cgroup, uid, proto or dport\n"
	"(default: country). Each flow counts once, with the totals of its last\n"
	"selected record; hour and day are of its start (UTC); a flow with several\n"
	"labels counts under each. The table ends with what the time window may be\n"
	"missing: lost events, trail gaps, tamper records, agent starts and stops.\n\n"
	"  --log-dir DIR   as for query (repeatable)\n"
	"  FILTER          the filters of query (--since, --country, ...)\n"
	"  --by KEY,...    up to 4 keys\n"
	"  -j, --json      one JSON object per group\n"
	"  --csv           CSV with a header line\n"
	"  --html FILE     one self-contained HTML page (charts of bytes by country,\n"
	"                  flagged flows over time, top processes, the groups, and\n"
	"                  whether each trail verifies)\n\n"
	"Exit codes: 0 done, 1 a trail unreadable or damaged or FILE not written,\n"
	"2 bad usage or filter value.\n";

enum { OPT_LOG_DIR = 1, OPT_CSV, OPT_BY, OPT_HTML };

struct report_args {
	struct ea_filter f;
	char *dirs[EA_CLI_MAX_DIRS];
	size_t ndirs;
	enum ea_report_key keys[EA_REPORT_KEYS];
	size_t nkeys;
	enum ea_out_format fmt;
	const char *html;
	struct ea_report *main, *charts[EA_HTML_CHARTS];
	struct ea_report_gaps gaps;	/* of the time window */
	bool oom;			/* a report could not grow */
};

static int parse_by(struct report_args *ra, const char *v)
{
	char buf[128], *p = buf, *tok;

	snprintf(buf, sizeof(buf), "%s", v);
	while ((tok = strsep(&p, ","))) {
		int k = ea_report_key_parse(tok);

		if (k < 0 || ra->nkeys == EA_REPORT_KEYS) {
			ea_log("--by '%s': %s", tok, k < 0 ? "not a key (country, zone, verdict, "
			       "label, comm, dst, host, hour, day, cgroup, uid, proto, dport)" :
			       "at most 4 keys");
			return -EINVAL;
		}
		ra->keys[ra->nkeys++] = (enum ea_report_key)k;
	}
	return 0;
}

static int report_opt(struct report_args *ra, int c, int64_t now)
{
	struct ea_err err = { { 0 } };

	switch (c) {
	case OPT_LOG_DIR:
		if (ra->ndirs == EA_CLI_MAX_DIRS) {
			ea_log("too many --log-dir");
			return -EINVAL;
		}
		ra->dirs[ra->ndirs++] = optarg;
		return 0;
	case OPT_CSV:
		ra->fmt = EA_OUT_CSV;
		return 0;
	case OPT_BY:
		return parse_by(ra, optarg);
	case OPT_HTML:
		ra->html = optarg;
		return 0;
	}
	if (c < EA_FILTER_OPT || ea_filter_add(&ra->f, c, optarg, now, &err)) {
		if (err.msg[0])
			ea_log("%s", err.msg);
		else
			fputs(cmd_report_usage, stderr);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(struct report_args *ra, struct ea_global_opts *g, int argc,
		      char **argv)
{
	struct option opts[EA_FILTER_NOPTS + 5] = {
		{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "by", required_argument, NULL, OPT_BY },
		{ "html", required_argument, NULL, OPT_HTML },
	};
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	ea_filter_options(opts + 4);
	while ((c = ea_getopt(g, cmd_report_usage, argc, argv, opts)) != -1)
		if (report_opt(ra, c, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec))
			return -EINVAL;
	if (optind < argc) {
		ea_log("report: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!ra->nkeys)
		ra->keys[ra->nkeys++] = EA_KEY_COUNTRY;
	return 0;
}

/*
 * Every record of the time window: the gaps, and the reports if selected.
 * Past the window's end, only a gap record whose refusals began before
 * it: written when writing resumed, it is the first record after an
 * outage that ran past the window's end. The scan goes on to the trail's
 * end: records in seq order are not in time order when the clock stepped
 * back (or a record's time is forged), and in-window records may follow.
 */
static int add_record(void *ctx, const struct ea_rec *r)
{
	struct report_args *ra = ctx;
	int err = 0;

	if (ra->f.has_until && r->ts_ns >= ra->f.until) {
		if (r->kind == EA_REC_GAP && ea_report_gap_since(r) < ra->f.until)
			ea_report_gaps_add(&ra->gaps, r);
		return 0;
	}
	ea_report_gaps_add(&ra->gaps, r);
	if (!ea_filter_match(&ra->f, r))
		return 0;
	err = ea_report_add(ra->main, r);
	for (int i = 0; !err && ra->html && i < EA_HTML_CHARTS; i++)
		err = ea_report_add(ra->charts[i], r);
	ra->oom |= err != 0;
	return err != 0;
}

/*
 * One pass over the time window: the gap records whatever the other
 * filters, the records the filters select into the reports.
 */
static int scan_all(struct report_args *ra, char **trails, size_t n)
{
	/*
	 * Past the window's end too (see add_record): a block or segment
	 * there may hold a gap record that overlaps the window, and its
	 * header does not say, so only the window's start skips.
	 */
	struct ea_filter window = { .has_since = ra->f.has_since, .since = ra->f.since };
	struct ea_scan sc = { .f = &window, .fn = add_record, .ctx = ra };
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		int r = ea_scan_trail(&sc, trails[i]);

		if (r < 0 || ra->oom) {
			ea_log("%s: %s", trails[i], r < 0 ? strerror(-r) : "out of memory");
			ret = 1;
		}
	}
	if (sc.err[0]) {
		ea_log("damaged trail: %s (run verify)", sc.err);
		ret = 1;
	}
	return ret;
}

/* Below the table: the builds that wrote the window, and what the groups may be missing. */
static void print_gaps(const struct ea_report_gaps *g)
{
	char builds[EA_REPORT_BUILDS_STRLEN];

	putchar('\n');
	if (g->nbuilds)
		printf("agents started in this window: %s\n", ea_report_builds_str(g, builds));
	printf("missing from the trail in this window: %llu events lost (%llu ring buffer "
	       "full, %llu refused by the flood limit), %llu program runs the kernel skipped, "
	       "%llu records not written; "
	       "%llu tamper records, %llu agent starts, %llu agent stops\n",
	       (unsigned long long)ea_sat_add(g->lost_ring, g->lost_refused),
	       (unsigned long long)g->lost_ring, (unsigned long long)g->lost_refused,
	       (unsigned long long)g->lost_skipped,
	       (unsigned long long)g->unwritten, (unsigned long long)g->tampers,
	       (unsigned long long)g->starts, (unsigned long long)g->stops);
}

static void print_rows(const struct report_args *ra, const struct ea_report_row *rows,
		       size_t n)
{
	char buf[256];

	if (ra->fmt == EA_OUT_CSV) {
		for (size_t k = 0; k < ra->nkeys; k++)
			printf("%s,", ea_report_key_name(ra->keys[k]));
		printf("flows,bytes,packets\n");
	} else if (ra->fmt == EA_OUT_TABLE) {
		for (size_t k = 0; k < ra->nkeys; k++)
			printf("%-20s ", ea_report_key_name(ra->keys[k]));
		printf("%12s %16s %14s\n", "FLOWS", "BYTES", "PACKETS");
	}
	for (size_t i = 0; i < n; i++) {
		if (ra->fmt == EA_OUT_JSON)
			putchar('{');
		for (size_t k = 0; k < ra->nkeys; k++) {
			const char *v = rows[i].key[k];

			if (ra->fmt == EA_OUT_JSON) {
				printf("\"%s\":", ea_report_key_name(ra->keys[k]));
				ea_json_str(stdout, v);
				putchar(',');
			} else if (ra->fmt == EA_OUT_CSV) {
				ea_csv_str(stdout, v);
				putchar(',');
			} else {
				printf("%-20s ", ea_escape(buf, sizeof(buf), v));
			}
		}
		printf(ra->fmt == EA_OUT_JSON ? "\"flows\":%llu,\"bytes\":%llu,\"packets\":%llu}\n" :
		       ra->fmt == EA_OUT_CSV ? "%llu,%llu,%llu\n" : "%12llu %16llu %14llu\n",
		       (unsigned long long)rows[i].flows, (unsigned long long)rows[i].bytes,
		       (unsigned long long)rows[i].packets);
	}
}

static int make_reports(struct report_args *ra)
{
	static const enum ea_report_key chart_keys[EA_HTML_CHARTS][2] = {
		[EA_HTML_BY_COUNTRY] = { EA_KEY_COUNTRY },
		[EA_HTML_OVER_TIME] = { EA_KEY_HOUR, EA_KEY_VERDICT },
		[EA_HTML_BY_COMM] = { EA_KEY_COMM },
	};

	ra->main = ea_report_new(ra->keys, ra->nkeys);
	for (int i = 0; ra->html && i < EA_HTML_CHARTS; i++) {
		ra->charts[i] = ea_report_new(chart_keys[i], i == EA_HTML_OVER_TIME ? 2 : 1);
		if (!ra->charts[i])
			return -ENOMEM;
	}
	return ra->main ? 0 : -ENOMEM;
}

static int run_report(struct report_args *ra, char **trails, size_t n)
{
	const struct ea_report_row *rows;
	size_t nrows;
	int ret;

	if (make_reports(ra))
		return EA_EXIT_RUNTIME;
	ret = scan_all(ra, trails, n) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
	if (ea_report_finish(ra->main, &rows, &nrows))
		return EA_EXIT_RUNTIME;
	if (ra->html) {
		struct ea_report_page pg = {
			.main = ra->main, .rows = rows, .nrows = nrows,
			.keys = ra->keys, .nkeys = ra->nkeys, .charts = ra->charts,
			.gaps = &ra->gaps, .trails = trails, .ntrails = n,
		};

		return ea_report_html(ra->html, &pg) ? EA_EXIT_RUNTIME : ret;
	}
	print_rows(ra, rows, nrows);
	if (ra->fmt == EA_OUT_TABLE)
		print_gaps(&ra->gaps);
	return ret;
}

int cmd_report(struct ea_global_opts *g, int argc, char **argv)
{
	struct report_args *ra = calloc(1, sizeof(*ra));
	char **trails = NULL;
	size_t n = 0;
	int ret;

	if (!ra)
		return EA_EXIT_RUNTIME;
	ret = parse_args(ra, g, argc, argv) ? EA_EXIT_USAGE : EA_EXIT_OK;
	if (!ret && g->json + (ra->fmt == EA_OUT_CSV) + !!ra->html > 1) {
		ea_log("report: -j, --csv and --html exclude each other");
		ret = EA_EXIT_USAGE;
	}
	if (g->json)
		ra->fmt = EA_OUT_JSON;
	if (!ret)
		ret = ea_cli_trails(g, ra->dirs, ra->ndirs, &trails, &n);
	if (!ret)
		ret = run_report(ra, trails, n);
	fflush(stdout);
	ea_trail_dirs_free(trails, n);
	ea_report_free(ra->main);
	for (int i = 0; i < EA_HTML_CHARTS; i++)
		ea_report_free(ra->charts[i]);
	ea_filter_free(&ra->f);
	free(ra);
	return ret;
}
