// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * delay_close PORT DELAY_US: attach test_delay.bpf.o's delay_close, which
 * holds each TCP connection to PORT at its change to TCP_CLOSE for
 * DELAY_US microseconds, print "attached", and keep it attached until
 * killed (the kernel detaches it when the process goes).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_delay.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct test_delay_bpf *skel;

	if (argc != 3) {
		fputs("usage: delay_close PORT DELAY_US\n", stderr);
		return 2;
	}
	skel = test_delay_bpf__open();
	if (!skel) {
		perror("delay_close: open");
		return 1;
	}
	skel->rodata->port = (__u16)atoi(argv[1]);
	skel->rodata->delay_ns = strtoull(argv[2], NULL, 10) * 1000;
	if (test_delay_bpf__load(skel) || test_delay_bpf__attach(skel)) {
		perror("delay_close: load and attach");
		test_delay_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	test_delay_bpf__destroy(skel);
	return 0;
}
