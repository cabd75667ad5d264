// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The datapath's packet path on crafted frames: bpf_prog_test_run_opts runs
 * the real tc_egress program of bpf/egress.bpf.c (no socket: the device
 * path) and its socket-level egress program (on the datagram socket that
 * test_run makes for a frame), with the real classifier and maps.
 * Asserted: the flow it keeps (bytes, packets, ports, protocol, verdict),
 * the events in the ring buffer, the aggregates, the counters, the flood
 * limit's refusals, that malformed frames make no flow, and the agent's
 * sweep of the TCP slots (sweep_slots) on crafted slots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "geo_maps.h"
#include "geo_table.h"
#include "egress.skel.h"
#include "test_geoip.h"
#include "tcp_slots.h"
#include "test_slot.h"

#define ETH_HLEN 14

struct fixture {
	struct egress_bpf *skel;
	struct ea_config cfg;
	struct ea_geo_table table;
	struct ring_buffer *rb;
	struct ea_flow_event events[64];
	int nevents;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct fixture *f = ctx;

	/* device flows have no owner, so no file evidence: the short event */
	assert_int_equal(size, EA_FLOW_EVENT_SHORT);
	if (f->nevents < 64) {
		memset(&f->events[f->nevents], 0, sizeof(struct ea_flow_event));
		memcpy(&f->events[f->nevents++], data, size);
	}
	return 0;
}

static const char config[] = "";	/* the test GeoIP data alone */

/*
 * The programs loaded with headers read straight from the packet (direct)
 * or all through bpf_skb_load_bytes(): the parser's two paths, on the
 * same frames.
 */
static int setup_reads(void **state, bool direct)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ea_err err = { { 0 } };
	struct ea_geo_maps m;

	if (ea_test_config_parse("t.ini", config, &f->cfg, &err) ||
	    ea_geo_table_build(&f->cfg, &f->table, &err))
		fail_msg("%s", err.msg);
	f->skel = egress_bpf__open();
	assert_non_null(f->skel);
	f->skel->rodata->ea_pkt_direct = direct;
	m = EA_GEO_MAPS_OF(f->skel);
	assert_int_equal(ea_geo_maps_size(&m, &f->table), 0);
	assert_int_equal(egress_bpf__load(f->skel), 0);
	assert_int_equal(ea_geo_maps_fill(&m, &f->table, 0), 0);
	f->skel->bss->cfg.default_labels = 1;
	f->skel->bss->cfg.update_interval_ns = 60ull * 1000000000ull;
	f->skel->bss->cfg.policy_gen = 1;
	f->skel->bss->cfg.taint_gen = 1;
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.events), on_event, f, NULL);
	assert_non_null(f->rb);
	*state = f;
	return 0;
}

static int setup_direct(void **state)
{
	return setup_reads(state, true);
}

static int setup_helper(void **state)
{
	return setup_reads(state, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ring_buffer__free(f->rb);
	egress_bpf__destroy(f->skel);
	ea_geo_table_free(&f->table);
	ea_config_free(&f->cfg);
	free(f);
	return 0;
}

/* Forget flows and events between tests. */
static int reset(void **state)
{
	struct fixture *f = *state;
	int fd = bpf_map__fd(f->skel->maps.dev_flows);
	struct ea_dev_flow_key key;

	while (!bpf_map_get_next_key(fd, NULL, &key))
		bpf_map_delete_elem(fd, &key);
	ring_buffer__consume(f->rb);
	f->nevents = 0;
	return 0;
}

/* Ethernet + IPv4 + UDP (or TCP) to dst:dport with a payload of plen bytes. */
static size_t frame4(uint8_t *b, const char *dst, uint8_t proto, uint16_t dport,
		     size_t plen)
{
	ea_addr_t a;
	uint8_t d[16];
	size_t l4 = proto == 6 ? 20 : 8, ip_len = 20 + l4 + plen;

	assert_int_equal(ea_addr_parse(dst, &a), 0);
	ea_addr_to_bytes(a, d);
	memset(b, 0, ETH_HLEN + ip_len);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)(ip_len >> 8);
	b[17] = (uint8_t)ip_len;
	b[22] = 64;
	b[23] = proto;
	memcpy(b + 26, "\xc0\x00\x02\x01", 4);
	memcpy(b + 30, d + 12, 4);
	b[34] = 0x9c, b[35] = 0x40;			/* sport 40000 */
	b[36] = (uint8_t)(dport >> 8), b[37] = (uint8_t)dport;
	if (proto == 6)
		b[46] = 0x50;				/* data offset 5 */
	return ETH_HLEN + ip_len;
}

static size_t frame6(uint8_t *b, const char *dst, uint16_t dport, size_t plen)
{
	ea_addr_t a;
	size_t ip_len = 40 + 8 + plen;

	assert_int_equal(ea_addr_parse(dst, &a), 0);
	memset(b, 0, ETH_HLEN + ip_len);
	b[12] = 0x86, b[13] = 0xdd;
	b[14] = 0x60;
	b[18] = (uint8_t)((8 + plen) >> 8), b[19] = (uint8_t)(8 + plen);
	b[20] = 17;
	b[21] = 64;
	b[22] = 0x20, b[23] = 0x01, b[24] = 0x0d, b[25] = 0xb8, b[37] = 1;
	ea_addr_to_bytes(a, b + 38);
	b[54] = 0x9c, b[55] = 0x40;
	b[56] = (uint8_t)(dport >> 8), b[57] = (uint8_t)dport;
	return ETH_HLEN + ip_len;
}

static void run(struct fixture *f, const uint8_t *pkt, size_t len, uint32_t gso_segs)
{
	struct __sk_buff ctx = { .gso_segs = gso_segs, .gso_size = gso_segs ? 1000 : 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.tc_egress),
						&opts), 0);
	assert_int_equal(opts.retval, 0);	/* TC_ACT_OK: the backstop never drops */
}

/* The single device flow in the map, or fail. */
static struct ea_flow only_flow(struct fixture *f, struct ea_dev_flow_key *key)
{
	int fd = bpf_map__fd(f->skel->maps.dev_flows);
	struct ea_dev_flow_key next;
	struct ea_flow fl;

	assert_int_equal(bpf_map_get_next_key(fd, NULL, key), 0);
	assert_int_equal(bpf_map_lookup_elem(fd, key, &fl), 0);
	assert_int_not_equal(bpf_map_get_next_key(fd, key, &next), 0);
	return fl;
}

/* The value of key in a per-CPU map, one element per possible CPU (freed by the caller). */
static void *percpu_values(struct bpf_map *map, uint32_t key, size_t size, int *ncpu)
{
	void *v;

	*ncpu = libbpf_num_possible_cpus();
	assert_true(*ncpu > 0);
	v = calloc((size_t)*ncpu, size);
	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(map), &key, v), 0);
	return v;
}

static uint64_t counter(struct fixture *f, uint32_t which)
{
	int ncpu;
	uint64_t *v = percpu_values(f->skel->maps.counters, which, sizeof(*v), &ncpu), sum = 0;

	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	free(v);
	return sum;
}

/* An aggregate (result * EA_VERDICT_MAX + verdict), summed over the CPUs. */
static struct ea_agg agg_sum(struct fixture *f, uint32_t key)
{
	int ncpu;
	struct ea_agg *v = percpu_values(f->skel->maps.agg, key, sizeof(*v), &ncpu), sum = { 0 };

	for (int i = 0; i < ncpu; i++) {
		sum.flows += v[i].flows;
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
	}
	free(v);
	return sum;
}

/* Flows counted under a verdict, over every aggregate and CPU. */
static uint64_t verdict_flows(struct fixture *f, uint8_t verdict)
{
	uint64_t flows = 0;

	for (uint32_t k = verdict; k < EA_AGG_ENTRIES; k += EA_VERDICT_MAX)
		flows += agg_sum(f, k).flows;
	return flows;
}

static void test_flagged_udp4_counted_and_reported(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	struct ea_flow fl;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 100);
	uint64_t allowed = verdict_flows(f, EA_VERDICT_ALLOWED);
	uint64_t flagged = verdict_flows(f, EA_VERDICT_FLAGGED);

	run(f, pkt, len, 0);
	run(f, pkt, len, 0);
	run(f, pkt, len, 0);
	fl = only_flow(f, &key);
	assert_int_equal(fl.packets, 3);
	assert_int_equal(fl.bytes, 3 * (20 + 8 + 100));
	assert_int_equal(fl.dport, 5353);
	assert_int_equal(fl.sport, 40000);
	assert_int_equal(fl.proto, EA_PROTO_UDP);
	assert_int_equal(fl.family, 4);
	assert_int_equal(fl.country, ea_cc_pack("US"));
	assert_int_equal(fl.zone, EA_ZONE_ADEQUACY_PARTIAL);
	assert_int_equal(fl.verdict, EA_VERDICT_FLAGGED);
	assert_int_equal(key.origin, EA_ORIGIN_DEVICE);
	/* one flow, counted as flagged from its first packet on */
	assert_int_equal(verdict_flows(f, EA_VERDICT_FLAGGED), flagged + 1);
	assert_int_equal(verdict_flows(f, EA_VERDICT_ALLOWED), allowed);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 1);
	assert_int_equal(f->events[0].type, EA_EV_FLOW_START);
	assert_int_equal(f->events[0].bytes, 128);
	assert_int_equal(f->events[0].packets, 1);
	assert_int_equal(f->events[0].verdict, EA_VERDICT_FLAGGED);
	assert_int_equal(f->events[0].origin, EA_ORIGIN_DEVICE);
	assert_int_equal(f->events[0].abi, EA_ABI_VERSION);
}

/* New flagged device flows, one flow_start each: ports from dport0 on. */
static void new_flagged_flows(struct fixture *f, uint16_t dport0, int n)
{
	uint8_t pkt[256];

	for (int i = 0; i < n; i++)
		run(f, pkt, frame4(pkt, "198.51.100.7", 17, (uint16_t)(dport0 + i), 10), 0);
}

/*
 * The flood limit on a stream of new flagged flows (device flows: no
 * owner, so the entry of tgid 0): under pressure the first flood_events
 * events of a window reach the ring and the rest are refused and counted,
 * in total and in the process's entry; a new window lets events through
 * again; below the pressure mark nothing is refused.
 */
static void test_flood_limit(void **state)
{
	struct fixture *f = *state;
	int fd = bpf_map__fd(f->skel->maps.floods);
	uint64_t refused = counter(f, EA_CNT_FLOOD_START);
	uint32_t tgid = 0;
	struct ea_flood fl;

	f->skel->bss->cfg.flood_events = 3;
	f->skel->bss->cfg.flood_bytes = 0;	/* always under pressure */
	new_flagged_flows(f, 6000, 8);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 3);
	assert_int_equal(counter(f, EA_CNT_FLOOD_START), refused + 5);
	assert_int_equal(bpf_map_lookup_elem(fd, &tgid, &fl), 0);
	assert_int_equal(fl.events, 3);
	assert_int_equal(fl.refused[0], 5);
	assert_int_equal(fl.refused[1] + fl.refused[2], 0);

	/* the window is over: three more pass, the fourth is refused */
	fl.window_ns = 0;
	assert_int_equal(bpf_map_update_elem(fd, &tgid, &fl, BPF_EXIST), 0);
	new_flagged_flows(f, 6100, 4);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 6);
	assert_int_equal(counter(f, EA_CNT_FLOOD_START), refused + 6);

	/* below the mark: no limit */
	f->skel->bss->cfg.flood_bytes = UINT32_MAX;
	new_flagged_flows(f, 6200, 5);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 11);
	assert_int_equal(counter(f, EA_CNT_FLOOD_START), refused + 6);
	for (int i = 0; i < f->nevents; i++)
		assert_int_equal(f->events[i].type, EA_EV_FLOW_START);

	f->skel->bss->cfg.flood_events = 0;
	bpf_map_delete_elem(fd, &tgid);
}

static void test_allowed_flow_silent_but_aggregated(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	struct ea_flow fl;
	struct ea_agg agg;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "192.0.2.10", 17, 53, 10);

	run(f, pkt, len, 0);
	fl = only_flow(f, &key);
	assert_int_equal(fl.verdict, EA_VERDICT_ALLOWED);
	assert_int_equal(fl.country, ea_cc_pack("DE"));
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 0);
	agg = agg_sum(f, fl.result * EA_VERDICT_MAX + EA_VERDICT_ALLOWED);
	assert_true(agg.flows >= 1);
	assert_true(agg.bytes >= 38);
}

static void test_ipv6_flow(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	struct ea_flow fl;
	uint8_t pkt[256];
	size_t len = frame6(pkt, "2001:db8:3::5", 443, 20);

	run(f, pkt, len, 0);
	fl = only_flow(f, &key);
	assert_int_equal(fl.family, 6);
	assert_int_equal(fl.country, ea_cc_pack("CN"));
	assert_int_equal(fl.zone, EA_ZONE_THIRD);
	assert_int_equal(fl.bytes, 40 + 8 + 20);
	assert_int_equal(fl.dport, 443);
}

/* A GSO packet counts its segments and a header per segment. */
static void test_gso_counts_segments(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	struct ea_flow fl;
	uint8_t pkt[4096];
	size_t len = frame4(pkt, "203.0.113.5", 6, 443, 3000);

	run(f, pkt, len, 3);
	fl = only_flow(f, &key);
	assert_int_equal(fl.packets, 3);
	assert_int_equal(fl.bytes, 3000 + 3 * (20 + 20));
	assert_int_equal(fl.proto, EA_PROTO_TCP);
}

/* A later fragment has no ports: a flow of its own, still classified. */
static void test_fragment(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	struct ea_flow fl;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 40);

	pkt[20] = 0x00, pkt[21] = 0x10;		/* fragment offset 128 */
	run(f, pkt, len, 0);
	fl = only_flow(f, &key);
	assert_int_equal(fl.dport, 0);
	assert_int_equal(fl.sport, 0);
	assert_int_equal(fl.country, ea_cc_pack("US"));
}

/* Malformed headers: counted, no flow. */
static void test_malformed_makes_no_flow(void **state)
{
	struct fixture *f = *state;
	struct ea_dev_flow_key key;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 10);
	int fd = bpf_map__fd(f->skel->maps.dev_flows);
	uint64_t bad = counter(f, EA_CNT_BAD_PACKET);

	pkt[14] = 0x4f;				/* IHL beyond the packet */
	run(f, pkt, len, 0);
	len = frame4(pkt, "198.51.100.7", 17, 5353, 40);
	pkt[14] = 0x35;				/* version 3 */
	run(f, pkt, len, 0);
	assert_int_not_equal(bpf_map_get_next_key(fd, NULL, &key), 0);
	assert_int_equal(counter(f, EA_CNT_BAD_PACKET), bad + 2);
}

/* Packets and bytes over every aggregate and CPU. */
static void agg_totals(struct fixture *f, uint64_t *packets, uint64_t *bytes)
{
	*packets = *bytes = 0;
	for (uint32_t k = 0; k < EA_AGG_ENTRIES; k++) {
		struct ea_agg a = agg_sum(f, k);

		*packets += a.packets;
		*bytes += a.bytes;
	}
}

/*
 * The socket-level egress program, on the socket test_run makes for the
 * frame (a datagram socket to its destination), repeat times in one run:
 * the first packet sets the flow up through the full parse, the others
 * match the socket's own flow read straight from the packet. Every packet
 * is counted once: the aggregates, folded every EA_AGG_FOLD_PACKETS, gain
 * them all; one flow_start reports the first.
 */
static void socket_egress_counts(struct fixture *f, const uint8_t *pkt, size_t len,
				 size_t ip_len, uint16_t dport)
{
	const uint32_t repeat = 4 * EA_AGG_FOLD_PACKETS;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat);
	uint64_t p0, b0, p1, b1, no_storage = counter(f, EA_CNT_NO_STORAGE);

	agg_totals(f, &p0, &b0);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.egress),
						&opts), 0);
	assert_int_equal(opts.retval, 1);	/* audit mode: never dropped */
	assert_int_equal(counter(f, EA_CNT_NO_STORAGE), no_storage);
	agg_totals(f, &p1, &b1);
	assert_int_equal(p1 - p0, repeat);
	assert_int_equal(b1 - b0, (uint64_t)repeat * ip_len);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 1);
	assert_int_equal(f->events[0].type, EA_EV_FLOW_START);
	assert_int_equal(f->events[0].origin, EA_ORIGIN_SOCKET);
	assert_int_equal(f->events[0].verdict, EA_VERDICT_FLAGGED);
	assert_int_equal(f->events[0].proto, EA_PROTO_UDP);
	assert_int_equal(f->events[0].packets, 1);
	assert_int_equal(f->events[0].bytes, ip_len);
	assert_int_equal(f->events[0].sport, 40000);
	assert_int_equal(f->events[0].dport, dport);
}

static void test_socket_udp4_every_packet_counted(void **state)
{
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 100);

	socket_egress_counts(*state, pkt, len, 20 + 8 + 100, 5353);
}

static void test_socket_udp6_every_packet_counted(void **state)
{
	uint8_t pkt[256];
	size_t len = frame6(pkt, "2001:db8:3::5", 443, 20);

	socket_egress_counts(*state, pkt, len, 40 + 8 + 20, 443);
}

/* With IP options the headers are not read straight: the full parse counts. */
static void test_socket_udp4_options_counted(void **state)
{
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 100);

	/* four bytes of options (end of list) before the UDP header */
	memmove(pkt + 38, pkt + 34, len - 34);
	memset(pkt + 34, 0, 4);
	pkt[14] = 0x46;
	len += 4;
	pkt[16] = (uint8_t)((len - ETH_HLEN) >> 8), pkt[17] = (uint8_t)(len - ETH_HLEN);
	socket_egress_counts(*state, pkt, len, 24 + 8 + 100, 5353);
}

/*
 * IPv4 to dst with options opts (olen, a multiple of 4) between the
 * header and UDP to dport, as IP_OPTIONS makes them.
 */
static size_t frame4_opts(uint8_t *b, const char *dst, const uint8_t *opts, size_t olen,
			  uint16_t dport, size_t plen)
{
	size_t len = frame4(b, dst, 17, dport, plen), ip_len = len - ETH_HLEN + olen;

	memmove(b + 34 + olen, b + 34, len - 34);
	memcpy(b + 34, opts, olen);
	b[14] = (uint8_t)(0x40 | (20 + olen) / 4);
	b[16] = (uint8_t)(ip_len >> 8), b[17] = (uint8_t)ip_len;
	return len + olen;
}

/* A loose source route option (ptr 4, then addrs), padded with NOPs. */
static size_t lsrr(uint8_t *o, const char *const *addrs, size_t n, uint8_t ptr)
{
	size_t olen = 3 + 4 * n, padded = (olen + 1 + 3) / 4 * 4;

	memset(o, 1, padded);		/* NOP */
	o[1] = 131, o[2] = (uint8_t)olen, o[3] = ptr;
	for (size_t i = 0; i < n; i++) {
		ea_addr_t a;
		uint8_t d[16];

		assert_int_equal(ea_addr_parse(addrs[i], &a), 0);
		ea_addr_to_bytes(a, d);
		memcpy(o + 4 + 4 * i, d + 12, 4);
	}
	return padded;
}

/* IPv6 to dst with extension headers ext (their chain ending in UDP). */
static size_t frame6_ext(uint8_t *b, const char *dst, uint8_t first, const uint8_t *ext,
			 size_t elen, uint16_t dport, size_t plen)
{
	size_t len = frame6(b, dst, dport, plen), payload = 8 + plen + elen;

	memmove(b + 54 + elen, b + 54, len - 54);
	memcpy(b + 54, ext, elen);
	b[18] = (uint8_t)(payload >> 8), b[19] = (uint8_t)payload;
	b[20] = first;
	return len + elen;
}

/* A segment routing header (RFC 8754) of n segments, segs[0] the final one. */
static size_t srh(uint8_t *h, uint8_t next, const char *const *segs, size_t n, uint8_t left)
{
	memset(h, 0, 8 + 16 * n);
	h[0] = next, h[1] = (uint8_t)(2 * n), h[2] = 4, h[3] = left, h[4] = (uint8_t)(n - 1);
	for (size_t i = 0; i < n; i++) {
		ea_addr_t a;

		assert_int_equal(ea_addr_parse(segs[i], &a), 0);
		ea_addr_to_bytes(a, h + 8 + 16 * i);
	}
	return 8 + 16 * n;
}

/* A routing header of type 0 or 2 (RFC 8200): n addresses, the final one last. */
static size_t rthdr(uint8_t *h, uint8_t type, const char *const *addrs, size_t n, uint8_t left)
{
	memset(h, 0, 8 + 16 * n);
	h[0] = 17, h[1] = (uint8_t)(2 * n), h[2] = type, h[3] = left;
	for (size_t i = 0; i < n; i++) {
		ea_addr_t a;

		assert_int_equal(ea_addr_parse(addrs[i], &a), 0);
		ea_addr_to_bytes(a, h + 8 + 16 * i);
	}
	return 8 + 16 * n;
}

/*
 * An RPL source route header (RFC 6554) of n addresses, the final one
 * last: each carries its bytes after the first cmpri (the last after the
 * first cmpre), then the padding to eight bytes.
 */
static size_t rpl(uint8_t *h, const char *const *addrs, size_t n, uint8_t left,
		  unsigned int cmpri, unsigned int cmpre)
{
	size_t bytes = (n - 1) * (16 - cmpri) + (16 - cmpre), pad = (8 - bytes % 8) % 8;
	uint8_t *at = h + 8;

	memset(h, 0, 8 + bytes + pad);
	h[0] = 17, h[1] = (uint8_t)((bytes + pad) / 8), h[2] = 3, h[3] = left;
	h[4] = (uint8_t)(cmpri << 4 | cmpre), h[5] = (uint8_t)(pad << 4);
	for (size_t i = 0; i < n; i++) {
		unsigned int skip = i + 1 < n ? cmpri : cmpre;
		uint8_t d[16];
		ea_addr_t a;

		assert_int_equal(ea_addr_parse(addrs[i], &a), 0);
		ea_addr_to_bytes(a, d);
		memcpy(at, d + skip, 16 - skip);
		at += 16 - skip;
	}
	return 8 + bytes + pad;
}

/* The single device flow: its destination, as text, its verdict, whether it was routed. */
static struct ea_flow flow_to(struct fixture *f, const char *want_dst, uint8_t verdict,
				  bool routed)
{
	struct ea_dev_flow_key key;
	struct ea_flow fl = only_flow(f, &key);
	char got[EA_ADDR_STRLEN];

	ea_addr_format(ea_addr_from_bytes((const uint8_t *)fl.dst), got);
	assert_string_equal(got, want_dst);
	assert_memory_equal(key.dst, fl.dst, sizeof(key.dst));
	assert_int_equal(fl.verdict, verdict);
	assert_int_equal(!!(fl.flags & EA_FLOW_ROUTED), routed);
	return fl;
}

/*
 * Options and extension headers before the transport's: ports and
 * protocol are read past them (hop-by-hop and destination options, AH).
 */
static void test_ipv6_extension_headers(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[512], ext[64] = { 0 };
	struct ea_flow fl;
	size_t len;

	ext[0] = 60;			/* hop-by-hop (8 bytes), then destination options */
	ext[8] = 51, ext[9] = 1;	/* destination options (16 bytes), then AH */
	ext[24] = 17, ext[25] = 2;	/* AH of (2 + 2) * 4 bytes, then UDP */
	len = frame6_ext(pkt, "2001:db8:3::5", 0, ext, 40, 8443, 20);
	run(f, pkt, len, 0);
	fl = flow_to(f, "2001:db8:3::5", EA_VERDICT_FLAGGED, false);
	assert_int_equal(fl.dport, 8443);
	assert_int_equal(fl.sport, 40000);
	assert_int_equal(fl.ip_proto, 17);
	assert_int_equal(fl.proto, EA_PROTO_UDP);
	assert_int_equal(fl.bytes, 40 + 40 + 8 + 20);
}

/* IPv4 with an AH header (IPsec transport mode): the ports behind it. */
static void test_ipv4_ah(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 30);
	struct ea_flow fl;

	/* 16 bytes of AH ((2 + 2) * 4) between the IP and UDP headers */
	memmove(pkt + 34 + 16, pkt + 34, len - 34);
	memset(pkt + 34, 0, 16);
	pkt[34] = 17, pkt[35] = 2;
	pkt[23] = 51;
	len += 16;
	pkt[16] = (uint8_t)((len - ETH_HLEN) >> 8), pkt[17] = (uint8_t)(len - ETH_HLEN);
	run(f, pkt, len, 0);
	fl = flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, false);
	assert_int_equal(fl.dport, 5353);
	assert_int_equal(fl.sport, 40000);
	assert_int_equal(fl.ip_proto, 17);
	assert_int_equal(fl.bytes, 20 + 16 + 8 + 30);
}

/* Allowed first segment, flagged final one: the flow goes to the final one. */
static void test_srh_final_destination(void **state)
{
	struct fixture *f = *state;
	const char *segs[] = { "2001:db8:3::5", "2001:db8:1::2" };
	uint64_t routed = counter(f, EA_CNT_ROUTED);
	uint8_t pkt[512], ext[64];
	size_t elen = srh(ext, 17, segs, 2, 1), len;
	struct ea_flow fl;

	len = frame6_ext(pkt, "2001:db8:1::2", 43, ext, elen, 53, 10);
	run(f, pkt, len, 0);
	fl = flow_to(f, "2001:db8:3::5", EA_VERDICT_FLAGGED, true);
	assert_int_equal(fl.country, ea_cc_pack("CN"));
	assert_int_equal(fl.dport, 53);
	assert_int_equal(counter(f, EA_CNT_ROUTED), routed + 1);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 1);
	assert_memory_equal(f->events[0].dst, fl.dst, 16);
	assert_true(f->events[0].flags & EA_FLOW_ROUTED);
}

/* A flagged address anywhere on the route decides, the header's first. */
static void test_srh_flagged_hop_decides(void **state)
{
	static const struct {
		const char *header, *segs[3], *want;
		size_t nsegs;
		uint8_t left, verdict;
	} cases[] = {
		/* header DE; left: US (segment 1), then DE (segment 0, final) */
		{ "2001:db8:1::8", { "2001:db8:1::9", "2001:db8:2::7", "2001:db8:1::8" },
		  "2001:db8:2::7", 3, 2, EA_VERDICT_FLAGGED },
		/* header CN, final DE */
		{ "2001:db8:3::5", { "2001:db8:1::9" }, "2001:db8:3::5", 1, 1,
		  EA_VERDICT_FLAGGED },
		/* every address allowed: the final one */
		{ "2001:db8:1::8", { "2001:db8:1::9" }, "2001:db8:1::9", 1, 1,
		  EA_VERDICT_ALLOWED },
		/* segments left 0: the route is done, the header's address is final */
		{ "2001:db8:1::8", { "2001:db8:1::9", "2001:db8:2::7", "2001:db8:1::8" },
		  "2001:db8:1::8", 3, 0, EA_VERDICT_ALLOWED },
	};
	struct fixture *f = *state;
	uint8_t pkt[512], ext[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t elen = srh(ext, 17, cases[i].segs, cases[i].nsegs, cases[i].left);

		run(f, pkt, frame6_ext(pkt, cases[i].header, 43, ext, elen, 53, 10), 0);
		flow_to(f, cases[i].want, cases[i].verdict, cases[i].left > 0);
		reset(state);
	}
}

/* Routing headers of types 0 and 2: the addresses still to visit are the list's last. */
static void test_rthdr_types_0_and_2(void **state)
{
	static const struct {
		const char *header, *addrs[3], *want;
		size_t n;
		uint8_t type, left, verdict;
	} cases[] = {
		/* header DE; left: US, then DE (final) */
		{ "2001:db8:1::8", { "2001:db8:3::5", "2001:db8:2::7", "2001:db8:1::9" },
		  "2001:db8:2::7", 3, 0, 2, EA_VERDICT_FLAGGED },
		/* the CN address first on the list is visited: every one left is allowed */
		{ "2001:db8:1::8", { "2001:db8:3::5", "2001:db8:1::a", "2001:db8:1::9" },
		  "2001:db8:1::9", 3, 0, 2, EA_VERDICT_ALLOWED },
		/* type 2 (a mobile node's home address): the one address, final */
		{ "2001:db8:1::8", { "2001:db8:3::5" }, "2001:db8:3::5", 1, 2, 1,
		  EA_VERDICT_FLAGGED },
	};
	struct fixture *f = *state;
	uint8_t pkt[512], ext[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t elen = rthdr(ext, cases[i].type, cases[i].addrs, cases[i].n,
				    cases[i].left);

		run(f, pkt, frame6_ext(pkt, cases[i].header, 43, ext, elen, 53, 10), 0);
		flow_to(f, cases[i].want, cases[i].verdict, true);
		reset(state);
	}
}

/*
 * RPL routes (type 3): each address is what it carries after the bytes it
 * shares with the header's destination, whatever the two compressions;
 * the first one left that may not be reached decides, else the final one.
 */
static void test_rpl_route(void **state)
{
	static const struct {
		const char *addrs[3], *want;
		size_t n;
		uint8_t left, cmpri, cmpre, verdict;
	} cases[] = {
		/* header DE (2001:db8:1::8): US (5 bytes shared), then DE ::9 (15 shared) */
		{ { "2001:db8:2::7", "2001:db8:1::9" }, "2001:db8:2::7", 2, 2, 5, 15,
		  EA_VERDICT_FLAGGED },
		/* the US hop visited: the final DE address, one byte carried */
		{ { "2001:db8:2::7", "2001:db8:1::9" }, "2001:db8:1::9", 2, 1, 5, 15,
		  EA_VERDICT_ALLOWED },
		/* an allowed hop of one byte, then a whole CN address */
		{ { "2001:db8:1::a", "2001:db8:3::5" }, "2001:db8:3::5", 2, 2, 15, 0,
		  EA_VERDICT_FLAGGED },
		/* three allowed addresses, none compressed */
		{ { "2001:db8:1::a", "2001:db8:1:2::b", "2001:db8:1:3::c" }, "2001:db8:1:3::c",
		  3, 3, 0, 0, EA_VERDICT_ALLOWED },
		/* a CN hop sharing only the first byte, behind an allowed one */
		{ { "2001:db8:1::a", "2001:db8:3::4", "2001:db8:1::9" }, "2001:db8:3::4", 3, 3,
		  1, 14, EA_VERDICT_FLAGGED },
		/* a JP hop (adequacy) is allowed: the final one */
		{ { "2001:db8:1::a", "2001:db8:4::4", "2001:db8:1::9" }, "2001:db8:1::9", 3, 3,
		  1, 14, EA_VERDICT_ALLOWED },
	};
	struct fixture *f = *state;
	uint64_t routed = counter(f, EA_CNT_ROUTED);
	uint8_t pkt[512], ext[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t elen = rpl(ext, cases[i].addrs, cases[i].n, cases[i].left,
				  cases[i].cmpri, cases[i].cmpre);
		struct ea_flow fl;

		run(f, pkt, frame6_ext(pkt, "2001:db8:1::8", 43, ext, elen, 53, 10), 0);
		fl = flow_to(f, cases[i].want, cases[i].verdict, true);
		assert_int_equal(fl.dport, 53);
		assert_int_equal(fl.bytes, 40 + elen + 8 + 10);
		assert_int_equal(counter(f, EA_CNT_ROUTED), ++routed);
		reset(state);
		routed = counter(f, EA_CNT_ROUTED);
	}
}

/*
 * An RPL header whose lengths do not add up (the kernel would refuse to
 * forward it), or with more segments left than addresses, is no route:
 * the header's destination, still counted.
 */
static void test_rpl_malformed_not_a_route(void **state)
{
	const char *addrs[] = { "2001:db8:2::7", "2001:db8:1::9" };
	struct fixture *f = *state;
	uint64_t bad = counter(f, EA_CNT_BAD_PACKET), routed = counter(f, EA_CNT_ROUTED);
	uint8_t pkt[512], ext[128];
	size_t elen;

	elen = rpl(ext, addrs, 2, 2, 5, 15);
	ext[5] = 3 << 4;		/* a Pad that leaves a part of an address */
	run(f, pkt, frame6_ext(pkt, "2001:db8:1::8", 43, ext, elen, 53, 10), 0);
	flow_to(f, "2001:db8:1::8", EA_VERDICT_ALLOWED, false);
	reset(state);

	elen = rpl(ext, addrs, 2, 3, 5, 15);	/* three left of two */
	run(f, pkt, frame6_ext(pkt, "2001:db8:1::8", 43, ext, elen, 53, 10), 0);
	flow_to(f, "2001:db8:1::8", EA_VERDICT_ALLOWED, false);
	assert_int_equal(counter(f, EA_CNT_BAD_PACKET), bad);
	assert_int_equal(counter(f, EA_CNT_ROUTED), routed);
}

/*
 * A frame's own ethertype decides, past VLAN tags (802.1Q, and 802.1ad
 * before it): a packet socket's tagged frame is a flow to its IP
 * destination, its bytes from the IP header on.
 */
static void test_vlan_frames(void **state)
{
	struct fixture *f = *state;
	uint8_t pkt[256], tagged[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 30);
	struct ea_flow fl;

	for (int tags = 1; tags <= 2; tags++) {
		size_t n = 12;

		memcpy(tagged, pkt, 12);
		for (int i = 0; i < tags; i++) {
			/* the outer tag 802.1ad when there are two */
			tagged[n] = i + 1 < tags ? 0x88 : 0x81;
			tagged[n + 1] = i + 1 < tags ? 0xa8 : 0x00;
			tagged[n + 2] = 0x00, tagged[n + 3] = (uint8_t)(10 + i);
			n += 4;
		}
		memcpy(tagged + n, pkt + 12, len - 12);
		run(f, tagged, len + n - 12, 0);
		fl = flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, false);
		assert_int_equal(fl.dport, 5353);
		assert_int_equal(fl.bytes, 20 + 8 + 30);
		reset(state);
	}
}

/* A reload re-classifies a device flow at its next packet. */
static void test_device_flow_reload(void **state)
{
	static const char own[] = "[policy]\nown_cidr = 198.51.100.0/24\n";
	struct fixture *f = *state;
	struct ea_geo_maps m = EA_GEO_MAPS_OF(f->skel);
	struct ea_err err = { { 0 } };
	struct ea_dev_flow_key key;
	struct ea_geo_table t2;
	struct ea_config c2;
	uint8_t pkt[256];
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 30);
	struct ea_flow fl;

	if (ea_test_config_parse("own.ini", own, &c2, &err) ||
	    ea_geo_table_build(&c2, &t2, &err))
		fail_msg("%s", err.msg);
	run(f, pkt, len, 0);
	fl = flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, false);
	assert_int_equal(fl.zone, EA_ZONE_ADEQUACY_PARTIAL);
	assert_int_equal(ea_geo_maps_fill(&m, &t2, 1), 0);
	f->skel->bss->cfg.geo_bank = 1;
	f->skel->bss->cfg.policy_gen = 2;
	run(f, pkt, len, 0);
	fl = only_flow(f, &key);
	assert_int_equal(fl.zone, EA_ZONE_OWN);
	assert_true(fl.result >= EA_MAX_RESULTS);	/* a result of bank 1 */
	f->skel->bss->cfg.geo_bank = 0;
	f->skel->bss->cfg.policy_gen = 1;
	ea_geo_table_free(&t2);
	ea_config_free(&c2);
}

/* IPv4 loose source routes: the same, the final destination last. */
static void test_lsrr(void **state)
{
	struct fixture *f = *state;
	const char *to_us[] = { "198.51.100.7" }, *to_de[] = { "192.0.2.9" };
	const char *visited[] = { "203.0.113.5", "192.0.2.9" };
	uint8_t pkt[256], opts[40];
	struct ea_flow fl;
	size_t olen;

	olen = lsrr(opts, to_us, 1, 4);
	run(f, pkt, frame4_opts(pkt, "192.0.2.2", opts, olen, 5353, 30), 0);
	fl = flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, true);
	assert_int_equal(fl.dport, 5353);
	assert_int_equal(fl.bytes, 20 + olen + 8 + 30);
	reset(state);

	olen = lsrr(opts, to_de, 1, 4);
	run(f, pkt, frame4_opts(pkt, "198.51.100.7", opts, olen, 5353, 30), 0);
	flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, true);
	reset(state);

	/* the pointer is past the CN hop: visited, only the final one is left */
	olen = lsrr(opts, visited, 2, 8);
	run(f, pkt, frame4_opts(pkt, "192.0.2.2", opts, olen, 5353, 30), 0);
	flow_to(f, "192.0.2.9", EA_VERDICT_ALLOWED, true);
}

/* The socket-level program reads routes too: the datagram's flow is the final destination's. */
static void test_socket_lsrr_final_destination(void **state)
{
	struct fixture *f = *state;
	const char *to_us[] = { "198.51.100.7" };
	uint8_t pkt[256], opts[40], want[16];
	size_t olen = lsrr(opts, to_us, 1, 4);
	size_t len = frame4_opts(pkt, "192.0.2.2", opts, olen, 5353, 30);
	LIBBPF_OPTS(bpf_test_run_opts, run_opts, .data_in = pkt, .data_size_in = len,
		    .repeat = 1);
	ea_addr_t us;

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.egress),
						&run_opts), 0);
	assert_int_equal(run_opts.retval, 1);
	ring_buffer__consume(f->rb);
	assert_int_equal(f->nevents, 1);
	assert_int_equal(ea_addr_parse("198.51.100.7", &us), 0);
	ea_addr_to_bytes(us, want);
	assert_memory_equal(f->events[0].dst, want, 16);
	assert_int_equal(f->events[0].verdict, EA_VERDICT_FLAGGED);
	assert_true(f->events[0].flags & EA_FLOW_ROUTED);
	assert_int_equal(f->events[0].origin, EA_ORIGIN_SOCKET);
	assert_int_equal(f->events[0].dport, 5353);
	assert_int_equal(f->events[0].bytes, 20 + olen + 8 + 30);
}

/*
 * A header cut short behind a sound IP header (a transport header, an
 * extension header whose length runs past the packet): the packet still
 * makes a flow to its destination, without ports, and is no bad packet.
 */
static void test_cut_short_still_a_flow(void **state)
{
	struct fixture *f = *state;
	uint64_t bad = counter(f, EA_CNT_BAD_PACKET);
	uint8_t pkt[256], ext[8] = { 17, 30 };	/* hop-by-hop of 248 bytes, then UDP */
	struct ea_flow fl;
	size_t len = frame4(pkt, "198.51.100.7", 17, 5353, 0);

	pkt[17] = 22;				/* 20 + 2 bytes: no whole UDP header */
	run(f, pkt, ETH_HLEN + 22, 0);
	fl = flow_to(f, "198.51.100.7", EA_VERDICT_FLAGGED, false);
	assert_int_equal(fl.dport, 0);
	assert_int_equal(fl.ip_proto, 17);
	reset(state);

	len = frame6_ext(pkt, "2001:db8:3::5", 0, ext, sizeof(ext), 53, 0);
	run(f, pkt, len, 0);
	fl = flow_to(f, "2001:db8:3::5", EA_VERDICT_FLAGGED, false);
	assert_int_equal(fl.dport, 0);
	assert_int_equal(counter(f, EA_CNT_BAD_PACKET), bad);
}

/* A malformed option is not a route: the header's destination, still counted. */
static void test_malformed_option_not_a_route(void **state)
{
	struct fixture *f = *state;
	const char *to_us[] = { "198.51.100.7" };
	uint64_t bad = counter(f, EA_CNT_BAD_PACKET), routed = counter(f, EA_CNT_ROUTED);
	uint8_t pkt[256], opts[40];
	size_t olen = lsrr(opts, to_us, 1, 4);

	opts[2] = 40;			/* longer than the options */
	run(f, pkt, frame4_opts(pkt, "192.0.2.2", opts, olen, 5353, 30), 0);
	flow_to(f, "192.0.2.2", EA_VERDICT_ALLOWED, false);
	assert_int_equal(counter(f, EA_CNT_BAD_PACKET), bad);
	assert_int_equal(counter(f, EA_CNT_ROUTED), routed);
}

/*
 * The agent's sweep of tcp_socks (program sweep_slots, bpf/egress.bpf.c),
 * on slots crafted as the datapath leaves them, through four sweeps.
 */
#define SWEEP_NETNS	1		/* a namespace the sweeps look in */
#define OTHER_NETNS	2		/* one they cannot enter */

enum {	/* the slots, by cookie */
	ALIVE = 101,		/* found by every sweep */
	GONE,			/* found by none: ended at its second miss, freed at the next */
	BACK,			/* found and missed in turn: never two misses in a row */
	ELSEWHERE,		/* in a namespace not looked in */
	YOUNG,			/* taken in sweep 2: judged from sweep 4 on */
	ENDED,			/* ended by the datapath: left to its file's release */
	CLAIMED,		/* being ended by the datapath right now: not ended twice */
	UNSTARTED,		/* a connect() that failed before its SYN */
	TAKEN_BACK,		/* ended and swept, being freed by a connect() again */
};

static int slot_keys(struct fixture *f)
{
	return bpf_map__fd(f->skel->maps.tcp_sock_keys);
}

static void put_slot(struct fixture *f, uint64_t cookie, uint64_t netns, uint32_t born)
{
	struct ea_sock_state s = ea_test_flagged_slot(cookie);

	s.netns = netns;
	s.born_gen = born;
	s.flow.start_ns = cookie == UNSTARTED ? 0 : 1000;
	s.flow.sport = (uint16_t)cookie;
	s.ended = cookie == ENDED || cookie == TAKEN_BACK;
	s.slot_marks = cookie == CLAIMED ? EA_SLOT_ENDING :
		       cookie == TAKEN_BACK ? EA_SLOT_ENDING | EA_SLOT_SWEPT | EA_SLOT_FREEING : 0;
	assert_int_equal(ea_tcp_slot_put(slot_keys(f), bpf_map__fd(f->skel->maps.tcp_socks),
					 cookie, &s), 0);
}

static bool get_slot(struct fixture *f, uint64_t cookie, struct ea_sock_state *s)
{
	return !ea_tcp_slot_get(slot_keys(f), bpf_map__fd(f->skel->maps.tcp_socks), cookie, s);
}

/* A step of program sweep_slots. */
static struct ea_sweep_args sweep_step(struct fixture *f, enum ea_sweep_step step)
{
	struct ea_sweep_args args = { .step = step, 99, 99, 99, 99 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.sweep_slots),
						&run), 0);
	return args;
}

/*
 * One sweep, gen, as the agent runs it: the namespaces of the old slots
 * noted (SWEEP_NETNS, and OTHER_NETNS, which it cannot enter), the
 * sockets of SWEEP_NETNS found by tcp_alive marked, then the judgement;
 * what it did, its events in f.
 */
static struct ea_sweep_args sweep(struct fixture *f, uint32_t gen, const uint64_t *alive,
				  size_t nalive)
{
	struct ea_sweep_netns ns, found = { gen, gen };
	struct ea_sweep_args args;
	uint64_t netns[] = { SWEEP_NETNS, OTHER_NETNS };
	struct ea_sock_state s;

	f->skel->bss->sweep_gen = gen;
	args = sweep_step(f, EA_SWEEP_COLLECT);
	assert_int_equal(args.namespaces, 2);
	assert_int_equal(args.netns_full + args.swept + args.freed, 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.sweep_netns),
						     &netns[i], &ns), 0);
		assert_int_equal(ns.wanted_gen, gen);
	}
	for (size_t i = 0; i < nalive; i++) {
		assert_true(get_slot(f, alive[i], &s));
		s.alive_gen = gen;
		assert_int_equal(ea_tcp_slot_set(slot_keys(f), bpf_map__fd(f->skel->maps.tcp_socks),
						 alive[i], &s), 0);
	}
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.sweep_netns), &netns[0],
					     &found, BPF_EXIST), 0);
	f->nevents = 0;
	args = sweep_step(f, EA_SWEEP_JUDGE);
	ring_buffer__consume(f->rb);
	return args;
}

/* The sweep's one event: the flow_end of the slot with cookie, with its last counts. */
static void assert_swept(struct fixture *f, uint64_t cookie)
{
	struct ea_sock_state s;

	assert_int_equal(f->nevents, 1);
	assert_int_equal(f->events[0].type, EA_EV_FLOW_END);
	assert_int_equal(f->events[0].cookie, cookie);
	assert_int_equal(f->events[0].sport, (uint16_t)cookie);
	assert_int_equal(f->events[0].verdict, EA_VERDICT_FLAGGED);
	assert_int_equal(f->events[0].packets, 3);
	assert_int_equal(f->events[0].bytes, 160);
	assert_int_equal(f->events[0].start_ns, 1000);
	assert_true(get_slot(f, cookie, &s));
	assert_true(s.ended);
	assert_int_equal(s.slot_marks, EA_SLOT_ENDING | EA_SLOT_SWEPT);
}

static void test_sweep_ends_gone_slots_once(void **state)
{
	struct fixture *f = *state;
	const uint64_t both[] = { ALIVE, BACK }, one[] = { ALIVE };
	uint64_t all[] = { ALIVE, GONE, BACK, ELSEWHERE, YOUNG, ENDED, CLAIMED, UNSTARTED,
			   TAKEN_BACK };
	struct ea_sweep_args did;
	struct ea_sock_state s;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		put_slot(f, all[i], all[i] == ELSEWHERE ? OTHER_NETNS : SWEEP_NETNS,
			 all[i] == YOUNG ? 2 : 0);

	did = sweep(f, 2, both, 2);		/* first misses: GONE, CLAIMED */
	assert_int_equal(did.swept, 0);
	assert_int_equal(did.freed, 0);
	assert_int_equal(f->nevents, 0);

	did = sweep(f, 3, one, 1);		/* second: GONE ends, CLAIMED is the datapath's */
	assert_int_equal(did.swept, 1);
	assert_int_equal(did.freed, 0);
	assert_swept(f, GONE);
	assert_true(get_slot(f, CLAIMED, &s));
	assert_false(s.ended);
	assert_int_equal(s.slot_marks, EA_SLOT_ENDING);

	did = sweep(f, 4, both, 2);		/* GONE freed; YOUNG's first miss */
	assert_int_equal(did.swept, 0);
	assert_int_equal(did.freed, 1);
	assert_int_equal(f->nevents, 0);
	assert_false(get_slot(f, GONE, &s));

	did = sweep(f, 5, one, 1);		/* YOUNG's second miss; BACK's first again */
	assert_int_equal(did.swept, 1);
	assert_int_equal(did.freed, 0);
	assert_swept(f, YOUNG);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i] == GONE || all[i] == YOUNG)
			continue;
		assert_true(get_slot(f, all[i], &s));
		assert_int_equal(s.ended, all[i] == ENDED || all[i] == TAKEN_BACK);
		assert_int_equal(!!(s.slot_marks & EA_SLOT_SWEPT), all[i] == TAKEN_BACK);
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ea_tcp_slot_drop(slot_keys(f), all[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flagged_udp4_counted_and_reported, reset),
		cmocka_unit_test_setup(test_flood_limit, reset),
		cmocka_unit_test_setup(test_allowed_flow_silent_but_aggregated, reset),
		cmocka_unit_test_setup(test_ipv6_flow, reset),
		cmocka_unit_test_setup(test_gso_counts_segments, reset),
		cmocka_unit_test_setup(test_fragment, reset),
		cmocka_unit_test_setup(test_malformed_makes_no_flow, reset),
		cmocka_unit_test_setup(test_socket_udp4_every_packet_counted, reset),
		cmocka_unit_test_setup(test_socket_udp6_every_packet_counted, reset),
		cmocka_unit_test_setup(test_socket_udp4_options_counted, reset),
		cmocka_unit_test_setup(test_ipv6_extension_headers, reset),
		cmocka_unit_test_setup(test_ipv4_ah, reset),
		cmocka_unit_test_setup(test_srh_final_destination, reset),
		cmocka_unit_test_setup(test_srh_flagged_hop_decides, reset),
		cmocka_unit_test_setup(test_rthdr_types_0_and_2, reset),
		cmocka_unit_test_setup(test_rpl_route, reset),
		cmocka_unit_test_setup(test_rpl_malformed_not_a_route, reset),
		cmocka_unit_test_setup(test_vlan_frames, reset),
		cmocka_unit_test_setup(test_device_flow_reload, reset),
		cmocka_unit_test_setup(test_lsrr, reset),
		cmocka_unit_test_setup(test_socket_lsrr_final_destination, reset),
		cmocka_unit_test_setup(test_malformed_option_not_a_route, reset),
		cmocka_unit_test_setup(test_cut_short_still_a_flow, reset),
		cmocka_unit_test_setup(test_sweep_ends_gone_slots_once, reset),
	};

	int failed = cmocka_run_group_tests_name("headers read directly", tests,
						 setup_direct, teardown);

	return failed + cmocka_run_group_tests_name("headers read by helper", tests,
						    setup_helper, teardown);
}
