// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SIEM feed (siem.h). Each destination's thread repeats: read a batch
 * of records after the last one handled, format the selected ones into an
 * arena, send them, and move the cursor over every record whose message
 * the transport has confirmed (and over records not selected in between).
 * On any failure the connection is dropped, the trail is read again from
 * the cursor and the thread waits before the next attempt. Memory is one
 * batch per destination, whatever the backlog.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"
#include "siem.h"
#include "siem_follow.h"
#include "siem_format.h"
#include "siem_transport.h"
#include "util.h"

#define BATCH_MAX	1024			/* records read at a time */
#define ARENA_SIZE	((1u << 20) + EA_SIEM_MSG_MAX)	/* their messages */
#define FIFO_SIZE	2048			/* messages sent, not yet confirmed */
#define IDLE_MS		50			/* look for new records this often */
#define PERSIST_MS	200			/* save the cursor at most this often */
#define HEAD_MS		500			/* find the trail's end this often */
#define BACKOFF_MS	250			/* first wait after a failure */
#define TIMEOUT_MS	10000			/* a receiver that does not move */
#define STOP_GRACE_MS	3000			/* to deliver what was sent, at stop */
#define ABORT_GRACE_MS	5000			/* for a thread to end after the abort */
#define LOG_REPEAT_MS	60000			/* the same failure logged again */

/* One record of a batch: its message in the arena (len 0: not selected). */
struct entry {
	uint64_t seq;
	int64_t ts;
	uint32_t off, len;
};

struct sent {
	uint64_t seq;
	int64_t ts;
};

/* A trouble of the feed's own, outside the connection. */
enum problem {
	PROBLEM_NONE,
	PROBLEM_CURSOR,			/* saving the cursor failed */
	PROBLEM_TRAIL,			/* reading the trail failed */
};

struct feed {
	struct ea_siem *owner;
	char name[EA_SIEM_NAME_MAX];
	char target[EA_SIEM_TARGET_MAX];
	struct ea_siem_conn_cfg ccfg;	/* strings owned */
	int format;
	uint32_t select;
	uint32_t backoff_cap_ms;
	char trail_dir[PATH_MAX];
	char cursor[PATH_MAX], cursor_tmp[PATH_MAX];
	int lock_fd;			/* one feed per destination and trail */
	pthread_t thread;
	bool running;

	/* the thread's own */
	struct ea_follow follow;
	struct ea_siem_conn *conn;
	struct ea_rec rec;
	struct entry *batch;
	size_t nbatch, pos;
	char *arena;
	size_t arena_len;
	struct sent *fifo;
	size_t fhead, fcount;
	uint64_t done;			/* last seq handled in order */
	uint64_t acked;			/* last seq delivered, with all before it */
	uint64_t saved;			/* in the cursor file */
	int64_t saved_ms, head_ms;
	int64_t oldest_ts;		/* of the first record not delivered */
	uint64_t head;
	uint32_t attempt;		/* failures in a row */
	unsigned int seed;
	char logged[256];		/* the failure last logged */
	int64_t logged_ms;
	enum problem problem;		/* what the published error is about */

	struct ea_siem_stats st;	/* published under owner->lock */
};

struct ea_siem {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;			/* deliver what was sent, then end */
	int abort;			/* give up every wait now */
	size_t n;
	struct feed *feeds;
};

/* Milliseconds of the monotonic clock, for intervals. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds of the wall clock, to age records. */
static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the feed was told to stop. */
static bool stopping(const struct feed *d)
{
	return __atomic_load_n(&d->owner->stop, __ATOMIC_RELAXED);
}

/* Sleep ms, or less when the feed is told to stop. */
static void pause_ms(struct feed *d, int64_t ms)
{
	struct ea_siem *s = d->owner;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->lock);
}

/* Log msg unless it is the one logged last, within LOG_REPEAT_MS. */
static void log_once(struct feed *d, const char *msg)
{
	int64_t now = mono_ms();

	if (!strcmp(d->logged, msg) && now - d->logged_ms < LOG_REPEAT_MS)
		return;
	snprintf(d->logged, sizeof(d->logged), "%s", msg);
	d->logged_ms = now;
	ea_log("siem %s: %s", d->name, msg);
}

/* Publish msg as the error (cut to fit); the owner's lock is held. */
static void set_error(struct feed *d, const char *msg)
{
	size_t n = strnlen(msg, sizeof(d->st.error) - 1);

	memcpy(d->st.error, msg, n);
	d->st.error[n] = '\0';
}

/* A connection or a send failed: not connected, counted, logged. */
static void log_failure(struct feed *d, const char *msg)
{
	pthread_mutex_lock(&d->owner->lock);
	set_error(d, msg);
	d->st.failures++;
	d->st.connected = false;
	pthread_mutex_unlock(&d->owner->lock);
	d->problem = PROBLEM_NONE;
	log_once(d, msg);
}

/*
 * A trouble outside the connection (the cursor, the trail): shown as the
 * error until that step succeeds again, but neither a failure of the
 * destination nor a disconnection.
 */
static void log_problem(struct feed *d, enum problem what, const char *msg)
{
	pthread_mutex_lock(&d->owner->lock);
	set_error(d, msg);
	pthread_mutex_unlock(&d->owner->lock);
	d->problem = what;
	log_once(d, msg);
}

/* The step that had a problem worked: its error goes. */
static void problem_solved(struct feed *d, enum problem what)
{
	if (d->problem != what)
		return;
	pthread_mutex_lock(&d->owner->lock);
	d->st.error[0] = '\0';
	pthread_mutex_unlock(&d->owner->lock);
	d->problem = PROBLEM_NONE;
	d->logged[0] = '\0';
	ea_log("siem %s: %s again", d->name,
	       what == PROBLEM_CURSOR ? "the cursor is saved" : "the trail is read");
}

/* Exponential backoff with jitter: uniform in [delay/2, delay]. */
static int64_t backoff_ms(struct feed *d)
{
	uint32_t shift = d->attempt > 16 ? 16 : d->attempt ? d->attempt - 1 : 0;
	int64_t delay = (int64_t)BACKOFF_MS << shift;

	if (delay > d->backoff_cap_ms)
		delay = d->backoff_cap_ms;
	return delay / 2 + rand_r(&d->seed) % (delay / 2 + 1);
}

/* --- the cursor ------------------------------------------------------------------ */

/* The cursor file's seq; 0 when there is none (the whole trail is sent). */
static uint64_t read_cursor(struct feed *d)
{
	char buf[32], *end;
	unsigned long long v;
	ssize_t n;
	int fd = open(d->cursor, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			ea_log("siem %s: %s: %s; sending the trail from its start", d->name,
			       d->cursor, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || errno || (*end && strcmp(end, "\n"))) {
		ea_log("siem %s: %s does not hold a seq; sending the trail from its start",
		       d->name, d->cursor);
		return 0;
	}
	return v;
}

/*
 * Replace the cursor file: a temporary file, synced, renamed over it.
 * 0, or -errno with *failed naming the file that failed.
 */
static int write_cursor(struct feed *d, uint64_t seq, const char **failed)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)seq);
	int fd = open(d->cursor_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err = 0;

	*failed = d->cursor_tmp;
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, buf, (size_t)n) != n || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		return err;
	*failed = d->cursor;
	return rename(d->cursor_tmp, d->cursor) ? -errno : 0;
}

/* Save the cursor when it moved: at most every PERSIST_MS unless now. */
static void persist(struct feed *d, bool now)
{
	int64_t t = mono_ms();
	const char *failed;
	int err;

	if (d->acked == d->saved || (!now && t - d->saved_ms < PERSIST_MS))
		return;
	err = write_cursor(d, d->acked, &failed);
	if (err) {
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "cannot save the cursor: %s: %s", failed,
			 strerror(-err));
		log_problem(d, PROBLEM_CURSOR, msg);
		return;
	}
	d->saved = d->acked;
	d->saved_ms = t;
	problem_solved(d, PROBLEM_CURSOR);
}

/* --- progress ----------------------------------------------------------------------- */

/* The oldest message sent and not yet confirmed. */
static struct sent *fifo_front(struct feed *d)
{
	return &d->fifo[d->fhead];
}

/* Remember a message sent, until the transport confirms it. */
static void fifo_push(struct feed *d, const struct entry *e)
{
	struct sent *s = &d->fifo[(d->fhead + d->fcount) % FIFO_SIZE];

	s->seq = e->seq;
	s->ts = e->ts;
	d->fcount++;
}

/*
 * Move acked over the messages the transport has confirmed: all but its
 * latest unconfirmed ones, and the unselected records up to them.
 */
static void settle(struct feed *d)
{
	size_t unconfirmed = d->conn ? ea_siem_conn_unconfirmed(d->conn) : 0;

	while (d->fcount > unconfirmed) {
		d->fhead = (d->fhead + 1) % FIFO_SIZE;
		d->fcount--;
	}
	d->acked = d->fcount ? fifo_front(d)->seq - 1 : d->done;
}

/* The record time of the first record not delivered, when one is known. */
static int64_t oldest_pending(struct feed *d)
{
	if (d->fcount)
		return fifo_front(d)->ts;
	if (d->pos < d->nbatch)
		return d->batch[d->pos].ts;
	return 0;
}

/* Publish progress for status and heartbeats; idle after a caught-up step. */
static void publish(struct feed *d, bool idle)
{
	int64_t now = mono_ms(), ts;

	if (now - d->head_ms >= HEAD_MS || d->head < d->acked) {
		d->head = ea_follow_head(&d->follow);
		d->head_ms = now;
	}
	if (d->head < d->acked)
		d->head = d->acked;
	ts = oldest_pending(d);
	if (ts)
		d->oldest_ts = ts;
	else if (d->acked >= d->head)
		d->oldest_ts = 0;
	pthread_mutex_lock(&d->owner->lock);
	d->st.acked = d->acked;
	d->st.head = d->head;
	d->st.lag_records = d->head - d->acked;
	ts = d->oldest_ts ? real_ms() - d->oldest_ts / 1000000 : 0;
	d->st.lag_ms = ts > 0 ? (uint64_t)ts : 0;
	d->st.missing = d->follow.missing;
	d->st.idle = idle && !d->fcount && d->acked >= d->head;
	pthread_mutex_unlock(&d->owner->lock);
}

/* --- sending ---------------------------------------------------------------------------- */

/* Read the next records into the batch and format the selected ones. */
static int fill_batch(struct feed *d)
{
	const char *why;
	int r, n;

	d->nbatch = d->pos = d->arena_len = 0;
	while (d->nbatch < BATCH_MAX && ARENA_SIZE - d->arena_len >= EA_SIEM_MSG_MAX) {
		struct entry *e = &d->batch[d->nbatch];

		r = ea_follow_next(&d->follow, &d->rec, &why);
		if (r < 0 && !d->nbatch) {
			char msg[300];

			snprintf(msg, sizeof(msg), "reading the trail after seq %llu: %s",
				 (unsigned long long)d->done, why[0] ? why : strerror(-r));
			log_problem(d, PROBLEM_TRAIL, msg);
			return r;
		}
		if (r >= 0)
			problem_solved(d, PROBLEM_TRAIL);
		if (r <= 0)
			break;
		e->seq = d->rec.seq;
		e->ts = d->rec.ts_ns;
		e->len = 0;
		if (ea_siem_class_of(&d->rec) & d->select) {
			n = ea_siem_format(d->format, &d->rec, d->arena + d->arena_len,
					   ARENA_SIZE - d->arena_len);
			if (n > 0) {
				e->off = (uint32_t)d->arena_len;
				e->len = (uint32_t)n;
				d->arena_len += (size_t)n;
			}
		}
		d->nbatch++;
	}
	return (int)d->nbatch;
}

/* Connect; on failure the batch stays for the next attempt. */
static int open_conn(struct feed *d)
{
	struct ea_err err = { { 0 } };

	if (ea_siem_conn_open(&d->conn, &d->ccfg, &err)) {
		d->attempt++;
		log_failure(d, err.msg);
		return -1;
	}
	if (d->attempt || (d->logged[0] && !d->problem))
		ea_log("siem %s: delivering to %s", d->name, d->target);
	pthread_mutex_lock(&d->owner->lock);
	d->st.connected = true;
	if (!d->problem) {
		d->st.error[0] = '\0';
		d->logged[0] = '\0';
	}
	pthread_mutex_unlock(&d->owner->lock);
	return 0;
}

/*
 * A connection failed: keep what it confirmed on the way, drop it and
 * the rest, and read the trail again from the cursor.
 */
static int broken(struct feed *d, const struct ea_err *err)
{
	settle(d);
	ea_siem_conn_close(d->conn);
	d->conn = NULL;
	d->fcount = 0;
	d->fhead = 0;
	d->nbatch = d->pos = 0;
	d->done = d->acked;
	ea_follow_seek(&d->follow, d->acked + 1);
	d->attempt++;
	log_failure(d, err->msg);
	return -1;
}

/* Add to the published counters of messages. */
static void count_sent(struct feed *d, uint64_t sent, uint64_t dropped)
{
	pthread_mutex_lock(&d->owner->lock);
	d->st.sent += sent;
	d->st.dropped += dropped;
	pthread_mutex_unlock(&d->owner->lock);
}

/* Send the rest of the batch. 1, or -1 after a failure. */
static int send_batch(struct feed *d)
{
	struct ea_err err = { { 0 } };
	uint64_t sent = 0, dropped = 0;
	int r = 0;

	while (d->pos < d->nbatch && !r) {
		const struct entry *e = &d->batch[d->pos];

		if (e->len) {
			if (!d->conn && open_conn(d))
				break;
			r = ea_siem_conn_send(d->conn, d->arena + e->off, e->len, &err);
			if (r == -EMSGSIZE) {
				dropped++;
				r = 0;
			} else if (!r) {
				fifo_push(d, e);
				sent++;
			}
		}
		if (!r) {
			d->done = e->seq;
			d->pos++;
			settle(d);
		}
	}
	if (!r && d->conn && d->pos == d->nbatch) {
		r = ea_siem_conn_push(d->conn, &err);
		if (!r)
			settle(d);
	}
	count_sent(d, sent, dropped);
	if (dropped)
		ea_log("siem %s: %llu messages too large for %s dropped", d->name,
		       (unsigned long long)dropped, ea_siem_proto_name(d->ccfg.target.proto));
	if (r)
		return broken(d, &err);
	if (d->pos < d->nbatch)
		return -1;
	d->attempt = 0;
	return 1;
}

/* Nothing more to read: deliver what was sent and save the cursor. */
static int caught_up(struct feed *d)
{
	struct ea_err err = { { 0 } };

	if (d->fcount && d->conn) {
		if (ea_siem_conn_flush(d->conn, &err))
			return broken(d, &err);
		settle(d);
	}
	d->acked = d->fcount ? d->acked : d->done;
	persist(d, true);
	return 0;
}

/* One step: 1 after progress, 0 when idle, -1 after a failure. */
static int step(struct feed *d)
{
	int r;

	if (d->pos == d->nbatch) {
		r = fill_batch(d);
		if (r < 0)
			return -1;
		if (!r)
			return caught_up(d);
	}
	r = send_batch(d);
	persist(d, false);
	return r;
}

/*
 * At stop: deliver what the trail holds by now (the agent's stop record
 * too), until the grace period runs out; then save the cursor.
 */
static void finish(struct feed *d)
{
	struct ea_err err = { { 0 } };

	while (!__atomic_load_n(&d->owner->abort, __ATOMIC_RELAXED) && step(d) > 0)
		publish(d, false);
	if (d->conn && d->fcount) {
		if (ea_siem_conn_flush(d->conn, &err))	/* the rest goes at the next start */
			log_failure(d, err.msg);
		settle(d);	/* what it confirmed counts either way */
	}
	persist(d, true);
	ea_siem_conn_close(d->conn);
	d->conn = NULL;
	publish(d, false);
}

/* A destination's thread: steps, with pauses when idle or after a failure. */
static void *feed_main(void *arg)
{
	struct feed *d = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!stopping(d)) {
		int r = step(d);

		publish(d, r == 0);
		if (r == 0)
			pause_ms(d, IDLE_MS);
		else if (r < 0)
			pause_ms(d, backoff_ms(d));
	}
	finish(d);
	return NULL;
}

/* --- set-up ---------------------------------------------------------------------------- */

/* Free what feed_init and feed_cursor made; the thread has ended. */
static void feed_free(struct feed *d)
{
	free((char *)d->ccfg.ca);
	free((char *)d->ccfg.cert);
	free((char *)d->ccfg.key);
	free(d->batch);
	free(d->arena);
	free(d->fifo);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->follow.ctx)	/* opened */
		ea_follow_close(&d->follow);
}

/* A copy of s (NULL stays NULL); false when out of memory. */
static bool dup_opt(const char **out, const char *s)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

/*
 * The connection settings of [siem] c that its text gives: the target and
 * the fingerprint (the files are the caller's to set).
 */
static int conn_cfg_of(const struct ea_siem_cfg *c, struct ea_siem_conn_cfg *cc,
		       struct ea_err *err)
{
	const char *why = "";

	if (ea_siem_target_parse(c->target, &cc->target, &why)) {
		ea_err_set(err, "siem %s: target %s: %s", c->name, c->target, why);
		return -EINVAL;
	}
	cc->has_fingerprint = c->has_fingerprint;
	memcpy(cc->fingerprint, c->fingerprint, sizeof(cc->fingerprint));
	return 0;
}

/* The destination's settings, buffers and cursor. */
static int feed_init(struct feed *d, struct ea_siem *s, const struct ea_siem_cfg *c,
		     const char *trail_dir, struct ea_err *err)
{
	int r;

	d->owner = s;
	snprintf(d->name, sizeof(d->name), "%s", c->name);
	snprintf(d->target, sizeof(d->target), "%s", c->target);
	snprintf(d->trail_dir, sizeof(d->trail_dir), "%s", trail_dir);
	d->format = (int)c->format;
	d->select = c->select;
	d->backoff_cap_ms = c->backoff_cap_s * 1000;
	d->seed = (unsigned int)(mono_ms() ^ (intptr_t)d);
	d->follow.dirfd = -1;
	if ((r = conn_cfg_of(c, &d->ccfg, err)))
		return r;
	d->ccfg.timeout_ms = TIMEOUT_MS;
	d->ccfg.abort = &s->abort;
	d->batch = calloc(BATCH_MAX, sizeof(*d->batch));
	d->arena = malloc(ARENA_SIZE);
	d->fifo = calloc(FIFO_SIZE, sizeof(*d->fifo));
	if (!d->batch || !d->arena || !d->fifo || !dup_opt(&d->ccfg.ca, c->ca) ||
	    !dup_opt(&d->ccfg.cert, c->cert) || !dup_opt(&d->ccfg.key, c->key)) {
		ea_err_set(err, "siem %s: out of memory", d->name);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Files the destination needs must be readable and load now (CA,
 * certificate, the key matching it), not fail at every attempt to connect.
 */
static int check_dest_files(const char *name, const struct ea_siem_conn_cfg *cc,
			    struct ea_err *err)
{
	const char *files[] = { cc->ca, cc->cert, cc->key };
	const char *keys[] = { "ca", "cert", "key" };
	struct ea_err why = { { 0 } };
	int r;

	for (int i = 0; i < 3; i++) {
		if (files[i] && access(files[i], R_OK)) {
			r = -errno;
			ea_err_set(err, "siem %s: %s %s: %s", name, keys[i], files[i], strerror(-r));
			return r;
		}
	}
	r = ea_siem_tls_check(cc, &why);
	if (r)
		ea_err_set(err, "siem %s: %s", name, why.msg);
	return r;
}

int ea_siem_check(const struct ea_config *cfg, struct ea_err *err)
{
	for (size_t i = 0; i < cfg->nsiems; i++) {
		const struct ea_siem_cfg *c = &cfg->siems[i];
		struct ea_siem_conn_cfg cc = { .ca = c->ca, .cert = c->cert, .key = c->key };
		int r = conn_cfg_of(c, &cc, err) ?: check_dest_files(c->name, &cc, err);

		if (r)
			return r;
	}
	return 0;
}

/*
 * Hold cursors/.NAME.lock: a second feed of the same destination (the
 * agent and `feed` on one trail) would move the cursor past records only
 * the other one sent.
 */
static int lock_cursor(struct feed *d, const char *dir, struct ea_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%.*s/.%s.lock", PATH_MAX - EA_SIEM_NAME_MAX - 8, dir,
		 d->name);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		ea_err_set(err, "siem %s: %s: %s", d->name, path, strerror(errno));
		return -errno;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		ea_err_set(err, "siem %s: another feed delivers this trail to it (%s is locked)",
			   d->name, path);
		return -EBUSY;
	}
	return 0;
}

/* The cursor directory and the place to follow the trail from. */
static int feed_cursor(struct feed *d, struct ea_err *err)
{
	char dir[PATH_MAX];
	int r;

	if ((size_t)snprintf(dir, sizeof(dir), "%.*s/cursors", PATH_MAX - 16,
			     d->trail_dir) >= sizeof(dir) - EA_SIEM_NAME_MAX - 8) {
		ea_err_set(err, "siem %s: %s: path too long", d->name, d->trail_dir);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ea_err_set(err, "siem %s: %s: %s", d->name, dir, strerror(errno));
		return -errno;
	}
	snprintf(d->cursor, sizeof(d->cursor), "%.*s/%s", PATH_MAX - EA_SIEM_NAME_MAX - 8,
		 dir, d->name);
	snprintf(d->cursor_tmp, sizeof(d->cursor_tmp), "%.*s/.%s.tmp",
		 PATH_MAX - EA_SIEM_NAME_MAX - 8, dir, d->name);
	r = lock_cursor(d, dir, err);
	if (r)
		return r;
	d->acked = d->saved = d->done = read_cursor(d);
	r = ea_follow_open(&d->follow, d->trail_dir, d->acked + 1);
	if (r)
		ea_err_set(err, "siem %s: trail %s: %s", d->name, d->trail_dir, strerror(-r));
	snprintf(d->st.name, sizeof(d->st.name), "%s", d->name);
	snprintf(d->st.target, sizeof(d->st.target), "%s", d->target);
	d->st.acked = d->acked;
	return r;
}

/* The shared state of n feeds, with a clock for timed waits that steps do not move. */
static struct ea_siem *siem_new(size_t n)
{
	struct ea_siem *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s)
		return NULL;
	s->feeds = calloc(n, sizeof(*s->feeds));
	if (!s->feeds) {
		free(s);
		return NULL;
	}
	s->n = n;
	for (size_t i = 0; i < n; i++)
		s->feeds[i].lock_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	return s;
}

/* Check every destination first, then start their threads; all or none. */
int ea_siem_start(struct ea_siem **sp, const struct ea_config *cfg, const char *trail_dir,
		  struct ea_err *err)
{
	struct ea_siem *s;
	int r = 0;

	*sp = NULL;
	if (!cfg->nsiems)
		return 0;
	s = siem_new(cfg->nsiems);
	if (!s) {
		ea_err_set(err, "siem: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n && !r; i++) {
		struct feed *d = &s->feeds[i];

		r = feed_init(d, s, &cfg->siems[i], trail_dir, err) ?:
		    check_dest_files(d->name, &d->ccfg, err) ?: feed_cursor(d, err);
	}
	for (size_t i = 0; i < s->n && !r; i++) {
		struct feed *d = &s->feeds[i];

		r = -pthread_create(&d->thread, NULL, feed_main, d);
		if (r)
			ea_err_set(err, "siem %s: no thread: %s", d->name, strerror(-r));
		d->running = !r;
	}
	if (r) {
		ea_siem_stop(s);
		return r;
	}
	*sp = s;
	return 0;
}

/* How many destinations s feeds (0 for NULL). */
size_t ea_siem_count(const struct ea_siem *s)
{
	return s ? s->n : 0;
}

/* A copy of destination i's published progress. */
void ea_siem_get_stats(struct ea_siem *s, size_t i, struct ea_siem_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->feeds[i].st;
	pthread_mutex_unlock(&s->lock);
}

/* Whether every thread found nothing more and has all it sent delivered. */
bool ea_siem_drained(struct ea_siem *s)
{
	struct ea_siem_stats st;

	for (size_t i = 0; i < ea_siem_count(s); i++) {
		ea_siem_get_stats(s, i, &st);
		if (!st.idle || st.lag_records)
			return false;
	}
	return true;
}

/* Every destination's progress, for status.json. */
void ea_siem_json(struct ea_siem *s, FILE *f)
{
	struct ea_siem_stats st;

	fputc('[', f);
	for (size_t i = 0; i < ea_siem_count(s); i++) {
		ea_siem_get_stats(s, i, &st);
		fprintf(f, "%s{\"name\":\"%s\",\"target\":", i ? "," : "", st.name);
		ea_json_str(f, st.target);
		fprintf(f, ",\"connected\":%s,\"acked\":%llu,\"head\":%llu,"
			"\"lag_records\":%llu,\"lag_seconds\":%.3f,\"sent\":%llu,"
			"\"failures\":%llu,\"dropped\":%llu,\"missing\":%llu,\"error\":",
			st.connected ? "true" : "false", (unsigned long long)st.acked,
			(unsigned long long)st.head, (unsigned long long)st.lag_records,
			(double)st.lag_ms / 1000, (unsigned long long)st.sent,
			(unsigned long long)st.failures, (unsigned long long)st.dropped,
			(unsigned long long)st.missing);
		if (st.error[0])
			ea_json_str(f, st.error);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputc(']', f);
}

/* One family of the destinations' metrics, the value taken by field. */
enum siem_metric {
	SIEM_CONNECTED, SIEM_ACKED, SIEM_LAG_RECORDS, SIEM_LAG_SECONDS, SIEM_SENT,
	SIEM_FAILURES, SIEM_DROPPED, SIEM_MISSING, SIEM_METRICS,
};

static double siem_metric(const struct ea_siem_stats *st, enum siem_metric m)
{
	switch (m) {
	case SIEM_CONNECTED: return st->connected;
	case SIEM_ACKED: return (double)st->acked;
	case SIEM_LAG_RECORDS: return (double)st->lag_records;
	case SIEM_LAG_SECONDS: return (double)st->lag_ms / 1000;
	case SIEM_SENT: return (double)st->sent;
	case SIEM_FAILURES: return (double)st->failures;
	case SIEM_DROPPED: return (double)st->dropped;
	default: return (double)st->missing;
	}
}

void ea_siem_prom(struct ea_siem *s, struct ea_sbuf *b)
{
	static const struct {
		const char *name, *help;
		enum ea_prom_type type;
	} fam[SIEM_METRICS] = {
		[SIEM_CONNECTED] = { "egress_audit_siem_connected",
				     "Whether the destination is connected (1) or not (0).",
				     EA_PROM_GAUGE },
		[SIEM_ACKED] = { "egress_audit_siem_acked_seq",
				 "The trail's last seq the destination acknowledged (its cursor).",
				 EA_PROM_GAUGE },
		[SIEM_LAG_RECORDS] = { "egress_audit_siem_lag_records",
				       "Records of the trail not yet delivered to the destination.",
				       EA_PROM_GAUGE },
		[SIEM_LAG_SECONDS] = { "egress_audit_siem_lag_seconds",
				       "Age of the oldest record not yet delivered.",
				       EA_PROM_GAUGE },
		[SIEM_SENT] = { "egress_audit_siem_sent_total",
				"Messages sent to the destination, resent ones too.",
				EA_PROM_COUNTER },
		[SIEM_FAILURES] = { "egress_audit_siem_failures_total",
				    "Connections or sends to the destination that failed.",
				    EA_PROM_COUNTER },
		[SIEM_DROPPED] = { "egress_audit_siem_dropped_total",
				   "Messages too large for the destination's transport.",
				   EA_PROM_COUNTER },
		[SIEM_MISSING] = { "egress_audit_siem_missing_total",
				   "Records deleted from the trail before they were delivered.",
				   EA_PROM_COUNTER },
	};
	size_t n = ea_siem_count(s);
	struct ea_siem_stats *st = calloc(n ? n : 1, sizeof(*st));

	if (!st)
		return;
	for (size_t i = 0; i < n; i++)
		ea_siem_get_stats(s, i, &st[i]);
	for (int m = 0; m < SIEM_METRICS; m++) {
		ea_prom_family(b, fam[m].name, fam[m].type, fam[m].help);
		for (size_t i = 0; i < n; i++)
			ea_prom_double(b, fam[m].name,
				       (const char *[]){ "destination", st[i].name, NULL },
				       siem_metric(&st[i], (enum siem_metric)m));
	}
	free(st);
}

/* The lags by name into buf; its length, or -ENOSPC. */
int ea_siem_lag_json(struct ea_siem *s, char *buf, size_t size)
{
	struct ea_siem_stats st;
	size_t n = 0;

	n += (size_t)snprintf(buf, size, "{");
	for (size_t i = 0; i < ea_siem_count(s) && n < size; i++) {
		ea_siem_get_stats(s, i, &st);
		n += (size_t)snprintf(buf + n, size - n,
				      "%s\"%s\":{\"acked\":%llu,\"lag_records\":%llu,"
				      "\"lag_seconds\":%.3f}", i ? "," : "", st.name,
				      (unsigned long long)st.acked,
				      (unsigned long long)st.lag_records,
				      (double)st.lag_ms / 1000);
	}
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "}");
	return n < size ? (int)n : -ENOSPC;
}

/* Wait for a thread until deadline (monotonic ms); false if it is still running. */
static bool join_by(struct feed *d, int64_t deadline)
{
	struct timespec ts;
	int64_t left = deadline - mono_ms();

	clock_gettime(CLOCK_REALTIME, &ts);
	if (left < 0)
		left = 0;
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return !pthread_timedjoin_np(d->thread, NULL, &ts);
}

/*
 * Threads still running after the abort and its grace: each is named and
 * left as it is, with s and all it uses (freeing them under a running
 * thread would be worse than the leak); the process is about to end.
 */
static void stop_stuck(struct ea_siem *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->feeds[i].running)
			ea_log("siem %s: the feed did not end within %d s of the stop; "
			       "its cursor may be behind what was delivered", s->feeds[i].name,
			       (STOP_GRACE_MS + ABORT_GRACE_MS) / 1000);
}

/*
 * Stop the threads (abort their waits after the grace period) and free s;
 * s stays allocated when a thread does not end even then. The abort's
 * grace is one deadline for all threads, so that the stop takes at most
 * STOP_GRACE_MS + ABORT_GRACE_MS however many are stuck. The number of
 * threads left running.
 */
size_t ea_siem_stop(struct ea_siem *s)
{
	int64_t deadline = mono_ms() + STOP_GRACE_MS;
	bool abort_set = false;
	size_t stuck = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		struct feed *d = &s->feeds[i];

		if (d->running && !join_by(d, deadline)) {
			if (!abort_set) {
				__atomic_store_n(&s->abort, 1, __ATOMIC_RELAXED);
				deadline = mono_ms() + ABORT_GRACE_MS;
				abort_set = true;
			}
			if (!join_by(d, deadline)) {
				stuck++;
				continue;
			}
		}
		d->running = false;
	}
	if (stuck) {
		stop_stuck(s);
		return stuck;
	}
	for (size_t i = 0; i < s->n; i++)
		feed_free(&s->feeds[i]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->feeds);
	free(s);
	return 0;
}
