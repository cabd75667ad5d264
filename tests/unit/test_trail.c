// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the trail writer and reader (user/trail*.c): records come
 * back as written, in order, chained; reopening continues the chain; a torn
 * tail is repaired; rotation, indexes, checkpoints, flush modes, retention
 * and a full disk behave as trail.h says; ea_trail_check finds what opening
 * needs without making anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rec_test_util.h"
#include "siem_follow.h"
#include "trail_fmt.h"
#include "trail_key.h"
#include "trail_read.h"
#include "trail_test_util.h"

#define NS	1000000000ll

static struct ea_rec rec, want;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* Names in dir ending in ext (".eat"), sorted; returns how many. */
static size_t list_ext(const char *dir, const char *ext, char names[][64], size_t max)
{
	struct dirent **de;
	int n = scandir(dir, &de, NULL, alphasort);
	size_t k = 0;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(de[i]->d_name), el = strlen(ext);

		if (len > el && !strcmp(de[i]->d_name + len - el, ext) && k < max)
			snprintf(names[k++], 64, "%s", de[i]->d_name);
		free(de[i]);
	}
	free(de);
	return k;
}

static off_t file_size(const char *dir, const char *name)
{
	char path[1200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void assert_intact(const char *dir)
{
	const char *what;

	if (tt_verify(dir, &what))
		fail_msg("verify: %s", what);
}

static struct ea_trail *open_trail(const struct ea_trail_opts *o)
{
	struct ea_err err = { { 0 } };
	struct ea_trail *t;

	if (ea_trail_open(&t, o, &err))
		fail_msg("open: %s", err.msg);
	return t;
}

/* Written records come back in order with gap-free seqs and their fields. */
static void test_write_read(void **state)
{
	char *log = tt_tmpdir();
	struct ea_trail_opts o;
	struct ea_synth s;
	struct ea_rec *v;
	size_t n, k = 0;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 11, 3000);
	assert_intact(tt_trail_dir(log));
	n = tt_read_all(tt_trail_dir(log), NULL, &v);
	assert_int_equal(n, 3001);	/* and the closing checkpoint */
	ea_synth_init(&s, 11, TT_HOST, TT_START_NS, &want);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].seq, i + 1);
		if (v[i].kind == EA_REC_CHECKPOINT)
			continue;
		ea_synth_next(&s, &want);
		assert_int_equal(v[i].kind, want.kind);
		assert_int_equal(v[i].ts_ns, want.ts_ns);
		assert_int_equal(v[i].bytes, want.bytes);
		assert_string_equal(v[i].comm, want.comm);
		assert_memory_equal(v[i].dst, want.dst, 16);
		k++;
	}
	assert_int_equal(k, 3000);
	assert_int_equal(v[n - 1].kind, EA_REC_CHECKPOINT);
	free(v);
	tt_rmdir(log);
}

/* Directory 0700, files 0600. */
static void test_modes(void **state)
{
	char *log = tt_tmpdir(), path[600], names[8][64];
	struct ea_trail_opts o;
	struct stat st;
	size_t n;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 1, 10);
	assert_int_equal(stat(tt_trail_dir(log), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	n = list_ext(tt_trail_dir(log), ".eat", names, 8);
	assert_int_equal(n, 1);
	snprintf(path, sizeof(path), "%s/%s", tt_trail_dir(log), names[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/host.key", log);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tt_rmdir(log);
}

/* A second run continues seq and chain; the chain matches what append said. */
static void test_reopen(void **state)
{
	char *log = tt_tmpdir();
	struct ea_trail_opts o;
	struct ea_trail *t;
	struct ea_synth s;
	struct ea_rec *v;
	uint8_t chain[32];
	uint64_t seq;
	size_t n;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 1, 500);
	t = open_trail(&o);
	ea_synth_init(&s, 2, TT_HOST, TT_START_NS + 3600 * NS, &rec);
	seq = tt_append(t, &s, &rec, 100);
	assert_int_equal(seq, 501 + 100);	/* after the first run's checkpoint */
	memcpy(chain, rec.chain, 32);
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(tt_trail_dir(log));
	n = tt_read_all(tt_trail_dir(log), NULL, &v);
	assert_int_equal(n, 602);
	assert_int_equal(v[seq - 1].seq, seq);
	assert_memory_equal(v[seq - 1].chain, chain, 32);
	free(v);
	tt_rmdir(log);
}

/*
 * One writer per trail: a second open is refused, naming the holder's pid,
 * and changes nothing; once the first closes (or its process dies, which
 * closes it), the trail opens again and goes on from where it was.
 */
static void test_one_writer(void **state)
{
	char *log = tt_tmpdir(), want[64];
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t, *second = NULL;
	struct ea_synth s;
	pid_t child;
	int status;

	(void)state;
	tt_opts(&o, log);
	t = open_trail(&o);
	ea_synth_init(&s, 3, TT_HOST, TT_START_NS, &rec);
	tt_append(t, &s, &rec, 10);
	assert_int_equal(ea_trail_open(&second, &o, &err), -EBUSY);
	assert_null(second);
	snprintf(want, sizeof(want), "another process (pid %d)", (int)getpid());
	assert_non_null(strstr(err.msg, tt_trail_dir(log)));
	assert_non_null(strstr(err.msg, want));
	assert_int_equal(ea_trail_close(t), 0);

	/* a writer killed while it holds the trail leaves no lock behind */
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		struct ea_err e = { { 0 } };

		if (ea_trail_open(&t, &o, &e))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	t = open_trail(&o);
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(tt_trail_dir(log));
	tt_rmdir(log);
}

/* Cut the last segment at off, reopen: a repair record, and intact. */
static void repair_at(const struct ea_trail_opts *o, const char *seg, off_t off, off_t size)
{
	const char *dir = tt_trail_dir(o->log_dir);
	char path[600];
	struct ea_trail *t;
	unsigned long long at, cut;
	struct ea_rec *v;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, seg);
	assert_int_equal(truncate(path, off), 0);
	t = open_trail(o);
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(dir);
	n = tt_read_all(dir, NULL, &v);
	assert_true(n >= 2);
	assert_int_equal(v[n - 2].kind, EA_REC_REPAIR);
	assert_non_null(strstr(v[n - 2].detail, "\"bytes\":"));
	assert_int_equal(sscanf(v[n - 2].detail, "{\"segment\":\"%*[^\"]\",\"offset\":%llu,"
				"\"bytes\":%llu", &at, &cut), 2);
	assert_int_equal(at + cut, off);
	snprintf(path, sizeof(path), "seg-00000000000000000001.cut-%llu", at);
	assert_int_equal(file_size(dir, path), cut);
	free(v);
}

static void test_repair(void **state)
{
	char *log = tt_tmpdir(), names[8][64];
	struct ea_trail_opts o;
	off_t size;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 5, 2000);
	assert_int_equal(list_ext(tt_trail_dir(log), ".eat", names, 8), 1);
	size = file_size(tt_trail_dir(log), names[0]);
	repair_at(&o, names[0], size - 1, size);
	size = file_size(tt_trail_dir(log), names[0]);
	repair_at(&o, names[0], size - 100, size);
	size = file_size(tt_trail_dir(log), names[0]);
	repair_at(&o, names[0], size / 2, size);
	tt_rmdir(log);
}

/* Bytes of n files of dir. */
static uint64_t files_bytes(const char *dir, char names[][64], size_t n)
{
	char path[600];
	uint64_t sum = 0;
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(stat(path, &st), 0);
		sum += (uint64_t)st.st_size;
	}
	return sum;
}

/* Rotation by size: closed segments end with a checkpoint and have an
 * index that matches them; a lost index comes back. */
static void test_rotation_index(void **state)
{
	char *log = tt_tmpdir(), segs[64][64], idx[64][64], path[600];
	const char *dir, *why;
	struct ea_seg_idx a, b;
	struct ea_trail_opts o;
	struct ea_trail *t;
	size_t ns, ni;
	int dfd;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	tt_write(&o, 9, 6000);
	dir = tt_trail_dir(log);
	assert_intact(dir);
	ns = list_ext(dir, ".eat", segs, 64);
	ni = list_ext(dir, ".idx", idx, 64);
	assert_true(ns >= 4);
	assert_int_equal(ni, ns - 1);
	assert_int_equal(ea_trail_bytes(dir), files_bytes(dir, segs, ns) + files_bytes(dir, idx, ni));
	snprintf(path, sizeof(path), "%s/none", log);
	assert_int_equal(ea_trail_bytes(path), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(ea_idx_read(dfd, strtoull(segs[1] + 4, NULL, 10), &a, &why), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, idx[1]);
	assert_int_equal(unlink(path), 0);
	t = open_trail(&o);
	assert_int_equal(ea_trail_close(t), 0);
	assert_int_equal(ea_idx_read(dfd, strtoull(segs[1] + 4, NULL, 10), &b, &why), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	close(dfd);
	assert_intact(dir);
	tt_rmdir(log);
}

/* Rotation by age, from the tick's clock. */
static void test_rotation_age(void **state)
{
	char *log = tt_tmpdir(), segs[8][64];
	struct ea_trail_opts o;
	struct ea_trail *t;
	struct ea_synth s;

	(void)state;
	tt_opts(&o, log);
	o.rotate_age_s = 3600;
	t = open_trail(&o);
	ea_synth_init(&s, 4, TT_HOST, TT_START_NS, &rec);
	tt_append(t, &s, &rec, 50);
	ea_trail_tick(t, now_ns() + 10 * NS);
	assert_int_equal(list_ext(tt_trail_dir(log), ".eat", segs, 8), 1);
	ea_trail_tick(t, now_ns() + 3601 * NS);
	assert_int_equal(list_ext(tt_trail_dir(log), ".eat", segs, 8), 2);
	tt_append(t, &s, &rec, 50);
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(tt_trail_dir(log));
	tt_rmdir(log);
}

/* Checkpoints sign (seq, chain, time) of the record before them. */
static void test_checkpoint(void **state)
{
	char *log = tt_tmpdir(), pub[600];
	struct ea_checkpoint cp;
	struct ea_trail_opts o;
	struct ea_trail *t;
	struct ea_synth s;
	struct ea_rec *v;
	const char *why;
	EVP_PKEY *key;
	size_t n;

	(void)state;
	tt_opts(&o, log);
	t = open_trail(&o);
	ea_synth_init(&s, 4, TT_HOST, TT_START_NS, &rec);
	tt_append(t, &s, &rec, 30);
	assert_int_equal(ea_trail_checkpoint(t), 0);
	assert_int_equal(ea_trail_checkpoint(t), 0);	/* nothing new: none */
	tt_append(t, &s, &rec, 30);
	assert_int_equal(ea_trail_close(t), 0);
	n = tt_read_all(tt_trail_dir(log), NULL, &v);
	assert_int_equal(n, 62);
	assert_int_equal(v[30].kind, EA_REC_CHECKPOINT);
	assert_int_equal(ea_checkpoint_parse(v[30].detail, &cp), 0);
	assert_int_equal(cp.seq, 30);
	assert_memory_equal(cp.chain, v[29].chain, 32);
	snprintf(pub, sizeof(pub), "%s/host.pub", log);
	assert_int_equal(ea_key_load_public(pub, &key, &why), 0);
	assert_true(ea_checkpoint_verify(key, TT_HOST, &cp));
	assert_false(ea_checkpoint_verify(key, "other-host", &cp));
	cp.seq++;
	assert_false(ea_checkpoint_verify(key, TT_HOST, &cp));
	EVP_PKEY_free(key);
	free(v);
	tt_rmdir(log);
}

/* none: blocks wait for a full block or a second; the others go at each tick. */
static void test_flush_modes(void **state)
{
	for (uint32_t mode = EA_FLUSH_NONE; mode <= EA_FLUSH_SYNC; mode++) {
		char *log = tt_tmpdir();
		struct ea_trail_stats st;
		struct ea_trail_opts o;
		struct ea_trail *t;
		struct ea_synth s;
		uint64_t seq;

		(void)state;
		tt_opts(&o, log);
		o.flush = mode;
		o.block_size = 65536;
		t = open_trail(&o);
		ea_synth_init(&s, 4, TT_HOST, TT_START_NS, &rec);
		seq = tt_append(t, &s, &rec, 20);
		ea_trail_tick(t, now_ns());
		ea_trail_get_stats(t, &st);
		if (mode == EA_FLUSH_NONE) {
			assert_int_equal(st.durable_seq, 0);
			ea_trail_tick(t, now_ns() + 2 * NS);
			ea_trail_get_stats(t, &st);
		}
		assert_int_equal(st.durable_seq, seq);
		assert_memory_equal(st.durable_chain, rec.chain, 32);
		assert_int_equal(ea_trail_close(t), 0);
		assert_intact(tt_trail_dir(log));
		tt_rmdir(log);
	}
}

/* The path of name in the cursors directory of the trail under log (made). */
static void cursor_file(const char *log, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", log, TT_HOST);
	mkdir(path, 0700);
	snprintf(path, len, "%s/%s/cursors", log, TT_HOST);
	mkdir(path, 0700);
	snprintf(path, len, "%s/%s/cursors/%s", log, TT_HOST, name);
}

/* Retention by size deletes the oldest segments and says so; verify
 * accepts the shorter trail; an undelivered range is counted. */
static void test_retention(void **state)
{
	char *log = tt_tmpdir(), segs[64][64], path[600];
	struct ea_filter f = { .kinds = 1u << EA_REC_RETENTION };
	struct ea_trail_opts o;
	struct ea_rec *v;
	size_t n;
	int fd;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	cursor_file(log, "siem", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "100\n", 4), 4);
	close(fd);
	o.retain_size = 60000;
	tt_write(&o, 9, 6000);
	assert_intact(tt_trail_dir(log));
	n = list_ext(tt_trail_dir(log), ".eat", segs, 64);
	assert_true(n >= 2 && n <= 5);
	assert_true(strcmp(segs[0], "seg-00000000000000000001.eat"));
	n = tt_read_all(tt_trail_dir(log), &f, &v);
	assert_true(n >= 1);
	assert_non_null(strstr(v[n - 1].detail, "\"reason\":\"size\""));
	for (size_t i = 0; i < n; i++) {
		unsigned long long from, to, lost;

		assert_int_equal(sscanf(v[i].detail, "{\"from\":%llu,\"to\":%llu,", &from, &to), 2);
		assert_non_null(strstr(v[i].detail, "\"undelivered\":"));
		sscanf(strstr(v[i].detail, "\"undelivered\":"), "\"undelivered\":%llu", &lost);
		assert_int_equal(lost, from > 100 ? to - from + 1 : to - 100);
	}
	free(v);
	tt_rmdir(log);
}

/*
 * A destination that took its lock and has acknowledged nothing yet (no
 * cursor file) has every deleted record undelivered.
 */
static void test_retention_no_cursor_yet(void **state)
{
	char *log = tt_tmpdir(), path[600];
	struct ea_filter f = { .kinds = 1u << EA_REC_RETENTION };
	struct ea_trail_opts o;
	struct ea_rec *v;
	size_t n;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	o.retain_size = 60000;
	cursor_file(log, ".soc.lock", path, sizeof(path));
	close(open(path, O_WRONLY | O_CREAT, 0600));
	tt_write(&o, 9, 6000);
	n = tt_read_all(tt_trail_dir(log), &f, &v);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		unsigned long long from, to, lost;

		assert_int_equal(sscanf(v[i].detail, "{\"from\":%llu,\"to\":%llu,", &from, &to), 2);
		assert_int_equal(sscanf(strstr(v[i].detail, "\"undelivered\":"),
					"\"undelivered\":%llu", &lost), 1);
		assert_int_equal(lost, to - from + 1);
	}
	free(v);
	tt_rmdir(log);
}

/*
 * A follower (the SIEM feed) that finds records gone counts them once,
 * also when it seeks back before them (to resend after a failed send).
 */
static void test_follow_counts_gone_once(void **state)
{
	char *log = tt_tmpdir();
	struct ea_trail_opts o;
	struct ea_follow f;
	struct ea_rec *r = malloc(sizeof(*r));
	uint64_t first, gone;
	const char *why;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	o.retain_size = 60000;
	tt_write(&o, 9, 6000);
	assert_int_equal(ea_follow_open(&f, tt_trail_dir(log), 1), 0);
	assert_int_equal(ea_follow_next(&f, r, &why), 1);
	first = r->seq;
	assert_true(first > 1);
	gone = f.missing;
	assert_int_equal(gone, first - 1);
	ea_follow_seek(&f, 1);
	assert_int_equal(ea_follow_next(&f, r, &why), 1);
	assert_int_equal(r->seq, first);
	assert_int_equal(f.missing, gone);
	ea_follow_close(&f);
	free(r);
	tt_rmdir(log);
}

static int count_rec(void *ctx, const struct ea_rec *r)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

/*
 * A segment gone from the middle of the trail is damage to the scan of
 * query and report too (verify says so): it names the records missing,
 * whether the scan reads the segments around it or skips them by index.
 */
static void test_scan_sees_missing_segment(void **state)
{
	char *log = tt_tmpdir(), segs[64][64], path[700];
	struct ea_filter all = { 0 }, window = { .has_until = true, .until = 1 };
	struct ea_trail_opts o;
	const char *dir;
	size_t n, count = 0;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	tt_write(&o, 9, 3000);
	dir = tt_trail_dir(log);
	n = list_ext(dir, ".eat", segs, 64);
	assert_true(n >= 3);
	snprintf(path, sizeof(path), "%s/%s", dir, segs[1]);
	assert_int_equal(unlink(path), 0);
	for (int i = 0; i < 2; i++) {
		struct ea_scan sc = { .f = i ? &window : &all, .fn = count_rec, .ctx = &count };

		assert_int_equal(ea_scan_trail(&sc, dir), 0);
		if (!strstr(sc.err, "are missing before this segment"))
			fail_msg("scan %d: '%s'", i, sc.err);
	}
	tt_rmdir(log);
}

/* Take (make) or free (remove) the segment names seg-N.eat for N in [from, to). */
static void hold_names(const char *dir, uint64_t from, uint64_t to, bool take)
{
	char path[600];

	for (uint64_t n = from; n < to; n++) {
		snprintf(path, sizeof(path), "%s/seg-%020llu.eat", dir, (unsigned long long)n);
		if (take)
			close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
		else
			unlink(path);
	}
}

/*
 * A segment that cannot be made at rotation (as a full disk or a lack of
 * descriptors would refuse it; here its name is taken) is made at a later
 * write, from the first record not yet on disk: every record taken is
 * there, verify passes, and a reopen has nothing to cut.
 */
static void test_rotation_fails(void **state)
{
	char *log = tt_tmpdir(), cuts[4][64];
	static uint64_t taken[2000];
	struct ea_trail_opts o;
	struct ea_trail *t;
	struct ea_synth s;
	struct ea_rec *v;
	const char *dir;
	size_t n, k = 0, ntaken = 0;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	t = open_trail(&o);
	dir = tt_trail_dir(log);
	hold_names(dir, 2, 4000, true);
	ea_synth_init(&s, 5, TT_HOST, TT_START_NS, &rec);
	for (int i = 0; i < 2000; i++) {
		ea_synth_next(&s, &rec);
		if (!ea_trail_append(t, &rec))
			taken[ntaken++] = rec.seq;
	}
	ea_trail_flush(t);
	assert_int_equal(list_ext(dir, ".eat", cuts, 4), 4);	/* seg-1 and names held */
	hold_names(dir, 2, 4000, false);
	ea_trail_tick(t, now_ns());		/* writes again */
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(dir);
	assert_true(list_ext(dir, ".eat", cuts, 4) >= 2);
	n = tt_read_all(dir, NULL, &v);
	for (size_t i = 0; i < n && k < ntaken; i++)
		if (v[i].seq == taken[k])
			k++;
	assert_int_equal(k, ntaken);
	assert_true(ntaken >= 100 && ntaken < 2000);	/* some taken, some refused */
	free(v);
	t = open_trail(&o);
	assert_int_equal(ea_trail_close(t), 0);
	assert_int_equal(list_ext(dir, ".cut", cuts, 4), 0);
	assert_intact(dir);
	tt_rmdir(log);
}

/* Copy the segments of dir into stash (over what it holds). */
static void stash_segments(const char *dir, const char *stash)
{
	char names[64][64], from[700], to[700], buf[65536];
	size_t n = list_ext(dir, ".eat", names, 64);

	for (size_t i = 0; i < n; i++) {
		int in, out;
		ssize_t got;

		snprintf(from, sizeof(from), "%s/%s", dir, names[i]);
		snprintf(to, sizeof(to), "%s/%s", stash, names[i]);
		in = open(from, O_RDONLY);
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(in >= 0 && out >= 0);
		while ((got = read(in, buf, sizeof(buf))) > 0)
			assert_int_equal(write(out, buf, (size_t)got), got);
		close(in);
		close(out);
	}
}

/*
 * A kill after a retention record reached the disk and before its
 * segments went leaves them there (copied back here): verify takes the
 * trail from the retention record before, and the next pass deletes them
 * again with a record of its own.
 */
static void test_retention_interrupted(void **state)
{
	char *log = tt_tmpdir(), stash[600], names[64][64], from[700], to[700];
	struct ea_filter f = { .kinds = 1u << EA_REC_RETENTION };
	unsigned long long a, prev_to, last_to;
	struct ea_trail_opts o;
	struct ea_trail *t;
	struct ea_synth s;
	struct ea_rec *v;
	const char *dir;
	size_t n, back = 0;

	(void)state;
	tt_opts(&o, log);
	o.rotate_size = 16384;
	o.retain_size = 60000;
	snprintf(stash, sizeof(stash), "%s/stash", log);
	assert_int_equal(mkdir(stash, 0700), 0);
	t = open_trail(&o);
	dir = tt_trail_dir(log);
	ea_synth_init(&s, 9, TT_HOST, TT_START_NS, &rec);
	for (int i = 0; i < 60; i++) {
		tt_append(t, &s, &rec, 100);
		ea_trail_flush(t);
		stash_segments(dir, stash);
	}
	assert_int_equal(ea_trail_close(t), 0);
	n = tt_read_all(dir, &f, &v);
	assert_true(n >= 2);
	assert_int_equal(sscanf(v[n - 2].detail, "{\"from\":%llu,\"to\":%llu,", &a, &prev_to), 2);
	assert_int_equal(sscanf(v[n - 1].detail, "{\"from\":%llu,\"to\":%llu,", &a, &last_to), 2);
	free(v);
	/* the last retention's segments back, as if it was killed before deleting them */
	n = list_ext(stash, ".eat", names, 64);
	for (size_t i = 0; i < n; i++) {
		unsigned long long seq = strtoull(names[i] + 4, NULL, 10);

		if (seq <= prev_to || seq > last_to)
			continue;
		snprintf(from, sizeof(from), "%s/%s", stash, names[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, names[i]);
		assert_int_equal(rename(from, to), 0);
		back++;
	}
	assert_true(back >= 1);
	assert_intact(dir);
	/* the next pass deletes them again */
	t = open_trail(&o);
	tt_append(t, &s, &rec, 100);
	ea_trail_tick(t, now_ns() + 61 * NS);
	assert_int_equal(ea_trail_close(t), 0);
	assert_intact(dir);
	n = list_ext(dir, ".eat", names, 64);
	assert_true(n >= 1 && strtoull(names[0] + 4, NULL, 10) > last_to);
	tt_rmdir(log);
}

/* A FIFO in a segment's place is refused at once, by name: no read waits on it. */
static void test_fifo_segment(void **state)
{
	char *log = tt_tmpdir(), path[600];
	struct ea_trail_opts o;
	const char *what;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 3, 100);
	snprintf(path, sizeof(path), "%s/seg-00000000000000099999.eat", tt_trail_dir(log));
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20);		/* a wait on the FIFO fails the test */
	assert_int_not_equal(tt_verify(tt_trail_dir(log), &what), 0);
	alarm(0);
	if (!strstr(what, "not a regular file"))
		fail_msg("verify: %s", what);
	tt_rmdir(log);
}

/* Write with the file size limited to limit: disk full for the trail. */
static void fill_disk(struct ea_trail *t, struct ea_synth *s, uint64_t *refused)
{
	struct ea_trail_stats st;

	for (int i = 0; i < 400; i++) {
		ea_synth_next(s, &rec);
		if (ea_trail_append(t, &rec))
			(*refused)++;
	}
	ea_trail_get_stats(t, &st);
	assert_true(st.refused == *refused);
	assert_true(*refused > 0);
}

static void set_fsize(rlim_t lim)
{
	struct rlimit rl = { lim, RLIM_INFINITY };

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* suspend: refused records counted, the gap recorded once space is back;
 * halt-logging: nothing more for the rest of the run. */
static void test_disk_full(void **state)
{
	for (uint32_t action = EA_DISK_FULL_SUSPEND; action <= EA_DISK_FULL_HALT; action++) {
		struct ea_filter f = { .kinds = 1u << EA_REC_GAP };
		char *log = tt_tmpdir();
		struct ea_trail_stats st;
		struct ea_trail_opts o;
		struct ea_trail *t;
		struct ea_synth s;
		uint64_t refused = 0;
		struct ea_rec *v;
		size_t n;

		(void)state;
		tt_opts(&o, log);
		o.disk_full = action;
		t = open_trail(&o);
		ea_synth_init(&s, 4, TT_HOST, TT_START_NS, &rec);
		tt_append(t, &s, &rec, 100);
		set_fsize((rlim_t)file_size(tt_trail_dir(log), "seg-00000000000000000001.eat") + 3000);
		fill_disk(t, &s, &refused);
		set_fsize(RLIM_INFINITY);
		ea_trail_tick(t, now_ns());
		ea_trail_get_stats(t, &st);
		assert_int_equal(st.halted, action == EA_DISK_FULL_HALT);
		assert_false(st.suspended);
		assert_int_equal(ea_trail_close(t), 0);
		assert_intact(tt_trail_dir(log));
		n = tt_read_all(tt_trail_dir(log), &f, &v);
		if (action == EA_DISK_FULL_HALT) {
			assert_int_equal(n, 0);
		} else {
			char want[64];

			assert_int_equal(n, 1);
			snprintf(want, sizeof(want), "{\"records\":%llu,", (unsigned long long)refused);
			assert_non_null(strstr(v[0].detail, want));
		}
		free(v);
		tt_rmdir(log);
	}
}

/* Options for a trail in dir/sub, signed with key_file (NULL: the default). */
static void opts_in(struct ea_trail_opts *o, char *log, const char *dir, const char *sub,
		    const char *key_file)
{
	snprintf(log, PATH_MAX, "%s/%s", dir, sub);
	tt_opts(o, log);
	o->key_file = key_file;
}

/*
 * ea_trail_check and then ea_trail_open of the trail in dir/sub fail
 * alike: with -want, and err "dir/what: why".
 */
static void assert_both_fail(const char *dir, const char *sub, const char *key_file, int want,
			     const char *what, const char *why)
{
	char log[PATH_MAX], key[PATH_MAX], msg[PATH_MAX + 64];
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct ea_trail *t;
	bool absent;

	snprintf(msg, sizeof(msg), "%s/%s: %s", dir, what, why);
	opts_in(&o, log, dir, sub, key_file);
	assert_int_equal(ea_trail_check(&o, key, &absent, &err), -want);
	assert_string_equal(err.msg, msg);
	assert_int_equal(ea_trail_open(&t, &o, &err), -want);
	assert_string_equal(err.msg, msg);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * ea_trail_check: what ea_trail_open needs, found without making
 * anything; where open would fail, it fails with the same words.
 */
static void test_check(void **state)
{
	char *dir = tt_tmpdir(), log[PATH_MAX], key[PATH_MAX], path[PATH_MAX];
	struct ea_err err = { { 0 } };
	struct ea_trail_opts o;
	struct stat st;
	bool absent;

	(void)state;
	/* a log directory open would make: fine, and nothing made */
	opts_in(&o, log, dir, "a", NULL);
	assert_int_equal(ea_trail_check(&o, key, &absent, &err), 0);
	assert_true(absent);
	snprintf(path, sizeof(path), "%s/a/host.key", dir);
	assert_string_equal(key, path);
	assert_int_equal(stat(log, &st), -1);
	/* once the trail was opened, its key loads */
	assert_int_equal(ea_trail_close(open_trail(&o)), 0);
	assert_int_equal(ea_trail_check(&o, key, &absent, &err), 0);
	assert_false(absent);
	/* open makes the log directory, not its parents */
	assert_both_fail(dir, "x/y", NULL, ENOENT, "x/y", "No such file or directory");
	/* a file where the log directory, or the host's, goes */
	write_file(dir, "file", "");
	assert_both_fail(dir, "file/log", NULL, ENOTDIR, "file/log", "Not a directory");
	snprintf(path, sizeof(path), "%s/b", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(path, TT_HOST, "");
	assert_both_fail(dir, "b", NULL, ENOTDIR, "b/" TT_HOST, "Not a directory");
	/* a key file that is not a key, and one to be made where no directory is */
	write_file(dir, "junk.key", "-----BEGIN PRIVATE KEY-----\n");
	snprintf(path, sizeof(path), "%s/junk.key", dir);
	assert_both_fail(dir, "c", path, EINVAL, "junk.key", "not an Ed25519 private key in PEM");
	snprintf(path, sizeof(path), "%s/none/k.pem", dir);
	assert_both_fail(dir, "d", path, ENOENT, "none/k.pem", "No such file or directory");
	/* a host name that cannot be a directory */
	opts_in(&o, log, dir, "e", NULL);
	o.host = "../up";
	assert_int_equal(ea_trail_check(&o, key, &absent, &err), -EINVAL);
	assert_int_equal(stat(log, &st), -1);
	tt_rmdir(dir);
}

/* Run verify with argv; its exit code, its output into *out (free() it). */
static int verify_out(char **argv, int argc, char **out)
{
	struct ea_global_opts g = { 0 };
	int rc;

	*out = tt_run_cmd(cmd_verify, &g, argv, argc, &rc);
	return rc;
}

/*
 * verify: a --pubkey that does not load is bad input (exit 2, no trail
 * called tampered); a hostile directory or host name comes out escaped, on
 * the one line of its trail.
 */
static void test_verify_cli(void **state)
{
	char *log = tt_tmpdir(), *out, dir[700], evil[700];
	char *argv[] = { "verify", "--log-dir", dir, "--pubkey", "/nonexistent/host.pub", NULL };
	struct ea_trail_opts o;
	struct ea_trail *t;

	(void)state;
	tt_opts(&o, log);
	tt_write(&o, 5, 40);
	snprintf(dir, sizeof(dir), "%s", tt_trail_dir(log));
	assert_int_equal(verify_out(argv, 5, &out), 2);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(verify_out(argv, 3, &out), 0);
	assert_true(!strncmp(out, TT_HOST ": intact: seq 1..", 18));
	free(out);
	/* a record of another host, and the trail moved to a hostile name */
	t = open_trail(&o);
	rt_flow_rec(&rec, "x");
	snprintf(rec.host, sizeof(rec.host), "h\x1b[2K\nfake: intact");
	assert_int_equal(ea_trail_append(t, &rec), 0);
	assert_int_equal(ea_trail_close(t), 0);
	snprintf(evil, sizeof(evil), "%s/x\r\x1b[1Afake: intact\n", log);
	assert_int_equal(rename(dir, evil), 0);
	snprintf(dir, sizeof(dir), "%s", evil);
	assert_int_equal(verify_out(argv, 3, &out), 1);
	if (strchr(out, '\n') != out + strlen(out) - 1 || strpbrk(out, "\r\x1b"))
		fail_msg("not one escaped line: %s", out);
	assert_non_null(strstr(out, "/x\\x0d\\x1b[1Afake: intact\\x0a/"));
	assert_non_null(strstr(out, "h\\x1b[2K\\x0afake: intact"));
	free(out);
	tt_rmdir(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_one_writer),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_rotation_index),
		cmocka_unit_test(test_rotation_age),
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_flush_modes),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_retention_no_cursor_yet),
		cmocka_unit_test(test_follow_counts_gone_once),
		cmocka_unit_test(test_rotation_fails),
		cmocka_unit_test(test_retention_interrupted),
		cmocka_unit_test(test_fifo_segment),
		cmocka_unit_test(test_scan_sees_missing_segment),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_verify_cli),
	};

	signal(SIGXFSZ, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
