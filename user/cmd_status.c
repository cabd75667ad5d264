// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit status: what the running agent watches (hooks, maps) and
 * the kernel's own counters, read from the maps the agent pinned: flows,
 * packets and bytes per (country, zone, verdict), and the lost counts.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "commands.h"
#include "config.h"
#include "prom.h"
#include "record.h"
#include "util.h"

const char cmd_status_usage[] =
	"Usage: egress-audit status [-j] [--state-dir DIR]\n\n"
	"Hooks, map sizes and the kernel's aggregate counters of the running\n"
	"agent: flows, packets and bytes per (country, zone, verdict), lost events.\n\n"
	"  -j, --json        one JSON object\n"
	"  --prometheus      the Prometheus text format (version 0.0.4), for a scraper\n"
	"                    such as node_exporter's textfile collector\n"
	"  --state-dir DIR   the agent's state directory (default /run/egress-audit)\n\n"
	"Exit codes: 0 shown, 1 no agent running or its maps unreadable, 2 bad usage.\n";


struct agg_row {
	uint16_t country;
	uint8_t zone, verdict;
	struct ea_agg sum;
};

struct status {
	char *agent_json;
	char *agent_prom;	/* the agent's own metrics (status.prom) */
	char *agent_text;	/* the agent's readable status (status.txt) */
	char pin_dir[512];
	int pid;
	uint64_t counters[EA_CNT_MAX];
	struct agg_row *rows;
	size_t nrows;
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);

			if (!b)
				break;
			buf = b;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* The string value of "key" in the agent's own status JSON. */
static bool json_field(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"')
		p++;
	e = strpbrk(p, "\",}");
	if (!e || (size_t)(e - p) >= len)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static int open_pinned(const struct status *s, const char *name)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		ea_log("%s: %s", path, strerror(errno));
	return fd;
}

static int read_counters(struct status *s, int ncpu)
{
	int fd = open_pinned(s, "counters");
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));

	if (fd < 0 || !v) {
		free(v);
		return -1;
	}
	for (uint32_t k = 0; k < EA_CNT_MAX; k++)
		if (!bpf_map_lookup_elem(fd, &k, v))
			for (int c = 0; c < ncpu; c++)
				s->counters[k] += v[c];
	free(v);
	close(fd);
	return 0;
}

static void add_row(struct status *s, const struct ea_geo_result *r, uint8_t verdict,
		    const struct ea_agg *sum)
{
	for (size_t i = 0; i < s->nrows; i++) {
		struct agg_row *w = &s->rows[i];

		if (w->country == r->country && w->zone == r->zone && w->verdict == verdict) {
			w->sum.flows += sum->flows;
			w->sum.packets += sum->packets;
			w->sum.bytes += sum->bytes;
			return;
		}
	}
	s->rows[s->nrows++] = (struct agg_row){ r->country, r->zone, verdict, *sum };
}

/* The aggregates of results a reload replaced (agg_retired), by what they named. */
static int read_retired(struct status *s)
{
	int xfd = open_pinned(s, "agg_retired");
	struct ea_agg_key key, next;
	struct ea_agg sum;
	void *prev = NULL;

	if (xfd < 0)
		return 0;	/* an agent without it */
	while (!bpf_map_get_next_key(xfd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.country != EA_AGG_RETIRING_COUNTRY &&
		    !bpf_map_lookup_elem(xfd, &key, &sum)) {
			struct ea_geo_result r = { .country = key.country, .zone = key.zone };

			add_row(s, &r, key.verdict, &sum);
		}
	}
	close(xfd);
	return 0;
}

/* The count of retirements in agg_retired (odd: one under way); 0 when none. */
static uint64_t retirements(struct status *s)
{
	struct ea_agg_key key = { .country = EA_AGG_RETIRING_COUNTRY };
	int xfd = open_pinned(s, "agg_retired");
	struct ea_agg seq = { 0 };

	if (xfd >= 0) {
		bpf_map_lookup_elem(xfd, &key, &seq);
		close(xfd);
	}
	return seq.flows;
}

/* Fold the per-CPU (result, verdict) aggregates into (country, zone, verdict). */
static int read_aggregates_once(struct status *s, int ncpu)
{
	int afd = open_pinned(s, "agg"), rfd = open_pinned(s, "geo_results");
	struct ea_agg *v = calloc((size_t)ncpu, sizeof(*v));
	int err = -1;

	s->rows = calloc(EA_AGG_ENTRIES, sizeof(*s->rows));
	if (afd < 0 || rfd < 0 || !v || !s->rows)
		goto out;
	for (uint32_t k = 0; k < EA_AGG_ENTRIES; k++) {
		struct ea_agg sum;
		struct ea_geo_result r;
		uint32_t ri = k / EA_VERDICT_MAX;

		if (bpf_map_lookup_elem(afd, &k, v))
			continue;
		sum = ea_agg_sum(v, ncpu);
		if (!sum.packets && !sum.flows)
			continue;
		if (bpf_map_lookup_elem(rfd, &ri, &r))
			continue;
		add_row(s, &r, (uint8_t)(k % EA_VERDICT_MAX), &sum);
	}
	err = read_retired(s);
out:
	free(v);
	if (afd >= 0)
		close(afd);
	if (rfd >= 0)
		close(rfd);
	return err;
}

/*
 * The aggregates, read again while a reload moves counts into agg_retired
 * (a count read in both places, or in neither, would make a counter of
 * the metrics go down).
 */
static int read_aggregates(struct status *s, int ncpu)
{
	for (int tries = 0;; tries++) {
		uint64_t before = retirements(s);
		int err;

		if (before & 1 && tries < 50) {
			usleep(20000);
			continue;
		}
		free(s->rows);
		s->rows = NULL;
		s->nrows = 0;
		err = read_aggregates_once(s, ncpu);
		if (err || retirements(s) == before || tries >= 50)
			return err;
	}
}

static void print_json(const struct status *s)
{
	char cc[3];

	printf("{\"agent\":%s,\"counters\":{", s->agent_json);
	for (int k = 0, n = 0; k < EA_CNT_MAX; k++)
		if (ea_counter_name(k))
			printf("%s\"%s\":%llu", n++ ? "," : "", ea_counter_name(k),
			       (unsigned long long)s->counters[k]);
	printf("},\"lost\":%llu,\"aggregate\":[",
	       (unsigned long long)(s->counters[EA_CNT_LOST_START] +
				    s->counters[EA_CNT_LOST_UPDATE] +
				    s->counters[EA_CNT_LOST_END]));
	for (size_t i = 0; i < s->nrows; i++) {
		const struct agg_row *w = &s->rows[i];

		printf("%s{\"country\":\"%s\",\"zone\":\"%s\",\"verdict\":\"%s\","
		       "\"flows\":%llu,\"packets\":%llu,\"bytes\":%llu}", i ? "," : "",
		       ea_cc_format(w->country, cc), ea_zone_name(w->zone),
		       ea_verdict_name(w->verdict), (unsigned long long)w->sum.flows,
		       (unsigned long long)w->sum.packets, (unsigned long long)w->sum.bytes);
	}
	printf("]}\n");
}

static void print_text(const struct status *s)
{
	char cc[3];

	fputs(s->agent_text, stdout);
	printf("\ncounters:\n");
	for (int k = 0; k < EA_CNT_MAX; k++)
		if (ea_counter_name(k))
			printf("  %-24s %llu\n", ea_counter_name(k),
			       (unsigned long long)s->counters[k]);
	printf("\n%-3s %-16s %-8s %12s %14s %18s\n", "CC", "ZONE", "VERDICT", "FLOWS",
	       "PACKETS", "BYTES");
	for (size_t i = 0; i < s->nrows; i++) {
		const struct agg_row *w = &s->rows[i];

		printf("%-3s %-16s %-8s %12llu %14llu %18llu\n", ea_cc_format(w->country, cc),
		       ea_zone_name(w->zone), ea_verdict_name(w->verdict),
		       (unsigned long long)w->sum.flows, (unsigned long long)w->sum.packets,
		       (unsigned long long)w->sum.bytes);
	}
}

/*
 * The kernel's counters of events that did not reach the agent, by the
 * `what` of their lost records: the ring buffer was full (first) or the
 * flood limit refused them.
 */
static bool is_event_counter(uint32_t k)
{
	return k <= EA_CNT_LOST_END || (k >= EA_CNT_FLOOD_START && k <= EA_CNT_FLOOD_END);
}

/* One family of counters by kind of event, from counter `first` on. */
static void prom_event_family(struct ea_sbuf *b, const struct status *s, const char *name,
			      const char *help, uint32_t first)
{
	ea_prom_family(b, name, EA_PROM_COUNTER, help);
	for (uint32_t i = 0; i < EA_EV_KINDS; i++)
		ea_prom_u64(b, name,
			    (const char *[]){ "what", ea_rec_kind_name(EA_REC_FLOW_START + i), NULL },
			    s->counters[first + i]);
}

static void prom_counters(struct ea_sbuf *b, const struct status *s)
{
	prom_event_family(b, s, "egress_audit_lost_events_total",
			  "Events the kernel could not hand to the agent (ring buffer full), "
			  "each also a lost record.", EA_CNT_LOST_START);
	prom_event_family(b, s, "egress_audit_flood_refused_events_total",
			  "Events the flood limit refused (a process past its share while "
			  "the ring buffer was filling), each also a lost record.",
			  EA_CNT_FLOOD_START);
	ea_prom_family(b, "egress_audit_datapath_events_total", EA_PROM_COUNTER,
		       "What the datapath counted besides flows: packets it could not parse "
		       "or attribute, full maps.");
	for (uint32_t k = 0; k < EA_CNT_MAX; k++)
		if (ea_counter_name(k) && !is_event_counter(k))
			ea_prom_u64(b, "egress_audit_datapath_events_total",
				    (const char *[]){ "event", ea_counter_name(k), NULL },
				    s->counters[k]);
}

/* One family of the aggregates: field 0 flows, 1 packets, 2 bytes. */
static void prom_aggregate(struct ea_sbuf *b, const struct status *s, const char *name,
			   const char *help, int field)
{
	char cc[3];

	ea_prom_family(b, name, EA_PROM_COUNTER, help);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct agg_row *w = &s->rows[i];
		const uint64_t v[] = { w->sum.flows, w->sum.packets, w->sum.bytes };

		ea_prom_u64(b, name,
			    (const char *[]){ "country", ea_cc_format(w->country, cc), "zone",
					      ea_zone_name(w->zone), "verdict",
					      ea_verdict_name(w->verdict), NULL },
			    v[field]);
	}
}

/* The agent's metrics, then the kernel's counters and aggregates. */
static void print_prom(const struct status *s)
{
	struct ea_sbuf b = { 0 };

	prom_counters(&b, s);
	prom_aggregate(&b, s, "egress_audit_flows_total",
		       "Flows that left, by destination country, zone and verdict.", 0);
	prom_aggregate(&b, s, "egress_audit_packets_total",
		       "IP packets of those flows.", 1);
	prom_aggregate(&b, s, "egress_audit_bytes_total",
		       "IP-level bytes of those flows.", 2);
	fputs(s->agent_prom, stdout);
	if (!b.oom)
		fwrite(b.p, 1, b.len, stdout);
	ea_sb_free(&b);
}

/* One of the agent's status files, or NULL and a message. */
static char *read_state_file(const char *state_dir, const char *name)
{
	char path[512];
	char *content;

	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	content = read_file(path);
	if (!content)
		ea_log("%s: %s", path, strerror(errno));
	return content;
}

static int load_status(struct status *s, const char *state_dir)
{
	char path[512], pid[32];
	int ncpu = libbpf_num_possible_cpus();

	snprintf(path, sizeof(path), "%s/status.json", state_dir);
	s->agent_json = read_file(path);
	if (!s->agent_json) {
		ea_log("no agent running: %s: %s", path, strerror(errno));
		return -1;
	}
	s->agent_json[strcspn(s->agent_json, "\n")] = '\0';
	if (!json_field(s->agent_json, "pin_dir", s->pin_dir, sizeof(s->pin_dir)) ||
	    !json_field(s->agent_json, "pid", pid, sizeof(pid))) {
		ea_log("%s: not an agent status file", path);
		return -1;
	}
	s->pid = atoi(pid);
	if (kill(s->pid, 0) && errno == ESRCH) {
		ea_log("no agent running: pid %d of %s is gone", s->pid, path);
		return -1;
	}
	if (ncpu <= 0 || read_counters(s, ncpu) || read_aggregates(s, ncpu))
		return -1;
	s->agent_prom = read_state_file(state_dir, "status.prom");
	s->agent_text = read_state_file(state_dir, "status.txt");
	return s->agent_prom && s->agent_text ? 0 : -1;
}

int cmd_status(struct ea_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ 0 },
	};
	const char *state_dir = "/run/egress-audit";
	struct status s = { 0 };
	bool prom = false;
	int c, ret;

	while ((c = ea_getopt(g, cmd_status_usage, argc, argv, opts)) != -1) {
		if (c == 's') {
			state_dir = optarg;
		} else if (c == 'p') {
			prom = true;
		} else {
			fputs(cmd_status_usage, stderr);
			return EA_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ea_log("status: unexpected argument '%s'", argv[optind]);
		return EA_EXIT_USAGE;
	}
	if (prom && g->json) {
		ea_log("status: -j and --prometheus exclude each other");
		return EA_EXIT_USAGE;
	}
	ret = load_status(&s, state_dir) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
	if (!ret) {
		if (prom)
			print_prom(&s);
		else if (g->json)
			print_json(&s);
		else
			print_text(&s);
	}
	free(s.agent_json);
	free(s.agent_prom);
	free(s.agent_text);
	free(s.rows);
	return ret;
}
