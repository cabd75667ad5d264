// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIEM transports: RELP (also over TLS) through librelp, TLS through
 * OpenSSL, plain TCP and UDP. Stream transports gather framed messages in a buffer and write
 * it with non-blocking sockets, so a stuck receiver only ever holds the
 * feed's own thread, and never past the timeout or an abort.
 *
 * Callers block SIGPIPE in the thread that sends: a receiver that goes
 * away must be an error, not the end of the process.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <librelp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "siem_format.h"
#include "siem_transport.h"
#include "util.h"

#define WBUF_SIZE	(EA_SIEM_MSG_MAX * 2)	/* framed messages waiting */
#define POLL_SLICE_MS	100
#define UDP_MAX		65507
#define CLOSE_WAIT_MS	2000	/* for the receiver to close after us */
#define TICKET_SETTLE_MS 250	/* for a refusal after a session ticket */
#define WHY_MAX		256
#define RELP_BURST	256	/* messages corked at most */

_Static_assert(RELP_BURST * 2 <= EA_SIEM_RELP_WINDOW, "a burst must be far below the window");

struct ea_siem_conn {
	struct ea_siem_conn_cfg cfg;
	char where[EA_SIEM_HOST_MAX + 16];	/* host:port for messages */
	int fd;

	/* tls */
	SSL_CTX *ctx;
	SSL *ssl;
	char verify_why[WHY_MAX];	/* why the server's certificate was refused */
	bool sent_cert;			/* our certificate went in the handshake */
	bool got_ticket;		/* the server sent a session ticket */

	/* tls, tcp: framed messages not yet written */
	char *wbuf;
	size_t wlen, wmsgs;

	/* relp */
	relpEngine_t *engine;
	relpClt_t *clt;
	size_t relp_sent;		/* messages sent in this session */
	size_t relp_answered;		/* frames answered 200 (the open first) */
	unsigned int relp_txnr;		/* the frame whose answer comes next */
	bool relp_refused;		/* a frame was answered otherwise */
	unsigned int corked;		/* messages sent since the burst began */
	bool relp_error;		/* librelp reported an error */
	char relp_why[WHY_MAX];
	bool relp_auth_error;		/* librelp doubted the server's certificate */
	char relp_auth_why[WHY_MAX];

	/* relp+tls: the watchdog of librelp's handshake */
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_cond;
	bool watch_done;		/* relpCltConnect returned */
	bool watch_cut;			/* the watchdog cut the handshake */
	struct addrinfo *peers;		/* the target's addresses, this connect */
	pid_t watch_tid;		/* the thread in relpCltConnect */
};

static const char *const proto_names[EA_SIEM_PROTO_MAX] = {
	[EA_SIEM_RELP] = "relp",
	[EA_SIEM_TLS] = "tls",
	[EA_SIEM_TCP] = "tcp",
	[EA_SIEM_UDP] = "udp",
	[EA_SIEM_RELP_TLS] = "relp+tls",
};

/* The scheme of a transport, "invalid" outside the enum. */
const char *ea_siem_proto_name(int proto)
{
	return proto >= 0 && proto < EA_SIEM_PROTO_MAX ? proto_names[proto] : "invalid";
}

/* The scheme of s and where the address starts after "://", or -1. */
static int scheme(const char *s, const char **rest)
{
	for (int p = 0; p < EA_SIEM_PROTO_MAX; p++) {
		size_t n = strlen(proto_names[p]);

		if (!strncmp(s, proto_names[p], n) && !strncmp(s + n, "://", 3)) {
			*rest = s + n + 3;
			return p;
		}
	}
	return -1;
}

/* A port: 1..65535 in decimal, no sign, no leading zero. */
static bool port_ok(const char *p)
{
	size_t n = strlen(p);
	long v;

	if (!n || n > 5 || p[0] == '0' || strspn(p, "0123456789") != n)
		return false;
	v = strtol(p, NULL, 10);
	return v >= 1 && v <= 65535;
}

/* A host: printable ASCII without blanks, '/', '@' or brackets. */
static bool host_ok(const char *h, size_t n)
{
	if (!n || n > EA_SIEM_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c <= 32 || c >= 127 || strchr("/@[]", c))
			return false;
	}
	return true;
}

/* Parse "SCHEME://HOST:PORT" ("[v6]:PORT" for IPv6 literals). */
int ea_siem_target_parse(const char *s, struct ea_siem_target *t, const char **why)
{
	const char *rest, *host, *colon;
	size_t hn;

	memset(t, 0, sizeof(*t));
	t->proto = scheme(s, &rest);
	if (t->proto < 0) {
		*why = "must start with relp://, relp+tls://, tls://, tcp:// or udp://";
		return -EINVAL;
	}
	host = rest;
	if (*rest == '[') {
		host = rest + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':') {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -EINVAL;
		}
		hn = (size_t)(colon - host);
		colon++;
	} else {
		colon = strrchr(rest, ':');
		if (!colon) {
			*why = "missing :PORT";
			return -EINVAL;
		}
		hn = (size_t)(colon - host);
		if (memchr(host, ':', hn)) {
			*why = "an IPv6 address is written [ADDR]:PORT";
			return -EINVAL;
		}
	}
	if (!host_ok(host, hn)) {
		*why = "bad host";
		return -EINVAL;
	}
	if (!port_ok(colon + 1)) {
		*why = "port must be 1..65535";
		return -EINVAL;
	}
	memcpy(t->host, host, hn);
	snprintf(t->port, sizeof(t->port), "%s", colon + 1);
	return 0;
}

/* "sha256:" and 32 bytes in hex, optionally with ':' between the bytes. */
int ea_siem_fingerprint_parse(const char *s, uint8_t fp[32])
{
	size_t i = 0;

	if (strncasecmp(s, "sha256:", 7))
		return -EINVAL;
	s += 7;
	while (i < 32) {
		int hi = ea_hex_value(s[0]), lo = hi < 0 ? -1 : ea_hex_value(s[1]);

		if (lo < 0)
			return -EINVAL;
		fp[i++] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (*s == ':' && i < 32)
			s++;
	}
	return *s ? -EINVAL : 0;
}

/* --- sockets ------------------------------------------------------------------ */

/* Milliseconds of the monotonic clock, for deadlines. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the owner gave up on every wait. */
static bool aborted(const struct ea_siem_conn *c)
{
	return c->cfg.abort && __atomic_load_n(c->cfg.abort, __ATOMIC_RELAXED);
}

/* Wait until fd is ready for events: 0, -ETIMEDOUT or -ECANCELED (abort). */
static int wait_fd(struct ea_siem_conn *c, short events, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (aborted(c))
			return -ECANCELED;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* When a wait that started now times out. */
static int64_t deadline(const struct ea_siem_conn *c)
{
	return now_ms() + c->cfg.timeout_ms;
}

/* A non-blocking connect to one address, waited for. 0 or -errno. */
static int connect_one(struct ea_siem_conn *c, const struct addrinfo *ai)
{
	socklen_t len = sizeof(int);
	int soerr = 0, r;

	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       ai->ai_protocol);
	if (c->fd < 0)
		return -errno;
	if (!connect(c->fd, ai->ai_addr, ai->ai_addrlen))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	r = wait_fd(c, POLLOUT, deadline(c));
	if (r)
		return r;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

/* Connect to the target's first address that answers. 0 or -errno with err. */
static int sock_connect(struct ea_siem_conn *c, int type, struct ea_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type };
	struct addrinfo *res, *ai;
	int r, one = 1;

	r = getaddrinfo(c->cfg.target.host, c->cfg.target.port, &hints, &res);
	if (r) {
		ea_err_set(err, "%s: %s", c->where, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	r = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		r = connect_one(c, ai);
		if (!r)
			break;
		close(c->fd);
		c->fd = -1;
		if (r == -ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (r) {
		ea_err_set(err, "connect to %s: %s", c->where, strerror(-r));
		return r;
	}
	if (type == SOCK_STREAM)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

/* Write all of buf to the plain socket. 0 or -errno. */
static int sock_write_all(struct ea_siem_conn *c, const char *buf, size_t len)
{
	int64_t until = deadline(c);

	while (len) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			until = deadline(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		n = wait_fd(c, POLLOUT, until);
		if (n)
			return (int)n;
	}
	return 0;
}

/* --- TLS ------------------------------------------------------------------------- */

/* The OpenSSL error queue as text (emptied), or what when it is empty. */
static const char *ssl_why(char *buf, size_t size, const char *what)
{
	unsigned long e = ERR_get_error();

	if (!e) {
		snprintf(buf, size, "%s", what);
		return buf;
	}
	ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* A SHA-256 in lower-case hex (65 bytes). */
static void fp_hex(char *out, const uint8_t fp[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", fp[i]);
}

/* Whether cert's SHA-256 is the pinned one; says why not into c->verify_why. */
static bool fingerprint_ok(struct ea_siem_conn *c, X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char got[65], want[65];

	if (!cert || !X509_digest(cert, EVP_sha256(), md, &n) || n != 32) {
		snprintf(c->verify_why, sizeof(c->verify_why),
			 "no server certificate to compare with the pinned fingerprint");
		return false;
	}
	if (!memcmp(md, c->cfg.fingerprint, 32))
		return true;
	fp_hex(got, md);
	fp_hex(want, c->cfg.fingerprint);
	snprintf(c->verify_why, sizeof(c->verify_why),
		 "server certificate fingerprint sha256:%s is not the pinned sha256:%s",
		 got, want);
	return false;
}

/*
 * OpenSSL's verify callback. With a CA (or the system store) the chain and
 * host name must check out; with a pinned fingerprint the server's own
 * certificate must match it (and, with a CA as well, the chain too).
 */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ea_siem_conn *c = SSL_get_app_data(ssl);
	int depth = X509_STORE_CTX_get_error_depth(store);
	bool pin_only = c->cfg.has_fingerprint && !c->cfg.ca;
	char subject[128] = "";

	if (!ok && !pin_only) {
		X509 *cert = X509_STORE_CTX_get_current_cert(store);

		if (cert)
			X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		snprintf(c->verify_why, sizeof(c->verify_why),
			 "server certificate not trusted: %s (depth %d%s%s)",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)),
			 depth, subject[0] ? ", subject " : "", subject);
		return 0;
	}
	if (c->cfg.has_fingerprint && depth == 0 &&
	    !fingerprint_ok(c, X509_STORE_CTX_get_current_cert(store)))
		return 0;
	return 1;
}

/* The client context: trust, protocol floor, client certificate. */
static int tls_ctx(struct ea_siem_conn *c, struct ea_err *err)
{
	const struct ea_siem_conn_cfg *cfg = &c->cfg;
	char why[WHY_MAX];

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ea_err_set(err, "TLS: %s", ssl_why(why, sizeof(why), "no context"));
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_cb);
	if (cfg->ca && !SSL_CTX_load_verify_locations(c->ctx, cfg->ca, NULL)) {
		ea_err_set(err, "ca %s: %s", cfg->ca, ssl_why(why, sizeof(why), "cannot load"));
		return -EINVAL;
	}
	if (!cfg->ca && !cfg->has_fingerprint)
		SSL_CTX_set_default_verify_paths(c->ctx);
	if (cfg->cert && SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert) != 1) {
		ea_err_set(err, "cert %s: %s", cfg->cert, ssl_why(why, sizeof(why), "cannot load"));
		return -EINVAL;
	}
	if (cfg->key && (SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key, SSL_FILETYPE_PEM) != 1 ||
			 SSL_CTX_check_private_key(c->ctx) != 1)) {
		ea_err_set(err, "key %s: %s", cfg->key, ssl_why(why, sizeof(why), "cannot load"));
		return -EINVAL;
	}
	return 0;
}

int ea_siem_tls_check(const struct ea_siem_conn_cfg *cfg, struct ea_err *err)
{
	struct ea_siem_conn c = { .cfg = *cfg };
	int r;

	if (!cfg->ca && !cfg->cert && !cfg->key)
		return 0;
	r = tls_ctx(&c, err);
	SSL_CTX_free(c.ctx);
	return r;
}

/* SNI and the name (or address) the certificate must carry. */
static int tls_peer_name(struct ea_siem_conn *c)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
	const char *host = c->cfg.target.host;
	struct in6_addr a6;
	struct in_addr a4;
	bool ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;

	if (!ip && !SSL_set_tlsext_host_name(c->ssl, host))
		return -EINVAL;
	if (c->cfg.has_fingerprint && !c->cfg.ca)
		return 0;
	if (ip)
		return X509_VERIFY_PARAM_set1_ip_asc(param, host) ? 0 : -EINVAL;
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return X509_VERIFY_PARAM_set1_host(param, host, 0) ? 0 : -EINVAL;
}

/* Drive a non-blocking SSL call's want-read/want-write. 0 to retry, or -errno. */
static int tls_wait(struct ea_siem_conn *c, int ret, int64_t until)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c, POLLIN, until);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c, POLLOUT, until);
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	}
	return -EPROTO;
}

/*
 * OpenSSL's message callback: whether our certificate went out, and
 * whether the server sent a session ticket after the handshake.
 */
static void tls_msg_cb(int write_p, int version, int type, const void *buf, size_t len,
		       SSL *ssl, void *arg)
{
	struct ea_siem_conn *c = arg;
	const unsigned char *m = buf;

	if (type != SSL3_RT_HANDSHAKE || !len)
		return;
	if (write_p && m[0] == SSL3_MT_CERTIFICATE && c->cfg.cert)
		c->sent_cert = true;
	else if (!write_p && m[0] == SSL3_MT_NEWSESSION_TICKET)
		c->got_ticket = true;
}

/* The reason of OpenSSL's first queued error (emptied), or what. */
static const char *ssl_reason(char *buf, size_t size, const char *what)
{
	const char *r = ERR_reason_error_string(ERR_peek_error());

	snprintf(buf, size, "%s", r ? r : what);
	ERR_clear_error();
	return buf;
}

/*
 * Under TLS 1.3 the client's handshake is over before the server has
 * checked the client's certificate: a refusal comes after, as an alert,
 * and the batch written meanwhile would count as delivered. So, once our
 * certificate was sent, wait for the server's first record: data mean yes;
 * an alert, or a close, means no. A session ticket is not enough: a server
 * that checks the certificate after its TLS library's handshake (rsyslog's
 * drivers) sends one before it refuses, so after a ticket the wait goes on
 * for TICKET_SETTLE_MS (at most the timeout) for an alert or a close. A
 * server that sends nothing within the timeout is taken to have accepted.
 */
static int tls_cert_accepted(struct ea_siem_conn *c, struct ea_err *err)
{
	int64_t until = deadline(c);
	bool settling = false;
	char why[WHY_MAX], b;

	for (;;) {
		int r = SSL_peek(c->ssl, &b, 1), w;

		if (r > 0)
			return 0;
		if (c->got_ticket && !settling) {
			settling = true;
			until = now_ms() + (c->cfg.timeout_ms < TICKET_SETTLE_MS ?
					    c->cfg.timeout_ms : TICKET_SETTLE_MS);
		}
		w = tls_wait(c, r, until);
		if (!w)
			continue;
		if (w == -ETIMEDOUT)
			return 0;
		if (w == -ECANCELED)
			ea_err_set(err, "TLS to %s: stopped", c->where);
		else if (w == -EPROTO)
			ea_err_set(err, "TLS to %s: the server refused our certificate: %s",
				   c->where, ssl_reason(why, sizeof(why), "failed"));
		else
			ea_err_set(err, "TLS to %s: the server closed the connection after the "
				   "handshake (did it refuse our certificate?)", c->where);
		ERR_clear_error();
		return w == -ECANCELED ? w : -EPERM;
	}
}

/* Handshake and verification; nothing is sent before both succeed. */
static int tls_handshake(struct ea_siem_conn *c, struct ea_err *err)
{
	int64_t until = deadline(c);
	char why[WHY_MAX];
	X509 *peer;
	int r;

	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || tls_peer_name(c)) {
		ea_err_set(err, "TLS to %s: %s", c->where, ssl_why(why, sizeof(why), "set-up failed"));
		return -EINVAL;
	}
	SSL_set_app_data(c->ssl, c);
	SSL_set_msg_callback(c->ssl, tls_msg_cb);
	SSL_set_msg_callback_arg(c->ssl, c);
	while ((r = SSL_connect(c->ssl)) != 1) {
		int w = tls_wait(c, r, until);

		if (!w)
			continue;
		if (c->verify_why[0])
			ea_err_set(err, "TLS to %s: %s", c->where, c->verify_why);
		else if (w == -EPROTO)
			ea_err_set(err, "TLS handshake with %s: %s", c->where,
				   ssl_why(why, sizeof(why), "failed"));
		else
			ea_err_set(err, "TLS handshake with %s: %s", c->where, strerror(-w));
		return w == -EPROTO ? -EPERM : w;
	}
	peer = SSL_get1_peer_certificate(c->ssl);
	r = SSL_get_verify_result(c->ssl) == X509_V_OK || (c->cfg.has_fingerprint && !c->cfg.ca);
	if (r && c->cfg.has_fingerprint)
		r = fingerprint_ok(c, peer);
	X509_free(peer);
	if (!r) {
		ea_err_set(err, "TLS to %s: %s", c->where,
			   c->verify_why[0] ? c->verify_why : "server certificate not verified");
		return -EPERM;
	}
	if (c->sent_cert && SSL_version(c->ssl) == TLS1_3_VERSION)
		return tls_cert_accepted(c, err);
	return 0;
}

/* Write all of buf through TLS; each byte moved resets the timeout. */
static int tls_write_all(struct ea_siem_conn *c, const char *buf, size_t len)
{
	int64_t until = deadline(c);

	while (len) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		int n = SSL_write(c->ssl, buf, chunk);
		int w;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			until = deadline(c);
			continue;
		}
		w = tls_wait(c, n, until);
		if (w)
			return w;
	}
	return 0;
}

/* --- framed streams (tls, tcp) -------------------------------------------------- */

/*
 * Whether a TLS connection that has something to read is still open:
 * records it holds (session tickets) are taken in, a close_notify, an
 * alert or the end of the stream mean it is not.
 */
static bool tls_open(struct ea_siem_conn *c)
{
	char b;
	int r = SSL_peek(c->ssl, &b, 1);

	if (r > 0)
		return true;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return true;
	}
	ERR_clear_error();
	return false;
}

/*
 * Whether the receiver has closed a kept connection (an idle timeout, a
 * restart). Writing a batch into it succeeds, and its messages would count
 * as delivered while the receiver answers with a reset. 0 or -ECONNRESET.
 */
static int stream_open(struct ea_siem_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	ssize_t n;
	char b;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (c->ssl)
		return tls_open(c) ? 0 : -ECONNRESET;
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	return -ECONNRESET;
}

/* Write the framed messages gathered so far, on a connection still open. */
static int stream_flush(struct ea_siem_conn *c, struct ea_err *err)
{
	int r;

	if (!c->wlen)
		return 0;
	if (stream_open(c)) {
		ea_err_set(err, "writing to %s: the receiver closed the connection", c->where);
		return -ECONNRESET;
	}
	if (c->ssl)
		r = tls_write_all(c, c->wbuf, c->wlen);
	else
		r = sock_write_all(c, c->wbuf, c->wlen);
	if (r) {
		ea_err_set(err, "writing to %s: %s", c->where,
			   r == -ECANCELED ? "stopped" : strerror(-r));
		return r;
	}
	c->wlen = 0;
	c->wmsgs = 0;
	return 0;
}

/* RFC 6587 octet counting: "LEN SP MSG". */
static int stream_send(struct ea_siem_conn *c, const char *msg, size_t len,
		       struct ea_err *err)
{
	char head[24];
	int hn = snprintf(head, sizeof(head), "%zu ", len);

	if (len > EA_SIEM_MSG_MAX)
		return -EMSGSIZE;
	if (c->wlen + (size_t)hn + len > WBUF_SIZE) {
		int r = stream_flush(c, err);

		if (r)
			return r;
	}
	memcpy(c->wbuf + c->wlen, head, (size_t)hn);
	memcpy(c->wbuf + c->wlen + hn, msg, len);
	c->wlen += (size_t)hn + len;
	c->wmsgs++;
	return 0;
}

/* --- RELP ------------------------------------------------------------------------- */

/* librelp's error callback: keep the first reason of this session. */
static void relp_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct ea_siem_conn *c = usr;

	if (!c || c->relp_error)
		return;
	c->relp_error = true;
	snprintf(c->relp_why, sizeof(c->relp_why), "%s (%s, code %d)", errmsg,
		 objinfo, (int)code);
}

/*
 * Acknowledgements, counted from librelp's trace.
 *
 * librelp keeps which frames were answered to itself, and a session can
 * end without an error while some were not: when the receiver's
 * "serverclose" hint arrives as the client waits for the answer to its
 * "close", librelp closes quietly (rsyslogd sends that hint as it stops,
 * and drops what it had read but not processed). So the feed counts the
 * answers itself, from the line librelp traces for each one through the
 * debug callback. The receiver answers in order, so the first n - 1
 * messages of a session are delivered once n frames were answered 200
 * (the "open" being the first). Only the answer to the frame expected
 * next counts: librelp traces a response before it looks the frame up, so
 * a stray or repeated one would otherwise count for a message nobody
 * answered. A librelp that traced otherwise would count nothing:
 * relp_connect refuses to go on then, nothing is lost.
 *
 * The debug callback has no user pointer; every call into librelp is
 * made from the connection's own thread, which names its connection in
 * relp_tracing first.
 */
static __thread struct ea_siem_conn *relp_tracing;

/* The frame number after txnr, as librelp counts (relpEngineNextTXNR). */
static unsigned int relp_next_txnr(unsigned int txnr)
{
	return txnr > 999999999 ? 1 : txnr + 1;
}
static const char relp_rsp_trace[] = "in rsp command handler, txnr %d, code %d, text '%s'\n";

__attribute__((format(printf, 1, 2)))
static void relp_dbg(char *fmt, ...)
{
	struct ea_siem_conn *c = relp_tracing;
	va_list ap;
	int txnr, code;

	if (!c || fmt[0] != 'i' || strcmp(fmt, relp_rsp_trace))
		return;
	va_start(ap, fmt);
	txnr = va_arg(ap, int);
	code = va_arg(ap, int);
	va_end(ap);
	if (code != 200) {
		c->relp_refused = true;
	} else if (!c->relp_refused && txnr >= 0 && (unsigned int)txnr == c->relp_txnr) {
		c->relp_answered++;
		c->relp_txnr = relp_next_txnr(c->relp_txnr);
	}
}

/* The messages of this session the receiver has answered 200. */
static size_t relp_confirmed(const struct ea_siem_conn *c)
{
	size_t n = c->relp_answered ? c->relp_answered - 1 : 0;

	return n < c->relp_sent ? n : c->relp_sent;
}

/*
 * librelp's callback for a server certificate it doubts. Any call refuses
 * the session, also where librelp itself would go on.
 */
static void relp_on_auth_err(void *usr, char *authinfo, char *errmsg, relpRetVal code)
{
	struct ea_siem_conn *c = usr;

	(void)code;
	if (!c || c->relp_auth_error)
		return;
	c->relp_auth_error = true;
	snprintf(c->relp_auth_why, sizeof(c->relp_auth_why), "server certificate refused: %s%s%s",
		 errmsg, authinfo && authinfo[0] ? ": " : "", authinfo ? authinfo : "");
	for (char *p = c->relp_auth_why; *p; p++)	/* librelp's text has newlines */
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* One librelp engine per connection: syslog required, errors to relp_on_err. */
static int relp_engine(struct ea_siem_conn *c, struct ea_err *err)
{
	if (relpEngineConstruct(&c->engine) != RELP_RET_OK) {
		ea_err_set(err, "RELP: cannot make an engine");
		return -ENOMEM;
	}
	relpEngineSetDbgprint(c->engine, relp_dbg);
	relpEngineSetEnableCmd(c->engine, (unsigned char *)"syslog", eRelpCmdState_Required);
	relpEngineSetOnErr(c->engine, relp_on_err);
	if (c->cfg.target.proto == EA_SIEM_RELP_TLS &&
	    (relpEngineSetTLSLibByName(c->engine, "gnutls") != RELP_RET_OK ||
	     relpEngineSetOnAuthErr(c->engine, relp_on_auth_err) != RELP_RET_OK)) {
		ea_err_set(err, "RELP: this librelp has no GnuTLS support");
		return -ENOTSUP;
	}
	if (c->cfg.abort)
		relpEngineSetShutdownImmdtPtr(c->engine, (int *)c->cfg.abort);
	return 0;
}

/*
 * RELP over TLS: the server's chain must lead to ca and its certificate
 * name the target host (librelp's "name" mode, which compares the host
 * with the certificate's common name and DNS names). librelp verifies the
 * server only when it has a certificate of its own to show. Its GnuTLS
 * driver keeps the credentials per session; its OpenSSL driver shares one
 * context in the process, so one destination's ca would serve another's.
 */
static bool relp_tls(struct ea_siem_conn *c)
{
	const struct ea_siem_conn_cfg *k = &c->cfg;

	return relpCltEnableTLS(c->clt) == RELP_RET_OK &&
	       relpCltSetCACert(c->clt, (char *)k->ca) == RELP_RET_OK &&
	       relpCltSetOwnCert(c->clt, (char *)k->cert) == RELP_RET_OK &&
	       relpCltSetPrivKey(c->clt, (char *)k->key) == RELP_RET_OK &&
	       relpCltSetAuthMode(c->clt, (char *)"name") == RELP_RET_OK &&
	       relpCltAddPermittedPeer(c->clt, (char *)k->target.host) == RELP_RET_OK;
}

/* The port of a socket address (network order), 0 for another family. */
static in_port_t addr_port(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port;
	if (a->sa_family == AF_INET6)
		return ((const struct sockaddr_in6 *)a)->sin6_port;
	return 0;
}

/* Whether two socket addresses name the same address and port. */
static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family || addr_port(a) != addr_port(b))
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->sa_family == AF_INET6 &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/*
 * Whether the socket peer is the target: one of its addresses, or, when
 * the target's name did not resolve here, its port.
 */
static bool is_target(const struct ea_siem_conn *c, const struct sockaddr *peer)
{
	if (!c->peers)
		return ntohs(addr_port(peer)) == atoi(c->cfg.target.port);
	for (const struct addrinfo *ai = c->peers; ai; ai = ai->ai_next)
		if (same_addr(ai->ai_addr, peer))
			return true;
	return false;
}

/*
 * Whether fd is a socket in librelp's TLS handshake with the target: one
 * connected to it and blocking (librelp makes its socket blocking for the
 * handshake only; every other socket of the feed is non-blocking).
 */
static bool in_relp_handshake(const struct ea_siem_conn *c, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_NONBLOCK) || getpeername(fd, (struct sockaddr *)&peer, &len))
		return false;
	return is_target(c, (struct sockaddr *)&peer);
}

/*
 * The descriptor the connecting thread blocks on in a read or a write
 * (from /proc/self/task/TID/syscall), -1 when it blocks on none at the
 * moment, -2 when the kernel does not tell.
 */
static int relp_blocked_fd(const struct ea_siem_conn *c)
{
	static const long io_calls[] = {
		SYS_read, SYS_write, SYS_recvfrom, SYS_sendto, SYS_recvmsg, SYS_sendmsg,
	};
	char path[64], buf[256];
	unsigned long arg;
	long nr;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)c->watch_tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -2;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %lx", &nr, &arg) != 2 || arg > INT32_MAX)
		return -1;		/* "running", or a call without arguments */
	for (size_t i = 0; i < sizeof(io_calls) / sizeof(io_calls[0]); i++)
		if (nr == io_calls[i])
			return (int)arg;
	return -1;
}

/*
 * A duplicate of fd when it is a socket in librelp's handshake with the
 * target, else -1. The duplicate is checked to be the socket fd named
 * first, and is what is shut down: librelp may close fd meanwhile and
 * another thread's socket take its number.
 */
static int relp_handshake_dup(const struct ea_siem_conn *c, int fd)
{
	struct stat st, dst;
	int d;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return -1;	/* never a duplicate of a file: its close drops locks */
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -1;
	if (!fstat(d, &dst) && dst.st_ino == st.st_ino && dst.st_dev == st.st_dev &&
	    in_relp_handshake(c, d))
		return d;
	close(d);
	return -1;
}

/* Shut down a socket through its duplicate d, and close d; whether it was. */
static bool relp_cut_dup(int d)
{
	bool cut = !shutdown(d, SHUT_RDWR);

	close(d);
	return cut;
}

/*
 * Without the connecting thread's call to go by: every socket of the
 * process in a handshake with the target is cut. Another destination with
 * the same target, in its handshake at this moment, is cut too and
 * retries; which one was this connection's is not known.
 */
static void relp_cut_any(const struct ea_siem_conn *c)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int d;

		if (*end || end == e->d_name || fd == dirfd(dir))
			continue;
		d = relp_handshake_dup(c, (int)fd);
		if (d >= 0)
			relp_cut_dup(d);
	}
	closedir(dir);
}

/*
 * Cut librelp's handshake: shut down its socket, so that the recv it
 * blocks in returns. librelp gives no handle on the socket: it is the one
 * the connecting thread blocks on (still, once its duplicate is taken),
 * connected to the target and blocking. Only a cut of this connection's
 * own socket sets watch_cut.
 */
static void relp_cut_handshake(struct ea_siem_conn *c)
{
	int fd = relp_blocked_fd(c), d;

	if (fd == -2) {
		relp_cut_any(c);
		return;
	}
	d = fd >= 0 ? relp_handshake_dup(c, fd) : -1;
	if (d < 0)
		return;
	if (relp_blocked_fd(c) == fd) {
		if (relp_cut_dup(d))
			c->watch_cut = true;
	} else {
		close(d);
	}
}

/* Wait on the watchdog's condition for a slice at most. */
static void relp_watch_wait(struct ea_siem_conn *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += POLL_SLICE_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&c->watch_cond, &c->watch_lock, &ts);
}

/*
 * The watchdog of a relp+tls connect. librelp bounds the TCP connect with
 * its connect timeout, but runs the TLS handshake on a blocking socket
 * without any: a server that accepts and never answers would hold the
 * feed (and the agent's stop) for ever. After timeout_ms, or at an abort,
 * the handshake is cut, and so is every later one until the connect
 * returns: a TCP connect still under way (a SYN retried after a full
 * accept queue) may complete after the deadline and begin its handshake.
 */
static void *relp_watchdog(void *arg)
{
	struct ea_siem_conn *c = arg;
	int64_t until = deadline(c);

	pthread_mutex_lock(&c->watch_lock);
	while (!c->watch_done && !aborted(c) && now_ms() < until)
		relp_watch_wait(c);
	while (!c->watch_done) {
		relp_cut_handshake(c);
		relp_watch_wait(c);
	}
	pthread_mutex_unlock(&c->watch_lock);
	return NULL;
}

/*
 * Start the watchdog of a relp+tls connect; false when there is none. The
 * target is resolved at each connect, as librelp does (a name's addresses
 * change); without an answer the watchdog goes by the target's port.
 */
static bool relp_watch_start(struct ea_siem_conn *c, pthread_t *t)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

	if (c->cfg.target.proto != EA_SIEM_RELP_TLS)
		return false;
	if (c->peers)
		freeaddrinfo(c->peers);
	if (getaddrinfo(c->cfg.target.host, c->cfg.target.port, &hints, &c->peers))
		c->peers = NULL;
	c->watch_tid = gettid();
	c->watch_done = c->watch_cut = false;
	return !pthread_create(t, NULL, relp_watchdog, c);
}

/* The connect returned: end the watchdog. */
static void relp_watch_end(struct ea_siem_conn *c, pthread_t t)
{
	pthread_mutex_lock(&c->watch_lock);
	c->watch_done = true;
	pthread_cond_signal(&c->watch_cond);
	pthread_mutex_unlock(&c->watch_lock);
	pthread_join(t, NULL);
}

/* Why a session could not be opened: the certificate's trouble first. */
static const char *relp_open_why(const struct ea_siem_conn *c)
{
	if (c->relp_auth_error)
		return c->relp_auth_why;
	if (c->watch_cut)
		return aborted(c) ? "stopped during the TLS handshake" :
				    "no answer to the TLS handshake within the timeout";
	return c->relp_why[0] ? c->relp_why : "failed";
}

/* A new session: client, window, timeouts, connect with the open handshake. */
static int relp_connect(struct ea_siem_conn *c, struct ea_err *err)
{
	unsigned int secs = (unsigned int)(c->cfg.timeout_ms + 999) / 1000;
	pthread_t watchdog;
	bool watched;
	relpRetVal r;

	c->relp_error = c->relp_auth_error = false;
	c->relp_why[0] = c->relp_auth_why[0] = '\0';
	c->relp_sent = 0;
	c->relp_answered = 0;
	c->relp_txnr = 1;		/* the open */
	c->relp_refused = false;
	relp_tracing = c;
	if (relpEngineCltConstruct(c->engine, &c->clt) != RELP_RET_OK) {
		ea_err_set(err, "RELP: cannot make a client");
		return -ENOMEM;
	}
	c->corked = 0;
	relpCltSetUsrPtr(c->clt, c);
	relpCltSetWindowSize(c->clt, EA_SIEM_RELP_WINDOW);
	relpCltSetTimeout(c->clt, secs);
	relpCltSetConnTimeout(c->clt, (int)secs);
	if (c->cfg.target.proto == EA_SIEM_RELP_TLS && !relp_tls(c)) {
		ea_err_set(err, "RELP over TLS to %s: cannot set up TLS", c->where);
		relpEngineCltDestruct(c->engine, &c->clt);
		return -EINVAL;
	}
	watched = relp_watch_start(c, &watchdog);
	r = relpCltConnect(c->clt, AF_UNSPEC, (unsigned char *)c->cfg.target.port,
			   (unsigned char *)c->cfg.target.host);
	if (watched)
		relp_watch_end(c, watchdog);
	if (r != RELP_RET_OK || c->relp_auth_error || c->watch_cut) {
		ea_err_set(err, "RELP connect to %s: %s", c->where, relp_open_why(c));
		relpEngineCltDestruct(c->engine, &c->clt);
		return -ECONNREFUSED;
	}
	if (c->relp_answered != 1) {
		ea_err_set(err, "RELP to %s: this librelp does not trace the answers it "
			   "receives, so no delivery could be confirmed", c->where);
		relpEngineCltDestruct(c->engine, &c->clt);
		return -ENOTSUP;
	}
	return 0;
}

/* The corked messages leave now. */
static void relp_push(struct ea_siem_conn *c)
{
	relp_tracing = c;
	if (c->clt && c->corked)
		relpCltHintBurstEnd(c->clt);
	c->corked = 0;
}

/*
 * One message. Messages go out corked (librelp's burst hint, TCP_CORK) in
 * bursts of RELP_BURST: the receiver reads and answers them in bulk. A
 * burst is far smaller than the window, so librelp never waits for the
 * acknowledgement of a message the kernel still holds back.
 */
static int relp_send(struct ea_siem_conn *c, const char *msg, size_t len, struct ea_err *err)
{
	int r;

	if (!c->clt && (r = relp_connect(c, err)))
		return r;
	relp_tracing = c;
	if (c->corked == RELP_BURST)
		relp_push(c);
	if (!c->corked)
		relpCltHintBurstBegin(c->clt);
	c->corked++;
	if (relpCltSendSyslog(c->clt, (unsigned char *)msg, len) != RELP_RET_OK) {
		ea_err_set(err, "RELP to %s: %s", c->where,
			   c->relp_why[0] ? c->relp_why : "session broken");
		return -EPIPE;
	}
	c->relp_sent++;
	return 0;
}

/*
 * The session's graceful end: librelp sends "close" and waits for its
 * answer, which the receiver gives after every message before it. All is
 * delivered when every message was answered 200, whatever librelp says
 * of the close.
 */
static int relp_flush(struct ea_siem_conn *c, struct ea_err *err)
{
	size_t unanswered;

	if (!c->clt)
		return 0;
	relp_push(c);
	relpEngineCltDestruct(c->engine, &c->clt);
	c->clt = NULL;
	unanswered = c->relp_sent - relp_confirmed(c);
	if (unanswered) {
		if (c->relp_error)
			ea_err_set(err, "RELP to %s: %s", c->where, c->relp_why);
		else
			ea_err_set(err, "RELP to %s: the session ended with %zu of %zu "
				   "messages unacknowledged", c->where, unanswered,
				   c->relp_sent);
		return -EPIPE;
	}
	c->relp_sent = 0;
	return 0;
}

/* --- UDP -------------------------------------------------------------------------- */

/* One datagram per message; too large for UDP is -EMSGSIZE. */
static int udp_send(struct ea_siem_conn *c, const char *msg, size_t len, struct ea_err *err)
{
	ssize_t n;

	if (len > UDP_MAX)
		return -EMSGSIZE;
	do
		n = send(c->fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN && !wait_fd(c, POLLOUT, deadline(c)))
		n = send(c->fd, msg, len, MSG_NOSIGNAL);
	if (n < 0) {
		ea_err_set(err, "sending to %s: %s", c->where, strerror(errno));
		return -errno;
	}
	return 0;
}

/* --- the connection ---------------------------------------------------------------- */

/* Connect by transport; TLS verifies before the connection is used. */
static int conn_start(struct ea_siem_conn *c, struct ea_err *err)
{
	switch (c->cfg.target.proto) {
	case EA_SIEM_RELP:
	case EA_SIEM_RELP_TLS:
		return relp_engine(c, err) ?: relp_connect(c, err);
	case EA_SIEM_UDP:
		return sock_connect(c, SOCK_DGRAM, err);
	case EA_SIEM_TLS:
		if (tls_ctx(c, err))
			return -EINVAL;
		if (sock_connect(c, SOCK_STREAM, err))
			return -ECONNREFUSED;
		return tls_handshake(c, err);
	}
	return sock_connect(c, SOCK_STREAM, err);
}

/* A condition variable whose timed waits take the monotonic clock. */
static void conn_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

/* A connection to cfg's target, or -errno and err with why not. */
int ea_siem_conn_open(struct ea_siem_conn **cp, const struct ea_siem_conn_cfg *cfg,
		      struct ea_err *err)
{
	const struct ea_siem_target *t = &cfg->target;
	struct ea_siem_conn *c = calloc(1, sizeof(*c));
	int r;

	*cp = NULL;
	if (!c) {
		ea_err_set(err, "out of memory");
		return -ENOMEM;
	}
	c->cfg = *cfg;
	c->fd = -1;
	pthread_mutex_init(&c->watch_lock, NULL);
	conn_cond_init(&c->watch_cond);
	snprintf(c->where, sizeof(c->where), strchr(t->host, ':') ? "[%s]:%s" : "%s:%s",
		 t->host, t->port);
	if (t->proto == EA_SIEM_TLS || t->proto == EA_SIEM_TCP) {
		c->wbuf = malloc(WBUF_SIZE);
		if (!c->wbuf) {
			ea_siem_conn_close(c);
			ea_err_set(err, "out of memory");
			return -ENOMEM;
		}
	}
	r = conn_start(c, err);
	if (r) {
		ea_siem_conn_close(c);
		return r;
	}
	*cp = c;
	return 0;
}

/* Send (or, for streams, queue) one message. */
int ea_siem_conn_send(struct ea_siem_conn *c, const char *msg, size_t len,
		      struct ea_err *err)
{
	switch (c->cfg.target.proto) {
	case EA_SIEM_RELP:
	case EA_SIEM_RELP_TLS:
		return relp_send(c, msg, len, err);
	case EA_SIEM_UDP:
		return udp_send(c, msg, len, err);
	}
	return stream_send(c, msg, len, err);
}

/* Deliver everything sent (RELP: close the session gracefully). */
int ea_siem_conn_flush(struct ea_siem_conn *c, struct ea_err *err)
{
	switch (c->cfg.target.proto) {
	case EA_SIEM_RELP:
	case EA_SIEM_RELP_TLS:
		return relp_flush(c, err);
	case EA_SIEM_UDP:
		return 0;
	}
	return stream_flush(c, err);
}

/* The end of a batch: let what was sent leave. */
int ea_siem_conn_push(struct ea_siem_conn *c, struct ea_err *err)
{
	switch (c->cfg.target.proto) {
	case EA_SIEM_RELP:
	case EA_SIEM_RELP_TLS:
		relp_push(c);
		return 0;
	case EA_SIEM_UDP:
		return 0;
	}
	return stream_flush(c, err);
}

/* The latest messages not known delivered: RELP those not answered yet. */
size_t ea_siem_conn_unconfirmed(const struct ea_siem_conn *c)
{
	switch (c->cfg.target.proto) {
	case EA_SIEM_RELP:
	case EA_SIEM_RELP_TLS:
		return c->relp_sent - relp_confirmed(c);
	case EA_SIEM_UDP:
		return 0;
	}
	return c->wmsgs;
}

/*
 * A stream's end: close_notify (TLS), then half-close, and read until the
 * receiver closes too (at most CLOSE_WAIT_MS). Closing a socket with bytes
 * unread, such as TLS session tickets, resets the connection, and the
 * kernel drops what it had not sent yet: the last messages.
 */
static void stream_close(struct ea_siem_conn *c)
{
	int64_t until = now_ms() + CLOSE_WAIT_MS;
	char buf[4096];
	int r;

	while (c->ssl && (r = SSL_shutdown(c->ssl)) < 0 && !tls_wait(c, r, until))
		;
	if (shutdown(c->fd, SHUT_WR))
		return;
	while (!wait_fd(c, POLLIN, until)) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
}

/* Close whatever is open, gracefully where the transport can. */
void ea_siem_conn_close(struct ea_siem_conn *c)
{
	if (!c)
		return;
	relp_push(c);
	if (c->clt)
		relpEngineCltDestruct(c->engine, &c->clt);
	if (c->engine)
		relpEngineDestruct(&c->engine);
	relp_tracing = NULL;
	if (c->fd >= 0 && c->cfg.target.proto != EA_SIEM_UDP)
		stream_close(c);
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	if (c->peers)
		freeaddrinfo(c->peers);
	pthread_cond_destroy(&c->watch_cond);
	pthread_mutex_destroy(&c->watch_lock);
	free(c->wbuf);
	free(c);
}
