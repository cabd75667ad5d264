/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The subcommands of egress-audit; each returns an exit code (util.h). */
#ifndef EA_COMMANDS_H
#define EA_COMMANDS_H

#include <stdbool.h>

/* Options every subcommand takes, parsed by main before dispatch. */
struct ea_global_opts {
	const char *config;	/* -c/--config FILE */
	bool json;		/* -j/--json */
};

struct ea_command {
	const char *name;
	int (*run)(const struct ea_global_opts *g, int argc, char **argv);
	const char *summary;
	const char *usage;	/* printed by --help */
};

int cmd_check(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_check_usage[];
int cmd_classify(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_classify_usage[];
int cmd_feed(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_feed_usage[];
int cmd_run(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_run_usage[];
int cmd_status(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_status_usage[];
int cmd_query(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_query_usage[];
int cmd_report(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_report_usage[];
int cmd_verify(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_verify_usage[];
int cmd_version(const struct ea_global_opts *g, int argc, char **argv);
extern const char cmd_version_usage[];

#endif /* EA_COMMANDS_H */
