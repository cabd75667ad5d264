// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_siem: messages per second from the SIEM feed to a local rsyslogd.
 *
 *   bench_siem [--records N] [--format FMT] [--keep]
 *   bench_siem --format-only [--records N]
 *
 * Makes a trail of N synthetic records (default 200000) with the real
 * writer, and a CA with a server and a client certificate (openssl).
 * rsyslogd runs in the foreground on 127.0.0.1, first with an imrelp
 * input, then with an imtcp input on the ossl driver, then with an imrelp
 * input over TLS, each writing %rawmsg% to a file. The feed delivers the
 * whole trail over RELP, TLS (CA verified) and RELP over TLS (CA and name
 * verified, client certificate), each from an empty cursor: "rate" counts
 * until the cursor has reached the trail's end (RELP: acknowledged by
 * rsyslogd; TLS: written to the socket),
 * "received_rate" until rsyslogd has written every message to its file.
 * The files must hold every message. rsyslogd runs on the CPUs this
 * program is not pinned to, as a SIEM runs on a host of its own. Also
 * measures formatting alone; with --format-only, only that, in every
 * format (CPU ns a record, net of making the records), without rsyslogd.
 * Prints one JSON object.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "rec_synth.h"
#include "siem.h"
#include "siem_format.h"
#include "trail.h"
#include "util.h"

#define HOST		"bench-host"

struct bench {
	char dir[64];
	char trail[128];
	uint64_t records;
	int format;
	bool keep;
	bool format_only;
	int relp_port, tls_port, relp_tls_port;
	pid_t rsyslog;
};

/* Seconds of the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The wall clock in ns, for record times. */
static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Run a shell command quietly; 0 when it succeeded. */
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A CA, and certificates it signed: the server's for 127.0.0.1, a client's. */
static int make_pki(const struct bench *b)
{
	return sh("cd %s && exec >/dev/null 2>&1 && E='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		  "openssl req -x509 $E -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca && "
		  "openssl req $E -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && "
		  "printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\\n' >ext.cnf && "
		  "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		  "-out srv.pem -days 2 -extfile ext.cnf && "
		  "openssl req $E -keyout clt.key -out clt.csr -subj /CN=bench-client && "
		  "openssl x509 -req -in clt.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		  "-out clt.pem -days 2", b->dir) ? -1 : 0;
}

/* Write text to a new file. */
static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/*
 * An imrelp receiver, NAME.conf, writing NAME.log; params go to its input.
 * The ruleset runs its action in imrelp's own thread (a Direct queue): a
 * message is in the file before imrelp acknowledges it, and no queue
 * hand-off (a futex wake and a write per message) stands between them.
 */
static int relp_conf(const struct bench *b, const char *name, int port, const char *params)
{
	char path[160], text[2048];

	snprintf(path, sizeof(path), "%s/%s.conf", b->dir, name);
	snprintf(text, sizeof(text),
		 "global(workDirectory=\"%1$s\" maxMessageSize=\"64k\")\n"
		 "main_queue(queue.timeoutShutdown=\"30000\" queue.dequeueBatchSize=\"1024\")\n"
		 "module(load=\"imrelp\")\n"
		 "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
		 "ruleset(name=\"%2$s\" queue.type=\"Direct\") { action(type=\"omfile\" "
		 "file=\"%1$s/%2$s.log\" template=\"raw\") }\n"
		 "input(type=\"imrelp\" port=\"%3$d\" address=\"127.0.0.1\" ruleset=\"%2$s\" %4$s)\n",
		 b->dir, name, port, params);
	return write_file(path, text);
}

/*
 * The receivers, one rsyslogd each, so that none pays for another's
 * modules: imrelp, imtcp over the ossl driver, and imrelp over TLS checking
 * the client's certificate; each writes to a file.
 */
static int rsyslog_conf(const struct bench *b)
{
	char path[160], text[2048], tls[1024];

	snprintf(tls, sizeof(tls),
		 "tls=\"on\" tls.cacert=\"%1$s/ca.pem\" tls.mycert=\"%1$s/srv.pem\" "
		 "tls.myprivkey=\"%1$s/srv.key\" tls.authmode=\"name\" "
		 "tls.permittedpeer=[\"bench-client\"]", b->dir);
	snprintf(path, sizeof(path), "%s/tls.conf", b->dir);
	snprintf(text, sizeof(text),
		 "global(workDirectory=\"%1$s\" maxMessageSize=\"64k\"\n"
		 "  defaultNetstreamDriverCAFile=\"%1$s/ca.pem\"\n"
		 "  defaultNetstreamDriverCertFile=\"%1$s/srv.pem\"\n"
		 "  defaultNetstreamDriverKeyFile=\"%1$s/srv.key\")\n"
		 "main_queue(queue.timeoutShutdown=\"30000\")\n"
		 "module(load=\"imtcp\" streamDriver.name=\"ossl\" streamDriver.mode=\"1\" "
		 "streamDriver.authMode=\"anon\")\n"
		 "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
		 "ruleset(name=\"tls\") { action(type=\"omfile\" file=\"%1$s/tls.log\" "
		 "template=\"raw\") }\n"
		 "input(type=\"imtcp\" port=\"%2$d\" address=\"127.0.0.1\" ruleset=\"tls\")\n",
		 b->dir, b->tls_port);
	return relp_conf(b, "relp", b->relp_port, "") ?: write_file(path, text) ?:
	       relp_conf(b, "relp_tls", b->relp_tls_port, tls);
}

/* Whether something accepts connections on 127.0.0.1:port. */
static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * The receiver runs on the CPUs this program does not (when there are
 * any): the SIEM is a host of its own, so the feed's rate is not cut by
 * the receiver's work on the sender's CPU.
 */
static void move_to_other_cpus(void)
{
	cpu_set_t mine, other;

	if (sched_getaffinity(0, sizeof(mine), &mine) ||
	    CPU_COUNT(&mine) >= sysconf(_SC_NPROCESSORS_ONLN))
		return;	/* on every CPU: none to move to */
	CPU_ZERO(&other);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (!CPU_ISSET(c, &mine))
			CPU_SET(c, &other);
	/* CPUs not online or not in the cpuset fail the call: then stay */
	if (sched_setaffinity(0, sizeof(other), &other))
		fprintf(stderr, "bench_siem: rsyslogd shares this program's CPUs: %s\n",
			strerror(errno));
}

/* rsyslogd in the foreground with NAME.conf; wait until port listens. */
static int rsyslog_start(struct bench *b, const char *name, int port)
{
	char conf[160], pid[160];
	struct timespec tick = { .tv_nsec = 50000000 };

	snprintf(conf, sizeof(conf), "%s/%s.conf", b->dir, name);
	snprintf(pid, sizeof(pid), "%s/%s.pid", b->dir, name);
	b->rsyslog = fork();
	if (b->rsyslog < 0)
		return -1;
	if (!b->rsyslog) {
		int null = open("/dev/null", O_WRONLY);

		move_to_other_cpus();
		dup2(null, 1);
		dup2(null, 2);
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pid, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (port_open(port))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* SIGTERM: rsyslogd writes out what it accepted, then exits. */
static void rsyslog_stop(struct bench *b)
{
	if (b->rsyslog <= 0)
		return;
	kill(b->rsyslog, SIGTERM);
	waitpid(b->rsyslog, NULL, 0);
	b->rsyslog = 0;
}

/* N synthetic records through the trail writer. */
static int make_trail(struct bench *b)
{
	struct ea_trail_opts o = { .log_dir = b->dir, .host = HOST };
	struct ea_err err = { { 0 } };
	static struct ea_rec r;
	struct ea_synth s;
	struct ea_trail *t;

	if (ea_trail_open(&t, &o, &err)) {
		fprintf(stderr, "bench_siem: %s\n", err.msg);
		return -1;
	}
	ea_synth_init(&s, 1, HOST, real_ns(), &r);
	for (uint64_t i = 0; i < b->records; i++) {
		ea_synth_next(&s, &r);
		ea_trail_append(t, &r);
	}
	snprintf(b->trail, sizeof(b->trail), "%s/%s", b->dir, HOST);
	return ea_trail_close(t);
}

/* Thread CPU seconds. */
static double cpu_s(void)
{
	return (double)ea_clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
}

/*
 * CPU ns a record of making n synthetic records and formatting each in
 * format fmt (fmt -1: making them only), the same records for every format.
 */
static double format_ns(int fmt, uint64_t n)
{
	static char buf[EA_SIEM_MSG_MAX];
	static struct ea_rec r;
	struct ea_synth s;
	size_t bytes = 0;
	double t0;

	ea_synth_init(&s, 1, HOST, real_ns(), &r);
	t0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(&s, &r);
		r.seq = i + 1;
		if (fmt >= 0)
			bytes += (size_t)ea_siem_format(fmt, &r, buf, sizeof(buf));
	}
	return fmt < 0 || bytes ? (cpu_s() - t0) / (double)n * 1e9 : 0;
}

/* Formatting alone (with making the records): records per CPU second. */
static double format_rate(const struct bench *b)
{
	return 1e9 / format_ns(b->format, b->records);
}

/* --format-only: every format's cost, as one JSON object. */
static void print_format_costs(uint64_t n)
{
	double gen = format_ns(-1, n);

	printf("{\"records\":%llu,\"format_ns\":{", (unsigned long long)n);
	for (int fmt = 0; fmt < EA_SIEM_FMT_MAX; fmt++)
		printf("%s\"%s\":%.1f", fmt ? "," : "", ea_siem_fmt_name(fmt),
		       format_ns(fmt, n) - gen);
	printf("}}\n");
}

static uint64_t lines(const struct bench *b, const char *file);

/* Seconds from t0 until rsyslogd has written n messages to file (at most 60). */
static double received(const struct bench *b, const char *file, uint64_t n, double t0)
{
	struct timespec tick = { .tv_nsec = 10000000 };

	while (lines(b, file) < n && now_s() - t0 < 60)
		nanosleep(&tick, NULL);
	return now_s() - t0;
}

/*
 * Deliver the whole trail to one destination: the seconds until its cursor
 * reached the end (*recv: until rsyslogd had written every message), or < 0.
 */
static double deliver(const struct bench *b, const char *name, const char *target,
		      struct ea_siem_stats *st, double *recv)
{
	struct timespec tick = { .tv_nsec = 10000000 };
	struct ea_siem_cfg d = { .format = (uint32_t)b->format, .select = ~0u,
				 .backoff_cap_s = 1, .line = 1 };
	struct ea_config cfg = { .siems = &d, .nsiems = 1 };
	struct ea_err err = { { 0 } };
	char ca[160], cert[160], key[160], tgt[128];
	struct ea_siem *s;
	double t0, t;

	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(tgt, sizeof(tgt), "%s", target);
	snprintf(ca, sizeof(ca), "%s/ca.pem", b->dir);
	snprintf(cert, sizeof(cert), "%s/clt.pem", b->dir);
	snprintf(key, sizeof(key), "%s/clt.key", b->dir);
	d.target = tgt;
	if (strstr(target, "tls://"))	/* tls:// and relp+tls:// */
		d.ca = ca;
	if (!strncmp(target, "relp+tls://", 11)) {
		d.cert = cert;
		d.key = key;
	}
	t0 = now_s();
	if (ea_siem_start(&s, &cfg, b->trail, &err)) {
		fprintf(stderr, "bench_siem: %s\n", err.msg);
		return -1;
	}
	while (!ea_siem_drained(s) && now_s() - t0 < 600)
		nanosleep(&tick, NULL);
	t = now_s() - t0;
	ea_siem_get_stats(s, 0, st);
	ea_siem_stop(s);
	snprintf(tgt, sizeof(tgt), "%s.log", name);
	*recv = received(b, tgt, st->sent, t0);
	return st->acked == st->head ? t : -1;
}

/* Lines (messages) in a file rsyslogd wrote. */
static uint64_t lines(const struct bench *b, const char *file)
{
	char path[160], buf[65536];
	uint64_t n = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* The options. */
static int parse(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "records", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "keep", no_argument, NULL, 'k' },
		{ "format-only", no_argument, NULL, 'o' },
		{ 0 },
	};
	int c;

	b->records = 200000;
	b->format = EA_SIEM_FMT_CEF;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			b->records = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			b->format = ea_siem_fmt_parse(optarg);
			break;
		case 'k':
			b->keep = true;
			break;
		case 'o':
			b->format_only = true;
			break;
		default:
			return -1;
		}
	}
	return b->records && b->format >= 0 ? 0 : -1;
}

/* One transport's line of the JSON object. */
static void print_result(const char *name, double secs, double recv, uint64_t n,
			 uint64_t got, const struct ea_siem_stats *st, bool last)
{
	printf("  \"%s\": {\"messages\": %llu, \"received\": %llu, \"secs\": %.3f, "
	       "\"rate\": %.0f, \"received_secs\": %.3f, \"received_rate\": %.0f, "
	       "\"failures\": %llu}%s\n", name, (unsigned long long)n,
	       (unsigned long long)got, secs, secs > 0 ? (double)n / secs : 0, recv,
	       recv > 0 ? (double)got / recv : 0, (unsigned long long)st->failures,
	       last ? "" : ",");
}

/* One transport: rsyslogd with NAME.conf, the trail delivered to target. */
static void measure(struct bench *b, const char *name, const char *scheme, int port,
		    struct ea_siem_stats *st, double *secs, double *recv)
{
	char target[64];

	snprintf(target, sizeof(target), "%s://127.0.0.1:%d", scheme, port);
	*secs = -1;
	if (!rsyslog_start(b, name, port))
		*secs = deliver(b, name, target, st, recv);
	rsyslog_stop(b);
}

/* Set up, measure every transport, print, clean up. */
int main(int argc, char **argv)
{
	struct bench b = { .dir = "/tmp/bench_siem.XXXXXX" };
	struct ea_siem_stats relp = { 0 }, tls = { 0 }, relp_tls = { 0 };
	double fmt_rate, t_relp = -1, t_tls = -1, t_relp_tls = -1;
	double r_relp = 0, r_tls = 0, r_relp_tls = 0;
	int rc = 1;

	if (parse(&b, argc, argv)) {
		fprintf(stderr, "usage: bench_siem [--records N] [--format FMT] [--keep]\n"
				"       bench_siem --format-only [--records N]\n");
		return 2;
	}
	if (b.format_only) {
		print_format_costs(b.records);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	b.relp_port = 40000 + (int)(getpid() % 8000) * 3;
	b.tls_port = b.relp_port + 1;
	b.relp_tls_port = b.relp_port + 2;
	if (!mkdtemp(b.dir) || make_pki(&b) || rsyslog_conf(&b) || make_trail(&b)) {
		fprintf(stderr, "bench_siem: set-up failed in %s\n", b.dir);
		goto out;
	}
	fmt_rate = format_rate(&b);
	measure(&b, "relp", "relp", b.relp_port, &relp, &t_relp, &r_relp);
	measure(&b, "tls", "tls", b.tls_port, &tls, &t_tls, &r_tls);
	measure(&b, "relp_tls", "relp+tls", b.relp_tls_port, &relp_tls, &t_relp_tls,
		&r_relp_tls);
	printf("{\n  \"records\": %llu,\n  \"format\": \"%s\",\n  \"format_rate\": %.0f,\n",
	       (unsigned long long)relp.head, ea_siem_fmt_name(b.format), fmt_rate);
	print_result("relp", t_relp, r_relp, relp.acked, lines(&b, "relp.log"), &relp, false);
	print_result("tls", t_tls, r_tls, tls.acked, lines(&b, "tls.log"), &tls, false);
	print_result("relp_tls", t_relp_tls, r_relp_tls, relp_tls.acked,
		     lines(&b, "relp_tls.log"), &relp_tls, true);
	printf("}\n");
	rc = t_relp > 0 && t_tls > 0 && t_relp_tls > 0 && lines(&b, "relp.log") == relp.acked &&
	     lines(&b, "tls.log") == tls.acked && lines(&b, "relp_tls.log") == relp_tls.acked ?
		     0 : 1;
out:
	rsyslog_stop(&b);
	if (!b.keep)
		sh("rm -rf %s", b.dir);
	return rc;
}
