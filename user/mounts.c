// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* This process's mount table, read with libmount (see mounts.h). */
#include <errno.h>
#include <libmount/libmount.h>

#include "mounts.h"

int ea_mounts_each(int (*fn)(struct libmnt_fs *fs, void *ctx), void *ctx)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	int ret = 0;

	errno = 0;
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return errno ? -errno : -EIO;
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!it) {
		mnt_unref_table(tb);
		return -ENOMEM;
	}
	while (!ret && !mnt_table_next_fs(tb, it, &fs))
		ret = fn(fs, ctx);
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return ret;
}
