// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit check: what `run` checks before it loads anything, and
 * nothing more: the configuration, the GeoIP data, the machine, the cgroup,
 * the labels' cgroups and trees, the SIEM destinations' files, the audit
 * trail's directory and key. Loads, attaches and makes nothing, so that a
 * configuration can be tried on the host it is for (config management,
 * ExecStartPre) before the agent is restarted.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "commands.h"
#include "siem_format.h"
#include "trail.h"
#include "util.h"

const char cmd_check_usage[] =
	"Usage: egress-audit check [-c CONFIG] [--cgroup PATH] [-j]\n\n"
	"Check what run checks before it loads anything, without loading or\n"
	"attaching: the configuration, every GeoIP file, the machine (root, kernel\n"
	"BTF, cgroup v2), the cgroup to watch (and that enforce mode names it),\n"
	"each label's cgroups and file trees, the SIEM destinations (targets,\n"
	"CA, certificate and key, which must load) and the audit trail (its\n"
	"directory writable or possible to make, its signing key loading or\n"
	"possible to make). Then a summary of what run would do with it, with\n"
	"the space left where the trail is written (a warning when a segment or\n"
	"the retained trail would not fit).\n\n"
	"  -c, --config FILE  configuration (default: embedded defaults)\n"
	"  --cgroup PATH      the cgroup run would be given\n"
	"  -j, --json         the summary as one JSON object\n\n"
	"Exit codes: 0 run would start, 1 the machine lacks what run needs,\n"
	"[agent] cgroup does not exist or the trail could not be opened, 2 bad\n"
	"usage, configuration or input (the message names the file, the line and\n"
	"the problem).\n";

/* What checking the trail found, for the summary. */
struct trail_check {
	char key[PATH_MAX];
	bool key_absent;
	char space_dir[PATH_MAX];	/* where the space was measured; "" unknown */
	uint64_t space_free;		/* bytes an unprivileged writer may take */
	uint64_t space_size;		/* bytes of the file system */
	uint64_t trail_bytes;		/* bytes its segments take now (ea_trail_bytes) */
};

static const char *label_mode(const struct ea_agent *a, const struct ea_label_cfg *l)
{
	return ea_label_mode(&a->cfg, l) == EA_MODE_ENFORCE ? "enforce" : "audit";
}

static void json_strs(FILE *f, const char *key, const struct ea_str_vec *v)
{
	fprintf(f, "\"%s\":[", key);
	for (size_t i = 0; i < v->n; i++) {
		fputs(i ? "," : "", f);
		ea_json_str(f, v->v[i]);
	}
	fputc(']', f);
}

/*
 * The trail as run would open it, first of all it does: exit 1 with run's
 * words when it could not.
 */
static int check_trail(struct ea_agent *a, struct trail_check *tc)
{
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;

	ea_agent_set_host(a);
	ea_trail_opts_from_config(&o, &a->cfg.agent, a->host);
	if (ea_trail_check(&o, tc->key, &tc->key_absent, &err)) {
		ea_log("audit trail: %s", err.msg);
		return EA_EXIT_RUNTIME;
	}
	return 0;
}

static const char *log_dir(const struct ea_agent *a)
{
	return a->cfg.agent.log_dir ? a->cfg.agent.log_dir : EA_DEFAULT_LOG_DIR;
}

/*
 * The space where the trail is written: the file system of the deepest of
 * the trail's directory, the log directory and its parent that exists
 * (check_trail found that run can write there). Counted as f_bavail: the
 * service keeps no capability that reaches the blocks kept for root.
 */
static void trail_space(const struct ea_agent *a, struct trail_check *tc)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	const char *where[] = { dir, log_dir(a), parent };
	int err;

	if (snprintf(dir, sizeof(dir), "%s/%s", log_dir(a), a->host) >= (int)sizeof(dir))
		return;
	ea_parent_dir(log_dir(a), parent);
	tc->trail_bytes = ea_trail_bytes(dir);
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		err = ea_fs_space(where[i], &tc->space_free, &tc->space_size);
		if (!err)
			snprintf(tc->space_dir, sizeof(tc->space_dir), "%s", where[i]);
		if (err != -ENOENT)
			return;
	}
}

/* Warn, without failing, where the trail would soon meet disk_full_action. */
static void warn_space(const struct ea_agent *a, const struct trail_check *tc)
{
	const struct ea_agent_cfg *c = &a->cfg.agent;
	char free_s[EA_SIZE_STRLEN], want[EA_SIZE_STRLEN], trail_s[EA_SIZE_STRLEN];

	if (!tc->space_dir[0])
		return;
	ea_format_size(tc->space_free, free_s);
	if (c->rotate_size && tc->space_free < c->rotate_size)
		ea_log("warning: %s has %s free, less than one trail segment "
		       "(rotate_size %s): disk_full_action = %s would act within one",
		       tc->space_dir, free_s, ea_format_size(c->rotate_size, want),
		       ea_disk_full_name(c->disk_full));
	else if (c->retain_size && tc->trail_bytes < c->retain_size &&
		 tc->space_free < c->retain_size - tc->trail_bytes)
		ea_log("warning: %s has %s free, less than the trail may grow by "
		       "before retention deletes (retain_size %s, the trail takes %s now)",
		       tc->space_dir, free_s, ea_format_size(c->retain_size, want),
		       ea_format_size(tc->trail_bytes, trail_s));
}

static void print_json(const struct ea_agent *a, const struct trail_check *tc)
{
	const struct ea_config *c = &a->cfg;
	const struct ea_geo_table *t = &a->table[0];
	const char *calls_32bit = ea_32bit_calls_name(ea_agent_32bit_calls(a));

	fputs("{\"config\":", stdout);
	if (c->path)
		ea_json_str(stdout, c->path);
	else
		fputs("null", stdout);
	fputs(",\"geoip\":{", stdout);
	json_strs(stdout, "files", &c->geoip_files);
	printf(",\"ranges\":%llu,\"intervals\":%zu,\"results\":%u},\"cgroup\":",
	       (unsigned long long)t->geo_ranges, t->ivl.n, t->nresults);
	ea_json_str(stdout, a->cg_path);
	printf(",\"mode\":\"%s\",\"record\":\"%s\",\"labels\":[", ea_agent_mode_name(a),
	       ea_agent_record_name(a));
	for (size_t i = 0; i < c->nlabels; i++) {
		printf("%s{\"name\":", i ? "," : "");
		ea_json_str(stdout, c->labels[i].name);
		printf(",\"mode\":\"%s\",", label_mode(a, &c->labels[i]));
		json_strs(stdout, "cgroups", &c->labels[i].cgroups);
		fputc(',', stdout);
		json_strs(stdout, "paths", &c->labels[i].paths);
		fputc('}', stdout);
	}
	fputs("],\"calls_32bit\":", stdout);
	if (calls_32bit)
		ea_json_str(stdout, calls_32bit);
	else
		fputs("null", stdout);
	printf(",\"calls_x32\":%s", ea_kernel_makes_x32_calls() ? "true" : "false");
	fputs(",\"siem\":[", stdout);
	for (size_t i = 0; i < c->nsiems; i++) {
		printf("%s{\"name\":", i ? "," : "");
		ea_json_str(stdout, c->siems[i].name);
		fputs(",\"target\":", stdout);
		ea_json_str(stdout, c->siems[i].target);
		printf(",\"format\":\"%s\"}", ea_siem_fmt_name((int)c->siems[i].format));
	}
	fputs("],\"log_dir\":", stdout);
	ea_json_str(stdout, log_dir(a));
	fputs(",\"host\":", stdout);
	ea_json_str(stdout, a->host);
	fputs(",\"key\":{\"path\":", stdout);
	ea_json_str(stdout, tc->key);
	printf(",\"exists\":%s},\"disk\":", tc->key_absent ? "false" : "true");
	if (tc->space_dir[0]) {
		fputs("{\"path\":", stdout);
		ea_json_str(stdout, tc->space_dir);
		printf(",\"free\":%llu,\"size\":%llu,\"trail\":%llu}}\n",
		       (unsigned long long)tc->space_free, (unsigned long long)tc->space_size,
		       (unsigned long long)tc->trail_bytes);
	} else {
		fputs("null}\n", stdout);
	}
}

/* "disk       10.0 GiB free of 20.0 GiB at DIR; the trail takes 1.0 MiB of 1.0 GiB retained" */
static void print_space(const struct ea_agent *a, const struct trail_check *tc)
{
	char free_s[EA_SIZE_STRLEN], size_s[EA_SIZE_STRLEN], trail_s[EA_SIZE_STRLEN];
	char retain_s[EA_SIZE_STRLEN];

	if (!tc->space_dir[0]) {
		puts("disk       free space unknown");
		return;
	}
	printf("disk       %s free of %s at %s; the trail takes %s", ea_format_size(tc->space_free, free_s),
	       ea_format_size(tc->space_size, size_s), tc->space_dir,
	       ea_format_size(tc->trail_bytes, trail_s));
	if (a->cfg.agent.retain_size)
		printf(" of %s retained\n", ea_format_size(a->cfg.agent.retain_size, retain_s));
	else
		puts(", retained without a size limit");
}

/* What labelled trees see of 32-bit system calls, and what watching them costs. */
static void print_32bit_calls(const struct ea_agent *a)
{
	switch (ea_agent_32bit_calls(a)) {
	case EA_32BIT_NO_TREES:
		break;
	case EA_32BIT_NONE:
		puts("32-bit     none: this kernel makes no 32-bit system calls");
		break;
	case EA_32BIT_UNWATCHED:
		puts("32-bit     calls not watched ([agent] watch_32bit_calls = no): a file "
		     "one opens or sends taints nothing");
		break;
	case EA_32BIT_WATCHED:
		if (ea_moves32_at_entry(&a->cfg))
			puts("32-bit     calls watched: two programs look at every system call "
			     "of the host, its end in place of the per-call tracepoints of "
			     "opens and receives, its entry for 32-bit moves before their bytes "
			     "go (a path label enforces, or TCP is counted per packet) "
			     "([agent] watch_32bit_calls = no, or booting with "
			     "ia32_emulation=0, saves that)");
		else
			puts("32-bit     calls watched: one program looks at the end of every "
			     "system call of the host, in place of the per-call tracepoints of "
			     "opens and receives ([agent] watch_32bit_calls = no, or booting "
			     "with ia32_emulation=0, saves that)");
		break;
	}
	if (ea_agent_32bit_calls(a) != EA_32BIT_NO_TREES && ea_kernel_makes_x32_calls())
		puts("x32        calls made (syscall.x32=y) and not seen: a file one opens or "
		     "sends taints nothing");
}

static void print_text(const struct ea_agent *a, const struct trail_check *tc)
{
	const struct ea_config *c = &a->cfg;
	const struct ea_geo_table *t = &a->table[0];

	printf("config     %s\n", c->path ? c->path : "embedded defaults");
	printf("geoip      %llu ranges from ", (unsigned long long)t->geo_ranges);
	if (c->geoip_files.n)
		for (size_t i = 0; i < c->geoip_files.n; i++)
			printf("%s%s", i ? ", " : "", c->geoip_files.v[i]);
	else
		fputs("the shipped snapshot", stdout);
	printf(": %zu intervals, %u results\n", t->ivl.n, t->nresults);
	printf("watching   %s in %s mode, recording %s flows\n", a->cg_path,
	       ea_agent_mode_name(a), ea_agent_record_name(a));
	if (!c->nlabels)
		puts("labels     none: every flow carries the label host");
	for (size_t i = 0; i < c->nlabels; i++) {
		size_t ncg = c->labels[i].cgroups.n, ntree = c->labels[i].paths.n;

		printf("%s %s: %zu cgroup%s, %zu tree%s, %s mode\n", i ? "          " : "labels    ",
		       c->labels[i].name, ncg, ncg == 1 ? "" : "s", ntree, ntree == 1 ? "" : "s",
		       label_mode(a, &c->labels[i]));
	}
	print_32bit_calls(a);
	if (!c->nsiems)
		puts("siem       none");
	for (size_t i = 0; i < c->nsiems; i++)
		printf("%s %s, %s, %s\n", i ? "          " : "siem      ", c->siems[i].name,
		       c->siems[i].target, ea_siem_fmt_name((int)c->siems[i].format));
	printf("trail      %s/%s, signed with %s (%s)\n", log_dir(a), a->host, tc->key,
	       tc->key_absent ? "made at start" : "loads");
	print_space(a, tc);
	puts("ok: run would start with this configuration");
}

int cmd_check(struct ea_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'g' },
		{ 0 },
	};
	struct ea_agent *a = calloc(1, sizeof(*a));
	struct trail_check tc = { 0 };
	int c, ret;

	if (!a)
		return EA_EXIT_RUNTIME;
	a->cgroup_fd = -1;
	while ((c = ea_getopt(g, cmd_check_usage, argc, argv, opts)) != -1) {
		if (c != 'g') {
			fputs(cmd_check_usage, stderr);
			free(a);
			return EA_EXIT_USAGE;
		}
		a->cgroup_arg = optarg;
	}
	if (optind < argc) {
		ea_log("check: unexpected argument '%s'", argv[optind]);
		free(a);
		return EA_EXIT_USAGE;
	}
	ret = ea_agent_prepare(a, g);
	if (!ret)
		ret = check_trail(a, &tc);
	if (!ret) {
		trail_space(a, &tc);
		warn_space(a, &tc);
	}
	if (!ret && g->json)
		print_json(a, &tc);
	else if (!ret)
		print_text(a, &tc);
	ea_agent_free(a);
	return ret;
}
