/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parsing of the IP header of an skb, shared by the socket-level
 * (cgroup_skb: data starts at the IP header) and device-level (tc: data
 * starts at the Ethernet header) programs. Addresses come out as four
 * network-order words, IPv4 as an IPv4-mapped IPv6 address. Ports are read
 * past IPv4 options, IPv6 extension headers and AH, and a source route's
 * addresses are located for the caller to weigh (see route_pick).
 */
#ifndef EA_PACKET_BPF_H
#define EA_PACKET_BPF_H

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define EA_VLAN_MAX	2	/* tags read before the ethertype (802.1ad, then 802.1Q) */
#define ETH_HLEN	14
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH	51
#define NEXTHDR_DEST	60
#define IPOPT_END	0
#define IPOPT_NOOP	1
#define IPOPT_LSRR	131
#define IPOPT_SSRR	137
#define EA_IPV4_OPT_MAX	40	/* option bytes an IPv4 header can hold */
#define EA_IPV6_EXT_MAX	8	/* extension headers walked before the transport */

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
	/*
	 * A source route (IPv4 LSRR/SSRR, an IPv6 routing header): the
	 * addresses it has yet to visit lie at route_off, route_n of them,
	 * the final destination the route_final-th; route_n 0: none. An RPL
	 * route's addresses leave out their first route_elide bytes (the
	 * last one's first route_elide_last), which are the header's
	 * destination's; other routes' leave out none.
	 */
	__u8 route_n;
	__u16 route_off;
	__u16 route_final;
	__u8 route_elide;
	__u8 route_elide_last;
	__u16 ip_off;		/* where the IP header is (past VLAN tags) */
};

/*
 * Whether headers in the packet's linear part are read straight from it.
 * Each bpf_skb_load_bytes() is a helper call, whose return a kernel with
 * return-thunk mitigations makes dear; a header in the linear part (as a
 * sent packet's headers are) needs none. Tests clear it to run the
 * helper's path on the same frames.
 */
const volatile bool ea_pkt_direct = true;

#define EA_PKT_DIRECT_OFF_MAX	0xff00	/* a bound the verifier can hold the offset to */

/*
 * len bytes at off into to: from the linear part where they lie in it,
 * else through bpf_skb_load_bytes() (paged data, or past the packet's
 * end: then its error). Headers are read as 32-bit words where len allows,
 * as parsers read them through a header's struct.
 */
static __always_inline int ea_pkt_load(struct __sk_buff *skb, __u32 off, void *to,
				       const __u32 len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u64 at = off;

	barrier_var(at);	/* one register, checked and then added */
	if (ea_pkt_direct && at <= EA_PKT_DIRECT_OFF_MAX && data + at + len <= end) {
		if (len % 4 == 0)
			__builtin_memcpy(to, (const __u32 *)(data + at), len);
		else
			__builtin_memcpy(to, (const __u16 *)(data + at), len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

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
	/* a transport header cut short: still a flow to its destination */
	if (ea_pkt_load(skb, off, ports, sizeof(ports)))
		return EA_PARSE_OK;
	p->sport = bpf_ntohs(ports[0]);
	p->dport = bpf_ntohs(ports[1]);
	return EA_PARSE_OK;
}

/*
 * A loose or strict source route (RFC 791) among the IPv4 options at
 * off..end: the addresses from its pointer on are still to be visited, the
 * final destination last. A malformed option ends the look: the packet
 * then goes where its header says.
 */
static __always_inline void ea_parse_ipv4_route(struct __sk_buff *skb, __u32 off, __u32 end,
						struct ea_pkt *p)
{
	__u8 o[3];
	int i;

	for (i = 0; i < EA_IPV4_OPT_MAX && off < end; i++) {
		if (bpf_skb_load_bytes(skb, off, o, 1) || o[0] == IPOPT_END)
			return;
		if (o[0] == IPOPT_NOOP) {
			off++;
			continue;
		}
		if (off + 3 > end || bpf_skb_load_bytes(skb, off, o, 3) || o[1] < 3 ||
		    off + o[1] > end)
			return;
		if ((o[0] == IPOPT_LSRR || o[0] == IPOPT_SSRR) && o[2] >= 4 &&
		    o[2] + 3 <= o[1]) {
			p->route_n = (__u32)(o[1] - o[2] + 1) / 4;
			p->route_off = off + o[2] - 1;
			p->route_final = p->route_n - 1;
			return;
		}
		off += o[1];
	}
}

static __always_inline int ea_parse_ipv4(struct __sk_buff *skb, __u32 off,
					 struct ea_pkt *p)
{
	struct iphdr ip;
	__u32 hlen;

	if (ea_pkt_load(skb, off, &ip, sizeof(ip)))
		return EA_PARSE_MALFORMED;
	hlen = ip.ihl * 4;
	if (ip.version != 4 || hlen < sizeof(ip) || off + hlen > skb->len)
		return EA_PARSE_MALFORMED;
	p->family = 4;
	p->proto = ip.protocol;
	p->fragment = (bpf_ntohs(ip.frag_off) & IP_OFFSET) != 0;
	ea_v4_mapped(p->src, ip.saddr);
	ea_v4_mapped(p->dst, ip.daddr);
	if (hlen > sizeof(ip))
		ea_parse_ipv4_route(skb, off + sizeof(ip), off + hlen, p);
	off += hlen;
	if (p->proto == IPPROTO_AH && !p->fragment) {
		/* IPsec AH in transport mode: the transport's header follows it */
		__u8 ah[2];

		if (bpf_skb_load_bytes(skb, off, ah, sizeof(ah)))
			return EA_PARSE_OK;	/* a flow all the same */
		p->proto = ah[0];
		off += ((__u32)ah[1] + 2) * 4;
	}
	return ea_parse_ports(skb, off, p);
}

/*
 * An RPL source route (type 3, RFC 6554, at off, its first four bytes in
 * h): each address but the last carries only its bytes after the first
 * CmprI, which it shares with the header's destination, the last its
 * bytes after the first CmprE, then Pad bytes. Its n addresses,
 * (8 * length - Pad - (16 - CmprE)) / (16 - CmprI) + 1, must come out
 * exact, as the kernel that would forward it wants (ipv6_rpl_srh_rcv);
 * the last segments-left of them are still to be visited, in order.
 */
static __always_inline void ea_parse_rpl_route(struct __sk_buff *skb, __u32 off,
					       const __u8 h[4], struct ea_pkt *p)
{
	__u32 left = h[3], bytes = (__u32)h[1] * 8, cmpri, cmpre, pad, stride, n;
	__u8 c[2];

	if (bpf_skb_load_bytes(skb, off + 4, c, sizeof(c)))
		return;
	cmpri = c[0] >> 4;
	cmpre = c[0] & 15;
	pad = c[1] >> 4;
	stride = 16 - cmpri;
	if (bytes < pad + 16 - cmpre || (bytes - pad - (16 - cmpre)) % stride)
		return;
	n = (bytes - pad - (16 - cmpre)) / stride + 1;
	if (left > n)
		return;
	p->route_off = off + 8 + (n - left) * stride;
	p->route_final = left - 1;
	p->route_elide = cmpri;
	p->route_elide_last = cmpre;
	p->route_n = left;
}

/*
 * The addresses an IPv6 routing header (at off, its first four bytes in h)
 * has yet to visit: the last segments-left of its list for types 0 and 2,
 * visited in order; the first segments-left of a segment routing header
 * (type 4, RFC 8754), whose segment 0 is the final destination; RPL's
 * (type 3) as ea_parse_rpl_route finds them. Other types are not routes.
 */
static __always_inline void ea_parse_ipv6_route(struct __sk_buff *skb, __u32 off,
						const __u8 h[4], struct ea_pkt *p)
{
	__u32 addrs = h[1] / 2, left = h[3];

	if (!left)
		return;
	if (h[2] == 3) {
		ea_parse_rpl_route(skb, off, h, p);
		return;
	}
	if (left > addrs)
		return;
	if (h[2] == 0 || h[2] == 2) {
		p->route_off = off + 8 + (addrs - left) * 16;
		p->route_final = left - 1;
	} else if (h[2] == 4) {
		p->route_off = off + 8;
		p->route_final = 0;
	} else {
		return;
	}
	p->route_n = left;
}

/*
 * The fixed header, then the extension headers before the transport's:
 * hop-by-hop and destination options, routing, fragment and AH. A later
 * fragment carries no more headers. A header cut short ends the walk, not
 * the packet's count: it still makes a flow to its destination.
 */
static __always_inline int ea_parse_ipv6(struct __sk_buff *skb, __u32 off,
					 struct ea_pkt *p)
{
	struct ipv6hdr ip;
	__u8 h[4];
	int i;

	if (ea_pkt_load(skb, off, &ip, sizeof(ip)))
		return EA_PARSE_MALFORMED;
	if (ip.version != 6)
		return EA_PARSE_MALFORMED;
	p->family = 6;
	p->proto = ip.nexthdr;
	__builtin_memcpy(p->src, &ip.saddr, 16);
	__builtin_memcpy(p->dst, &ip.daddr, 16);
	off += sizeof(ip);
	for (i = 0; i < EA_IPV6_EXT_MAX && !p->fragment; i++) {
		__u32 len;

		if (p->proto != NEXTHDR_HOP && p->proto != NEXTHDR_ROUTING &&
		    p->proto != NEXTHDR_FRAGMENT && p->proto != NEXTHDR_AUTH &&
		    p->proto != NEXTHDR_DEST)
			break;
		if (bpf_skb_load_bytes(skb, off, h, sizeof(h)))
			return EA_PARSE_OK;	/* a flow all the same */
		if (p->proto == NEXTHDR_FRAGMENT) {
			p->fragment = (((__u32)h[2] << 8 | h[3]) & ~7u) != 0;
			len = 8;
		} else if (p->proto == NEXTHDR_AUTH) {
			len = ((__u32)h[1] + 2) * 4;
		} else {
			if (p->proto == NEXTHDR_ROUTING)
				ea_parse_ipv6_route(skb, off, h, p);
			len = ((__u32)h[1] + 1) * 8;
		}
		p->proto = h[0];
		off += len;
	}
	return ea_parse_ports(skb, off, p);
}

/*
 * The ethertype of the Ethernet frame whose header ends at *off, past up to
 * EA_VLAN_MAX VLAN tags (*off moves past them): a packet socket's frame
 * says itself what it carries, whatever protocol its sender gave the
 * kernel (skb->protocol is that one). 0 when the frame is cut short.
 */
static __always_inline __u32 ea_frame_proto(struct __sk_buff *skb, __u32 *off)
{
	__u16 et;
	int i;

	if (ea_pkt_load(skb, *off - 2, &et, sizeof(et)))
		return 0;
	for (i = 0; i < EA_VLAN_MAX; i++) {
		if (et != bpf_htons(ETH_P_8021Q) && et != bpf_htons(ETH_P_8021AD))
			break;
		*off += 4;
		if (bpf_skb_load_bytes(skb, *off - 2, &et, sizeof(et)))
			return 0;
	}
	return et;
}

/*
 * Parse the IP packet at off: by the skb's protocol where the data starts
 * at the IP header (off 0), by the frame's ethertype where it starts at an
 * Ethernet header (tc). A global function: the verifier checks its loops
 * over options and extension headers once, and its callers with *p as
 * unknown values, instead of every path through it again in every caller.
 */
__attribute__((noinline)) int ea_parse_ip(struct __sk_buff *skb, __u32 off, struct ea_pkt *p)
{
	__u32 eth_proto = off ? ea_frame_proto(skb, &off) : skb->protocol;

	if (!p)
		return EA_PARSE_MALFORMED;
	p->ip_off = off;
	if (eth_proto == bpf_htons(ETH_P_IP))
		return ea_parse_ipv4(skb, off, p);
	if (eth_proto == bpf_htons(ETH_P_IPV6))
		return ea_parse_ipv6(skb, off, p);
	return EA_PARSE_NOT_IP;
}

#endif /* EA_PACKET_BPF_H */
