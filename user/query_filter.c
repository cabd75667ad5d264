// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Record filters of query and report: parsed from options, matched (query.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "community_id.h"
#include "config.h"
#include "query.h"
#include "record.h"
#include "timeparse.h"

enum filter_opt {
	OPT_SINCE, OPT_UNTIL, OPT_EVENT, OPT_VERDICT, OPT_COUNTRY, OPT_ZONE, OPT_LABEL,
	OPT_COMM, OPT_PID, OPT_UID, OPT_DST, OPT_DPORT, OPT_PROTO, OPT_HOST, OPT_COMMUNITY_ID,
};

static const char *const opt_names[EA_FILTER_NOPTS] = {
	"since", "until", "event", "verdict", "country", "zone", "label", "comm", "pid",
	"uid", "dst", "dport", "proto", "host", "community-id",
};

void ea_filter_options(struct option *out)
{
	size_t n = 0;

	for (int i = 0; i < EA_FILTER_NOPTS; i++)
		out[n++] = (struct option){ opt_names[i], required_argument, NULL,
					    EA_FILTER_OPT + i };
	out[n] = (struct option){ 0 };
}

/*
 * One item of a list into buf (NUL-terminated), advancing *s past a comma;
 * NULL after the last. An item too long for buf is cut and ends in "...",
 * which no lookup takes, so that an error can show what was given.
 */
static const char *next_item(const char **s, char *buf, size_t len)
{
	size_t n = strcspn(*s, ",");

	if (!**s && !n)
		return NULL;
	if (n < len)
		snprintf(buf, len, "%.*s", (int)n, *s);
	else
		snprintf(buf, len, "%.*s...", (int)(len - 4), *s);
	*s += n + ((*s)[n] == ',');
	return buf;
}

/*
 * Whether the value of a list option has an empty item: nothing at all, or
 * a comma first, last or twice. Names (label, host, community-id) say so
 * themselves; a comm may hold anything, commas too.
 */
static bool empty_list_item(int opt, const char *v)
{
	switch (opt) {
	case OPT_EVENT:
	case OPT_VERDICT:
	case OPT_COUNTRY:
	case OPT_ZONE:
	case OPT_PID:
	case OPT_UID:
	case OPT_DST:
	case OPT_DPORT:
	case OPT_PROTO:
		return !*v || *v == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,");
	}
	return false;
}

static int bad(struct ea_err *err, int opt, const char *item, const char *problem)
{
	ea_err_set(err, "--%s '%s': %s", opt_names[opt], item, problem);
	return -EINVAL;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* A bit set option: each item's bit from lookup (-1: unknown). */
static int add_bits(uint32_t *bits, int opt, const char *v, int (*lookup)(const char *),
		    const char *problem, struct ea_err *err)
{
	char item[64];
	const char *it;

	while ((it = next_item(&v, item, sizeof(item)))) {
		int b = it[0] ? lookup(it) : -1;

		if (b < 0 || b >= 32)
			return bad(err, opt, it, problem);
		*bits |= 1u << b;
	}
	return 0;
}

static int verdict_lookup(const char *s)
{
	for (int v = 0; v < EA_VERDICT_MAX; v++)
		if (!strcmp(s, ea_verdict_name((uint32_t)v)))
			return v;
	return -1;
}

static int proto_lookup(const char *s)
{
	for (int p = EA_PROTO_OTHER; p <= EA_PROTO_PACKET; p++)
		if (!strcmp(s, ea_proto_name((uint32_t)p)))
			return p;
	return -1;
}

/* --event also takes "flow" for the three flow kinds. */
static int add_events(struct ea_filter *f, const char *v, struct ea_err *err)
{
	char item[64];
	const char *it;

	while ((it = next_item(&v, item, sizeof(item)))) {
		int k = strcmp(it, "flow") ? ea_rec_kind_parse(it) : 0;

		if (k < 0)
			return bad(err, OPT_EVENT, it, "not an event (flow_start, flow_update, "
				   "flow_end, flow, lost, agent_start, agent_stop, heartbeat, "
				   "config, checkpoint, repair, gap, retention, tamper)");
		f->kinds |= k ? 1u << k : 1u << EA_REC_FLOW_START | 1u << EA_REC_FLOW_UPDATE |
					  1u << EA_REC_FLOW_END;
	}
	return 0;
}

/* --country CC,...: two letters (either case) or "--" for none. */
static int add_countries(struct ea_filter *f, const char *v, struct ea_err *err)
{
	char item[32], cc[3];
	const char *it;

	while ((it = next_item(&v, item, sizeof(item)))) {
		if (f->ncountries == EA_FILTER_MAX)
			return bad(err, OPT_COUNTRY, it, "too many values");
		if (!strcmp(it, "--")) {
			f->countries[f->ncountries++] = 0;
			continue;
		}
		if (strlen(it) != 2)
			return bad(err, OPT_COUNTRY, it, "not a country code (two letters, or --)");
		cc[0] = (char)(it[0] & ~0x20);
		cc[1] = (char)(it[1] & ~0x20);
		cc[2] = '\0';
		if (!ea_cc_valid(cc))
			return bad(err, OPT_COUNTRY, it, "not a country code (two letters, or --)");
		if (ea_cc_iso_alias(ea_cc_pack(cc))) {
			char why[48];

			snprintf(why, sizeof(why), "not an ISO 3166 code; write '%s'",
				 ea_cc_iso_alias(ea_cc_pack(cc)));
			return bad(err, OPT_COUNTRY, it, why);
		}
		f->countries[f->ncountries++] = ea_cc_pack(cc);
	}
	return 0;
}

/* --pid, --uid: decimal numbers. */
static int add_u32s(uint32_t *vals, size_t *n, int opt, const char *v, struct ea_err *err)
{
	char item[32];
	const char *it;

	while ((it = next_item(&v, item, sizeof(item)))) {
		if (*n == EA_FILTER_MAX)
			return bad(err, opt, it, "too many values");
		if (parse_u32(it, &vals[*n]))
			return bad(err, opt, it, "not a number (0 to 4294967295)");
		(*n)++;
	}
	return 0;
}

/* --dst: addresses or CIDRs, IPv4 or IPv6. */
static int add_dsts(struct ea_filter *f, const char *v, struct ea_err *err)
{
	char item[EA_CIDR_STRLEN + 1];
	const char *it;

	while ((it = next_item(&v, item, sizeof(item)))) {
		if (f->ndsts == EA_FILTER_MAX)
			return bad(err, OPT_DST, it, "too many values");
		if (ea_cidr_parse(it, &f->dsts[f->ndsts]))
			return bad(err, OPT_DST, it, "not an address or CIDR with host bits clear");
		f->ndsts++;
	}
	return 0;
}

/* --dport: N or N-M. */
static int add_ports(struct ea_filter *f, const char *v, struct ea_err *err)
{
	char item[32], lo_s[32], *dash;
	const char *it;
	uint32_t lo, hi;

	while ((it = next_item(&v, item, sizeof(item)))) {
		if (f->ndports == EA_FILTER_MAX)
			return bad(err, OPT_DPORT, it, "too many values");
		snprintf(lo_s, sizeof(lo_s), "%s", it);
		dash = strchr(lo_s, '-');
		if (dash)
			*dash = '\0';
		if (parse_u32(lo_s, &lo) || (dash && parse_u32(dash + 1, &hi)))
			return bad(err, OPT_DPORT, it, "not a port or a range N-M");
		if (!dash)
			hi = lo;
		if (lo > hi || hi > 65535)
			return bad(err, OPT_DPORT, it, "port out of range 0..65535 or range reversed");
		f->dports[f->ndports++] = (struct ea_port_range){ (uint16_t)lo, (uint16_t)hi };
	}
	return 0;
}

/* --label, --host: names, split at commas (pointing into a copy kept by f). */
static int add_names(struct ea_filter *f, const char **names, size_t *n, int opt,
		     const char *v, struct ea_err *err)
{
	char *copy = f->ncopies < EA_FILTER_MAX ? strdup(v) : NULL, *p = copy, *tok;

	if (!copy)
		return bad(err, opt, v, "too many values");
	f->copies[f->ncopies++] = copy;
	while ((tok = strsep(&p, ","))) {
		if (!*tok)
			return bad(err, opt, v, "empty name in the list");
		if (*n == EA_FILTER_MAX)
			return bad(err, opt, tok, "too many values");
		names[(*n)++] = tok;
	}
	return 0;
}

/* Community IDs as the SIEM messages carry them: "1:" and 28 base64 characters. */
static int add_community_ids(struct ea_filter *f, int opt, const char *v, struct ea_err *err)
{
	size_t first = f->ncommunity_ids;
	int r = add_names(f, f->community_ids, &f->ncommunity_ids, opt, v, err);

	for (size_t i = first; !r && i < f->ncommunity_ids; i++) {
		const char *id = f->community_ids[i];

		if (strlen(id) != EA_COMMUNITY_ID_LEN - 1 || strncmp(id, "1:", 2) ||
		    strspn(id + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
			    EA_COMMUNITY_ID_LEN - 3)
			return bad(err, opt, id, "not a Community ID (1: and 28 base64 characters)");
	}
	return r;
}

static int add_time(struct ea_filter *f, int opt, const char *v, int64_t now,
		    struct ea_err *err)
{
	const char *why = "";
	int64_t t;

	/* one bound each: values of one filter are alternatives, which a bound is not */
	if (opt == OPT_SINCE ? f->has_since : f->has_until)
		return bad(err, opt, v, "given twice");
	if (ea_time_parse(v, now, &t, &why))
		return bad(err, opt, v, why);
	if (opt == OPT_SINCE) {
		f->since = t;
		f->has_since = true;
	} else {
		f->until = t;
		f->has_until = true;
	}
	return 0;
}

int ea_filter_add(struct ea_filter *f, int val, const char *v, int64_t now, struct ea_err *err)
{
	int opt = val - EA_FILTER_OPT;

	if (opt >= OPT_VERDICT && opt != OPT_HOST)
		f->flow_only = true;
	if (empty_list_item(opt, v))
		return bad(err, opt, v, "empty value in the list");
	switch (opt) {
	case OPT_SINCE:
	case OPT_UNTIL:
		return add_time(f, opt, v, now, err);
	case OPT_EVENT:
		return add_events(f, v, err);
	case OPT_VERDICT:
		return add_bits(&f->verdicts, opt, v, verdict_lookup,
				"not a verdict (allowed, flagged, blocked)", err);
	case OPT_COUNTRY:
		return add_countries(f, v, err);
	case OPT_ZONE:
		return add_bits(&f->zones, opt, v, ea_zone_parse, "not a zone (eu, eea, adequacy, "
				"adequacy-partial, third, unknown, internal, own)", err);
	case OPT_LABEL:
		return add_names(f, f->labels, &f->nlabels, opt, v, err);
	case OPT_COMM:
		if (f->ncomms == EA_FILTER_MAX)
			return bad(err, opt, v, "too many values");
		f->comms[f->ncomms++] = v;
		return 0;
	case OPT_PID:
		return add_u32s(f->pids, &f->npids, opt, v, err);
	case OPT_UID:
		return add_u32s(f->uids, &f->nuids, opt, v, err);
	case OPT_DST:
		return add_dsts(f, v, err);
	case OPT_DPORT:
		return add_ports(f, v, err);
	case OPT_PROTO:
		return add_bits(&f->protos, opt, v, proto_lookup,
				"not a protocol (tcp, udp, icmp, raw, packet, other)", err);
	case OPT_HOST:
		return add_names(f, f->hosts, &f->nhosts, opt, v, err);
	case OPT_COMMUNITY_ID:
		return add_community_ids(f, opt, v, err);
	}
	ea_err_set(err, "unknown filter option");
	return -EINVAL;
}

void ea_filter_free(struct ea_filter *f)
{
	for (size_t i = 0; i < f->ncopies; i++)
		free(f->copies[i]);
	f->ncopies = 0;
}

bool ea_filter_overlaps(const struct ea_filter *f, int64_t min_ts, int64_t max_ts)
{
	return (!f->has_since || max_ts >= f->since) && (!f->has_until || min_ts < f->until);
}

static bool has_u32(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool has_name(const char *const *v, size_t n, const char *x)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], x))
			return true;
	return false;
}

/* Whether the comma-separated list holds one of names. */
static bool list_has(const char *list, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		for (const char *p = list; (p = strstr(p, names[i])); p++)
			if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
				return true;
	}
	return false;
}

static bool comm_matches(const struct ea_filter *f, const char *comm)
{
	for (size_t i = 0; i < f->ncomms; i++)
		if (!fnmatch(f->comms[i], comm, 0))
			return true;
	return false;
}

static bool dst_matches(const struct ea_filter *f, const struct ea_rec *r)
{
	ea_addr_t a = ea_addr_from_bytes(r->dst);

	for (size_t i = 0; i < f->ndsts; i++)
		if (ea_cidr_contains(&f->dsts[i], a))
			return true;
	return false;
}

static bool dport_matches(const struct ea_filter *f, uint16_t port)
{
	for (size_t i = 0; i < f->ndports; i++)
		if (port >= f->dports[i].lo && port <= f->dports[i].hi)
			return true;
	return false;
}

static bool country_matches(const struct ea_filter *f, uint16_t cc)
{
	for (size_t i = 0; i < f->ncountries; i++)
		if (f->countries[i] == cc)
			return true;
	return false;
}

/* Whether the flow's Community ID is one of the filter's (a hash: tested last). */
static bool community_id_matches(const struct ea_filter *f, const struct ea_rec *r)
{
	char id[EA_COMMUNITY_ID_LEN];

	return ea_community_id(r, id) && has_name(f->community_ids, f->ncommunity_ids, id);
}

/* The flow filters: every one given must hold. */
static bool flow_matches(const struct ea_filter *f, const struct ea_rec *r)
{
	return (!f->verdicts || (r->verdict < 32 && f->verdicts & 1u << r->verdict)) &&
	       (!f->zones || (r->zone < 32 && f->zones & 1u << r->zone)) &&
	       (!f->protos || (r->proto < 32 && f->protos & 1u << r->proto)) &&
	       (!f->ncountries || country_matches(f, r->country)) &&
	       (!f->npids || has_u32(f->pids, f->npids, r->pid)) &&
	       (!f->nuids || has_u32(f->uids, f->nuids, r->uid)) &&
	       (!f->ndports || dport_matches(f, r->dport)) &&
	       (!f->ndsts || dst_matches(f, r)) &&
	       (!f->nlabels || list_has(r->labels, f->labels, f->nlabels)) &&
	       (!f->ncomms || comm_matches(f, r->comm)) &&
	       (!f->ncommunity_ids || community_id_matches(f, r));
}

bool ea_filter_match(const struct ea_filter *f, const struct ea_rec *r)
{
	if ((f->has_since && r->ts_ns < f->since) || (f->has_until && r->ts_ns >= f->until))
		return false;
	if (f->kinds && (r->kind >= 32 || !(f->kinds & 1u << r->kind)))
		return false;
	if (f->nhosts && !has_name(f->hosts, f->nhosts, r->host))
		return false;
	if (!f->flow_only)
		return true;
	return ea_rec_is_flow(r) && flow_matches(f, r);
}
