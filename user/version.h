/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which egress-audit this is: the release (the Makefile's VERSION) and the
 * git commit it was built from, for `egress-audit version`, the trail's
 * agent_start records, `status` and the SIEM messages' product version.
 */
#ifndef EA_VERSION_H
#define EA_VERSION_H

#include <stddef.h>

/* The release, e.g. "0.1.0". */
const char *ea_version(void);

/*
 * The commit built from (12 hex digits, "-dirty" after them when the tree
 * had changes); "" when the sources were not a git checkout.
 */
const char *ea_commit(void);

/*
 * A build as every output spells it: "0.1.0 (commit 0123456789ab)", or the
 * release alone without a commit ("" commit).
 */
void ea_build_format(char *buf, size_t size, const char *version, const char *commit);

/* This build, spelt so. */
const char *ea_build(void);

#endif /* EA_VERSION_H */
