// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The datapath: every flow that leaves through the watched cgroup (socket
 * hooks) or through a watched device (tc egress) is classified once,
 * counted, aggregated per (result, verdict) and, when recorded, reported
 * through the ring buffer. Attribution always comes from the socket's
 * storage, written in process context (creation, connect, send): the
 * egress hooks may run in softirq context where `current` is someone else.
 *
 * TCP is counted from the socket's own counters where the TCP tracepoints
 * load (the default build): its packets cost the egress hook a header read, and
 * a flow that is allowed and cannot become flagged keeps no state at all;
 * it is aggregated when it closes. Elsewhere every packet is counted here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "flow.bpf.h"
#include "packet.bpf.h"
#include "syscalls.bpf.h"

#define TC_ACT_OK	0
#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2
#define TCP_SYN_RECV	3
#define TCP_TIME_WAIT	6
#define TCP_CLOSE	7
#define TCP_CLOSE_WAIT	8
#define TCP_LISTEN	10
#define TCP_NEW_SYN_RECV	12
#define SOL_IP		0
#define SOL_IPV6	41
#define IP_OPTIONS	4
#define IPV6_RTHDR	57
#define SOL_PACKET	263
#define PACKET_QDISC_BYPASS 20
#define EA_SOCKOPT_PAGE	4096	/* what a sockopt program sees of an option */

/* Whether a socket in this state is a full one, not time-wait or a request (sk_fullsock()). */
static __always_inline bool skc_state_full(__u8 state)
{
	return state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
}

/*
 * The programs that treat TCP by how it is counted are built twice: by
 * state (the default) and per packet (suffix _pp, where the TCP
 * tracepoints do not load). The agent loads and attaches one build: a
 * setting read at every run would cost a cache miss per connection.
 */
#define TWO_BUILDS(sec, name, ctx_type, fn)				\
	SEC(sec) int name(ctx_type *ctx) { return fn(ctx, true); }	\
	SEC(sec) int name##_pp(ctx_type *ctx) { return fn(ctx, false); }

/*
 * Fill an owner from the current task (process context only): read from
 * the task in one helper call where bpf_get_current_pid_tgid(), _uid_gid(),
 * _cgroup_id() and _comm() would make four, each returning through the
 * kernel's return thunk. The same values: ids in the initial namespaces
 * (its user namespace maps ids as they are), the cgroup v2 id, the name
 * (kept NUL-terminated and padded by the kernel).
 */
static __always_inline void owner_from_current(struct ea_owner *o, __u64 cookie)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *cred = t->cred;

	o->tgid = t->tgid;
	o->pid = t->pid;
	o->uid = cred->uid.val;
	o->gid = cred->gid.val;
	o->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	o->cookie = cookie;
	__builtin_memcpy(o->comm, t->comm, sizeof(o->comm));
	o->cgroup_idx = ~0u;
	o->cgroup_labels = cfg.cgroup_labelled ? current_cgroup_labels(&o->cgroup_idx) : 0;
}

/* The current task becomes the owner of a socket's flows. */
static __always_inline void owner_adopt(struct ea_sock_state *s, __u64 cookie)
{
	owner_from_current(&s->owner, cookie);
	s->owner_known = 1;
	s->taint_gen = 0;	/* labels of the new owner */
}

/* A fresh tag for a slot's marks (EA_SLOT_TAG_SHIFT). */
static __always_inline __u64 slot_tag_new(void)
{
	return (__u64)bpf_get_prandom_u32() << EA_SLOT_TAG_SHIFT;
}

static __always_inline __u64 slot_tag(__u64 marks)
{
	return marks >> EA_SLOT_TAG_SHIFT;
}

/*
 * A socket whose flow ended (its connection closed, or was dissolved with
 * AF_UNSPEC) connects again: a new flow, owned by the process connecting.
 */
static __always_inline void sock_state_restart(struct ea_sock_state *s, __u64 cookie)
{
	__builtin_memset(&s->flow, 0, sizeof(s->flow));
	s->ended = 0;
	s->multi_dest = 0;	/* sock_flows_end ended and removed them */
	s->fold_tick = 0;
	s->slot_marks = slot_tag_new();	/* a new flow: claims of the old one fail */
	s->sweep_missed = 0;
	s->sender_labels = 0;	/* the new flow carries none of the old one's data */
	owner_adopt(s, cookie);
}

/*
 * A datagram socket whose connect() was refused connects again: the
 * refused flow ends, and this connect() starts a new one (its flows to
 * other destinations go on).
 */
static __always_inline void own_flow_restart(struct ea_sock_state *s)
{
	flow_end(&s->flow, &s->owner, sock_labels(s), EA_ORIGIN_SOCKET, 0);
	__builtin_memset(&s->flow, 0, sizeof(s->flow));
}

static __always_inline struct ea_sock_state *sock_state_of(struct bpf_sock *sk)
{
	struct ea_sock_state *s;

	s = bpf_sk_storage_get(&socks, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s)
		count(EA_CNT_NO_STORAGE);
	return s;
}

/* A TCP socket's cookie; 0 when none was ever asked for, so it has no slot. */
static __always_inline __u64 ksock_cookie(const struct sock *sk)
{
	return sk->__sk_common.skc_cookie.counter;
}

/* The kernel socket behind a cgroup program's TCP socket. */
static __always_inline struct sock *tcp_ksock(struct bpf_sock *sk)
{
	return (struct sock *)bpf_skc_to_tcp_sock(sk);
}

/* A TCP socket as its tcp_sock, to read, where bpf_skc_to_tcp_sock is not allowed. */
static __always_inline const struct tcp_sock *tcp_sk_rdonly(struct sock *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
}

/*
 * A tracing program's socket as its tcp_sock, to read; NULL when it is not
 * TCP (inet_sock_set_state fires for SCTP too). bpf_skc_to_tcp_sock()'s
 * check without its helper call, whose return costs more than the check
 * where returns are mitigated: these tracepoints' sockets are full ones.
 */
static __always_inline const struct tcp_sock *tcp_sk_of(struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP ? tcp_sk_rdonly(sk) : NULL;
}

/*
 * The state of a TCP flow counted by state: its slot, else its storage.
 * A socket without cookie or storage has neither, which two loads tell.
 */
static __always_inline struct ea_sock_state *tcp_state_find(struct sock *sk)
{
	__u64 cookie = ksock_cookie(sk);
	struct ea_sock_state *s;

	/* a slot the sweep is freeing is no one's any more (tcp_slot_claim_free) */
	if (cookie && (s = tcp_slot_of(cookie)) &&
	    !(s->slot_marks & EA_SLOT_FREEING))
		return s;
	if (!sk->sk_bpf_storage)
		return NULL;
	return bpf_sk_storage_get(&socks, sk, NULL, 0);
}

/* The agent's sweep of tcp_socks under way (agent_sweep.c); set by the agent. */
__u32 sweep_gen;

/*
 * New (or existing) state for a TCP flow counted by state: a slot, or
 * socket storage when every slot is taken. A slot says which network
 * namespace its socket is in, and when it was taken, for the agent's
 * sweep of slots whose socket is gone.
 */
static __always_inline struct ea_sock_state *tcp_state_new(struct sock *sk, __u64 cookie)
{
	struct ea_sock_state *s = NULL;

	if (cfg.tcp_slots) {
		bool taken;

		s = tcp_slot_take(cookie, &taken);
		if (s && taken)
			__sync_fetch_and_or(&s->slot_marks, slot_tag_new());
	}
	if (s && !(s->slot_marks & EA_SLOT_FREEING)) {
		s->in_slot = 1;
		s->netns = sk->__sk_common.skc_net.net->net_cookie;
		s->born_gen = sweep_gen;
		return s;
	}
	if (!s)
		count(EA_CNT_TCP_SLOTS_FULL);
	s = bpf_sk_storage_get(&socks, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s)
		count(EA_CNT_NO_STORAGE);
	return s;
}

#define SHUTDOWN_MASK	3	/* RCV_SHUTDOWN | SEND_SHUTDOWN */


/*
 * Mark a slot with what happened to its socket; true when the other mark
 * was there first. A reset taken in on another CPU while the owner closes
 * the socket runs the change to TCP_CLOSE, whose tracepoint fires before
 * the state is stored, as the file's release hook reads the state: the
 * hook still sees the connection open, the tracepoint still sees the
 * file, and the close that follows finds the connection closed and
 * changes no state. Each side leaves its mark; the second frees the slot.
 */
static __always_inline bool tcp_slot_marked(struct ea_sock_state *s, __u64 mine, __u64 other)
{
	return __sync_fetch_and_or(&s->slot_marks, mine) & other;
}

/*
 * Free a slot the datapath is done with, unless the agent's sweep ended
 * its flows: only a sweep frees those (sweep_slot), so that no slot is
 * freed under the sweep as it ends it.
 */
static __always_inline void tcp_slot_free(struct ea_sock_state *s, __u64 cookie)
{
	if (!(s->slot_marks & EA_SLOT_SWEPT))
		tcp_slot_unkey(cookie);
}

/*
 * Free the slot of a closed connection once no send of its socket can
 * come any more (the socket has no file, or both its directions are
 * shut, or its file was released); otherwise its file's release
 * (tcp_slot_release) or the socket's next close frees it: a send racing
 * with a reset on another CPU then never writes to a slot another flow
 * took.
 */
static __always_inline void tcp_slot_done(struct sock *sk, struct ea_sock_state *s, __u64 cookie)
{
	if (!sk->sk_socket || sk->sk_shutdown == SHUTDOWN_MASK ||
	    tcp_slot_marked(s, EA_SLOT_CLOSED, EA_SLOT_RELEASED))
		tcp_slot_free(s, cookie);
}

/* A TCP flow's connection closed: storage goes with the socket, a slot when done. */
static __always_inline void tcp_state_closed(struct sock *sk, struct ea_sock_state *s)
{
	if (s->in_slot)
		tcp_slot_done(sk, s, ksock_cookie(sk));
}

/* A closed socket closed again (by its owner): free the slot its flow kept. */
static __always_inline void tcp_closed_again(struct sock *sk)
{
	__u64 cookie = ksock_cookie(sk);
	struct ea_sock_state *s;

	if (!cookie)
		return;
	s = tcp_slot_of(cookie);
	if (s && s->ended)
		tcp_slot_done(sk, s, cookie);
}

static __always_inline int sock_create_as(struct bpf_sock *sk, bool tcp_by_state)
{
	struct ea_sock_state *s;

	/* a TCP socket gets state at connect(), and only if its flow needs it */
	if (tcp_by_state && sk->protocol == IPPROTO_TCP)
		return 1;
	s = sock_state_of(sk);
	if (s)
		owner_adopt(s, bpf_get_socket_cookie(sk));
	return 1;
}

TWO_BUILDS("cgroup/sock_create", sock_create, struct bpf_sock, sock_create_as)

/* In process context: learn the owner of sockets older than the agent. */
static __always_inline struct ea_sock_state *
sock_state_in_process(struct bpf_sock_addr *ctx)
{
	struct ea_sock_state *s = sock_state_of(ctx->sk);

	if (s && !s->owner_known)
		owner_adopt(s, bpf_get_socket_cookie(ctx));
	return s;
}

/* Fill a flow's identity from a socket: source, destination, protocol. */
static __always_inline void flow_from_sock(struct ea_flow *f, struct bpf_sock *sk)
{
	if (sk->family == AF_INET) {
		ea_v4_mapped(f->dst, sk->dst_ip4);
		ea_v4_mapped(f->src, sk->src_ip4);
	} else {
		/* context fields: one load each, no pointer arithmetic */
		f->dst[0] = sk->dst_ip6[0];
		f->dst[1] = sk->dst_ip6[1];
		f->dst[2] = sk->dst_ip6[2];
		f->dst[3] = sk->dst_ip6[3];
		f->src[0] = sk->src_ip6[0];
		f->src[1] = sk->src_ip6[1];
		f->src[2] = sk->src_ip6[2];
		f->src[3] = sk->src_ip6[3];
		if (is_v4_mapped(f->dst))
			f->flags |= EA_FLOW_MAPPED;
	}
	f->dport = bpf_ntohs(sk->dst_port);
	f->sport = (__u16)sk->src_port;
	f->ip_proto = (__u8)sk->protocol;
	f->proto = proto_of(f->ip_proto, sk->type);
}

static __always_inline bool same_dst(const struct ea_flow *f, const __u32 dst[4],
				     __u16 dport)
{
	return f->dport == dport && f->dst[0] == dst[0] && f->dst[1] == dst[1] &&
	       f->dst[2] == dst[2] && f->dst[3] == dst[3];
}

struct route_walk {
	struct __sk_buff *skb;	/* the packet that carries the route, or */
	unsigned long kaddr;	/* the socket option's addresses (no skb) */
	__u64 labels;
	__u32 off;	/* the first address still to visit */
	__u32 bank;
	__u32 v4;
	__u32 pick;	/* the first address the labels may not reach; ~0 none */
	__u32 last;	/* the final address (an RPL route's shortest) */
	__u32 elide;	/* RPL: leading bytes an address shares with prefix */
	__u32 elide_last;
	__u32 prefix[4];	/* RPL: the header's destination */
};

/* The first n (< 16) bytes of an RPL route's address a, from the header's destination. */
static __always_inline void route_unelide(__u32 a[4], const __u32 prefix[4], __u32 n)
{
	const __u8 *from = (const __u8 *)prefix;
	__u8 *to = (__u8 *)a;
	int k;

#pragma unroll
	for (k = 0; k < 15; k++)
		if (k < n)
			to[k] = from[k];
}

/*
 * Address i of the route, read from the packet (or the socket's option)
 * as four network-order words (no scratch map: a program nested on this
 * CPU, tc in a softirq, could overwrite it midway). An RPL address is
 * read with the bytes before it that it leaves out, which then take the
 * header destination's.
 */
static __always_inline int route_addr(const struct route_walk *w, __u32 i, __u32 a[4])
{
	__u32 size = w->v4 ? 4 : 16, v4;
	void *to = w->v4 ? (void *)&v4 : (void *)a;
	long err;

	if (w->skb) {
		__u32 elide = i == w->last ? w->elide_last : w->elide;

		err = bpf_skb_load_bytes(w->skb, w->off + i * (size - w->elide) - elide, to, size);
		if (!err && elide)
			route_unelide(a, w->prefix, elide);
	} else {
		err = bpf_probe_read_kernel(to, size, (void *)(w->kaddr + w->off + i * size));
	}
	if (err)
		return -1;
	if (w->v4)
		ea_v4_mapped(a, v4);
	return 0;
}

/* Whether data of every one of labels may go to dst (a table miss: to none). */
static __always_inline bool dst_allowed(__u32 bank, const __u32 dst[4], __u64 labels)
{
	const struct ea_geo_result *r = ea_geo_result_at(bank, ea_geo_classify(bank, dst));

	return !(labels & ~(r ? r->allow_labels : 0));
}

/* bpf_loop's step over the route: stop at the first address not allowed. */
static long route_hop(__u32 i, struct route_walk *w)
{
	__u32 a[4];

	if (route_addr(w, i, a))
		return 1;
	if (dst_allowed(w->bank, a, w->labels))
		return 0;
	w->pick = i;
	return 1;
}

/*
 * A source-routed packet reaches every address of its route. It goes to
 * the flow of the first of them (its header's destination first) that its
 * labels may not reach, else to its final destination's, which is the one
 * the socket was given: a route can hide no destination and make none up.
 */
static __always_inline void route_pick(struct __sk_buff *skb, struct ea_pkt *p, __u64 labels)
{
	struct route_walk w;
	__u32 a[4];

	if (!p->route_n)
		return;
	w = (struct route_walk){ .skb = skb, .labels = labels, .off = p->route_off,
				 .bank = cfg.geo_bank & 1, .v4 = p->family == 4, .pick = ~0u,
				 .last = p->route_final, .elide = p->route_elide & 15,
				 .elide_last = p->route_elide_last & 15 };
	__builtin_memcpy(w.prefix, p->dst, sizeof(w.prefix));
	count(EA_CNT_ROUTED);
	if (labels) {
		if (!dst_allowed(w.bank, p->dst, labels))
			return;		/* the header's own address decides */
		bpf_loop(p->route_n, route_hop, &w, 0);
	}
	if (!route_addr(&w, w.pick != ~0u ? w.pick : p->route_final, a))
		__builtin_memcpy(p->dst, a, sizeof(a));
}

/* Mark a flow one of whose packets named a source route (written once). */
static __always_inline void mark_routed(struct ea_flow *f, const struct ea_pkt *p)
{
	if (p->route_n && !(f->flags & EA_FLOW_ROUTED))
		f->flags |= EA_FLOW_ROUTED;
}

static const struct ea_udp_flow no_udp_flow;

/*
 * A socket's flow towards a destination other than its own: an
 * unconnected datagram socket's, or a routed connection's hop (map
 * udp_flows, ended with the socket).
 */
static __always_inline struct ea_flow *dest_flow(struct ea_sock_state *s, const struct ea_pkt *p)
{
	struct ea_udp_flow_key key = {};
	struct ea_udp_flow *u;

	key.cookie = s->owner.cookie;
	__builtin_memcpy(key.dst, p->dst, sizeof(key.dst));
	key.dport = p->dport;
	u = bpf_map_lookup_elem(&udp_flows, &key);
	if (!u) {
		/* from a zero value in .rodata: a flow on the stack would crowd it */
		bool made = !bpf_map_update_elem(&udp_flows, &key, &no_udp_flow, BPF_NOEXIST);

		u = bpf_map_lookup_elem(&udp_flows, &key);
		if (!u) {
			count(EA_CNT_UDP_FLOWS_FULL);
			return NULL;
		}
		if (made)
			u->owner = s->owner;
		s->multi_dest = 1;
	}
	u->flow.last_ns = bpf_ktime_get_boot_ns();
	return &u->flow;
}

/*
 * Give a flow of a packet's destination its identity and class, once per
 * policy, and the mark of a source route when the packet named one.
 */
static __always_inline void flow_setup(struct ea_flow *f, const struct ea_pkt *p,
				       __u32 sock_type)
{
	if (f->gen != cfg.policy_gen) {
		__builtin_memcpy(f->dst, p->dst, sizeof(f->dst));
		f->dport = p->dport;
		f->ip_proto = p->proto;
		f->proto = proto_of(p->proto, sock_type);
		flow_classify(f);
	}
	if (!f->ip_proto) {
		/* connect() classified it without knowing the protocol */
		f->ip_proto = p->proto;
		f->proto = proto_of(p->proto, sock_type);
	}
	if (!f->sport && p->sport)
		f->sport = p->sport;	/* known at the first packet, not at sendmsg */
	if (!(f->src[0] | f->src[1] | f->src[2] | f->src[3]))
		__builtin_memcpy(f->src, p->src, sizeof(f->src));
	mark_routed(f, p);
}

/*
 * The flow of a datagram socket towards dst: the socket's own flow when it
 * is free or already goes there, otherwise one per destination in udp_flows.
 */
static __always_inline struct ea_flow *
dgram_flow(struct ea_sock_state *s, const struct ea_pkt *p, __u32 sock_type)
{
	struct ea_flow *f = &s->flow;

	if (f->gen && !same_dst(f, p->dst, p->dport)) {
		f = dest_flow(s, p);
		if (!f)
			return NULL;
	}
	flow_setup(f, p, sock_type);
	return f;
}

/*
 * Whether a datagram goes to the socket's own flow, set up and classified
 * under the current policy, read straight from the packet (a cgroup_skb
 * packet starts at its IP header): the usual datagram of a sender with one
 * destination costs no parse. Anything else (another destination, a
 * fragment, an extension header, headers outside the linear part) answers
 * no and takes the full parse.
 */
static __always_inline bool dgram_to_own_flow(struct __sk_buff *skb, const struct ea_flow *f)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct udphdr *udp;
	__u32 dst[4];

	if (f->gen != cfg.policy_gen || !f->sport || f->ip_proto != IPPROTO_UDP)
		return false;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return false;
		ea_v4_mapped(dst, ip->daddr);
		udp = (void *)(ip + 1);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return false;
		__builtin_memcpy(dst, &ip6->daddr, sizeof(dst));
		udp = (void *)(ip6 + 1);
	} else {
		return false;
	}
	return (void *)(udp + 1) <= end && same_dst(f, dst, bpf_ntohs(udp->dest));
}

/* Sockets older than the agent get their cookie at their first packet. */
static __always_inline void learn_cookie(struct ea_sock_state *s, struct __sk_buff *skb)
{
	if (!s->owner.cookie)
		s->owner.cookie = bpf_get_socket_cookie(skb);
}

/*
 * A TCP segment with a bare IP header, no options or extension headers (by
 * the packet's hottest bytes): it goes straight to the socket's peer.
 */
static __always_inline bool plain_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		return (void *)(ip + 1) <= end && ip->protocol == IPPROTO_TCP && ip->ihl == 5;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		return (void *)(ip6 + 1) <= end && ip6->nexthdr == IPPROTO_TCP;
	}
	return false;
}

/*
 * A TCP segment with IP options or extension headers, of a socket with
 * state: when a source route sends it to an address other than the peer
 * first, and that address decides (route_pick), it is counted per packet
 * in that address's flow too; the connection's own flow counts it as
 * every other. Returns the verdict of the route's flow (allowed: none).
 */
static __always_inline bool parse_routed(struct __sk_buff *skb, struct ea_pkt *p)
{
	return ea_parse_ip(skb, 0, p) == EA_PARSE_OK && p->route_n;
}

static __always_inline __u8 tcp_route_account(struct __sk_buff *skb, struct ea_sock_state *s,
					      struct ea_pkt *p, __u64 labels)
{
	struct ea_flow *f;
	__u64 segs;

	mark_routed(&s->flow, p);
	route_pick(skb, p, labels);
	if (same_dst(&s->flow, p->dst, p->dport))
		return EA_VERDICT_ALLOWED;
	f = dest_flow(s, p);
	if (!f)
		return EA_VERDICT_ALLOWED;
	flow_setup(f, p, SOCK_STREAM);
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	return flow_account(f, &s->owner, labels, segs, ip_bytes(skb, 0, segs, IPPROTO_TCP),
			    EA_ORIGIN_SOCKET, 0, 1);
}

/*
 * A TCP segment in enforce mode, when the socket counts its flow: a flow
 * whose labels may not reach its destination (its owner read labelled data
 * after connect()) is dropped. sk is the packet's socket as it comes:
 * tcp_ksock() finds a full TCP socket behind it, or none.
 */
static __always_inline int tcp_enforce(struct bpf_sock *sk)
{
	struct sock *ksk = tcp_ksock(sk);
	struct ea_sock_state *s;
	__u64 labels;

	s = ksk ? tcp_state_find(ksk) : NULL;
	if (!s || s->ended)
		return 1;
	labels = sock_labels(s);
	if (flow_verdict(&s->flow, labels) != EA_VERDICT_BLOCKED)
		return 1;
	flow_report(&s->flow, &s->owner, labels, false, EA_ORIGIN_SOCKET, 0);
	return 0;
}

/* Labels of the cgroup (and its ancestors) of a packet's socket. */
static __always_inline __u64 skb_cgroup_labels(struct __sk_buff *skb, __u32 *idx)
{
#define skb_ancestor_id(lvl) bpf_skb_ancestor_cgroup_id(skb, lvl)
	return cgroup_chain_labels(skb_ancestor_id, idx);
#undef skb_ancestor_id
}

static __always_inline void flow_from_ksock(struct ea_flow *f, const struct sock *sk);

/*
 * A routed segment of a connection that keeps no state (allowed at
 * connect(), its route given after): the connection gets state now, its
 * owner learned at its next send and its cgroup's labels taken from the
 * packet, so that the segment is counted at the address that decides,
 * and stopped there in enforce mode.
 */
static __always_inline struct ea_sock_state *tcp_route_adopt(struct __sk_buff *skb,
							  struct sock *ksk)
{
	struct ea_sock_state *s;
	__u64 cookie;

	cookie = bpf_get_socket_cookie(skb);
	s = tcp_state_new(ksk, cookie);
	if (!s || s->flow.gen)
		return s;
	flow_from_ksock(&s->flow, ksk);
	flow_classify(&s->flow);
	s->owner.cookie = cookie;
	s->owner.cgroup_idx = ~0u;
	s->owner.cgroup_labels = cfg.cgroup_labelled ?
				 skb_cgroup_labels(skb, &s->owner.cgroup_idx) : 0;
	return s;
}

/*
 * A TCP segment with IP options or extension headers, its connection
 * counted by state (a routed connection has state from its SYN on,
 * tcp_route_start, or from its first routed segment, tcp_route_adopt).
 */
static __always_inline int tcp_routed(struct __sk_buff *skb, struct bpf_sock *sk,
				      bool enforcing)
{
	struct sock *ksk = tcp_ksock(sk);
	struct ea_sock_state *s = ksk ? tcp_state_find(ksk) : NULL;
	struct ea_pkt p = {};
	bool routed;

	if (!ksk)
		return 1;
	routed = parse_routed(skb, &p);
	if (!s && routed)
		s = tcp_route_adopt(skb, ksk);	/* a socket of the watched cgroup */
	if (!s || s->ended)
		return 1;	/* ended: its reset, say, makes no new flow */
	learn_cookie(s, skb);	/* state given at setsockopt has none (route_opt) */
	if (routed && tcp_route_account(skb, s, &p, sock_labels(s)) == EA_VERDICT_BLOCKED)
		return 0;
	return enforcing ? tcp_enforce(sk) : 1;
}

/* How the egress program is built (see its three variants below). */
#define EGRESS_TCP_BY_STATE	1
#define EGRESS_ENFORCE		2

extern void *bpf_cast_to_kern_ctx(void *ctx) __ksym;

/*
 * The socket of a packet as the kernel holds it, when it is a full one
 * (not a request or time-wait socket): what bpf_sk_fullsock() checks,
 * without its helper call, whose return costs more than the check where
 * returns are mitigated.
 */
static __always_inline const struct sock *skb_full_ksock(struct __sk_buff *skb)
{
	const struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	const struct sock *ks = kskb->sk;

	return ks && skc_state_full(ks->__sk_common.skc_state) ? ks : NULL;
}

static __always_inline int egress_flow(struct __sk_buff *skb, const int build)
{
	bool by_state = build & EGRESS_TCP_BY_STATE, enforcing = build & EGRESS_ENFORCE;
	struct bpf_sock *sk = skb->sk;
	const struct sock *ks;
	struct ea_sock_state *s;
	struct ea_flow *f;
	__u8 verdict;
	__u64 segs;

	/* TCP counted by state: nothing per segment unless enforcing */
	if (by_state && plain_tcp(skb))
		return enforcing && sk ? tcp_enforce(sk) : 1;
	/* the helpers below take sk as it is and check it is full themselves */
	ks = skb_full_ksock(skb);
	if (!sk || !ks) {
		count(EA_CNT_NO_SOCKET);
		return 1;
	}
	if (by_state && ks->sk_protocol == IPPROTO_TCP)
		return tcp_routed(skb, sk, enforcing);
	s = sock_state_of(sk);
	if (!s)
		return 1;
	if (ks->sk_type == SOCK_STREAM) {
		if (s->ended)
			return 1;	/* its connection closed: a reset after it is no flow */
		f = &s->flow;
		if (f->gen != cfg.policy_gen || !f->ip_proto) {
			/* the first packet (or a reload): the slow path */
			if (!(sk = bpf_sk_fullsock(sk)))
				return 1;
			learn_cookie(s, skb);
			flow_from_sock(f, sk);
			if (f->gen != cfg.policy_gen)
				flow_classify(f);
		}
		if (!plain_tcp(skb)) {
			struct ea_pkt p = {};

			if (parse_routed(skb, &p) &&
			    tcp_route_account(skb, s, &p, sock_labels(s)) == EA_VERDICT_BLOCKED)
				return 0;
		}
	} else if (dgram_to_own_flow(skb, &s->flow)) {
		f = &s->flow;
	} else {
		struct ea_pkt p = {};

		/* per-destination flows are keyed by it */
		learn_cookie(s, skb);
		if (ea_parse_ip(skb, 0, &p) != EA_PARSE_OK) {
			count(EA_CNT_BAD_PACKET);
			return 1;
		}
		route_pick(skb, &p, sock_labels(s));
		f = dgram_flow(s, &p, ks->sk_type);
		if (!f)
			return 1;
	}
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	/* the socket's own flow is folded at its end; map-kept ones per packet */
	verdict = flow_account(f, &s->owner, sock_labels(s), segs,
			       ip_bytes(skb, 0, segs, f->ip_proto), EA_ORIGIN_SOCKET, 0,
			       f == &s->flow ? EA_AGG_FOLD_PACKETS : 1);
	return verdict == EA_VERDICT_BLOCKED ? 0 : 1;
}

/*
 * One program, built three ways so that a TCP segment's path reads no
 * setting at all: the agent loads the variant its kernel and config need.
 */
SEC("cgroup_skb/egress")
int egress(struct __sk_buff *skb)
{
	return egress_flow(skb, EGRESS_TCP_BY_STATE);
}

SEC("cgroup_skb/egress")
int egress_enforce(struct __sk_buff *skb)
{
	return egress_flow(skb, EGRESS_TCP_BY_STATE | EGRESS_ENFORCE);
}

/* Where the TCP tracepoints do not load: every packet counted here. */
SEC("cgroup_skb/egress")
int egress_pp(struct __sk_buff *skb)
{
	return egress_flow(skb, EGRESS_ENFORCE);
}

/* The destination a connect() or sendmsg() names, IPv4 as mapped. */
static __always_inline void sock_addr_dst(struct bpf_sock_addr *ctx, bool v6,
					  __u32 dst[4])
{
	if (!v6) {
		ea_v4_mapped(dst, ctx->user_ip4);
		return;
	}
	dst[0] = ctx->user_ip6[0];
	dst[1] = ctx->user_ip6[1];
	dst[2] = ctx->user_ip6[2];
	dst[3] = ctx->user_ip6[3];
}

/*
 * Labels of what the current task sends on a socket: the owner's, and the
 * sender's taint when another process sends (a child, a passed socket).
 * The socket keeps the sender's: its flow now carries that data, so its
 * later packets (sent by anyone, counted at egress, stopped in enforce
 * mode) and its end carry the labels too.
 */
static __always_inline __u64 send_labels(struct ea_sock_state *s)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 labels = sock_labels(s), theirs;

	if (!cfg.path_labels || tgid == s->owner.tgid)
		return labels;
	theirs = taint_of(tgid);
	if (theirs & ~labels) {
		s->sender_labels |= theirs;
		s->labels |= theirs;
	}
	return labels | theirs;
}

struct close_ctx {
	__u64 cookie;
	__u64 labels;
	struct ea_owner *owner;
};

static long close_udp_flow(struct bpf_map *map, struct ea_udp_flow_key *key,
			   struct ea_udp_flow *u, struct close_ctx *c)
{
	if (key->cookie != c->cookie)
		return 0;
	flow_end(&u->flow, c->owner, c->labels, EA_ORIGIN_SOCKET, 0);
	bpf_map_delete_elem(map, key);
	return 0;
}

/* End the flows of a socket its caller claimed (EA_SLOT_ENDING). */
static __always_inline void sock_flows_ended(struct ea_sock_state *s)
{
	struct close_ctx c = { .cookie = s->owner.cookie, .owner = &s->owner };

	c.labels = sock_labels(s);
	flow_end(&s->flow, &s->owner, c.labels, EA_ORIGIN_SOCKET, 0);
	if (s->multi_dest)
		bpf_for_each_map_elem(&udp_flows, close_udp_flow, &c, 0);
	/* last: a slot ended and swept may be freed by a connect() from here on */
	s->ended = 1;
}

/*
 * End every flow of a socket: its own and its per-destination ones. One
 * caller ends them, whichever claims them first: the datapath and the
 * agent's sweep (sweep_slots) may both come to a slot whose close went
 * unseen. True for that caller.
 */
static __always_inline bool sock_flows_end(struct ea_sock_state *s)
{
	if (s->ended || (__sync_fetch_and_or(&s->slot_marks, EA_SLOT_ENDING) & EA_SLOT_ENDING))
		return false;
	sock_flows_ended(s);
	return true;
}

/*
 * In enforce mode, stop a connect() or sendmsg() whose destination the
 * caller's labels (send_labels) may not reach: the flow is reported as
 * blocked and the call fails with EPERM. The caller is the current task.
 */
static __always_inline int enforce(struct ea_sock_state *s, struct ea_flow *f,
				   __u8 ip_proto, __u8 proto, __u64 labels)
{
	__u64 now;
	bool first;

	if (!cfg.enforce_labels || flow_verdict(f, labels) != EA_VERDICT_BLOCKED)
		return 1;
	now = bpf_ktime_get_boot_ns();
	f->ip_proto = ip_proto;
	f->proto = proto;
	first = !__sync_val_compare_and_swap(&f->start_ns, 0, now);	/* one CPU starts it */
	count_flow(f, EA_VERDICT_BLOCKED, first);
	f->verdict = EA_VERDICT_BLOCKED;
	f->flags |= EA_FLOW_RECORDED;
	f->last_emit_ns = now;
	emit(f, &s->owner, EA_EV_FLOW_START, labels, now, EA_ORIGIN_SOCKET, 0);
	return 0;
}

/* Labels of the current task: the default, its cgroup's, its taint. */
static __always_inline __u64 current_labels(void)
{
	__u64 labels = cfg.default_labels;
	__u32 idx;

	if (cfg.cgroup_labelled)
		labels |= current_cgroup_labels(&idx);
	if (cfg.path_labels)
		labels |= taint_of(bpf_get_current_pid_tgid() >> 32);
	return labels;
}

/*
 * Whether a TCP flow needs state of its own: to be reported, to be
 * stopped, or to be watched for taint that enforce mode would stop.
 */
static __always_inline bool tcp_needs_state(const struct ea_flow *f, __u64 labels)
{
	return flow_verdict(f, labels) != EA_VERDICT_ALLOWED || cfg.record_all ||
	       (cfg.enforce_labels && cfg.path_labels);
}

/* New state for a TCP flow at connect(), owned by the current task. */
static __always_inline struct ea_sock_state *tcp_state_in_process(struct bpf_sock_addr *ctx,
							       struct sock *ksk)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct ea_sock_state *s = tcp_state_new(ksk, cookie);

	if (s)
		owner_adopt(s, cookie);
	return s;
}

/* A TCP socket's IPv4 options, when they hold a source route. */
static __always_inline struct ip_options_rcu *sk_ipv4_route(const struct tcp_sock *tp)
{
	struct ip_options_rcu *o = tp->inet_conn.icsk_inet.inet_opt;

	return o && o->opt.srr ? o : NULL;
}

/* An IPv6 TCP socket's routing header (IPV6_RTHDR), when it has one. */
static __always_inline struct ipv6_rt_hdr *sk_ipv6_route(const struct tcp_sock *tp)
{
	struct ipv6_pinfo *np = tp->inet_conn.icsk_inet.pinet6;
	struct ipv6_txoptions *t6 = np ? np->opt : NULL;

	return t6 ? t6->srcrt : NULL;
}

/*
 * The source route a TCP socket's connect() will follow, from its options
 * (IP_OPTIONS LSRR/SSRR, IPV6_RTHDR): the addresses it visits before its
 * destination, for a walk over kernel memory. An IPv4 route's first hop is
 * kept apart (faddr, in *first); an IPv6 one's is its first address.
 * False for a socket without a route.
 */
static __always_inline bool sock_route(struct tcp_sock *tp, bool v4, struct route_walk *w,
				       __u32 *n, __u32 first[4])
{
	struct ipv6_rt_hdr *rt;

	if (v4) {
		struct ip_options_rcu *o = sk_ipv4_route(tp);
		__u8 srr, len = 0;

		if (!o || (srr = o->opt.srr) < sizeof(struct iphdr))
			return false;
		/* the option, its hops after faddr, the last slot for the destination */
		w->kaddr = (unsigned long)o->opt.__data + srr - sizeof(struct iphdr);
		if (bpf_probe_read_kernel(&len, 1, (void *)(w->kaddr + 1)) || len < 7)
			return false;
		w->off = 3;
		*n = (len - 7) / 4;
		ea_v4_mapped(first, o->opt.faddr);
		return true;
	}
	rt = sk_ipv6_route(tp);
	if (!rt)
		return false;
	w->kaddr = (unsigned long)rt;
	/* a segment routing header's segment 0 is the destination, its first hop the last */
	w->off = rt->type == 4 ? 8 + 16 : 8;
	*n = rt->type == 4 ? rt->segments_left : rt->hdrlen / 2;
	return *n && !route_addr(w, rt->type == 4 ? *n - 1 : 0, first);
}

/*
 * In enforce mode: the first address of a connecting socket's source route
 * that labels may not reach (its SYN would go there first), in hop.
 */
static __always_inline bool connect_route_blocked(struct sock *ksk, bool v4,
						  __u64 labels, __u32 hop[4])
{
	struct route_walk w = { .labels = labels, .bank = cfg.geo_bank & 1, .v4 = v4,
				.pick = ~0u };
	__u32 n = 0;

	if (!sock_route((struct tcp_sock *)ksk, v4, &w, &n, hop))
		return false;
	if (!dst_allowed(w.bank, hop, labels))
		return true;
	bpf_loop(n < 128 ? n : 128, route_hop, &w, 0);
	return w.pick != ~0u && !route_addr(&w, w.pick, hop);
}

/*
 * enforce() for a connect(): a refused TCP connection is over, so its
 * flows end at once and connecting again is a new flow (a datagram
 * socket's refused flow ends at its next connect(), own_flow_restart).
 */
static __always_inline int connect_enforce(struct ea_sock_state *s, struct ea_flow *f,
					   __u8 ip_proto, __u8 proto)
{
	if (enforce(s, f, ip_proto, proto, cfg.enforce_labels ? send_labels(s) : 0))
		return 1;
	if (ip_proto == IPPROTO_TCP)
		sock_flows_end(s);
	return 0;
}

/*
 * Claim a slot ended and swept, which only a sweep frees, while it still
 * carries tag; true for the one that claims it: the sweep, to free it, or
 * a connect() again on its socket, to restart it in place
 * (sock_state_restart clears the marks and draws a new tag).
 */
static __always_inline bool tcp_slot_claim_free(struct ea_sock_state *s, __u64 tag)
{
	__u64 marks = s->slot_marks;

	/* swept and not claimed, in the very value swapped: a restart clears both */
	return slot_tag(marks) == tag &&
	       (marks & (EA_SLOT_ENDING | EA_SLOT_SWEPT | EA_SLOT_FREEING)) ==
		       (EA_SLOT_ENDING | EA_SLOT_SWEPT) &&
	       __sync_val_compare_and_swap(&s->slot_marks, marks, marks | EA_SLOT_FREEING) == marks;
}

/*
 * A connect() refused for where its route goes first: the connection's
 * own flow is kept, and the flow of the hop is reported as blocked.
 */
static __always_inline int connect_refused_at(struct bpf_sock_addr *ctx, struct sock *ksk,
					      struct ea_sock_state *s, const struct ea_flow *fresh,
					      const __u32 hop[4])
{
	struct ea_pkt p = { .proto = IPPROTO_TCP, .route_n = 1 };
	struct ea_flow *f;

	if (!s) {
		s = tcp_state_in_process(ctx, ksk);
		if (!s)
			return 1;
		s->flow = *fresh;
	}
	__builtin_memcpy(p.dst, hop, sizeof(p.dst));
	p.dport = s->flow.dport;
	f = dest_flow(s, &p);
	if (!f)
		return 1;
	flow_setup(f, &p, SOCK_STREAM);
	return connect_enforce(s, f, IPPROTO_TCP, EA_PROTO_TCP);
}

/*
 * Classify in process context, so the first packet finds the verdict. A
 * TCP socket that counts by state gets storage here only when its flow
 * needs it.
 */
static __always_inline int connect_flow(struct bpf_sock_addr *ctx, bool v6,
					bool tcp_by_state, bool routes)
{
	bool tcp = tcp_by_state && ctx->protocol == IPPROTO_TCP;
	struct ea_flow *f, fresh = {};
	struct sock *ksk = NULL;
	struct ea_sock_state *s;

	if (tcp) {
		ksk = tcp_ksock(ctx->sk);	/* once: every step below reads it */
		if (!ksk)
			return 1;
		s = tcp_state_find(ksk);
		/*
		 * its flows ended by the sweep: the slot is restarted, unless
		 * freed this moment (its own slot, by its cookie: any tag)
		 */
		if (s && s->ended && (s->slot_marks & EA_SLOT_SWEPT) &&
		    !tcp_slot_claim_free(s, slot_tag(s->slot_marks))) {
			count(EA_CNT_TCP_SLOT_FREEING);
			s = NULL;	/* state in socket storage (tcp_state_new) */
		}
	} else {
		s = sock_state_in_process(ctx);
	}
	if (s && s->ended)
		sock_state_restart(s, bpf_get_socket_cookie(ctx));
	else if (s && s->flow.start_ns && s->flow.verdict == EA_VERDICT_BLOCKED)
		own_flow_restart(s);
	if (s) {
		f = &s->flow;
		if (f->start_ns && f->verdict != EA_VERDICT_BLOCKED)
			return 1;	/* a socket in use connects again: egress decides */
	} else if (tcp) {
		f = &fresh;
	} else {
		return 1;
	}
	sock_addr_dst(ctx, v6, f->dst);
	f->dport = bpf_ntohs((__u16)ctx->user_port);
	flow_classify(f);
	if (routes && tcp && cfg.enforce_labels) {
		__u64 stopped = current_labels() & cfg.enforce_labels;
		__u32 hop[4];

		if (stopped && connect_route_blocked(ksk, is_v4_mapped(f->dst), stopped, hop))
			return connect_refused_at(ctx, ksk, s, f, hop);
	}
	if (!s) {
		if (!tcp_needs_state(f, current_labels()))
			return 1;	/* allowed: aggregated when it closes */
		s = tcp_state_in_process(ctx, ksk);
		if (!s)
			return 1;
		s->flow = fresh;
		f = &s->flow;
	}
	return connect_enforce(s, f, (__u8)ctx->protocol,
			       proto_of((__u8)ctx->protocol, ctx->type));
}

static __always_inline int connect4_as(struct bpf_sock_addr *ctx, bool tcp_by_state)
{
	return connect_flow(ctx, false, tcp_by_state, false);
}

static __always_inline int connect6_as(struct bpf_sock_addr *ctx, bool tcp_by_state)
{
	return connect_flow(ctx, true, tcp_by_state, false);
}

TWO_BUILDS("cgroup/connect4", connect4, struct bpf_sock_addr, connect4_as)
TWO_BUILDS("cgroup/connect6", connect6, struct bpf_sock_addr, connect6_as)

/*
 * The build enforce mode loads in place of connect4/6: a connection's
 * source route is weighed at connect() too. The walk costs the verifier
 * more than the rest of the program (the agent's start took 1.6 s in
 * place of 0.7 with it in every build), so audit mode goes without it.
 */
SEC("cgroup/connect4")
int connect4_enforce(struct bpf_sock_addr *ctx)
{
	return connect_flow(ctx, false, true, true);
}

SEC("cgroup/connect6")
int connect6_enforce(struct bpf_sock_addr *ctx)
{
	return connect_flow(ctx, true, true, true);
}

/* Unconnected UDP: classify each destination in process context. */
static __always_inline int sendmsg_flow(struct bpf_sock_addr *ctx, bool v6)
{
	struct ea_sock_state *s = sock_state_in_process(ctx);
	struct ea_pkt p = {};
	struct ea_flow *f;
	__u64 labels = 0;

	if (!s)
		return 1;
	/* once: another sender's taint stays with the socket, in audit mode too */
	if (cfg.path_labels || cfg.enforce_labels)
		labels = send_labels(s);
	sock_addr_dst(ctx, v6, p.dst);
	p.dport = bpf_ntohs((__u16)ctx->user_port);
	p.proto = (__u8)ctx->protocol;
	f = dgram_flow(s, &p, ctx->type);
	if (!f)
		return 1;
	return enforce(s, f, p.proto, f->proto, labels);
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	return sendmsg_flow(ctx, false);
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	return sendmsg_flow(ctx, true);
}

extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

/* The watched cgroup's address, learned once and only ever compared. */
__u64 watched_cgroup_addr;

/*
 * Whether a socket belongs to the watched cgroup's subtree. Loads: one when
 * its cgroup is the watched one, two when it is not below it, three when
 * it is a descendant (its ancestor at the watched level is compared).
 */
static __always_inline bool sk_watched(const struct sock *sk)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup, *anc = NULL;
	__u32 level = cfg.watched_level;
	unsigned long at;

	if (!level)
		return true;	/* the root: every socket */
	if (!cg)
		return false;
	if (!watched_cgroup_addr) {
		struct cgroup *w = bpf_cgroup_from_id(cfg.watched_cgroup);

		if (!w)
			return false;
		watched_cgroup_addr = (unsigned long)w;
		bpf_cgroup_release(w);
	}
	if ((unsigned long)cg == watched_cgroup_addr)
		return true;
	if (cg->level <= (int)level)
		return false;
	at = (unsigned long)cg + bpf_core_field_offset(struct cgroup, ancestors) +
	     (level & 0xff) * sizeof(anc);
	bpf_probe_read_kernel(&anc, sizeof(anc), (void *)at);
	return (unsigned long)anc == watched_cgroup_addr;
}

/* A TCP flow's identity from its socket (tracing programs). */
static __always_inline void flow_from_ksock(struct ea_flow *f, const struct sock *sk)
{
	const struct sock_common *c = &sk->__sk_common;

	if (c->skc_family == AF_INET) {
		ea_v4_mapped(f->dst, c->skc_daddr);
		ea_v4_mapped(f->src, c->skc_rcv_saddr);
	} else {
		f->dst[0] = c->skc_v6_daddr.in6_u.u6_addr32[0];
		f->dst[1] = c->skc_v6_daddr.in6_u.u6_addr32[1];
		f->dst[2] = c->skc_v6_daddr.in6_u.u6_addr32[2];
		f->dst[3] = c->skc_v6_daddr.in6_u.u6_addr32[3];
		f->src[0] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[0];
		f->src[1] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[1];
		f->src[2] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[2];
		f->src[3] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[3];
		if (is_v4_mapped(f->dst))
			f->flags |= EA_FLOW_MAPPED;
	}
	f->dport = bpf_ntohs(c->skc_dport);
	f->sport = c->skc_num;
	f->ip_proto = IPPROTO_TCP;
	f->proto = EA_PROTO_TCP;
}

/*
 * A TCP flow's packets and IP-level bytes, from the socket's counters:
 * every segment sent (retransmissions too) with its IP and TCP headers
 * (options as negotiated), and the payload bytes sent.
 */
static __always_inline void tcp_counts(const struct tcp_sock *tp, struct ea_flow *f)
{
	__u32 segs, hdr;

	if (!tp)
		return;
	segs = tp->segs_out;
	hdr = (f->family == 4 ? 20 : 40) + tp->tcp_header_len;
	f->packets = segs;
	f->bytes = tp->bytes_sent + (__u64)segs * hdr;
}

/*
 * The port a TCP socket was given, when the kernel has released it (a
 * connection refused or never answered, at its close): inet_sport stays.
 */
static __always_inline __u16 tcp_bound_sport(const struct tcp_sock *tp)
{
	return tp ? bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) : 0;
}

/* Report a TCP flow that has state, with its counts as of now. */
static __always_inline void tcp_report(struct sock *sk, struct ea_sock_state *s, __u64 labels)
{
	if (s->flow.gen != cfg.policy_gen)
		flow_classify(&s->flow);	/* a reload since the last report */
	tcp_counts(tcp_sk_of(sk), &s->flow);
	flow_report(&s->flow, &s->owner, labels, true, EA_ORIGIN_SOCKET, 0);
	s->fold_tick = (__u32)bpf_jiffies64();
}

/*
 * A TCP flow's connection is over: its last counts, the start of one
 * never reported (never established, or never sent on), and its end.
 * tp: the socket as a tcp_sock (NULL: not one).
 */
static __always_inline void tcp_flows_close(struct sock *sk, const struct tcp_sock *tp,
					    struct ea_sock_state *s)
{
	if (!s->ended && s->flow.gen) {
		tcp_counts(tp, &s->flow);
		if (!s->flow.start_ns) {	/* never established or never sent */
			/* its ends as it tried them; the port is released by now */
			flow_from_ksock(&s->flow, sk);
			if (!s->flow.sport)
				s->flow.sport = tcp_bound_sport(tp);
			flow_report(&s->flow, &s->owner, sock_labels(s), false,
				    EA_ORIGIN_SOCKET, 0);
		}
	}
	sock_flows_end(s);
}

/*
 * A TCP flow whose connection closed without tcp_state (or tcp_close)
 * seeing it, the kernel having skipped that run: the socket's release,
 * which finds it closed, or its destruction ends it as the close would.
 */
static __always_inline void tcp_close_unseen(struct sock *sk, const struct tcp_sock *tp,
					     struct ea_sock_state *s)
{
	count(EA_CNT_TCP_CLOSE_UNSEEN);
	if (cfg.tcp_by_state)
		tcp_flows_close(sk, tp, s);
	else
		sock_flows_end(s);	/* counted per packet */
}

/*
 * A TCP socket's file is released. Released in TCP_CLOSE (or listening),
 * it gets no later state change: the flows of a connect() that failed (or
 * was refused) before its SYN end here, a refused route's hop among them,
 * and its slot is freed. Released while its connection is (as far as its
 * state says) open, its slot is marked, and freed here only when a close
 * under way on another CPU kept it for this release (tcp_slot_marked).
 * A socket without cookie has no slot; reading the cookie asks for none.
 */
static __always_inline void tcp_slot_release(struct bpf_sock *sk)
{
	struct sock *ksk = bpf_cast_to_kern_ctx(sk);
	__u64 cookie = ksock_cookie(ksk);
	struct ea_sock_state *s;

	if (!cookie || !(s = tcp_slot_of(cookie)))
		return;
	if (sk->state == TCP_CLOSE || sk->state == TCP_LISTEN) {
		/* it started, and its close went unseen (no helper casts here) */
		if (!s->ended && s->flow.start_ns)
			tcp_close_unseen(ksk, tcp_sk_rdonly(ksk), s);
		else
			sock_flows_end(s);
	} else if (!tcp_slot_marked(s, EA_SLOT_RELEASED, EA_SLOT_CLOSED))
		return;
	tcp_slot_free(s, cookie);
}

/* Its _pp build ends TCP flows too, where no TCP tracepoint loads. */
static __always_inline int sock_release_as(struct bpf_sock *sk, bool tcp_ends_at_close)
{
	struct ea_sock_state *s;

	if (tcp_ends_at_close && sk->protocol == IPPROTO_TCP) {
		/* TCP ends at TCP_CLOSE: its FIN goes out later */
		tcp_slot_release(sk);
		return 1;
	}
	s = bpf_sk_storage_get(&socks, sk, NULL, 0);
	if (s)
		sock_flows_end(s);
	return 1;
}

TWO_BUILDS("cgroup/sock_release", sock_release, struct bpf_sock, sock_release_as)

/* Give a flow state as the current task's (process context only). */
static __always_inline struct ea_sock_state *tcp_state_here(struct sock *sk,
							  const struct ea_flow *f)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct ea_sock_state *s = tcp_state_new(sk, cookie);

	if (!s)
		return NULL;
	owner_adopt(s, cookie);
	s->flow = *f;
	return s;
}

/*
 * A connection of the watched cgroup whose owner is not known here: an
 * accepted one (softirq context) or one older than the agent. It gets
 * state when its peer is not allowed, or when labels decide (its owner's,
 * learned at its next send); a socket that has state keeps its flow.
 */
static __always_inline void tcp_adopt(struct sock *sk)
{
	struct ea_flow f = {};
	struct ea_sock_state *s;

	if (!sk_watched(sk))
		return;
	flow_from_ksock(&f, sk);
	flow_classify(&f);
	if (!tcp_needs_state(&f, cfg.default_labels) && !cfg.cgroup_labelled &&
	    !cfg.path_labels)
		return;
	s = tcp_state_new(sk, bpf_get_socket_cookie(sk));
	if (!s)
		return;
	if (!s->flow.gen)
		s->flow = f;
}

/* An allowed TCP flow without state: aggregated once, when it closes. */
static __always_inline void tcp_closed_stateless(struct sock *sk)
{
	struct ea_flow f = {};

	flow_from_ksock(&f, sk);
	flow_classify(&f);
	tcp_counts(tcp_sk_of(sk), &f);
	aggregate(&f, EA_VERDICT_ALLOWED, 1, f.packets, f.bytes);
}

/* Whether a socket was given a source route (IP_OPTIONS, IPV6_RTHDR). */
static __always_inline bool sk_source_routed(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk_of(sk);

	return tp && (sk_ipv4_route(tp) ||
		      (sk->__sk_common.skc_family == AF_INET6 && sk_ipv6_route(tp)));
}

/*
 * A connection given a source route gets state as it sends its SYN, in
 * the connecting process's context: its segments may reach an address
 * that its owner's labels may not (tcp_routed counts them there).
 */
static __always_inline void tcp_route_start(struct sock *sk)
{
	struct ea_flow f = {};

	if (!sk_source_routed(sk) || !sk_watched(sk))
		return;
	flow_from_ksock(&f, sk);
	flow_classify(&f);
	tcp_state_here(sk, &f);
}

/*
 * A packet socket that asks to skip the qdisc (PACKET_QDISC_BYPASS) would
 * skip tc egress too, the backstop that sees packet sockets' frames: the
 * option's value becomes 0, so that the same frames still leave, through
 * the qdisc and tc.
 */
static __always_inline void keep_qdisc(struct bpf_sockopt *ctx)
{
	int *val = ctx->optval;

	if (ctx->optlen != sizeof(int) || (void *)(val + 1) > ctx->optval_end || !*val)
		return;
	*val = 0;
	count(EA_CNT_QDISC_BYPASS_KEPT);
}

/*
 * A connected TCP socket given a source route (IP_OPTIONS, IPV6_RTHDR):
 * it gets state now, owned by the process that sets the route, so that the
 * segments the route takes elsewhere are counted at the address that
 * decides, and stopped there in enforce mode (tcp_routed). One not yet
 * connected gets it as it sends its SYN (tcp_route_start).
 */
SEC("cgroup/setsockopt")
int route_opt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct ea_sock_state *s;

	/*
	 * An option longer than the page the program sees goes down in the
	 * caller's own buffer (optlen 0): as it is, its length would fail the
	 * call with EFAULT before 6.5 (later kernels warn). A shorter one keeps
	 * what programs before this one made of it.
	 */
	if (ctx->optlen > EA_SOCKOPT_PAGE)
		ctx->optlen = 0;
	if (ctx->level == SOL_PACKET && ctx->optname == PACKET_QDISC_BYPASS) {
		if (cfg.device_backstop)
			keep_qdisc(ctx);
		return 1;
	}
	if (!cfg.tcp_by_state)
		return 1;
	if (!((ctx->level == SOL_IP && ctx->optname == IP_OPTIONS) ||
	      (ctx->level == SOL_IPV6 && ctx->optname == IPV6_RTHDR)))
		return 1;
	if (!sk || sk->protocol != IPPROTO_TCP || sk->state == TCP_CLOSE ||
	    sk->state == TCP_LISTEN || sk->state == TCP_SYN_SENT)
		return 1;
	/*
	 * Socket storage, as no cookie (a slot's key) is to be had here: a
	 * flagged connection's slot, found first, keeps its flow; the cookie
	 * is learned at the first routed segment (tcp_routed).
	 */
	s = bpf_sk_storage_get(&socks, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s) {
		count(EA_CNT_NO_STORAGE);
		return 1;
	}
	if (s->flow.gen)
		return 1;
	flow_from_sock(&s->flow, sk);
	flow_classify(&s->flow);
	owner_adopt(s, 0);
	return 1;
}

/*
 * TCP flows start when the handshake completes (an accepted one at its
 * first send, when its owner is known) and end at TCP_CLOSE, after their
 * last segment.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, struct sock *sk, int oldstate, int newstate)
{
	struct ea_sock_state *s;

	if (newstate == TCP_SYN_SENT) {
		if (!tcp_state_find(sk))
			tcp_route_start(sk);
		return 0;
	}
	if (newstate == TCP_ESTABLISHED) {
		if (oldstate == TCP_SYN_RECV) {
			tcp_adopt(sk);	/* a new socket: no state yet */
			return 0;
		}
		s = tcp_state_find(sk);
		if (!s)
			return 0;
		flow_from_ksock(&s->flow, sk);
		if (s->owner_known)
			tcp_report(sk, s, sock_labels(s));
		return 0;
	}
	/*
	 * A closed socket closed again has nothing more to count; only its
	 * slot may be left. Only sockets of the watched cgroup have state:
	 * look there only.
	 */
	if (newstate != TCP_CLOSE || oldstate == TCP_LISTEN)
		return 0;
	if (oldstate == TCP_CLOSE) {
		tcp_closed_again(sk);
		return 0;
	}
	if (!sk_watched(sk))
		return 0;
	s = tcp_state_find(sk);
	if (!s) {
		tcp_closed_stateless(sk);
		return 0;
	}
	tcp_flows_close(sk, tcp_sk_of(sk), s);
	tcp_state_closed(sk, s);
	return 0;
}

/*
 * A TCP socket is destroyed: the last moment its flows can end. Its close
 * ended them (tcp_state, tcp_close) and freed its slot before this, unless
 * the kernel skipped that run: a softirq that closed this connection while
 * the same program ran on this CPU for another socket (the agent reports
 * the skip). Then they end here, and the slot is freed; so do the flows
 * kept in storage (every slot taken) of a connect() that failed before
 * its SYN, quietly. A socket that never asked for a cookie and has no
 * storage costs two loads.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tcp_destroyed, struct sock *sk)
{
	struct ea_sock_state *s = tcp_state_find(sk);

	if (!s)
		return 0;
	if (!s->ended) {
		const struct tcp_sock *tp = tcp_sk_of(sk);

		if (s->flow.start_ns || (tp && tp->segs_out))
			tcp_close_unseen(sk, tp, s);
		else	/* a connect() that failed before its SYN: nothing to report */
			sock_flows_end(s);
	}
	if (s->in_slot)
		tcp_slot_free(s, ksock_cookie(sk));
	return 0;
}

/*
 * TCP connections older than the agent, visited once when it starts (in
 * its network namespace): the established ones are adopted, so that they
 * are reported at their next send and counted from their first segment.
 */
SEC("iter/tcp")
int tcp_existing(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc || (skc->skc_state != TCP_ESTABLISHED && skc->skc_state != TCP_CLOSE_WAIT))
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		tcp_adopt((struct sock *)tp);
	return 0;
}

/*
 * The agent's sweep of tcp_socks, run in each network namespace that
 * holds slots: every socket found there that has a slot is marked alive
 * in this sweep. A slot left unmarked belongs to a socket that is gone.
 */
SEC("iter/tcp")
int tcp_alive(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ea_sock_state *s;
	__u64 cookie;

	if (!skc || !skc_state_full(skc->skc_state))
		return 0;
	cookie = skc->skc_cookie.counter;
	if (cookie && (s = tcp_slot_of(cookie)))
		s->alive_gen = sweep_gen;
	return 0;
}

/*
 * Network namespaces of the agent's sweep: which hold slots to judge, and
 * whether the sweep could iterate their sockets with tcp_alive.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EA_SWEEP_NETNS);
	__type(key, __u64);
	__type(value, struct ea_sweep_netns);
} sweep_netns SEC(".maps");

/*
 * A slot a sweep may judge: taken before the last sweep, its flow started
 * (its socket was in the kernel's tables; one whose connect() failed
 * before them is left to its file's release) and not ended (one ended
 * waits for its file's release, which an application may put off for long
 * after a reset).
 */
static __always_inline bool slot_old(const struct ea_sock_state *s, __u32 gen)
{
	return s->born_gen + 1 < gen && s->flow.start_ns && !s->ended;
}

/* A slot a sweep judges: old, its namespace iterated by this sweep. */
static __always_inline bool slot_judged(const struct ea_sock_state *s, __u32 gen)
{
	struct ea_sweep_netns *ns;

	if (!slot_old(s, gen))
		return false;
	ns = bpf_map_lookup_elem(&sweep_netns, &s->netns);
	return ns && ns->found_gen == gen;
}

/* Step COLLECT: an old slot's namespace is wanted by this sweep. */
static __always_inline void want_slot_netns(struct ea_sock_state *s, struct ea_sweep_args *args)
{
	struct ea_sweep_netns *ns, fresh = {};
	__u32 gen = sweep_gen;

	if (!slot_old(s, gen))
		return;
	ns = bpf_map_lookup_elem(&sweep_netns, &s->netns);
	if (ns && ns->wanted_gen == gen)
		return;
	if (ns) {
		ns->wanted_gen = gen;
	} else {
		fresh.wanted_gen = gen;
		if (bpf_map_update_elem(&sweep_netns, &s->netns, &fresh, BPF_NOEXIST)) {
			args->netns_full++;	/* its slots are not judged by this sweep */
			return;
		}
	}
	args->namespaces++;
}

/*
 * Claim the end of a slot's flows for the sweep, marking it swept, while
 * it still carries tag; false when the datapath claimed it first, or gave
 * the slot to another flow. A close or a release marking the slot
 * meanwhile (EA_SLOT_CLOSED, EA_SLOT_RELEASED) is tried again.
 */
static __always_inline bool sweep_claim_end(struct ea_sock_state *s, __u64 tag)
{
	__u64 marks;

	for (int i = 0; i < 4; i++) {
		marks = s->slot_marks;
		if (slot_tag(marks) != tag || (marks & EA_SLOT_ENDING))
			return false;
		if (__sync_val_compare_and_swap(&s->slot_marks, marks,
						marks | EA_SLOT_ENDING | EA_SLOT_SWEPT) == marks)
			return true;
	}
	return false;
}

/*
 * One slot of the sweep (sweep_slots). A judged slot whose socket this
 * sweep did not find has missed a sweep; at its second miss in a row its
 * flows end, with the counts of their last report, as its close would
 * have ended them, unless the datapath claimed their end first. The slot
 * is freed by the next sweep, which it waits for whatever comes (a file
 * released, a socket destroyed: they leave it), so that it is never
 * freed, and taken by another socket, while this sweep ends it; a
 * connect() again on its socket claims its freeing instead.
 */
static __always_inline void sweep_slot(__u64 *key, __u64 cookie, struct ea_sock_state *s,
				       struct ea_sweep_args *args)
{
	/* read first: a slot given to another flow meanwhile fails the claims below */
	__u64 tag = slot_tag(s->slot_marks);
	__u32 gen = sweep_gen;

	if (s->ended) {
		if (tcp_slot_claim_free(s, tag) &&
		    __sync_val_compare_and_swap(key, cookie, 0) == cookie)
			args->freed++;
		return;
	}
	if (!slot_judged(s, gen))
		return;
	if (s->alive_gen == gen) {
		s->sweep_missed = 0;
		return;
	}
	if (slot_tag(s->slot_marks) != tag)
		return;	/* another flow's now: its count is its own */
	if (++s->sweep_missed < 2)
		return;
	if (!sweep_claim_end(s, tag))
		return;	/* the datapath ends them, or the slot is another flow's */
	sock_flows_ended(s);
	args->swept++;
}

/* One slot of tcp_socks, its cookie from its bucket, in the step under way. */
static long sweep_slot_at(struct bpf_map *map, __u32 *idx, struct ea_sock_state *s,
			  struct ea_sweep_args *args)
{
	__u32 b = *idx & (tcp_slot_buckets - 1);
	struct ea_slot_bucket *k = bpf_map_lookup_elem(&tcp_sock_keys, &b);
	__u64 *key, cookie;

	if (!k)
		return 0;
	key = &k->cookie[(*idx / tcp_slot_buckets) & (EA_SLOT_BUCKET - 1)];
	cookie = *key;
	if (!cookie)
		return 0;
	if (args->step == EA_SWEEP_COLLECT)
		want_slot_netns(s, args);
	else
		sweep_slot(key, cookie, s, args);
	return 0;
}

/*
 * The agent's sweep of tcp_socks (agent_sweep.c), in two steps: the
 * namespaces to look in, then, after tcp_alive ran in them, the judgement.
 */
SEC("syscall")
int sweep_slots(struct ea_sweep_args *args)
{
	struct ea_sweep_args done = { .step = args->step };

	if (done.step == EA_SWEEP_COLLECT || done.step == EA_SWEEP_JUDGE)
		bpf_for_each_map_elem(&tcp_socks, sweep_slot_at, &done, 0);
	*args = done;
	return 0;
}

/* TCP counted per packet ([agent] tcp_count = packet): the end of flows only. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_close, struct sock *sk, int oldstate, int newstate)
{
	struct ea_sock_state *s;

	if (newstate != TCP_CLOSE)
		return 0;
	s = bpf_sk_storage_get(&socks, sk, NULL, 0);
	if (s)
		sock_flows_end(s);
	return 0;
}

/*
 * Whether a send may give state to a TCP flow that connect() left without:
 * only after a reload (the policy may flag its destination now) or, with
 * path labels, when the sender is tainted. by_sender: look the sender's
 * taint up; otherwise answer for any sender.
 */
static __always_inline bool send_may_need_state(bool by_sender)
{
	if (cfg.policy_gen > 1)
		return true;
	if (!cfg.path_labels)
		return false;
	return !by_sender || taint_of(bpf_get_current_pid_tgid() >> 32);
}

/*
 * A send on a TCP socket without state, when something may have changed
 * since its connect(): its sender took on taint, or a reload changed the
 * policy (policy_gen counts the configurations loaded). The flow gets state
 * (and is reported) if its labels may not go to its destination now.
 */
static __always_inline struct ea_sock_state *tcp_send_recheck(struct sock *sk)
{
	struct ea_flow f = {};

	if (!send_may_need_state(true))
		return NULL;
	/* a send on a closed socket (which fails) starts nothing */
	if (sk->__sk_common.skc_state == TCP_CLOSE || !sk_watched(sk))
		return NULL;
	flow_from_ksock(&f, sk);
	flow_classify(&f);
	if (!tcp_needs_state(&f, current_labels()))
		return NULL;
	return tcp_state_here(sk, &f);
}

/*
 * Whether a send on a flow with state has anything to report: the flow's
 * start, a reload, a verdict the sender's labels make worse, or a clock
 * tick since its last report, which folded the counts and looked at the
 * update interval. Other sends cost these few comparisons (the labels
 * are cached in the socket; a bulk sender sends dozens of times a tick).
 */
static __always_inline bool tcp_send_due(struct ea_sock_state *s, __u64 labels)
{
	return !s->flow.start_ns || s->flow.gen != cfg.policy_gen ||
	       flow_verdict(&s->flow, labels) > s->flow.verdict ||
	       s->fold_tick != (__u32)bpf_jiffies64();
}

/*
 * The last send each CPU found nothing (more) to report for. A bulk sender
 * sends dozens of times a clock tick, and the full look at a send reads
 * cold lines (the socket's storage pointer, its cache, the state) that a
 * 64 KiB copy has just pushed out. A send of the same socket and 4-tuple
 * (a reused socket does not get the tuple back within a tick), by the same
 * process, in the same tick, with no reload and no taint change since,
 * has nothing to report either: every condition of tcp_send_due and
 * tcp_send_recheck is in the key.
 */
struct send_memo {
	__u64 sk;
	__u64 addrs;
	__u32 ports;
	__u32 tgid;
	__u32 tick;
	__u32 policy_gen;
	__u32 taint_gen;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct send_memo);
} send_memos SEC(".maps");

static __always_inline void send_memo_key(struct send_memo *k, struct sock *sk)
{
	k->sk = (unsigned long)sk;
	k->addrs = sk->__sk_common.skc_addrpair;
	k->ports = sk->__sk_common.skc_portpair;
	k->tgid = bpf_get_current_pid_tgid() >> 32;
	k->tick = (__u32)bpf_jiffies64();
	k->policy_gen = cfg.policy_gen;
	k->taint_gen = cfg.taint_gen;
	k->pad = 0;
}

static __always_inline bool send_memo_same(const struct send_memo *a,
					   const struct send_memo *b)
{
	return a->sk == b->sk && a->addrs == b->addrs && a->ports == b->ports &&
	       a->tgid == b->tgid && a->tick == b->tick &&
	       a->policy_gen == b->policy_gen && a->taint_gen == b->taint_gen;
}

/* The full look at a send (see tcp_send). */
static __always_inline void tcp_send_check(struct sock *sk)
{
	struct ea_sock_state *s;
	__u64 labels;

	s = tcp_state_find(sk);
	if (!s && !(s = tcp_send_recheck(sk)))
		return;
	if (s->ended)
		return;	/* its connection closed: nothing more to count */
	if (!s->owner_known)
		owner_adopt(s, bpf_get_socket_cookie(sk));
	labels = send_labels(s);
	if (tcp_send_due(s, labels))
		tcp_report(sk, s, labels);
}

/*
 * A datagram socket sent on (connected: no sendmsg hook runs) by another
 * process than its owner: it keeps the sender's taint from this send on.
 */
static __always_inline void dgram_send_check(struct sock *sk)
{
	struct ea_sock_state *s;

	if (!cfg.path_labels || !sk->sk_bpf_storage)
		return;
	s = bpf_sk_storage_get(&socks, sk, NULL, 0);
	if (s && s->owner_known)
		send_labels(s);
}

/*
 * Set by the agent where 32-bit calls are watched and syscall_enter is not
 * loaded (it is where a path label enforces, or TCP is counted per
 * packet): a 32-bit move then taints late, once done (syscall_exit), and a
 * 32-bit sendfile, whose bytes reach the socket during the call, at its
 * sends, so that the check of this send sees the label.
 */
const volatile bool moves32_late;

#define PF_IO_WORKER	0x00000010
#define PF_KTHREAD	0x00200000

/*
 * A send made inside a 32-bit move: taint by its input. Only in a task
 * that makes system calls: an io_uring worker keeps the registers of the
 * task it was made from, a kernel thread has none; looked at only for a
 * send inside such a call.
 */
static __always_inline void taint_by_move32(void)
{
#ifdef __TARGET_ARCH_x86
	struct task_struct *task;
	struct pt_regs *regs;
	int fd;

	if (!moves32_late || !cfg.path_labels)
		return;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	fd = moved_fd32(regs, regs->orig_ax);
	if (fd >= 0 && !(task->flags & (PF_KTHREAD | PF_IO_WORKER)))
		taint_from_fd(fd, false);
#endif
}

/*
 * Every send on a TCP socket, in the sender's context: an accepted flow
 * learns its owner, a flow learns of taint its sender took on after
 * connect(), and long-lived flows are updated. It fires once the send is
 * done: a datagram socket learns another sender's taint for its next
 * datagrams.
 */
SEC("tp_btf/sock_send_length")
int BPF_PROG(tcp_send, struct sock *sk, int ret, int flags)
{
	struct send_memo key, *memo;
	__u32 zero = 0;

	taint_by_move32();
	if (sk->sk_protocol != IPPROTO_TCP) {
		dgram_send_check(sk);
		return 0;
	}
	/* no state, and nothing since connect() could give it some */
	if (!ksock_cookie(sk) && !sk->sk_bpf_storage && !send_may_need_state(false))
		return 0;
	send_memo_key(&key, sk);
	memo = bpf_map_lookup_elem(&send_memos, &zero);
	if (memo && send_memo_same(memo, &key))
		return 0;
	tcp_send_check(sk);
	if (memo)
		*memo = key;	/* after the check: what it left is not due */
	return 0;
}

/* The cgroup the socket hooks are attached to (set by the agent). */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} watched_cgroup SEC(".maps");

/*
 * Device-level backstop: frames that no socket hook sees, i.e. without a
 * local socket (forwarded or kernel-made), from a packet socket, or from a
 * socket outside the watched cgroup.
 */
SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct ea_dev_flow_key key = {};
	struct ea_flow *f, fresh = {};
	struct ea_pkt p = {};
	__u8 origin = EA_ORIGIN_DEVICE;
	__u64 segs;

	if (skb->sk) {
		const struct sock *ks = skb_full_ksock(skb);

		if (!ks)
			return TC_ACT_OK;	/* time-wait and request sockets */
		if (ks->__sk_common.skc_family == AF_PACKET)
			origin = EA_ORIGIN_PACKET;
		else if (bpf_skb_under_cgroup(skb, &watched_cgroup, 0) == 1)
			return TC_ACT_OK;	/* a socket hook's flow */
	}
	switch (ea_parse_ip(skb, ETH_HLEN, &p)) {
	case EA_PARSE_OK:
		break;
	case EA_PARSE_MALFORMED:
		count(EA_CNT_BAD_PACKET);
		return TC_ACT_OK;
	default:
		return TC_ACT_OK;	/* not IP: ARP and the like */
	}
	route_pick(skb, &p, cfg.default_labels);
	__builtin_memcpy(key.src, p.src, sizeof(key.src));
	__builtin_memcpy(key.dst, p.dst, sizeof(key.dst));
	key.sport = p.sport;
	key.dport = p.dport;
	key.ifindex = skb->ifindex;
	key.ip_proto = p.proto;
	key.origin = origin;
	f = bpf_map_lookup_elem(&dev_flows, &key);
	if (!f) {
		__builtin_memcpy(fresh.src, p.src, sizeof(fresh.src));
		__builtin_memcpy(fresh.dst, p.dst, sizeof(fresh.dst));
		fresh.sport = p.sport;
		fresh.dport = p.dport;
		fresh.ip_proto = p.proto;
		fresh.proto = origin == EA_ORIGIN_PACKET ? EA_PROTO_PACKET :
							  proto_of(p.proto, 0);
		flow_classify(&fresh);
		bpf_map_update_elem(&dev_flows, &key, &fresh, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&dev_flows, &key);
		if (!f) {
			count(EA_CNT_DEV_FLOWS_FULL);
			return TC_ACT_OK;
		}
	}
	f->last_ns = bpf_ktime_get_boot_ns();
	if (f->gen != cfg.policy_gen)
		flow_classify(f);	/* a reload since its last packet (folded each one) */
	mark_routed(f, &p);
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	flow_account(f, NULL, cfg.default_labels, segs,
		     ip_bytes(skb, p.ip_off, segs, f->ip_proto), origin, skb->ifindex, 1);
	return TC_ACT_OK;
}

/*
 * Taint from files: a process that opens a file of a labelled tree for
 * reading, or moves bytes out of one with sendfile, splice or
 * copy_file_range, carries the tree's labels from then on. A system call
 * whose result is a descriptor of the file it opened taints by that.
 *
 * The per-call tracepoints below see 64-bit calls only. Where the kernel
 * makes 32-bit system calls too, which fire none of them, syscall_exit
 * (further below) sees the end of every call of the host and stands in
 * for those of opens and receives; those of moves stay, and 32-bit moves
 * are taken as syscall_exit's comment says.
 *
 * A call reads its descriptor arguments as int: their registers' upper
 * bits, which a caller may set, are dropped here as the kernel drops them.
 */
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define SCM_RIGHTS	1
#define SOL_SOCKET	1
#define AF_UNIX		1
#define EA_CMSG_MAX	4	/* control messages of one message looked at */
#define SCM_MAX_FD	253	/* descriptors one SCM_RIGHTS message can carry */
#define UIO_MAXIOV	1024	/* messages one recvmmsg can receive */

/* Whether a file (read-only cast) is a unix socket. */
static __always_inline bool file_is_unix_socket(struct file *file)
{
	struct socket *sock;

	if (!file || (file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return false;
	sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	return sock->sk && sock->sk->__sk_common.skc_family == AF_UNIX;
}

/* Whether the current task's descriptor fd is a unix socket. */
static __always_inline bool fd_is_unix_socket(long fd)
{
	return file_is_unix_socket(current_file(fd));
}

struct rights_walk {
	const void *data;	/* the caller's array of descriptors */
	__u64 n;
};

static long taint_by_right(__u64 i, struct rights_walk *w)
{
	int fd;

	if (i >= w->n)
		return 1;
	if (!bpf_probe_read_user(&fd, sizeof(fd), w->data + i * sizeof(int)))
		taint_from_fd(fd, true);
	return 0;
}

/* Taint by the descriptors of one SCM_RIGHTS message (its data at data). */
static __always_inline void taint_from_rights(const void *data, __u64 n)
{
	struct rights_walk w = { .data = data, .n = n };

	bpf_loop(n < SCM_MAX_FD ? n : SCM_MAX_FD, taint_by_right, &w, 0);
}

/*
 * Taint by the descriptors that a received message's control data (len
 * bytes at control, as the call left them) carried in its SCM_RIGHTS
 * control messages; compat: in the 32-bit forms, with 32-bit lengths and
 * aligned to 4 bytes.
 */
static __always_inline void taint_from_control(const void *control, __u64 len, const bool compat)
{
	const __u64 hdr = compat ? sizeof(struct compat_cmsghdr) : sizeof(struct cmsghdr);
	const __u64 align = compat ? sizeof(__u32) : sizeof(long);
	__u64 off = 0, cmsg_len;
	int i, level, type;

	for (i = 0; i < EA_CMSG_MAX; i++) {
		union {
			struct cmsghdr h;
			struct compat_cmsghdr c;
		} u;

		if (off + hdr > len || bpf_probe_read_user(&u, hdr, control + off))
			return;
		cmsg_len = compat ? u.c.cmsg_len : u.h.cmsg_len;
		level = compat ? u.c.cmsg_level : u.h.cmsg_level;
		type = compat ? u.c.cmsg_type : u.h.cmsg_type;
		if (cmsg_len < hdr || off + cmsg_len > len)
			return;
		if (level == SOL_SOCKET && type == SCM_RIGHTS)
			taint_from_rights(control + off + hdr, (cmsg_len - hdr) / sizeof(int));
		off += (cmsg_len + align - 1) & ~(align - 1);
	}
}

/*
 * Taint by the descriptors a received message carried: the caller's
 * header at umsg, as the call left it (msg_controllen the control data it
 * wrote).
 */
static __always_inline void taint_from_msg(const struct user_msghdr *umsg)
{
	struct user_msghdr m;

	if (!bpf_probe_read_user(&m, sizeof(m), umsg) && m.msg_control)
		taint_from_control(m.msg_control, m.msg_controllen, false);
}

/* The same through a 32-bit header (a 32-bit call's or ring's). */
static __always_inline void taint_from_compat_msg(const struct compat_msghdr *umsg)
{
	struct compat_msghdr m;

	if (!bpf_probe_read_user(&m, sizeof(m), umsg) && m.msg_control)
		taint_from_control((const void *)(unsigned long)m.msg_control,
				   m.msg_controllen, true);
}

/* A call whose result is the descriptor of a file it opened. */
static __always_inline void taint_by_opened(long ret)
{
	if (ret >= 0)
		taint_from_fd(ret, true);
}

/*
 * A descriptor received over a unix socket (SCM_RIGHTS) is a file another
 * process opened: the receiver is tainted by it as by an open. The call's
 * result names none; its arguments lead to the control data it wrote into
 * the caller's memory.
 */
static __always_inline void taint_by_recvmsg(int fd, unsigned long msg, bool compat)
{
	if (!fd_is_unix_socket(fd))
		return;
	if (compat)
		taint_from_compat_msg((const struct compat_msghdr *)msg);
	else
		taint_from_msg((const struct user_msghdr *)msg);
}

struct mmsg_walk {
	unsigned long vec;	/* the caller's array of headers */
	bool compat;		/* of struct compat_mmsghdr */
};

static long taint_by_mmsg(__u64 i, struct mmsg_walk *w)
{
	if (w->compat)
		taint_from_compat_msg((const struct compat_msghdr *)
				      (w->vec + i * sizeof(struct compat_mmsghdr)));
	else
		taint_from_msg((const struct user_msghdr *)(w->vec + i * sizeof(struct mmsghdr)));
	return 0;
}

/* recvmmsg: n messages received into the headers at vec. */
static __always_inline void taint_by_recvmmsg(int fd, unsigned long vec, long n, bool compat)
{
	struct mmsg_walk w = { .vec = vec, .compat = compat };

	if (n > 0 && fd_is_unix_socket(fd))
		bpf_loop(n < UIO_MAXIOV ? n : UIO_MAXIOV, taint_by_mmsg, &w, 0);
}

#define TAINT_BY_RESULT(name, tracepoint)				\
	SEC(tracepoint) int name(struct trace_event_raw_sys_exit *ctx)	\
	{								\
		if (cfg.path_labels)					\
			taint_by_opened(ctx->ret);			\
		return 0;						\
	}

TAINT_BY_RESULT(openat_exit, "tp/syscalls/sys_exit_openat")
TAINT_BY_RESULT(openat2_exit, "tp/syscalls/sys_exit_openat2")
TAINT_BY_RESULT(open_exit, "tp/syscalls/sys_exit_open")
/* descriptors of files opened elsewhere: by handle, or another process's */
TAINT_BY_RESULT(open_by_handle_exit, "tp/syscalls/sys_exit_open_by_handle_at")
TAINT_BY_RESULT(pidfd_getfd_exit, "tp/syscalls/sys_exit_pidfd_getfd")

SEC("tp/syscalls/sys_exit_recvmsg")
int recvmsg_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (!cfg.path_labels || ctx->ret < 0)
		return 0;
	regs = call_regs();
	taint_by_recvmsg((int)PT_REGS_PARM1(regs), PT_REGS_PARM2(regs), false);
	return 0;
}

SEC("tp/syscalls/sys_exit_recvmmsg")
int recvmmsg_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (!cfg.path_labels || ctx->ret <= 0)
		return 0;
	regs = call_regs();
	taint_by_recvmmsg((int)PT_REGS_PARM1(regs), PT_REGS_PARM2(regs), ctx->ret, false);
	return 0;
}

/* sendfile, splice and copy_file_range: taint by their input, before it moves */
#define TAINT_BY_INPUT(name, tracepoint, arg)				\
	SEC(tracepoint) int name(struct trace_event_raw_sys_enter *ctx)	\
	{								\
		if (cfg.path_labels)					\
			taint_from_fd((int)ctx->args[arg], false);	\
		return 0;						\
	}

TAINT_BY_INPUT(sendfile_enter, "tp/syscalls/sys_enter_sendfile64", 1)
TAINT_BY_INPUT(splice_enter, "tp/syscalls/sys_enter_splice", 0)
TAINT_BY_INPUT(copy_file_range_enter, "tp/syscalls/sys_enter_copy_file_range", 0)

/*
 * Every system call: the raw sys_enter and sys_exit tracepoints, which
 * fire for 32-bit calls (a 32-bit program, or int 0x80 from a 64-bit one)
 * as for 64-bit ones. syscall_exit taints as the per-call programs above
 * do, by the call's number and registers; a 32-bit call (TS_COMPAT, set by
 * the kernel for its length) by the 32-bit numbers, its arguments in ebx,
 * ecx, ... An x32 call (a number with bit 30 set) matches none. Elsewhere
 * than on x86 they do nothing: the agent attaches them only where 32-bit
 * calls are made.
 *
 * The per-call sys_enter programs (sendfile_enter, ...) still take a
 * 64-bit move before its bytes go. Where a path label enforces,
 * syscall_enter takes a 32-bit one before the call, so that its bytes are
 * stopped (and where TCP is counted per packet, which loads no tcp_send);
 * only those pay for a program at every call's entry. Elsewhere
 * (moves32_late) syscall_exit takes it once done and, for sendfile, whose
 * bytes go to a socket during the call, tcp_send at each of its sends.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter, struct pt_regs *regs, long nr)
{
#ifdef __TARGET_ARCH_x86
	int fd;

	if (!cfg.path_labels)
		return 0;
	fd = moved_fd32(regs, nr);
	if (fd >= 0)
		taint_from_fd(fd, false);
#endif
	return 0;
}

/*
 * A 32-bit recvmsg or recvmmsg, made directly or through socketcall (its
 * call in ebx, its arguments an array of 32-bit words at ecx): the
 * descriptors it received, read through 32-bit headers.
 */
static __always_inline void taint_by_ia32_receive(const struct pt_regs *regs, long nr, long ret)
{
	__u32 fd = (__u32)regs->bx, msg = (__u32)regs->cx;

	if (nr == IA32_SOCKETCALL) {
		__u32 call = fd, args[2];	/* socketcall(call, args) */

		if (call != SYS_RECVMSG && call != SYS_RECVMMSG)
			return;
		if (bpf_probe_read_user(args, sizeof(args), (const void *)(unsigned long)msg))
			return;
		nr = call == SYS_RECVMSG ? IA32_RECVMSG : IA32_RECVMMSG;
		fd = args[0];
		msg = args[1];
	}
	if (nr == IA32_RECVMSG)
		taint_by_recvmsg((int)fd, msg, true);
	else if (nr == IA32_RECVMMSG || nr == IA32_RECVMMSG_TIME64)
		taint_by_recvmmsg((int)fd, msg, ret, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
#ifdef __TARGET_ARCH_x86
	long nr = regs->orig_ax;
	int fd;

	if (!cfg.path_labels || ret < 0)
		return 0;
	/* by number first, as moved_fd32: the task's status only for these */
	switch (nr) {
	case X64_OPENAT2:	/* = IA32_OPENAT2 */
	case X64_PIDFD_GETFD:	/* = IA32_PIDFD_GETFD */
		taint_by_opened(ret);
		break;
	case X64_OPEN:
	case X64_OPENAT:
	case X64_OPEN_BY_HANDLE_AT:
		if (!in_32bit_syscall())
			taint_by_opened(ret);
		break;
	case IA32_OPEN:
	case IA32_OPENAT:
	case IA32_OPEN_BY_HANDLE_AT:
		if (in_32bit_syscall())
			taint_by_opened(ret);
		break;
	case X64_RECVMSG:
		if (!in_32bit_syscall())
			taint_by_recvmsg((int)regs->di, regs->si, false);
		break;
	case X64_RECVMMSG:
		if (!in_32bit_syscall())
			taint_by_recvmmsg((int)regs->di, regs->si, ret, false);
		break;
	case IA32_SOCKETCALL:
	case IA32_RECVMSG:
	case IA32_RECVMMSG:
	case IA32_RECVMMSG_TIME64:
		if (in_32bit_syscall())
			taint_by_ia32_receive(regs, nr, ret);
		break;
	default:	/* a 32-bit move, done, unless syscall_enter took it */
		fd = moves32_late ? moved_fd32(regs, nr) : -1;
		if (fd >= 0)
			taint_from_fd(fd, false);
		break;
	}
#endif
	return 0;
}

/* Whether op is io_uring's opcode name (false where this kernel has none). */
#define URING_OP_IS(op, name)						\
	(bpf_core_enum_value_exists(enum io_uring_op, name) &&		\
	 (op) == bpf_core_enum_value(enum io_uring_op, name))
#define SPLICE_F_FD_IN_FIXED	(1U << 31)

#define IORING_RECV_MULTISHOT	(1U << 1)	/* include/uapi/linux/io_uring.h */

/*
 * An IORING_OP_RECVMSG done on a unix socket: its descriptors taint as a
 * recvmsg's do, read through the caller's header (a 32-bit one in a
 * 32-bit program's ring), which the kernel updated as recvmsg would. A
 * multishot receive writes into a buffer the ring provides instead, and
 * completes each message without the request (io_fill_cqe_aux): not read.
 */
static __always_inline void uring_recvmsg_done(struct io_ring_ctx *ring, struct io_kiocb *r)
{
	struct io_sr_msg *sr = bpf_rdonly_cast(&r->cmd, bpf_core_type_id_kernel(struct io_sr_msg));

	if ((sr->flags & IORING_RECV_MULTISHOT) ||
	    !file_is_unix_socket(bpf_rdonly_cast(r->file, bpf_core_type_id_kernel(struct file))))
		return;
	if (BPF_CORE_READ_BITFIELD(ring, compat))
		taint_from_compat_msg(sr->umsg_compat);
	else
		taint_from_msg(sr->umsg);
}

/*
 * io_uring opens and reads run no syscall tracepoint: taint at their
 * completion, in the submitting process (or its io-wq/SQPOLL threads, which
 * share its files and tgid). Opens into direct descriptors are not seen;
 * reads through them are, by the request's file, and so is a direct
 * descriptor installed as a real one. A splice or tee taints by its input
 * when that is a real descriptor, a receive by the descriptors it brought.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	struct io_kiocb *r;
	__u8 op;

	if (!cfg.path_labels || cqe->res < 0)
		return 0;
	r = bpf_rdonly_cast(req, bpf_core_type_id_kernel(struct io_kiocb));
	op = r->opcode;
	if (URING_OP_IS(op, IORING_OP_OPENAT) || URING_OP_IS(op, IORING_OP_OPENAT2)) {
		struct io_open *o = bpf_rdonly_cast(&r->cmd, bpf_core_type_id_kernel(struct io_open));

		if (!o->file_slot)	/* a real fd, not a direct slot */
			taint_from_fd(cqe->res, true);
	} else if (URING_OP_IS(op, IORING_OP_FIXED_FD_INSTALL)) {
		taint_from_fd(cqe->res, true);
	} else if (URING_OP_IS(op, IORING_OP_READ) || URING_OP_IS(op, IORING_OP_READV) ||
		   URING_OP_IS(op, IORING_OP_READ_FIXED) ||
		   URING_OP_IS(op, IORING_OP_READV_FIXED) ||
		   URING_OP_IS(op, IORING_OP_READ_MULTISHOT)) {
		taint_from_file(r->file, false);
	} else if (URING_OP_IS(op, IORING_OP_SPLICE) || URING_OP_IS(op, IORING_OP_TEE)) {
		struct io_splice *sp = bpf_rdonly_cast(&r->cmd,
						       bpf_core_type_id_kernel(struct io_splice));

		if (!(sp->flags & SPLICE_F_FD_IN_FIXED))
			taint_from_fd(sp->splice_fd_in, false);
	} else if (URING_OP_IS(op, IORING_OP_RECVMSG)) {
		uring_recvmsg_done(ring, r);
	}
	return 0;
}

/*
 * Files older than the agent, visited once when it starts: a process that
 * holds a labelled file open for reading, or mapped readable, carries its
 * labels as if it had opened it now.
 */
#define VM_READ		0x1

SEC("iter/task_file")
int taint_open_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;

	if (cfg.path_labels && task && ctx->file)
		taint_task(task->tgid, ctx->file, true);
	return 0;
}

SEC("iter/task_vma")
int taint_mapped_files(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;

	if (cfg.path_labels && task && vma && vma->vm_file && (vma->vm_flags & VM_READ))
		taint_task(task->tgid, vma->vm_file, false);
	return 0;
}

/*
 * A labelled cgroup made again, as a service manager does at each restart:
 * its new id takes the labels of its path before any process can join it,
 * so that the restarted service's flows carry them from the first. The
 * cgroup2 hierarchy only (hierarchy 0; v1 hierarchies repeat its paths).
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_made, struct cgroup *cgrp, const char *path)
{
	struct ea_cgroup_path key = {};
	struct ea_cgroup_label *l;
	__u64 id;

	/* a path of sizeof - 1 bytes or more, maybe cut, is never a key (add_cgroup_path) */
	if (cgrp->root->hierarchy_id ||
	    bpf_probe_read_kernel_str(key.path, sizeof(key.path), path) >= (long)sizeof(key.path))
		return 0;
	l = bpf_map_lookup_elem(&cgroup_paths, &key);
	if (!l)
		return 0;
	id = cgrp->kn->id;
	count(bpf_map_update_elem(&cgroup_labels, &id, l, BPF_ANY) ?
	      EA_CNT_CGROUP_LABELS_FULL : EA_CNT_CGROUP_RELABELLED);
	return 0;
}

/*
 * A cgroup released, its last reference gone (no task, and no socket it
 * made, which may yet send and be labelled by its cgroup): its id, never
 * given again, leaves cgroup_labels.
 */
SEC("tp_btf/cgroup_release")
int BPF_PROG(cgroup_released, struct cgroup *cgrp, const char *path)
{
	__u64 id = cgrp->kn->id;

	if (!cgrp->root->hierarchy_id)
		bpf_map_delete_elem(&cgroup_labels, &id);
	return 0;
}

/* Children inherit their parent's taint; exec keeps it (same tgid). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct ea_taint *t;
	long err;

	if (!cfg.path_labels || ptgid == ctgid)
		return 0;
	t = bpf_map_lookup_elem(&taint, &ptgid);
	if (!t || t->exited)
		return 0;
	err = bpf_map_update_elem(&taint, &ctgid, t, BPF_ANY);
	if (!err)
		__sync_fetch_and_add(&cfg.taint_gen, 1);
	else if (err == -E2BIG)
		count(EA_CNT_TAINT_FULL);
	return 0;
}

/*
 * Taint ends with the process: at its last thread's exit no flow takes it
 * on any more; the entry (the evidence of flows already reported) stays
 * until the leader is freed. The process tracepoints are BTF ones: a
 * classic tracepoint's program is skipped while any other classic one runs
 * on the CPU (a syscall's, taken over by the softirq that frees tasks), a
 * BTF one only while it runs itself.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ea_taint *t;

	/*
	 * The process ends with its last thread (do_exit has counted it out
	 * of signal->live by now), not with its main one: a main thread that
	 * calls pthread_exit, or that another thread's execve kills, leaves
	 * the process and its taint alive.
	 */
	if (!cfg.path_labels || task->signal->live.counter)
		return 0;
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (t) {
		t->exited = 1;
		__sync_fetch_and_add(&cfg.taint_gen, 1);
	}
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(process_free, struct task_struct *p)
{
	__u32 pid = p->pid;

	if (cfg.path_labels)
		bpf_map_delete_elem(&taint, &pid);
	return 0;
}

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;

/* The entries of every hash map, as the kernel counts them, for the agent's status. */
SEC("iter/bpf_map")
int map_entries(struct bpf_iter__bpf_map *ctx)
{
	struct ea_map_count c = {};
	struct bpf_map *map = ctx->map;

	if (!map || map->map_type != BPF_MAP_TYPE_HASH)
		return 0;
	c.id = map->id;
	c.entries = bpf_map_sum_elem_count(map);
	bpf_seq_write(ctx->meta->seq, &c, sizeof(c));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
