// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the Community ID (user/community_id.c): the published
 * vectors of the specification (as Zeek's own tests hold them), both
 * directions of a flow, and what a flow record must hold for its ID.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "community_id.h"

#define RSVP	46

struct vector {
	const char *src, *dst;
	uint8_t proto;
	bool ports;
	uint16_t sport, dport, seed;
	const char *id;
};

static const struct vector vectors[] = {
	{ "1.2.3.4", "5.6.7.8", IPPROTO_TCP, true, 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ "1.2.3.4", "5.6.7.8", IPPROTO_UDP, true, 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	/* ICMP: type and counterpart in the ports (echo 8, reply 0) */
	{ "1.2.3.4", "5.6.7.8", IPPROTO_ICMP, true, 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ "fe80:1:203:405:607:809:a0b:c0d", "fe80:1011:1213:1415:1617:1819:1a1b:1c1d",
	  IPPROTO_ICMPV6, true, 128, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ "1.2.3.4", "5.6.7.8", IPPROTO_TCP, true, 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ "1.2.3.4", "5.6.7.8", IPPROTO_UDP, true, 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ "1.2.3.4", "5.6.7.8", IPPROTO_ICMP, true, 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ "fe80:1:203:405:607:809:a0b:c0d", "fe80:1011:1213:1415:1617:1819:1a1b:1c1d",
	  IPPROTO_ICMPV6, true, 128, 129, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	/* a protocol without ports */
	{ "1.2.3.4", "5.6.7.8", RSVP, false, 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=" },
};

static unsigned int addr(const char *text, uint8_t *out)
{
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
	return 16;
}

/* Each vector, and its reverse direction, which must give the same ID. */
static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t s[16], d[16];
		char id[EA_COMMUNITY_ID_LEN], back[EA_COMMUNITY_ID_LEN];
		unsigned int len = addr(v->src, s);

		assert_int_equal(addr(v->dst, d), len);
		assert_true(ea_community_id_tuple(v->seed, s, d, len, v->proto, v->ports, v->sport,
						  v->dport, id));
		assert_string_equal(id, v->id);
		assert_true(ea_community_id_tuple(v->seed, d, s, len, v->proto, v->ports, v->dport,
						  v->sport, back));
		assert_string_equal(back, v->id);
	}
}

/* The same addresses: the ports decide the order. */
static void test_same_address(void **state)
{
	uint8_t a[16];
	char x[EA_COMMUNITY_ID_LEN], y[EA_COMMUNITY_ID_LEN];

	(void)state;
	addr("192.0.2.1", a);
	assert_true(ea_community_id_tuple(0, a, a, 4, IPPROTO_TCP, true, 40000, 443, x));
	assert_true(ea_community_id_tuple(0, a, a, 4, IPPROTO_TCP, true, 443, 40000, y));
	assert_string_equal(x, y);
	assert_true(ea_community_id_tuple(0, a, a, 4, IPPROTO_TCP, true, 40001, 443, y));
	assert_string_not_equal(x, y);
}

/* A TCP flow record, IPv4 as ::ffff:a.b.c.d, from the first vector's tuple. */
static void flow_rec(struct ea_rec *r)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_FLOW_START;
	r->family = 4;
	r->ip_proto = IPPROTO_TCP;
	memcpy(r->src, mapped, 12);
	memcpy(r->dst, mapped, 12);
	addr("1.2.3.4", r->src + 12);
	addr("5.6.7.8", r->dst + 12);
	r->sport = 1122;
	r->dport = 3344;
}

static void test_record(void **state)
{
	struct ea_rec *r = test_malloc(sizeof(*r));
	char id[EA_COMMUNITY_ID_LEN];

	(void)state;
	flow_rec(r);
	assert_true(ea_community_id(r, id));
	assert_string_equal(id, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	r->ip_proto = IPPROTO_UDP;
	assert_true(ea_community_id(r, id));
	assert_string_equal(id, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
	r->ip_proto = RSVP;	/* a raw socket's protocol: no ports hashed */
	assert_true(ea_community_id(r, id));
	assert_string_equal(id, "1:ikv3kmf89luf73WPz1jOs49S768=");

	/* IPv6: all 16 bytes */
	r->family = 6;
	r->ip_proto = IPPROTO_TCP;
	addr("2001:db8::1", r->src);
	addr("2001:db8::2", r->dst);
	assert_true(ea_community_id(r, id));
	assert_int_equal(strlen(id), EA_COMMUNITY_ID_LEN - 1);
	assert_string_not_equal(id, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	/* as Python's hashlib computes it from the specification */
	assert_string_equal(id, "1:dtKkTDNeFYoQ6mQ5GbF61t2D04c=");
	test_free(r);
}

/* What the record lacks, no ID: never one a sensor would not compute. */
static void test_record_without_id(void **state)
{
	struct ea_rec *r = test_malloc(sizeof(*r));
	char id[EA_COMMUNITY_ID_LEN];

	(void)state;
	flow_rec(r);
	r->sport = 0;	/* a datagram before its source port was chosen */
	assert_false(ea_community_id(r, id));
	flow_rec(r);
	memset(r->src + 12, 0, 4);	/* nor its source address */
	assert_false(ea_community_id(r, id));
	flow_rec(r);
	r->ip_proto = IPPROTO_ICMP;	/* type and code not in the record */
	assert_false(ea_community_id(r, id));
	r->ip_proto = IPPROTO_ICMPV6;
	assert_false(ea_community_id(r, id));
	r->ip_proto = IPPROTO_SCTP;
	assert_false(ea_community_id(r, id));
	r->ip_proto = 0;
	assert_false(ea_community_id(r, id));
	flow_rec(r);
	r->family = 6;	/* an IPv6 destination from an IPv4 source */
	addr("2001:db8::2", r->dst);
	assert_false(ea_community_id(r, id));
	flow_rec(r);
	r->kind = EA_REC_HEARTBEAT;
	assert_false(ea_community_id(r, id));
	test_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_same_address),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_record_without_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
