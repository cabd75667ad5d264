/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * egress-audit: the one interface shared by the kernel programs (bpf/) and
 * the agent and tools (user/). Every struct here crosses the user/kernel
 * boundary: fixed-width types only, explicit enum values that are never
 * renumbered (retired values stay reserved), and EA_ABI_VERSION bumped on
 * any incompatible change.
 */
#ifndef EGRESS_AUDIT_H
#define EGRESS_AUDIT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define EA_ABI_VERSION 1

/* Jurisdiction zones of a destination. */
enum ea_zone {
	EA_ZONE_UNKNOWN = 0,		/* in no range of the GeoIP data */
	EA_ZONE_EU = 1,
	EA_ZONE_EEA = 2,
	EA_ZONE_ADEQUACY = 3,
	EA_ZONE_ADEQUACY_PARTIAL = 4,
	EA_ZONE_THIRD = 5,
	EA_ZONE_INTERNAL = 6,		/* loopback, RFC 1918, ULA, ... */
	EA_ZONE_OWN = 7,		/* operator-listed own sites */
	EA_ZONE_MAX = 8,
};

/* What the agent decided about a flow. */
enum ea_verdict {
	EA_VERDICT_ALLOWED = 0,
	EA_VERDICT_FLAGGED = 1,
	EA_VERDICT_BLOCKED = 2,
	EA_VERDICT_MAX = 3,
};

/*
 * The GeoIP table in the kernel: a multibit trie held in array maps.
 *
 * The first level is indexed by the top bits of the address (20 of IPv4,
 * with IPv4-mapped IPv6 addresses folded to IPv4, 16 of IPv6); every
 * further level is a node of the next 4, 8 or 12 bits. A slot holds either
 * a result index with EA_TRIE_LEAF set, or the index of the next node.
 *
 * Nodes of each width have their own map (geo_node12, geo_node8,
 * geo_chunks) and share one index space: indices below geo_node8_first are
 * 12-bit nodes, from there to geo_chunks_first 8-bit nodes, and chunks from
 * there on (the two bounds are geo_node12's and geo_node8's max_entries,
 * set before load; the lower entries of geo_node8 and geo_chunks are never
 * used). So a slot is the key of the next lookup where it lies in the map
 * value, and its range tells the node's width: each level costs one
 * dependent load whatever its width, with no key computed on the way. The
 * compiler (user/geo_trie.c) widens IPv6 nodes where ranges are dense; a
 * wide node never spans the two 64-bit halves of an address, and the IPv4
 * trie, with at most 12 bits below its root, has chunks only. Every level
 * takes at least 4 bits: a walk reads at most 3 nodes below the root for
 * IPv4 and 28 for IPv6, whatever the table.
 *
 * Two banks of the whole table exist so that a reload fills the idle bank
 * and switches with one write (ea_config.geo_bank).
 *
 * The root slots are held in rows of EA_TRIE_CHUNK_SLOTS (struct
 * ea_trie_chunk), as the chunks are: an array map rounds each value up to
 * 8 bytes, so a row of 16 slots takes half what 16 single slots would.
 */
#define EA_TRIE_ROOT_BITS4	20
#define EA_TRIE_ROOT_BITS6	16
#define EA_TRIE_ROOT_SLOTS4	(1u << EA_TRIE_ROOT_BITS4)
#define EA_TRIE_ROOT_SLOTS6	(1u << EA_TRIE_ROOT_BITS6)
#define EA_TRIE_STRIDE		4	/* the narrowest node */
#define EA_TRIE_NODE8_BITS	8
#define EA_TRIE_NODE12_BITS	12
#define EA_TRIE_CHUNK_SLOTS	(1u << EA_TRIE_STRIDE)
#define EA_TRIE_LEAF		0x80000000u
#define EA_TRIE_MAX_LEVELS4	((32 - EA_TRIE_ROOT_BITS4) / EA_TRIE_STRIDE)
#define EA_TRIE_MAX_LEVELS6	((128 - EA_TRIE_ROOT_BITS6) / EA_TRIE_STRIDE)
#define EA_GEO_BANKS		2
/* geo_root holds per bank the IPv4 root, then the IPv6 root (slot indices) */
#define EA_GEO_ROOT_BANK	(EA_TRIE_ROOT_SLOTS4 + EA_TRIE_ROOT_SLOTS6)
#define EA_GEO_ROOT4(bank)	((bank) * EA_GEO_ROOT_BANK)
#define EA_GEO_ROOT6(bank)	((bank) * EA_GEO_ROOT_BANK + EA_TRIE_ROOT_SLOTS4)
#define EA_GEO_ROOT_ENTRIES	(EA_GEO_BANKS * EA_GEO_ROOT_BANK)
#define EA_GEO_ROOT_ROWS	(EA_GEO_ROOT_ENTRIES / EA_TRIE_CHUNK_SLOTS)
#define EA_MAX_RESULTS		8192	/* per bank */

/* Nodes of 4 (a chunk), 8 and 12 bits. */
struct ea_trie_chunk {
	__u32 slot[EA_TRIE_CHUNK_SLOTS];
};

struct ea_trie_node8 {
	__u32 slot[1u << EA_TRIE_NODE8_BITS];
};

struct ea_trie_node12 {
	__u32 slot[1u << EA_TRIE_NODE12_BITS];
};

#define EA_MAX_LABELS		64
/* cgroup levels (0: the root) the datapath searches for a label's cgroup */
#define EA_CGROUP_DEPTH		16

/*
 * The outcome of classifying one destination: where it is and, for each
 * data label, whether data carrying that label may go there. A flow is
 * flagged when its label set has a bit outside allow_labels.
 */
struct ea_geo_result {
	__u16 country;		/* ISO 3166-1 alpha-2 as (c0 << 8) | c1; 0 none */
	__u8 zone;		/* enum ea_zone */
	__u8 flags;		/* EA_RESULT_* */
	__u16 source;		/* index of the deciding source (file or policy key) */
	__u16 reserved;
	__u64 allow_labels;	/* bit i: label i may go there */
};

#define EA_RESULT_POLICY	0x01	/* decided by a policy CIDR list */
#define EA_RESULT_POLICY_ALLOWED 0x02	/* allowed under [policy] allow */

/* Settings the agent writes into the datapath object (its .bss). */
struct ea_kern_config {
	__u32 geo_bank;		/* active bank of the GeoIP table */
	__u32 mode;		/* enum ea_mode (the default of labels) */
	__u64 default_labels;	/* labels every flow carries (no [label]: host) */
	__u64 enforce_labels;	/* labels whose flows are stopped, not flagged */
	__u64 update_interval_ns; /* flow_update period for long-lived flows */
	__u32 record_all;	/* emit allowed flows too */
	__u32 policy_gen;	/* bumped on every reload: sockets re-classify */
	__u32 taint_gen;	/* bumped on every taint change: labels re-read */
	__u32 path_labels;	/* some label has path =: file hooks work */
	__u32 cgroup_labelled;	/* some label has cgroup = */
	__u32 wakeup_bytes;	/* wake the agent only past this much data */
	__u32 watched_level;	/* depth of the watched cgroup below the root */
	__u64 watched_cgroup;	/* its id: TCP tracepoints count its sockets */
	__u64 path_label_set;	/* the labels that some path = gives */
	__u32 flood_events;	/* events a process may add a second under pressure; 0: no limit */
	__u32 flood_bytes;	/* pressure: the ring holds more unread data than this */
	__u32 tcp_slots;	/* slots of tcp_socks; 0: TCP state in socket storage only */
	__u32 tcp_by_state;	/* TCP counted from its sockets: a late source route gives state */
	__u32 device_backstop;	/* tc egress attached: packet sockets may not skip it */
	__u32 reserved;
};

/* Labels of a cgroup subtree (map cgroup_labels, key: cgroup id). */
struct ea_cgroup_label {
	__u64 labels;
	__u32 cgroup_idx;	/* evidence: index of the configured cgroup */
	__u32 reserved;
};

/*
 * A labelled cgroup's path below the cgroup2 root ("/system.slice/x.service"),
 * NUL-padded: the key of map cgroup_paths, by which a cgroup made again at
 * that path (its service restarted) takes the labels under its new id.
 */
#define EA_CGROUP_PATH_MAX	256

struct ea_cgroup_path {
	char path[EA_CGROUP_PATH_MAX];
};

/* A labelled file or directory by what it is (map inode_labels). */
struct ea_inode_key {
	__u64 ino;
	__u32 dev;		/* kernel encoding: major << 20 | minor */
	__u32 reserved;
};

struct ea_inode_label {
	__u64 labels;
	__u32 path_idx;		/* evidence: index of the configured path */
	__u32 reserved;
};

#define EA_INODE_FILTER_BITS	(1u << 12)	/* bitmap before the hash lookup: 512 bytes */
/* The bit of that bitmap a key (ino, dev) has: the agent sets it, the walk tests it. */
#define EA_INODE_FILTER_HASH(ino, dev)						\
	((__u32)(((__u64)(ino) ^ ((__u64)(dev) * 0x9e3779b97f4a7c15ull)) &	\
		 (EA_INODE_FILTER_BITS - 1)))
#define EA_EVIDENCE_SLOTS	4
#define EA_EVIDENCE_NAME	48

/* How a process came to carry a label. */
struct ea_evidence {
	__u64 labels;		/* labels this piece of evidence gave */
	__u64 ts_ns;		/* CLOCK_BOOTTIME */
	__u64 ino;		/* the file */
	__u32 path_idx;		/* the configured path whose tree it is in */
	__u32 reserved;
	char name[EA_EVIDENCE_NAME]; /* the file's name */
};

/* Taint of a process (map taint, key: tgid). */
struct ea_taint {
	__u64 labels;
	__u32 exited;		/* the process exited: no new flow carries it */
	__u32 reserved;
	struct ea_evidence ev[EA_EVIDENCE_SLOTS];
};

enum ea_mode {
	EA_MODE_AUDIT = 0,
	EA_MODE_ENFORCE = 1,
};

/* Records the kernel sends through the ring buffer. */
enum ea_event_type {
	EA_EV_FLOW_START = 1,
	EA_EV_FLOW_UPDATE = 2,
	EA_EV_FLOW_END = 3,
	EA_EV_MAX = 4,
};
/* Kinds of flow event, for arrays indexed by type - EA_EV_FLOW_START. */
#define EA_EV_KINDS	(EA_EV_MAX - EA_EV_FLOW_START)

/* Where a flow was seen. */
enum ea_origin {
	EA_ORIGIN_SOCKET = 0,	/* cgroup socket hooks: attributed to a process */
	EA_ORIGIN_DEVICE = 1,	/* tc egress: no local socket (forwarded, kernel) */
	EA_ORIGIN_PACKET = 2,	/* tc egress: an AF_PACKET socket's frame */
};

/* Transport as reported: see ea_proto_name() in user space. */
enum ea_proto {
	EA_PROTO_OTHER = 0,
	EA_PROTO_TCP = 1,
	EA_PROTO_UDP = 2,
	EA_PROTO_ICMP = 3,
	EA_PROTO_RAW = 4,	/* a raw IP socket */
	EA_PROTO_PACKET = 5,	/* a packet socket */
};

#define EA_COMM_LEN	16

/* Flow flags. */
#define EA_FLOW_OWNER_KNOWN	0x01	/* owner recorded at socket creation */
#define EA_FLOW_MAPPED		0x02	/* destination given as IPv4-mapped IPv6 */
#define EA_FLOW_RECORDED	0x04	/* flow_start was attempted */
#define EA_FLOW_ROUTED		0x08	/* a packet named a source route */

struct ea_flow_event {
	__u16 abi;		/* EA_ABI_VERSION */
	__u8 type;		/* enum ea_event_type */
	__u8 verdict;		/* enum ea_verdict */
	__u8 proto;		/* enum ea_proto */
	__u8 ip_proto;		/* IPPROTO_* */
	__u8 family;		/* 4 or 6 (IPv4-mapped reported as 4) */
	__u8 origin;		/* enum ea_origin */
	__u16 sport, dport;	/* host order */
	__u16 country;
	__u8 zone;
	__u8 flags;		/* EA_FLOW_* */
	__u32 result;		/* bank * EA_MAX_RESULTS + result index */
	__u32 tgid, pid, uid, gid;
	__u32 ifindex;		/* device-level flows */
	__u32 reserved;
	__u64 cgroup_id;
	__u64 cookie;		/* socket cookie (device flows: 0) */
	__u64 start_ns;		/* CLOCK_BOOTTIME of the first packet */
	__u64 ts_ns;		/* CLOCK_BOOTTIME of this event */
	__u64 bytes, packets;	/* IP-level totals so far */
	__u64 labels;		/* data labels the flow carries */
	__u32 src[4], dst[4];	/* network order, IPv4 as ::ffff:a.b.c.d */
	char comm[EA_COMM_LEN];
	__u32 cgroup_idx;	/* evidence of cgroup labels (~0: none) */
	__u32 reserved2;
	struct ea_evidence ev[EA_EVIDENCE_SLOTS]; /* evidence of file labels */
};

/* An event of a flow without file evidence ends where ev[] would start. */
#define EA_FLOW_EVENT_SHORT	__builtin_offsetof(struct ea_flow_event, ev)

/*
 * The state of one flow (a socket's, a UDP destination's or a device
 * 5-tuple's), as kept in the kernel's maps and read by the agent.
 */
struct ea_flow {
	/* what every packet touches, together in the first cache line */
	__u64 packets, bytes;	/* IP-level totals */
	__u64 allow_labels;	/* labels whose data may go to the destination */
	__u64 labels;		/* labels reported so far (kept past the owner) */
	__u32 result;		/* bank * EA_MAX_RESULTS + index; ~0 none */
	__u32 gen;		/* ea_kern_config.policy_gen when classified */
	__u8 verdict;		/* verdict last reported */
	__u8 flags;		/* EA_FLOW_* */
	__u8 proto;		/* enum ea_proto */
	__u8 ip_proto;
	__u8 family;		/* 4 or 6 */
	__u8 zone;
	__u16 country;
	__u64 start_ns;		/* first packet; 0 before it */
	__u64 last_emit_ns;	/* last flow_start or flow_update */
	/* identity and expiry, read when reporting */
	__u64 last_ns;		/* map-kept flows: last packet, for idle expiry */
	__u32 src[4], dst[4];	/* network order, IPv4 mapped */
	__u16 sport, dport;	/* host order */
	__u32 reserved;
	__u64 agg_packets, agg_bytes;	/* folded into the aggregates so far */
};

/* What iter/bpf_map (map_entries) writes for each hash map of the host. */
struct ea_map_count {
	__u32 id;
	__u32 reserved;
	__s64 entries;
};

/* TCP flows with state that keep it in a map slot (bpf/flow.bpf.h tcp_socks). */
#define EA_TCP_SLOTS		16384	/* the default of [agent] tcp_slots */
#define EA_TCP_SLOTS_MAX	(1u << 20)

/*
 * The slots are found by socket cookie through buckets of EA_SLOT_BUCKET
 * cookies, one cache line each (map tcp_sock_keys). The cookie c may take
 * any slot of bucket c & (buckets - 1), buckets being a power of two.
 * Slot i of bucket b is entry i * buckets + b of tcp_socks: the first
 * slots of all buckets lie side by side, so that sockets made one after
 * the other, whose cookies follow each other, have their slots one after
 * the other in memory. A cookie of 0 marks a free slot.
 */
#define EA_SLOT_BUCKET		8

struct ea_slot_bucket {
	__u64 cookie[EA_SLOT_BUCKET];
};

/* Network namespaces one sweep of the slots can look in (map sweep_netns). */
#define EA_SWEEP_NETNS		4096

/* A network namespace in a sweep of the slots (map sweep_netns, by netns cookie). */
struct ea_sweep_netns {
	__u32 wanted_gen;	/* the last sweep that found slots to judge there */
	__u32 found_gen;	/* the last sweep that iterated its sockets (tcp_alive) */
};

/* Steps of a sweep of the slots (program sweep_slots). */
enum ea_sweep_step {
	EA_SWEEP_COLLECT = 1,	/* the namespaces of the slots to judge, into sweep_netns */
	EA_SWEEP_JUDGE = 2,	/* end the flows of slots gone, free those swept before */
};

/* The context of program sweep_slots: the step, and what it did. */
struct ea_sweep_args {
	__u32 step;		/* enum ea_sweep_step */
	__u32 namespaces;	/* COLLECT: namespaces wanted (new in sweep_netns this sweep) */
	__u32 netns_full;	/* COLLECT: old slots whose namespace found the map full */
	__u32 swept;		/* JUDGE: slots whose flows it ended */
	__u32 freed;		/* JUDGE: slots ended by an earlier sweep, freed */
};

/* Socket flows fold their counts into the aggregates every this many packets. */
#define EA_AGG_FOLD_PACKETS	16

/* The owner of a socket, recorded in process context at its creation. */
struct ea_owner {
	__u32 tgid, pid, uid, gid;
	__u64 cgroup_id;
	__u64 cookie;		/* socket cookie */
	char comm[EA_COMM_LEN];
	__u64 cgroup_labels;	/* labels of the owner's cgroup subtree */
	__u32 cgroup_idx;	/* which configured cgroup gave them */
	__u32 reserved;
};

/* Marks of struct ea_sock_state's slot_marks. */
#define EA_SLOT_CLOSED		1	/* the connection closed while the socket had its file */
#define EA_SLOT_RELEASED	2	/* the file was released while the connection was open */
#define EA_SLOT_ENDING		4	/* its flows are ended, by the one CPU that set this */
#define EA_SLOT_SWEPT		8	/* the agent's sweep ended them: only a sweep frees it */
#define EA_SLOT_FREEING		16	/* swept: freed, or taken again, by the one that set this */
/*
 * The upper 32 bits of slot_marks: a random tag drawn each time a slot
 * starts a flow, so that a claim by compare-and-swap fails on an element
 * the preallocated map gave to another socket meanwhile.
 */
#define EA_SLOT_TAG_SHIFT	32

/*
 * What the datapath keeps per socket, in socket-local storage, or for a
 * TCP flow in a slot of map tcp_socks (by socket cookie). The agent sweeps
 * the slots for sockets that are gone: a close the kernel never showed
 * the datapath leaves its slot behind (agent_sweep.c).
 */
struct ea_sock_state {
	/* per packet: the labels in force, then the flow's hot fields */
	__u64 labels;		/* default | cgroup | taint, as of taint_gen */
	__u32 taint_gen;	/* cfg.taint_gen when labels was computed; 0 never */
	__u8 owner_known;
	__u8 multi_dest;	/* flows in udp_flows belong to this socket */
	__u8 ended;		/* the flows are reported ended; a connect() restarts */
	__u8 in_slot;		/* a TCP flow's slot in tcp_socks, not socket storage */
	__u32 fold_tick;	/* jiffies (low bits) of the last TCP report */
	__u32 born_gen;		/* a slot: the agent's sweep when it was taken */
	__u64 slot_marks;	/* EA_SLOT_* and the tag, set atomically */
	__u64 sender_labels;	/* taint of senders other than the owner: kept */
	__u64 netns;		/* a slot: its socket's network namespace (cookie) */
	__u32 alive_gen;	/* a slot: the last sweep that found its socket */
	__u32 sweep_missed;	/* a slot: sweeps in a row that did not find it */
	struct ea_flow flow;	/* the socket's (first) destination */
	struct ea_owner owner;	/* read when reporting */
};

/* A destination of an unconnected datagram socket (map udp_flows). */
struct ea_udp_flow_key {
	__u64 cookie;
	__u32 dst[4];
	__u16 dport;
	__u16 reserved;
	__u32 reserved2;
};

struct ea_udp_flow {
	struct ea_flow flow;	/* last_ns: last packet, for idle expiry */
	struct ea_owner owner;
};

#define EA_FLOW_IDLE_NS	(30ull * 1000000000ull)	/* map-kept flows end when idle */

/* Key of a device-level (tc) flow. */
struct ea_dev_flow_key {
	__u32 src[4], dst[4];
	__u16 sport, dport;
	__u32 ifindex;
	__u8 ip_proto;
	__u8 origin;		/* enum ea_origin */
	__u16 pad;
};

/* In-kernel aggregate per (result, verdict): index result * 3 + verdict. */
struct ea_agg {
	__u64 flows, packets, bytes;
};
#define EA_AGG_ENTRIES	(EA_GEO_BANKS * EA_MAX_RESULTS * EA_VERDICT_MAX)

/*
 * Aggregates of a bank's results, kept by what they name when a reload
 * fills the bank anew (map agg_retired, written by the agent only): a
 * result index of the new table names another (country, zone).
 */
struct ea_agg_key {
	__u16 country;
	__u8 zone;
	__u8 verdict;
};
#define EA_AGG_RETIRED_ENTRIES	4096
/*
 * The key of agg_retired whose flows count retirements, odd while one is
 * under way: a reader that saw it change (or odd) reads again, so that no
 * count is read twice or not at all while it moves.
 */
#define EA_AGG_RETIRING_COUNTRY	0xffff

/*
 * A process's use of the ring buffer under pressure (map floods, key:
 * tgid, 0 for flows without an owner): events added in the current
 * one-second window, and those refused since the agent last looked, by
 * event type (index type - EA_EV_FLOW_START).
 */
struct ea_flood {
	__u64 window_ns;	/* CLOCK_BOOTTIME start of the window */
	__u32 events;		/* added under pressure in the window */
	__u32 reserved;
	__u64 refused[EA_EV_KINDS];
	char comm[EA_COMM_LEN];	/* the process's name when the entry was made */
};
#define EA_FLOOD_ENTRIES	1024
#define EA_FLOOD_WINDOW_NS	1000000000ull

/* Per-CPU counters of the datapath (index enum ea_counter). */
enum ea_counter {
	EA_CNT_LOST_START = 0,		/* ring buffer full: flow_start lost */
	EA_CNT_LOST_UPDATE = 1,
	EA_CNT_LOST_END = 2,
	EA_CNT_NO_STORAGE = 3,		/* socket storage could not be created */
	EA_CNT_NO_SOCKET = 4,		/* egress packet without a full socket */
	EA_CNT_BAD_PACKET = 5,		/* unparsable header */
	EA_CNT_TABLE_MISS = 6,		/* classifier found no result */
	EA_CNT_UDP_FLOWS_FULL = 7,	/* per-destination UDP flow not tracked */
	EA_CNT_DEV_FLOWS_FULL = 8,	/* device flow not tracked */
	EA_CNT_FLOOD_START = 9,		/* flood limit: flow_start refused */
	EA_CNT_FLOOD_UPDATE = 10,
	EA_CNT_FLOOD_END = 11,
	EA_CNT_ROUTED = 12,		/* packets that named a source route */
	EA_CNT_TCP_SLOTS_FULL = 13,	/* no free slot: TCP state in socket storage */
	EA_CNT_QDISC_BYPASS_KEPT = 14,	/* PACKET_QDISC_BYPASS set to 0: frames stay seen by tc */
	EA_CNT_DEEP_PATH = 15,		/* a file's ancestors not all looked at (too deep) */
	EA_CNT_TAINT_FULL = 16,		/* map taint full: a process not tainted */
	EA_CNT_DISCONNECTED = 17,	/* a file's ancestors unknown (opened by handle) */
	EA_CNT_TCP_CLOSE_UNSEEN = 18,	/* a TCP flow ended at its socket's destruction */
	EA_CNT_TCP_SLOT_FREEING = 19,	/* a connect() as the sweep freed its slot: storage */
	EA_CNT_CGROUP_RELABELLED = 20,	/* a labelled cgroup made again took its labels */
	EA_CNT_CGROUP_LABELS_FULL = 21,	/* map cgroup_labels full: one made again did not */
	EA_CNT_MAX = 24,
};

#endif /* EGRESS_AUDIT_H */
