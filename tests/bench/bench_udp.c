// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_udp: small UDP datagrams.
 *
 *   bench_udp sink PORT
 *	receive and drop on [::]:PORT (IPv4 too); "listening" on stderr.
 *   bench_udp send ADDR PORT SECONDS [SIZE]
 *	sendto() SIZE-byte datagrams (default 64) from one unconnected
 *	socket for SECONDS (each call passes the sendmsg hooks); prints one
 *	JSON line: datagrams sent, errors, seconds, datagrams/s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sink(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), zero = 0, big = 8 << 20;
	char buf[65536];

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("bench_udp: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	fprintf(stderr, "listening on %d\n", port);
	for (;;)
		if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR) {
			perror("bench_udp: recv");
			return 1;
		}
}

static int sender(const char *addr, int port, double secs, int size)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned long long sent = 0, errors = 0;
	socklen_t len;
	char buf[65536];
	double t0, t1, deadline;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "bench_udp: bad address %s\n", addr);
		return 2;
	}
	if (size < 1 || size > (int)sizeof(buf))
		size = 64;
	memset(buf, 'x', (size_t)size);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("bench_udp: socket");
		return 1;
	}
	t0 = now_s();
	deadline = t0 + secs;
	do {
		/* check the clock every 64 datagrams */
		for (int i = 0; i < 64; i++) {
			if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&ss, len) == size)
				sent++;
			else
				errors++;
		}
		t1 = now_s();
	} while (t1 < deadline);
	printf("{\"datagrams\": %llu, \"errors\": %llu, \"secs\": %.4f, \"rate\": %.1f}\n",
	       sent, errors, t1 - t0, (double)sent / (t1 - t0));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "sink"))
		return sink(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return sender(argv[2], atoi(argv[3]), atof(argv[4]),
			      argc > 5 ? atoi(argv[5]) : 64);
	fprintf(stderr, "usage: bench_udp sink PORT\n"
			"       bench_udp send ADDR PORT SECONDS [SIZE]\n");
	return 2;
}
