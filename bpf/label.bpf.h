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

#define EA_CGROUP_DEPTH		16	/* ancestor levels searched */
#define EA_DENTRY_DEPTH		32	/* ancestor dentries searched */
#define FMODE_READ		0x1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ea_cgroup_label);
} cgroup_labels SEC(".maps");

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

/* Labels of the current task's cgroup and its ancestors. */
static __always_inline __u64 current_cgroup_labels(__u32 *idx)
{
	__u64 labels = 0;
	int lvl;

	for (lvl = 0; lvl < EA_CGROUP_DEPTH; lvl++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(lvl);

		if (!id)
			break;
		labels |= cgroup_id_labels(id, idx);
	}
	return labels;
}

static __always_inline __u32 inode_filter_hash(__u64 ino, __u32 dev)
{
	return (__u32)((ino ^ ((__u64)dev * 0x9e3779b97f4a7c15ull)) &
		       (EA_INODE_FILTER_BITS - 1));
}

static __always_inline struct ea_inode_label *inode_label(__u64 ino, __u32 dev)
{
	__u32 h = inode_filter_hash(ino, dev), word = h / 64;
	struct ea_inode_key key = { .ino = ino, .dev = dev };
	__u64 *bits = bpf_map_lookup_elem(&inode_filter, &word);

	if (!bits || !((*bits >> (h & 63)) & 1))
		return NULL;
	return bpf_map_lookup_elem(&inode_labels, &key);
}

/* A typed, read-only view of a kernel pointer: loads through it need no helper. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The label of a file: itself (hard links) or the nearest labelled
 * ancestor. Runs at every open: plain loads through BTF pointers, no
 * helper call per dentry.
 */
static __always_inline struct ea_inode_label *file_label(struct file *file)
{
	__u32 dev = file->f_inode->i_sb->s_dev;
	struct dentry *d = file->f_path.dentry;
	int i;

	for (i = 0; i < EA_DENTRY_DEPTH && d; i++) {
		struct ea_inode_label *l = inode_label(d->d_inode->i_ino, dev);
		struct dentry *parent;

		if (l)
			return l;
		parent = d->d_parent;
		if (parent == d)
			break;
		d = parent;
	}
	return NULL;
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

/* The current process's taint entry (NULL when it has none) and its tgid. */
static __always_inline struct ea_taint *current_taint(__u32 *tgid)
{
	*tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&taint, tgid);
}

/*
 * Whether a file could still give a process labels: one that carries every
 * label some path gives needs no look at what it opens.
 */
static __always_inline bool may_gain(const struct ea_taint *t)
{
	return !t || (t->labels & cfg.path_label_set) != cfg.path_label_set;
}

/* Taint the current process (entry t, maybe NULL) with a file's labels. */
static __always_inline void taint_with(struct ea_taint *t, __u32 tgid, struct file *file,
				       bool need_read)
{
	struct ea_inode_label *l;
	__u64 fresh;

	if (!file)
		return;
	if (need_read && !(file->f_mode & FMODE_READ))
		return;
	l = file_label(file);
	if (!l)
		return;
	if (!t) {
		bpf_map_update_elem(&taint, &tgid, &no_taint, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&taint, &tgid);
		if (!t)
			return;
	}
	fresh = l->labels & ~t->labels;
	if (!fresh)
		return;
	add_evidence(t, fresh, file, l->path_idx);
	__sync_fetch_and_or(&t->labels, fresh);
	__sync_fetch_and_add(&cfg.taint_gen, 1);
}

/* Taint the current process with the labels of a file it reads. */
static __always_inline void taint_from_file(struct file *file, bool need_read)
{
	__u32 tgid;
	struct ea_taint *t = current_taint(&tgid);

	if (may_gain(t))
		taint_with(t, tgid, file, need_read);
}

/* Taint the current process with the labels of the file at fd. */
static __always_inline void taint_from_fd(long fd, bool need_read)
{
	__u32 tgid;
	struct ea_taint *t = current_taint(&tgid);

	if (may_gain(t))
		taint_with(t, tgid, current_file(fd), need_read);
}

/* Taint of a live process, 0 when none. */
static __always_inline __u64 taint_of(__u32 tgid)
{
	struct ea_taint *t = bpf_map_lookup_elem(&taint, &tgid);

	return t && !t->exited ? t->labels : 0;
}

#endif /* EA_LABEL_BPF_H */
