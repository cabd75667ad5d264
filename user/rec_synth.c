// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Synthetic records from a seed (rec_synth.h). */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "rec_synth.h"

static const struct {
	const char cc[3];
	uint8_t zone;
} dests[] = {
	{ "DE", EA_ZONE_EU }, { "FR", EA_ZONE_EU }, { "IE", EA_ZONE_EU },
	{ "NO", EA_ZONE_EEA }, { "JP", EA_ZONE_ADEQUACY }, { "GB", EA_ZONE_ADEQUACY },
	{ "US", EA_ZONE_ADEQUACY_PARTIAL }, { "CN", EA_ZONE_THIRD }, { "RU", EA_ZONE_THIRD },
	{ "", EA_ZONE_UNKNOWN }, { "", EA_ZONE_INTERNAL },
};

static const char *const comms[] = {
	"curl", "python3", "java", "nginx", "rsync", "postgres",
	"evil\"<b>&'x", "a,b;c=d", "tab\there", "\xc3\xa9t\xc3\xa9",
};

static const char *const labels[] = { "", "", "", "pii", "finance", "pii,finance" };

static const char *const cgroups[] = {
	"/system.slice/crm.service", "/system.slice/billing.service",
	"/user.slice/user-1000.slice/session-3.scope", "",
};

/* xorshift64*: fast and good enough to pick from tables. */
static uint64_t rnd(struct ea_synth *s)
{
	s->state ^= s->state >> 12;
	s->state ^= s->state << 25;
	s->state ^= s->state >> 27;
	return s->state * 0x2545f4914f6cdd1dull;
}

void ea_synth_init(struct ea_synth *s, uint64_t seed, const char *host, int64_t start_ns,
		   struct ea_rec *r)
{
	memset(s, 0, sizeof(*s));
	s->state = seed * 0x9e3779b97f4a7c15ull + 1;
	s->ts_ns = start_ns;
	s->agent_every = 50;
	snprintf(s->host, sizeof(s->host), "%s", host);
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
}

/* A destination address in the zone: IPv4 (as mapped) or IPv6. */
static void dest_addr(struct ea_synth *s, struct ea_rec *r, uint64_t x)
{
	memset(r->dst, 0, 16);
	if (x & 1) {
		r->dst[10] = r->dst[11] = 0xff;
		r->dst[12] = r->zone == EA_ZONE_INTERNAL ? 10 : (uint8_t)(20 + (x >> 8) % 200);
		r->dst[13] = (uint8_t)(x >> 16);
		r->dst[14] = (uint8_t)(x >> 24) & 3;
		r->dst[15] = (uint8_t)(x >> 32);
		r->family = 4;
	} else {
		r->dst[0] = 0x2a;
		r->dst[1] = (uint8_t)(x >> 8);
		r->dst[15] = (uint8_t)(x >> 16);
		r->family = 6;
	}
	memset(r->src, 0, 16);
	r->src[10] = r->src[11] = 0xff;
	r->src[12] = 192;
	r->src[13] = 168;
	r->src[15] = (uint8_t)(1 + (x >> 40) % 4);
}

static void flow(struct ea_synth *s, struct ea_rec *r, uint64_t x)
{
	uint64_t y = rnd(s);
	unsigned int d = (unsigned int)(x % (sizeof(dests) / sizeof(dests[0])));

	r->kind = EA_REC_FLOW_START + (uint32_t)((x >> 4) % 3);
	r->zone = dests[d].zone;
	r->country = dests[d].cc[0] ? ea_cc_pack(dests[d].cc) : 0;
	r->verdict = r->zone == EA_ZONE_THIRD || r->zone == EA_ZONE_UNKNOWN ||
		     r->zone == EA_ZONE_ADEQUACY_PARTIAL ? EA_VERDICT_FLAGGED : EA_VERDICT_ALLOWED;
	if (r->verdict == EA_VERDICT_FLAGGED && (y & 15) == 0)
		r->verdict = EA_VERDICT_BLOCKED;
	r->proto = (y >> 4) % 5 ? EA_PROTO_TCP : EA_PROTO_UDP;
	r->ip_proto = r->proto == EA_PROTO_TCP ? 6 : 17;
	r->origin = EA_ORIGIN_SOCKET;
	dest_addr(s, r, y);
	r->sport = (uint16_t)(32768 + (y >> 12) % 28000);
	r->dport = (const uint16_t[]){ 443, 443, 80, 53, 5432, 22, 8443, 25 }[(y >> 28) % 8];
	r->pid = (uint32_t)(1000 + (x >> 20) % 40);
	r->tid = r->pid + (uint32_t)((y >> 36) % 3);
	r->uid = (const uint32_t[]){ 0, 33, 1000, 1001 }[r->pid % 4];
	r->gid = r->uid;
	r->cgroup_id = 4000 + r->pid % 4;
	r->cookie = (x >> 8) & 0xffffff;
	r->start_ns = s->ts_ns - (int64_t)((y >> 40) % 60000000000ull);
	r->bytes = r->kind == EA_REC_FLOW_START ? 0 : (y >> 20) % 5000000;
	r->packets = r->bytes / 1400 + (r->kind != EA_REC_FLOW_START);
	snprintf(r->comm, sizeof(r->comm), "%s", comms[r->pid % 10]);
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", cgroups[r->pid % 4]);
	snprintf(r->labels, sizeof(r->labels), "%s", labels[(x >> 32) % 6]);
	r->evidence[0] = '\0';
	r->count = 0;
	r->what[0] = r->detail[0] = '\0';
}

/* A lost or heartbeat record: no flow fields. */
static void agent(struct ea_synth *s, struct ea_rec *r, uint64_t x)
{
	memset(&r->verdict, 0, offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict));
	r->comm[0] = r->cgroup[0] = r->labels[0] = r->evidence[0] = '\0';
	r->what[0] = r->detail[0] = '\0';
	r->count = 0;
	if (x & 1) {
		r->kind = EA_REC_LOST;
		r->count = 1 + (x >> 8) % 100;
		snprintf(r->what, sizeof(r->what), "flow_end");
	} else {
		r->kind = EA_REC_HEARTBEAT;
		snprintf(r->detail, sizeof(r->detail), "{\"counters\":{\"lost_flow_end\":%llu}}",
			 (unsigned long long)((x >> 8) % 1000));
	}
}

void ea_synth_next(struct ea_synth *s, struct ea_rec *r)
{
	uint64_t x = rnd(s);

	s->ts_ns += (int64_t)((x >> 48) % 2000000);
	r->ts_ns = s->ts_ns - ((x & 0xf) == 0 ? 1000 : 0);
	if (s->agent_every && (x >> 16) % s->agent_every == 0)
		agent(s, r, x);
	else
		flow(s, r, x);
}
