// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Watching the watcher. Root can blind the agent without stopping it:
 * detach one of its cgroup links (BPF_LINK_DETACH), put another program
 * behind a link (BPF_LINK_UPDATE), delete its tc filter, or rewrite the
 * settings the datapath reads in its .bss, or rewrite the GeoIP table in its
 * maps. Once a second the agent looks at each (at the whole table every
 * GEO_CHECK_PARTS seconds, a part at a time), writes a `tamper` record for
 * every change it finds (to the trail, and from there to the SIEM) and puts
 * things back. The map naming the watched cgroup is frozen once set: no
 * write reaches it at all.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agent.h"
#include "cgroup.h"
#include "egress.skel.h"
#include "sbuf.h"
#include "util.h"

#define GEO_CHECK_PARTS	256

/* The settings of struct ea_kern_config the agent owns: all but taint_gen,
 * which the datapath bumps itself. */
#define SETTING(f) { #f, offsetof(struct ea_kern_config, f), \
		     sizeof(((struct ea_kern_config *)0)->f) }
static const struct {
	const char *name;
	size_t off, size;
} settings[] = {
	SETTING(geo_bank), SETTING(mode), SETTING(default_labels),
	SETTING(enforce_labels), SETTING(update_interval_ns), SETTING(record_all),
	SETTING(policy_gen), SETTING(path_labels), SETTING(cgroup_labelled),
	SETTING(wakeup_bytes), SETTING(watched_level), SETTING(watched_cgroup),
	SETTING(path_label_set), SETTING(flood_events), SETTING(flood_bytes),
	SETTING(tcp_slots), SETTING(tcp_by_state), SETTING(device_backstop),
};
#undef SETTING

void ea_agent_settings_publish(struct ea_agent *a)
{
	struct ea_kern_config *live = &a->skel->bss->cfg;

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (settings[i].off != offsetof(struct ea_kern_config, policy_gen))
			memcpy((char *)live + settings[i].off,
			       (const char *)&a->kcfg + settings[i].off, settings[i].size);
	/* last: a new generation makes every socket classify again */
	a->kcfg.policy_gen++;
	__atomic_store_n(&live->policy_gen, a->kcfg.policy_gen, __ATOMIC_SEQ_CST);
}

/*
 * Record one finding and say it on standard error: what was touched (a
 * hook, "settings" with the names of the fields rewritten, separated by
 * spaces, or a map of the GeoIP table with the number of entries), the
 * change, and whether the agent put it back.
 */
static void tampered(struct ea_agent *a, const char *what, const char *change,
		     const char *fields, int entries, bool repaired)
{
	struct ea_sbuf b = { 0 };
	const char *f = fields;

	a->tampers++;
	ea_log("tamper: %s %s%s%s; %s", what, change, fields ? ": " : "", fields ? fields : "",
	       repaired ? "put back" : "could not put it back");
	ea_sb_puts(&b, "{\"what\":");
	ea_sb_json_str(&b, what);
	ea_sb_puts(&b, ",\"change\":");
	ea_sb_json_str(&b, change);
	if (fields) {
		ea_sb_puts(&b, ",\"fields\":[");
		while (*f) {
			size_t n = strcspn(f, " ");

			if (f != fields)
				ea_sb_putc(&b, ',');
			ea_sb_json_strn(&b, f, n);
			f += n;
			if (*f == ' ')
				f++;
		}
		ea_sb_putc(&b, ']');
	}
	if (entries) {
		ea_sb_puts(&b, ",\"entries\":");
		ea_sb_u64(&b, (uint64_t)entries);
	}
	ea_sb_puts(&b, repaired ? ",\"repaired\":true}" : ",\"repaired\":false}");
	if (!b.oom)
		ea_agent_record(a, EA_REC_TAMPER, b.p);
	ea_sb_free(&b);
}

/*
 * A change to a hook: recorded when found. When it could not be put back
 * (*lost), putting back is tried again every second, quietly, and recorded
 * once it works: a cgroup or interface that went away is not a record a
 * second.
 */
static void hook_changed(struct ea_agent *a, bool *lost, const char *what,
			 const char *change, bool repaired)
{
	if (!*lost)
		tampered(a, what, change, NULL, 0, repaired);
	else if (repaired)
		tampered(a, what, "put back", NULL, 0, true);
	*lost = !repaired;
}

/* The id of a loaded program, 0 when unreadable. */
static uint32_t prog_id(int prog_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

int ea_agent_guard_link(struct ea_agent *a, size_t i, struct bpf_program *p)
{
	a->link_prog[i] = p;
	a->link_prog_id[i] = prog_id(bpf_program__fd(p));
	return a->link_prog_id[i] ? 0 : -errno;
}

/* A cgroup link detached: attach the program again, on a new link. */
static bool reattach(struct ea_agent *a, size_t i)
{
	struct bpf_link *l = bpf_program__attach_cgroup(a->link_prog[i], a->cgroup_fd);

	if (!l)
		return false;
	bpf_link__destroy(a->links[i]);
	a->links[i] = l;
	return true;
}

static void check_link(struct ea_agent *a, size_t i)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_link__fd(a->links[i]);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	if (info.type == BPF_LINK_TYPE_CGROUP && !info.cgroup.cgroup_id)
		hook_changed(a, &a->link_lost[i], a->hooks[i], "detached", reattach(a, i));
	else if (info.prog_id != a->link_prog_id[i])
		hook_changed(a, &a->link_lost[i], a->hooks[i], "program replaced",
			     !bpf_link_update(fd, bpf_program__fd(a->link_prog[i]), NULL));
}

/* Put the filter back (and the clsact qdisc, when it went too). */
static bool tc_put_back(struct ea_tc *t)
{
	struct bpf_tc_opts o = { .sz = sizeof(o), .handle = t->opts.handle,
				 .priority = t->opts.priority, .prog_fd = t->opts.prog_fd,
				 .flags = BPF_TC_F_REPLACE };
	int err = bpf_tc_hook_create(&t->hook);

	if (err && err != -EEXIST)
		return false;
	t->created_hook |= !err;	/* a qdisc made again is ours to remove */
	if (bpf_tc_attach(&t->hook, &o))
		return false;
	t->opts.prog_id = o.prog_id;
	return true;
}

static void check_tc(struct ea_agent *a, struct ea_tc *t)
{
	struct bpf_tc_opts q = { .sz = sizeof(q), .handle = t->opts.handle,
				 .priority = t->opts.priority };
	char what[48];
	int err = bpf_tc_query(&t->hook, &q);

	if (!err && q.prog_id == t->opts.prog_id)
		return;
	snprintf(what, sizeof(what), "tc/egress:%s", t->name);
	hook_changed(a, &t->lost, what, err ? "filter removed" : "program replaced",
		     tc_put_back(t));
}

static void check_settings(struct ea_agent *a)
{
	const struct ea_kern_config *live = &a->skel->bss->cfg;
	char fields[512];
	size_t n = 0;

	fields[0] = '\0';
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (memcmp((const char *)live + settings[i].off,
			   (const char *)&a->kcfg + settings[i].off, settings[i].size))
			n += (size_t)snprintf(fields + n, sizeof(fields) - n, "%s%s",
					      n ? " " : "", settings[i].name);
	if (!n)
		return;
	ea_agent_settings_publish(a);
	tampered(a, "settings", "rewritten", fields, 0, true);
}

/* The active bank of the GeoIP table, a part a second; what differs is
 * written again by the check itself. */
static void check_geo(struct ea_agent *a)
{
	const char *what;
	int n = ea_geo_maps_check(&a->geo, &a->table[a->bank], a->bank, GEO_CHECK_PARTS,
				  &a->geo_check, &what);

	if (n > 0)
		tampered(a, what, "rewritten", NULL, n, true);
}

/*
 * Whether the watched cgroup was removed: its links, detached with it,
 * cannot be put back on it, and a cgroup made again at its path is
 * another one, which the datapath was not set up for.
 */
static bool watched_cgroup_gone(const struct ea_agent *a)
{
	uint64_t id;
	bool lost = false;

	for (size_t i = 0; i < a->nlinks; i++)
		lost |= a->link_lost[i];
	return lost && (ea_cgroup_id(a->cg_path, &id) || id != a->kcfg.watched_cgroup);
}

/*
 * Once a second: the hooks (libbpf quiet about one already recorded as
 * lost, which hook_changed tries again), the settings and the GeoIP table.
 */
bool ea_agent_guard_check(struct ea_agent *a)
{
	for (size_t i = 0; i < a->nlinks; i++) {
		ea_libbpf_quiet = a->link_lost[i];
		check_link(a, i);
	}
	for (size_t i = 0; i < a->ntc; i++) {
		ea_libbpf_quiet = a->tc[i].lost;
		check_tc(a, &a->tc[i]);
	}
	ea_libbpf_quiet = false;
	check_settings(a);
	check_geo(a);
	return watched_cgroup_gone(a);
}
