/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Data labels in the kernel: the cgroups and file trees of each [label]
 * section become map entries the datapath matches by cgroup id and by
 * (device, inode); the evidence of a flow's labels becomes text again.
 */
#ifndef EA_LABELS_H
#define EA_LABELS_H

#include "config.h"
#include "err.h"

struct egress_bpf;
struct ea_label_tree;
struct ea_key_labels;

/* Inode keys of inode_labels and the labels one way of keying gave them. */
struct ea_key_set {
	struct ea_key_labels *v;
	size_t n;
};

/* The configured sources of labels, indexed as the kernel reports them. */
struct ea_label_sources {
	char **cgroups;		/* "/path" relative to the cgroup2 mount */
	uint64_t *cgroup_bits;	/* labels each of them gives */
	size_t ncgroups;
	char **paths;		/* configured directory */
	size_t npaths;
	struct ea_label_tree *trees;	/* each path as walked at start */
	size_t ntrees;
	struct ea_key_set fixed;	/* keyed by those walks: tree roots, hard links */
	struct ea_key_set roots;	/* file systems mounted below the trees */
};

/*
 * Whether every label's cgroups exist (under cg_mount, less than
 * EA_CGROUP_DEPTH levels below its root) and every path is a directory, as
 * ea_labels_load needs them, touching no map: 0, or -errno with err as
 * ea_labels_load gives it.
 */
int ea_labels_check(const struct ea_config *cfg, const char *cg_mount, struct ea_err *err);

/*
 * Fill cgroup_labels, inode_labels and inode_filter from cfg and return in
 * *k the label bits of the kernel config (default, enforce, flags).
 * -errno with err naming the label, the line and the path on failure.
 */
int ea_labels_load(struct egress_bpf *skel, const struct ea_config *cfg,
		   const char *cg_mount, struct ea_label_sources *src,
		   struct ea_kern_config *k, struct ea_err *err);
/*
 * Once cgroup_made watches for them: labelled cgroups made, or made again,
 * since ea_labels_load (not there then, or under another id) take their
 * labels under their id now. 0 or -errno.
 */
int ea_labels_catch_up(struct egress_bpf *skel, const char *mnt,
		       const struct ea_label_sources *src);
/*
 * After the mount table changed: key the roots of the file systems now
 * mounted below labelled trees (as ea_labels_load does at start), and
 * take their labels back from those no longer mounted there. *fresh: how
 * many roots were keyed that were not before; *gone: how many lost every
 * label they were given so.
 */
int ea_labels_remount(struct egress_bpf *skel, struct ea_label_sources *src,
		      unsigned int *fresh, unsigned int *gone);
void ea_label_sources_free(struct ea_label_sources *src);

/* "label=source;..." for a flow event's labels. */
void ea_labels_evidence(const struct ea_label_sources *src,
			const char (*names)[64], uint32_t nlabels,
			const struct ea_flow_event *e, char *out, size_t len);

#endif /* EA_LABELS_H */
