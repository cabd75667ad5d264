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
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

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

SEC("tc")
int bench_parse(struct __sk_buff *skb)
{
	struct ea_pkt p = {};

	parse_status = ea_parse_ip(skb, ETH_HLEN, &p);
	parse_dst = p.dst[3];
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
