/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parsing of the IP header of an skb, shared by the socket-level
 * (cgroup_skb: data starts at the IP header) and device-level (tc: data
 * starts at the Ethernet header) programs. Addresses come out as four
 * network-order words, IPv4 as an IPv4-mapped IPv6 address.
 */
#ifndef EA_PACKET_BPF_H
#define EA_PACKET_BPF_H

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_HLEN	14
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define NEXTHDR_FRAGMENT 44

enum ea_parse_status {
	EA_PARSE_OK = 0,
	EA_PARSE_NOT_IP = 1,
	EA_PARSE_MALFORMED = 2,
};

struct ea_pkt {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;		/* host order; 0 when not TCP/UDP or a later fragment */
	__u16 dport;
	__u8 proto;		/* IPPROTO_* */
	__u8 family;		/* 4 or 6 */
	__u8 fragment;		/* 1: a non-first fragment (no ports) */
	__u8 pad;
};

static __always_inline void ea_v4_mapped(__u32 out[4], __u32 addr_net)
{
	out[0] = 0;
	out[1] = 0;
	out[2] = bpf_htonl(0xffff);
	out[3] = addr_net;
}

static __always_inline int ea_parse_ports(struct __sk_buff *skb, __u32 off,
					  struct ea_pkt *p)
{
	__u16 ports[2];

	if (p->fragment || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return EA_PARSE_OK;
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return EA_PARSE_MALFORMED;
	p->sport = bpf_ntohs(ports[0]);
	p->dport = bpf_ntohs(ports[1]);
	return EA_PARSE_OK;
}

static __always_inline int ea_parse_ipv4(struct __sk_buff *skb, __u32 off,
					 struct ea_pkt *p)
{
	struct iphdr ip;
	__u32 hlen;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return EA_PARSE_MALFORMED;
	hlen = ip.ihl * 4;
	if (ip.version != 4 || hlen < sizeof(ip))
		return EA_PARSE_MALFORMED;
	p->family = 4;
	p->proto = ip.protocol;
	p->fragment = (bpf_ntohs(ip.frag_off) & IP_OFFSET) != 0;
	ea_v4_mapped(p->src, ip.saddr);
	ea_v4_mapped(p->dst, ip.daddr);
	return ea_parse_ports(skb, off + hlen, p);
}

static __always_inline int ea_parse_ipv6(struct __sk_buff *skb, __u32 off,
					 struct ea_pkt *p)
{
	struct ipv6hdr ip;
	struct frag_hdr {
		__u8 nexthdr;
		__u8 reserved;
		__be16 frag_off;
		__be32 identification;
	} fh;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return EA_PARSE_MALFORMED;
	if (ip.version != 6)
		return EA_PARSE_MALFORMED;
	p->family = 6;
	p->proto = ip.nexthdr;
	__builtin_memcpy(p->src, &ip.saddr, 16);
	__builtin_memcpy(p->dst, &ip.daddr, 16);
	off += sizeof(ip);
	if (p->proto == NEXTHDR_FRAGMENT) {
		if (bpf_skb_load_bytes(skb, off, &fh, sizeof(fh)))
			return EA_PARSE_MALFORMED;
		p->proto = fh.nexthdr;
		p->fragment = (bpf_ntohs(fh.frag_off) & ~7) != 0;
		off += sizeof(fh);
	}
	return ea_parse_ports(skb, off, p);
}

/* Parse the IP packet at off; eth_proto is skb->protocol (network order). */
static __always_inline int ea_parse_ip(struct __sk_buff *skb, __u32 off,
				       __u32 eth_proto, struct ea_pkt *p)
{
	if (eth_proto == bpf_htons(ETH_P_IP))
		return ea_parse_ipv4(skb, off, p);
	if (eth_proto == bpf_htons(ETH_P_IPV6))
		return ea_parse_ipv6(skb, off, p);
	return EA_PARSE_NOT_IP;
}

#endif /* EA_PACKET_BPF_H */
