// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of what the agent reads from its mount table (user/mounts.c
 * and its users): mount points whose names mountinfo escapes (space, tab,
 * newline, backslash) or that make a line longer than a page, a file
 * system's device by its mount, and whether a cgroup2 mount shows its
 * hierarchy's root. Root only: the mounts are made in a mount namespace
 * of the test's own, so they go with the test, also when it fails; the
 * directories and the cgroup it makes are removed in the teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmount/libmount.h>

#include "cgroup.h"
#include "mounts.h"
#include "util.h"

/* names mountinfo writes as \040, \011, \012 and \134 */
#define ODD_NAME	"a b\tc\nd\\e"
/* directories of 250 spaces, each written in 1000 bytes: a line of over 4 KiB */
#define LONG_PARTS	5

static char base[64], odd[PATH_MAX], deep[PATH_MAX];
static char cg_mnt[PATH_MAX], cg_dir[2 * PATH_MAX], cg_bind[PATH_MAX];
static bool ready;

static void deep_path(int parts, char *buf, size_t len)
{
	char part[251];

	memset(part, ' ', 250);
	part[250] = '\0';
	snprintf(buf, len, "%s/long", base);
	for (int i = 0; i < parts; i++) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "/%s", part);
	}
}

static int make_deep(void)
{
	char p[sizeof(deep)];

	snprintf(p, sizeof(p), "%s/long", base);
	if (mkdir(p, 0755))
		return -1;
	for (int i = 1; i <= LONG_PARTS; i++) {
		deep_path(i, p, sizeof(p));
		if (mkdir(p, 0755))
			return -1;
	}
	deep_path(LONG_PARTS, deep, sizeof(deep));
	return 0;
}

static void remove_deep(void)
{
	char p[sizeof(deep)];

	for (int i = LONG_PARTS; i >= 1; i--) {
		deep_path(i, p, sizeof(p));
		rmdir(p);
	}
	snprintf(p, sizeof(p), "%s/long", base);
	rmdir(p);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || !ea_cgroup2_mount(cg_mnt, sizeof(cg_mnt)))
		return 0;	/* each test skips */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	snprintf(base, sizeof(base), "/tmp/egress-audit-mounts-%d", (int)getpid());
	snprintf(odd, sizeof(odd), "%s/" ODD_NAME, base);
	snprintf(cg_bind, sizeof(cg_bind), "%s/cg bind", base);
	snprintf(cg_dir, sizeof(cg_dir), "%s/egress-audit-unit-%d", cg_mnt, (int)getpid());
	ready = true;
	if (mkdir(base, 0755) || mkdir(odd, 0755) || mkdir(cg_bind, 0755) || make_deep() ||
	    mkdir(cg_dir, 0755))
		return -1;
	if (mount("ea-odd", odd, "tmpfs", 0, "size=64k") ||
	    mount("ea-deep", deep, "tmpfs", 0, "size=64k") ||
	    mount(cg_dir, cg_bind, NULL, MS_BIND, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!ready)
		return 0;
	umount2(odd, MNT_DETACH);
	umount2(deep, MNT_DETACH);
	umount2(cg_bind, MNT_DETACH);
	rmdir(cg_dir);
	remove_deep();
	rmdir(odd);
	rmdir(cg_bind);
	rmdir(base);
	return 0;
}

static void skip_unless_ready(void)
{
	if (!ready)
		skip();
}

struct seen {
	const char *target;
	char fstype[32];
	char source[32];
	int count;
};

static int see(struct libmnt_fs *fs, void *ctx)
{
	struct seen *s = ctx;

	if (strcmp(mnt_fs_get_target(fs) ?: "", s->target))
		return 0;
	snprintf(s->fstype, sizeof(s->fstype), "%s", mnt_fs_get_fstype(fs) ?: "");
	snprintf(s->source, sizeof(s->source), "%s", mnt_fs_get_source(fs) ?: "");
	s->count++;
	return 0;
}

/* A mount point with every escaped byte comes back as it was made. */
static void test_escaped_point(void **state)
{
	struct seen s = { .target = odd };

	(void)state;
	skip_unless_ready();
	assert_int_equal(ea_mounts_each(see, &s), 0);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.fstype, "tmpfs");
	assert_string_equal(s.source, "ea-odd");
}

/* A line longer than a page is one mount, not two half lines. */
static void test_long_line(void **state)
{
	struct seen s = { .target = deep };

	(void)state;
	skip_unless_ready();
	/* the mount point alone, escaped, takes more than a page */
	assert_true(LONG_PARTS * 250 * 4 > 4096);
	assert_int_equal(ea_mounts_each(see, &s), 0);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.source, "ea-deep");
}

static int stop_at_third(struct libmnt_fs *fs, void *ctx)
{
	int *n = ctx;

	(void)fs;
	return ++*n == 3 ? 7 : 0;
}

/* The walk stops where the callback says, and returns what it said. */
static void test_stop(void **state)
{
	int n = 0;

	(void)state;
	skip_unless_ready();
	assert_int_equal(ea_mounts_each(stop_at_third, &n), 7);
	assert_int_equal(n, 3);
}

/* A file system's device, found by the mount a path lies on. */
static void test_sb_dev(void **state)
{
	const char *paths[] = { odd, deep, "/" };
	struct stat st;
	dev_t dev;

	(void)state;
	skip_unless_ready();
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(stat(paths[i], &st), 0);
		assert_int_equal(ea_sb_dev(paths[i], &dev), 0);
		/* tmpfs and ext4 name their superblock's device in stat too */
		assert_true(dev == st.st_dev);
	}
	assert_int_equal(ea_sb_dev("/nonexistent/egress-audit", &dev), -ENOENT);
}

/* A cgroup2 mount of a cgroup below the root does not show the root. */
static void test_cgroup2_root(void **state)
{
	(void)state;
	skip_unless_ready();
	assert_true(ea_cgroup2_mount_is_root(cg_mnt));
	assert_false(ea_cgroup2_mount_is_root(cg_bind));
	/* no cgroup2 mount there: nothing says otherwise */
	assert_true(ea_cgroup2_mount_is_root(odd));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped_point),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_sb_dev),
		cmocka_unit_test(test_cgroup2_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
