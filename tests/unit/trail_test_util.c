// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Temporary trails of synthetic records for the trail tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trail_test_util.h"
#include "trail_verify.h"

char *tt_tmpdir(void)
{
	char *d = strdup("/tmp/ea-trail-test.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tt_rmdir(char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

const char *tt_trail_dir(const char *log_dir)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", log_dir, TT_HOST);
	return buf;
}

void tt_opts(struct ea_trail_opts *o, const char *log_dir)
{
	memset(o, 0, sizeof(*o));
	o->log_dir = log_dir;
	o->host = TT_HOST;
	o->block_size = 2048;
}

uint64_t tt_append(struct ea_trail *t, struct ea_synth *s, struct ea_rec *r, uint64_t n)
{
	uint64_t seq = 0;

	for (uint64_t i = 0; i < n; i++) {
		ea_synth_next(s, r);
		assert_int_equal(ea_trail_append(t, r), 0);
		assert_true(r->seq > seq);
		seq = r->seq;
	}
	return seq;
}

void tt_write(const struct ea_trail_opts *o, uint64_t seed, uint64_t n)
{
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_err err = { { 0 } };
	struct ea_trail *t;
	struct ea_synth s;

	assert_non_null(r);
	if (ea_trail_open(&t, o, &err))
		fail_msg("open: %s", err.msg);
	ea_synth_init(&s, seed, TT_HOST, TT_START_NS, r);
	tt_append(t, &s, r, n);
	assert_int_equal(ea_trail_close(t), 0);
	free(r);
}

struct collect {
	struct ea_rec *v;
	size_t n, cap;
};

static int collect_one(void *ctx, const struct ea_rec *r)
{
	struct collect *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	c->v[c->n++] = *r;
	return 0;
}

size_t tt_read_all(const char *dir, const struct ea_filter *f, struct ea_rec **recs)
{
	static const struct ea_filter none;
	struct collect c = { 0 };
	struct ea_scan sc = { .f = f ? f : &none, .want_chain = true, .fn = collect_one,
			      .ctx = &c };

	assert_int_equal(ea_scan_trail(&sc, dir), 0);
	if (sc.err[0])
		fail_msg("scan: %s", sc.err);
	*recs = c.v;
	return c.n;
}

int tt_verify(const char *dir, const char **what)
{
	static struct ea_verify_result res;
	struct ea_verify_opts o = { 0 };
	int r = ea_trail_verify(dir, &o, &res);

	if (what)
		*what = res.what;
	return r;
}

char *tt_run_cmd(int (*cmd)(struct ea_global_opts *, int, char **),
		 struct ea_global_opts *g, char **argv, int argc, int *rc)
{
	char path[] = "/tmp/ea-cmd-out.XXXXXX", *out;
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	off_t n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	optind = 1;
	*rc = cmd(g, argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	unlink(path);
	n = lseek(fd, 0, SEEK_END);
	out = calloc(1, (size_t)n + 1);
	assert_non_null(out);
	assert_int_equal(pread(fd, out, (size_t)n, 0), n);
	close(fd);
	return out;
}
