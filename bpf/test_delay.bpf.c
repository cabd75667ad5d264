// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For tests/e2e/test_close_race.sh (loaded by tests/e2e/delay_close.c):
 * holds a TCP connection of port `port` at its change to TCP_CLOSE for
 * delay_ns, after the agent's program of the same tracepoint ran and
 * before the kernel stores the new state. A close by the socket's owner
 * (its file's release) then runs while the agent has seen the connection
 * closed and the socket still says it is open.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#define TCP_CLOSE	7

const volatile __u16 port;
const volatile __u64 delay_ns = 1000000;

static long spin(__u32 i, void *end)
{
	return bpf_ktime_get_ns() >= *(__u64 *)end;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(delay_close, struct sock *sk, int oldstate, int newstate)
{
	__u64 end = bpf_ktime_get_ns() + delay_ns;

	if (newstate != TCP_CLOSE || sk->__sk_common.skc_dport != bpf_htons(port))
		return 0;
	bpf_loop(1 << 23, spin, &end, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
