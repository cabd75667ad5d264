// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_verifier: what the kernel's verifier spends on each program of the
 * datapath (bpf/egress.bpf.c), as one JSON object on standard output:
 * instructions processed and states, from the statistics of its log
 * (log level 4). A program near the verifier's limit of a million
 * instructions fails to load on the next change; this shows how near.
 * Loads the object, attaches nothing. Root.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "egress_audit.h"
#include "egress.skel.h"

#define LOG_SIZE	(1 << 16)	/* stats, and per-callback lines of bpf_loop */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* "processed N insns (limit ...) ... total_states T peak_states P" of a log. */
static void print_stats(const char *name, const char *log, bool first)
{
	unsigned long insns = 0, total = 0, peak = 0;
	const char *p = strstr(log, "processed ");
	const char *t = strstr(log, "total_states ");
	const char *k = strstr(log, "peak_states ");

	if (p)
		insns = strtoul(p + strlen("processed "), NULL, 10);
	if (t)
		total = strtoul(t + strlen("total_states "), NULL, 10);
	if (k)
		peak = strtoul(k + strlen("peak_states "), NULL, 10);
	printf("%s\"%s\":{\"insns\":%lu,\"total_states\":%lu,\"peak_states\":%lu}",
	       first ? "" : ",", name, insns, total, peak);
}

int main(void)
{
	struct egress_bpf *skel;
	struct bpf_program *prog;
	char (*logs)[LOG_SIZE];
	size_t n = 0, i = 0;
	int err;

	libbpf_set_print(quiet);
	skel = egress_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench_verifier: cannot open the datapath object\n");
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
		n++;
	logs = calloc(n, sizeof(*logs));
	if (!logs)
		return 1;
	bpf_object__for_each_program(prog, skel->obj) {
		bpf_program__set_log_level(prog, 4);
		bpf_program__set_log_buf(prog, logs[i++], LOG_SIZE);
	}
	err = egress_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bench_verifier: the datapath does not load: %s\n", strerror(-err));
		return 1;
	}
	fputs("{\"verifier\":{", stdout);
	i = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		print_stats(bpf_program__name(prog), logs[i], i == 0);
		i++;
	}
	puts("}}");
	egress_bpf__destroy(skel);
	free(logs);
	return 0;
}
