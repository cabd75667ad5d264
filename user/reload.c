// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload on SIGHUP: a new configuration and GeoIP data go into the idle
 * bank of the kernel table and become active with one write. Bad input
 * (config, GeoIP file) is reported and the running state stays as it was.
 * What cannot change while running (labels, cgroup, devices, ring buffer,
 * the trail's settings, SIEM destinations) needs a restart: such a reload is
 * refused as a whole.
 */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "egress.skel.h"
#include "util.h"

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool vec_eq(const struct ea_str_vec *a, const struct ea_str_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* Which part of the new config needs a restart, or NULL. */
static const char *restart_needed(const struct ea_config *old, const struct ea_config *new)
{
	if (!str_eq(old->agent.cgroup, new->agent.cgroup))
		return "[agent] cgroup";
	if (!vec_eq(&old->agent.interfaces, &new->agent.interfaces))
		return "[agent] interfaces";
	if (old->agent.ringbuf_kib != new->agent.ringbuf_kib)
		return "[agent] ringbuf_size";
	if (old->agent.tcp_slots != new->agent.tcp_slots)
		return "[agent] tcp_slots";
	if (old->agent.mode != new->agent.mode)
		return "[agent] mode";
	if (old->agent.tcp_per_packet != new->agent.tcp_per_packet)
		return "[agent] tcp_count";
	if (old->agent.ignore_32bit_calls != new->agent.ignore_32bit_calls)
		return "[agent] watch_32bit_calls";
	if (!str_eq(old->agent.log_dir, new->agent.log_dir) ||
	    !str_eq(old->agent.key_file, new->agent.key_file) ||
	    old->agent.flush != new->agent.flush ||
	    old->agent.disk_full != new->agent.disk_full ||
	    old->agent.rotate_size != new->agent.rotate_size ||
	    old->agent.rotate_age_s != new->agent.rotate_age_s ||
	    old->agent.retain_size != new->agent.retain_size ||
	    old->agent.retain_age_s != new->agent.retain_age_s ||
	    old->agent.checkpoint_interval_s != new->agent.checkpoint_interval_s ||
	    old->agent.heartbeat_interval_s != new->agent.heartbeat_interval_s)
		return "[agent] audit trail settings";
	if (!str_eq(old->agent.hostname, new->agent.hostname))
		return "[agent] hostname";
	if (old->nsiems != new->nsiems)
		return "[siem] sections";
	for (size_t i = 0; i < old->nsiems; i++) {
		const struct ea_siem_cfg *o = &old->siems[i], *n = &new->siems[i];

		if (strcmp(o->name, n->name) || !str_eq(o->target, n->target) ||
		    o->format != n->format || o->select != n->select ||
		    !str_eq(o->ca, n->ca) || !str_eq(o->cert, n->cert) ||
		    !str_eq(o->key, n->key) || o->has_fingerprint != n->has_fingerprint ||
		    memcmp(o->fingerprint, n->fingerprint, sizeof(o->fingerprint)) ||
		    o->backoff_cap_s != n->backoff_cap_s)
			return "[siem] sections";
	}
	if (old->nlabels != new->nlabels)
		return "[label] sections";
	for (size_t i = 0; i < old->nlabels; i++) {
		const struct ea_label_cfg *o = &old->labels[i], *n = &new->labels[i];

		if (strcmp(o->name, n->name) || !vec_eq(&o->cgroups, &n->cgroups) ||
		    !vec_eq(&o->paths, &n->paths) || o->has_mode != n->has_mode ||
		    o->mode != n->mode)
			return "[label] sections";
	}
	return NULL;
}

/* The config record of a reload, with the settings in force after it. */
static void reload_record(struct ea_agent *a, const char *outcome, const char *why)
{
	struct ea_rec *r = &a->rec;
	const struct ea_geo_table *t = &a->table[a->bank];
	const struct ea_agent_cfg *c = &a->cfg.agent;

	memset(r, 0, sizeof(*r));
	r->kind = EA_REC_CONFIG;
	r->ts_ns = ea_boot_to_real_ns() + (int64_t)ea_boot_ns();
	snprintf(r->host, sizeof(r->host), "%s", a->host);
	snprintf(r->detail, sizeof(r->detail),
		 "{\"reload\":\"%s\",\"reason\":\"%s\",\"geo_ranges\":%llu,"
		 "\"results\":%u,\"bank\":%u,\"record\":\"%s\",\"update_interval\":%u,"
		 "\"flood_limit\":%u}", outcome, why,
		 (unsigned long long)t->geo_ranges, t->nresults, a->bank,
		 ea_agent_record_name(a), c->update_interval_s, c->flood_events);
	ea_agent_emit(a, r);
}

/* Keep only characters that need no JSON escaping in a reason. */
static void plain(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = '\'';
}

void ea_agent_reload(struct ea_agent *a)
{
	struct ea_err err = { { 0 } };
	struct ea_config cfg;
	uint32_t idle = a->bank ^ 1;
	const char *why;
	int ret;

	if (ea_config_load(a->config_path, &cfg, &err)) {
		ea_log("reload: %s; keeping the running configuration", err.msg);
		plain(err.msg);
		reload_record(a, "refused", err.msg);
		return;
	}
	why = restart_needed(&a->cfg, &cfg);
	if (why) {
		ea_log("reload: %s changed, which needs a restart; keeping the running "
		       "configuration", why);
		reload_record(a, "refused", why);
		ea_config_free(&cfg);
		return;
	}
	ea_geo_table_free(&a->table[idle]);
	ret = ea_geo_table_build(&cfg, &a->table[idle], &err);
	if (!ret)	/* the idle bank's counts, named before its results change */
		ea_agent_retire_bank(a, idle);
	if (!ret)
		ret = ea_geo_maps_fill(&a->geo, &a->table[idle], idle);
	if (ret == -E2BIG && !err.msg[0])
		ea_err_set(&err, "the new GeoIP table needs more trie nodes than the kernel "
			   "maps were sized for at start (a restart sizes them again)");
	if (ret) {
		ea_log("reload: %s; keeping the running configuration",
		       err.msg[0] ? err.msg : strerror(-ret));
		plain(err.msg);
		reload_record(a, "refused", err.msg[0] ? err.msg : strerror(-ret));
		ea_config_free(&cfg);
		return;
	}
	ea_agent_settings_from(&a->kcfg, &cfg);
	a->kcfg.geo_bank = idle;
	ea_agent_settings_publish(a);
	a->bank = idle;
	ea_config_free(&a->cfg);
	a->cfg = cfg;
	ea_log("reload: GeoIP and policy now from bank %u (%u results)", idle,
	       a->table[idle].nresults);
	reload_record(a, "applied", "");
}
