// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * traffic: traffic generator and sink of the end-to-end tests.
 *
 * Each client subcommand sends data along one egress path (a syscall, a
 * socket type, a process shape) and prints one JSON line on standard output
 * that says what it sent: tests/e2e/check_records.py holds the agent's
 * records against it. The sink receives everything in the server namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <linux/if_packet.h>
#include <linux/tcp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define UDP_CHUNK	1000	/* payload per datagram: no fragmentation */
#define MAX_FLOWS	4
#define MAX_HOPS	3	/* of a source route */
#define PACKET_SPORT	40009
#define PACKET_DPORT	9

/* A destination given on the command line. */
struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;		/* of the socket: AF_INET6 for a mapped target */
	bool v4;		/* the destination is an IPv4 address */
};

/* One flow as reported: the ends and what went through it. */
struct flow {
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned int sport, dport;
	uint64_t payload;
	int64_t ip_bytes;	/* -1: not known exactly */
	uint32_t segs_out;	/* a flow of a multi-flow TCP case: tcpi_segs_out */
	uint64_t cookie;	/* the socket's (SO_COOKIE); 0 when not one socket */
};

/* What a client subcommand reports. */
struct report {
	const char *kase;
	struct flow flow[MAX_FLOWS];
	int nflows;
	bool tcp;
	uint32_t segs_out;
	uint64_t bytes_sent;
	bool syn_data;
	pid_t sender_pid;	/* fork-send: the child that wrote */
	long datagrams;
	long sockets;		/* udp-burst */
	char dst_mac[18];	/* packet */
	const char *how;	/* read-send: how the file was opened */
	pid_t parent_pid;	/* fork-read-send: the tainted parent */
	pid_t owner_pid;	/* exit-untaint: the socket's creator */
	uint64_t untainted;	/* send-read: payload sent before the read */
	int64_t acked;		/* send-read-stop: bytes acknowledged; -1 unknown */
	char via[INET6_ADDRSTRLEN];	/* try-send: the source route's hop */
	bool has_errno;		/* try-send: the outcome of connect/sendto */
	int err;
	bool quiet;		/* a child printed the line */
};

/* Print a message about a failed step and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("traffic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

/* The subcommands, on a bad command line; exit 2. */
static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: traffic sink PORT\n"
	      "       traffic ia32-probe\n"
	      "       traffic tcp4|tcp6|tcp-slow|tfo|vmsplice DST PORT N\n"
	      "       traffic iouring-send|iouring-connect|iouring-sendmsg DST PORT N\n"
	      "       traffic tcp-mapped DST4 PORT N\n"
	      "       traffic sendfile|splice DST PORT FILE\n"
	      "       traffic udp-connected|udp-sendto|udp-sendmsg DST PORT N\n"
	      "       traffic udp-sendmmsg DST PORT N COUNT\n"
	      "       traffic udp-multi DST1 DST2 PORT N\n"
	      "       traffic udp-route VIA DST PORT N\n"
	      "       traffic rpl VIA6 DST6 PORT N\n"
	      "       traffic tcp-route VIA DST PORT\n"
	      "       traffic tcp-route-late VIA DST PORT N\n"
	      "       traffic tcp-refused DST PORT\n"
	      "       traffic tcp-reconnect DST PORT N\n"
	      "       traffic udp-burst DST PORT COUNT\n"
	      "       traffic reset-sink PORT\n"
	      "       traffic reset-race DST PORT COUNT\n"
	      "       traffic raw DST [N]\n"
	      "       traffic packet|packet-bypass IFNAME DST [N]\n"
	      "       traffic fork-send|exec-send DST PORT N\n"
	      "       traffic read-send path|open|openat2|relative|dirfd|uring|\n"
	      "              ia32-open|ia32-openat|ia32-openat2|handle|ia32-handle|uring-install\n"
	      "              FILE DST PORT N\n"
	      "       traffic send-read|send-read-stop|connect-fork-read-send-stop|\n"
	      "              ia32-sendfile-stop DST PORT N FILE\n"
	      "       traffic fork-read-send|read-exec-send|read-hold|leader-exit-send|\n"
	      "              connect-fork-read-send|open-hold|map-hold|pidfd-getfd|\n"
	      "              ia32-pidfd-getfd|scm-rights|\n"
	      "              mmsg-scm-rights|uring-scm-rights\n"
	      "              FILE DST PORT N\n"
	      "       traffic ia32-scm-rights recvmsg|socketcall|recvmmsg|recvmmsg64|socketcall-mmsg|\n"
	      "              uring FILE DST PORT N\n"
	      "       traffic exit-untaint FILE DST1 DST2 PORT N\n"
	      "       traffic try-send FILE|- tcp|udp DST PORT N [VIA[,VIA...]]\n"
	      "       traffic retry-send FILE tcp|udp DST1 DST2 PORT N\n"
	      "       traffic sendfile-uring|sendfile-passed|ia32-sendfile-passed DST PORT FILE\n"
	      "       traffic moved sendfile|splice|copy plain|wide|ia32 FILE DST PORT N\n"
	      "       traffic serve PORT N\n"
	      "       traffic fetch SRC DST PORT\n", stderr);
	exit(2);
}

/* A non-negative decimal number from the command line. */
static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s == '-') {
		fprintf(stderr, "traffic: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Parse an address and port; mapped turns an IPv4 address into ::ffff:a.b.c.d. */
static void parse_target(const char *addr, const char *port, bool mapped,
			 struct target *t)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->ss;
	struct in_addr a4;
	uint16_t p = port ? (uint16_t)number(port) : 0;

	memset(t, 0, sizeof(*t));
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		t->v4 = true;
		if (!mapped) {
			s4->sin_family = t->family = AF_INET;
			s4->sin_port = htons(p);
			s4->sin_addr = a4;
			t->len = sizeof(*s4);
			return;
		}
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a4, 4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
		fprintf(stderr, "traffic: bad address '%s'\n", addr);
		exit(2);
	}
	s6->sin6_family = t->family = AF_INET6;
	s6->sin6_port = htons(p);
	t->len = sizeof(*s6);
}

/* A source route "A[,B...]" (at most MAX_HOPS addresses); returns how many. */
static int parse_route(const char *list, const char *port, struct target *via)
{
	char buf[MAX_HOPS * INET6_ADDRSTRLEN], *save = NULL, *hop;
	int n = 0;

	if (strlen(list) >= sizeof(buf))
		usage();
	strcpy(buf, list);
	for (hop = strtok_r(buf, ",", &save); hop; hop = strtok_r(NULL, ",", &save)) {
		if (n == MAX_HOPS)
			usage();
		parse_target(hop, port, false, &via[n++]);
	}
	if (!n)
		usage();
	return n;
}

/* Address text as the agent prints it: IPv4-mapped addresses as IPv4. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, unsigned int *port)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, buf, INET6_ADDRSTRLEN);
		*port = ntohs(s4->sin_port);
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, INET6_ADDRSTRLEN);
		*port = ntohs(s6->sin6_port);
	} else {
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, INET6_ADDRSTRLEN);
		*port = ntohs(s6->sin6_port);
	}
}

/* The socket's cookie, as the agent's records name the socket. */
static uint64_t sock_cookie(int fd)
{
	uint64_t cookie;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len))
		die("SO_COOKIE");
	return cookie;
}

/* The local end of a socket. */
static void local_end(int fd, struct flow *f)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	format_addr(&ss, f->src, &f->sport);
	f->cookie = sock_cookie(fd);
}

/* Both ends of a connected socket. */
static void socket_ends(int fd, struct flow *f)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	local_end(fd, f);
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		die("getpeername");
	format_addr(&ss, f->dst, &f->dport);
}

/*
 * The source address the kernel's route to t picks, asked through a
 * throwaway connected UDP socket (port 0); returns its length.
 */
static socklen_t route_source(const struct target *t, struct sockaddr_storage *src)
{
	socklen_t len = sizeof(*src);
	int probe = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (probe < 0 || connect(probe, (const struct sockaddr *)&t->ss, t->len) ||
	    getsockname(probe, (struct sockaddr *)src, &len))
		die("route lookup");
	close(probe);
	((struct sockaddr_in *)src)->sin_port = 0;	/* same place in sockaddr_in6 */
	return len;
}

/*
 * The ends of an unconnected socket's flow: the destination as given, the
 * source address the kernel's route picks (asked through a throwaway
 * connected UDP socket) and the port the socket was bound to at its send.
 */
static void unconnected_ends(int fd, const struct target *t, struct flow *f)
{
	struct sockaddr_storage src;
	unsigned int port;

	format_addr(&t->ss, f->dst, &f->dport);
	route_source(t, &src);
	format_addr(&src, f->src, &port);
	f->sport = 0;
	if (fd >= 0) {
		char unused[INET6_ADDRSTRLEN];
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &len))
			die("getsockname");
		format_addr(&ss, unused, &port);
		f->sport = port;
		f->cookie = sock_cookie(fd);
	}
}

/* N bytes of the deterministic payload pattern. */
static char *payload(size_t n)
{
	char *buf = malloc(n ? n : 1);

	if (!buf)
		die("malloc %zu", n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	return buf;
}

/* Send all of buf on a stream socket. */
static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send");
		buf += w;
		n -= (size_t)w;
	}
}

/* ---- JSON output ------------------------------------------------------ */

/* The keys of one flow, without braces. */
static void json_flow_fields(const struct flow *f)
{
	printf("\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,"
	       "\"payload\":%llu,\"ip_bytes\":", f->src, f->sport, f->dst, f->dport,
	       (unsigned long long)f->payload);
	if (f->ip_bytes < 0)
		fputs("null", stdout);
	else
		printf("%lld", (long long)f->ip_bytes);
	if (f->cookie)
		printf(",\"cookie\":%llu", (unsigned long long)f->cookie);
}

/* "comm": the kernel's name of this process, as the agent sees it. */
static void json_comm(void)
{
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n\"\\")] = '\0';
	printf("\"comm\":\"%s\",", comm);
}

/* The one line a client prints: the first flow at top level, all in "flows". */
static void report_print(const struct report *r)
{
	printf("{\"case\":\"%s\",\"pid\":%d,\"uid\":%u,\"gid\":%u,", r->kase, (int)getpid(),
	       (unsigned int)getuid(), (unsigned int)getgid());
	json_comm();
	json_flow_fields(&r->flow[0]);
	if (r->tcp)
		printf(",\"tcpi_segs_out\":%u,\"tcpi_bytes_sent\":%llu,\"syn_data\":%s",
		       r->segs_out, (unsigned long long)r->bytes_sent,
		       r->syn_data ? "true" : "false");
	if (r->sender_pid)
		printf(",\"sender_pid\":%d", (int)r->sender_pid);
	if (r->datagrams)
		printf(",\"datagrams\":%ld", r->datagrams);
	if (r->sockets)
		printf(",\"sockets\":%ld", r->sockets);
	if (r->dst_mac[0])
		printf(",\"dst_mac\":\"%s\"", r->dst_mac);
	if (r->how)
		printf(",\"how\":\"%s\"", r->how);
	if (r->parent_pid)
		printf(",\"parent_pid\":%d", (int)r->parent_pid);
	if (r->owner_pid)
		printf(",\"owner_pid\":%d", (int)r->owner_pid);
	if (r->untainted)
		printf(",\"untainted_payload\":%llu", (unsigned long long)r->untainted);
	if (r->acked >= 0)
		printf(",\"acked\":%lld", (long long)r->acked);
	if (r->has_errno)
		printf(",\"errno\":%d", r->err);
	if (r->via[0])
		printf(",\"via\":\"%s\"", r->via);
	if (r->nflows > 1) {
		fputs(",\"flows\":[", stdout);
		for (int i = 0; i < r->nflows; i++) {
			printf("%s{", i ? "," : "");
			json_flow_fields(&r->flow[i]);
			if (r->flow[i].segs_out)
				printf(",\"tcpi_segs_out\":%u", r->flow[i].segs_out);
			putchar('}');
		}
		putchar(']');
	}
	puts("}");
	fflush(stdout);
}

/* ---- TCP -------------------------------------------------------------- */

/* A TCP socket of the target's family, connected to it. */
static int tcp_connect(const struct target *t)
{
	int fd = socket(t->family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len))
		die("connect");
	return fd;
}

/* What the kernel says a TCP socket sent: segments, payload, data in the SYN. */
static void tcp_sent(int fd, struct report *r)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("TCP_INFO");
	r->tcp = true;
	r->segs_out = ti.tcpi_segs_out;
	r->bytes_sent = ti.tcpi_bytes_sent;
	r->syn_data = ti.tcpi_options & TCPI_OPT_SYN_DATA;
}

/* Read (and drop) what the peer sends until its FIN. */
static void read_to_end(int fd)
{
	char sink[4096];
	ssize_t got;

	while ((got = read(fd, sink, sizeof(sink))) > 0 || (got < 0 && errno == EINTR))
		;
	if (got < 0)
		die("read");
}

/*
 * End a TCP flow: FIN after the payload, read until the sink's FIN, take
 * the kernel's own counts of what the socket sent, close.
 */
static void tcp_finish(int fd, struct report *r)
{
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	read_to_end(fd);
	tcp_sent(fd, r);
	r->flow[0].ip_bytes = -1;
	r->nflows = 1;
	close(fd);
}

/* tcp4, tcp6, tcp-mapped: connect, write. */
static void run_tcp(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);

	socket_ends(fd, &r->flow[0]);
	write_all(fd, buf, n);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/*
 * tcp-slow: like tcp4, but the payload goes in twenty parts over six
 * seconds: long enough for an agent started after it to see it send.
 */
static void run_tcp_slow(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);
	size_t part = n / 20, sent = 0;

	socket_ends(fd, &r->flow[0]);
	for (int i = 0; i < 20; i++) {
		size_t len = i == 19 ? n - sent : part;

		write_all(fd, buf + sent, len);
		sent += len;
		usleep(300000);
	}
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/* tfo: the payload goes with sendto(MSG_FASTOPEN), without connect(). */
static void run_tfo(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = socket(t->family, SOCK_STREAM, 0);
	ssize_t w;

	if (fd < 0)
		die("socket");
	do
		w = sendto(fd, buf, n, MSG_FASTOPEN | MSG_NOSIGNAL,
			   (const struct sockaddr *)&t->ss, t->len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		die("sendto MSG_FASTOPEN");
	write_all(fd, buf + w, n - (size_t)w);
	socket_ends(fd, &r->flow[0]);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/*
 * 32-bit system calls from this 64-bit program (int 0x80), as a 32-bit
 * program makes them: no per-call tracepoint fires for them. The kernel
 * takes 32-bit pointers, so what they point to is copied below 4 GiB.
 */
enum {
	IA32_OPEN = 5, IA32_SOCKETCALL = 102, IA32_SENDFILE64 = 239, IA32_OPENAT = 295,
	IA32_SPLICE = 313, IA32_RECVMMSG = 337, IA32_OPEN_BY_HANDLE_AT = 342, IA32_RECVMSG = 372,
	IA32_COPY_FILE_RANGE = 377, IA32_RECVMMSG_TIME64 = 417, IA32_IO_URING_SETUP = 425,
	IA32_OPENAT2 = 437, IA32_PIDFD_GETFD = 438,
};

/*
 * The arguments in ebx, ecx, edx, esi, edi and ebp. The compiler may not
 * be told that rbp changes (it can be the frame pointer): it is kept in
 * r12 for the call, not pushed, as a push would write into the red zone
 * below the stack pointer where the compiler may hold locals.
 */
static long ia32_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;

	asm volatile("mov %%rbp, %%r12\n\tmov %[f], %%rbp\n\tint $0x80\n\tmov %%r12, %%rbp"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), [f] "r"(f)
		     : "memory", "cc", "r8", "r9", "r10", "r11", "r12");
	return ret;
}

/* A 32-bit call's result as a library call's: -1 and errno on failure. */
static long ia32_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static void __attribute__((noreturn)) exit_on_fault(int sig)
{
	_exit(sig);
}

/* ia32-probe: exit 0 when this kernel makes 32-bit system calls (getpid). */
static int ia32_probe(void)
{
	pid_t child = fork();
	int status;

	if (child < 0)
		die("fork");
	if (!child) {	/* where the calls are off, int 0x80 faults */
		signal(SIGSEGV, exit_on_fault);	/* handled: no trap in the kernel log */
		_exit(ia32_syscall(20, 0, 0, 0, 0, 0, 0) == getpid() ? 0 : 1);
	}
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void *low_copy(const void *src, size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED)
		die("mmap MAP_32BIT");
	memcpy(p, src, n);
	return p;
}

/* Open path read-only by the 32-bit open, openat or openat2 call nr. */
static int ia32_open(long nr, const char *path)
{
	struct open_how oh = { .flags = O_RDONLY };
	size_t len = strlen(path) + 1;
	char *p = low_copy(path, len);
	void *h = low_copy(&oh, sizeof(oh));
	long fd;

	if (nr == IA32_OPEN)
		fd = ia32_syscall(nr, (long)p, O_RDONLY, 0, 0, 0, 0);
	else if (nr == IA32_OPENAT)
		fd = ia32_syscall(nr, AT_FDCWD, (long)p, O_RDONLY, 0, 0, 0);
	else
		fd = ia32_syscall(nr, AT_FDCWD, (long)p, (long)h, sizeof(oh), 0, 0);
	munmap(p, len);
	munmap(h, sizeof(oh));
	return (int)ia32_result(fd);
}

/*
 * How a descriptor is handed to the call that moves its file's bytes: as it
 * is, by the 32-bit call (int 0x80), or widened: its number with bits set
 * above the 32 the kernel reads (system calls take an int descriptor, so
 * the call still reaches it).
 */
enum move_how { MOVE_PLAIN, MOVE_IA32, MOVE_WIDE };

#define WIDE_FD_BITS	0x5a5a00000000L	/* above the 32 bits the kernel reads */

static long wide_fd(int fd)
{
	return (long)(unsigned int)fd | WIDE_FD_BITS;
}

/* sendfile, by the 64-bit call or the 32-bit sendfile64 call. */
static ssize_t sendfile_call(int out, int in, off_t *off, size_t n, enum move_how how)
{
	long w;

	if (how == MOVE_PLAIN)
		return sendfile(out, in, off, n);
	if (how == MOVE_WIDE)
		return syscall(SYS_sendfile, out, wide_fd(in), off, (long)n);
	/* no offset: the file's own position, which moves as off does here */
	w = ia32_result(ia32_syscall(IA32_SENDFILE64, out, in, 0,
				     (long)(n > 1 << 30 ? 1 << 30 : n), 0, 0));
	if (w > 0)
		*off += w;
	return w;
}

/* The bytes of the open file in go to a new connection by sendfile. */
static void sendfile_from(struct report *r, const struct target *t, int in,
			  const char *path, enum move_how how)
{
	struct stat st;
	off_t off = 0;
	int fd;

	if (in < 0 || fstat(in, &st))
		die("%s", path);
	fd = tcp_connect(t);
	socket_ends(fd, &r->flow[0]);
	while (off < st.st_size) {
		ssize_t w = sendfile_call(fd, in, &off, (size_t)(st.st_size - off), how);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("sendfile");
	}
	close(in);
	r->flow[0].payload = (uint64_t)st.st_size;
	tcp_finish(fd, r);
}

/* sendfile: a file's bytes go to the socket without write or send. */
static void run_sendfile(struct report *r, const struct target *t, const char *path)
{
	sendfile_from(r, t, open(path, O_RDONLY | O_CLOEXEC), path, MOVE_PLAIN);
}

/* Move n bytes from a pipe into a socket with splice. */
static void splice_out(int pipe_rd, int fd, size_t n)
{
	while (n) {
		ssize_t w = splice(pipe_rd, NULL, fd, NULL, n, SPLICE_F_MOVE);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("splice to socket");
		n -= (size_t)w;
	}
}

/* One splice from file descriptor in (at *off) into a pipe. */
static ssize_t splice_in(int in, loff_t *off, int pipe_wr, enum move_how how)
{
	if (how == MOVE_IA32)	/* no offset: the file's own position */
		return ia32_result(ia32_syscall(IA32_SPLICE, in, 0, pipe_wr, 0, 65536,
						SPLICE_F_MOVE));
	if (how == MOVE_WIDE)
		return syscall(SYS_splice, wide_fd(in), off, pipe_wr, NULL, 65536L,
			       (long)SPLICE_F_MOVE);
	return splice(in, off, pipe_wr, NULL, 65536, SPLICE_F_MOVE);
}

/* The bytes of the open file in go to a new connection: file -> pipe -> socket. */
static void splice_from(struct report *r, const struct target *t, int in,
			const char *path, enum move_how how)
{
	uint64_t total = 0;
	loff_t off = 0;
	ssize_t n;
	int fd, p[2];

	if (in < 0)
		die("%s", path);
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	fd = tcp_connect(t);
	socket_ends(fd, &r->flow[0]);
	while ((n = splice_in(in, &off, p[1], how)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("splice from %s", path);
		splice_out(p[0], fd, (size_t)n);
		total += (uint64_t)n;
	}
	close(p[0]);
	close(p[1]);
	close(in);
	r->flow[0].payload = total;
	tcp_finish(fd, r);
}

/* splice: file -> pipe -> socket. */
static void run_splice(struct report *r, const struct target *t, const char *path)
{
	splice_from(r, t, open(path, O_RDONLY | O_CLOEXEC), path, MOVE_PLAIN);
}

/*
 * The bytes of the open file in copied by copy_file_range into a new file
 * beside it, opened for writing only (which taints nothing); then N bytes
 * of payload go out on a new connection.
 */
static void copy_then_send(struct report *r, const struct target *t, int in,
			   const char *path, enum move_how how, size_t n)
{
	char copy[4096];
	loff_t off = 0;
	ssize_t w;
	int out;

	if (in < 0)
		die("%s", path);
	if (snprintf(copy, sizeof(copy), "%s.copy", path) >= (int)sizeof(copy)) {
		errno = ENAMETOOLONG;
		die("%s", path);
	}
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		die("%s", copy);
	do {
		if (how == MOVE_IA32)	/* no offsets: the files' own positions */
			w = ia32_result(ia32_syscall(IA32_COPY_FILE_RANGE, in, 0, out, 0, 1 << 20,
						     0));
		else if (how == MOVE_WIDE)
			w = syscall(SYS_copy_file_range, wide_fd(in), &off, out, NULL, 1L << 20, 0);
		else
			w = copy_file_range(in, &off, out, NULL, 1 << 20, 0);
		if (w < 0 && errno != EINTR)
			die("copy_file_range from %s", path);
	} while (w != 0);
	close(out);
	if (unlink(copy))
		die("unlink %s", copy);
	close(in);
	run_tcp(r, t, n);
}

/* vmsplice: user memory -> pipe (vmsplice) -> socket (splice), no write or send. */
static void run_vmsplice(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = tcp_connect(t), p[2];
	size_t off = 0;

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	socket_ends(fd, &r->flow[0]);
	while (off < n) {
		struct iovec iov = { .iov_base = buf + off, .iov_len = n - off };
		ssize_t w = vmsplice(p[1], &iov, 1, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("vmsplice");
		splice_out(p[0], fd, (size_t)w);
		off += (size_t)w;
	}
	close(p[0]);
	close(p[1]);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

static void uring_init(struct io_uring *ring)
{
	int err = io_uring_queue_init(4, ring, 0);

	if (err) {
		errno = -err;
		die("io_uring_queue_init");
	}
}

/* Submit the one prepared entry and wait for its result, which must not
 * be an error (op and arg name it then). */
static int uring_run(struct io_uring *ring, const char *op, const char *arg)
{
	struct io_uring_cqe *cqe;
	int err = io_uring_submit(ring), res;

	if (err >= 0)
		err = io_uring_wait_cqe(ring, &cqe);
	if (err < 0) {
		errno = -err;
		die("io_uring %s", op);
	}
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	if (res < 0) {
		errno = -res;
		die("%s %s", op, arg);
	}
	return res;
}

/* n bytes on fd by IORING_OP_SEND. */
static void uring_send_all(struct io_uring *ring, int fd, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		io_uring_prep_send(io_uring_get_sqe(ring), fd, buf + off, n - off, MSG_NOSIGNAL);
		off += (size_t)uring_run(ring, "IORING_OP_SEND", "");
	}
}

/*
 * iouring-send: the payload goes by IORING_OP_SEND, no send syscall;
 * iouring-connect: also the connection is made by IORING_OP_CONNECT.
 */
static void run_iouring(struct report *r, const struct target *t, size_t n, bool connect_too)
{
	char *buf = payload(n);
	struct io_uring ring;
	int fd;

	uring_init(&ring);
	if (connect_too) {
		fd = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		io_uring_prep_connect(io_uring_get_sqe(&ring), fd,
				      (const struct sockaddr *)&t->ss, t->len);
		uring_run(&ring, "IORING_OP_CONNECT", "");
	} else {
		fd = tcp_connect(t);
	}
	socket_ends(fd, &r->flow[0]);
	uring_send_all(&ring, fd, buf, n);
	io_uring_queue_exit(&ring);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

static void run_iouring_send(struct report *r, const struct target *t, size_t n)
{
	run_iouring(r, t, n, false);
}

static void run_iouring_connect(struct report *r, const struct target *t, size_t n)
{
	run_iouring(r, t, n, true);
}

/* fork-send: the parent owns the socket, a child writes on it. */
static void run_fork_send(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = tcp_connect(t), status;
	pid_t child;

	socket_ends(fd, &r->flow[0]);
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		write_all(fd, buf, n);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child %d failed", (int)child);
	r->sender_pid = child;
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/* exec-send: connect, then exec this program to write on the inherited fd. */
static void run_exec_send(const struct target *t, const char *n)
{
	char self[4096], fdstr[16];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd = tcp_connect(t);

	if (len < 0)
		die("readlink /proc/self/exe");
	self[len] = '\0';
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	/* exec by the real path: comm stays "traffic", not "exe" */
	execl(self, "traffic", "send-fd", fdstr, n, (char *)NULL);
	die("exec %s", self);
}

/* send-fd FD N: the exec'd half of exec-send. */
static void run_send_fd(struct report *r, int fd, size_t n)
{
	char *buf = payload(n);

	r->kase = "exec-send";
	socket_ends(fd, &r->flow[0]);
	write_all(fd, buf, n);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/* ---- UDP -------------------------------------------------------------- */

/* Bytes of the IP header the kernel puts before each datagram. */
static int ip_header_len(const struct target *t)
{
	return t->family == AF_INET ? 20 : 40;
}

/* An unbound UDP socket of the target's family. */
static int udp_socket(const struct target *t)
{
	int fd = socket(t->family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

/* Account n payload bytes sent as datagrams of at most UDP_CHUNK bytes. */
static void udp_account(struct report *r, struct flow *f, const struct target *t,
			size_t n, long datagrams)
{
	f->payload += n;
	if (f->ip_bytes < 0)
		f->ip_bytes = 0;
	f->ip_bytes += (int64_t)n + datagrams * (8 + ip_header_len(t));
	r->datagrams += datagrams;
}

/* Send n bytes in chunks; to == NULL for a connected socket. */
static long udp_send_chunks(int fd, const struct target *to, const char *buf, size_t n)
{
	long datagrams = 0;

	do {
		size_t c = n < UDP_CHUNK ? n : UDP_CHUNK;
		ssize_t w = sendto(fd, buf, c, 0, to ? (const struct sockaddr *)&to->ss : NULL,
				   to ? to->len : 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != (ssize_t)c)
			die("sendto");
		buf += c;
		n -= c;
		datagrams++;
	} while (n);
	return datagrams;
}

/* udp-connected: connect(), then send() without an address. */
static void run_udp_connected(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = udp_socket(t);

	if (connect(fd, (const struct sockaddr *)&t->ss, t->len))
		die("connect");
	socket_ends(fd, &r->flow[0]);
	udp_account(r, &r->flow[0], t, n, udp_send_chunks(fd, NULL, buf, n));
	close(fd);
	free(buf);
}

/* udp-sendto: an unconnected socket, sendto() per datagram. */
static void run_udp_sendto(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = udp_socket(t);

	udp_account(r, &r->flow[0], t, n, udp_send_chunks(fd, t, buf, n));
	unconnected_ends(fd, t, &r->flow[0]);
	close(fd);
	free(buf);
}

/* udp-sendmsg: each datagram by sendmsg, its payload in two iovecs. */
static void run_udp_sendmsg(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = udp_socket(t);
	size_t off = 0;

	do {
		size_t c = n - off < UDP_CHUNK ? n - off : UDP_CHUNK;
		struct iovec iov[2] = {
			{ .iov_base = buf + off, .iov_len = c / 2 },
			{ .iov_base = buf + off + c / 2, .iov_len = c - c / 2 },
		};
		struct msghdr m = {
			.msg_name = (void *)&t->ss, .msg_namelen = t->len,
			.msg_iov = iov, .msg_iovlen = 2,
		};

		if (sendmsg(fd, &m, 0) != (ssize_t)c)
			die("sendmsg");
		udp_account(r, &r->flow[0], t, c, 1);
		off += c;
	} while (off < n);
	unconnected_ends(fd, t, &r->flow[0]);
	close(fd);
	free(buf);
}

/* iouring-sendmsg: an unconnected socket, IORING_OP_SENDMSG per datagram. */
static void run_iouring_sendmsg(struct report *r, const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = udp_socket(t);
	struct io_uring ring;
	size_t off = 0;

	uring_init(&ring);
	do {
		size_t c = n - off < UDP_CHUNK ? n - off : UDP_CHUNK;
		struct iovec iov = { .iov_base = buf + off, .iov_len = c };
		struct msghdr m = {
			.msg_name = (void *)&t->ss, .msg_namelen = t->len,
			.msg_iov = &iov, .msg_iovlen = 1,
		};

		io_uring_prep_sendmsg(io_uring_get_sqe(&ring), fd, &m, 0);
		if (uring_run(&ring, "IORING_OP_SENDMSG", "") != (int)c)
			die("IORING_OP_SENDMSG: short datagram");
		udp_account(r, &r->flow[0], t, c, 1);
		off += c;
	} while (off < n);
	io_uring_queue_exit(&ring);
	unconnected_ends(fd, t, &r->flow[0]);
	close(fd);
	free(buf);
}

/* udp-sendmmsg: count datagrams of n bytes in one sendmmsg call. */
static void run_udp_sendmmsg(struct report *r, const struct target *t, size_t n,
			     unsigned int count)
{
	struct mmsghdr *mm = calloc(count ? count : 1, sizeof(*mm));
	struct iovec *iov = calloc(count ? count : 1, sizeof(*iov));
	char *buf = payload(n);
	unsigned int sent = 0;
	int fd = udp_socket(t);

	if (!mm || !iov || n > UDP_CHUNK)
		die("udp-sendmmsg: N at most %d", UDP_CHUNK);
	for (unsigned int i = 0; i < count; i++) {
		iov[i] = (struct iovec){ .iov_base = buf, .iov_len = n };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = (void *)&t->ss,
						 .msg_namelen = t->len,
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	while (sent < count) {
		int k = sendmmsg(fd, mm + sent, count - sent, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("sendmmsg");
		sent += (unsigned int)k;
	}
	udp_account(r, &r->flow[0], t, n * count, count);
	unconnected_ends(fd, t, &r->flow[0]);
	close(fd);
	free(buf);
	free(iov);
	free(mm);
}

/* Two addresses of a subcommand that one socket must reach: one family. */
static void one_family(const struct target t[2], const char *what)
{
	if (t[0].family != t[1].family) {
		errno = EINVAL;
		die("%s: addresses of one family", what);
	}
}

/* udp-multi: one unconnected socket, two destinations, two flows. */
static void run_udp_multi(struct report *r, const struct target t[2], size_t n)
{
	char *buf = payload(n);
	int fd;

	one_family(t, "udp-multi");
	fd = udp_socket(&t[0]);
	for (int i = 0; i < 2; i++) {
		udp_account(r, &r->flow[i], &t[i], n, udp_send_chunks(fd, &t[i], buf, n));
		unconnected_ends(fd, &t[i], &r->flow[i]);
	}
	r->nflows = 2;
	close(fd);
	free(buf);
}

/*
 * connect() that gives up after ms milliseconds with ETIMEDOUT: a routed
 * connection whose SYNs enforce mode drops would wait for minutes.
 */
static int connect_within(int fd, const struct target *t, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t len = sizeof(err);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		die("fcntl");
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len) && errno != EINPROGRESS)
		return -1;
	if (poll(&p, 1, ms) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		die("SO_ERROR");
	if (fcntl(fd, F_SETFL, flags))
		die("fcntl");
	errno = err;
	return err ? -1 : 0;
}

/*
 * Give a socket a source route through the n addresses of via, in order,
 * as any process may: an IPv4 loose source route option (IP_OPTIONS) or
 * an IPv6 segment routing header (IPV6_RTHDR). The kernel sends each
 * packet to via[0], with the rest of the route and the socket's
 * destination last in the header. Returns the bytes the route adds to
 * each packet.
 */
static int source_route(int fd, const struct target *via, int n)
{
	/* NOP, LSRR, length, pointer, then the hops */
	uint8_t lsrr[4 + 4 * MAX_HOPS] = { IPOPT_NOP, IPOPT_LSRR, (uint8_t)(3 + 4 * n), 4 };
	/* segment 0 the final one (the kernel's to fill), segment n via[0] */
	uint8_t srh[8 + 16 * (MAX_HOPS + 1)] = { 0, (uint8_t)(2 * (n + 1)), 4, (uint8_t)n,
						   (uint8_t)n };
	int len;

	if (n < 1 || n > MAX_HOPS)
		die("source route: 1 to %d hops", MAX_HOPS);
	if (via->family == AF_INET) {
		for (int i = 0; i < n; i++)
			memcpy(lsrr + 4 + 4 * i, &((const struct sockaddr_in *)&via[i].ss)->sin_addr, 4);
		len = 4 + 4 * n;
		if (setsockopt(fd, IPPROTO_IP, IP_OPTIONS, lsrr, (socklen_t)len))
			die("setsockopt IP_OPTIONS");
		return len;
	}
	for (int i = 0; i < n; i++)
		memcpy(srh + 8 + 16 * (n - i), &((const struct sockaddr_in6 *)&via[i].ss)->sin6_addr,
		       16);
	len = 8 + 16 * (n + 1);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, srh, (socklen_t)len))
		die("setsockopt IPV6_RTHDR");
	return len;
}

/*
 * udp-route: datagrams sent to t[1] through t[0] by a source route. They
 * reach both: two flows with the same packets, of which the agent must
 * record the one to the address that decides.
 */
static void run_udp_route(struct report *r, const struct target t[2], size_t n)
{
	char *buf = payload(n);
	int fd, extra;
	long datagrams;

	one_family(t, "udp-route");
	fd = udp_socket(&t[1]);
	extra = source_route(fd, &t[0], 1);
	datagrams = udp_send_chunks(fd, &t[1], buf, n);
	udp_account(r, &r->flow[0], &t[1], n, datagrams);
	r->flow[0].ip_bytes += (int64_t)extra * datagrams;
	unconnected_ends(fd, &t[1], &r->flow[0]);
	r->flow[1] = r->flow[0];
	format_addr(&t[0].ss, r->flow[1].dst, &r->flow[1].dport);
	r->nflows = 2;
	close(fd);
	free(buf);
}

/*
 * tcp-route: a connection to t[1] through t[0] by a source route. No host
 * here takes source-routed segments, so only SYNs leave, for a second and
 * a half (a retransmission among them); then the socket is closed.
 */
static void run_tcp_route(struct report *r, const struct target t[2])
{
	int fd;

	one_family(t, "tcp-route");
	fd = socket(t[1].family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	source_route(fd, &t[0], 1);
	if (!connect_within(fd, &t[1], 1500) || errno != ETIMEDOUT)
		die("tcp-route: connect did not wait");
	local_end(fd, &r->flow[0]);
	format_addr(&t[1].ss, r->flow[0].dst, &r->flow[0].dport);
	tcp_sent(fd, r);
	r->flow[1] = r->flow[0];
	format_addr(&t[0].ss, r->flow[1].dst, &r->flow[1].dport);
	r->nflows = 2;
	close(fd);
}

/*
 * tcp-refused: a connection to a port where nothing listens; the peer's
 * reset ends it before connect() returns, and the kernel releases its
 * port. The socket is bound to its source address first (the address a
 * route to t gives), so that the failed connect() does not forget it; the
 * port is still the kernel's choice.
 */
static void run_tcp_refused(struct report *r, const struct target *t)
{
	struct sockaddr_storage src;
	socklen_t len = route_source(t, &src);
	int fd = socket(t->family, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)&src, len))
		die("tcp-refused: bind");
	if (!connect(fd, (const struct sockaddr *)&t->ss, t->len) || errno != ECONNREFUSED)
		die("tcp-refused: connect was not refused");
	local_end(fd, &r->flow[0]);
	format_addr(&t->ss, r->flow[0].dst, &r->flow[0].dport);
	tcp_sent(fd, r);
	close(fd);
}

/* Wait until the peer has acknowledged all that fd sent (at most 5 s). */
static void wait_acked(int fd)
{
	for (int i = 0; i < 500; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			die("TCP_INFO");
		if (!ti.tcpi_unacked && !ti.tcpi_notsent_bytes)
			return;
		usleep(10000);
	}
	errno = ETIMEDOUT;
	die("waiting for the peer to acknowledge what was sent");
}

/* A connection's first n bytes of buf, sent and acknowledged; its ends in f. */
static void send_acked(int fd, struct flow *f, const char *buf, size_t n)
{
	socket_ends(fd, f);
	write_all(fd, buf, n);
	wait_acked(fd);
}

/*
 * tcp-route-late: a connection to t[1] sends N bytes (acknowledged), then
 * is given a source route through t[0] (IPV6_RTHDR, as any process may)
 * and sends N bytes more, which go to t[0] first, where no host takes
 * them: they are sent again for a second. Then the route is taken off,
 * they reach t[1], and the connection ends as any. Two flows: the
 * connection's own, and t[0]'s with the routed segments.
 */
static void run_tcp_route_late(struct report *r, const struct target t[2], size_t n)
{
	char *buf = payload(n);
	int fd;

	one_family(t, "tcp-route-late");
	fd = tcp_connect(&t[1]);
	send_acked(fd, &r->flow[0], buf, n);
	source_route(fd, &t[0], 1);
	write_all(fd, buf, n);
	sleep(1);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, NULL, 0))
		die("setsockopt IPV6_RTHDR off");
	wait_acked(fd);
	r->flow[0].payload = 2 * n;
	tcp_finish(fd, r);
	r->flow[1] = r->flow[0];
	format_addr(&t[0].ss, r->flow[1].dst, &r->flow[1].dport);
	r->flow[1].dport = r->flow[0].dport;
	r->flow[1].payload = n;
	r->flow[1].segs_out = 1;	/* at least: those of the bytes after the route */
	r->nflows = 2;
	free(buf);
}

/*
 * tcp-reconnect: one socket, two connections. The first sends N bytes and,
 * once they are acknowledged and the peer's FIN is in, is dissolved
 * (connect with AF_UNSPEC: a reset while the socket is open); the same
 * socket connects again, sends N more and ends as tcp4 does: two flows,
 * each with its own port and counts.
 */
static void run_tcp_reconnect(struct report *r, const struct target *t, size_t n)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	char *buf = payload(n);
	int fd = tcp_connect(t);

	send_acked(fd, &r->flow[0], buf, n);
	read_to_end(fd);	/* the sink's FIN: nothing of the peer comes later */
	tcp_sent(fd, r);
	r->flow[0].segs_out = r->segs_out;
	if (connect(fd, &unspec, sizeof(unspec)) ||
	    connect(fd, (const struct sockaddr *)&t->ss, t->len))
		die("tcp-reconnect: connect again");
	socket_ends(fd, &r->flow[1]);
	write_all(fd, buf, n);
	tcp_finish(fd, r);
	r->flow[1].segs_out = r->segs_out;
	for (int i = 0; i < 2; i++) {
		r->flow[i].payload = n;
		r->flow[i].ip_bytes = -1;
	}
	r->nflows = 2;
	free(buf);
}

/* udp-burst: count short flows, each its own socket with one datagram. */
static void run_udp_burst(struct report *r, const struct target *t, unsigned long count)
{
	char buf[16];

	memset(buf, 'b', sizeof(buf));
	for (unsigned long i = 0; i < count; i++) {
		int fd = udp_socket(t);

		udp_account(r, &r->flow[0], t, sizeof(buf),
			    udp_send_chunks(fd, t, buf, sizeof(buf)));
		close(fd);
	}
	unconnected_ends(-1, t, &r->flow[0]);
	r->sockets = (long)count;
}

/*
 * reset-race DST PORT COUNT: COUNT connections to reset-sink, each closed
 * 300 us after its one byte, by when the peer's reset (its answer to that
 * byte) has most often arrived and is being taken in. The next starts
 * 1.2 ms later: the test holds each reset's close 1 ms, and a sink left
 * behind answers the connections it has not reached yet in bursts, taken
 * in later by whatever thread the CPU then runs (on the test VM, at times
 * its init process's threads, on which the kernel runs no tracing
 * program: see the README).
 */
static void run_reset_race(struct report *r, const struct target *t, unsigned long count)
{
	for (unsigned long i = 0; i < count; i++) {
		int fd = tcp_connect(t);

		if (i == 0)
			socket_ends(fd, &r->flow[0]);
		write_all(fd, "x", 1);
		usleep(300);
		close(fd);
		usleep(1200);
	}
	r->sockets = (long)count;
}

/* ---- raw and packet sockets -------------------------------------------- */

/* The Internet checksum (RFC 1071) of len bytes, network order. */
static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* raw: an ICMP (ICMPv6) echo request with n bytes of data on a SOCK_RAW socket. */
static void run_raw(struct report *r, const struct target *t, size_t n)
{
	bool v4 = t->family == AF_INET;
	int fd = socket(t->family, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	size_t len = 8 + n;
	uint8_t *msg = calloc(1, len);
	char *data = payload(n);

	if (fd < 0 || !msg)
		die("raw socket");
	msg[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	msg[4] = (uint8_t)(getpid() >> 8);
	msg[5] = (uint8_t)getpid();
	msg[7] = 1;
	memcpy(msg + 8, data, n);
	/* the kernel sums ICMPv6 itself (pseudo header); ICMP is ours */
	if (v4)
		memcpy(msg + 2, &(uint16_t){ inet_csum(msg, len) }, 2);
	if (sendto(fd, msg, len, 0, (const struct sockaddr *)&t->ss, t->len) != (ssize_t)len)
		die("sendto raw");
	unconnected_ends(-1, t, &r->flow[0]);
	r->flow[0].dport = 0;
	r->flow[0].payload = n;
	r->flow[0].ip_bytes = (int64_t)len + ip_header_len(t);
	close(fd);
	free(msg);
	free(data);
}

/*
 * rpl: one datagram of n bytes to t[1] through t[0] by an RPL source route
 * (RFC 6554, routing header type 3), on a raw IPv6 socket that writes its
 * own headers (IPPROTO_RAW): no socket option takes an RPL route. Its one
 * address, t[1], leaves out the leading bytes it shares with the header's
 * destination, t[0]. Two flows, as udp-route's. Its UDP checksum is left
 * 0: no host here takes the datagram.
 */
static void run_rpl(struct report *r, const struct target t[2], size_t n)
{
	const uint8_t *via = ((const struct sockaddr_in6 *)&t[0].ss)->sin6_addr.s6_addr;
	const uint8_t *dst = ((const struct sockaddr_in6 *)&t[1].ss)->sin6_addr.s6_addr;
	const uint16_t sport = (uint16_t)(40000 + getpid() % 20000);
	size_t shared = 0, bytes, pad, hlen, len;
	struct sockaddr_storage src;
	struct sockaddr_in6 to;
	uint8_t *pkt, *rt, *udp;
	char *data = payload(n);
	int fd;

	one_family(t, "rpl");
	if (t[0].family != AF_INET6) {
		errno = EINVAL;
		die("rpl: IPv6 addresses");
	}
	while (shared < 15 && via[shared] == dst[shared])
		shared++;
	bytes = 16 - shared;
	pad = (8 - bytes % 8) % 8;
	hlen = 8 + bytes + pad;
	len = 40 + hlen + 8 + n;
	pkt = calloc(1, len);
	if (!pkt)
		die("rpl");
	route_source(&t[0], &src);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)((len - 40) >> 8), pkt[5] = (uint8_t)(len - 40);
	pkt[6] = 43;				/* routing */
	pkt[7] = 64;
	memcpy(pkt + 8, ((struct sockaddr_in6 *)&src)->sin6_addr.s6_addr, 16);
	memcpy(pkt + 24, via, 16);
	rt = pkt + 40;
	rt[0] = IPPROTO_UDP, rt[1] = (uint8_t)((bytes + pad) / 8), rt[2] = 3, rt[3] = 1;
	rt[4] = (uint8_t)(shared << 4 | shared), rt[5] = (uint8_t)(pad << 4);
	memcpy(rt + 8, dst + shared, bytes);
	udp = rt + hlen;
	udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
	memcpy(udp + 2, &((const struct sockaddr_in6 *)&t[1].ss)->sin6_port, 2);
	udp[4] = (uint8_t)((8 + n) >> 8), udp[5] = (uint8_t)(8 + n);
	memcpy(udp + 8, data, n);
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw socket");
	to = *(const struct sockaddr_in6 *)&t[0].ss;
	to.sin6_port = 0;
	if (sendto(fd, pkt, len, 0, (const struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
		die("sendto rpl");
	unconnected_ends(-1, &t[1], &r->flow[0]);
	r->flow[0].sport = sport;
	r->flow[0].cookie = sock_cookie(fd);
	r->flow[0].payload = n;
	r->flow[0].ip_bytes = (int64_t)len;
	r->datagrams = 1;
	r->flow[1] = r->flow[0];
	format_addr(&t[0].ss, r->flow[1].dst, &r->flow[1].dport);
	r->nflows = 2;
	close(fd);
	free(pkt);
	free(data);
}

/* The first complete neighbour entry of ifname (a veth has one), else broadcast. */
static void neighbour_mac(const char *ifname, uint8_t mac[ETH_ALEN])
{
	char line[256], ip[64], hw[32], dev[IF_NAMESIZE + 1];
	unsigned int type, flags, m[ETH_ALEN];
	FILE *f = fopen("/proc/net/arp", "r");

	memset(mac, 0xff, ETH_ALEN);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s 0x%x 0x%x %31s %*s %16s", ip, &type, &flags, hw,
			   dev) != 5 || strcmp(dev, ifname) || !(flags & 0x2))
			continue;
		if (sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
			   &m[5]) != ETH_ALEN)
			continue;
		for (int i = 0; i < ETH_ALEN; i++)
			mac[i] = (uint8_t)m[i];
		break;
	}
	fclose(f);
}

/* The MAC and IPv4 address of an interface. */
static void interface_addrs(const char *ifname, uint8_t mac[ETH_ALEN], struct in_addr *ip)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR %s", ifname);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(fd, SIOCGIFADDR, &ifr))
		die("SIOCGIFADDR %s", ifname);
	*ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	close(fd);
}

/* Ethernet + IPv4 + UDP (to port 9) + n bytes, into frame. */
static size_t build_frame(uint8_t *frame, const uint8_t dmac[ETH_ALEN],
			  const uint8_t smac[ETH_ALEN], struct in_addr src,
			  struct in_addr dst, size_t n)
{
	struct ether_header *eth = (struct ether_header *)frame;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	char *data = payload(n);

	memcpy(eth->ether_dhost, dmac, ETH_ALEN);
	memcpy(eth->ether_shost, smac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	*ip = (struct iphdr){ .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
			      .tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*udp) + n)),
			      .id = htons((uint16_t)getpid()),
			      .saddr = src.s_addr, .daddr = dst.s_addr };
	ip->check = inet_csum(ip, sizeof(*ip));
	*udp = (struct udphdr){ .source = htons(PACKET_SPORT), .dest = htons(PACKET_DPORT),
				.len = htons((uint16_t)(sizeof(*udp) + n)) };
	memcpy(udp + 1, data, n);
	free(data);
	return sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + n;
}

/*
 * packet: a hand-made frame on an AF_PACKET socket, seen only at tc;
 * packet-bypass: the socket first asks to skip the qdisc
 * (PACKET_QDISC_BYPASS), and with it tc.
 */
static void run_packet(struct report *r, const char *ifname, const struct target *t,
		       size_t n, bool bypass)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN,
				  .sll_protocol = htons(ETH_P_IP) };
	uint8_t smac[ETH_ALEN], *frame = calloc(1, 64 + n);
	struct in_addr src;
	size_t len;
	int fd;

	if (!t->v4 || t->family != AF_INET || !frame || n > UDP_CHUNK) {
		errno = EINVAL;
		die("packet: an IPv4 DST and N at most %d", UDP_CHUNK);
	}
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!ll.sll_ifindex)
		die("%s", ifname);
	interface_addrs(ifname, smac, &src);
	neighbour_mac(ifname, ll.sll_addr);
	len = build_frame(frame, ll.sll_addr, smac, src,
			  ((const struct sockaddr_in *)&t->ss)->sin_addr, n);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (fd < 0)
		die("socket AF_PACKET");
	if (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &(int){ 1 }, sizeof(int)))
		die("PACKET_QDISC_BYPASS");
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll)) != (ssize_t)len)
		die("sendto AF_PACKET");
	close(fd);
	inet_ntop(AF_INET, &src, r->flow[0].src, sizeof(r->flow[0].src));
	format_addr(&t->ss, r->flow[0].dst, &r->flow[0].dport);
	r->flow[0].sport = PACKET_SPORT;
	r->flow[0].dport = PACKET_DPORT;
	r->flow[0].payload = n;
	r->flow[0].ip_bytes = (int64_t)(len - ETH_HLEN);
	snprintf(r->dst_mac, sizeof(r->dst_mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		 ll.sll_addr[0], ll.sll_addr[1], ll.sll_addr[2], ll.sll_addr[3],
		 ll.sll_addr[4], ll.sll_addr[5]);
	free(frame);
}

/* ---- data labels: taint from files ------------------------------------- */

/* Open path for reading by IORING_OP_OPENAT: no open syscall at all. */
static int uring_open(struct io_uring *ring, const char *path)
{
	io_uring_prep_openat(io_uring_get_sqe(ring), AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	return uring_run(ring, "IORING_OP_OPENAT", path);
}

/* Read fd to its end, by read() or, with a ring, by IORING_OP_READ. */
static uint64_t read_all(int fd, struct io_uring *ring, const char *path)
{
	char buf[65536];
	uint64_t total = 0;

	for (;;) {
		ssize_t n;

		if (ring) {
			io_uring_prep_read(io_uring_get_sqe(ring), fd, buf, sizeof(buf), total);
			n = uring_run(ring, "IORING_OP_READ", path);
		} else {
			n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("read %s", path);
		}
		if (n == 0)
			return total;
		total += (uint64_t)n;
	}
}

/* The directory and the name of DIR/NAME. */
static const char *split_path(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path || !slash[1]) {
		errno = EINVAL;
		die("%s: expected DIR/NAME", path);
	}
	snprintf(dir, len, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

/*
 * Open path by a handle (name_to_handle_at, open_by_handle_at): no open by
 * name. The file must be on the root file system.
 */
static int open_by_handle(const char *path, bool ia32)
{
	size_t size = sizeof(struct file_handle) + MAX_HANDLE_SZ;
	struct file_handle *fh = calloc(1, size), *low;
	int mount_id, mfd, fd;

	if (!fh)
		die("calloc");
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0))
		die("name_to_handle_at %s", path);
	/* any file of its mount will do: its directory would taint, "/" does not */
	mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		die("open /");
	if (ia32) {
		low = low_copy(fh, size);
		fd = (int)ia32_result(ia32_syscall(IA32_OPEN_BY_HANDLE_AT, mfd, (long)low,
						   O_RDONLY, 0, 0, 0));
		munmap(low, size);
	} else {
		fd = open_by_handle_at(mfd, fh, O_RDONLY | O_CLOEXEC);
	}
	close(mfd);
	free(fh);
	return fd;
}

/* Kernel 6.8's opcode, newer than the io_uring headers here. */
#define OP_FIXED_FD_INSTALL	54

/*
 * Open path into a direct descriptor of a ring (IORING_OP_OPENAT, no real
 * descriptor), then make it a real one (IORING_OP_FIXED_FD_INSTALL).
 */
static int uring_open_install(const char *path)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int err, fd;

	uring_init(&ring);
	err = io_uring_register_files_sparse(&ring, 1);
	if (err) {
		errno = -err;
		die("io_uring_register_files_sparse");
	}
	io_uring_prep_openat_direct(io_uring_get_sqe(&ring), AT_FDCWD, path, O_RDONLY, 0, 0);
	uring_run(&ring, "IORING_OP_OPENAT (direct)", path);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(OP_FIXED_FD_INSTALL, sqe, 0, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	fd = uring_run(&ring, "IORING_OP_FIXED_FD_INSTALL", path);
	io_uring_queue_exit(&ring);
	return fd;
}

/*
 * Open a file for reading the way `how` says, read all of it, close it:
 * path     open(3), i.e. openat(AT_FDCWD, path)
 * open     the open syscall
 * openat2  the openat2 syscall
 * relative chdir to its directory, then open the bare name
 * dirfd    openat on an O_PATH descriptor of its directory (O_PATH reads
 *          nothing, so only the file itself can taint)
 * uring    IORING_OP_OPENAT and IORING_OP_READ, no open or read syscall
 * ia32-open, ia32-openat, ia32-openat2, ia32-handle  the 32-bit call (int 0x80)
 * handle   open_by_handle_at
 * uring-install  a direct descriptor of a ring made a real one
 */
static void read_file(const char *how, const char *path)
{
	struct io_uring ring, *rp = NULL;
	char dir[4096];
	const char *name;
	int fd, dfd;

	if (!strcmp(how, "path")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} else if (!strcmp(how, "open")) {
		fd = (int)syscall(SYS_open, path, O_RDONLY | O_CLOEXEC);
	} else if (!strcmp(how, "openat2")) {
		struct open_how oh = { .flags = O_RDONLY | O_CLOEXEC };

		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &oh, sizeof(oh));
	} else if (!strcmp(how, "relative")) {
		name = split_path(path, dir, sizeof(dir));
		if (chdir(dir))
			die("chdir %s", dir);
		fd = open(name, O_RDONLY | O_CLOEXEC);
	} else if (!strcmp(how, "dirfd")) {
		name = split_path(path, dir, sizeof(dir));
		dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			die("O_PATH %s", dir);
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
		close(dfd);
	} else if (!strcmp(how, "ia32-open")) {
		fd = ia32_open(IA32_OPEN, path);
	} else if (!strcmp(how, "ia32-openat")) {
		fd = ia32_open(IA32_OPENAT, path);
	} else if (!strcmp(how, "ia32-openat2")) {
		fd = ia32_open(IA32_OPENAT2, path);
	} else if (!strcmp(how, "handle") || !strcmp(how, "ia32-handle")) {
		fd = open_by_handle(path, how[0] == 'i');
	} else if (!strcmp(how, "uring-install")) {
		fd = uring_open_install(path);
	} else if (!strcmp(how, "uring")) {
		uring_init(&ring);
		rp = &ring;
		fd = uring_open(&ring, path);
	} else {
		usage();
	}
	if (fd < 0)
		die("open (%s) %s", how, path);
	read_all(fd, rp, path);
	close(fd);
	if (rp)
		io_uring_queue_exit(rp);
}

/* read-send HOW FILE DST PORT N: read a file, then connect and send. */
static void run_read_send(struct report *r, const char *how, const char *path,
			  const struct target *t, size_t n)
{
	read_file(how, path);
	r->how = how;
	run_tcp(r, t, n);
}

/* N bytes out and acknowledged, the file read, the same N bytes again. */
static void send_read_send(struct report *r, int fd, const char *buf, size_t n,
			   const char *path)
{
	send_acked(fd, &r->flow[0], buf, n);
	read_file("path", path);
	write_all(fd, buf, n);
	r->untainted = n;
	r->flow[0].payload = 2 * n;
}

/*
 * send-read DST PORT N FILE: connect and send N bytes (out and acked while
 * untainted), read the file, send N bytes more: these carry the taint.
 */
static void run_send_read(struct report *r, const struct target *t, size_t n,
			  const char *path)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);

	send_read_send(r, fd, buf, n, path);
	tcp_finish(fd, r);
	free(buf);
}

/*
 * A second on, what the peer has acknowledged into r->acked; then the
 * connection is reset, so that what was stopped is not sent again.
 */
static void acked_then_reset(struct report *r, int fd)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	sleep(1);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("TCP_INFO");
	r->acked = (int64_t)ti.tcpi_bytes_acked;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)))
		die("SO_LINGER");
	close(fd);
}

/*
 * send-read-stop DST PORT N FILE: as send-read where enforce mode must stop
 * the bytes after the read: the line has "acked", what the peer had
 * acknowledged a second after the last send; the socket is then reset.
 */
static void run_send_read_stop(struct report *r, const struct target *t, size_t n,
			       const char *path)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);

	send_read_send(r, fd, buf, n, path);
	acked_then_reset(r, fd);
	free(buf);
}

/* fork-read-send FILE DST PORT N: the parent reads, a child connects and
 * sends, and prints the line (its pid; the parent's as parent_pid). */
static void run_fork_read_send(struct report *r, const char *path,
			       const struct target *t, size_t n)
{
	pid_t child;
	int status;

	read_file("path", path);
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		r->parent_pid = getppid();
		run_tcp(r, t, n);
		report_print(r);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child %d failed", (int)child);
	r->quiet = true;
}

/* A child reads the file and sends n bytes of buf on fd; the parent waits for it. */
static void child_read_send(int fd, const char *path, const char *buf, size_t n)
{
	pid_t child;
	int status;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		read_file("path", path);
		write_all(fd, buf, n);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child %d failed", (int)child);
}

/*
 * connect-fork-read-send FILE DST PORT N: the parent connects and sends N
 * bytes; a child reads the file and sends N bytes on the parent's socket,
 * then exits; the parent sends N bytes more and closes. The flow carries
 * the child's labels from its send to its end.
 */
static void run_connect_fork_read_send(struct report *r, const char *path,
				       const struct target *t, size_t n)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);

	socket_ends(fd, &r->flow[0]);
	write_all(fd, buf, n);
	child_read_send(fd, path, buf, n);
	write_all(fd, buf, n);
	r->flow[0].payload = 3 * n;
	tcp_finish(fd, r);
	free(buf);
}

/*
 * connect-fork-read-send-stop DST PORT N FILE: the parent connects and
 * sends N bytes; a child reads the file and sends N bytes on the socket
 * (seen once that send is done: they leave); the parent sends N bytes
 * more, which enforce mode stops. The line has "acked" (as send-read-stop)
 * and "untainted_payload": what left before the socket took the taint.
 */
static void run_connect_fork_read_send_stop(struct report *r, const struct target *t,
					    size_t n, const char *path)
{
	char *buf = payload(n);
	int fd = tcp_connect(t);

	send_acked(fd, &r->flow[0], buf, n);
	child_read_send(fd, path, buf, n);
	wait_acked(fd);
	write_all(fd, buf, n);
	r->untainted = 2 * n;
	r->flow[0].payload = 3 * n;
	acked_then_reset(r, fd);
	free(buf);
}

/* What the thread left by leader-exit-send sends, copied off the main thread's stack. */
static struct {
	struct report r;
	struct target t;
	size_t n;
	pid_t leader;
} leader_exit;

/* Whether thread tid of this process is a zombie (it exited). */
static bool thread_gone(pid_t tid)
{
	char path[64], line[512], *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return true;
	state = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return state && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X');
}

/* The thread left behind: once the main thread is gone, connect and send. */
static void *after_leader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500 && !thread_gone(leader_exit.leader); i++)
		usleep(10000);
	if (!thread_gone(leader_exit.leader)) {
		errno = ETIMEDOUT;
		die("leader-exit-send: the main thread did not exit");
	}
	run_tcp(&leader_exit.r, &leader_exit.t, leader_exit.n);
	report_print(&leader_exit.r);
	exit(0);
}

/*
 * leader-exit-send FILE DST PORT N: read the file; the main thread exits
 * (pthread_exit) and another thread of the process connects and sends:
 * the process lives on, and its taint with it.
 */
static void run_leader_exit_send(struct report *r, const char *path, const struct target *t,
				 size_t n)
{
	pthread_t th;

	read_file("path", path);
	leader_exit.r = *r;
	leader_exit.t = *t;
	leader_exit.n = n;
	leader_exit.leader = getpid();
	fflush(stdout);
	if (pthread_create(&th, NULL, after_leader, NULL))
		die("pthread_create");
	pthread_exit(NULL);
}

/* read-exec-send FILE DST PORT N: read, then exec `traffic tcp4|tcp6 DST PORT N`. */
static void run_read_exec_send(const char *path, const struct target *t, char **argv)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len < 0)
		die("readlink /proc/self/exe");
	self[len] = '\0';
	read_file("path", path);
	fflush(stdout);
	execl(self, "traffic", t->v4 ? "tcp4" : "tcp6", argv[3], argv[4], argv[5],
	      (char *)NULL);
	die("exec %s", self);
}

/*
 * read-hold FILE DST PORT N: read the file, print a "ready" line, wait for
 * SIGUSR1 (other processes run meanwhile), then connect and send.
 */
static void run_read_hold(struct report *r, const char *path, const struct target *t,
			  size_t n)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");
	read_file("path", path);
	printf("{\"case\":\"read-hold\",\"pid\":%d,\"ready\":true}\n", (int)getpid());
	fflush(stdout);
	if (sigwait(&set, &sig))
		die("sigwait");
	run_tcp(r, t, n);
}

/*
 * open-hold|map-hold FILE DST PORT N: open the file and keep it open (or
 * map it and close it), say so, wait for SIGUSR1, then connect and send.
 * Started before the agent: it never opens anything the agent sees.
 */
static void run_hold(struct report *r, const char *how, const char *path,
		     const struct target *t, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), sig;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");
	if (fd < 0)
		die("open %s", path);
	if (!strcmp(how, "map-hold")) {
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
			die("mmap %s", path);
		close(fd);
	}
	printf("{\"case\":\"%s\",\"pid\":%d,\"ready\":true}\n", how, (int)getpid());
	fflush(stdout);
	if (sigwait(&set, &sig))
		die("sigwait");
	r->how = how;
	run_tcp(r, t, n);
}

/*
 * pidfd-getfd|ia32-pidfd-getfd FILE DST PORT N: a child opens the file and
 * waits; this process takes a copy of its descriptor (pidfd_getfd, or the
 * 32-bit call), opens nothing, and sends.
 */
static void run_pidfd_getfd(struct report *r, const char *path, const struct target *t,
			    size_t n, bool ia32)
{
	int ready[2], pidfd, fd, status;
	pid_t child;
	char c;

	if (pipe(ready))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		fd = open(path, O_RDONLY);
		if (fd < 0 || dup2(fd, 100) != 100 || write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		die("the child that opens %s", path);
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		die("pidfd_open");
	fd = ia32 ? (int)ia32_result(ia32_syscall(IA32_PIDFD_GETFD, pidfd, 100, 0, 0, 0, 0)) :
		    (int)syscall(SYS_pidfd_getfd, pidfd, 100, 0);
	if (fd < 0)
		die("pidfd_getfd");
	kill(child, SIGKILL);
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	close(pidfd);
	close(ready[0]);
	close(ready[1]);
	read_all(fd, NULL, path);
	close(fd);
	run_tcp(r, t, n);
}

/* Pass fd over a unix socket. */
static void send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	memset(u.b, 0, sizeof(u.b));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg SCM_RIGHTS");
}

/* How a passed descriptor is received. */
enum recv_how {
	RECV_SYSCALL,		/* recvmsg */
	RECV_URING,		/* IORING_OP_RECVMSG: no system call */
	RECV_URING_MULTISHOT,	/* the same, multishot, into a provided buffer */
	RECV_MMSG,		/* recvmmsg, the descriptor in its second message */
	RECV_IA32,		/* the 32-bit recvmsg (int 0x80) */
	RECV_IA32_SOCKETCALL,	/* the 32-bit socketcall's recvmsg */
	RECV_IA32_MMSG,		/* the 32-bit recvmmsg, as RECV_MMSG */
	RECV_IA32_MMSG64,	/* the same by recvmmsg_time64 */
	RECV_IA32_SOCKETCALL_MMSG, /* the same by socketcall's recvmmsg */
	RECV_IA32_URING,	/* IORING_OP_RECVMSG in a 32-bit program's ring */
};

#define RECV_BGID	7	/* the provided buffers' group */

static bool recv_is_ia32(enum recv_how how)
{
	return how == RECV_IA32 || how == RECV_IA32_SOCKETCALL || how == RECV_IA32_MMSG ||
	       how == RECV_IA32_MMSG64 || how == RECV_IA32_SOCKETCALL_MMSG ||
	       how == RECV_IA32_URING;
}

/* Whether the descriptor comes in the second of two messages. */
static bool recv_is_mmsg(enum recv_how how)
{
	return how == RECV_MMSG || how == RECV_IA32_MMSG || how == RECV_IA32_MMSG64 ||
	       how == RECV_IA32_SOCKETCALL_MMSG;
}

/*
 * A descriptor received by a multishot IORING_OP_RECVMSG: the message,
 * control data and all, lands in a buffer the ring provides, where no hook
 * of the agent reads it.
 */
static int recv_fd_multishot(int sock, struct io_uring *ring)
{
	static char buf[256] __attribute__((aligned(64)));
	struct io_uring_buf_reg reg = { .ring_entries = 1, .bgid = RECV_BGID };
	struct msghdr m = { .msg_controllen = CMSG_SPACE(sizeof(int)) };
	struct io_uring_buf_ring *br;
	struct io_uring_recvmsg_out *o;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct cmsghdr *h;
	int fd, err;

	br = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED)
		die("mmap");
	reg.ring_addr = (unsigned long)br;
	err = io_uring_register_buf_ring(ring, &reg, 0);
	if (err) {
		errno = -err;
		die("io_uring_register_buf_ring");
	}
	io_uring_buf_ring_init(br);
	io_uring_buf_ring_add(br, buf, sizeof(buf), 0, io_uring_buf_ring_mask(1), 0);
	io_uring_buf_ring_advance(br, 1);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recvmsg_multishot(sqe, sock, &m, MSG_CMSG_CLOEXEC);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RECV_BGID;
	err = io_uring_submit(ring);
	if (err >= 0)
		err = io_uring_wait_cqe(ring, &cqe);
	if (err < 0 || cqe->res < 0) {
		errno = err < 0 ? -err : -cqe->res;
		die("multishot IORING_OP_RECVMSG SCM_RIGHTS");
	}
	o = io_uring_recvmsg_validate(buf, cqe->res, &m);
	h = o ? io_uring_recvmsg_cmsg_firsthdr(o, &m) : NULL;
	if (!h || h->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		die("no descriptor received");
	}
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	io_uring_cqe_seen(ring, cqe);
	return fd;
}

/* The descriptor in a received message's SCM_RIGHTS control data. */
static int fd_in_msg(struct msghdr *m)
{
	struct cmsghdr *h = CMSG_FIRSTHDR(m);
	int fd;

	if (!h || h->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		die("no descriptor received");
	}
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/*
 * Receive a descriptor passed by send_fd: by recvmsg, or with ring by
 * IORING_OP_RECVMSG (no system call).
 */
static int recv_fd_by(int sock, struct io_uring *ring)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };

	if (ring) {
		io_uring_prep_recvmsg(io_uring_get_sqe(ring), sock, &m, MSG_CMSG_CLOEXEC);
		if (uring_run(ring, "IORING_OP_RECVMSG", "SCM_RIGHTS") != 1)
			die("IORING_OP_RECVMSG SCM_RIGHTS");
	} else if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1) {
		die("recvmsg SCM_RIGHTS");
	}
	return fd_in_msg(&m);
}

/*
 * Receive, in one recvmmsg, a message without a descriptor and then the
 * one send_fd passed: the descriptor is in the second message.
 */
static int recv_fd_mmsg(int sock)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u[2];
	char c[2];
	struct iovec iov[2];
	struct mmsghdr v[2];

	memset(v, 0, sizeof(v));
	for (int i = 0; i < 2; i++) {
		iov[i] = (struct iovec){ .iov_base = &c[i], .iov_len = 1 };
		v[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1,
						.msg_control = u[i].b,
						.msg_controllen = sizeof(u[i].b) };
	}
	if (recvmmsg(sock, v, 2, MSG_CMSG_CLOEXEC, NULL) != 2)
		die("recvmmsg SCM_RIGHTS");
	if (v[0].msg_hdr.msg_controllen) {
		errno = EPROTO;
		die("recvmmsg: control data in the first message");
	}
	return fd_in_msg(&v[1].msg_hdr);
}

/* The 32-bit forms of a received message's headers (include/net/compat.h). */
struct ia32_msghdr {
	uint32_t name, namelen, iov, iovlen, control, controllen, flags;
};

struct ia32_mmsghdr {
	struct ia32_msghdr hdr;
	uint32_t len;
};

/* struct compat_cmsghdr, followed by the one descriptor passed */
struct ia32_cmsg_fd {
	uint32_t len;
	int32_t level, type;
	int fd;
};

enum { SOCKETCALL_RECVMSG = 17, SOCKETCALL_RECVMMSG = 19 };	/* include/uapi/linux/net.h */

/* Two messages' headers, bytes and control data, below 4 GiB. */
struct ia32_recv {
	struct ia32_mmsghdr v[2];
	uint32_t iov[2][2];	/* base, length */
	uint32_t args[5];	/* socketcall's */
	struct ia32_cmsg_fd control[2];
	char data[2];
};

static uint32_t low_addr(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

static struct ia32_recv *ia32_recv_new(void)
{
	struct ia32_recv *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (l == MAP_FAILED)
		die("mmap MAP_32BIT");
	for (int i = 0; i < 2; i++) {
		l->iov[i][0] = low_addr(&l->data[i]);
		l->iov[i][1] = 1;
		l->v[i].hdr = (struct ia32_msghdr){ .iov = low_addr(l->iov[i]), .iovlen = 1,
						    .control = low_addr(&l->control[i]),
						    .controllen = sizeof(l->control[i]) };
	}
	return l;
}

/* A ring set up by the 32-bit io_uring_setup: the kernel takes it for a
 * 32-bit program's, whose requests point to 32-bit headers. */
static void uring_init_ia32(struct io_uring *ring)
{
	struct io_uring_params *low = low_copy(&(struct io_uring_params){ 0 }, sizeof(*low));
	long fd = ia32_result(ia32_syscall(IA32_IO_URING_SETUP, 4, (long)low, 0, 0, 0, 0));
	struct io_uring_params p = *low;
	int err;

	munmap(low, sizeof(*low));
	if (fd < 0)
		die("32-bit io_uring_setup");
	err = io_uring_queue_mmap((int)fd, &p, ring);
	if (err) {
		errno = -err;
		die("io_uring_queue_mmap");
	}
}

/*
 * Receive the descriptor send_fd passed as a 32-bit program would: by the
 * 32-bit recvmsg or socketcall's recvmsg; by recvmmsg, recvmmsg_time64 or
 * socketcall's recvmmsg (the descriptor in the second of two messages);
 * or, with ring (set up by uring_init_ia32), by IORING_OP_RECVMSG.
 */
static int recv_fd_ia32(int sock, struct io_uring *ring, enum recv_how how)
{
	struct ia32_recv *l = ia32_recv_new();
	struct ia32_msghdr *m = &l->v[1].hdr;
	const struct ia32_cmsg_fd *c = &l->control[1];
	long n, want = recv_is_mmsg(how) ? 2 : 1;
	int fd;

	if (how == RECV_IA32_MMSG || how == RECV_IA32_MMSG64) {
		n = ia32_syscall(how == RECV_IA32_MMSG ? IA32_RECVMMSG : IA32_RECVMMSG_TIME64, sock,
				 low_addr(l->v), 2, MSG_CMSG_CLOEXEC, 0, 0);
	} else if (how == RECV_IA32_SOCKETCALL_MMSG) {
		l->args[0] = (uint32_t)sock;
		l->args[1] = low_addr(l->v);
		l->args[2] = 2;
		l->args[3] = MSG_CMSG_CLOEXEC;
		l->args[4] = 0;		/* no timeout */
		n = ia32_syscall(IA32_SOCKETCALL, SOCKETCALL_RECVMMSG, low_addr(l->args), 0, 0, 0,
				 0);
	} else if (how == RECV_IA32_SOCKETCALL) {
		l->args[0] = (uint32_t)sock;
		l->args[1] = low_addr(m);
		l->args[2] = MSG_CMSG_CLOEXEC;
		n = ia32_syscall(IA32_SOCKETCALL, SOCKETCALL_RECVMSG, low_addr(l->args), 0, 0, 0,
				 0);
	} else if (how == RECV_IA32_URING) {
		io_uring_prep_recvmsg(io_uring_get_sqe(ring), sock,
				      (struct msghdr *)(uintptr_t)low_addr(m), MSG_CMSG_CLOEXEC);
		n = uring_run(ring, "IORING_OP_RECVMSG", "SCM_RIGHTS, 32-bit ring");
	} else {
		n = ia32_syscall(IA32_RECVMSG, sock, low_addr(m), MSG_CMSG_CLOEXEC, 0, 0, 0);
	}
	if (n != want) {
		errno = n < 0 ? (int)-n : EPROTO;
		die("32-bit receive of SCM_RIGHTS");
	}
	if (l->v[0].hdr.controllen && want == 2) {
		errno = EPROTO;
		die("32-bit recvmmsg: control data in the first message");
	}
	if (m->controllen < sizeof(*c) || c->level != SOL_SOCKET || c->type != SCM_RIGHTS) {
		errno = EPROTO;
		die("no descriptor received (32-bit)");
	}
	fd = c->fd;
	munmap(l, sizeof(*l));
	return fd;
}

static int recv_fd(int sock)
{
	return recv_fd_by(sock, NULL);
}

/*
 * exit-untaint FILE DST1 DST2 PORT N: a child makes an unconnected UDP
 * socket, reads the file, sends to DST1, passes the socket to the parent
 * and exits; the parent, which never read the file, sends to DST2 on it.
 * The socket's owner (its creator) is tainted at DST1 and gone at DST2.
 */
static void run_exit_untaint(struct report *r, const char *path, const struct target t[2],
			     size_t n)
{
	char *buf = payload(n);
	int sp[2], fd, status;
	pid_t child;

	if (t[1].family != t[0].family || n > UDP_CHUNK) {
		errno = EINVAL;
		die("exit-untaint: DST1 and DST2 of one family, N at most %d", UDP_CHUNK);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		die("socketpair");
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		int s = udp_socket(&t[0]);

		read_file("path", path);
		udp_send_chunks(s, &t[0], buf, n);
		send_fd(sp[1], s);
		_exit(0);
	}
	close(sp[1]);
	fd = recv_fd(sp[0]);
	close(sp[0]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child %d failed", (int)child);
	udp_account(r, &r->flow[0], &t[0], n, 1);
	unconnected_ends(fd, &t[0], &r->flow[0]);
	udp_account(r, &r->flow[1], &t[1], n, udp_send_chunks(fd, &t[1], buf, n));
	unconnected_ends(fd, &t[1], &r->flow[1]);
	r->nflows = 2;
	r->owner_pid = child;
	close(fd);
	free(buf);
}

/*
 * try-send FILE|- tcp|udp DST PORT N [VIA,...]: read the file (unless "-"),
 * then TCP connect and send, or one UDP sendto on an unconnected socket,
 * through the source route VIA,... when given; the line has "errno": 0
 * when it went out, else the connect/sendto error, and "via": the route's
 * last hop, where the cases put the one that decides.
 */
static void run_try_send(struct report *r, const char *path, const char *proto,
			 const struct target *t, const struct target *via, int hops, size_t n)
{
	bool tcp = !strcmp(proto, "tcp");
	char *buf;
	int fd;

	if (!tcp && strcmp(proto, "udp"))
		usage();
	if (!tcp && n > UDP_CHUNK) {
		errno = EINVAL;
		die("try-send udp: N at most %d", UDP_CHUNK);
	}
	if (strcmp(path, "-"))
		read_file("path", path);
	buf = payload(n);
	r->has_errno = true;
	format_addr(&t->ss, r->flow[0].dst, &r->flow[0].dport);
	fd = socket(t->family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (hops) {
		source_route(fd, via, hops);
		/* the cases name the hop that decides last */
		format_addr(&via[hops - 1].ss, r->via, &(unsigned int){ 0 });
	}
	if (tcp) {
		if ((hops ? connect_within(fd, t, 1500) : connect(fd, (const struct sockaddr *)&t->ss,
								   t->len))) {
			r->err = errno;
			close(fd);
		} else {
			socket_ends(fd, &r->flow[0]);
			write_all(fd, buf, n);
			r->flow[0].payload = n;
			tcp_finish(fd, r);
		}
	} else {
		ssize_t w = sendto(fd, buf, n, 0, (const struct sockaddr *)&t->ss, t->len);

		if (w < 0)
			r->err = errno;
		else if ((size_t)w != n)
			die("short sendto");
		else
			udp_account(r, &r->flow[0], t, n, 1);
		local_end(fd, &r->flow[0]);	/* sport 0: never bound */
		close(fd);
	}
	free(buf);
}

/*
 * retry-send FILE tcp|udp DST1 DST2 PORT N: read the file, try to connect
 * a socket to t[0] (enforce mode refuses it), then connect the same socket
 * to t[1] and send N bytes; the line has the first connect's "errno" and
 * both flows.
 */
static void run_retry_send(struct report *r, const char *path, const char *proto,
			   const struct target t[2], size_t n)
{
	bool tcp = !strcmp(proto, "tcp");
	char *buf;
	int fd;

	if (!tcp && (strcmp(proto, "udp") || n > UDP_CHUNK))
		usage();
	one_family(t, "retry-send");
	read_file("path", path);
	buf = payload(n);
	fd = socket(t[0].family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	r->has_errno = true;
	r->err = connect(fd, (const struct sockaddr *)&t[0].ss, t[0].len) ? errno : 0;
	format_addr(&t[0].ss, r->flow[0].dst, &r->flow[0].dport);
	if (connect(fd, (const struct sockaddr *)&t[1].ss, t[1].len))
		die("retry-send: second connect");
	socket_ends(fd, &r->flow[1]);
	write_all(fd, buf, n);
	r->flow[1].payload = n;
	if (tcp)
		tcp_finish(fd, r);
	else
		close(fd);
	r->nflows = 2;
	free(buf);
}

/* sendfile-uring DST PORT FILE: open by IORING_OP_OPENAT, then sendfile. */
static void run_sendfile_uring(struct report *r, const struct target *t, const char *path)
{
	struct io_uring ring;
	int in;

	uring_init(&ring);
	in = uring_open(&ring, path);
	io_uring_queue_exit(&ring);
	sendfile_from(r, t, in, path, MOVE_PLAIN);
}

/*
 * A descriptor of path that a child opened and passed over a unix socket,
 * received as how says (ring: the io_uring ways).
 */
static int fd_from_child(const char *path, struct io_uring *ring, enum recv_how how)
{
	int sv[2], in, status;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("open %s", path);
		if (recv_is_mmsg(how) && send(sv[1], "", 1, 0) != 1)
			die("send");
		send_fd(sv[1], fd);
		_exit(0);
	}
	if (how == RECV_URING_MULTISHOT)
		in = recv_fd_multishot(sv[0], ring);
	else if (how == RECV_MMSG)
		in = recv_fd_mmsg(sv[0]);
	else if (recv_is_ia32(how))
		in = recv_fd_ia32(sv[0], ring, how);
	else
		in = recv_fd_by(sv[0], how == RECV_URING ? ring : NULL);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("the child that opened %s failed", path);
	close(sv[0]);
	close(sv[1]);
	return in;
}

/*
 * A descriptor of path that a child opened and passed over a unix socket,
 * received by a multishot IORING_OP_RECVMSG (which no hook sees): this
 * process opens nothing.
 */
static int fd_passed_unseen(const char *path)
{
	struct io_uring ring;
	int in;

	uring_init(&ring);
	in = fd_from_child(path, &ring, RECV_URING_MULTISHOT);
	io_uring_queue_exit(&ring);
	return in;
}

/*
 * sendfile-passed|ia32-sendfile-passed DST PORT FILE: the bytes of a file
 * passed unseen (fd_passed_unseen) go to a connection by sendfile (64-bit,
 * or the 32-bit call).
 */
static void run_sendfile_passed(struct report *r, const struct target *t, const char *path,
				enum move_how how)
{
	sendfile_from(r, t, fd_passed_unseen(path), path, how);
}

/*
 * ia32-sendfile-stop DST PORT N FILE: as send-read-stop, the taint coming
 * from a 32-bit sendfile of a file passed unseen: N bytes out and acked
 * untainted, then the file's (a small one: it fits the send buffer), which
 * enforce mode must stop before any of them leaves.
 */
static void run_ia32_sendfile_stop(struct report *r, const struct target *t, size_t n,
				   const char *path)
{
	char *buf = payload(n);
	int in = fd_passed_unseen(path), fd = tcp_connect(t);
	struct stat st;
	off_t off = 0;
	ssize_t w;

	if (in < 0 || fstat(in, &st))
		die("%s", path);
	send_acked(fd, &r->flow[0], buf, n);
	r->untainted = n;
	/* the file's size exactly: no more to come, so its bytes go at once */
	do
		w = sendfile_call(fd, in, &off, (size_t)st.st_size, MOVE_IA32);
	while (w < 0 && errno == EINTR);
	if (w <= 0)
		die("sendfile");
	close(in);
	r->flow[0].payload = n + (uint64_t)w;
	acked_then_reset(r, fd);
	free(buf);
}

/*
 * moved sendfile|splice|copy plain|wide|ia32 FILE DST PORT N: a file passed
 * unseen (fd_passed_unseen) is moved by sendfile or splice to a
 * connection, or by copy_file_range to a file before N bytes go out; each
 * call is handed the descriptor as it is, widened (MOVE_WIDE), or made as
 * a 32-bit call. Only the move can taint.
 */
static void run_moved(struct report *r, const char *call, const char *how, const char *path,
		      const struct target *t, size_t n)
{
	enum move_how h = !strcmp(how, "wide") ? MOVE_WIDE :
			  !strcmp(how, "ia32") ? MOVE_IA32 : MOVE_PLAIN;
	int in;

	if (h == MOVE_PLAIN && strcmp(how, "plain"))
		usage();
	in = fd_passed_unseen(path);
	if (!strcmp(call, "sendfile"))
		sendfile_from(r, t, in, path, h);
	else if (!strcmp(call, "splice"))
		splice_from(r, t, in, path, h);
	else if (!strcmp(call, "copy"))
		copy_then_send(r, t, in, path, h, n);
	else
		usage();
}

/*
 * scm-rights|mmsg-scm-rights|uring-scm-rights FILE DST PORT N: a child opens
 * the file and passes it over a unix socket (received by recvmsg, by
 * recvmmsg, or by IORING_OP_RECVMSG); this process reads it and sends.
 * ia32-scm-rights recvmsg|socketcall|recvmmsg|recvmmsg64|socketcall-mmsg|uring
 * FILE DST PORT N: the same, received as a 32-bit program would
 * (recv_fd_ia32).
 */
static void run_scm_rights(struct report *r, const char *path, const struct target *t,
			   size_t n, enum recv_how how)
{
	bool uring = how == RECV_URING || how == RECV_IA32_URING;
	struct io_uring ring;
	int in;

	if (how == RECV_URING)
		uring_init(&ring);
	else if (how == RECV_IA32_URING)
		uring_init_ia32(&ring);
	in = fd_from_child(path, &ring, how);
	if (uring)
		io_uring_queue_exit(&ring);

	read_all(in, NULL, path);
	close(in);
	run_tcp(r, t, n);
}

/* Subcommands of the data-label tests. */
static bool run_labels(struct report *r, int argc, char **argv)
{
	const char *c = argv[1];
	struct target t[2];

	if (!strcmp(c, "read-send") && argc == 7) {
		parse_target(argv[4], argv[5], false, &t[0]);
		run_read_send(r, argv[2], argv[3], &t[0], number(argv[6]));
	} else if (!strcmp(c, "send-read") && argc == 6) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_send_read(r, &t[0], number(argv[4]), argv[5]);
	} else if (!strcmp(c, "send-read-stop") && argc == 6) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_send_read_stop(r, &t[0], number(argv[4]), argv[5]);
	} else if (!strcmp(c, "ia32-sendfile-stop") && argc == 6) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_ia32_sendfile_stop(r, &t[0], number(argv[4]), argv[5]);
	} else if (!strcmp(c, "fork-read-send") && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_fork_read_send(r, argv[2], &t[0], number(argv[5]));
	} else if (!strcmp(c, "connect-fork-read-send") && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_connect_fork_read_send(r, argv[2], &t[0], number(argv[5]));
	} else if (!strcmp(c, "connect-fork-read-send-stop") && argc == 6) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_connect_fork_read_send_stop(r, &t[0], number(argv[4]), argv[5]);
	} else if (!strcmp(c, "leader-exit-send") && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_leader_exit_send(r, argv[2], &t[0], number(argv[5]));
	} else if (!strcmp(c, "read-exec-send") && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		number(argv[5]);
		run_read_exec_send(argv[2], &t[0], argv);
	} else if (!strcmp(c, "read-hold") && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_read_hold(r, argv[2], &t[0], number(argv[5]));
	} else if (!strcmp(c, "exit-untaint") && argc == 7) {
		parse_target(argv[3], argv[5], false, &t[0]);
		parse_target(argv[4], argv[5], false, &t[1]);
		run_exit_untaint(r, argv[2], t, number(argv[6]));
	} else if (!strcmp(c, "try-send") && (argc == 7 || argc == 8)) {
		struct target via[MAX_HOPS];
		int hops = argc == 8 ? parse_route(argv[7], argv[5], via) : 0;

		parse_target(argv[4], argv[5], false, &t[0]);
		run_try_send(r, argv[2], argv[3], &t[0], via, hops, number(argv[6]));
	} else if (!strcmp(c, "retry-send") && argc == 8) {
		parse_target(argv[4], argv[6], false, &t[0]);
		parse_target(argv[5], argv[6], false, &t[1]);
		run_retry_send(r, argv[2], argv[3], t, number(argv[7]));
	} else if (!strcmp(c, "sendfile-uring") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_sendfile_uring(r, &t[0], argv[4]);
	} else if ((!strcmp(c, "open-hold") || !strcmp(c, "map-hold")) && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_hold(r, c, argv[2], &t[0], number(argv[5]));
	} else if ((!strcmp(c, "scm-rights") || !strcmp(c, "mmsg-scm-rights") ||
		    !strcmp(c, "uring-scm-rights")) && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_scm_rights(r, argv[2], &t[0], number(argv[5]),
			       c[0] == 'u' ? RECV_URING : c[0] == 'm' ? RECV_MMSG : RECV_SYSCALL);
	} else if (!strcmp(c, "ia32-scm-rights") && argc == 7) {
		static const struct {
			const char *name;
			enum recv_how how;
		} ways[] = {
			{ "recvmsg", RECV_IA32 }, { "socketcall", RECV_IA32_SOCKETCALL },
			{ "recvmmsg", RECV_IA32_MMSG }, { "recvmmsg64", RECV_IA32_MMSG64 },
			{ "socketcall-mmsg", RECV_IA32_SOCKETCALL_MMSG },
			{ "uring", RECV_IA32_URING },
		};
		size_t i = 0;

		while (i < sizeof(ways) / sizeof(ways[0]) && strcmp(argv[2], ways[i].name))
			i++;
		if (i == sizeof(ways) / sizeof(ways[0]))
			usage();
		parse_target(argv[4], argv[5], false, &t[0]);
		run_scm_rights(r, argv[3], &t[0], number(argv[6]), ways[i].how);
	} else if ((!strcmp(c, "pidfd-getfd") || !strcmp(c, "ia32-pidfd-getfd")) && argc == 6) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_pidfd_getfd(r, argv[2], &t[0], number(argv[5]), c[0] == 'i');
	} else if ((!strcmp(c, "sendfile-passed") || !strcmp(c, "ia32-sendfile-passed")) &&
		   argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_sendfile_passed(r, &t[0], argv[4], c[0] == 'i' ? MOVE_IA32 : MOVE_PLAIN);
	} else if (!strcmp(c, "moved") && argc == 8) {
		parse_target(argv[5], argv[6], false, &t[0]);
		run_moved(r, argv[2], argv[3], argv[4], &t[0], number(argv[7]));
	} else {
		return false;
	}
	return true;
}

/* ---- a server's egress ------------------------------------------------- */

/*
 * serve: accept one connection on PORT and write N bytes to it, the way a
 * storage host serves a download (the flow's destination is the client).
 */
static void run_serve(struct report *r, uint16_t port, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, fd;
	char *buf = payload(n);

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1))
		die("serve: listen on port %u", port);
	fprintf(stderr, "traffic: serve listening on port %u\n", port);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	socket_ends(fd, &r->flow[0]);
	write_all(fd, buf, n);
	r->flow[0].payload = n;
	tcp_finish(fd, r);
	free(buf);
}

/* fetch: from SRC, connect to DST:PORT and read to the end (the client). */
static void run_fetch(struct report *r, const char *src, const struct target *t)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[65536];
	ssize_t n;

	if (fd < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("fetch: bind %s", src);
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len))
		die("fetch: connect");
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	if (n < 0)
		die("fetch: read");
	close(fd);
	r->quiet = true;
}

/* ---- sink --------------------------------------------------------------- */

/*
 * Read a connection to its end. The sink's FIN goes first (at accept), so
 * the client closes passively and no client socket is left in TIME_WAIT.
 */
static void *sink_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	close(fd);
	return NULL;
}

/* Receive and drop every datagram. */
static void *sink_udp(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];

	for (;;)
		if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR)
			die("recv udp");
	return NULL;
}

/* An [::]:port socket that takes IPv4 too. */
static int sink_socket(int type, uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0), zero = 0, one = 1;

	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("sink socket on port %u", port);
	return fd;
}

/* A detached thread serving fd; on failure the fd is closed. */
static void spawn(void *(*fn)(void *), int fd)
{
	pthread_t th;

	if (pthread_create(&th, NULL, fn, (void *)(intptr_t)fd)) {
		close(fd);
		return;
	}
	pthread_detach(th);
}

/* The next connection of a listening socket. */
static int accept_next(int listener)
{
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	}
}

/*
 * reset-sink PORT: each connection in turn is reset (SO_LINGER 0) at its
 * first byte. Its queue holds a whole run of reset-race: a sink the
 * scheduler keeps waiting must not drop handshakes, whose connections
 * would then retransmit for a minute before they close.
 */
static void run_reset_sink(uint16_t port)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int tcp = sink_socket(SOCK_STREAM, port);
	char c;

	if (listen(tcp, SOMAXCONN))
		die("listen");
	fprintf(stderr, "traffic: reset-sink listening on port %u\n", port);
	for (;;) {
		int fd = accept_next(tcp);

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)))
			die("reset-sink: SO_LINGER");
		while (read(fd, &c, 1) < 0 && errno == EINTR)
			;	/* the byte, or the client's end: then the reset */
		close(fd);
	}
}

/* sink PORT: TCP (with TFO) and UDP on [::]:PORT until killed. */
static void run_sink(uint16_t port)
{
	int tcp = sink_socket(SOCK_STREAM, port), udp = sink_socket(SOCK_DGRAM, port);
	int qlen = 64;

	if (setsockopt(tcp, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) ||
	    listen(tcp, 512))
		die("listen");
	spawn(sink_udp, udp);
	fprintf(stderr, "traffic: sink listening on port %u\n", port);
	for (;;)
		spawn(sink_conn, accept_next(tcp));
}

/* ---- dispatch ------------------------------------------------------------ */

/* Subcommands DST PORT N (TCP and UDP cases). */
static bool run_dst_port_n(struct report *r, int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(struct report *, const struct target *, size_t);
		bool mapped;
	} cmds[] = {
		{ "tcp4", run_tcp, false }, { "tcp6", run_tcp, false },
		{ "tcp-mapped", run_tcp, true }, { "tfo", run_tfo, false },
		{ "tcp-slow", run_tcp_slow, false },
		{ "iouring-send", run_iouring_send, false },
		{ "iouring-connect", run_iouring_connect, false },
		{ "iouring-sendmsg", run_iouring_sendmsg, false },
		{ "vmsplice", run_vmsplice, false },
		{ "fork-send", run_fork_send, false },
		{ "udp-connected", run_udp_connected, false },
		{ "udp-sendto", run_udp_sendto, false },
		{ "udp-sendmsg", run_udp_sendmsg, false },
	};
	struct target t;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (argc != 5)
			usage();
		parse_target(argv[2], argv[3], cmds[i].mapped, &t);
		if ((!strcmp(argv[1], "tcp4") || !strcmp(argv[1], "tcp6") ||
		     cmds[i].mapped) &&
		    (!strcmp(argv[1], "tcp4") || cmds[i].mapped) != t.v4) {
			errno = EINVAL;
			die("%s: wrong address family for %s", argv[1], argv[2]);
		}
		cmds[i].fn(r, &t, number(argv[4]));
		return true;
	}
	return false;
}

/* Subcommands of other shapes. */
static bool run_other(struct report *r, int argc, char **argv)
{
	const char *c = argv[1];
	struct target t[2];

	if (!strcmp(c, "sendfile") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_sendfile(r, &t[0], argv[4]);
	} else if (!strcmp(c, "splice") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_splice(r, &t[0], argv[4]);
	} else if (!strcmp(c, "udp-sendmmsg") && argc == 6) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_udp_sendmmsg(r, &t[0], number(argv[4]), (unsigned int)number(argv[5]));
	} else if (!strcmp(c, "udp-multi") && argc == 6) {
		parse_target(argv[2], argv[4], false, &t[0]);
		parse_target(argv[3], argv[4], false, &t[1]);
		run_udp_multi(r, t, number(argv[5]));
	} else if (!strcmp(c, "udp-route") && argc == 6) {
		parse_target(argv[2], argv[4], false, &t[0]);
		parse_target(argv[3], argv[4], false, &t[1]);
		run_udp_route(r, t, number(argv[5]));
	} else if (!strcmp(c, "rpl") && argc == 6) {
		parse_target(argv[2], argv[4], false, &t[0]);
		parse_target(argv[3], argv[4], false, &t[1]);
		run_rpl(r, t, number(argv[5]));
	} else if (!strcmp(c, "tcp-route") && argc == 5) {
		parse_target(argv[2], argv[4], false, &t[0]);
		parse_target(argv[3], argv[4], false, &t[1]);
		run_tcp_route(r, t);
	} else if (!strcmp(c, "tcp-route-late") && argc == 6) {
		parse_target(argv[2], argv[4], false, &t[0]);
		parse_target(argv[3], argv[4], false, &t[1]);
		run_tcp_route_late(r, t, number(argv[5]));
	} else if (!strcmp(c, "tcp-refused") && argc == 4) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_tcp_refused(r, &t[0]);
	} else if (!strcmp(c, "tcp-reconnect") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_tcp_reconnect(r, &t[0], number(argv[4]));
	} else if (!strcmp(c, "udp-burst") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_udp_burst(r, &t[0], number(argv[4]));
	} else if (!strcmp(c, "reset-race") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_reset_race(r, &t[0], number(argv[4]));
	} else if (!strcmp(c, "raw") && (argc == 3 || argc == 4)) {
		parse_target(argv[2], NULL, false, &t[0]);
		run_raw(r, &t[0], argc == 4 ? number(argv[3]) : 56);
	} else if ((!strcmp(c, "packet") || !strcmp(c, "packet-bypass")) &&
		   (argc == 4 || argc == 5)) {
		parse_target(argv[3], NULL, false, &t[0]);
		run_packet(r, argv[2], &t[0], argc == 5 ? number(argv[4]) : 32,
			   !strcmp(c, "packet-bypass"));
	} else if (!strcmp(c, "send-fd") && argc == 4) {
		run_send_fd(r, (int)number(argv[2]), number(argv[3]));
	} else if (!strcmp(c, "serve") && argc == 4) {
		run_serve(r, (uint16_t)number(argv[2]), number(argv[3]));
	} else if (!strcmp(c, "fetch") && argc == 5) {
		parse_target(argv[3], argv[4], false, &t[0]);
		run_fetch(r, argv[2], &t[0]);
	} else if (!strcmp(c, "exec-send") && argc == 5) {
		parse_target(argv[2], argv[3], false, &t[0]);
		run_exec_send(&t[0], argv[4]);
	} else {
		return false;
	}
	return true;
}

/* One subcommand; a client prints its JSON line at the end. */
int main(int argc, char **argv)
{
	struct report r = { .nflows = 1, .acked = -1 };

	if (argc < 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_FLOWS; i++)
		r.flow[i].ip_bytes = -1;
	if (!strcmp(argv[1], "sink") || !strcmp(argv[1], "reset-sink")) {
		if (argc != 3)
			usage();
		if (argv[1][0] == 's')
			run_sink((uint16_t)number(argv[2]));
		run_reset_sink((uint16_t)number(argv[2]));
	}
	if (!strcmp(argv[1], "ia32-probe") && argc == 2)
		return ia32_probe();
	r.kase = argv[1];
	if (!run_dst_port_n(&r, argc, argv) && !run_other(&r, argc, argv) &&
	    !run_labels(&r, argc, argv))
		usage();
	if (!r.quiet)
		report_print(&r);
	return 0;
}
