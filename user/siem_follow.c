// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Following a trail as it grows. The writer appends whole blocks to the
 * newest segment and moves to a new segment only after its last block to
 * the old one, so the follower reads the open segment to its current end,
 * and moves on only when a newer segment exists and the old one has not
 * grown since. A block that does not check out is never skipped: the call
 * fails and the same block is read again on the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec_codec.h"
#include "siem_follow.h"
#include "trail_fmt.h"

/* Start following; nothing is read before the first ea_follow_next(). */
int ea_follow_open(struct ea_follow *f, const char *dir, uint64_t from)
{
	memset(f, 0, sizeof(*f));
	f->seg.fd = -1;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	f->next = from ? from : 1;
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return -errno;
	f->ctx = malloc(sizeof(*f->ctx));
	if (!f->ctx) {
		ea_follow_close(f);
		return -ENOMEM;
	}
	ea_rec_ctx_init(f->ctx);
	return 0;
}

/* Close the open segment, if any. */
static void close_segment(struct ea_follow *f)
{
	if (f->open)
		ea_seg_close(&f->seg);
	f->open = false;
}

/* Free everything the follower holds. */
void ea_follow_close(struct ea_follow *f)
{
	close_segment(f);
	free(f->ctx);
	f->ctx = NULL;
	if (f->dirfd >= 0)
		close(f->dirfd);
	f->dirfd = -1;
}

/* Read from seq next: the segment is found again on the next call. */
void ea_follow_seek(struct ea_follow *f, uint64_t seq)
{
	close_segment(f);
	f->next = seq ? seq : 1;
}

/*
 * Records between f->next and seq that no segment holds any more, counted
 * once: a seek back after a failed send meets the same hole again.
 */
static void skip_to(struct ea_follow *f, uint64_t seq)
{
	uint64_t from = f->next > f->missing_upto ? f->next : f->missing_upto;

	if (seq <= f->next)
		return;
	if (seq > from)
		f->missing += seq - from;
	if (seq > f->missing_upto)
		f->missing_upto = seq;
	f->next = seq;
}

/* Open the segment holding f->next (or the oldest one, when that is later).
 * 1, 0 when there is none yet, or -errno. */
static int open_segment(struct ea_follow *f, const char **why)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_list l;
	size_t i;
	int r;

	r = ea_seg_list(f->dirfd, &l);
	if (r) {
		*why = "cannot list the trail directory";
		return r;
	}
	for (i = l.n; i > 0 && l.seq[i - 1] > f->next; i--)
		;
	if (l.n && !i) {
		skip_to(f, l.seq[0]);
		i = 1;
	}
	f->seg_first = i ? l.seq[i - 1] : 0;
	ea_seg_list_free(&l);
	if (!i)
		return 0;
	ea_seg_name(name, f->seg_first, "eat");
	r = ea_seg_open(&f->seg, f->dirfd, name, why);
	if (r == -ENOENT || r == -ENODATA)
		return 0;	/* deleted or created just now: look again later */
	if (r)
		return r;
	f->open = true;
	return 1;
}

/* Read the loaded block again next time (after an error in it). */
static int retry_block(struct ea_follow *f, int err)
{
	f->seg.off = f->seg.blk_off;
	f->seg.left = 0;
	f->seg.rp = f->seg.rend = NULL;
	return err;
}

/* Load the next block holding records from f->next on: 1, 0 at the end for
 * now, or -errno. */
static int next_block(struct ea_follow *f, const char **why)
{
	struct stat st;
	int r;

	if (fstat(f->seg.fd, &st))
		return -errno;
	if ((uint64_t)st.st_size < f->seg.off) {
		close_segment(f);	/* a torn tail was cut: read it anew */
		return 0;
	}
	f->seg.size = (uint64_t)st.st_size;
	for (;;) {
		r = ea_seg_next_block(&f->seg, why);
		if (r == 0 || r == -ENODATA)
			return 0;
		if (r < 0)
			return retry_block(f, r);
		if (f->seg.blk.first_seq + f->seg.blk.count <= f->next)
			continue;
		r = ea_seg_load_block(&f->seg, why);
		if (r)
			return retry_block(f, r);
		skip_to(f, f->seg.blk.first_seq);
		ea_rec_ctx_reset(f->ctx);
		f->rec_seq = f->seg.blk.first_seq;
		memcpy(f->chain, f->seg.blk.chain, EA_CHAIN_LEN);
		return 1;
	}
}

/*
 * The next record of the loaded block from f->next on: 1, 0 after its last.
 * Records before f->next are decoded too: each one's encoding depends on
 * those before it in the block.
 */
static int next_record(struct ea_follow *f, struct ea_rec *r, const char **why)
{
	const uint8_t *p;
	size_t len;
	int ret;

	while ((ret = ea_seg_next_record(&f->seg, &p, &len, why)) == 1) {
		uint64_t seq = f->rec_seq++;

		ea_chain_next(f->chain, p, len);
		if (ea_rec_decode(f->ctx, p, len, r, why))
			return retry_block(f, -EINVAL);
		if (seq < f->next)
			continue;
		r->seq = seq;
		memcpy(r->chain, f->chain, EA_CHAIN_LEN);
		f->next = seq + 1;
		return 1;
	}
	return ret < 0 ? retry_block(f, ret) : 0;
}

/* The first segment after the open one, or 0. */
static uint64_t newer_segment(struct ea_follow *f)
{
	struct ea_seg_list l;
	uint64_t newer = 0;

	if (ea_seg_list(f->dirfd, &l))
		return 0;
	for (size_t i = 0; i < l.n && !newer; i++)
		if (l.seq[i] > f->seg_first)
			newer = l.seq[i];
	ea_seg_list_free(&l);
	return newer;
}

/*
 * At the end of the open segment: when the writer has moved on to a newer
 * one and this one did not grow meanwhile, close it. 1 to go on reading,
 * 0 when there is nothing more yet.
 */
static int move_on(struct ea_follow *f)
{
	uint64_t newer = newer_segment(f);
	struct stat st;

	if (!newer)
		return 0;
	if (!fstat(f->seg.fd, &st) && (uint64_t)st.st_size > f->seg.off)
		return 1;
	close_segment(f);
	skip_to(f, newer);
	return 1;
}

/* Records in seq order across blocks and segments; 0 at the end for now. */
int ea_follow_next(struct ea_follow *f, struct ea_rec *r, const char **why)
{
	int ret;

	*why = "";
	for (;;) {
		if (!f->open) {
			ret = open_segment(f, why);
			if (ret <= 0)
				return ret;
		}
		ret = next_record(f, r, why);
		if (ret)
			return ret;
		ret = next_block(f, why);
		if (ret < 0)
			return ret;
		if (ret == 1)
			continue;
		if (!f->open)
			continue;
		ret = move_on(f);
		if (ret <= 0)
			return ret;
	}
}

/* Walk the block headers of segment first from f->head_off on. */
static void walk_heads(struct ea_follow *f, int fd, uint64_t size)
{
	uint8_t buf[EA_SEG_HDR_MAX];
	struct ea_seg_hdr sh;
	struct ea_blk_hdr bh;
	const char *why;
	ssize_t n;
	int r;

	if (!f->head_off) {
		n = pread(fd, buf, sizeof(buf), 0);
		r = n > 0 ? ea_seg_hdr_get(buf, (size_t)n, &sh, &why) : -ENODATA;
		if (r <= 0)
			return;
		f->head_off = (uint64_t)r;
	}
	while (size >= f->head_off + EA_BLK_HDR_LEN) {
		if (pread(fd, buf, EA_BLK_HDR_LEN, (off_t)f->head_off) != EA_BLK_HDR_LEN ||
		    ea_blk_hdr_get(buf, &bh, &why) ||
		    size - f->head_off - EA_BLK_HDR_LEN < bh.comp_len)
			return;
		if (bh.count)
			f->head = bh.first_seq + bh.count - 1;
		f->head_off += EA_BLK_HDR_LEN + bh.comp_len;
	}
}

/*
 * The last seq in the trail: the newest segment's complete blocks, walked
 * from where the last call stopped.
 */
uint64_t ea_follow_head(struct ea_follow *f)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_list l;
	struct stat st;
	uint64_t last;
	int fd;

	if (ea_seg_list(f->dirfd, &l) || !l.n) {
		ea_seg_list_free(&l);
		return f->head;
	}
	last = l.seq[l.n - 1];
	ea_seg_list_free(&l);
	if (last != f->head_seg) {
		f->head_seg = last;
		f->head_off = 0;
		if (f->head < last - 1)
			f->head = last - 1;
	}
	ea_seg_name(name, last, "eat");
	fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return f->head;
	if (!fstat(fd, &st))
		walk_heads(f, fd, (uint64_t)st.st_size);
	close(fd);
	if (f->next && f->head < f->next - 1)
		f->head = f->next - 1;
	return f->head;
}
