/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Data labels: which flows carry European user data. A flow carries the
 * labels of its owner's cgroup subtree (fixed at socket creation) and the
 * taint of its owner process, gathered when the process opened a file in a
 * labelled tree. Files are matched by what they are, by (device, inode) of
 * the file and of its ancestors, not by the path string a program typed:
 * relative paths, directory fds, symlinks, bind mounts and renamed
 * directories all lead to the same dentries.
 */
#ifndef EA_LABEL_BPF_H
#define EA_LABEL_BPF_H

#include <bpf/bpf_core_read.h>

#include "egress_audit.h"

#define EA_DENTRY_DEPTH		128	/* ancestor dentries searched, mounts crossed */
#define FMODE_READ		0x1
#define E2BIG			7

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ea_cgroup_label);
} cgroup_labels SEC(".maps");

/* Labelled cgroups by path, for those made again (cgroup_made in egress.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ea_cgroup_path);
	__type(value, struct ea_cgroup_label);
} cgroup_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ea_inode_key);
	__type(value, struct ea_inode_label);
} inode_labels SEC(".maps");

/* One bit per hash of (dev, ino): most dentries cost an array read only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EA_INODE_FILTER_BITS / 64);
	__type(key, __u32);
	__type(value, __u64);
} inode_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct ea_taint);
} taint SEC(".maps");

/* Labels of cgroup id, one of a chain of ancestors (*idx: the last labelled). */
static __always_inline __u64 cgroup_id_labels(__u64 id, __u32 *idx)
{
	struct ea_cgroup_label *l = bpf_map_lookup_elem(&cgroup_labels, &id);

	if (!l)
		return 0;
	*idx = l->cgroup_idx;
	return l->labels;
}

/*
 * Labels of a cgroup and its ancestors, the id of each level given by
 * ancestor_id(level) (0: no such level), and *idx the last labelled's.
 */
#define cgroup_chain_labels(ancestor_id, idx) ({			\
	__u64 labels_ = 0;						\
	int lvl_;							\
									\
	for (lvl_ = 0; lvl_ < EA_CGROUP_DEPTH; lvl_++) {		\
		__u64 id_ = ancestor_id(lvl_);				\
									\
		if (!id_)						\
			break;						\
		labels_ |= cgroup_id_labels(id_, idx);			\
	}								\
	labels_;							\
})

/* Labels of the current task's cgroup and its ancestors. */
static __always_inline __u64 current_cgroup_labels(__u32 *idx)
{
	return cgroup_chain_labels(bpf_get_current_ancestor_cgroup_id, idx);
}

static __always_inline struct ea_inode_label *inode_label(__u64 ino, __u32 dev)
{
	__u32 h = EA_INODE_FILTER_HASH(ino, dev), word = h / 64;
	struct ea_inode_key key = { .ino = ino, .dev = dev };
	__u64 *bits = bpf_map_lookup_elem(&inode_filter, &word);

	if (!bits || !((*bits >> (h & 63)) & 1))
		return NULL;
	return bpf_map_lookup_elem(&inode_labels, &key);
}

/* A typed, read-only view of a kernel pointer: loads through it need no helper. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * What a file's walk found: the union of labels, and the path of the
 * nearest labelled ancestor with a label the caller wants (one the
 * process does not carry yet), which its evidence names.
 */
struct ea_file_labels {
	__u64 labels;
	__u64 want;
	__u32 path_idx;
};

/*
 * Add the labels of the dentry at address dentry (in the vfsmount at mnt)
 * and of all its ancestors to *out: up its file system's dentries and, at
 * that file system's root, on from the mount point in the mount above, to
 * the root of the namespace. Bind mounts, and trees mounted below or over
 * a labelled directory (also after the agent started), lead to it. Every
 * labelled ancestor counts, not only the nearest: trees nest. Plain loads
 * through BTF pointers, no helper call per dentry; crossing a mount reads
 * two fields of struct mount. A global function, verified once: its
 * callers pass addresses, not pointers the verifier tracks.
 */
__attribute__((noinline)) int ea_walk_labels(__u64 dentry, __u64 mnt, struct ea_file_labels *out)
{
	struct dentry *d = bpf_rdonly_cast((void *)dentry, bpf_core_type_id_kernel(struct dentry));
	struct mount *m = (void *)(mnt - bpf_core_field_offset(struct mount, mnt));
	__u32 dev;
	int i;

	if (!out || !d)
		return 0;
	dev = d->d_sb->s_dev;
	for (i = 0; i < EA_DENTRY_DEPTH; i++) {
		struct ea_inode_label *l = inode_label(d->d_inode->i_ino, dev);
		struct dentry *parent = d->d_parent;
		struct mount *up;

		if (l) {
			if (!(out->labels & out->want) && (l->labels & out->want))
				out->path_idx = l->path_idx;
			out->labels |= l->labels;
		}
		if (parent && parent != d) {
			d = parent;
			continue;
		}
		/* a root that is not its file system's: a dentry found by handle */
		if (d != d->d_sb->s_root)
			count(EA_CNT_DISCONNECTED);
		up = BPF_CORE_READ(m, mnt_parent);
		if (!up || up == m)
			return 0;	/* the root of the namespace */
		d = bpf_rdonly_cast(BPF_CORE_READ(m, mnt_mountpoint),
				    bpf_core_type_id_kernel(struct dentry));
		if (!d)
			return 0;
		m = up;
		dev = d->d_sb->s_dev;
	}
	count(EA_CNT_DEEP_PATH);	/* the walk gave up: what it found stands */
	return 0;
}

#define OVERLAYFS_SUPER_MAGIC	0x794c7630
#define EA_OVL_LOWER_MAX	4	/* lower layers of an overlay file looked at */

/*
 * A file of an overlay is its upper or a lower layer's file, which the
 * kernel opens itself, with no system call: walk those too, each in its
 * layer's mount. Read with BPF_CORE_READ, as overlayfs may be a module.
 */
static __always_inline void walk_overlay_layers(struct dentry *d, struct ea_file_labels *out)
{
	struct ovl_inode *oi = (void *)d->d_inode -
			       bpf_core_field_offset(struct ovl_inode, vfs_inode);
	struct ovl_fs *ofs = d->d_sb->s_fs_info;
	struct ovl_entry *oe = BPF_CORE_READ(oi, oe);
	struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
	struct ovl_layer *layers = BPF_CORE_READ(ofs, layers);
	unsigned int n = oe ? BPF_CORE_READ(oe, __numlower) : 0;
	int i;

	if (upper)	/* layer 0 is the upper one */
		ea_walk_labels((__u64)upper, (__u64)BPF_CORE_READ(layers, mnt), out);
	for (i = 0; i < EA_OVL_LOWER_MAX && i < n; i++) {
		struct ovl_path p = {};

		bpf_core_read(&p, sizeof(p), &oe->__lowerstack[i]);
		if (p.dentry && p.layer)
			ea_walk_labels((__u64)p.dentry, (__u64)BPF_CORE_READ(p.layer, mnt), out);
	}
}

/*
 * The labels of a file: its own (hard links) and its labelled ancestors'
 * (ea_walk_labels), and, for a file of an overlay, its layers'.
 */
static __always_inline bool file_labels(struct file *file, struct ea_file_labels *out)
{
	struct dentry *d = file->f_path.dentry;
	__u64 dentry = 0, mnt = 0;

	/* the addresses as plain numbers, as the global function takes them */
	bpf_probe_read_kernel(&dentry, sizeof(dentry), &file->f_path.dentry);
	bpf_probe_read_kernel(&mnt, sizeof(mnt), &file->f_path.mnt);
	ea_walk_labels(dentry, mnt, out);
	if (bpf_core_type_exists(struct ovl_inode) &&
	    d->d_sb->s_magic == OVERLAYFS_SUPER_MAGIC)
		walk_overlay_layers(d, out);
	return out->labels != 0;
}

/* The current task's open file at fd (a BTF pointer), or NULL. */
static __always_inline struct file *current_file(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *file = NULL;

	if (fd < 0 || !fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	return bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
}

/* Record how the current process came to carry new labels. */
static __always_inline void add_evidence(struct ea_taint *t, __u64 fresh,
					 struct file *file, __u32 path_idx)
{
	const unsigned char *name = file->f_path.dentry->d_name.name;
	int i;

	for (i = 0; i < EA_EVIDENCE_SLOTS; i++) {
		struct ea_evidence *e = &t->ev[i];

		if (e->labels)
			continue;
		e->labels = fresh;
		e->ts_ns = bpf_ktime_get_boot_ns();
		e->ino = file->f_inode->i_ino;
		e->path_idx = path_idx;
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
		return;
	}
}

/* A blank entry for a process's first taint (not zeroed on the stack per call). */
const struct ea_taint no_taint = {};

/* Taint process tgid (entry t, maybe NULL) with a file's labels. */
static __always_inline void taint_with(struct ea_taint *t, __u32 tgid, struct file *file,
				       bool need_read)
{
	struct ea_file_labels l = { .want = t ? ~t->labels : ~0ull };
	__u64 fresh;

	if (!file)
		return;
	if (need_read && !(file->f_mode & FMODE_READ))
		return;
	if (!file_labels(file, &l))
		return;
	if (!t) {
		if (bpf_map_update_elem(&taint, &tgid, &no_taint, BPF_NOEXIST) == -E2BIG)
			count(EA_CNT_TAINT_FULL);
		t = bpf_map_lookup_elem(&taint, &tgid);
		if (!t)
			return;
	}
	fresh = l.labels & ~t->labels;
	if (!fresh)
		return;
	add_evidence(t, fresh, file, l.path_idx);
	__sync_fetch_and_or(&t->labels, fresh);
	__sync_fetch_and_add(&cfg.taint_gen, 1);
}

/*
 * Process tgid's taint entry in *t (NULL: none yet), and whether a file
 * could still give it a label: one that carries every label some path
 * gives needs no look at what it opens.
 */
static __always_inline bool could_gain(__u32 tgid, struct ea_taint **t)
{
	*t = bpf_map_lookup_elem(&taint, &tgid);
	return !*t || ((*t)->labels & cfg.path_label_set) != cfg.path_label_set;
}

/* Taint process tgid with the labels of a file it reads. */
static __always_inline void taint_task(__u32 tgid, struct file *file, bool need_read)
{
	struct ea_taint *t;

	if (could_gain(tgid, &t))
		taint_with(t, tgid, file, need_read);
}

/* Taint the current process with the labels of a file it reads. */
static __always_inline void taint_from_file(struct file *file, bool need_read)
{
	taint_task(bpf_get_current_pid_tgid() >> 32, file, need_read);
}

/*
 * Taint the current process with the labels of the file at fd. The taint
 * comes first: a process that carries every label already (a service
 * reading its data tree) costs one lookup per open, no walk to the file.
 */
static __always_inline void taint_from_fd(long fd, bool need_read)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ea_taint *t;

	if (could_gain(tgid, &t))
		taint_with(t, tgid, current_file(fd), need_read);
}

/* Taint of a live process, 0 when none. */
static __always_inline __u64 taint_of(__u32 tgid)
{
	struct ea_taint *t = bpf_map_lookup_elem(&taint, &tgid);

	return t && !t->exited ? t->labels : 0;
}

#endif /* EA_LABEL_BPF_H */
