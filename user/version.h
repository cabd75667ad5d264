/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which egress-audit this is: the release (the Makefile's VERSION) and the
 * git commit it was built from, for `egress-audit version`, the trail's
 * agent_start records, `status` and the SIEM messages' product version.
 */
#ifndef EA_VERSION_H
#define EA_VERSION_H

/* The release, e.g. "0.1.0". */
const char *ea_version(void);

/*
 * The commit built from (12 hex digits, "-dirty" after them when the tree
 * had changes); "" when the sources were not a git checkout.
 */
const char *ea_commit(void);

/*
 * The release and commit as every output spells them: "0.1.0 (commit
 * 0123456789ab)", or the release alone without a commit.
 */
const char *ea_build(void);

#endif /* EA_VERSION_H */
