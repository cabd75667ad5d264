// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_noop CGROUP: attach the no-op programs of bpf/bench_noop.bpf.c to
 * CGROUP (one per cgroup hook the agent uses) and to the global
 * tracepoints the agent's tcp_state, tcp_send and tcp_destroyed use, print
 * their program ids as one JSON line, and hold them until SIGINT or
 * SIGTERM (they are links owned by this process: they go away with it,
 * also when it is killed).
 *
 * bench_noop --files: only the no-op on tp/syscalls/sys_exit_openat, the
 * baseline of the agent's file hooks; with --all-calls, the no-op on
 * tp_btf/sys_exit instead, which runs at the end of every system call as
 * syscall_exit does where 32-bit calls are watched.
 *
 * bench_noop --events PORT [--dry | --small]: only ev_tcp_state, which
 * sends the two events of a flagged TCP connection (flow_start, flow_end)
 * for connections to PORT, read here as the agent reads its ring (woken at
 * an eighth of it, else every 100 ms; each event copied out). At SIGINT or
 * SIGTERM it prints the events read and lost as a second JSON line. With
 * --dry it makes the same tests and sends nothing: the events' own cost is
 * the difference. With --small its events are 16 bytes, not the agent's
 * size: what the size of a record costs.
 *
 * It holds a BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) descriptor while it
 * runs: run-time statistics stay on whatever anyone else writes to
 * kernel.bpf_stats_enabled (the two are counted apart by the kernel).
 * --no-stats (last) leaves them as they are: the floor of a workload's
 * rate, what the hooks cost before any work, is measured as the agent
 * runs, without them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress_audit.h"
#include "bench_noop.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static volatile sig_atomic_t stop;
static int stats_fd = -1;

static void on_signal(int sig)
{
	stop = 1;
}

static __u32 prog_id(struct bpf_program *p)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return 0;
	return info.id;
}

/* The no-op of the file hooks alone: at opens, or at every call's end. */
static int files_only(bool all_calls)
{
	struct bench_noop_bpf *s = bench_noop_bpf__open();
	struct bpf_link *l = NULL;
	struct bpf_program *nop;

	if (!s)
		return 1;
	nop = all_calls ? s->progs.nop_sys_exit : s->progs.nop_openat;
	if (bench_noop_load_only(s, nop) || !(l = bpf_program__attach(nop))) {
		fprintf(stderr, "bench_noop: %s: %s\n", bpf_program__name(nop), strerror(errno));
		bench_noop_bpf__destroy(s);
		return 1;
	}
	printf("{\"%s\": %u}\n", all_calls ? "syscall_exit" : "openat_exit", prog_id(nop));
	fflush(stdout);
	while (!stop)
		pause();
	bpf_link__destroy(l);
	bench_noop_bpf__destroy(s);
	return 0;
}

static __u64 events_read[2];

/* Copy each event out, as the agent does, so that the reader touches it all. */
static int read_event(void *ctx, void *data, size_t size)
{
	static struct ea_flow_event copy;

	memcpy(&copy, data, size < sizeof(copy) ? size : sizeof(copy));
	events_read[copy.type == EA_EV_FLOW_END]++;
	return 0;
}

/* The events of a flagged connection alone, read as the agent reads them. */
static int events_only(const char *port_arg, const char *variant)
{
	struct bench_noop_bpf *s = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_link *l = NULL;
	char *end;
	long port = strtol(port_arg, &end, 10);
	int rc = 1;

	if (*end || port < 1 || port > 65535) {
		fprintf(stderr, "bench_noop: --events: not a port: %s\n", port_arg);
		return 2;
	}
	if (variant && strcmp(variant, "--dry") && strcmp(variant, "--small")) {
		fprintf(stderr, "bench_noop: --events: neither --dry nor --small: %s\n", variant);
		return 2;
	}
	s = bench_noop_bpf__open();
	if (!s)
		return 1;
	s->rodata->events_port = htons((__u16)port);
	s->rodata->events_wakeup = bpf_map__max_entries(s->maps.events) / 8;
	s->rodata->events_send = !variant || strcmp(variant, "--dry");
	s->rodata->events_small = variant && !strcmp(variant, "--small");
	if (bench_noop_load_only(s, s->progs.ev_tcp_state) ||
	    !(l = bpf_program__attach(s->progs.ev_tcp_state))) {
		fprintf(stderr, "bench_noop: ev_tcp_state: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(s->maps.events), read_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bench_noop: ring buffer: %s\n", strerror(errno));
		goto out;
	}
	printf("{\"tcp_state\": %u}\n", prog_id(s->progs.ev_tcp_state));
	fflush(stdout);
	while (!stop) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "bench_noop: ring buffer: %s\n", strerror(-n));
			goto out;
		}
	}
	ring_buffer__consume(rb);
	printf("{\"flow_start\": %llu, \"flow_end\": %llu, \"lost\": %llu}\n",
	       (unsigned long long)events_read[0], (unsigned long long)events_read[1],
	       (unsigned long long)s->bss->events_lost);
	rc = 0;
out:
	ring_buffer__free(rb);
	bpf_link__destroy(l);
	bench_noop_bpf__destroy(s);
	return rc;
}

int main(int argc, char **argv)
{
	struct bench_noop_bpf *s;
	struct bpf_program *cg_progs[8], *tp_progs[3];
	struct bpf_link *links[ARRAY_SIZE(cg_progs) + ARRAY_SIZE(tp_progs)];
	int nlinks = 0, cg, rc = 1;
	bool files, events, all_calls = false, stats = true;

	if (argc > 2 && !strcmp(argv[argc - 1], "--no-stats")) {
		stats = false;
		argc--;
	}
	files = argc >= 2 && !strcmp(argv[1], "--files");
	events = (argc == 3 || argc == 4) && !strcmp(argv[1], "--events");
	if (files && argc == 3 && !strcmp(argv[2], "--all-calls"))
		all_calls = true;
	else if (argc != 2 && !events) {
		fprintf(stderr, "usage: bench_noop CGROUP | --files [--all-calls] | "
			"--events PORT [--dry | --small] [--no-stats]\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			fprintf(stderr, "bench_noop: BPF_ENABLE_STATS: %s (relying on the sysctl)\n",
				strerror(errno));
	}
	if (files)
		return files_only(all_calls);
	if (events)
		return events_only(argv[2], argc == 4 ? argv[3] : NULL);
	cg = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (cg < 0) {
		fprintf(stderr, "bench_noop: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	s = bench_noop_bpf__open();
	if (!s)
		return 1;
	bpf_program__set_autoload(s->progs.bench_parse, false);
	bpf_program__set_autoload(s->progs.nop_openat, false);
	bpf_program__set_autoload(s->progs.ev_tcp_state, false);
	bpf_map__set_autocreate(s->maps.events, false);
	if (bench_noop_bpf__load(s)) {
		fprintf(stderr, "bench_noop: load failed\n");
		goto out;
	}
	cg_progs[0] = s->progs.nop_egress;
	cg_progs[1] = s->progs.nop_sk_create;
	cg_progs[2] = s->progs.nop_sk_release;
	cg_progs[3] = s->progs.nop_connect4;
	cg_progs[4] = s->progs.nop_connect6;
	cg_progs[5] = s->progs.nop_sendmsg4;
	cg_progs[6] = s->progs.nop_sendmsg6;
	cg_progs[7] = s->progs.nop_setsockopt;
	for (size_t i = 0; i < ARRAY_SIZE(cg_progs); i++) {
		links[nlinks] = bpf_program__attach_cgroup(cg_progs[i], cg);
		if (!links[nlinks]) {
			fprintf(stderr, "bench_noop: attach %s: %s\n",
				bpf_program__name(cg_progs[i]), strerror(errno));
			goto out;
		}
		nlinks++;
	}
	tp_progs[0] = s->progs.nop_tcp_state;
	tp_progs[1] = s->progs.nop_tcp_send;
	tp_progs[2] = s->progs.nop_tcp_destroyed;
	for (size_t i = 0; i < ARRAY_SIZE(tp_progs); i++) {
		links[nlinks] = bpf_program__attach(tp_progs[i]);
		if (!links[nlinks]) {
			fprintf(stderr, "bench_noop: attach %s: %s\n",
				bpf_program__name(tp_progs[i]), strerror(errno));
			goto out;
		}
		nlinks++;
	}
	printf("{\"egress\": %u, \"sock_create\": %u, \"sock_release\": %u, "
	       "\"connect4\": %u, \"connect6\": %u, \"sendmsg4\": %u, "
	       "\"sendmsg6\": %u, \"setsockopt\": %u, \"tcp_state\": %u, \"tcp_send\": %u, "
	       "\"tcp_destroyed\": %u}\n",
	       prog_id(s->progs.nop_egress), prog_id(s->progs.nop_sk_create),
	       prog_id(s->progs.nop_sk_release), prog_id(s->progs.nop_connect4),
	       prog_id(s->progs.nop_connect6), prog_id(s->progs.nop_sendmsg4),
	       prog_id(s->progs.nop_sendmsg6), prog_id(s->progs.nop_setsockopt),
	       prog_id(s->progs.nop_tcp_state), prog_id(s->progs.nop_tcp_send),
	       prog_id(s->progs.nop_tcp_destroyed));
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
out:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	bench_noop_bpf__destroy(s);
	close(cg);
	return rc;
}
