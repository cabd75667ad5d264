// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GeoIP classifier alone, as a tc program, for tests and benchmarks:
 * bpf_prog_test_run_opts feeds it crafted Ethernet frames and reads the
 * result index it stored. noop is the baseline that benchmarks subtract.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "geo.bpf.h"
#include "packet.bpf.h"

#define TC_ACT_OK 0

__u32 geo_bank;
__u32 last_result;
__u32 last_status;

SEC("tc")
int classify_dst(struct __sk_buff *skb)
{
	struct ea_pkt p = {};

	last_result = ~0u;
	last_status = ea_parse_ip(skb, ETH_HLEN, &p);
	if (last_status == EA_PARSE_OK)
		last_result = ea_geo_classify(geo_bank, p.dst);
	return TC_ACT_OK;
}

SEC("tc")
int noop(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
