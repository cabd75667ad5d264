// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs of the agent's programs that the kernel skipped. A tracing program
 * (tp_btf, raw or classic tracepoint) whose event fires on a CPU where the
 * program is already running (an interrupt taken while it ran, whose
 * softirq changes another socket's state) is not run that time: the kernel
 * counts the skip in the program's recursion_misses, and nothing else
 * tells. What that run would have seen (a TCP connection's close, say)
 * goes unrecorded, so the agent reads the counts each second and makes
 * every skip a lost record naming the program.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "egress.skel.h"
#include "prom.h"
#include "rec.h"
#include "sbuf.h"

/* Loaded programs of types the kernel guards against running twice at once on a CPU. */
static bool may_be_skipped(const struct bpf_program *p)
{
	switch (bpf_program__type(p)) {
	case BPF_PROG_TYPE_TRACING:
		/* an iterator runs when the agent reads it, never from an event */
		return bpf_program__fd(p) >= 0 &&
		       bpf_program__expected_attach_type(p) != BPF_TRACE_ITER;
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_KPROBE:
		return bpf_program__fd(p) >= 0;
	default:
		return false;
	}
}

/* Each program of the agent's object, i its index in a->skipped. */
#define for_each_counted_prog(a, p, i)						\
	for ((i) = 0, (p) = bpf_object__next_program((a)->skel->obj, NULL);	\
	     (p) && (i) < EA_MAX_PROGS;						\
	     (p) = bpf_object__next_program((a)->skel->obj, (p)), (i)++)

/* The kernel's count of a program's skipped runs; -errno when unread. */
static int read_skipped(const struct bpf_program *p, uint64_t *out)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return -errno;
	*out = info.recursion_misses;
	return 0;
}

static void emit_skipped(struct ea_agent *a, const char *prog, uint64_t count)
{
	struct ea_sbuf b = { 0 };

	ea_sb_puts(&b, EA_LOST_SKIPPED_DETAIL ",\"program\":");
	ea_sb_json_str(&b, prog);
	ea_sb_puts(&b, "}");
	ea_agent_emit_lost_detail(a, "program_run", count,
				  b.oom ? EA_LOST_SKIPPED_DETAIL "}" : b.p);
	ea_sb_free(&b);
}

void ea_agent_report_skipped(struct ea_agent *a)
{
	struct bpf_program *p;
	uint64_t now = 0;
	size_t i;

	for_each_counted_prog(a, p, i) {
		if (!may_be_skipped(p) || read_skipped(p, &now) || now == a->skipped[i])
			continue;
		emit_skipped(a, bpf_program__name(p), now - a->skipped[i]);
		a->skipped[i] = now;
	}
}

/* "skipped":{"prog":N,...}, and a comma: the programs with skipped runs, each its total. */
void ea_agent_skipped_json(FILE *f, const struct ea_agent *a)
{
	struct bpf_program *p;
	size_t i, n = 0;

	fputs("\"skipped\":{", f);
	for_each_counted_prog(a, p, i)
		if (a->skipped[i])
			fprintf(f, "%s\"%s\":%llu", n++ ? "," : "", bpf_program__name(p),
				(unsigned long long)a->skipped[i]);
	fputs("},", f);
}

/* The same, readable: one line, or none when no run was skipped. */
void ea_agent_skipped_text(FILE *f, const struct ea_agent *a)
{
	struct bpf_program *p;
	size_t i, n = 0;

	for_each_counted_prog(a, p, i)
		if (a->skipped[i])
			fprintf(f, "%s %s %llu", n++ ? "," : "skipped    runs the kernel skipped:",
				bpf_program__name(p), (unsigned long long)a->skipped[i]);
	if (n)
		fputc('\n', f);
}

/* One sample per program that may be skipped, 0 included, for alerts on any rise. */
void ea_agent_skipped_prom(struct ea_sbuf *b, const struct ea_agent *a)
{
	struct bpf_program *p;
	size_t i;

	ea_prom_family(b, "egress_audit_program_runs_skipped_total", EA_PROM_COUNTER,
		       "Runs of the agent's tracing programs the kernel skipped (the program "
		       "was already running on that CPU); each also a lost record.");
	for_each_counted_prog(a, p, i) {
		const char *labels[] = { "program", bpf_program__name(p), NULL };

		if (may_be_skipped(p))
			ea_prom_u64(b, "egress_audit_program_runs_skipped_total", labels,
				    a->skipped[i]);
	}
}
