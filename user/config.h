/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's configuration: an INI file (inih) with repeatable keys.
 * Unknown sections and keys are errors; every error names the file, the line
 * and the problem. Without a file the embedded defaults apply.
 */
#ifndef EA_CONFIG_H
#define EA_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "egress_audit.h"

#define EA_LABEL_NAME_MAX	64

/* A set of destinations data may go to: zones and/or country codes. */
struct ea_allow_set {
	uint32_t zones;		/* bit (1 << enum ea_zone) */
	uint16_t *ccs;		/* packed country codes */
	size_t nccs;
};

/* A CIDR from the config, with where it was written. */
struct ea_cidr_entry {
	struct ea_cidr cidr;
	uint32_t line;
};

struct ea_cidr_vec {
	struct ea_cidr_entry *v;
	size_t n;
};

struct ea_str_vec {
	char **v;
	uint32_t *line;		/* the config line of each */
	size_t n;
};

struct ea_label_cfg {
	char name[EA_LABEL_NAME_MAX];
	struct ea_str_vec cgroups;	/* cgroup = PATH (repeatable) */
	struct ea_str_vec paths;	/* path = DIR (repeatable) */
	bool has_allow;
	struct ea_allow_set allow;	/* allow = ... (default: [policy] allow) */
	bool has_mode;
	uint32_t mode;			/* enum ea_mode */
	uint32_t line;			/* line of the section header */
};

/* [agent] flush: how far a record has gone when the trail calls it written. */
enum ea_flush_mode {
	EA_FLUSH_NONE = 0,		/* blocks written when full or each second */
	EA_FLUSH_INCREMENTAL = 1,	/* blocks written after each batch of events */
	EA_FLUSH_DATA = 2,		/* ... and fdatasync'd */
	EA_FLUSH_SYNC = 3,		/* ... fsync'd, directories too */
};

/* [agent] disk_full_action: what the trail does when a write finds no space. */
enum ea_disk_full_action {
	EA_DISK_FULL_SUSPEND = 0,	/* count records, write a gap record later */
	EA_DISK_FULL_ROTATE = 1,	/* delete the oldest segments, then suspend */
	EA_DISK_FULL_HALT = 2,		/* stop writing the trail for this run */
};

#define EA_DEFAULT_LOG_DIR	"/var/lib/egress-audit"

#define EA_MAX_INTERFACES	32	/* [agent] interfaces: tc hooks the agent holds */

struct ea_agent_cfg {
	char *cgroup;			/* NULL: root of the cgroup v2 mount */
	uint32_t cgroup_line;		/* the config line of cgroup */
	struct ea_str_vec interfaces;	/* tc egress backstop */
	bool record_all;		/* record = flagged|all */
	bool tcp_per_packet;		/* tcp_count = socket|packet */
	bool ignore_32bit_calls;	/* watch_32bit_calls = auto|no */
	uint32_t mode;			/* mode = audit|enforce */
	uint32_t update_interval_s;	/* flow_update period, default 60 */
	uint32_t ringbuf_kib;		/* ring buffer size, default 4096 */
	uint32_t flood_events;		/* flood limit, events/s per process; 0: none */
	uint32_t tcp_slots;		/* map slots for TCP flow state; 0: storage only */
	uint32_t slot_sweep_s;		/* seconds between sweeps of the slots, default 10 */
	char *hostname;			/* NULL: gethostname() */

	/* the audit trail */
	char *log_dir;			/* NULL: EA_DEFAULT_LOG_DIR */
	char *key_file;			/* NULL: log_dir/host.key */
	uint32_t flush;			/* enum ea_flush_mode, default none */
	uint32_t disk_full;		/* enum ea_disk_full_action, default suspend */
	uint64_t rotate_size;		/* bytes, default 64 MiB */
	uint64_t rotate_age_s;		/* default 1 day; 0: never by age */
	uint64_t retain_size;		/* bytes of all segments, default 1 GiB; 0: no limit */
	uint64_t retain_age_s;		/* default 0: no limit */
	uint32_t checkpoint_interval_s;	/* default 300 */
	uint32_t heartbeat_interval_s;	/* default 60 */
};

struct ea_policy_cfg {
	struct ea_allow_set allow;	/* default: eu eea adequacy internal own */
	uint16_t *deny;			/* country codes flagged even if allowed */
	size_t ndeny;
	struct ea_cidr_vec own_cidr;
	struct ea_cidr_vec allow_cidr;
	struct ea_cidr_vec deny_cidr;
	bool unknown_allow;		/* unknown = flag|allow, default flag */
};

#define EA_SIEM_NAME_MAX	64
#define EA_MAX_SIEMS		16
#define EA_SIEM_BACKOFF_CAP_S	10

/* [siem NAME]: one SIEM destination (siem.h). */
struct ea_siem_cfg {
	char name[EA_SIEM_NAME_MAX];
	char *target;			/* SCHEME://HOST:PORT, checked */
	uint32_t proto;			/* enum ea_siem_proto of the target */
	uint32_t format;		/* enum ea_siem_fmt */
	uint32_t select;		/* enum ea_siem_class bits */
	char *ca, *cert, *key;		/* files, tls:// only */
	bool has_fingerprint;
	uint8_t fingerprint[32];	/* SHA-256 of the server certificate */
	uint32_t backoff_cap_s;		/* longest wait between attempts */
	uint32_t line;			/* line of the section header */
};

struct ea_config {
	char *path;			/* NULL: embedded defaults */
	struct ea_agent_cfg agent;
	struct ea_str_vec geoip_files;	/* empty: the embedded snapshot */
	struct ea_policy_cfg policy;
	struct ea_label_cfg *labels;
	size_t nlabels;			/* at most EA_MAX_LABELS */
	struct ea_siem_cfg *siems;
	size_t nsiems;			/* at most EA_MAX_SIEMS */
};

/* Embedded defaults only. */
void ea_config_defaults(struct ea_config *cfg);
/* The mode of label l: its own, else [agent] mode (enum ea_mode). */
uint32_t ea_label_mode(const struct ea_config *cfg, const struct ea_label_cfg *l);
/* Defaults, then the file at path (NULL: defaults only). 0 or -errno. */
int ea_config_load(const char *path, struct ea_config *cfg, struct ea_err *err);
/* Defaults, then INI text; name is used in messages as the file name. */
int ea_config_parse_string(const char *name, const char *text,
			   struct ea_config *cfg, struct ea_err *err);
void ea_config_free(struct ea_config *cfg);

/* The names config files use for enum ea_flush_mode and ea_disk_full_action. */
const char *ea_flush_mode_name(uint32_t mode);
const char *ea_disk_full_name(uint32_t action);

/* Zone names: "eu", "eea", "adequacy", "adequacy-partial", "third",
 * "unknown", "internal", "own". */
const char *ea_zone_name(uint32_t zone);
int ea_zone_parse(const char *s);	/* enum ea_zone or -1 */
const char *ea_verdict_name(uint32_t verdict);

/* Parse "ZONE|CC ..." (space separated). Returns 0 or -EINVAL and the bad word. */
int ea_allow_set_parse(const char *text, struct ea_allow_set *set,
		       char *bad, size_t badlen);
bool ea_allow_set_has(const struct ea_allow_set *set, uint32_t zone, uint16_t cc);
void ea_allow_set_free(struct ea_allow_set *set);

/* The zone of a country under GDPR Chapter V (data/jurisdictions.csv). */
uint32_t ea_country_zone(uint16_t cc);

#endif /* EA_CONFIG_H */
