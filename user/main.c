// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit: one binary, subcommands dispatched from a table. Options
 * common to all commands (-c, -j, -v, -h) are accepted before the command
 * name (here) or after it (by the command's getopt, ea_getopt). -V is the
 * version command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static const struct ea_command commands[] = {
	{ "check", cmd_check, "check a configuration as run would, loading nothing",
	  cmd_check_usage },
	{ "classify", cmd_classify, "show country, zone and verdict of addresses",
	  cmd_classify_usage },
	{ "feed", cmd_feed, "deliver an audit trail to the SIEM destinations",
	  cmd_feed_usage },
	{ "run", cmd_run, "watch flows leaving this host and print records",
	  cmd_run_usage },
	{ "status", cmd_status, "hooks, counters and map sizes of the running agent",
	  cmd_status_usage },
	{ "query", cmd_query, "records of the audit trail, filtered",
	  cmd_query_usage },
	{ "report", cmd_report, "flows and bytes of the audit trail, grouped; HTML page",
	  cmd_report_usage },
	{ "verify", cmd_verify, "check the audit trail: chain, signatures, anchors",
	  cmd_verify_usage },
	{ "version", cmd_version, "release, commit and libraries of this egress-audit",
	  cmd_version_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: egress-audit [-c FILE] [-j] [-v] COMMAND [ARGS]\n\n"
		   "Audit data egress from this host by destination jurisdiction.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -c, --config FILE  configuration file (default: embedded defaults)\n"
		   "  -j, --json         JSON output, one object per line\n"
		   "  -v, --verbose      debug messages on standard error\n"
		   "  -h, --help         this help; COMMAND --help for a command's\n"
		   "  -V, --version      the same as the version command\n"
		   "\nExit codes: 0 success, 1 runtime failure, 2 bad usage, config or input.\n");
}

/* A command by exact name or unambiguous prefix (as bpftool does). */
static const struct ea_command *find_command(const char *name)
{
	const struct ea_command *found = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, len)) {
			if (found)
				return NULL;
			found = &commands[i];
		}
	}
	return found;
}

/*
 * The global options before the command's name; after it, the command's
 * getopt takes them (ea_getopt), where a command option's value is never
 * taken for one. Returns the index of the command's name (argc: none), or
 * -1 on a bad option.
 */
static int take_global_opts(int argc, char **argv, struct ea_global_opts *g, bool *help,
			    bool *version)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (i + 1 >= argc) {
				ea_log("%s needs a FILE", a);
				return -1;
			}
			g->config = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			g->config = a + 9;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			g->json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			ea_verbose = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = true;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			*version = true;
		} else if (!strcmp(a, "--")) {
			return i + 1;
		} else {
			ea_log("unknown option '%s'", a);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct ea_global_opts g = { 0 };
	const struct ea_command *cmd;
	bool help = false, version = false;
	int i = take_global_opts(argc, argv, &g, &help, &version);

	if (i < 0)
		return EA_EXIT_USAGE;
	if (version && !help) {
		if (i < argc) {
			ea_log("-V/--version takes no command ('%s')", argv[i]);
			return EA_EXIT_USAGE;
		}
		return cmd_version(&g, 1, (char *[]){ "version", NULL });
	}
	if (i >= argc) {
		usage(help ? stdout : stderr);
		return help ? EA_EXIT_OK : EA_EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		ea_log("unknown or ambiguous command '%s'", argv[i]);
		usage(stderr);
		return EA_EXIT_USAGE;
	}
	if (help) {
		fputs(cmd->usage, stdout);
		return EA_EXIT_OK;
	}
	optind = 1;
	return cmd->run(&g, argc - i, argv + i);
}
