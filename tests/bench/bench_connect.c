// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_connect: closed-loop TCP connection rate.
 *
 *   bench_connect server PORT [THREADS]
 *	accept on [::]:PORT (IPv4 too); per connection read the request,
 *	answer and close first (the TIME_WAIT stays on the server, so the
 *	client's ports come free at once). "listening" on stderr when ready.
 *   bench_connect client ADDR PORT SECONDS [THREADS]
 *	each thread: socket, connect, send REQ bytes, read until EOF, close,
 *	again, for SECONDS; prints one JSON line: connections completed,
 *	attempts, errors, seconds, connections/s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ	64
#define MAX_THREADS 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *serve(void *arg)
{
	int lfd = *(int *)arg;
	char buf[REQ];

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		ssize_t got = 0, n;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
				continue;
			perror("bench_connect: accept");
			exit(1);
		}
		while (got < REQ && (n = read(fd, buf, sizeof(buf))) > 0)
			got += n;
		if (got == REQ && write(fd, buf, REQ) != REQ)
			(void)0;
		close(fd);
	}
	return NULL;
}

static int server(int port, int threads)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	pthread_t t[MAX_THREADS];
	int fd = socket(AF_INET6, SOCK_STREAM, 0), zero = 0, one = 1;

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("bench_connect: listen");
		return 1;
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, serve, &fd);
	fprintf(stderr, "listening on %d\n", port);
	pthread_join(t[0], NULL);
	return 0;
}

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

static struct target dst;
static double deadline;
static atomic_int started;
static atomic_bool go;

struct tstat {
	pthread_t t;
	unsigned long long ok, attempts, errors;
};

static void *client_thread(void *arg)
{
	struct tstat *st = arg;
	char buf[REQ];

	memset(buf, 'x', sizeof(buf));
	atomic_fetch_add(&started, 1);
	while (!atomic_load(&go))
		;
	while (now_s() < deadline) {
		int fd = socket(dst.family, SOCK_STREAM, 0);
		ssize_t n;

		if (fd < 0) {
			st->errors++;
			continue;
		}
		st->attempts++;
		if (connect(fd, (struct sockaddr *)&dst.ss, dst.len) ||
		    write(fd, buf, REQ) != REQ) {
			st->errors++;
			close(fd);
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		close(fd);
		if (n == 0)
			st->ok++;
		else
			st->errors++;
	}
	return NULL;
}

static int client(const char *addr, int port, double secs, int threads)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&dst.ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&dst.ss;
	struct tstat st[MAX_THREADS];
	unsigned long long ok = 0, attempts = 0, errors = 0;
	double t0, t1;

	memset(&dst, 0, sizeof(dst));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		dst.len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		dst.len = sizeof(*s6);
	} else {
		fprintf(stderr, "bench_connect: bad address %s\n", addr);
		return 2;
	}
	dst.family = dst.ss.ss_family;
	memset(st, 0, sizeof(st));
	for (int i = 0; i < threads; i++)
		pthread_create(&st[i].t, NULL, client_thread, &st[i]);
	while (atomic_load(&started) < threads)
		;
	t0 = now_s();
	deadline = t0 + secs;
	atomic_store(&go, true);
	for (int i = 0; i < threads; i++) {
		pthread_join(st[i].t, NULL);
		ok += st[i].ok;
		attempts += st[i].attempts;
		errors += st[i].errors;
	}
	t1 = now_s();
	printf("{\"conns\": %llu, \"attempts\": %llu, \"errors\": %llu, \"secs\": %.4f, "
	       "\"rate\": %.1f}\n", ok, attempts, errors, t1 - t0, (double)ok / (t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 4);
	if (argc >= 5 && !strcmp(argv[1], "client")) {
		int threads = argc > 5 ? atoi(argv[5]) : 1;

		if (threads < 1 || threads > MAX_THREADS)
			threads = 1;
		return client(argv[2], atoi(argv[3]), atof(argv[4]), threads);
	}
	fprintf(stderr, "usage: bench_connect server PORT [THREADS]\n"
			"       bench_connect client ADDR PORT SECONDS [THREADS]\n");
	return 2;
}
