// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The global options (-c, -j, -v, -h) after a command's name, taken by the
 * command's own getopt_long: a word that is the value of a command option
 * (query --comm -h, --country -- -j) is its value, never a global option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

#define MAX_OPTS	40	/* of a command, with the global ones */

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
};

#define NGLOBAL	(sizeof(global_opts) / sizeof(global_opts[0]))

int ea_getopt(struct ea_global_opts *g, const char *usage, int argc, char **argv,
	      const struct option *opts)
{
	struct option all[MAX_OPTS + 1] = { { 0 } };
	size_t n = 0;
	int c;

	for (; opts[n].name && n < MAX_OPTS - NGLOBAL; n++)
		all[n] = opts[n];
	memcpy(all + n, global_opts, sizeof(global_opts));
	while ((c = getopt_long(argc, argv, "c:jvh", all, NULL)) != -1) {
		if (c == 'c') {
			g->config = optarg;
		} else if (c == 'j') {
			g->json = true;
		} else if (c == 'v') {
			ea_verbose = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			exit(fflush(stdout) ? EA_EXIT_RUNTIME : EA_EXIT_OK);
		} else {
			return c;
		}
	}
	return -1;
}
