// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's bookkeeping around the event loop: records out, kernel
 * counters in, expiry of device-level flows, the status file and the pins
 * that `egress-audit status` reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent.h"
#include "cgroup.h"
#include "evidence_cache.h"
#include "egress.skel.h"
#include "prom.h"
#include "record.h"
#include "sbuf.h"
#include "siem.h"
#include "tcp_slots.h"
#include "trail.h"
#include "util.h"
#include "version.h"

/*
 * Follow steps of the wall clock, but not its jitter. A step is in force
 * from when the agent sees it (within a second of it).
 */
void ea_agent_follow_clock(struct ea_agent *a)
{
	int64_t now = ea_boot_to_real_ns(), cur = ea_wallclock_offset(&a->clock);

	if (now - cur > 1000000 || cur - now > 1000000)
		ea_wallclock_step(&a->clock, (int64_t)ea_boot_ns(), now);
}

void ea_agent_set_host(struct ea_agent *a)
{
	const char *h = a->cfg.agent.hostname;

	if (h)
		snprintf(a->host, sizeof(a->host), "%s", h);
	else if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "localhost");
}

void ea_agent_init_context(struct ea_agent *a)
{
	ea_agent_set_host(a);
	ea_wallclock_step(&a->clock, 0, ea_boot_to_real_ns());
	a->started_real_ns = ea_wallclock_offset(&a->clock) + (int64_t)ea_boot_ns();
	a->cg_names = ea_cgroup_names_new(a->cg_mount);
	a->evidence = ea_evidence_cache_new();
}

void ea_agent_emit_flow(struct ea_agent *a, const struct ea_flow_event *e)
{
	struct ea_record_ctx ctx = {
		.host = a->host,
		.boot_to_real_ns = ea_wallclock_offset(&a->clock),
		.start_to_real_ns = ea_wallclock_offset_at(&a->clock, (int64_t)e->start_ns),
		.cgroup = e->origin == EA_ORIGIN_SOCKET && a->cg_names ?
				  ea_cgroup_name(a->cg_names, e->cgroup_id) : NULL,
		.label_names = a->table[a->bank].label_names,
		.nlabels = a->table[a->bank].nlabels,
	};

	ea_rec_from_event(&a->rec, e, &ctx);
	ea_labels_evidence(&a->label_src, ctx.label_names, ctx.nlabels, e,
			   a->rec.evidence, sizeof(a->rec.evidence));
	ea_evidence_cache_apply(a->evidence, &a->rec);
	ea_agent_emit(a, &a->rec);
}

/* Heartbeats carry each SIEM destination's lag, added to their detail. */
static void add_siem_lag(struct ea_agent *a, struct ea_rec *r)
{
	size_t n = strlen(r->detail);
	char lag[EA_REC_DETAIL_MAX / 2];

	if (!a->siem || r->kind != EA_REC_HEARTBEAT || n < 2 || r->detail[n - 1] != '}' ||
	    ea_siem_lag_json(a->siem, lag, sizeof(lag)) < 0 ||
	    n + strlen(lag) + 10 > sizeof(r->detail))
		return;
	snprintf(r->detail + n - 1, sizeof(r->detail) - n + 1, "%s\"siem\":%s}",
		 n > 2 ? "," : "", lag);
}

/*
 * Standard output carries a copy of the records for whoever reads it. A
 * reader that goes away (SIGPIPE is ignored) ends the copy, said once; the
 * audit trail and the SIEM feed go on.
 */
void ea_agent_print(struct ea_agent *a, const struct ea_rec *r)
{
	if (!a->out_lost)
		ea_rec_print(a->out, a->json, r);
}

void ea_agent_flush_out(struct ea_agent *a)
{
	int err;

	if (a->out_lost)
		return;
	/* a write that failed earlier, inside fwrite, leaves only the flag */
	err = fflush(a->out) ? errno : ferror(a->out) ? EIO : 0;
	if (!err)
		return;
	a->out_lost = true;
	ea_log("standard output: %s: records are no longer printed there; the audit "
	       "trail and the SIEM feed go on", strerror(err));
}

/* Every record the agent makes goes out here. */
void ea_agent_emit(struct ea_agent *a, struct ea_rec *r)
{
	add_siem_lag(a, r);
	if (a->trail)
		ea_trail_append(a->trail, r);
	ea_agent_print(a, r);
	a->records++;
}

/* A lost record: count events of kind what, detail (JSON) or "". */
void ea_agent_emit_lost_detail(struct ea_agent *a, const char *what, uint64_t count,
			       const char *detail)
{
	struct ea_rec *r = &a->rec;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_LOST;
	r->ts_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	snprintf(r->host, sizeof(r->host), "%s", a->host);
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->count = count;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	ea_agent_emit(a, r);
}

void ea_agent_emit_lost(struct ea_agent *a, const char *what, uint64_t count)
{
	ea_agent_emit_lost_detail(a, what, count, "");
}

void ea_agent_emit_refused(struct ea_agent *a, const char *what, uint64_t count,
			   uint32_t tgid, const char *comm)
{
	struct ea_sbuf b = { 0 };

	ea_sb_puts(&b, EA_LOST_REFUSED_DETAIL);
	if (comm) {
		ea_sb_puts(&b, ",\"pid\":");
		ea_sb_u64(&b, tgid);
		ea_sb_puts(&b, ",\"comm\":");
		ea_sb_json_strn(&b, comm, EA_COMM_LEN);
	}
	ea_sb_puts(&b, "}");
	ea_agent_emit_lost_detail(a, what, count, b.oom ? EA_LOST_REFUSED_DETAIL "}" : b.p);
	ea_sb_free(&b);
}

/*
 * Sum a per-CPU u64 counter array map. A lookup that fails fails the whole
 * read: a counter read as 0 would make its difference from the last read
 * a loss of nearly 2^64 events.
 */
static int read_percpu_counters(int fd, uint64_t out[EA_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < EA_CNT_MAX && !err; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return err;
}

int ea_agent_read_counters(struct ea_agent *a, uint64_t out[EA_CNT_MAX])
{
	return read_percpu_counters(bpf_map__fd(a->skel->maps.counters), out);
}

/* A flow_end user space makes, for a map-kept flow that went idle. */
static void end_idle_flow(struct ea_agent *a, const struct ea_flow *f, const struct ea_owner *o,
			  uint64_t labels, uint8_t origin, uint32_t ifindex, uint64_t now)
{
	struct ea_flow_event e = {
		.abi = EA_ABI_VERSION, .type = EA_EV_FLOW_END, .verdict = f->verdict,
		.proto = f->proto, .ip_proto = f->ip_proto, .family = f->family,
		.origin = origin, .sport = f->sport, .dport = f->dport,
		.country = f->country, .zone = f->zone, .flags = f->flags,
		.result = f->result, .ifindex = ifindex, .start_ns = f->start_ns,
		.ts_ns = now, .bytes = f->bytes, .packets = f->packets,
		.labels = labels, .cgroup_idx = ~0u,
	};

	memcpy(e.src, f->src, sizeof(e.src));
	memcpy(e.dst, f->dst, sizeof(e.dst));
	if (o) {
		e.tgid = o->tgid;
		e.pid = o->pid;
		e.uid = o->uid;
		e.gid = o->gid;
		e.cgroup_id = o->cgroup_id;
		e.cookie = o->cookie;
		memcpy(e.comm, o->comm, sizeof(e.comm));
		e.labels |= o->cgroup_labels;
		if (o->cgroup_labels)
			e.cgroup_idx = o->cgroup_idx;
	}
	ea_agent_emit_flow(a, &e);
}

/*
 * Device flows and per-destination UDP flows live in hashes, not in a
 * socket whose end would close them: they end when idle (or, for device
 * flows, when the agent stops: idle_ns = 0).
 */
static void sweep_dev(struct ea_agent *a, uint64_t idle_ns, uint64_t now)
{
	int fd = bpf_map__fd(a->skel->maps.dev_flows);
	struct ea_dev_flow_key key, next;
	struct ea_flow f;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &f))
			continue;
		if (idle_ns && now - f.last_ns < idle_ns)
			continue;
		if (f.flags & EA_FLOW_RECORDED)
			end_idle_flow(a, &f, NULL, a->skel->bss->cfg.default_labels,
				      key.origin, key.ifindex, now);
		bpf_map_delete_elem(fd, &key);
	}
}

static void sweep_udp(struct ea_agent *a, uint64_t idle_ns, uint64_t now)
{
	int fd = bpf_map__fd(a->skel->maps.udp_flows);
	struct ea_udp_flow_key key, next;
	struct ea_udp_flow u;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &u))
			continue;
		if (now - u.flow.last_ns < idle_ns)
			continue;
		if (u.flow.flags & EA_FLOW_RECORDED)
			end_idle_flow(a, &u.flow, &u.owner, a->skel->bss->cfg.default_labels,
				      EA_ORIGIN_SOCKET, 0, now);
		bpf_map_delete_elem(fd, &key);
	}
}

/* The idle sweep, skipping a map its last status found empty. */
void ea_agent_sweep_flows(struct ea_agent *a)
{
	uint64_t now = ea_boot_ns();

	if (!a->dev_flows_empty)
		sweep_dev(a, EA_FLOW_IDLE_NS, now);
	if (!a->udp_flows_empty)
		sweep_udp(a, EA_FLOW_IDLE_NS, now);
}

void ea_agent_end_dev_flows(struct ea_agent *a)
{
	sweep_dev(a, 0, ea_boot_ns());
}

/* Kernel memory of a map as the kernel accounts it (fdinfo memlock). */
static uint64_t map_memlock(int fd)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "memlock:", 8)) {
			v = strtoull(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * A map's memlock: read from fdinfo once for a preallocated map, whose
 * memory does not change, every time for one that allocates as it fills
 * (i: the map's place in the object).
 */
static uint64_t map_memlock_of(struct ea_agent *a, const struct bpf_map *m, size_t i)
{
	if (bpf_map__map_flags(m) & BPF_F_NO_PREALLOC)
		return map_memlock(bpf_map__fd(m));
	if (!a->memlock_fixed[i])
		a->memlock_fixed[i] = map_memlock(bpf_map__fd(m));
	return a->memlock_fixed[i];
}

/* What the status files show of the maps, read once for both. */
struct map_stat {
	const char *name;
	uint32_t max_entries;
	uint64_t memlock;
	int64_t entries;	/* in use (flows, TCP slots, taint); -1 where not counted */
};

#define EA_MAP_COUNTS	256

/*
 * Entries of every hash map of the host, as the kernel counts them, by one
 * pass of iter/bpf_map (map_entries): no walk of the maps' keys. Returns
 * how many maps it read, or -1.
 */
static int read_map_counts(struct ea_agent *a, struct ea_map_count *c, int max)
{
	ssize_t got;

	if (bpf_program__fd(a->skel->progs.map_entries) < 0)
		return -1;
	got = ea_agent_run_iter(a->skel->progs.map_entries, c, max * sizeof(*c));
	return got < 0 ? -1 : (int)(got / sizeof(*c));
}

/*
 * A map's entries from the counts read, the slots of TCP flows in use
 * read from their buckets; -1 for another map that is not a hash.
 */
static int64_t map_entries(struct ea_agent *a, const struct bpf_map *m,
			   const struct ea_map_count *c, int n)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int64_t used;

	if (m == a->skel->maps.tcp_socks) {
		used = ea_tcp_slots_in_use(bpf_map__fd(a->skel->maps.tcp_sock_keys));
		return used < 0 ? -1 : used;
	}
	if (bpf_map__type(m) != BPF_MAP_TYPE_HASH ||
	    bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		return -1;
	for (int i = 0; i < n; i++)
		if (c[i].id == info.id)
			return c[i].entries;
	return -1;
}

struct status_snapshot {
	struct map_stat maps[EA_STATUS_MAPS];
	size_t nmaps;
	bool trail_open;		/* every run has its trail; some tests do not */
	struct ea_trail_stats trail;
	bool free_known;
	uint64_t trail_free;		/* bytes free where the trail is written */
};

static void snapshot_maps(struct ea_agent *a, struct status_snapshot *s)
{
	struct ea_map_count counts[EA_MAP_COUNTS];
	int ncounts = read_map_counts(a, counts, EA_MAP_COUNTS);
	struct bpf_map *m;
	int64_t entries;

	s->nmaps = 0;
	bpf_object__for_each_map(m, a->skel->obj) {
		if (bpf_map__fd(m) < 0 || s->nmaps == EA_STATUS_MAPS)
			continue;
		entries = map_entries(a, m, counts, ncounts);
		if (m == a->skel->maps.udp_flows)
			a->udp_flows_empty = entries == 0;
		else if (m == a->skel->maps.dev_flows)
			a->dev_flows_empty = entries == 0;
		s->maps[s->nmaps] = (struct map_stat){ bpf_map__name(m), bpf_map__max_entries(m),
						       map_memlock_of(a, m, s->nmaps), entries };
		s->nmaps++;
	}
}

/* The trail's counts, and the space left where it is written (as check counts it). */
static void snapshot_trail(struct ea_agent *a, struct status_snapshot *s)
{
	uint64_t size;

	s->trail_open = a->trail != NULL;
	s->free_known = false;
	if (!a->trail)
		return;
	ea_trail_get_stats(a->trail, &s->trail);
	s->free_known = !ea_fs_space(ea_trail_dir(a->trail), &s->trail_free, &size);
}

/* writing, suspended (records refused until a write succeeds) or halted (for good) */
static const char *trail_state(const struct ea_trail_stats *st)
{
	return st->halted ? "halted" : st->suspended ? "suspended" : "writing";
}

static void write_trail_json(FILE *f, struct ea_agent *a, const struct status_snapshot *s)
{
	const struct ea_trail_stats *st = &s->trail;

	if (!s->trail_open)
		return;
	fputs(",\"trail\":{\"dir\":", f);
	ea_json_str(f, ea_trail_dir(a->trail));
	fprintf(f, ",\"state\":\"%s\",\"written\":%llu,\"refused\":%llu,\"durable_seq\":%llu,"
		"\"bytes\":%llu,\"free\":", trail_state(st), (unsigned long long)st->written,
		(unsigned long long)st->refused, (unsigned long long)st->durable_seq,
		(unsigned long long)st->bytes);
	if (s->free_known)
		fprintf(f, "%llu}", (unsigned long long)s->trail_free);
	else
		fputs("null}", f);
}

static void write_maps_json(FILE *f, const struct status_snapshot *s)
{
	fputs("\"maps\":[", f);
	for (size_t i = 0; i < s->nmaps; i++) {
		fprintf(f, "%s{\"name\":\"%s\",\"max_entries\":%u,\"memlock\":%llu",
			i ? "," : "", s->maps[i].name, s->maps[i].max_entries,
			(unsigned long long)s->maps[i].memlock);
		if (s->maps[i].entries >= 0)
			fprintf(f, ",\"entries\":%lld", (long long)s->maps[i].entries);
		fputc('}', f);
	}
	fputc(']', f);
}

const char *ea_agent_mode_name(const struct ea_agent *a)
{
	return a->cfg.agent.mode == EA_MODE_ENFORCE ? "enforce" : "audit";
}

const char *ea_agent_record_name(const struct ea_agent *a)
{
	return a->cfg.agent.record_all ? "all" : "flagged";
}

static void write_status_json(FILE *f, struct ea_agent *a, const struct status_snapshot *s)
{
	const struct ea_geo_table *t = &a->table[a->bank];
	char ts[40];

	fprintf(f, "{\"pid\":%d,\"version\":\"%s\",\"commit\":\"%s\",\"host\":",
		(int)getpid(), ea_version(), ea_commit());
	ea_json_str(f, a->host);
	fprintf(f, ",\"started\":\"%s\",", ea_format_time(a->started_real_ns, ts));
	fprintf(f, "\"written\":\"%s\",\"cgroup\":", ea_format_time(ea_clock_ns(CLOCK_REALTIME), ts));
	ea_json_str(f, a->cg_path);
	fprintf(f, ",\"pin_dir\":");
	ea_json_str(f, a->pin_dir);
	fprintf(f, ",\"mode\":\"%s\",\"record\":\"%s\",\"tcp_end_hook\":\"%s\",\"hooks\":[",
		ea_agent_mode_name(a), ea_agent_record_name(a), a->tcp_end_hook);
	for (size_t i = 0; i < a->nhooks; i++) {
		if (i)
			fputc(',', f);
		ea_json_str(f, a->hooks[i]);	/* an interface's name may hold '"' */
	}
	fprintf(f, "],\"ring_kib\":%u,\"flood_limit\":%u,\"flood_kib\":%u",
		a->cfg.agent.ringbuf_kib, a->kcfg.flood_events, a->kcfg.flood_bytes / 1024);
	fprintf(f, ",\"records\":%llu,\"bad_events\":%llu,\"tampers\":%llu,"
		"\"geo\":{\"ranges\":%llu,"
		"\"intervals\":%zu,\"results\":%u,\"trie_nodes\":[%u,%u,%u],\"bank\":%u},",
		(unsigned long long)a->records, (unsigned long long)a->bad_events,
		(unsigned long long)a->tampers, (unsigned long long)t->geo_ranges, t->ivl.n,
		t->nresults, t->nodes.count[0], t->nodes.count[1], t->nodes.count[2], a->bank);
	ea_agent_skipped_json(f, a);
	fprintf(f, "\"slots_swept\":%llu,\"mount_scans\":%llu,", (unsigned long long)a->swept,
		(unsigned long long)a->mount_scans);
	write_maps_json(f, s);
	write_trail_json(f, a, s);
	if (a->siem) {
		fputs(",\"siem\":", f);
		ea_siem_json(a->siem, f);
	}
	fputs("}\n", f);
}

/* The trail's metrics: what an alert on a full disk or a halted trail needs. */
static void write_trail_prom(struct ea_sbuf *b, const struct status_snapshot *s)
{
	const struct ea_trail_stats *st = &s->trail;

	if (!s->trail_open)
		return;
	ea_prom_scalar(b, "egress_audit_trail_writing", EA_PROM_GAUGE,
		       "1 while the audit trail takes records, 0 while it is suspended (a full "
		       "disk) or halted.", !st->suspended && !st->halted);
	ea_prom_scalar(b, "egress_audit_trail_written_records_total", EA_PROM_COUNTER,
		       "Records written to the audit trail.", (double)st->written);
	ea_prom_scalar(b, "egress_audit_trail_refused_records_total", EA_PROM_COUNTER,
		       "Records the audit trail could not take (a full disk); a gap record "
		       "counts them once it writes again.", (double)st->refused);
	ea_prom_scalar(b, "egress_audit_trail_durable_seq", EA_PROM_GAUGE,
		       "The last seq written to the trail as durably as its flush mode says.",
		       (double)st->durable_seq);
	if (s->free_known)
		ea_prom_scalar(b, "egress_audit_trail_free_bytes", EA_PROM_GAUGE,
			       "Bytes free, to a writer without root's reserve, on the file system "
			       "of the audit trail.", (double)s->trail_free);
}

/*
 * The agent's own metrics in the Prometheus text format; `status
 * --prometheus` prints them before the kernel's counters.
 */
static void write_status_prom(FILE *f, struct ea_agent *a, const struct status_snapshot *s)
{
	const char *info[] = { "host", a->host, "cgroup", a->cg_path, "mode", ea_agent_mode_name(a),
			       "record", ea_agent_record_name(a), "version", ea_version(),
			       "commit", ea_commit(), NULL };
	struct ea_sbuf b = { 0 };

	ea_prom_family(&b, "egress_audit_agent_info", EA_PROM_GAUGE,
		       "The running agent: host name, watched cgroup, mode, what it records, "
		       "release and commit.");
	ea_prom_u64(&b, "egress_audit_agent_info", info, 1);
	ea_prom_scalar(&b, "egress_audit_agent_start_time_seconds", EA_PROM_GAUGE,
		       "When the agent started, in seconds since the Unix epoch.",
		       (double)a->started_real_ns / 1e9);
	ea_prom_scalar(&b, "egress_audit_records_total", EA_PROM_COUNTER,
		       "Records the agent made: flows, lost counts and its own.",
		       (double)a->records);
	ea_prom_scalar(&b, "egress_audit_bad_events_total", EA_PROM_COUNTER,
		       "Events from the kernel that the agent could not use.",
		       (double)a->bad_events);
	ea_prom_scalar(&b, "egress_audit_tamper_total", EA_PROM_COUNTER,
		       "Changes made to the agent's hooks or settings behind its back.",
		       (double)a->tampers);
	ea_agent_skipped_prom(&b, a);
	ea_prom_scalar(&b, "egress_audit_tcp_slots_swept_total", EA_PROM_COUNTER,
		       "TCP slots whose socket was gone (a close the datapath never saw), "
		       "their flows ended by the agent's sweep.", (double)a->swept);
	ea_prom_scalar(&b, "egress_audit_geo_ranges", EA_PROM_GAUGE,
		       "Ranges of the GeoIP data in force.",
		       (double)a->table[a->bank].geo_ranges);
	ea_prom_family(&b, "egress_audit_map_memlock_bytes", EA_PROM_GAUGE,
		       "Kernel memory of each BPF map of the datapath.");
	for (size_t i = 0; i < s->nmaps; i++)
		ea_prom_u64(&b, "egress_audit_map_memlock_bytes",
			    (const char *[]){ "map", s->maps[i].name, NULL }, s->maps[i].memlock);
	ea_prom_family(&b, "egress_audit_map_entries", EA_PROM_GAUGE,
		       "Entries in use in each map of the datapath that holds flows, TCP slots or taint.");
	for (size_t i = 0; i < s->nmaps; i++)
		if (s->maps[i].entries >= 0)
			ea_prom_u64(&b, "egress_audit_map_entries",
				    (const char *[]){ "map", s->maps[i].name, NULL },
				    (uint64_t)s->maps[i].entries);
	write_trail_prom(&b, s);
	if (a->siem)
		ea_siem_prom(a->siem, &b);
	if (!b.oom)
		fwrite(b.p, 1, b.len, f);
	ea_sb_free(&b);
}

/* The largest of the maps' kernel memory, in MiB, for the readable status. */
static void write_maps_text(FILE *f, const struct status_snapshot *s)
{
	uint64_t total = 0;
	bool shown[EA_STATUS_MAPS] = { false };

	for (size_t i = 0; i < s->nmaps; i++)
		total += s->maps[i].memlock;
	fprintf(f, "maps       %.1f MiB of kernel memory in %zu maps; the largest:", total / 1048576.0,
		s->nmaps);
	for (int n = 0; n < 4; n++) {
		size_t top = s->nmaps;

		for (size_t i = 0; i < s->nmaps; i++)
			if (!shown[i] && (top == s->nmaps || s->maps[i].memlock > s->maps[top].memlock))
				top = i;
		if (top == s->nmaps)
			break;
		shown[top] = true;
		fprintf(f, "%s %s %.1f", n ? "," : "", s->maps[top].name,
			s->maps[top].memlock / 1048576.0);
	}
	fputs("\nin use    ", f);
	for (size_t i = 0, n = 0; i < s->nmaps; i++)
		if (s->maps[i].entries >= 0)
			fprintf(f, "%s %s %lld of %u", n++ ? "," : "", s->maps[i].name,
				(long long)s->maps[i].entries, s->maps[i].max_entries);
	fputc('\n', f);
}

/* "trail      DIR: writing, 120 records written, durable to seq 120, 79.1 GiB free" */
static void write_trail_text(FILE *f, struct ea_agent *a, const struct status_snapshot *s)
{
	const struct ea_trail_stats *st = &s->trail;
	char free_s[EA_SIZE_STRLEN];

	if (!s->trail_open)
		return;
	fputs("trail      ", f);
	ea_print_escaped(f, ea_trail_dir(a->trail), PATH_MAX);
	fprintf(f, ": %s, %llu records written, durable to seq %llu, ", trail_state(st),
		(unsigned long long)st->written, (unsigned long long)st->durable_seq);
	if (st->refused)
		fprintf(f, "%llu refused, ", (unsigned long long)st->refused);
	fprintf(f, "%s free\n", s->free_known ? ea_format_size(s->trail_free, free_s) : "unknown");
}

static void write_siem_text(FILE *f, struct ea_siem *siem)
{
	struct ea_siem_stats st;

	for (size_t i = 0; i < ea_siem_count(siem); i++) {
		ea_siem_get_stats(siem, i, &st);
		fprintf(f, "siem       %s, ", st.name);
		ea_print_escaped(f, st.target, sizeof(st.target));
		fprintf(f, ": %s, acknowledged seq %llu, lag %llu records (%.3f s), %llu sent, "
			"%llu failures, %llu dropped, %llu missing",
			st.connected ? "connected" : "not connected", (unsigned long long)st.acked,
			(unsigned long long)st.lag_records, (double)st.lag_ms / 1000,
			(unsigned long long)st.sent, (unsigned long long)st.failures,
			(unsigned long long)st.dropped, (unsigned long long)st.missing);
		if (st.error[0]) {
			fputs("; last error: ", f);
			ea_print_escaped(f, st.error, sizeof(st.error));
		}
		fputc('\n', f);
	}
}

/*
 * The agent's part of `status`'s readable output; strings that others
 * choose (host name, cgroup path, SIEM errors) with \xNN escapes.
 */
static void write_status_text(FILE *f, struct ea_agent *a, const struct status_snapshot *s)
{
	const struct ea_geo_table *t = &a->table[a->bank];
	char ts[40];

	fprintf(f, "agent      pid %d on ", (int)getpid());
	ea_print_escaped(f, a->host, sizeof(a->host));
	fprintf(f, ", started %s\nversion    %s\nwatching   ",
		ea_format_time(a->started_real_ns, ts), ea_build());
	ea_print_escaped(f, a->cg_path, sizeof(a->cg_path));
	fprintf(f, " in %s mode, recording %s flows\nhooks     ", ea_agent_mode_name(a), ea_agent_record_name(a));
	for (size_t i = 0; i < a->nhooks; i++)
		fprintf(f, " %s", a->hooks[i]);
	fprintf(f, "\nring       %u KiB, ", a->cfg.agent.ringbuf_kib);
	if (a->kcfg.flood_events)
		fprintf(f, "flood limit %u events a second per process past %u KiB unread",
			a->kcfg.flood_events, a->kcfg.flood_bytes / 1024);
	else
		fputs("no flood limit", f);
	fprintf(f, "\nrecords    %llu made, %llu bad events, %llu tampers\n"
		"geoip      %llu ranges, %zu intervals, %u results, bank %u\n",
		(unsigned long long)a->records, (unsigned long long)a->bad_events,
		(unsigned long long)a->tampers, (unsigned long long)t->geo_ranges, t->ivl.n,
		t->nresults, a->bank);
	ea_agent_skipped_text(f, a);
	if (a->swept)
		fprintf(f, "swept      %llu TCP slots whose socket was gone, their flows ended\n",
			(unsigned long long)a->swept);
	write_maps_text(f, s);
	write_trail_text(f, a, s);
	if (a->siem)
		write_siem_text(f, a->siem);
}

typedef void (*status_writer)(FILE *f, struct ea_agent *a, const struct status_snapshot *s);

/* state_dir/name replaced atomically by what write puts in it, readable by root only. */
static void replace_state_file(struct ea_agent *a, const char *name, status_writer write,
			       const struct status_snapshot *s)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", a->state_dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", a->state_dir, name);
	/* made anew each time: a link planted in its place is removed, never followed */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	write(f, a, s);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/*
 * state_dir/status.json, status.prom and status.txt; status.json last, so
 * that whoever finds it finds the others.
 */
void ea_agent_write_status(struct ea_agent *a)
{
	struct status_snapshot s;

	if (mkdir(a->state_dir, 0700) && errno != EEXIST)
		return;
	snapshot_maps(a, &s);
	snapshot_trail(a, &s);
	replace_state_file(a, "status.prom", write_status_prom, &s);
	replace_state_file(a, "status.txt", write_status_text, &s);
	replace_state_file(a, "status.json", write_status_json, &s);
}

static struct bpf_map *pinned_maps(struct ea_agent *a, int i)
{
	struct bpf_map *maps[] = { a->skel->maps.agg, a->skel->maps.counters,
				   a->skel->maps.geo_results, a->skel->maps.agg_retired };

	return i < 4 ? maps[i] : NULL;
}

/* Move one aggregate of a bank into agg_retired, by the result it names now. */
static void retire_one(int afd, int rfd, int xfd, uint32_t ri, uint32_t verdict,
		       struct ea_agg *v, const struct ea_agg *zero, int ncpu)
{
	uint32_t k = ri * EA_VERDICT_MAX + verdict;
	struct ea_agg sum, old = { 0 };
	struct ea_geo_result r;
	struct ea_agg_key key;

	if (bpf_map_lookup_elem(afd, &k, v))
		return;
	sum = ea_agg_sum(v, ncpu);
	if ((!sum.flows && !sum.packets) || bpf_map_lookup_elem(rfd, &ri, &r))
		return;
	key = (struct ea_agg_key){ .country = r.country, .zone = r.zone,
				   .verdict = (uint8_t)verdict };
	bpf_map_lookup_elem(xfd, &key, &old);
	old.flows += sum.flows;
	old.packets += sum.packets;
	old.bytes += sum.bytes;
	if (!bpf_map_update_elem(xfd, &key, &old, BPF_ANY))
		bpf_map_update_elem(afd, &k, zero, BPF_ANY);
}

/* Count one more step of a retirement in agg_retired (see EA_AGG_RETIRING_COUNTRY). */
static void retiring_step(int xfd)
{
	struct ea_agg_key key = { .country = EA_AGG_RETIRING_COUNTRY };
	struct ea_agg seq = { 0 };

	bpf_map_lookup_elem(xfd, &key, &seq);
	seq.flows++;
	bpf_map_update_elem(xfd, &key, &seq, BPF_ANY);
}

void ea_agent_retire_bank(struct ea_agent *a, uint32_t bank)
{
	int ncpu = libbpf_num_possible_cpus(), xfd = bpf_map__fd(a->skel->maps.agg_retired);
	struct ea_agg *v, *zero;

	if (ncpu <= 0)
		return;
	retiring_step(xfd);	/* odd: under way */
	v = calloc((size_t)ncpu, sizeof(*v));
	zero = calloc((size_t)ncpu, sizeof(*zero));
	for (uint32_t i = 0; v && zero && i < EA_MAX_RESULTS; i++)
		for (uint32_t verdict = 0; verdict < EA_VERDICT_MAX; verdict++)
			retire_one(bpf_map__fd(a->skel->maps.agg),
				   bpf_map__fd(a->skel->maps.geo_results),
				   bpf_map__fd(a->skel->maps.agg_retired),
				   bank * EA_MAX_RESULTS + i, verdict, v, zero, ncpu);
	retiring_step(xfd);	/* even: done */
	free(v);
	free(zero);
}

/* Pin what `status` reads, under a directory only root can enter. */
int ea_agent_pin(struct ea_agent *a)
{
	struct bpf_map *m;
	char path[PATH_MAX + 32];
	int err;

	snprintf(a->pin_dir, sizeof(a->pin_dir), "/sys/fs/bpf/egress-audit-%d",
		 (int)getpid());
	if (mkdir(a->pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		ea_log("%s: %s (is bpffs mounted?)", a->pin_dir, strerror(-err));
		return err;
	}
	a->pinned = true;
	for (int i = 0; (m = pinned_maps(a, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", a->pin_dir, bpf_map__name(m));
		err = bpf_map__pin(m, path);
		if (err) {
			ea_log("pinning %s: %s", path, strerror(-err));
			return err;
		}
		chmod(path, 0600);
	}
	ea_agent_write_status(a);
	return 0;
}

void ea_agent_unpin(struct ea_agent *a)
{
	char path[PATH_MAX];
	struct bpf_map *m;

	if (!a->pinned || !a->skel)
		return;
	for (int i = 0; (m = pinned_maps(a, i)); i++)
		bpf_map__unpin(m, NULL);
	rmdir(a->pin_dir);
	snprintf(path, sizeof(path), "%s/status.json", a->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/status.prom", a->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/status.txt", a->state_dir);
	unlink(path);
	a->pinned = false;
}

void ea_agent_free(struct ea_agent *a)
{
	egress_bpf__destroy(a->skel);
	for (int i = 0; i < EA_GEO_BANKS; i++)
		ea_geo_table_free(&a->table[i]);
	ea_config_free(&a->cfg);
	ea_cgroup_names_free(a->cg_names);
	ea_label_sources_free(&a->label_src);
	ea_evidence_cache_free(a->evidence);
	free(a);
}
