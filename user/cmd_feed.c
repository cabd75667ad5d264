// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit feed: run only the SIEM feed, on a trail that exists (the
 * one the agent writes, or one copied from another host), until a signal
 * or, with --drain, until every destination has the whole trail.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "siem.h"
#include "util.h"

const char cmd_feed_usage[] =
	"Usage: egress-audit feed -c CONFIG [--trail DIR] [--drain] [-j]\n\n"
	"Deliver an audit trail to the [siem NAME] destinations of CONFIG as\n"
	"the agent does: each from its cursor (DIR/cursors/NAME) on, in seq\n"
	"order, moving the cursor only over what was delivered. Runs until\n"
	"SIGINT or SIGTERM. Use it to deliver a trail copied from another host\n"
	"or to catch up while the agent is stopped.\n\n"
	"  -c, --config FILE   configuration with [siem NAME] sections\n"
	"  --trail DIR         the trail (default: [agent] log_dir/HOST)\n"
	"  --drain             exit once every destination has the whole trail\n"
	"  -j, --json          print each destination's progress (JSON) at exit\n\n"
	"Exit codes: 0 done (or stopped by a signal), 1 runtime failure,\n"
	"2 bad usage or bad config.\n";

static volatile sig_atomic_t feed_stopping;

/* SIGINT, SIGTERM: stop after the feeds have saved their cursors. */
static void on_signal(int sig)
{
	feed_stopping = 1;
}

struct feed_args {
	const char *trail;
	bool drain;
};

/* The options after "feed". */
static int parse_args(struct feed_args *a, struct ea_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trail", required_argument, NULL, 't' },
		{ "drain", no_argument, NULL, 'd' },
		{ 0 },
	};
	int c;

	while ((c = ea_getopt(g, cmd_feed_usage, argc, argv, opts)) != -1) {
		switch (c) {
		case 't':
			a->trail = optarg;
			break;
		case 'd':
			a->drain = true;
			break;
		default:
			fputs(cmd_feed_usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		ea_log("feed: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* log_dir/HOST as the agent names it, unless --trail says. */
static void trail_dir(const struct ea_config *cfg, const char *arg, char *dir, size_t size)
{
	char host[256] = "localhost";

	if (arg) {
		snprintf(dir, size, "%s", arg);
		return;
	}
	if (cfg->agent.hostname)
		snprintf(host, sizeof(host), "%s", cfg->agent.hostname);
	else if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	snprintf(dir, size, "%s/%s", cfg->agent.log_dir ? cfg->agent.log_dir : EA_DEFAULT_LOG_DIR,
		 host);
}

/* Wait for a signal, or for the whole trail to be delivered. */
static void wait_done(struct ea_siem *s, bool drain)
{
	struct timespec tick = { .tv_nsec = 100 * 1000000 };

	while (!feed_stopping && !(drain && ea_siem_drained(s)))
		nanosleep(&tick, NULL);
}

/* egress-audit feed: the SIEM feed alone, on an existing trail. */
int cmd_feed(struct ea_global_opts *g, int argc, char **argv)
{
	struct feed_args a = { 0 };
	struct ea_err err = { { 0 } };
	struct ea_config cfg;
	struct ea_siem *s;
	char dir[PATH_MAX];

	if (parse_args(&a, g, argc, argv))
		return EA_EXIT_USAGE;
	if (!g->config) {
		ea_log("feed: -c CONFIG is required");
		return EA_EXIT_USAGE;
	}
	if (ea_config_load(g->config, &cfg, &err)) {
		ea_log("%s", err.msg);
		return EA_EXIT_USAGE;
	}
	if (!cfg.nsiems) {
		ea_log("feed: %s has no [siem NAME] section", g->config);
		ea_config_free(&cfg);
		return EA_EXIT_USAGE;
	}
	trail_dir(&cfg, a.trail, dir, sizeof(dir));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ea_siem_start(&s, &cfg, dir, &err)) {
		ea_log("%s", err.msg);
		ea_config_free(&cfg);
		return EA_EXIT_RUNTIME;
	}
	ea_config_free(&cfg);
	wait_done(s, a.drain);
	if (g->json) {
		ea_siem_json(s, stdout);
		fputc('\n', stdout);
	}
	/* a thread left behind may not have saved its cursor */
	return ea_siem_stop(s) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
}
