/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the trail tests share: temporary trails of synthetic records. */
#ifndef EA_TRAIL_TEST_UTIL_H
#define EA_TRAIL_TEST_UTIL_H

#include <stdint.h>

#include "commands.h"
#include "query.h"
#include "rec_synth.h"
#include "trail.h"

#define TT_HOST		"t-host"
#define TT_START_NS	1764000000000000000ll	/* 2025-11-24T16:00:00Z */

/* A new empty directory under /tmp; free() the result. */
char *tt_tmpdir(void);
/* rm -rf dir, then free it. */
void tt_rmdir(char *dir);
/* dir/TT_HOST in a static buffer. */
const char *tt_trail_dir(const char *log_dir);

/* Options: host TT_HOST, small blocks, nothing periodic. */
void tt_opts(struct ea_trail_opts *o, const char *log_dir);
/* Append n synthetic records of s; returns the last seq given. */
uint64_t tt_append(struct ea_trail *t, struct ea_synth *s, struct ea_rec *r, uint64_t n);
/* Write a trail of n synthetic records (seed) and close it. */
void tt_write(const struct ea_trail_opts *o, uint64_t seed, uint64_t n);

/* Every record of the trail in dir, in order (caller frees *recs). */
size_t tt_read_all(const char *dir, const struct ea_filter *f, struct ea_rec **recs);
/* Whether verify finds the trail intact (0) or not (1). */
int tt_verify(const char *dir, const char **what);

/* What command cmd prints on standard output with argv, in a string
 * (free() it); its exit code into *rc. */
char *tt_run_cmd(int (*cmd)(struct ea_global_opts *, int, char **),
		 struct ea_global_opts *g, char **argv, int argc, int *rc);

#endif /* EA_TRAIL_TEST_UTIL_H */
