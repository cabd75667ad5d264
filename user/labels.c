// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Labels: config -> kernel maps, kernel evidence -> text. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <libmount/libmount.h>

#include "cgroup.h"
#include "labels.h"
#include "mounts.h"
#include "util.h"
#include "egress.skel.h"

/* The kernel's encoding of a device number (MKDEV). */
static uint32_t kernel_dev(dev_t d)
{
	return (major(d) << 20) | minor(d);
}

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	return nv[*n] ? (int)(*n)++ : -ENOMEM;
}

/* A label's cgroup: its path under the mount and its id. */
static int resolve_cgroup(const char *mnt, const char *path, char full[4096], uint64_t *id)
{
	int err = ea_cgroup_resolve(mnt, path, full, 4096);

	return err ?: ea_cgroup_id(full, id);
}

/*
 * The path below the mount of a label's cgroup that is not there yet, from
 * the configured one as written (under the mount, or from its root), with
 * no "." or ".." component, which only the file system could resolve.
 * Returns its depth (levels below the root), or -errno.
 */
static int cgroup_to_come(const char *mnt, const char *arg, char *rel, size_t len)
{
	size_t n = 0, m = strlen(mnt), c;
	const char *p = arg;
	int levels = 0;

	if (!strncmp(arg, mnt, m) && (arg[m] == '/' || !arg[m]))
		p = arg + m;
	for (; *p; p += c) {
		while (*p == '/')
			p++;
		c = strcspn(p, "/");
		if (!c)
			break;
		if ((c == 1 && p[0] == '.') || (c == 2 && p[0] == '.' && p[1] == '.'))
			return -ENOENT;
		if (n + 1 + c >= len)
			return -ENAMETOOLONG;
		rel[n++] = '/';
		memcpy(rel + n, p, c);
		n += c;
		levels++;
	}
	rel[n] = '\0';
	return levels ? levels : -ENOENT;
}

/* A label's file tree: it must be a directory. */
static int stat_tree(const char *path, struct stat *st)
{
	if (stat(path, st))
		return -errno;
	return S_ISDIR(st->st_mode) ? 0 : -ENOTDIR;
}

/*
 * The key of map cgroup_paths for a labelled cgroup's path below the
 * cgroup2 root, as the kernel names it when it makes the cgroup (cgroup_made
 * in bpf/egress.bpf.c). False for the root, never made again, and for a
 * path the datapath would read cut (it reads at most sizeof - 1 bytes).
 */
static bool cgroup_path_key(const char *rel, struct ea_cgroup_path *key)
{
	size_t n = strlen(rel);

	memset(key, 0, sizeof(*key));
	if (!n || !strcmp(rel, "/") || n >= sizeof(key->path) - 1)
		return false;
	memcpy(key->path, rel, n);
	return true;
}

/* A labelled cgroup kept by path too, for when it is made again. */
static int add_cgroup_path(struct egress_bpf *skel, const char *rel,
			   const struct ea_cgroup_label *v)
{
	struct ea_cgroup_path key;

	if (!cgroup_path_key(rel, &key))
		return 0;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_paths), &key, v, BPF_ANY) ?
	       -errno : 0;
}

/* A new labelled cgroup among the sources, its path below the mount: its index. */
static int new_cgroup_source(struct ea_label_sources *src, const char *rel)
{
	uint64_t *bits = realloc(src->cgroup_bits, (src->ncgroups + 1) * sizeof(*bits));

	if (!bits)
		return -ENOMEM;
	src->cgroup_bits = bits;
	bits[src->ncgroups] = 0;
	return push_str(&src->cgroups, &src->ncgroups, rel);
}

/*
 * Label bit on the entry at key of map fd (cgroup_labels by id,
 * cgroup_paths by path), whose cgroup is rel below the mount: one entry
 * and one source per cgroup, however many labels give it. Leaves the
 * entry written in *v; its source index, or -errno.
 */
static int merge_cgroup_label(int fd, const void *key, const char *rel, uint64_t bit,
			      struct ea_label_sources *src, struct ea_cgroup_label *v)
{
	int idx;

	memset(v, 0, sizeof(*v));
	if (bpf_map_lookup_elem(fd, key, v) == 0 && v->labels)
		idx = (int)v->cgroup_idx;
	else if ((idx = new_cgroup_source(src, rel)) < 0)
		return idx;
	src->cgroup_bits[idx] |= bit;
	v->labels |= bit;
	v->cgroup_idx = (uint32_t)idx;
	return bpf_map_update_elem(fd, key, v, BPF_ANY) ? -errno : idx;
}

/*
 * A label's cgroup not there yet (its service not started): kept by path
 * only, it takes its labels under its id when the kernel makes it
 * (cgroup_made in bpf/egress.bpf.c).
 */
static int add_cgroup_to_come(struct egress_bpf *skel, const char *mnt, const char *path,
			      uint64_t bit, struct ea_label_sources *src)
{
	struct ea_cgroup_path key = { { 0 } };
	struct ea_cgroup_label v;
	int err = cgroup_to_come(mnt, path, key.path, sizeof(key.path) - 1);

	if (err < 0)
		return err;
	err = merge_cgroup_label(bpf_map__fd(skel->maps.cgroup_paths), &key, key.path, bit,
				 src, &v);
	return err < 0 ? err : 0;
}

/* A cgroup given by two labels keeps one entry: its bits say which gave it. */
static int add_cgroup(struct egress_bpf *skel, const char *mnt, const char *path,
		      uint64_t bit, struct ea_label_sources *src)
{
	char full[4096];
	struct ea_cgroup_label v;
	int idx, err;
	uint64_t id;

	err = resolve_cgroup(mnt, path, full, &id);
	if (err == -ENOENT)
		return add_cgroup_to_come(skel, mnt, path, bit, src);
	if (err)
		return err;
	idx = merge_cgroup_label(bpf_map__fd(skel->maps.cgroup_labels), &id,
				 full + strlen(mnt), bit, src, &v);
	if (idx < 0)
		return idx;
	return add_cgroup_path(skel, src->cgroups[idx], &v);
}

/* An inode key and the labels it was given (idx: the first tree's path). */
struct ea_key_labels {
	struct ea_inode_key key;
	uint64_t bits;
	uint32_t idx;
};

static struct ea_key_labels *find_key(const struct ea_key_set *r,
				       const struct ea_inode_key *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].key.ino == key->ino && r->v[i].key.dev == key->dev)
			return &r->v[i];
	return NULL;
}

/* Append key with bit (tree path idx) to set r, a key already there or not. */
static int append_key(struct ea_key_set *r, const struct ea_inode_key *key, uint64_t bit,
		      uint32_t idx)
{
	struct ea_key_labels *m = realloc(r->v, (r->n + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	r->v = m;
	m[r->n++] = (struct ea_key_labels){ .key = *key, .bits = bit, .idx = idx };
	return 0;
}

/* key gets bit (tree path idx) in set r: a key reached from two trees gets both. */
static int add_key(struct ea_key_set *r, const struct ea_inode_key *key, uint64_t bit,
		   uint32_t idx)
{
	struct ea_key_labels *m = find_key(r, key);

	if (!m)
		return append_key(r, key, bit, idx);
	m->bits |= bit;
	return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct ea_inode_key *a = &((const struct ea_key_labels *)pa)->key;
	const struct ea_inode_key *b = &((const struct ea_key_labels *)pb)->key;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

/* Sort set r by key and merge the entries of one key (their bits or'ed). */
static void sort_keys(struct ea_key_set *r)
{
	size_t out = 0;

	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), key_cmp);
	for (size_t i = 1; i < r->n; i++) {
		if (!key_cmp(&r->v[out], &r->v[i])) {
			r->v[out].bits |= r->v[i].bits;
			if (r->v[i].idx < r->v[out].idx)	/* the first configured path */
				r->v[out].idx = r->v[i].idx;
		} else {
			r->v[++out] = r->v[i];
		}
	}
	r->n = out + 1;
}

/* The entry of key in a sorted set, or NULL. */
static const struct ea_key_labels *sorted_find(const struct ea_key_set *r,
					       const struct ea_inode_key *key)
{
	struct ea_key_labels k = { .key = *key };

	return r->n ? bsearch(&k, r->v, r->n, sizeof(k), key_cmp) : NULL;
}

/* The bit of key in filter. */
static void filter_key(uint64_t *filter, const struct ea_inode_key *key)
{
	uint32_t h = EA_INODE_FILTER_HASH(key->ino, key->dev);

	filter[h / 64] |= 1ull << (h & 63);
}

/*
 * Give key the labels in bits (evidence: path idx, when it had none) in the
 * map at fd, and its bit in filter; *fresh: the key was not there before.
 */
static int mark_key(int fd, const struct ea_inode_key *key, uint64_t bits, uint32_t idx,
		    uint64_t *filter, bool *fresh)
{
	struct ea_inode_label v = { 0 };

	*fresh = bpf_map_lookup_elem(fd, key, &v) != 0;
	if (!v.labels)
		v.path_idx = idx;
	v.labels |= bits;
	filter_key(filter, key);
	return bpf_map_update_elem(fd, key, &v, BPF_ANY) ? -errno : 0;
}

/*
 * Take the labels in bits back from key (evidence: path idx for the rest);
 * its filter bit stays (a hint only).
 */
static int unmark_key(int fd, const struct ea_inode_key *key, uint64_t bits, uint32_t idx)
{
	struct ea_inode_label v;

	if (bpf_map_lookup_elem(fd, key, &v))
		return 0;
	v.labels &= ~bits;
	v.path_idx = idx;
	if (!v.labels)
		return bpf_map_delete_elem(fd, key) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, key, &v, BPF_ANY) ? -errno : 0;
}

/* nftw has no user pointer: the tree being labelled. */
static struct {
	int fd;
	uint64_t bit;
	uint32_t idx;
	uint64_t *filter;
	dev_t dev;		/* its file system's (ea_sb_dev): the walk stays in its mount */
	struct ea_key_set *fixed;	/* what it keys */
} walk;

static int mark_inode(ino_t ino)
{
	struct ea_inode_key key = { .ino = ino, .dev = kernel_dev(walk.dev) };
	bool fresh;

	return mark_key(walk.fd, &key, walk.bit, walk.idx, walk.filter, &fresh) ?:
	       append_key(walk.fixed, &key, walk.bit, walk.idx);
}

/* Files of the tree with other names elsewhere: hard links. */
static int mark_hard_link(const char *path, const struct stat *st, int type,
			  struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(st->st_mode) && st->st_nlink > 1)
		return mark_inode(st->st_ino);
	return 0;
}

/*
 * The tree is walked from where path leads at start: nftw does not
 * descend into a top that is a symlink (FTW_PHYS), so its hard links
 * would go unkeyed. Evidence names the path as configured.
 */
/* A labelled tree as walked at start: where its path led, its labels. */
struct ea_label_tree {
	char *real;
	uint64_t bit;
	uint32_t idx;		/* its path's place in ea_label_sources.paths */
};

static int add_tree(struct ea_label_sources *src, const char *real, uint64_t bit,
		    uint32_t idx)
{
	struct ea_label_tree *t = realloc(src->trees, (src->ntrees + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	src->trees = t;
	t += src->ntrees;
	t->real = strdup(real);
	t->bit = bit;
	t->idx = idx;
	if (!t->real)
		return -ENOMEM;
	src->ntrees++;
	return 0;
}

/* Whether mount point mp lies below (not at) the directory real. */
static bool below(const char *mp, const char *real)
{
	size_t len = strlen(real);

	return !strncmp(mp, real, len) && mp[len] && (mp[len] == '/' || len == 1);
}

/* Kernel file systems, which hold no data of their own (a chroot's /proc). */
static bool pseudo_fs(const char *type)
{
	static const char *const types[] = {
		"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "tracefs",
		"debugfs", "securityfs", "bpf", "mqueue", "pstore", "configfs", "fusectl",
		"binfmt_misc", "autofs", "nsfs", "efivarfs", "selinuxfs", "rpc_pipefs",
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

/*
 * The key of a mount's root in *key: false for a kernel file system, a
 * root that is not a directory (a file bound in, such as a container's
 * resolv.conf, is the host's file and no data of the tree), or a mount
 * point the stat does not reach (stacked under another mount, or gone
 * since the table was read). The stat takes cached attributes
 * (AT_STATX_DONT_SYNC).
 */
static bool mount_root_key(struct libmnt_fs *fs, struct ea_inode_key *key)
{
	const char *type = mnt_fs_get_fstype(fs);
	struct statx sx;

	if (!type || pseudo_fs(type))
		return false;
	if (statx(AT_FDCWD, mnt_fs_get_target(fs),
		  AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
		  STATX_INO | STATX_TYPE | STATX_MNT_ID, &sx) ||
	    !S_ISDIR(sx.stx_mode) ||
	    ((sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id != (__u64)mnt_fs_get_id(fs)))
		return false;
	key->ino = sx.stx_ino;
	key->dev = kernel_dev(mnt_fs_get_devno(fs));
	return true;
}

struct roots_scan {
	const struct ea_label_sources *src;
	struct ea_key_set *seen;
};

/* One mount: its root keyed for each tree it lies below. */
static int scan_root(struct libmnt_fs *fs, void *ctx)
{
	const struct roots_scan *scan = ctx;
	const char *mp = mnt_fs_get_target(fs);
	struct ea_inode_key key = { 0 };
	bool keyed = false;
	int err = 0;

	if (!mp)
		return 0;
	/* the mount point first: most mounts are below no tree */
	for (size_t i = 0; !err && i < scan->src->ntrees; i++) {
		const struct ea_label_tree *t = &scan->src->trees[i];

		if (!below(mp, t->real))
			continue;
		if (!keyed && !(keyed = mount_root_key(fs, &key)))
			break;
		err = add_key(scan->seen, &key, t->bit, t->idx);
	}
	return err;
}

/*
 * The root of every file system mounted below a labelled tree now, from
 * one read of the mount table: the walk up from one of its files reaches
 * that root whichever way the file was reached (the same file system also
 * bind-mounted elsewhere, a container's volume, an overlay's layer), where
 * crossing to the mount point would follow that other way.
 */
static int scan_roots(const struct ea_label_sources *src, struct ea_key_set *seen)
{
	struct roots_scan scan = { src, seen };

	return ea_mounts_each(scan_root, &scan);
}

/*
 * Make the map's mount roots those of seen. Labels are taken back first
 * (that frees room in the map) from roots no longer mounted below their
 * trees, as an unmounted volume's device number goes to the next file
 * system mounted anywhere (*gone counts them), but not those the trees'
 * own walks keyed (a tree bind-mounted below another); then roots new in
 * seen get theirs (*fresh counts the keys new to the map). A key that
 * fails is left as it was and the others go on: the held set becomes what
 * the map holds, and the first error is returned.
 */
static int follow_roots(int fd, struct ea_label_sources *src, const struct ea_key_set *seen,
			uint64_t *filter, unsigned int *fresh, unsigned int *gone)
{
	const struct ea_key_set *held = &src->roots;
	/* room for every key first: the map is touched only once it cannot fail */
	struct ea_key_set next = { calloc(held->n + seen->n + 1, sizeof(*next.v)), 0 };
	int err = 0, e;

	if (!next.v)
		return -ENOMEM;
	for (size_t i = 0; i < held->n; i++) {
		const struct ea_key_labels *h = &held->v[i], *m = find_key(seen, &h->key);
		const struct ea_key_labels *own = sorted_find(&src->fixed, &h->key);
		uint64_t keep = h->bits, drop = h->bits & ~(m ? m->bits : 0) &
						~(own ? own->bits : 0);

		if (drop) {
			/* evidence: a tree that still holds it */
			e = unmark_key(fd, &h->key, drop, m ? m->idx : own ? own->idx : h->idx);
			if (!e) {
				keep &= ~drop;
				*gone += !m;
			}
			err = err ?: e;
		}
		if (keep)
			next.v[next.n++] = (struct ea_key_labels){ h->key, keep, h->idx };
	}
	for (size_t i = 0; i < seen->n; i++) {
		const struct ea_key_labels *m = &seen->v[i];
		struct ea_key_labels *h = find_key(&next, &m->key);
		uint64_t add = m->bits & ~(h ? h->bits : 0);
		bool new_key;

		if (!add)
			continue;
		e = mark_key(fd, &m->key, add, m->idx, filter, &new_key);
		if (e) {
			err = err ?: e;
			continue;
		}
		*fresh += new_key;
		if (h)
			h->bits |= add;
		else
			next.v[next.n++] = (struct ea_key_labels){ m->key, add, m->idx };
	}
	/* every held key's filter bit, each time: one a failed write left out comes back */
	for (size_t i = 0; i < next.n; i++)
		filter_key(filter, &next.v[i].key);
	free(src->roots.v);
	src->roots = next;
	return err;
}

/* Scan the mount table and follow it (follow_roots). */
static int key_mount_roots(struct egress_bpf *skel, struct ea_label_sources *src,
			   uint64_t *filter, unsigned int *fresh, unsigned int *gone)
{
	struct ea_key_set seen = { 0 };
	int err = scan_roots(src, &seen);

	if (!err)
		err = follow_roots(bpf_map__fd(skel->maps.inode_labels), src, &seen, filter,
				   fresh, gone);
	/* what was keyed, also before an error, is in filter: the caller writes it */
	free(seen.v);
	return err;
}

static int add_path(struct egress_bpf *skel, const char *path, uint64_t bit,
		    struct ea_label_sources *src, uint64_t *filter)
{
	char real[PATH_MAX];
	struct stat st;
	int idx, err;

	if (!realpath(path, real))
		return -errno;
	err = stat_tree(real, &st);
	if (err)
		return err;
	idx = push_str(&src->paths, &src->npaths, path);
	if (idx < 0)
		return idx;
	walk.fd = bpf_map__fd(skel->maps.inode_labels);
	walk.bit = bit;
	walk.idx = (uint32_t)idx;
	walk.filter = filter;
	walk.fixed = &src->fixed;
	err = ea_sb_dev(real, &walk.dev);
	if (!err)
		err = mark_inode(st.st_ino);
	if (!err)
		err = nftw(real, mark_hard_link, 32, FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
	if (!err)
		err = add_tree(src, real, bit, (uint32_t)idx);
	return err;
}

/* Add the bits of filter to the map's (set after their keys). */
static int write_filter(struct egress_bpf *skel, const uint64_t *filter)
{
	int fd = bpf_map__fd(skel->maps.inode_filter);

	for (uint32_t w = 0; w < EA_INODE_FILTER_BITS / 64; w++) {
		uint64_t old = 0, v;

		if (!filter[w])
			continue;
		bpf_map_lookup_elem(fd, &w, &old);
		v = old | filter[w];
		if (v != old && bpf_map_update_elem(fd, &w, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int load_label(struct egress_bpf *skel, const struct ea_label_cfg *l,
		      uint64_t bit, const char *mnt, struct ea_label_sources *src,
		      uint64_t *filter, const char **bad)
{
	int err = 0;

	for (size_t i = 0; i < l->cgroups.n && !err; i++) {
		*bad = l->cgroups.v[i];
		err = add_cgroup(skel, mnt, l->cgroups.v[i], bit, src);
	}
	for (size_t i = 0; i < l->paths.n && !err; i++) {
		*bad = l->paths.v[i];
		err = add_path(skel, l->paths.v[i], bit, src, filter);
	}
	return err;
}

/* The config line that gave label l its source s (one of its strings). */
static uint32_t source_line(const struct ea_label_cfg *l, const char *s)
{
	for (size_t i = 0; i < l->cgroups.n; i++)
		if (l->cgroups.v[i] == s)
			return l->cgroups.line[i];
	for (size_t i = 0; i < l->paths.n; i++)
		if (l->paths.v[i] == s)
			return l->paths.line[i];
	return l->line;
}

/* The error of label l's source bad: file, line, label, source and cause. */
static void label_err(struct ea_err *err, const struct ea_config *cfg,
		      const struct ea_label_cfg *l, const char *bad, const char *why)
{
	ea_err_set(err, "%s:%u: [label %s] %s: %s", cfg->path ? cfg->path : "(config)",
		   source_line(l, bad), l->name, bad, why);
}

/*
 * A label's cgroup as the datapath can match it: there, on the cgroup2
 * mount, and above the deepest ancestor level it searches. 0 or -errno
 * with err.
 */
static int check_cgroup(const struct ea_config *cfg, const struct ea_label_cfg *l,
			const char *path, const char *cg_mount, struct ea_err *err)
{
	char full[4096], why[96];
	uint64_t id;
	int ret = resolve_cgroup(cg_mount, path, full, &id);

	if (!ret)
		ret = ea_cgroup_level(cg_mount, full);
	else if (ret == -ENOENT &&
		 (ret = cgroup_to_come(cg_mount, path, full, EA_CGROUP_PATH_MAX - 1)) > 0 &&
		 ret < EA_CGROUP_DEPTH)
		ea_log("warning: %s:%u: [label %s] %s: not there yet; its processes carry the "
		       "label once it is made", cfg->path ? cfg->path : "(config)",
		       source_line(l, path), l->name, path);
	if (ret >= EA_CGROUP_DEPTH) {
		snprintf(why, sizeof(why), "%d levels below the cgroup2 root; labels match "
			 "cgroups at most %d deep", ret, EA_CGROUP_DEPTH - 1);
		label_err(err, cfg, l, path, why);
		return -ELOOP;
	}
	if (ret < 0)
		label_err(err, cfg, l, path, ea_cgroup_strerror(ret));
	return ret < 0 ? ret : 0;
}

int ea_labels_check(const struct ea_config *cfg, const char *cg_mount, struct ea_err *err)
{
	bool warned = false;
	struct stat st;
	int ret = 0;

	for (size_t i = 0; i < cfg->nlabels; i++) {
		const struct ea_label_cfg *l = &cfg->labels[i];

		if (l->cgroups.n && !warned && !ea_cgroup2_mount_is_root(cg_mount)) {
			ea_log("warning: the cgroup2 mount at %s shows a subtree of the "
			       "hierarchy: a labelled cgroup made again, or not there yet, does "
			       "not take its labels (cgroup_made matches paths from the root)",
			       cg_mount);
			warned = true;
		}
		for (size_t k = 0; k < l->cgroups.n && !ret; k++)
			ret = check_cgroup(cfg, l, l->cgroups.v[k], cg_mount, err);
		for (size_t k = 0; k < l->paths.n && !ret; k++)
			if ((ret = stat_tree(l->paths.v[k], &st)))
				label_err(err, cfg, l, l->paths.v[k], strerror(-ret));
		if (ret)
			return ret;
	}
	return 0;
}

int ea_labels_load(struct egress_bpf *skel, const struct ea_config *cfg,
		   const char *cg_mount, struct ea_label_sources *src,
		   struct ea_kern_config *k, struct ea_err *err)
{
	uint64_t *filter = calloc(EA_INODE_FILTER_BITS / 64, sizeof(*filter));
	const char *bad = NULL;
	int ret = 0;

	if (!filter)
		return -ENOMEM;
	k->default_labels = cfg->nlabels ? 0 : 1;
	k->enforce_labels = !cfg->nlabels && cfg->agent.mode == EA_MODE_ENFORCE ? 1 : 0;
	for (size_t i = 0; i < cfg->nlabels && !ret; i++) {
		const struct ea_label_cfg *l = &cfg->labels[i];
		uint32_t mode = ea_label_mode(cfg, l);

		if (mode == EA_MODE_ENFORCE)
			k->enforce_labels |= 1ull << i;
		k->cgroup_labelled |= l->cgroups.n > 0;
		k->path_labels |= l->paths.n > 0;
		if (l->paths.n)
			k->path_label_set |= 1ull << i;
		ret = load_label(skel, l, 1ull << i, cg_mount, src, filter, &bad);
		if (ret)
			label_err(err, cfg, l, bad, ea_cgroup_strerror(ret));
	}
	if (!ret && src->ntrees) {
		unsigned int fresh = 0, gone = 0;

		sort_keys(&src->fixed);
		ret = key_mount_roots(skel, src, filter, &fresh, &gone);
		if (ret)
			ea_err_set(err, "labelled trees: keying the file systems mounted "
				   "below them (/proc/self/mountinfo): %s", strerror(-ret));
	}
	if (!ret)
		ret = write_filter(skel, filter);
	free(filter);
	return ret;
}

int ea_labels_catch_up(struct egress_bpf *skel, const char *mnt,
		       const struct ea_label_sources *src)
{
	int paths = bpf_map__fd(skel->maps.cgroup_paths);
	int ids = bpf_map__fd(skel->maps.cgroup_labels);

	for (size_t i = 0; i < src->ncgroups; i++) {
		struct ea_cgroup_label v;
		struct ea_cgroup_path key;
		char full[PATH_MAX];
		uint64_t id;

		snprintf(full, sizeof(full), "%s%s", mnt, src->cgroups[i]);
		if (!cgroup_path_key(src->cgroups[i], &key) ||
		    bpf_map_lookup_elem(paths, &key, &v) || ea_cgroup_id(full, &id))
			continue;	/* not kept by path, or not there */
		if (bpf_map_update_elem(ids, &id, &v, BPF_NOEXIST) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int ea_labels_remount(struct egress_bpf *skel, struct ea_label_sources *src,
		      unsigned int *fresh, unsigned int *gone)
{
	uint64_t *filter = calloc(EA_INODE_FILTER_BITS / 64, sizeof(*filter));
	int ret, e;

	*fresh = *gone = 0;
	if (!filter)
		return -ENOMEM;
	ret = key_mount_roots(skel, src, filter, fresh, gone);
	e = write_filter(skel, filter);
	free(filter);
	return ret ?: e;
}

void ea_label_sources_free(struct ea_label_sources *src)
{
	for (size_t i = 0; i < src->ncgroups; i++)
		free(src->cgroups[i]);
	for (size_t i = 0; i < src->npaths; i++)
		free(src->paths[i]);
	for (size_t i = 0; i < src->ntrees; i++)
		free(src->trees[i].real);
	free(src->cgroups);
	free(src->cgroup_bits);
	free(src->paths);
	free(src->trees);
	free(src->fixed.v);
	free(src->roots.v);
	memset(src, 0, sizeof(*src));
}

/*
 * Append "name=what" to a ';'-separated list; ';' and '%' inside what (a
 * file name can hold any byte) are percent-encoded so the list stays
 * unambiguous.
 */
static size_t append(char *out, size_t len, size_t n, const char *name,
		     const char *what)
{
	if (n < len)
		n += (size_t)snprintf(out + n, len - n, "%s%s=", n ? ";" : "", name);
	for (; *what && n + 4 < len; what++) {
		if (*what == ';' || *what == '%')
			n += (size_t)snprintf(out + n, len - n, "%%%02X", (unsigned char)*what);
		else
			out[n++] = *what;
	}
	if (n < len)
		out[n] = '\0';
	return n;
}

void ea_labels_evidence(const struct ea_label_sources *src,
			const char (*names)[64], uint32_t nlabels,
			const struct ea_flow_event *e, char *out, size_t len)
{
	char what[512];
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t b = 0; b < nlabels && b < EA_MAX_LABELS; b++) {
		uint64_t bit = 1ull << b;

		if (!(e->labels & bit))
			continue;
		for (int i = 0; i < EA_EVIDENCE_SLOTS; i++) {
			const struct ea_evidence *ev = &e->ev[i];

			if (!(ev->labels & bit) || ev->path_idx >= src->npaths)
				continue;
			snprintf(what, sizeof(what), "file %s/.../%.*s (inode %llu)",
				 src->paths[ev->path_idx], EA_EVIDENCE_NAME, ev->name,
				 (unsigned long long)ev->ino);
			n = append(out, len, n, names[b], what);
		}
		if (e->cgroup_idx < src->ncgroups && (src->cgroup_bits[e->cgroup_idx] & bit)) {
			snprintf(what, sizeof(what), "cgroup %s", src->cgroups[e->cgroup_idx]);
			n = append(out, len, n, names[b], what);
		}
	}
}
