/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Flow state and accounting shared by every datapath hook: the socket-level
 * programs (cgroup hooks) and the device-level backstop (tc) count, classify
 * and report flows through these helpers, so no logic is written twice.
 */
#ifndef EA_FLOW_BPF_H
#define EA_FLOW_BPF_H

#include "egress_audit.h"
#include "geo.bpf.h"

#define AF_INET		2
#define AF_INET6	10
#define AF_PACKET	17
#define SOCK_STREAM	1
#define SOCK_DGRAM	2
#define SOCK_RAW	3
#define IPPROTO_ICMPV6	58

/* Settings written by the agent (ea_kern_config in the object's .bss). */
struct ea_kern_config cfg;

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ea_sock_state);
} socks SEC(".maps");

/*
 * The state of TCP flows counted by state, in slots found by socket cookie
 * (include/egress_audit.h, EA_SLOT_BUCKET). A slot here costs a fraction
 * of a socket's first storage (its allocation and memory accounting mask
 * interrupts several times, which a virtual machine makes dear). The
 * slots are arrays, not a hash: a lookup reads one cache line of cookies
 * and the slot, with no hash computed, no lock taken and no element
 * taken from a free list. A flow that
 * finds no free slot in its bucket keeps its state in socket storage
 * (EA_CNT_TCP_SLOTS_FULL). A freed slot may be taken again at once, so a
 * slot is freed only when nothing of its socket can write to it any more:
 * at its connection's close when the socket has no file (or both its
 * directions are shut), otherwise when the file is released
 * (tcp_slot_done, tcp_slot_release), or at the close when the file was
 * released first (tcp_slot_marked). A socket that connects again after
 * its flow ended starts a new flow in the same slot. The buckets are
 * mappable: the agent counts the slots in use by reading them in place.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EA_TCP_SLOTS / EA_SLOT_BUCKET);	/* sized by the agent */
	__type(key, __u32);
	__type(value, struct ea_slot_bucket);
} tcp_sock_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EA_TCP_SLOTS);	/* sized by the agent */
	__type(key, __u32);
	__type(value, struct ea_sock_state);
} tcp_socks SEC(".maps");

/* Buckets of tcp_sock_keys, a power of two: set by the agent before load. */
const volatile __u32 tcp_slot_buckets = EA_TCP_SLOTS / EA_SLOT_BUCKET;

static __always_inline struct ea_slot_bucket *tcp_slot_bucket(__u64 cookie)
{
	__u32 b = cookie & (tcp_slot_buckets - 1);

	return bpf_map_lookup_elem(&tcp_sock_keys, &b);
}

/* Slot i of the bucket of cookie. */
static __always_inline struct ea_sock_state *tcp_slot_at(__u64 cookie, int i)
{
	__u32 idx = i * tcp_slot_buckets + (__u32)(cookie & (tcp_slot_buckets - 1));

	return bpf_map_lookup_elem(&tcp_socks, &idx);
}

/* Which slot of bucket k the cookie (not 0) holds; -1 for none. */
static __always_inline int tcp_slot_place(const struct ea_slot_bucket *k, __u64 cookie)
{
	for (int i = 0; i < EA_SLOT_BUCKET; i++)
		if (k->cookie[i] == cookie)
			return i;
	return -1;
}

/* The slot of the socket with cookie (not 0), or NULL. */
static __always_inline struct ea_sock_state *tcp_slot_of(__u64 cookie)
{
	struct ea_slot_bucket *k = tcp_slot_bucket(cookie);
	int i = k ? tcp_slot_place(k, cookie) : -1;

	return i < 0 ? NULL : tcp_slot_at(cookie, i);
}

/*
 * The slot of the socket with cookie, taken when it has none (*taken): a
 * free one of its bucket, given the cookie, then cleared. NULL when every
 * slot of the bucket is taken. No lookup of the cookie runs meanwhile,
 * nor another take: the socket's lock serializes them (its connect(), its
 * SYN, the end of its handshake in softirq, the agent's iterators).
 */
static __always_inline struct ea_sock_state *tcp_slot_take(__u64 cookie, bool *taken)
{
	struct ea_slot_bucket *k = tcp_slot_bucket(cookie);
	struct ea_sock_state *s;
	int i;

	*taken = false;
	if (!k)
		return NULL;
	i = tcp_slot_place(k, cookie);
	if (i >= 0)
		return tcp_slot_at(cookie, i);
	for (i = 0; i < EA_SLOT_BUCKET; i++) {
		if (k->cookie[i] || __sync_val_compare_and_swap(&k->cookie[i], 0, cookie))
			continue;
		s = tcp_slot_at(cookie, i);
		if (!s) {
			k->cookie[i] = 0;
			return NULL;
		}
		__builtin_memset(s, 0, sizeof(*s));
		*taken = true;
		return s;
	}
	return NULL;
}

/*
 * Free the slot of the socket with cookie (its value stays until taken
 * again); an exchange, so that every write to the slot before is seen
 * before another socket can take it.
 */
static __always_inline void tcp_slot_unkey(__u64 cookie)
{
	struct ea_slot_bucket *k = tcp_slot_bucket(cookie);
	int i = k ? tcp_slot_place(k, cookie) : -1;

	if (i >= 0)
		__sync_lock_test_and_set(&k->cookie[i], 0);
}

/*
 * Plain hashes, not LRU: an evicted flow would vanish unreported. When full,
 * new flows are counted (EA_CNT_*_FLOWS_FULL); the agent ends idle ones.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct ea_udp_flow_key);
	__type(value, struct ea_udp_flow);
} udp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct ea_dev_flow_key);
	__type(value, struct ea_flow);
} dev_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by the agent */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EA_AGG_ENTRIES);
	__type(key, __u32);
	__type(value, struct ea_agg);
} agg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_AGG_RETIRED_ENTRIES);
	__type(key, struct ea_agg_key);
	__type(value, struct ea_agg);
} agg_retired SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EA_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

#include "label.bpf.h"

static __always_inline __u8 proto_of(__u8 ip_proto, __u32 sock_type)
{
	if (sock_type == SOCK_RAW)
		return (ip_proto == IPPROTO_ICMP || ip_proto == IPPROTO_ICMPV6) ?
			EA_PROTO_ICMP : EA_PROTO_RAW;
	switch (ip_proto) {
	case IPPROTO_TCP:
		return EA_PROTO_TCP;
	case IPPROTO_UDP:
		return EA_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return EA_PROTO_ICMP;
	}
	return EA_PROTO_OTHER;
}

static __always_inline bool is_v4_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

/* Give a flow its destination's result under the current table. */
static __always_inline void flow_classify(struct ea_flow *f)
{
	__u32 bank = cfg.geo_bank & 1;
	__u32 idx = ea_geo_classify(bank, f->dst);
	const struct ea_geo_result *r = ea_geo_result_at(bank, idx);

	f->gen = cfg.policy_gen;
	f->family = is_v4_mapped(f->dst) ? 4 : 6;
	if (!r) {
		count(EA_CNT_TABLE_MISS);
		f->result = ~0u;
		f->country = 0;
		f->zone = EA_ZONE_UNKNOWN;
		f->allow_labels = 0;
		return;
	}
	f->result = bank * EA_MAX_RESULTS + idx;
	f->country = r->country;
	f->zone = r->zone;
	f->allow_labels = r->allow_labels;
}

/*
 * Labels a socket's flows carry now: the default, the owner's cgroup's,
 * the owner's taint and that of other processes that sent on it, cached
 * in the socket and recomputed only after some taint changed (taint_gen
 * starts at 1, so 0 means never computed).
 */
static __always_inline __u64 sock_labels(struct ea_sock_state *s)
{
	__u32 gen = cfg.taint_gen;

	if (s->taint_gen == gen)
		return s->labels;
	s->labels = cfg.default_labels | s->owner.cgroup_labels | s->sender_labels;
	if (cfg.path_labels)
		s->labels |= taint_of(s->owner.tgid);
	s->taint_gen = gen;
	return s->labels;
}

/* Allowed, flagged, or blocked when a label in enforce mode is offended. */
static __always_inline __u8 flow_verdict(const struct ea_flow *f, __u64 labels)
{
	__u64 offended = labels & ~f->allow_labels;

	if (!offended)
		return EA_VERDICT_ALLOWED;
	return (offended & cfg.enforce_labels) ? EA_VERDICT_BLOCKED : EA_VERDICT_FLAGGED;
}

/*
 * A wakeup per event costs the sender microseconds: wake the agent only
 * when a batch is waiting (unread is what the ring held before this
 * event); it reads the rest on its own 100 ms tick.
 */
static __always_inline __u64 wakeup_flag(__u64 unread, __u32 size)
{
	if (!cfg.wakeup_bytes)
		return 0;
	return unread + size >= cfg.wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* LRU: a process that stopped flooding may be forgotten (see ea_flood). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EA_FLOOD_ENTRIES);
	__type(key, __u32);
	__type(value, struct ea_flood);
} floods SEC(".maps");

/*
 * The flood limit: while the ring holds more than cfg.flood_bytes unread
 * (the agent is falling behind), each process may add cfg.flood_events
 * events a second; past that its events are refused and counted, in
 * total (exact, per CPU) and per process (for the agent to name it), so
 * that one process's flood cannot crowd the others' records out of the
 * ring. Below the pressure mark nothing is limited.
 */
static __always_inline bool flood_refused(const struct ea_owner *o, __u8 type,
					  __u64 now, __u64 unread)
{
	__u32 tgid = o ? o->tgid : 0, kind;
	struct ea_flood *fl;

	if (!cfg.flood_events || unread < cfg.flood_bytes)
		return false;
	fl = bpf_map_lookup_elem(&floods, &tgid);
	if (!fl) {
		struct ea_flood fresh = { .window_ns = now };

		if (o)
			__builtin_memcpy(fresh.comm, o->comm, sizeof(fresh.comm));
		bpf_map_update_elem(&floods, &tgid, &fresh, BPF_NOEXIST);
		fl = bpf_map_lookup_elem(&floods, &tgid);
		if (!fl)
			return false;
	}
	if (now - fl->window_ns >= EA_FLOOD_WINDOW_NS) {
		fl->window_ns = now;
		fl->events = 0;
	}
	if (fl->events < cfg.flood_events) {
		fl->events++;
		return false;
	}
	kind = type - EA_EV_FLOW_START;
	if (kind < EA_EV_KINDS)
		__sync_fetch_and_add(&fl->refused[kind], 1);
	count(EA_CNT_FLOOD_START + kind);
	return true;
}

/* Everything of an event but the file evidence. */
static __always_inline void fill_event(struct ea_flow_event *e, const struct ea_flow *f,
				       const struct ea_owner *o, __u8 type, __u64 labels,
				       __u64 now, __u8 origin, __u32 ifindex)
{
	e->abi = EA_ABI_VERSION;
	e->type = type;
	e->verdict = f->verdict;
	e->proto = f->proto;
	e->ip_proto = f->ip_proto;
	e->family = f->family;
	e->origin = origin;
	e->sport = f->sport;
	e->dport = f->dport;
	e->country = f->country;
	e->zone = f->zone;
	e->flags = f->flags;
	e->result = f->result;
	e->ifindex = ifindex;
	e->reserved = 0;
	e->start_ns = f->start_ns;
	e->ts_ns = now;
	e->bytes = f->bytes;
	e->packets = f->packets;
	e->labels = labels;
	__builtin_memcpy(e->src, f->src, sizeof(e->src));
	__builtin_memcpy(e->dst, f->dst, sizeof(e->dst));
	e->cgroup_idx = o && o->cgroup_labels ? o->cgroup_idx : ~0u;
	e->reserved2 = 0;
	if (o) {
		e->tgid = o->tgid;
		e->pid = o->pid;
		e->uid = o->uid;
		e->gid = o->gid;
		e->cgroup_id = o->cgroup_id;
		e->cookie = o->cookie;
		__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	} else {
		e->tgid = e->pid = e->uid = e->gid = 0;
		e->cgroup_id = 0;
		e->cookie = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
}

/*
 * Report a flow. The file evidence of the owner's taint rides along when
 * there is any; without it the event stops short of it (a third of the
 * size: less of the ring to write and to read).
 */
static __always_inline void emit(const struct ea_flow *f, const struct ea_owner *o,
				 __u8 type, __u64 labels, __u64 now, __u8 origin,
				 __u32 ifindex)
{
	struct ea_taint *t = o && cfg.path_labels ? bpf_map_lookup_elem(&taint, &o->tgid) : NULL;
	__u32 size = t ? sizeof(struct ea_flow_event) : EA_FLOW_EVENT_SHORT;
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	struct ea_flow_event *e;

	if (flood_refused(o, type, now, unread))
		return;
	if (t) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			fill_event(e, f, o, type, labels, now, origin, ifindex);
			__builtin_memcpy(e->ev, t->ev, sizeof(e->ev));
		}
	} else {
		e = bpf_ringbuf_reserve(&events, EA_FLOW_EVENT_SHORT, 0);
		if (e)
			fill_event(e, f, o, type, labels, now, origin, ifindex);
	}
	if (!e) {
		count(EA_CNT_LOST_START + type - EA_EV_FLOW_START);
		return;
	}
	bpf_ringbuf_submit(e, wakeup_flag(unread, size));
}

static __always_inline bool recorded(__u8 verdict)
{
	return verdict != EA_VERDICT_ALLOWED || cfg.record_all;
}

/* Add to the aggregate of (result, verdict). */
static __always_inline void aggregate(const struct ea_flow *f, __u8 verdict,
				      __u64 flows, __u64 packets, __u64 bytes)
{
	__u32 key = f->result * EA_VERDICT_MAX + verdict;
	struct ea_agg *a = bpf_map_lookup_elem(&agg, &key);

	if (!a)
		return;
	a->flows += flows;
	a->packets += packets;
	a->bytes += bytes;
}

/*
 * Move what the flow counted since the last fold into the aggregates. Each
 * CPU takes the baseline it moves from by exchange, so that two folding
 * at once move each count once (a fold that took a newer baseline than
 * its own counts adds a wrapped difference, which the sum over the CPUs
 * takes back).
 */
static __always_inline void fold(struct ea_flow *f, __u8 verdict, __u64 flows)
{
	__u64 packets = f->packets, bytes = f->bytes;

	aggregate(f, verdict, flows, packets - __sync_lock_test_and_set(&f->agg_packets, packets),
		  bytes - __sync_lock_test_and_set(&f->agg_bytes, bytes));
}

/*
 * A flow counts in the aggregates under its verdict when it starts, and
 * again under each worse one it turns to (each is a flow_start record), so
 * that every count only grows; what it sent before a turn stays under the
 * verdict it had then.
 */
static __always_inline void count_flow(struct ea_flow *f, __u8 verdict, bool first)
{
	fold(f, first ? verdict : f->verdict, first);
	if (!first)
		aggregate(f, verdict, 1, 0, 0);
}

/*
 * Report what a flow's verdict calls for, its counts being up to date:
 * flow_start at its first report (or when the verdict worsens mid-flow),
 * flow_update every update interval, looked at when fold_now moves its
 * counts into the aggregates. Returns the verdict, so that the caller can
 * drop when blocked.
 */
static __always_inline __u8 flow_report(struct ea_flow *f, const struct ea_owner *o,
					__u64 labels, bool fold_now, __u8 origin,
					__u32 ifindex)
{
	__u8 verdict = flow_verdict(f, labels);
	bool first = f->start_ns == 0;
	__u64 now = 0;

	if (first) {
		/* two CPUs reporting a flow's first packets: one starts it */
		now = bpf_ktime_get_boot_ns();
		first = !__sync_val_compare_and_swap(&f->start_ns, 0, now);
	}
	if (first || verdict > f->verdict) {
		count_flow(f, verdict, first);
		if (!now)
			now = bpf_ktime_get_boot_ns();
		f->verdict = verdict;
		if (recorded(verdict)) {
			f->flags |= EA_FLOW_RECORDED;
			f->last_emit_ns = now;
			f->labels |= labels;
			emit(f, o, EA_EV_FLOW_START, labels, now, origin, ifindex);
		}
		return verdict;
	}
	if (!fold_now)
		return verdict;	/* the update interval is checked at folds only */
	fold(f, verdict, 0);
	if (!(f->flags & EA_FLOW_RECORDED))
		return verdict;
	now = bpf_ktime_get_boot_ns();
	if (now - f->last_emit_ns >= cfg.update_interval_ns) {
		f->last_emit_ns = now;
		f->labels |= labels;
		emit(f, o, EA_EV_FLOW_UPDATE, labels, now, origin, ifindex);
	}
	return verdict;
}

/*
 * Count one (possibly GSO) packet of a flow and report it. The aggregates
 * are touched once every fold_every packets (a cold per-CPU line per packet
 * would cost more than all the rest).
 */
static __always_inline __u8 flow_account(struct ea_flow *f, const struct ea_owner *o,
					 __u64 labels, __u64 packets, __u64 bytes,
					 __u8 origin, __u32 ifindex, __u32 fold_every)
{
	__u64 before = __sync_fetch_and_add(&f->packets, packets);

	__sync_fetch_and_add(&f->bytes, bytes);
	return flow_report(f, o, labels,
			   (before + packets) / fold_every != before / fold_every,
			   origin, ifindex);
}

/* Report the end of a flow that was reported at all. */
static __always_inline void flow_end(struct ea_flow *f, const struct ea_owner *o,
				     __u64 labels, __u8 origin, __u32 ifindex)
{
	fold(f, f->verdict, 0);
	if (!(f->flags & EA_FLOW_RECORDED))
		return;
	emit(f, o, EA_EV_FLOW_END, labels | f->labels, bpf_ktime_get_boot_ns(), origin,
	     ifindex);
	f->flags &= ~EA_FLOW_RECORDED;
}

/* IP-level bytes of an skb: GSO packets carry their headers once. */
static __always_inline __u64 ip_bytes(struct __sk_buff *skb, __u32 off, __u64 segs,
				      __u8 ip_proto)
{
	__u8 b[1];
	__u32 hdr;

	if (segs <= 1)
		return skb->len - off;
	if (bpf_skb_load_bytes(skb, off, b, 1))
		return skb->len - off;
	hdr = (b[0] >> 4) == 4 ? (b[0] & 0xf) * 4 : 40;
	if (ip_proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, off + hdr + 12, b, 1))
			return skb->len - off;
		hdr += (b[0] >> 4) * 4;
	} else {
		hdr += 8;
	}
	return skb->len - off + (segs - 1) * hdr;
}

#endif /* EA_FLOW_BPF_H */
