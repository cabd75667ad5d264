/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* This process's mount table, read with libmount. */
#ifndef EA_MOUNTS_H
#define EA_MOUNTS_H

struct libmnt_fs;

/*
 * Call fn for each mount of /proc/self/mountinfo, in its order, until fn
 * returns nonzero. Returns what fn returned last (0 when every mount was
 * seen), or -errno when the table cannot be read. libmount undoes the
 * escapes of its paths (space, tab, newline, backslash) and takes lines
 * of any length.
 */
int ea_mounts_each(int (*fn)(struct libmnt_fs *fs, void *ctx), void *ctx);

#endif /* EA_MOUNTS_H */
