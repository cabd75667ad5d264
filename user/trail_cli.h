/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What query, report and verify share: finding the trails to read. */
#ifndef EA_TRAIL_CLI_H
#define EA_TRAIL_CLI_H

#include <stddef.h>

#include "commands.h"

#define EA_CLI_MAX_DIRS	64

/*
 * The trail directories under the --log-dir arguments dirs[0..n) (each a
 * log directory with one subdirectory per host, or one host's trail), or
 * when there are none under [agent] log_dir of the configuration. Returns
 * an exit code; on success *trails (to free with ea_trail_dirs_free) has
 * at least one entry.
 */
int ea_cli_trails(const struct ea_global_opts *g, char *const *dirs, size_t n,
		  char ***trails, size_t *ntrails);

#endif /* EA_TRAIL_CLI_H */
