// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding the trails a command reads. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "trail_cli.h"
#include "trail_read.h"
#include "util.h"

/* Append the trails under one directory to *trails. */
static int add_trails(const char *dir, char ***trails, size_t *n)
{
	char **found, **v;
	size_t nf;
	int r = ea_trail_dirs(dir, &found, &nf);

	if (r) {
		ea_log("%s: %s", dir, strerror(-r));
		return EA_EXIT_RUNTIME;
	}
	v = realloc(*trails, (*n + nf + 1) * sizeof(*v));
	if (!v) {
		ea_trail_dirs_free(found, nf);
		return EA_EXIT_RUNTIME;
	}
	memcpy(v + *n, found, nf * sizeof(*v));
	*trails = v;
	*n += nf;
	free(found);
	if (!nf)
		ea_log("%s: no trail here (no seg-*.eat in it or in its subdirectories)", dir);
	return EA_EXIT_OK;
}

int ea_cli_trails(const struct ea_global_opts *g, char *const *dirs, size_t n,
		  char ***trails, size_t *ntrails)
{
	struct ea_err err = { { 0 } };
	struct ea_config cfg;
	int ret = EA_EXIT_OK;

	*trails = NULL;
	*ntrails = 0;
	if (!n) {
		if (ea_config_load(g->config, &cfg, &err)) {
			ea_log("%s", err.msg);
			return EA_EXIT_USAGE;
		}
		ret = add_trails(cfg.agent.log_dir ? cfg.agent.log_dir : EA_DEFAULT_LOG_DIR,
				 trails, ntrails);
		ea_config_free(&cfg);
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = add_trails(dirs[i], trails, ntrails);
	if (!ret && !*ntrails)
		ret = EA_EXIT_RUNTIME;
	if (ret) {
		ea_trail_dirs_free(*trails, *ntrails);
		*trails = NULL;
		*ntrails = 0;
	}
	return ret;
}
