// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup v2 mount discovery and id-to-path resolution. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <libmount/libmount.h>

#include "cgroup.h"
#include "mounts.h"

/* The first cgroup2 mount, its point into the caller's buffer. */
struct cgroup2_first {
	char *buf;
	size_t len;
};

static int cgroup2_first(struct libmnt_fs *fs, void *ctx)
{
	struct cgroup2_first *want = ctx;

	if (strcmp(mnt_fs_get_fstype(fs) ?: "", "cgroup2"))
		return 0;
	snprintf(want->buf, want->len, "%s", mnt_fs_get_target(fs) ?: "");
	return 1;
}

const char *ea_cgroup2_mount(char *buf, size_t len)
{
	struct cgroup2_first want = { buf, len };

	return ea_mounts_each(cgroup2_first, &want) == 1 && buf[0] ? buf : NULL;
}

/* Whether the cgroup2 mount at a point shows its hierarchy's root (the last mount there). */
struct cgroup2_root {
	const char *mnt;
	bool is_root;
};

static int cgroup2_root(struct libmnt_fs *fs, void *ctx)
{
	struct cgroup2_root *want = ctx;

	if (!strcmp(mnt_fs_get_fstype(fs) ?: "", "cgroup2") &&
	    mnt_fs_streq_target(fs, want->mnt))
		want->is_root = !strcmp(mnt_fs_get_root(fs) ?: "/", "/");
	return 0;
}

bool ea_cgroup2_mount_is_root(const char *mnt)
{
	struct cgroup2_root want = { mnt, true };

	ea_mounts_each(cgroup2_root, &want);
	return want.is_root;
}

/* Whether path is root or below it; both canonical. */
static bool path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The path is resolved (symlinks, "..") before it is judged: a cgroup is a
 * directory of the cgroup2 file system at or below its mount, never one
 * that ".." reaches beside it (a cgroup v1 hierarchy, whose inode numbers
 * would pass for cgroup ids).
 */
int ea_cgroup_resolve(const char *mnt, const char *arg, char *full, size_t len)
{
	char joined[PATH_MAX], rm[PATH_MAX], rf[PATH_MAX];
	struct statfs sf;
	struct stat st;

	if (!arg[0])
		return -EINVAL;
	if (path_under(arg, mnt))
		snprintf(joined, sizeof(joined), "%s", arg);
	else
		snprintf(joined, sizeof(joined), "%s/%s", mnt, arg[0] == '/' ? arg + 1 : arg);
	if (!realpath(mnt, rm) || !realpath(joined, rf))
		return -errno;
	if (!path_under(rf, rm) || statfs(rf, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)
		return -EXDEV;
	if (stat(rf, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((size_t)snprintf(full, len, "%s", rf) >= len)
		return -ENAMETOOLONG;
	return 0;
}

const char *ea_cgroup_strerror(int err)
{
	return err == -EXDEV ? "not under the cgroup2 mount" : strerror(-err);
}

int ea_cgroup_id(const char *full, uint64_t *id)
{
	struct stat st;

	if (stat(full, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int ea_cgroup_level(const char *mnt, const char *full)
{
	char rm[PATH_MAX], rf[PATH_MAX];
	const char *p;
	size_t ml;
	int level = 0;

	if (!realpath(mnt, rm) || !realpath(full, rf))
		return -errno;
	ml = strlen(rm);
	if (strncmp(rf, rm, ml) || (rf[ml] != '/' && rf[ml] != '\0'))
		return -EXDEV;	/* not below the mount */
	for (p = rf + ml; *p; level++) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		while (*p && *p != '/')
			p++;
	}
	return level;
}

/*
 * FILEID_KERNFS of the kernel's include/linux/exportfs.h: a handle that
 * names a kernfs node (a cgroup) by its 64-bit id.
 */
#define FILEID_KERNFS	0xfe
#define DELETED		" (deleted)"

struct name_entry {
	uint64_t id;
	char *path;
};

/*
 * Paths by id, sorted by id. A cgroup made since the last scan is opened
 * by its id (open_by_handle_at) and named by the kernel; a scan of the
 * whole tree, at most once a second, is the fallback, and rebuilds the
 * cache when handles have added as many entries as the tree had.
 */
struct ea_cgroup_names {
	char mnt[PATH_MAX];
	int mnt_fd;
	struct name_entry *v;
	size_t n, cap;
	size_t scanned;		/* entries the last scan found */
	time_t last_scan;
	uint64_t missing;	/* the last id found nowhere, */
	time_t missing_at;	/* and when: its other events skip the search */
};

static int entry_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct name_entry *)a)->id, y = ((const struct name_entry *)b)->id;

	return x < y ? -1 : x > y;
}

/* Room for one more entry. */
static bool reserve_entry(struct ea_cgroup_names *n)
{
	size_t cap = n->cap ? n->cap * 2 : 256;
	struct name_entry *v;

	if (n->n < n->cap)
		return true;
	v = realloc(n->v, cap * sizeof(*v));
	if (!v)
		return false;
	n->v = v;
	n->cap = cap;
	return true;
}

/* A copy of full's path below the mount ("/" for the mount itself). */
static char *rel_dup(const struct ea_cgroup_names *n, const char *full)
{
	const char *rel = full + strlen(n->mnt);

	return strdup(*rel ? rel : "/");
}

/* nftw has no user pointer: the scan in progress. */
static struct ea_cgroup_names *scanning;

static int scan_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct ea_cgroup_names *n = scanning;

	if (type != FTW_D)
		return 0;
	if (!reserve_entry(n))
		return -1;
	n->v[n->n].id = st->st_ino;
	n->v[n->n].path = rel_dup(n, path);
	if (!n->v[n->n].path)
		return -1;
	n->n++;
	return 0;
}

static void clear(struct ea_cgroup_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i].path);
	n->n = 0;
}

static void rescan(struct ea_cgroup_names *n)
{
	clear(n);
	scanning = n;
	nftw(n->mnt, scan_one, 32, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
	qsort(n->v, n->n, sizeof(*n->v), entry_cmp);
	n->scanned = n->n;
	n->last_scan = time(NULL);
}

struct ea_cgroup_names *ea_cgroup_names_new(const char *mnt)
{
	struct ea_cgroup_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	snprintf(n->mnt, sizeof(n->mnt), "%s", mnt);
	n->mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rescan(n);
	return n;
}

/* The place of id in the cache, or of the first entry above it. */
static size_t place_of(const struct ea_cgroup_names *n, uint64_t id)
{
	size_t lo = 0, hi = n->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *find(const struct ea_cgroup_names *n, uint64_t id)
{
	size_t i = place_of(n, id);

	return i < n->n && n->v[i].id == id ? n->v[i].path : NULL;
}

/*
 * The path, relative to the mount, of the live cgroup id as the kernel
 * names it, into buf; false when it cannot be opened by its id (removed,
 * or no CAP_DAC_READ_SEARCH) or lies outside the mount.
 */
static bool path_by_handle(const struct ea_cgroup_names *n, uint64_t id, char *buf, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(id), .handle_type = FILEID_KERNFS }, .id = id };
	char link[32];
	size_t k = strlen(DELETED);
	ssize_t got;
	int fd;

	if (n->mnt_fd < 0)
		return false;
	fd = open_by_handle_at(n->mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	got = readlink(link, buf, len - 1);
	close(fd);
	if (got <= 0 || (size_t)got >= len - 1)
		return false;
	buf[got] = '\0';
	if ((size_t)got > k && !strcmp(buf + got - k, DELETED))
		return false;	/* removed as it was opened */
	return path_under(buf, n->mnt);
}

/* Add a cgroup found by its handle, in its place. */
static const char *insert(struct ea_cgroup_names *n, uint64_t id, const char *full)
{
	size_t i = place_of(n, id);
	char *path;

	if (!reserve_entry(n) || !(path = rel_dup(n, full)))
		return NULL;
	memmove(&n->v[i + 1], &n->v[i], (n->n - i) * sizeof(*n->v));
	n->v[i].id = id;
	n->v[i].path = path;
	n->n++;
	return path;
}

const char *ea_cgroup_name(struct ea_cgroup_names *n, uint64_t id)
{
	const char *p = find(n, id);
	char full[PATH_MAX];
	time_t now;

	if (p || !id)
		return p;
	now = time(NULL);
	if (id == n->missing && now == n->missing_at)
		return NULL;
	if (path_by_handle(n, id, full, sizeof(full))) {
		/* a cache grown by handles alone holds removed cgroups too */
		if (n->n < 2 * n->scanned + 256)
			return insert(n, id, full);
		rescan(n);
		return find(n, id);
	}
	if (now != n->last_scan) {
		rescan(n);
		p = find(n, id);
	}
	if (!p) {
		n->missing = id;
		n->missing_at = now;
	}
	return p;
}

void ea_cgroup_names_free(struct ea_cgroup_names *n)
{
	if (!n)
		return;
	clear(n);
	free(n->v);
	if (n->mnt_fd >= 0)
		close(n->mnt_fd);
	free(n);
}
