// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tamper tests of verify (user/trail_verify.c) on a small trail of three
 * segments: every bit of every file of the trail (segments, indexes, the
 * public key), flipped one at a time, makes verify fail; so do records
 * deleted, duplicated, reordered or altered inside a block that is then
 * rewritten with correct lengths and checksums, and verify names the
 * segment and seq.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "rec_codec.h"
#include "trail_read.h"
#include "trail_test_util.h"
#include "trail_verify.h"

static struct {
	char *log;
	char dir[600];
	struct ea_verify_result res;
} g;

static int setup(void **state)
{
	struct ea_trail_opts o;

	(void)state;
	g.log = tt_tmpdir();
	tt_opts(&o, g.log);
	o.block_size = 300;
	o.rotate_size = 1200;
	tt_write(&o, 77, 40);
	snprintf(g.dir, sizeof(g.dir), "%s", tt_trail_dir(g.log));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_rmdir(g.log);
	return 0;
}

static int verify(void)
{
	struct ea_verify_opts o = { 0 };

	return ea_trail_verify(g.dir, &o, &g.res);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*n = (size_t)st.st_size;
	buf = malloc(*n + 1);
	assert_int_equal(read(fd, buf, *n), (ssize_t)*n);
	close(fd);
	return buf;
}

static void spill(const char *path, const uint8_t *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

/* Flip each bit of path in turn; verify must fail every time. */
static size_t flip_all(const char *path)
{
	size_t n;
	uint8_t *buf = slurp(path, &n);
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++) {
			uint8_t c = buf[i] ^ (uint8_t)(1 << b);

			assert_int_equal(pwrite(fd, &c, 1, (off_t)i), 1);
			if (verify() != 1)
				fail_msg("%s: bit %d of byte %zu flipped, and verify passes", path, b, i);
		}
		assert_int_equal(pwrite(fd, &buf[i], 1, (off_t)i), 1);
	}
	close(fd);
	free(buf);
	return n * 8;
}

static void test_flip_every_bit(void **state)
{
	char path[1200];
	struct dirent *de;
	size_t bits = 0, files = 0;
	DIR *d = opendir(g.dir);

	(void)state;
	assert_int_equal(verify(), 0);
	assert_true(g.res.segments >= 3);
	assert_true(g.res.checkpoints >= 3);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", g.dir, de->d_name);
		bits += flip_all(path);
		files++;
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/host.pub", g.log);
	bits += flip_all(path);
	assert_true(files >= 5);
	print_message("%zu bits of %zu files flipped, each caught\n", bits, files + 1);
	assert_int_equal(verify(), 0);
}

enum op { OP_DELETE, OP_DUPLICATE, OP_SWAP, OP_ALTER };

struct frame {
	const uint8_t *p;	/* body */
	size_t len;
};

/* The record frames of raw[0..n). */
static size_t frames_of(const uint8_t *raw, size_t n, struct frame *fr, size_t max)
{
	const uint8_t *p = raw, *end = raw + n;
	size_t k = 0;
	uint64_t len;

	while (p < end && k < max && !ea_varint_get(&p, end, &len)) {
		fr[k++] = (struct frame){ p, (size_t)len };
		p += len;
	}
	return k;
}

/* Apply op at record i; the frames become out[0..return). */
static size_t apply(enum op op, const struct frame *in, size_t n, size_t i,
		    struct frame *out, uint8_t *altered)
{
	size_t k = 0;

	for (size_t j = 0; j < n; j++) {
		if (op == OP_DELETE && j == i)
			continue;
		if (op == OP_SWAP && j == i && j + 1 < n) {
			out[k++] = in[j + 1];
			out[k++] = in[j];
			j++;
			continue;
		}
		out[k++] = in[j];
		if (op == OP_DUPLICATE && j == i)
			out[k++] = in[j];
		if (op == OP_ALTER && j == i) {
			memcpy(altered, in[j].p, in[j].len);
			altered[in[j].len - 1] ^= 0x01;
			out[k - 1].p = altered;
		}
	}
	return k;
}

/* The block header and data for frames, as the writer would make them. */
static size_t build_block(struct ea_blk_hdr *h, const struct frame *fr, size_t n,
			  uint8_t *out)
{
	static struct ea_rec_ctx ctx;
	static struct ea_rec r;
	uint8_t raw[65536];
	size_t len = 0;
	z_stream z = { 0 };
	const char *why;

	ea_rec_ctx_init(&ctx);
	h->min_ts = INT64_MAX;
	h->max_ts = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		len += ea_varint_put(raw + len, fr[i].len);
		memcpy(raw + len, fr[i].p, fr[i].len);
		len += fr[i].len;
		if (ea_rec_decode(&ctx, fr[i].p, fr[i].len, &r, &why))
			continue;
		h->min_ts = r.ts_ns < h->min_ts ? r.ts_ns : h->min_ts;
		h->max_ts = r.ts_ns > h->max_ts ? r.ts_ns : h->max_ts;
	}
	assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = raw;
	z.avail_in = (uInt)len;
	z.next_out = out + EA_BLK_HDR_LEN;
	z.avail_out = 65536;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	h->count = (uint32_t)n;
	h->raw_len = (uint32_t)len;
	h->comp_len = (uint32_t)z.total_out;
	h->data_crc = (uint32_t)crc32(0, out + EA_BLK_HDR_LEN, h->comp_len);
	deflateEnd(&z);
	ea_blk_hdr_put(out, h);
	return EA_BLK_HDR_LEN + h->comp_len;
}

/* Offset of block blk's header in a segment file; its header into *h. */
static size_t find_block(const uint8_t *file, size_t n, int blk, struct ea_blk_hdr *h)
{
	struct ea_seg_hdr sh;
	const char *why;
	size_t off = (size_t)ea_seg_hdr_get(file, n, &sh, &why);

	for (int b = 0;; b++) {
		assert_true(off + EA_BLK_HDR_LEN <= n);
		assert_int_equal(ea_blk_hdr_get(file + off, h, &why), 0);
		if (b == blk)
			return off;
		off += EA_BLK_HDR_LEN + h->comp_len;
	}
}

/* Write path as file[0..n) with the block at off replaced by blk[0..len). */
static void replace_block(const char *path, const uint8_t *file, size_t n, size_t off,
			  const uint8_t *blk, size_t len)
{
	struct ea_blk_hdr h;
	const char *why;
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, off), (ssize_t)off);
	assert_int_equal(write(fd, blk, len), (ssize_t)len);
	assert_int_equal(ea_blk_hdr_get(file + off, &h, &why), 0);
	off += EA_BLK_HDR_LEN + h.comp_len;
	assert_int_equal(write(fd, file + off, n - off), (ssize_t)(n - off));
	close(fd);
}

/* Rewrite block blk of segment seg with op applied at record i, checksums
 * right; verify must fail and name the segment and a seq. */
static void tamper_block(const char *seg, int blk, enum op op, size_t i)
{
	char path[1200];
	size_t n, off, rawn, nf, nout;
	uint8_t *file, raw[65536], out[70000], altered[EA_REC_ENC_MAX];
	struct frame in[2048], fr[2048];
	struct ea_blk_hdr h;
	z_stream z = { 0 };

	snprintf(path, sizeof(path), "%s/%s", g.dir, seg);
	file = slurp(path, &n);
	off = find_block(file, n, blk, &h);
	inflateInit2(&z, -15);
	z.next_in = file + off + EA_BLK_HDR_LEN;
	z.avail_in = h.comp_len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	rawn = z.total_out;
	inflateEnd(&z);
	nf = frames_of(raw, rawn, in, 2048);
	assert_true(i < nf);
	nf = apply(op, in, nf, i, fr, altered);
	nout = build_block(&h, fr, nf, out);
	replace_block(path, file, n, off, out, nout);
	if (verify() != 1)
		fail_msg("%s block %d: op %d at record %zu passes verify", seg, blk, op, i);
	if (!g.res.segment[0] || !g.res.seq)
		fail_msg("%s block %d op %d: fault not named: '%s' seq %llu: %s", seg, blk, op,
			 g.res.segment, (unsigned long long)g.res.seq, g.res.what);
	spill(path, file, n);
	assert_int_equal(verify(), 0);
	free(file);
}

enum bad_data { BAD_STREAM, LONGER_RAW, TRAILING_BYTES };

/*
 * Rewrite block blk of seg so that its compressed data, with every length
 * and checksum made to match, is not what its header says: an invalid
 * DEFLATE stream, a stream shorter than raw_len, bytes after the stream.
 * The reader must refuse it (libdeflate's inflate, checked to the byte).
 */
static void bad_block_data(const char *seg, int blk, enum bad_data how)
{
	char path[1200];
	size_t n, off, len;
	uint8_t *file, out[70000];
	struct ea_blk_hdr h;

	snprintf(path, sizeof(path), "%s/%s", g.dir, seg);
	file = slurp(path, &n);
	off = find_block(file, n, blk, &h);
	len = h.comp_len;
	memcpy(out + EA_BLK_HDR_LEN, file + off + EA_BLK_HDR_LEN, len);
	if (how == BAD_STREAM)
		memset(out + EA_BLK_HDR_LEN, 0xff, len);	/* block type 3: reserved */
	else if (how == LONGER_RAW)
		h.raw_len++;
	else
		memcpy(out + EA_BLK_HDR_LEN + len, "\0\1\2\3", 4), len += 4;
	h.comp_len = (uint32_t)len;
	h.data_crc = (uint32_t)crc32(0, out + EA_BLK_HDR_LEN, h.comp_len);
	ea_blk_hdr_put(out, &h);
	replace_block(path, file, n, off, out, EA_BLK_HDR_LEN + len);
	if (verify() != 1 || !strstr(g.res.what, "inflate"))
		fail_msg("%s block %d: bad data %d: verify says '%s'", seg, blk, how, g.res.what);
	spill(path, file, n);
	assert_int_equal(verify(), 0);
	free(file);
}

static void test_bad_block_data(void **state)
{
	struct ea_seg_list l;
	char name[40];
	int dfd = open(g.dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_int_equal(ea_seg_list(dfd, &l), 0);
	ea_seg_name(name, l.seq[1], "eat");
	for (enum bad_data how = BAD_STREAM; how <= TRAILING_BYTES; how++) {
		bad_block_data(name, 0, how);
		bad_block_data(name, 1, how);
	}
	ea_seg_list_free(&l);
	close(dfd);
}

static void test_records(void **state)
{
	struct ea_seg_list l;
	char name[3][40];
	int dfd = open(g.dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_int_equal(ea_seg_list(dfd, &l), 0);
	assert_true(l.n >= 3);
	for (int s = 0; s < 3; s++)
		ea_seg_name(name[s], l.seq[s], "eat");
	for (enum op op = OP_DELETE; op <= OP_ALTER; op++) {
		tamper_block(name[0], 0, op, 0);
		tamper_block(name[0], 0, op, 1);
		tamper_block(name[1], 1, op, 0);
		tamper_block(name[2], 0, op, 1);
	}
	ea_seg_list_free(&l);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_bad_block_data),
		cmocka_unit_test(test_flip_every_bit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
