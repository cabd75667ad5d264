/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cgroup v2: where it is mounted, and cgroup ids <-> paths. */
#ifndef EA_CGROUP_H
#define EA_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mount point of the first cgroup2 file system of the mount table, or NULL. */
const char *ea_cgroup2_mount(char *buf, size_t len);
/*
 * Whether the cgroup2 mount at mnt shows the hierarchy from its root, as
 * the kernel names cgroups it makes (true where mountinfo does not say).
 */
bool ea_cgroup2_mount_is_root(const char *mnt);

/*
 * A cgroup given by the user: an absolute path inside the cgroup2 mount or
 * a path relative to it ("/" is the root). Fills the full path, resolved
 * (no symlink, no ".."); -errno: -EINVAL for "", -EXDEV for a path that
 * resolves outside the mount or off the cgroup2 file system.
 */
int ea_cgroup_resolve(const char *mnt, const char *arg, char *full, size_t len);

/* What an error of ea_cgroup_resolve or ea_cgroup_level means, in words. */
const char *ea_cgroup_strerror(int err);

/* The id of a cgroup directory (its inode number on cgroup2). */
int ea_cgroup_id(const char *full, uint64_t *id);

/* Depth of a cgroup below the root of its mount (0: the root); -errno. */
int ea_cgroup_level(const char *mnt, const char *full);

/* id -> path relative to the mount ("/", "/a/b"), cached, rescanned on miss. */
struct ea_cgroup_names;
struct ea_cgroup_names *ea_cgroup_names_new(const char *mnt);
const char *ea_cgroup_name(struct ea_cgroup_names *n, uint64_t id);
void ea_cgroup_names_free(struct ea_cgroup_names *n);

#endif /* EA_CGROUP_H */
