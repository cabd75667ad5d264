// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's side of the audit trail: open it after the configuration,
 * record the configuration, the start with the hooks attached, a heartbeat
 * with the kernel counters every heartbeat_interval, and the stop; drive the
 * trail's periodic work from the event loop.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "record.h"
#include "trail.h"
#include "util.h"
#include "version.h"

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ea_agent_record(struct ea_agent *a, uint32_t kind, const char *detail)
{
	struct ea_rec *r = &a->rec;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ts_ns = real_ns();
	snprintf(r->host, sizeof(r->host), "%s", a->host);
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	ea_agent_emit(a, r);
}

/* s as a JSON string (quoted, escaped) into buf, or null. */
static const char *json_str(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	if (!s)
		return "null";
	buf[n++] = '"';
	for (; *s && n + 8 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\u%04x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* The config record: which file, and the trail's settings. */
static void record_config(struct ea_agent *a)
{
	const struct ea_agent_cfg *c = &a->cfg.agent;
	char path[1100], dir[1100], detail[EA_REC_DETAIL_MAX];

	snprintf(detail, sizeof(detail),
		 "{\"loaded\":%s,\"log_dir\":%s,\"flush\":\"%s\",\"disk_full_action\":\"%s\","
		 "\"rotate_size\":%llu,\"rotate_age\":%llu,\"retain_size\":%llu,"
		 "\"retain_age\":%llu,\"checkpoint_interval\":%u,\"heartbeat_interval\":%u,"
		 "\"record\":\"%s\",\"mode\":\"%s\",\"update_interval\":%u,\"tcp_slots\":%u,"
		 "\"slot_sweep\":%u,\"ringbuf_size\":%u,"
		 "\"flood_limit\":%u}",
		 json_str(path, sizeof(path), a->cfg.path),
		 json_str(dir, sizeof(dir), ea_trail_dir(a->trail)),
		 ea_flush_mode_name(c->flush), ea_disk_full_name(c->disk_full),
		 (unsigned long long)c->rotate_size, (unsigned long long)c->rotate_age_s,
		 (unsigned long long)c->retain_size, (unsigned long long)c->retain_age_s,
		 c->checkpoint_interval_s, c->heartbeat_interval_s,
		 ea_agent_record_name(a), ea_agent_mode_name(a),
		 c->update_interval_s, c->tcp_slots, c->slot_sweep_s, c->ringbuf_kib,
		 c->flood_events);
	ea_agent_record(a, EA_REC_CONFIG, detail);
}

/* The trail's own records (checkpoints, repairs, ...) are printed too. */
static void print_own(void *ctx, const struct ea_rec *r)
{
	struct ea_agent *a = ctx;

	ea_agent_print(a, r);
	a->records++;
}

int ea_agent_trail_open(struct ea_agent *a)
{
	struct ea_trail_opts o;
	struct ea_err err = { { 0 } };
	int r;

	ea_trail_opts_from_config(&o, &a->cfg.agent, a->host);
	o.own_record = print_own;
	o.own_ctx = a;
	r = ea_trail_open(&a->trail, &o, &err);
	if (r) {
		ea_log("audit trail: %s", err.msg);
		return r;
	}
	ea_log("audit trail in %s (flush %s)", ea_trail_dir(a->trail),
	       ea_flush_mode_name(a->cfg.agent.flush));
	if (ea_trail_lock_errno(a->trail))
		ea_log("warning: %s: its file system takes no lock (%s): a second agent on "
		       "this trail would not be refused", ea_trail_dir(a->trail),
		       strerror(ea_trail_lock_errno(a->trail)));
	a->last_heartbeat_ns = real_ns();
	record_config(a);
	return 0;
}

void ea_agent_trail_started(struct ea_agent *a)
{
	char detail[EA_REC_DETAIL_MAX], cfg[1100], cg[1100], hook[400];
	size_t n;

	n = (size_t)snprintf(detail, sizeof(detail),
			     "{\"version\":\"%s\",\"commit\":\"%s\",\"config\":%s,\"cgroup\":%s,"
			     "\"hooks\":[",
			     ea_version(), ea_commit(), json_str(cfg, sizeof(cfg), a->cfg.path),
			     json_str(cg, sizeof(cg), a->cg_path));
	for (size_t i = 0; i < a->nhooks && n < sizeof(detail); i++)
		n += (size_t)snprintf(detail + n, sizeof(detail) - n, "%s%s", i ? "," : "",
				      json_str(hook, sizeof(hook), a->hooks[i]));
	if (n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - n, "]}");
	ea_agent_record(a, EA_REC_AGENT_START, detail);
}

/* The heartbeat: kernel counters, records made, written and not yet. */
static void heartbeat(struct ea_agent *a)
{
	struct ea_trail_stats st = { 0 };
	uint64_t c[EA_CNT_MAX] = { 0 };
	char detail[EA_REC_DETAIL_MAX];
	size_t n;

	ea_agent_read_counters(a, c);
	if (a->trail)
		ea_trail_get_stats(a->trail, &st);
	n = (size_t)snprintf(detail, sizeof(detail), "{\"counters\":{");
	for (int k = 0, first = 1; k < EA_CNT_MAX; k++) {
		if (!ea_counter_name(k))
			continue;
		n += (size_t)snprintf(detail + n, sizeof(detail) - n, "%s\"%s\":%llu",
				      first ? "" : ",", ea_counter_name(k), (unsigned long long)c[k]);
		first = 0;
	}
	snprintf(detail + n, sizeof(detail) - n,
		 "},\"records\":%llu,\"written\":%llu,\"lag\":%llu,\"refused\":%llu}",
		 (unsigned long long)a->records, (unsigned long long)st.written,
		 (unsigned long long)(st.appended - st.written), (unsigned long long)st.refused);
	ea_agent_record(a, EA_REC_HEARTBEAT, detail);
}

void ea_agent_trail_tick(struct ea_agent *a)
{
	int64_t now = real_ns();

	if (now - a->last_heartbeat_ns >= (int64_t)a->cfg.agent.heartbeat_interval_s * 1000000000) {
		a->last_heartbeat_ns = now;
		heartbeat(a);
	}
	ea_trail_tick(a->trail, now);
}

void ea_agent_trail_close(struct ea_agent *a, int exit_code)
{
	char detail[128];

	if (!a->trail)
		return;
	snprintf(detail, sizeof(detail), "{\"exit\":%d,\"records\":%llu}", exit_code,
		 (unsigned long long)a->records + 1);
	ea_agent_record(a, EA_REC_AGENT_STOP, detail);
	if (ea_trail_close(a->trail))
		ea_log("audit trail: closing failed; see above");
	a->trail = NULL;
	ea_agent_flush_out(a);
}
