// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the cgroup id -> path cache of user/cgroup.c, on cgroups
 * the test makes under the cgroup2 mount and removes, also on failure.
 * Records name the cgroup of a flow's owner through it: a cgroup made
 * after the cache's last scan (a service started, a container) must be
 * named at its first flow, in the same second.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

#define CHILDREN	40

static char mnt[PATH_MAX], top[2 * PATH_MAX], top_rel[64];

/*
 * The cache's searches for a cgroup by its id, counted: the link wraps
 * open_by_handle_at (Makefile), which each such search calls once.
 */
static int handle_opens;

int __real_open_by_handle_at(int mount_fd, struct file_handle *h, int flags);

int __wrap_open_by_handle_at(int mount_fd, struct file_handle *h, int flags)
{
	handle_opens++;
	return __real_open_by_handle_at(mount_fd, h, flags);
}

static void remove_tree(void)
{
	char p[3 * PATH_MAX];

	for (int i = 0; i < CHILDREN; i++) {
		snprintf(p, sizeof(p), "%s/c%d/g", top, i);
		rmdir(p);
		snprintf(p, sizeof(p), "%s/c%d", top, i);
		rmdir(p);
	}
	snprintf(p, sizeof(p), "%s/gone", top);
	rmdir(p);
	rmdir(top);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || !ea_cgroup2_mount(mnt, sizeof(mnt)))
		return 0;	/* each test skips */
	snprintf(top_rel, sizeof(top_rel), "/egress-audit-unit-%d", (int)getpid());
	snprintf(top, sizeof(top), "%s%s", mnt, top_rel);
	return mkdir(top, 0755) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	if (top[0])
		remove_tree();
	return 0;
}

static uint64_t make(const char *rel)
{
	char p[2 * PATH_MAX];
	uint64_t id = 0;

	snprintf(p, sizeof(p), "%s%s", mnt, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(ea_cgroup_id(p, &id), 0);
	return id;
}

static void skip_unless_root(void)
{
	if (!top[0])
		skip();
}

/* Cgroups made after the scan, deeper ones too, named at once. */
static void test_made_after_scan(void **state)
{
	struct ea_cgroup_names *n;
	uint64_t id[CHILDREN], deep;
	char rel[PATH_MAX];
	uint64_t top_id;

	(void)state;
	skip_unless_root();
	assert_int_equal(ea_cgroup_id(top, &top_id), 0);
	n = ea_cgroup_names_new(mnt);
	assert_non_null(n);
	assert_string_equal(ea_cgroup_name(n, top_id), top_rel);
	for (int i = 0; i < CHILDREN; i++) {
		snprintf(rel, sizeof(rel), "%s/c%d", top_rel, i);
		id[i] = make(rel);
	}
	/* looked up out of order: each goes into its place */
	for (int i = CHILDREN - 1; i >= 0; i -= 2) {
		snprintf(rel, sizeof(rel), "%s/c%d", top_rel, i);
		assert_string_equal(ea_cgroup_name(n, id[i]), rel);
	}
	for (int i = 0; i < CHILDREN; i++) {
		snprintf(rel, sizeof(rel), "%s/c%d", top_rel, i);
		assert_string_equal(ea_cgroup_name(n, id[i]), rel);
	}
	snprintf(rel, sizeof(rel), "%s/c7/g", top_rel);
	deep = make(rel);
	assert_string_equal(ea_cgroup_name(n, deep), rel);
	assert_string_equal(ea_cgroup_name(n, top_id), top_rel);
	ea_cgroup_names_free(n);
}

/* No id, an id that never was, a cgroup removed before it was looked up. */
static void test_unknown(void **state)
{
	struct ea_cgroup_names *n;
	char rel[PATH_MAX], full[2 * PATH_MAX];
	uint64_t gone, root;

	(void)state;
	skip_unless_root();
	n = ea_cgroup_names_new(mnt);
	assert_non_null(n);
	assert_null(ea_cgroup_name(n, 0));
	assert_null(ea_cgroup_name(n, UINT64_MAX - 1));
	snprintf(rel, sizeof(rel), "%s/gone", top_rel);
	gone = make(rel);
	snprintf(full, sizeof(full), "%s%s", mnt, rel);
	assert_int_equal(rmdir(full), 0);
	assert_null(ea_cgroup_name(n, gone));
	/* the mount's own directory is "/" */
	assert_int_equal(ea_cgroup_id(mnt, &root), 0);
	assert_string_equal(ea_cgroup_name(n, root), "/");
	ea_cgroup_names_free(n);
}

/* Returns as a new second begins, so that the next calls share one. */
static void await_next_second(void)
{
	time_t t = time(NULL);

	while (time(NULL) == t)
		usleep(1000);
}

/*
 * An id found nowhere (a cgroup removed before its flow's event was read)
 * is searched for once a second, not again at each of its other events;
 * another id is searched for at once.
 */
static void test_missing_searched_once(void **state)
{
	struct ea_cgroup_names *n;
	char rel[PATH_MAX], full[2 * PATH_MAX];
	uint64_t gone;
	int before;

	(void)state;
	skip_unless_root();
	n = ea_cgroup_names_new(mnt);
	assert_non_null(n);
	snprintf(rel, sizeof(rel), "%s/gone", top_rel);
	gone = make(rel);
	snprintf(full, sizeof(full), "%s%s", mnt, rel);
	assert_int_equal(rmdir(full), 0);

	await_next_second();
	before = handle_opens;
	assert_null(ea_cgroup_name(n, gone));
	assert_int_equal(handle_opens, before + 1);
	assert_null(ea_cgroup_name(n, gone));
	assert_null(ea_cgroup_name(n, gone));
	assert_int_equal(handle_opens, before + 1);

	await_next_second();
	assert_null(ea_cgroup_name(n, gone));
	assert_int_equal(handle_opens, before + 2);
	assert_null(ea_cgroup_name(n, UINT64_MAX - 1));
	assert_int_equal(handle_opens, before + 3);
	ea_cgroup_names_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_after_scan),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_missing_searched_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
