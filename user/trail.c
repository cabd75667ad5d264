// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trail writer: records are encoded and chained into a block, a full
 * block is compressed and written with one write(), and the periodic tick
 * flushes, checkpoints, rotates and retries after a full disk (trail.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rec_codec.h"
#include "record.h"
#include "trail_priv.h"
#include "util.h"

int64_t ea_trail_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * EA_NS + ts.tv_nsec;
}

void ea_trail_opts_from_config(struct ea_trail_opts *o, const struct ea_agent_cfg *c,
			       const char *host)
{
	memset(o, 0, sizeof(*o));
	o->log_dir = c->log_dir ? c->log_dir : EA_DEFAULT_LOG_DIR;
	o->host = host;
	o->key_file = c->key_file;
	o->flush = c->flush;
	o->disk_full = c->disk_full;
	o->rotate_size = c->rotate_size;
	o->rotate_age_s = c->rotate_age_s;
	o->retain_size = c->retain_size;
	o->retain_age_s = c->retain_age_s;
	o->checkpoint_interval_s = c->checkpoint_interval_s;
}

/* A record refused: counted, without a seq. */
static int refuse(struct ea_trail *t)
{
	t->st.refused++;
	if (t->suspended)
		t->refused_run++;
	return t->suspended ? -ENOSPC : -EIO;
}

/* Compress the block being built into the pending block. */
static int build_block(struct ea_trail *t)
{
	size_t comp;

	if (!t->blk.count)
		return 0;
	comp = libdeflate_deflate_compress(t->zc, t->raw, t->raw_len, t->out + EA_BLK_HDR_LEN,
					   EA_BLK_COMP_MAX);
	if (!comp)
		return -EIO;	/* cannot happen: the buffer holds the bound */
	t->blk.raw_len = (uint32_t)t->raw_len;
	t->blk.comp_len = (uint32_t)comp;
	t->blk.data_crc = libdeflate_crc32(0, t->out + EA_BLK_HDR_LEN, comp);
	ea_blk_hdr_put(t->out, &t->blk);
	t->out_len = EA_BLK_HDR_LEN + t->blk.comp_len;
	t->out_blk = t->blk;
	memcpy(t->out_chain, t->chain, EA_CHAIN_LEN);
	t->pending = true;
	t->raw_len = 0;
	t->blk.count = 0;
	return 0;
}

/*
 * Book-keeping after the pending block reached the file, synced as flush
 * says. A sync that fails leaves the block in the file (it is not written
 * again) but not durable: -errno, for the write failure's handling.
 */
static int block_written(struct ea_trail *t)
{
	const struct ea_blk_hdr *b = &t->out_blk;
	int sync = 0;

	if (t->o.flush == EA_FLUSH_DATA)
		sync = fdatasync(t->fd) ? -errno : 0;
	else if (t->o.flush == EA_FLUSH_SYNC)
		sync = fsync(t->fd) ? -errno : 0;
	t->seg_size += t->out_len;
	t->seg_blocks++;
	if (!t->seg_has_records || b->min_ts < t->seg_min)
		t->seg_min = b->min_ts;
	if (!t->seg_has_records || b->max_ts > t->seg_max)
		t->seg_max = b->max_ts;
	t->seg_has_records = true;
	t->st.written += b->count;
	if (!sync) {
		t->st.durable_seq = b->first_seq + b->count - 1;
		memcpy(t->st.durable_chain, t->out_chain, EA_CHAIN_LEN);
	} else {
		ea_log("trail: %s: syncing records %llu..%llu failed: %s", t->dir,
		       (unsigned long long)b->first_seq,
		       (unsigned long long)(b->first_seq + b->count - 1), strerror(-sync));
	}
	t->st.bytes += t->out_len;
	t->pending = false;
	t->last_flush_ns = ea_trail_now();
	return sync;
}

/* Write the pending block with one write(); a partial write is cut back. */
static int write_pending(struct ea_trail *t)
{
	ssize_t n;
	int err;

	if (!t->pending)
		return 0;
	if (t->fd < 0 && (err = ea_trail_new_segment(t)))
		return err;
	do
		n = write(t->fd, t->out, t->out_len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)t->out_len)
		return block_written(t);
	err = n < 0 ? -errno : -ENOSPC;
	if (n > 0 && ftruncate(t->fd, (off_t)t->seg_size)) {
		ea_log("trail: %s: cannot cut a partial block: %s", t->dir, strerror(errno));
		t->halted = true;
	}
	return err;
}

static bool is_disk_full(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EFBIG;
}

/* A block could not be written: do what disk_full_action says. */
static int write_failed(struct ea_trail *t, int err)
{
	if (t->o.disk_full == EA_DISK_FULL_HALT || t->halted) {
		if (!t->halted)
			ea_log("trail: %s: writing failed (%s): HALTING the trail for the rest "
			       "of this run; records are no longer kept on disk",
			       t->dir, strerror(-err));
		t->halted = true;
		t->pending = false;
		return err;
	}
	if (t->o.disk_full == EA_DISK_FULL_ROTATE && is_disk_full(err) &&
	    ea_trail_retain(t, ea_trail_now(), "disk_full") > 0 && !write_pending(t))
		return 0;
	if (!t->suspended) {
		ea_log("trail: %s: writing failed (%s): suspended; records are counted "
		       "and the gap recorded when writing works again", t->dir, strerror(-err));
		t->suspended = true;
		t->refused_run = 0;
		t->refused_since = ea_trail_now();
	}
	return err;
}

static int rotate(struct ea_trail *t);

/* Write the block kept from a failed write, then the one being built. */
int ea_trail_flush(struct ea_trail *t)
{
	int r;

	if (t->halted)
		return -EIO;
	for (int i = 0; i < 2; i++) {
		if (!t->pending && (r = build_block(t)))
			return write_failed(t, r);
		r = write_pending(t);
		if (r)
			return write_failed(t, r);
	}
	if (t->o.rotate_size && t->seg_size >= t->o.rotate_size && !t->rotating)
		return rotate(t);
	return 0;
}

/* Encode r after its length into the block being built; chain it. */
static void add_record(struct ea_trail *t, struct ea_rec *r)
{
	uint8_t *p = t->raw + t->raw_len;
	size_t n, hl;

	if (!t->blk.count)
		ea_rec_ctx_reset(t->ctx);
	n = ea_rec_encode(t->ctx, r, p + 2);
	hl = n < 0x80 ? 1 : 2;
	if (hl == 1) {
		p[0] = (uint8_t)n;
		memmove(p + 1, p + 2, n);
	} else {
		ea_varint_put(p, n);
	}
	if (!t->blk.count) {
		t->blk.first_seq = t->next_seq;
		memcpy(t->blk.chain, t->chain, EA_CHAIN_LEN);
		t->blk.min_ts = t->blk.max_ts = r->ts_ns;
	} else if (r->ts_ns < t->blk.min_ts) {
		t->blk.min_ts = r->ts_ns;
	} else if (r->ts_ns > t->blk.max_ts) {
		t->blk.max_ts = r->ts_ns;
	}
	ea_chain_next(t->chain, p + hl, n);
	r->seq = t->next_seq++;
	memcpy(r->chain, t->chain, EA_CHAIN_LEN);
	t->blk.count++;
	t->raw_len += hl + n;
	t->last_kind = r->kind;
	t->st.appended++;
}

/* own: one of the trail's records, taken while suspended too. */
static int append(struct ea_trail *t, struct ea_rec *r, bool own)
{
	r->seq = 0;
	if (t->halted || (t->suspended && !own) ||
	    t->raw_len + EA_REC_ENC_MAX + 3 > t->raw_cap)
		return refuse(t);
	add_record(t, r);
	if (t->raw_len >= t->block_size && !t->suspended)
		ea_trail_flush(t);
	return 0;
}

int ea_trail_append(struct ea_trail *t, struct ea_rec *r)
{
	return append(t, r, false);
}

int ea_trail_append_own(struct ea_trail *t, uint32_t kind, const char *detail)
{
	struct ea_rec *r = &t->scratch;
	int err;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ts_ns = ea_trail_now();
	snprintf(r->host, sizeof(r->host), "%s", t->host);
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	err = append(t, r, true);
	if (!err && t->o.own_record)
		t->o.own_record(t->o.own_ctx, r);
	return err;
}

int ea_trail_checkpoint(struct ea_trail *t)
{
	struct ea_checkpoint cp = { 0 };
	char detail[512];
	int r;

	t->last_checkpoint_ns = ea_trail_now();
	if (t->halted || t->suspended || t->next_seq == 1 ||
	    t->last_kind == EA_REC_CHECKPOINT)
		return 0;
	cp.seq = t->next_seq - 1;
	memcpy(cp.chain, t->chain, EA_CHAIN_LEN);
	ea_format_time(t->last_checkpoint_ns, cp.time);
	if (ea_checkpoint_sign(t->key, t->host, &cp)) {
		ea_log("trail: %s: signing a checkpoint failed", t->dir);
		return -EINVAL;
	}
	ea_checkpoint_format(&cp, detail, sizeof(detail));
	r = ea_trail_append_own(t, EA_REC_CHECKPOINT, detail);
	return r ? r : ea_trail_flush(t);
}

/* Close the current segment (checkpoint, index) and start the next. */
static int rotate(struct ea_trail *t)
{
	struct ea_seg_idx x;
	int r;

	if (t->rotating || !t->seg_has_records)
		return 0;
	t->rotating = true;
	r = ea_trail_checkpoint(t);
	if (!r)
		r = ea_trail_flush(t);
	if (r || t->suspended || t->halted || t->pending) {
		t->rotating = false;
		return r ? r : -EIO;
	}
	x = (struct ea_seg_idx){ .first_seq = t->seg.first_seq, .last_seq = t->next_seq - 1,
				 .min_ts = t->seg_min, .max_ts = t->seg_max,
				 .nblocks = t->seg_blocks, .size = t->seg_size };
	memcpy(x.end_chain, t->chain, EA_CHAIN_LEN);
	ea_trail_write_idx(t, t->seg.first_seq, &x);
	/* a reopen repairs only the last segment: the one closed here is synced */
	if (t->o.flush < EA_FLUSH_DATA && fdatasync(t->fd))
		ea_log("trail: %s: syncing the segment it closes failed: %s", t->dir,
		       strerror(errno));
	close(t->fd);
	t->fd = -1;
	r = ea_trail_new_segment(t);
	t->rotating = false;
	if (!r)
		ea_trail_retain(t, ea_trail_now(), NULL);
	return r;
}

/* After a full disk: write the kept block; then record the gap. */
static bool resume(struct ea_trail *t)
{
	char since[40], until[40], detail[160];
	int64_t now = ea_trail_now();

	if (write_pending(t)) {
		if (t->o.disk_full != EA_DISK_FULL_ROTATE ||
		    ea_trail_retain(t, now, "disk_full") <= 0 || write_pending(t))
			return false;
	}
	t->suspended = false;
	ea_log("trail: %s: writing again after %llu records were refused", t->dir,
	       (unsigned long long)t->refused_run);
	if (t->refused_run) {
		snprintf(detail, sizeof(detail), "{\"records\":%llu,\"since\":\"%s\",\"until\":\"%s\"}",
			 (unsigned long long)t->refused_run, ea_format_time(t->refused_since, since),
			 ea_format_time(now, until));
		ea_trail_append_own(t, EA_REC_GAP, detail);
	}
	t->refused_run = 0;
	ea_trail_flush(t);
	return true;
}

void ea_trail_tick(struct ea_trail *t, int64_t now)
{
	if (!t || t->halted)
		return;
	if (t->suspended && !resume(t))
		return;
	if (t->blk.count && (t->o.flush != EA_FLUSH_NONE || now - t->last_flush_ns >= EA_NS))
		ea_trail_flush(t);
	if (t->o.checkpoint_interval_s &&
	    now - t->last_checkpoint_ns >= (int64_t)t->o.checkpoint_interval_s * EA_NS)
		ea_trail_checkpoint(t);
	if (t->o.rotate_age_s && t->seg_has_records &&
	    now - t->seg.created_ns >= (int64_t)t->o.rotate_age_s * EA_NS)
		rotate(t);
	if ((t->o.retain_age_s || t->o.retain_size) && now - t->last_retain_ns >= 60 * EA_NS) {
		t->last_retain_ns = now;
		ea_trail_retain(t, now, NULL);
	}
}

void ea_trail_get_stats(const struct ea_trail *t, struct ea_trail_stats *s)
{
	*s = t->st;
	s->next_seq = t->next_seq;
	s->suspended = t->suspended;
	s->halted = t->halted;
}

const char *ea_trail_dir(const struct ea_trail *t)
{
	return t->dir;
}

int ea_trail_lock_errno(const struct ea_trail *t)
{
	return t->lock_errno;
}

void ea_trail_free(struct ea_trail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	libdeflate_free_compressor(t->zc);
	EVP_PKEY_free(t->key);
	free(t->raw);
	free(t->out);
	free(t->ctx);
	free(t);
}

int ea_trail_close(struct ea_trail *t)
{
	int r = 0;

	if (!t)
		return 0;
	if (t->suspended)
		resume(t);
	if (!t->halted && !t->suspended) {
		ea_trail_checkpoint(t);
		r = ea_trail_flush(t);
		if (!r && t->fd >= 0 && fsync(t->fd))
			r = -errno;
	}
	if (t->suspended || t->halted)
		ea_log("trail: %s: closed with %llu records not written", t->dir,
		       (unsigned long long)t->st.refused);
	ea_trail_free(t);
	return r;
}
