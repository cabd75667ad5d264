/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The subcommands of egress-audit; each returns an exit code (util.h). */
#ifndef EA_COMMANDS_H
#define EA_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>

/* Options every subcommand takes: before its name (main) or after (ea_getopt). */
struct ea_global_opts {
	const char *config;	/* -c/--config FILE */
	bool json;		/* -j/--json */
};

/*
 * getopt_long over a command's options (opts, ending in a zero entry) and
 * the global ones, which it takes into g (-h prints usage and exits 0);
 * returns the next command option as getopt_long does, -1 at the end.
 */
int ea_getopt(struct ea_global_opts *g, const char *usage, int argc, char **argv,
	      const struct option *opts);

struct ea_command {
	const char *name;
	int (*run)(struct ea_global_opts *g, int argc, char **argv);
	const char *summary;
	const char *usage;	/* printed by --help */
};

int cmd_check(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_check_usage[];
int cmd_classify(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_classify_usage[];
int cmd_feed(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_feed_usage[];
int cmd_run(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_run_usage[];
int cmd_status(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_status_usage[];
int cmd_query(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_query_usage[];
int cmd_report(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_report_usage[];
int cmd_verify(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_verify_usage[];
int cmd_version(struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_version_usage[];

#endif /* EA_COMMANDS_H */
