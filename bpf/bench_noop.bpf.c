// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Baselines of `make bench`: one program that does nothing per type and
 * hook of the agent's datapath. scripts/bench attaches them to the watched
 * cgroup (and the global tracepoint) next to the agent, so bpf_stats counts
 * both in the same window and the per-run cost of the agent's programs is
 * reported net of what any program of that type costs (dispatch, and the
 * ~20 ns that bpf_stats itself adds). Names stay under 16 characters.
 * nop_openat stands beside the agent's file hooks (tracepoints, global);
 * nop_sys_exit beside syscall_exit, which sees every system call.
 *
 * bench_parse is the packet parser alone, as a tc program like
 * classify_dst of classify.bpf.c: classify_dst minus bench_parse is the
 * trie walk by itself.
 *
 * ev_tcp_state sends the two events a flagged TCP connection sends and
 * nothing else: what those events cost by themselves (make bench part 4).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "egress_audit.h"
#include "packet.bpf.h"

__u32 parse_status;
__u32 parse_dst;

SEC("cgroup_skb/egress")
int nop_egress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/sock_create")
int nop_sk_create(struct bpf_sock *sk)
{
	return 1;
}

SEC("cgroup/sock_release")
int nop_sk_release(struct bpf_sock *sk)
{
	return 1;
}

SEC("cgroup/connect4")
int nop_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int nop_connect6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int nop_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg6")
int nop_sendmsg6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/setsockopt")
int nop_setsockopt(struct bpf_sockopt *ctx)
{
	return 1;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(nop_tcp_state, struct sock *sk, int oldstate, int newstate)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(nop_tcp_send, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(nop_tcp_destroyed, struct sock *sk)
{
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int nop_openat(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(nop_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* bench_noop --events: the connections' server port (network order) */
const volatile __u16 events_port;
/* the agent's wakeup rule: wake the reader once this much is unread */
const volatile __u32 events_wakeup;
/* false: every test made, no event sent (what the events add is the difference) */
const volatile bool events_send = true;
/* true: events of 16 bytes (type and time), to see what the record's size costs */
const volatile bool events_small;
__u64 events_lost;

/* --small: an event's head (abi, type) and its time, nothing more */
struct small_event {
	__u16 abi;
	__u8 type;
	__u8 pad[5];
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* the agent's default [agent] ringbuf_size */
} events SEC(".maps");

/*
 * flow_start when a connection to events_port completes its handshake,
 * flow_end when it closes: one record of the agent's size each (an event
 * without file evidence), every byte written, submitted with the agent's
 * wakeup rule (bpf/flow.bpf.h, wakeup_flag) to a reader that copies each
 * out, as the agent does. The verifier knows events_small (read-only
 * data): the branch not taken is not loaded.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ev_tcp_state, struct sock *sk, int oldstate, int newstate)
{
	const struct sock_common *c = &sk->__sk_common;
	struct ea_flow_event *e;
	__u64 unread;
	__u32 size;
	__u8 type;

	if (c->skc_dport != events_port)
		return 0;
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT)
		type = EA_EV_FLOW_START;
	else if (newstate == TCP_CLOSE && oldstate != TCP_CLOSE)
		type = EA_EV_FLOW_END;
	else
		return 0;
	if (!events_send)
		return 0;
	unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	size = events_small ? sizeof(struct small_event) : EA_FLOW_EVENT_SHORT;
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		__sync_fetch_and_add(&events_lost, 1);
		return 0;
	}
	if (events_small) {
		struct small_event *se = (void *)e;

		*se = (struct small_event){ .abi = EA_ABI_VERSION, .type = type };
		se->ts_ns = bpf_ktime_get_boot_ns();
	} else {
		__builtin_memset(e, 0, EA_FLOW_EVENT_SHORT);
		e->abi = EA_ABI_VERSION;
		e->type = type;
		e->family = 4;
		e->sport = c->skc_num;
		e->dport = bpf_ntohs(c->skc_dport);
		e->src[3] = c->skc_rcv_saddr;
		e->dst[3] = c->skc_daddr;
		e->ts_ns = bpf_ktime_get_boot_ns();
	}
	bpf_ringbuf_submit(e, unread + size >= events_wakeup ?
			   BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tc")
int bench_parse(struct __sk_buff *skb)
{
	struct ea_pkt p = {};

	parse_status = ea_parse_ip(skb, ETH_HLEN, &p);
	parse_dst = p.dst[3];
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
