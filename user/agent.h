/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The running agent: what `run` holds while it watches. */
#ifndef EA_AGENT_H
#define EA_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "egress_audit.h"
#include "geo_maps.h"
#include "geo_table.h"
#include "labels.h"
#include "rec.h"
#include "wallclock.h"

#define EA_MAX_LINKS	32
#define EA_MAX_PROGS	96	/* programs of the object whose skipped runs are followed */
#define EA_MAX_TC	EA_MAX_INTERFACES

struct egress_bpf;
struct ea_siem;
struct ea_cgroup_names;
struct ea_evidence_cache;

struct ea_tc {
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	bool created_hook;
	bool lost;		/* changed and not yet put back (agent_guard.c) */
	char name[16];		/* IF_NAMESIZE */
};

/* How file taint by 32-bit system calls stands. */
enum ea_32bit_calls {
	EA_32BIT_NO_TREES,	/* no labelled trees: nothing to taint by */
	EA_32BIT_NONE,		/* the kernel makes no such calls */
	EA_32BIT_UNWATCHED,	/* [agent] watch_32bit_calls = no */
	EA_32BIT_WATCHED,
};

#define EA_STATUS_MAPS	64	/* the maps the status files show, at most */

struct ea_agent {
	struct ea_config cfg;
	struct ea_geo_table table[EA_GEO_BANKS];
	uint32_t bank;
	struct egress_bpf *skel;
	struct bpf_program *egress;	/* the variant of cgroup_skb/egress loaded */
	bool tcp_by_state;		/* the build loaded: TCP counted by state */
	bool tcp_ends_at_close;		/* TCP flows end at TCP_CLOSE, not at close() */
	bool every_call;		/* file taint by syscall_exit, not per call */
	enum ea_32bit_calls calls_32bit;	/* found at load */
	bool connect_routes;		/* connect4/6_enforce: source routes weighed */
	struct ea_geo_maps geo;
	const char *tcp_end_hook;

	const char *config_path;	/* NULL: embedded defaults */
	const char *cgroup_arg;
	const char *state_dir;
	char cg_mount[PATH_MAX];
	char cg_path[PATH_MAX];
	int cgroup_fd;
	struct bpf_link *links[EA_MAX_LINKS];
	struct bpf_program *link_prog[EA_MAX_LINKS];	/* what each link must run */
	uint32_t link_prog_id[EA_MAX_LINKS];
	bool link_lost[EA_MAX_LINKS];	/* changed and not yet put back */
	size_t nlinks;
	struct ea_tc tc[EA_MAX_TC];
	size_t ntc;
	char hooks[EA_MAX_LINKS + EA_MAX_TC][48];	/* links' names, then tc's */
	size_t nhooks;
	char pin_dir[PATH_MAX];
	bool pinned;

	FILE *out;
	bool out_lost;		/* no printing: stdout is /dev/null, or its reader went away */
	/*
	 * udp_flows, dev_flows: empty at the last status (a second ago). Their
	 * flows end after 30 s idle, so a map empty then holds none to end
	 * now, and its sweep (a walk of every bucket, even when empty) is
	 * skipped.
	 */
	bool udp_flows_empty, dev_flows_empty;
	uint64_t memlock_fixed[EA_STATUS_MAPS];	/* of preallocated maps; 0: not read */
	bool json;
	char host[256];
	struct ea_wallclock clock;	/* the wall clock's offset and steps */
	int64_t started_real_ns;
	struct ea_cgroup_names *cg_names;
	uint64_t lost_seen[EA_CNT_MAX];
	uint64_t flood_named[EA_EV_KINDS];	/* refused events recorded with their process */
	uint64_t flood_unnamed[EA_EV_KINDS];	/* and without (its entry gone before it was read) */
	uint64_t records, bad_events;
	uint64_t skipped[EA_MAX_PROGS];	/* per program of the object: runs the kernel skipped */
	uint32_t sweep_gen;		/* the last sweep of tcp_socks */
	int64_t sweep_ns;		/* when it ran (CLOCK_MONOTONIC) */
	uint64_t swept;			/* slots whose flows the sweeps ended */
	uint32_t sweep_netns_full;	/* slots the last sweep could not judge: too many namespaces */
	uint64_t mount_scans;		/* reads of the mount table after it changed */
	struct ea_rec rec;		/* scratch for the record being made */
	struct ea_label_sources label_src;	/* evidence names */
	struct ea_evidence_cache *evidence;	/* of recorded flows, until their end */
	struct ea_trail *trail;		/* the audit trail every record goes to */
	struct ea_siem *siem;		/* the SIEM feed, reading the trail */
	int64_t last_heartbeat_ns;
	struct ea_kern_config kcfg;	/* the datapath's settings as the agent set them */
	struct ea_geo_check geo_check;	/* where the guard's next look at the table starts */
	uint64_t tampers;		/* changes made to hooks or settings behind its back */
};

int64_t ea_boot_to_real_ns(void);

/*
 * Everything that can be wrong before loading, as `run` and `check` see it:
 * the configuration, the GeoIP data (the table built into table[0]), the
 * machine's requirements, the cgroup to watch (and that enforce mode names
 * it), the labels' cgroups and trees, the SIEM destinations' files. 0, or
 * the exit code, the reason logged.
 */
struct ea_global_opts;
int ea_agent_prepare(struct ea_agent *a, const struct ea_global_opts *g);
/* The host name the records carry: [agent] hostname, else the system's. */
void ea_agent_set_host(struct ea_agent *a);
void ea_agent_init_context(struct ea_agent *a);
void ea_agent_reload(struct ea_agent *a);
ssize_t ea_agent_run_iter(struct bpf_program *prog, void *buf, size_t len);
void ea_agent_follow_clock(struct ea_agent *a);
void ea_agent_print(struct ea_agent *a, const struct ea_rec *r);
void ea_agent_flush_out(struct ea_agent *a);
void ea_agent_emit(struct ea_agent *a, struct ea_rec *r);
void ea_agent_emit_flow(struct ea_agent *a, const struct ea_flow_event *e);
void ea_agent_emit_lost(struct ea_agent *a, const char *what, uint64_t count);
/* Slots of tcp_socks whose socket is gone: their flows ended (agent_sweep.c). */
void ea_agent_sweep_slots(struct ea_agent *a);
/* A lost record whose detail (a JSON object) says why. */
void ea_agent_emit_lost_detail(struct ea_agent *a, const char *what, uint64_t count,
			       const char *detail);
/* Runs of the programs the kernel skipped (agent_skipped.c): lost records, and for status. */
struct ea_sbuf;
void ea_agent_report_skipped(struct ea_agent *a);
void ea_agent_skipped_json(FILE *f, const struct ea_agent *a);
void ea_agent_skipped_text(FILE *f, const struct ea_agent *a);
void ea_agent_skipped_prom(struct ea_sbuf *b, const struct ea_agent *a);
/* The configured [agent] mode and record, as the config calls them. */
const char *ea_agent_mode_name(const struct ea_agent *a);
/* Whether a child's int 0x80 returns: the kernel makes 32-bit system calls. */
bool ea_kernel_makes_32bit_calls(void);
bool ea_kernel_makes_x32_calls(void);
enum ea_32bit_calls ea_agent_32bit_calls(const struct ea_agent *a);
/* "none", "unwatched", "watched"; NULL for EA_32BIT_NO_TREES. */
const char *ea_32bit_calls_name(enum ea_32bit_calls c);
/* Whether watching 32-bit calls takes a program at every call's entry too. */
bool ea_moves32_at_entry(const struct ea_config *cfg);
const char *ea_agent_record_name(const struct ea_agent *a);
/* A lost record of events the flood limit refused: tgid and comm name the
 * process (comm NULL: unknown). */
void ea_agent_emit_refused(struct ea_agent *a, const char *what, uint64_t count,
			   uint32_t tgid, const char *comm);
int ea_agent_read_counters(struct ea_agent *a, uint64_t out[EA_CNT_MAX]);
void ea_agent_sweep_flows(struct ea_agent *a);
void ea_agent_end_dev_flows(struct ea_agent *a);
void ea_agent_write_status(struct ea_agent *a);
/*
 * Before a reload fills bank anew: its aggregates move to agg_retired under
 * the (country, zone) their results name, so that none is counted under
 * what the new table puts at the same index.
 */
void ea_agent_retire_bank(struct ea_agent *a, uint32_t bank);
int ea_agent_pin(struct ea_agent *a);
/* An agent record of kind with a JSON detail, to the trail and the output. */
void ea_agent_record(struct ea_agent *a, uint32_t kind, const char *detail);

/* The settings of the datapath that a reload may change, from cfg. */
void ea_agent_settings_from(struct ea_kern_config *k, const struct ea_config *cfg);
/* The guard (agent_guard.c): kcfg into the datapath's .bss, policy_gen
 * last; what program link i must run; the check made every second. */
void ea_agent_settings_publish(struct ea_agent *a);
int ea_agent_guard_link(struct ea_agent *a, size_t i, struct bpf_program *p);
/*
 * Set while the guard retries putting back a hook it already recorded as
 * lost: libbpf's warnings about the same failure every second are noise.
 */
extern bool ea_libbpf_quiet;
/* True when the watched cgroup was removed: nothing is left to watch. */
bool ea_agent_guard_check(struct ea_agent *a);
void ea_agent_unpin(struct ea_agent *a);
void ea_agent_free(struct ea_agent *a);

/* The audit trail (agent_trail.c): open it and record the configuration;
 * record the start, heartbeats and the stop; the loop's periodic work. */
int ea_agent_trail_open(struct ea_agent *a);
void ea_agent_trail_started(struct ea_agent *a);
void ea_agent_trail_tick(struct ea_agent *a);
void ea_agent_trail_close(struct ea_agent *a, int exit_code);

#endif /* EA_AGENT_H */
