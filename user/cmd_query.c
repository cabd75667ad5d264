// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* egress-audit query: records of the audit trail, filtered, in seq order. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "query.h"
#include "query_out.h"
#include "record.h"
#include "trail_cli.h"
#include "trail_read.h"
#include "util.h"

const char cmd_query_usage[] =
	"Usage: egress-audit query [--log-dir DIR]... [FILTER]... [-j|--csv] [--limit N] [--stats]\n\n"
	"Records of the audit trail in seq order (host by host): a table, JSON\n"
	"lines (-j: the record keys of `run -j` plus seq, chain and a flow's\n"
	"community_id) or CSV with a header (--csv).\n\n"
	"  --log-dir DIR      a log directory (one subdirectory per host) or one\n"
	"                     host's trail (default: [agent] log_dir, else\n"
	"                     /var/lib/egress-audit); repeatable\n"
	"  --since T          records at or after T: RFC 3339, YYYY-MM-DD (UTC\n"
	"                     midnight), relative (-90s, -30m, -2h, -7d, -1w) or now\n"
	"  --until T          records before T\n"
	"  --event E,...      flow_start flow_update flow_end flow lost agent_start\n"
	"                     agent_stop heartbeat config checkpoint repair gap retention\n"
	"                     tamper\n"
	"  --verdict V,...    allowed flagged blocked\n"
	"  --country CC,...   destination country (-- for none)\n"
	"  --zone Z,...       eu eea adequacy adequacy-partial third unknown internal own\n"
	"  --label L,...      flows carrying the label\n"
	"  --comm PATTERN     process name, a shell pattern (repeat for more)\n"
	"  --pid N,...  --uid N,...\n"
	"  --dst CIDR,...     destination address or network\n"
	"  --dport N[-M],...  destination port or range\n"
	"  --proto P,...      tcp udp icmp raw packet other\n"
	"  --host H,...       the host that recorded it\n"
	"  --community-id ID,...  the flow's Community ID (1:...), as the SIEM\n"
	"                     messages and network sensors (Zeek, Suricata) give it\n"
	"  -j, --json         JSON lines\n"
	"  --csv              CSV with a header line\n"
	"  --limit N          at most N records\n"
	"  --stats            on standard error: records scanned, segments and\n"
	"                     blocks skipped, bytes read\n\n"
	"Filters of one kind are alternatives, different kinds must all hold; a\n"
	"filter on a flow field selects flow records only.\n\n"
	"Exit codes: 0 done (also when nothing matched), 1 a trail unreadable or\n"
	"damaged (what could be read is shown), 2 bad usage or filter value.\n";

struct query_args {
	struct ea_filter f;
	char *dirs[EA_CLI_MAX_DIRS];
	size_t ndirs;
	enum ea_out_format fmt;
	uint64_t limit, shown;
	bool stats;
};

enum { OPT_LOG_DIR = 1, OPT_CSV, OPT_LIMIT, OPT_STATS };

static int query_opt(struct query_args *qa, int c, int64_t now)
{
	struct ea_err err = { { 0 } };
	char *end;

	switch (c) {
	case OPT_LOG_DIR:
		if (qa->ndirs == EA_CLI_MAX_DIRS) {
			ea_log("too many --log-dir");
			return -EINVAL;
		}
		qa->dirs[qa->ndirs++] = optarg;
		return 0;
	case OPT_CSV:
		qa->fmt = EA_OUT_CSV;
		return 0;
	case OPT_STATS:
		qa->stats = true;
		return 0;
	case OPT_LIMIT:
		errno = 0;
		qa->limit = strtoull(optarg, &end, 10);
		if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || !qa->limit) {
			ea_log("--limit '%s': not a positive number", optarg);
			return -EINVAL;
		}
		return 0;
	}
	if (c < EA_FILTER_OPT || ea_filter_add(&qa->f, c, optarg, now, &err)) {
		if (err.msg[0])
			ea_log("%s", err.msg);
		else
			fputs(cmd_query_usage, stderr);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(struct query_args *qa, struct ea_global_opts *g, int argc,
		      char **argv)
{
	struct option opts[EA_FILTER_NOPTS + 5] = {
		{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "stats", no_argument, NULL, OPT_STATS },
	};
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	ea_filter_options(opts + 4);
	while ((c = ea_getopt(g, cmd_query_usage, argc, argv, opts)) != -1)
		if (query_opt(qa, c, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec))
			return -EINVAL;
	if (optind < argc) {
		ea_log("query: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int show(void *ctx, const struct ea_rec *r)
{
	struct query_args *qa = ctx;

	ea_out_record(stdout, qa->fmt, r);
	return qa->limit && ++qa->shown >= qa->limit;
}

static void print_stats(const struct ea_scan_stats *st)
{
	fprintf(stderr, "egress-audit: scanned %llu records (%llu matched); segments %llu read, "
		"%llu skipped by index; blocks %llu read, %llu skipped by header; %llu bytes read\n",
		(unsigned long long)st->records, (unsigned long long)st->matched,
		(unsigned long long)st->segments, (unsigned long long)st->segments_skipped,
		(unsigned long long)st->blocks, (unsigned long long)st->blocks_skipped,
		(unsigned long long)st->bytes_read);
}

/* Scan every trail in order; 0, or 1 after damage or an unreadable trail. */
static int run_query(struct query_args *qa, char **trails, size_t n)
{
	struct ea_scan sc = { .f = &qa->f, .want_chain = qa->fmt != EA_OUT_TABLE, .fn = show,
			      .ctx = qa };
	int ret = 0;

	ea_out_header(stdout, qa->fmt);
	for (size_t i = 0; i < n; i++) {
		int r = ea_scan_trail(&sc, trails[i]);

		if (r < 0) {
			ea_log("%s: %s", trails[i], strerror(-r));
			ret = 1;
		}
		if (r == 1)
			break;
	}
	if (sc.err[0]) {
		ea_log("damaged trail: %s (run verify)", sc.err);
		ret = 1;
	}
	if (qa->stats)
		print_stats(&sc.st);
	return ret;
}

int cmd_query(struct ea_global_opts *g, int argc, char **argv)
{
	struct query_args *qa = calloc(1, sizeof(*qa));
	char **trails = NULL;
	size_t n = 0;
	int ret;

	if (!qa)
		return EA_EXIT_RUNTIME;
	ret = parse_args(qa, g, argc, argv) ? EA_EXIT_USAGE : EA_EXIT_OK;
	if (!ret && g->json && qa->fmt == EA_OUT_CSV) {
		ea_log("query: -j and --csv exclude each other");
		ret = EA_EXIT_USAGE;
	}
	if (g->json)
		qa->fmt = EA_OUT_JSON;
	if (!ret)
		ret = ea_cli_trails(g, qa->dirs, qa->ndirs, &trails, &n);
	if (!ret)
		ret = run_query(qa, trails, n) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
	fflush(stdout);
	ea_trail_dirs_free(trails, n);
	ea_filter_free(&qa->f);
	free(qa);
	return ret;
}
