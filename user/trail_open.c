// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Opening the trail: directories and key pair, then recovery. The last
 * segment is checked block by block and record by record; what follows
 * the last good block (a torn tail after a crash) is copied aside and cut
 * off, and a repair record says so. Segments and indexes are created
 * through a temporary file and a rename, so a name always means a whole
 * header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rec_codec.h"
#include "trail_priv.h"
#include "trail_read.h"
#include "util.h"

/* Write all of buf to fd. 0 or -errno. */
static int write_all(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const uint8_t *)buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return 0;
}

void ea_trail_sync_dir(struct ea_trail *t)
{
	if (t->o.flush == EA_FLUSH_SYNC)
		fsync(t->dirfd);
}

/* Write buf to name in the trail directory through name.tmp and a rename. */
static int write_file(struct ea_trail *t, const char *name, const void *buf, size_t n,
		      int *keep_fd)
{
	char tmp[64];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(t->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, n);
	if (!err && t->o.flush >= EA_FLUSH_DATA && fsync(fd))
		err = -errno;
	if (!err && renameat(t->dirfd, tmp, t->dirfd, name))
		err = -errno;
	if (err) {
		unlinkat(t->dirfd, tmp, 0);
		close(fd);
		return err;
	}
	ea_trail_sync_dir(t);
	if (keep_fd)
		*keep_fd = fd;
	else
		close(fd);
	return 0;
}

int ea_trail_new_segment(struct ea_trail *t)
{
	struct ea_seg_hdr h = { .first_seq = t->next_seq, .created_ns = ea_trail_now() };
	char name[EA_SEG_NAME_LEN + 1];
	uint8_t buf[EA_SEG_HDR_MAX];
	size_t n;
	int err;

	/*
	 * It starts at the first record not yet on disk: a segment made at a
	 * write, after one made at rotation failed, has the block kept for it
	 * (and maybe one being built) before next_seq.
	 */
	memcpy(h.chain, t->chain, EA_CHAIN_LEN);
	if (t->pending) {
		h.first_seq = t->out_blk.first_seq;
		memcpy(h.chain, t->out_blk.chain, EA_CHAIN_LEN);
	} else if (t->blk.count) {
		h.first_seq = t->blk.first_seq;
		memcpy(h.chain, t->blk.chain, EA_CHAIN_LEN);
	}
	snprintf(h.host, sizeof(h.host), "%s", t->host);
	n = ea_seg_hdr_put(buf, &h);
	ea_seg_name(name, h.first_seq, "eat");
	if (!faccessat(t->dirfd, name, F_OK, 0))
		return -EEXIST;
	err = write_file(t, name, buf, n, &t->fd);
	if (err) {
		ea_log("trail: %s/%s: %s", t->dir, name, strerror(-err));
		return err;
	}
	t->seg = h;
	t->seg_size = n;
	t->seg_blocks = 0;
	t->seg_has_records = false;
	return 0;
}

int ea_trail_write_idx(struct ea_trail *t, uint64_t first_seq, const struct ea_seg_idx *x)
{
	char name[EA_SEG_NAME_LEN + 1];
	uint8_t buf[EA_IDX_LEN];

	ea_idx_put(buf, x);
	ea_seg_name(name, first_seq, "idx");
	return write_file(t, name, buf, sizeof(buf), NULL);
}

/* Chain the records of the loaded block from *chain; their last kind. */
static int chain_block(struct ea_trail *t, struct ea_seg_reader *s,
		       uint8_t chain[EA_CHAIN_LEN], uint32_t *last_kind, const char **why)
{
	const uint8_t *rec;
	size_t len;
	int r;

	while ((r = ea_seg_next_record(s, &rec, &len, why)) == 1) {
		if (ea_rec_decode(s->ctx, rec, len, &t->scratch, why))
			return -EINVAL;
		ea_chain_next(chain, rec, len);
		*last_kind = t->scratch.kind;
	}
	return r;
}

/*
 * Walk the blocks of an open segment while they check out; fills the
 * segment state of t and returns the offset where the good part ends.
 */
static uint64_t walk_good(struct ea_trail *t, struct ea_seg_reader *s, const char **why)
{
	uint64_t good = s->off, seq = s->hdr.first_seq;
	uint8_t chain[EA_CHAIN_LEN];

	memcpy(chain, s->hdr.chain, EA_CHAIN_LEN);
	t->seg_blocks = 0;
	t->seg_has_records = false;
	while (ea_seg_next_block(s, why) == 1) {
		if (s->blk.first_seq != seq || memcmp(s->blk.chain, chain, EA_CHAIN_LEN)) {
			*why = "block out of sequence";
			break;
		}
		if (ea_seg_load_block(s, why) || chain_block(t, s, chain, &t->last_kind, why))
			break;
		if (!t->seg_has_records || s->blk.min_ts < t->seg_min)
			t->seg_min = s->blk.min_ts;
		if (!t->seg_has_records || s->blk.max_ts > t->seg_max)
			t->seg_max = s->blk.max_ts;
		t->seg_has_records = true;
		t->seg_blocks++;
		seq += s->blk.count;
		good = s->off;
	}
	t->next_seq = seq;
	memcpy(t->chain, chain, EA_CHAIN_LEN);
	return good;
}

/* Copy [off, size) of segment name aside to name.cut-OFF, then cut it. */
static int cut_tail(struct ea_trail *t, const char *name, uint64_t off, uint64_t size,
		    const char *why)
{
	char saved[64];
	uint8_t buf[65536];
	int in, out, err = 0;

	snprintf(saved, sizeof(saved), "%.24s.cut-%llu", name, (unsigned long long)off);
	in = openat(t->dirfd, name, O_RDWR | O_CLOEXEC);
	out = openat(t->dirfd, saved, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	for (uint64_t p = off; !err && in >= 0 && out >= 0 && p < size;) {
		ssize_t n = pread(in, buf, sizeof(buf), (off_t)p);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;	/* the copy must hold all that is cut */
		if (n <= 0)
			break;
		err = write_all(out, buf, (size_t)n);
		p += (uint64_t)n;
	}
	/* the copy, and its name, on disk before the cut */
	if (!err && (in < 0 || out < 0 || fsync(out) || fsync(t->dirfd) ||
		     ftruncate(in, (off_t)off) || fsync(in)))
		err = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (err)
		return err;
	ea_log("trail: %s/%s: %s at offset %llu: cut %llu bytes (kept in %s)", t->dir, name,
	       why, (unsigned long long)off, (unsigned long long)(size - off), saved);
	if (t->nrepairs < 2)
		snprintf(t->repairs[t->nrepairs++], sizeof(t->repairs[0]),
			 "{\"segment\":\"%s\",\"offset\":%llu,\"bytes\":%llu,\"saved\":\"%s\"}",
			 name, (unsigned long long)off, (unsigned long long)(size - off), saved);
	return 0;
}

/*
 * Make segment seq the current one, cutting what follows its good part.
 * -EAGAIN when even its header is bad (then it was set aside whole).
 */
static int resume_segment(struct ea_trail *t, uint64_t seq, struct ea_err *err)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_reader s;
	const char *why = "unreadable";
	uint64_t good, size;
	int r;

	ea_seg_name(name, seq, "eat");
	r = ea_seg_open(&s, t->dirfd, name, &why);
	if (r == -EINVAL || r == -ENODATA || (!r && s.hdr.first_seq != seq)) {
		size = r ? 0 : s.size;
		if (!r)
			ea_seg_close(&s);
		r = cut_tail(t, name, 0, size, "bad segment header");
		if (!r && unlinkat(t->dirfd, name, 0))
			r = -errno;
		if (r)
			ea_err_set(err, "%s/%s: setting a bad segment aside: %s", t->dir, name,
				   strerror(-r));
		return r ? r : -EAGAIN;
	}
	if (r) {
		ea_err_set(err, "%s/%s: %s: %s", t->dir, name, why, strerror(-r));
		return r;
	}
	if (strcmp(s.hdr.host, t->host)) {
		ea_err_set(err, "%s/%s: segment of host '%s', not '%s'", t->dir, name,
			   s.hdr.host, t->host);
		ea_seg_close(&s);
		return -EINVAL;
	}
	t->seg = s.hdr;
	good = walk_good(t, &s, &why);
	size = s.size;
	ea_seg_close(&s);
	t->seg_size = good;
	if (good < size && (r = cut_tail(t, name, good, size, why))) {
		ea_err_set(err, "%s/%s: cutting a torn tail: %s", t->dir, name, strerror(-r));
		return r;
	}
	t->fd = openat(t->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (t->fd < 0) {
		ea_err_set(err, "%s/%s: %s", t->dir, name, strerror(errno));
		return -errno;
	}
	ea_seg_name(name, seq, "idx");
	unlinkat(t->dirfd, name, 0);
	return 0;
}

/* Build the index of segment first_seq from its blocks. */
int ea_trail_scan_idx(struct ea_trail *t, uint64_t first_seq, struct ea_seg_idx *x)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_reader s;
	const char *why;
	uint64_t last_blk = 0;
	uint32_t kind = 0;
	int r;

	ea_seg_name(name, first_seq, "eat");
	if ((r = ea_seg_open(&s, t->dirfd, name, &why)))
		return r;
	memset(x, 0, sizeof(*x));
	x->first_seq = s.hdr.first_seq;
	x->last_seq = s.hdr.first_seq - 1;
	memcpy(x->end_chain, s.hdr.chain, EA_CHAIN_LEN);
	while ((r = ea_seg_next_block(&s, &why)) == 1) {
		x->min_ts = !x->nblocks || s.blk.min_ts < x->min_ts ? s.blk.min_ts : x->min_ts;
		x->max_ts = !x->nblocks || s.blk.max_ts > x->max_ts ? s.blk.max_ts : x->max_ts;
		x->nblocks++;
		x->last_seq = s.blk.first_seq + s.blk.count - 1;
		last_blk = s.blk_off;
	}
	x->size = s.off;
	if (!r && x->nblocks) {
		s.off = last_blk;
		memcpy(x->end_chain, s.blk.chain, EA_CHAIN_LEN);
		r = ea_seg_next_block(&s, &why) == 1 ? ea_seg_load_block(&s, &why) : -EINVAL;
		if (!r)
			r = chain_block(t, &s, x->end_chain, &kind, &why);
	}
	ea_seg_close(&s);
	return r;
}

/* Closed segments whose index is missing or damaged get a new one. */
static void rebuild_indexes(struct ea_trail *t, const struct ea_seg_list *l)
{
	struct ea_seg_idx x;
	const char *why;

	for (size_t i = 0; i + 1 < l->n; i++) {
		if (l->seq[i] >= t->seg.first_seq)
			break;
		if (!ea_idx_read(t->dirfd, l->seq[i], &x, &why))
			continue;
		if (!ea_trail_scan_idx(t, l->seq[i], &x))
			ea_trail_write_idx(t, l->seq[i], &x);
	}
}

int ea_trail_recover(struct ea_trail *t, struct ea_err *err)
{
	struct ea_seg_list l;
	int r = ea_seg_list(t->dirfd, &l);

	if (r) {
		ea_err_set(err, "%s: %s", t->dir, strerror(-r));
		return r;
	}
	r = -EAGAIN;
	while (l.n && r == -EAGAIN) {
		r = resume_segment(t, l.seq[l.n - 1], err);
		if (r == -EAGAIN)
			l.n--;
	}
	if (r == -EAGAIN) {
		t->next_seq = 1;
		memset(t->chain, 0, EA_CHAIN_LEN);
		r = ea_trail_new_segment(t);
		if (r)
			ea_err_set(err, "%s: creating the first segment: %s", t->dir,
				   strerror(-r));
	}
	if (!r)
		rebuild_indexes(t, &l);
	ea_seg_list_free(&l);
	return r;
}

_Static_assert(EA_HOST_NAME_MAX < EA_REC_HOST_MAX, "a host name fits a record");

/* mkdir 0700; an existing directory keeps its mode unless ours is set. */
static int make_dir(const char *path, bool ours, struct ea_err *err)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		ea_err_set(err, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (ours && chmod(path, 0700)) {
		ea_err_set(err, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The signing key's path: [agent] key_file, or host.key in the log directory. */
static void key_path(char *key, size_t size, const struct ea_trail_opts *o,
		     const char *log_dir)
{
	if (o->key_file)
		snprintf(key, size, "%s", o->key_file);
	else
		snprintf(key, size, "%s/host.key", log_dir);
}

/*
 * The trail's directory, log_dir/host, into dir (PATH_MAX), with room
 * for the names of its files. 0, or -errno with err saying why not.
 */
static int trail_dir_of(const struct ea_trail_opts *o, char *dir, struct ea_err *err)
{
	if (!o->log_dir || !o->host || !ea_host_name_ok(o->host)) {
		ea_err_set(err, "trail: bad log directory or host name '%s'", o->host ? o->host : "");
		return -EINVAL;
	}
	if ((size_t)snprintf(dir, PATH_MAX, "%s/%s", o->log_dir, o->host) >= PATH_MAX - 32) {
		ea_err_set(err, "%s: %s", o->log_dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * The pid that holds a flock() on the file (dev, ino), from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"); 0 when not found.
 */
static long flock_holder(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256], type[16];
	unsigned long long i;
	unsigned int maj, min;
	long pid = 0, p;

	while (f && !pid && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &p, &maj, &min, &i) == 5 &&
		    !strcmp(type, "FLOCK") && maj == major(dev) && min == minor(dev) && i == ino)
			pid = p;
	if (f)
		fclose(f);
	return pid;
}

/*
 * One writer per trail: two would interleave their blocks and break each
 * other's chain. The writer holds a flock() on the trail's directory,
 * which the kernel drops when the descriptor closes, also when the writer
 * is killed; nothing is added to the directory. A file system that takes
 * no such lock on a directory (NFS) leaves the trail unlocked: the agent
 * says so (ea_trail_lock_errno).
 */
static int take_writer_lock(struct ea_trail *t, struct ea_err *err)
{
	char who[40] = "";
	struct stat st;
	long pid = 0;
	dev_t dev;

	if (!flock(t->dirfd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno == EBADF || errno == ENOLCK || errno == EOPNOTSUPP || errno == EINVAL) {
		t->lock_errno = errno;
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		ea_err_set(err, "%s: lock: %s", t->dir, strerror(errno));
		return -errno;
	}
	if (!fstat(t->dirfd, &st) && !ea_sb_dev(t->dir, &dev))
		pid = flock_holder(dev, st.st_ino);
	if (pid > 0)	/* 0: in another pid namespace, or hidden */
		snprintf(who, sizeof(who), " (pid %ld)", pid);
	ea_err_set(err, "%s: the trail is being written by another process%s; "
		   "a second agent needs its own [agent] log_dir or hostname", t->dir, who);
	return -EBUSY;
}

/* Options, buffers, compressor, directories, writer lock and key. */
static int init(struct ea_trail *t, const struct ea_trail_opts *o, struct ea_err *err)
{
	char key[PATH_MAX + 16], pub[PATH_MAX + 16];
	int r;

	t->o = *o;
	if ((r = trail_dir_of(o, t->dir, err)))
		return r;
	snprintf(t->host, sizeof(t->host), "%s", o->host);
	snprintf(t->log_dir, sizeof(t->log_dir), "%s", o->log_dir);
	t->block_size = o->block_size ? o->block_size : EA_TRAIL_BLOCK_DEFAULT;
	if (t->block_size > EA_BLK_RAW_MAX - EA_REC_ENC_MAX - 8)
		t->block_size = EA_BLK_RAW_MAX - EA_REC_ENC_MAX - 8;
	t->raw_cap = t->block_size + EA_REC_ENC_MAX + 8;
	t->raw = malloc(t->raw_cap);
	t->out = malloc(EA_BLK_HDR_LEN + EA_BLK_COMP_MAX);
	t->ctx = malloc(sizeof(*t->ctx));
	if (t->ctx)
		ea_rec_ctx_init(t->ctx);
	/* raw DEFLATE at level 1, a whole block in one call (README, "The
	 * audit trail", has the writer's rate) */
	t->zc = libdeflate_alloc_compressor(1);
	if (!t->raw || !t->out || !t->ctx || !t->zc) {
		ea_err_set(err, "trail: out of memory");
		return -ENOMEM;
	}
	if (libdeflate_deflate_compress_bound(t->zc, t->raw_cap) > EA_BLK_COMP_MAX) {
		ea_err_set(err, "trail: a block of %zu bytes may not compress into %u",
			   t->raw_cap, EA_BLK_COMP_MAX);
		return -EINVAL;
	}
	if ((r = make_dir(t->log_dir, false, err)) || (r = make_dir(t->dir, true, err)))
		return r;
	t->dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		ea_err_set(err, "%s: %s", t->dir, strerror(errno));
		return -errno;
	}
	if ((r = take_writer_lock(t, err)))
		return r;
	key_path(key, sizeof(key), o, t->log_dir);
	snprintf(pub, sizeof(pub), "%s/host.pub", t->log_dir);
	return ea_key_load_or_create(key, pub, &t->key, err);
}

/* 0 when dir is a directory files can be made in, else the errno. */
static int dir_errno(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	return access(dir, W_OK | X_OK) ? errno : 0;
}

/*
 * The errno mkdir(path) would fail with, without making it: 0 when path
 * exists (make_dir goes on) or could be made in its parent.
 */
static int mkdir_errno(const char *path)
{
	char parent[PATH_MAX];
	struct stat st;

	if (!stat(path, &st))
		return 0;
	if (errno != ENOENT)
		return errno;
	ea_parent_dir(path, parent);
	return dir_errno(parent);
}

static int check_fail(struct ea_err *err, const char *path, int e)
{
	ea_err_set(err, "%s: %s", path, strerror(e));
	return -e;
}

/*
 * The steps of init, each as it would fail: make_dir(log_dir), then
 * make_dir(dir) and its files, the key loaded or written, then host.pub
 * written in log_dir. Each failure names the path init's would name.
 */
int ea_trail_check(const struct ea_trail_opts *o, char *key, bool *key_absent,
		   struct ea_err *err)
{
	char dir[PATH_MAX], pub[PATH_MAX + 16], key_dir[PATH_MAX];
	bool log_dir_new;
	int r, e;

	if ((r = trail_dir_of(o, dir, err)))
		return r;
	key_path(key, PATH_MAX, o, o->log_dir);
	log_dir_new = access(o->log_dir, F_OK) != 0;
	if ((e = mkdir_errno(o->log_dir)))
		return check_fail(err, o->log_dir, e);
	/* in a log directory made now, the rest can be made too */
	if (!log_dir_new && ((e = mkdir_errno(dir)) ||
			     (!access(dir, F_OK) && (e = dir_errno(dir)))))
		return check_fail(err, dir, e);
	if ((r = ea_key_check(key, key_absent, err)))
		return r;
	if (*key_absent && o->key_file) {
		ea_parent_dir(key, key_dir);
		if ((e = dir_errno(key_dir)))
			return check_fail(err, key, e);
	}
	snprintf(pub, sizeof(pub), "%s/host.pub", o->log_dir);
	if (!log_dir_new && (e = dir_errno(o->log_dir)))
		return check_fail(err, *key_absent && !o->key_file ? key : pub, e);
	return 0;
}

int ea_trail_open(struct ea_trail **tp, const struct ea_trail_opts *o, struct ea_err *err)
{
	struct ea_trail *t = calloc(1, sizeof(*t));
	int r;

	*tp = NULL;
	if (!t) {
		ea_err_set(err, "trail: out of memory");
		return -ENOMEM;
	}
	t->fd = t->dirfd = -1;
	r = init(t, o, err);
	if (!r)
		r = ea_trail_recover(t, err);
	if (r) {
		ea_trail_free(t);
		return r;
	}
	t->last_flush_ns = t->last_checkpoint_ns = t->last_retain_ns = ea_trail_now();
	for (int i = 0; i < t->nrepairs; i++)
		ea_trail_append_own(t, EA_REC_REPAIR, t->repairs[i]);
	if (t->nrepairs)
		ea_trail_flush(t);
	*tp = t;
	return 0;
}
