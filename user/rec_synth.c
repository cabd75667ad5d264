// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Synthetic records from a seed (rec_synth.h). */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "rec_synth.h"

#define DESTS		256	/* destination addresses */

static const struct {
	const char cc[3];
	uint8_t zone;
} countries[] = {
	{ "DE", EA_ZONE_EU }, { "FR", EA_ZONE_EU }, { "IE", EA_ZONE_EU },
	{ "NO", EA_ZONE_EEA }, { "JP", EA_ZONE_ADEQUACY }, { "GB", EA_ZONE_ADEQUACY },
	{ "US", EA_ZONE_ADEQUACY_PARTIAL }, { "CN", EA_ZONE_THIRD }, { "RU", EA_ZONE_THIRD },
	{ "", EA_ZONE_UNKNOWN }, { "", EA_ZONE_INTERNAL },
};

#define NCOUNTRIES	(sizeof(countries) / sizeof(countries[0]))

static const char *const comms[] = {
	"curl", "python3", "java", "nginx", "rsync", "postgres",
	"evil\"<b>&'x", "a,b;c=d", "tab\there", "\xc3\xa9t\xc3\xa9",
};

static const char *const labels[] = { "", "", "", "pii", "finance", "pii,finance" };

static const char *const cgroups[] = {
	"/system.slice/crm.service", "/system.slice/billing.service",
	"/user.slice/user-1000.slice/session-3.scope", "",
};

static const uint16_t dports[] = { 443, 443, 80, 53, 5432, 22, 8443, 25 };

/* s into a field of size max. */
static void put(char *field, size_t max, const char *s)
{
	size_t n = strnlen(s, max - 1);

	memcpy(field, s, n);
	field[n] = '\0';
}

/* xorshift64*: fast and good enough to pick from tables. */
static uint64_t rnd(struct ea_synth *s)
{
	s->state ^= s->state >> 12;
	s->state ^= s->state << 25;
	s->state ^= s->state >> 27;
	return s->state * 0x2545f4914f6cdd1dull;
}

/* A new flow in slot i: the next cookie, a process, a destination. */
static void open_flow(struct ea_synth *s, struct ea_synth_flow *f)
{
	uint64_t x = rnd(s);

	f->cookie = s->next_cookie++;
	f->start_ns = s->ts_ns;
	f->pid = (uint32_t)(1000 + x % 40);
	f->dest = (uint32_t)((f->pid * 7 + (x >> 8) % 24) % DESTS);
	f->sport = (uint16_t)(32768 + (x >> 16) % 28000);
	f->labels = (uint8_t)((x >> 32) % 6);
	f->udp = (x >> 40) % 5 == 0;
	f->bytes = 0;
}

void ea_synth_init(struct ea_synth *s, uint64_t seed, const char *host, int64_t start_ns,
		   struct ea_rec *r)
{
	memset(s, 0, sizeof(*s));
	s->state = seed * 0x9e3779b97f4a7c15ull + 1;
	s->ts_ns = start_ns;
	s->step_ns = 2000000;
	s->agent_every = 50;
	s->next_cookie = 4096 + (seed << 20);
	snprintf(s->host, sizeof(s->host), "%s", host);
	for (int i = 0; i < EA_SYNTH_FLOWS; i++)
		open_flow(s, &s->flows[i]);
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
}

/* Destination d: its country, zone and address (IPv4-mapped or IPv6). */
static void dest_addr(struct ea_rec *r, uint32_t d)
{
	unsigned int c = d % NCOUNTRIES;

	r->zone = countries[c].zone;
	r->country = countries[c].cc[0] ? ea_cc_pack(countries[c].cc) : 0;
	memset(r->dst, 0, 16);
	if (r->zone == EA_ZONE_INTERNAL || d % 3) {
		r->dst[10] = r->dst[11] = 0xff;
		r->dst[12] = r->zone == EA_ZONE_INTERNAL ? 10 : (uint8_t)(20 + c * 17);
		r->dst[13] = (uint8_t)(d * 13);
		r->dst[14] = (uint8_t)(d >> 4);
		r->dst[15] = (uint8_t)(d * 29 + 1);
		r->family = 4;
	} else {
		r->dst[0] = 0x2a;
		r->dst[1] = (uint8_t)(c * 16 + 1);
		r->dst[14] = (uint8_t)(d >> 8);
		r->dst[15] = (uint8_t)d;
		r->family = 6;
	}
	memset(r->src, 0, 16);
	r->src[10] = r->src[11] = 0xff;
	r->src[12] = 192;
	r->src[13] = 168;
	r->src[15] = 7;
}

/* The flow's fields into r (the kind and totals are set by the caller). */
static void flow_fields(struct ea_rec *r, const struct ea_synth_flow *f)
{
	dest_addr(r, f->dest);
	r->verdict = r->zone == EA_ZONE_THIRD || r->zone == EA_ZONE_UNKNOWN ||
		     r->zone == EA_ZONE_ADEQUACY_PARTIAL ? EA_VERDICT_FLAGGED : EA_VERDICT_ALLOWED;
	if (r->verdict == EA_VERDICT_FLAGGED && f->cookie % 16 == 0)
		r->verdict = EA_VERDICT_BLOCKED;
	r->proto = f->udp ? EA_PROTO_UDP : EA_PROTO_TCP;
	r->ip_proto = f->udp ? 17 : 6;
	r->origin = EA_ORIGIN_SOCKET;
	r->mapped = 0;
	r->sport = f->sport;
	r->dport = dports[f->dest % 8];
	r->pid = f->pid;
	r->tid = f->pid + (f->cookie % 3 == 0);
	r->uid = (const uint32_t[]){ 0, 33, 1000, 1001 }[f->pid % 4];
	r->gid = r->uid;
	r->ifindex = 0;
	r->cgroup_id = 4000 + f->pid % 4;
	r->cookie = f->cookie;
	r->start_ns = f->start_ns;
	put(r->comm, sizeof(r->comm), comms[f->pid % 10]);
	put(r->cgroup, sizeof(r->cgroup), cgroups[f->pid % 4]);
	put(r->labels, sizeof(r->labels), labels[f->labels]);
	r->evidence[0] = '\0';
	r->count = 0;
	r->what[0] = r->detail[0] = '\0';
}

/* A record of one of the open flows: start, update or end (then a new one). */
static void flow(struct ea_synth *s, struct ea_rec *r, uint64_t x)
{
	struct ea_synth_flow *f = &s->flows[(x >> 8) % EA_SYNTH_FLOWS];
	unsigned int step = (unsigned int)((x >> 20) % 4);

	if (!f->bytes) {
		r->kind = EA_REC_FLOW_START;
		f->bytes = 1 + (x >> 24) % 2000;
	} else {
		r->kind = step ? EA_REC_FLOW_UPDATE : EA_REC_FLOW_END;
		f->bytes += (x >> 24) % 300000;
	}
	flow_fields(r, f);
	r->bytes = r->kind == EA_REC_FLOW_START ? 0 : f->bytes;
	r->packets = r->bytes ? r->bytes / 1400 + 1 : 0;
	if (r->kind == EA_REC_FLOW_END)
		open_flow(s, f);
}

/* A lost or heartbeat record: no flow fields. */
static void agent(struct ea_rec *r, uint64_t x)
{
	memset(&r->verdict, 0, offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict));
	r->comm[0] = r->cgroup[0] = r->labels[0] = r->evidence[0] = '\0';
	r->what[0] = r->detail[0] = '\0';
	r->count = 0;
	if (x & 1) {
		r->kind = EA_REC_LOST;
		r->count = 1 + (x >> 8) % 100;
		put(r->what, sizeof(r->what), "flow_end");
	} else {
		r->kind = EA_REC_HEARTBEAT;
		snprintf(r->detail, sizeof(r->detail), "{\"counters\":{\"lost_flow_end\":%llu}}",
			 (unsigned long long)((x >> 8) % 1000));
	}
}

void ea_synth_next(struct ea_synth *s, struct ea_rec *r)
{
	uint64_t x = rnd(s);

	s->ts_ns += (int64_t)((x >> 44) % (s->step_ns ? s->step_ns : 1));
	r->ts_ns = s->ts_ns - ((x & 0xf) == 0 ? 1000 : 0);
	if (s->agent_every && (x >> 4) % s->agent_every == 0)
		agent(r, x);
	else
		flow(s, r, x);
}
