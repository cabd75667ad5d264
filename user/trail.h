/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit trail: every record `run` makes, appended to files that show
 * any later change.
 *
 * Layout. log_dir/HOST/ holds the trail of one host (so trails of several
 * hosts can sit side by side under one directory for query and report):
 *
 *   seg-<first seq, 20 digits>.eat   segments, in seq order
 *   seg-<first seq>.idx              index of a closed segment
 *   seg-<first seq>.cut-<offset>     bytes cut from a torn tail, kept aside
 *   cursors/NAME                     last seq a SIEM destination acknowledged
 *
 * and log_dir/host.key (Ed25519 private key, PEM, 0600; [agent] key_file
 * moves it) and log_dir/host.pub (the public key, PEM, for the auditor).
 * Directories are 0700, files 0600. The one writer of a trail holds a
 * flock() on log_dir/HOST; a second one is refused.
 *
 * Records. Each record is encoded compactly (rec_codec.h). Its seq is its
 * place in the trail, gap-free from 1; its chain value is
 * chain(n) = SHA-256(chain(n-1) || encoded record n), chain(0) = 32 zero
 * bytes, across segments and restarts. Removing, inserting, reordering or
 * altering a record changes every later chain value.
 *
 * Segment: a header (magic "EATRAIL1", version, first seq, chain before it,
 * creation time, host, CRC32), then blocks. Block: an 80-byte header
 * (magic, record count, first seq, min and max record time, raw and
 * compressed length, chain before its first record, CRC32 of the
 * compressed bytes, CRC32 of the header), then one raw-deflate stream of
 * the records, each a varint length and the encoded record. A block is
 * written with one write(), so a crash leaves at most one partial block at
 * the end of the last segment.
 *
 * Index: when a segment is closed, seg-N.idx records its seq and time
 * ranges, block count, size and last chain value (with a CRC32); queries
 * bounded in time skip segments by it, and skip blocks by their headers.
 * A missing index is rebuilt from the block headers at the next start.
 *
 * Checkpoints: at every rotation, at close and every checkpoint_interval
 * while records come in, a checkpoint record signs, with the host's
 * Ed25519 key, the seq, chain value and time of the record before it:
 *   detail {"seq":N,"chain":"hex","time":"RFC 3339","sig":"hex",
 *           "key":"sha256:hex of the public key's DER"}
 * The signed message is "egress-audit checkpoint v1 HOST SEQ CHAIN TIME".
 * Checkpoints are what leaves the host for the SIEM: anchors that root on
 * this host cannot rewrite. The key pair is made at the first start.
 *
 * Rotation: a new segment when the current one reaches rotate_size bytes
 * or rotate_age seconds. Retention: the oldest closed segments are deleted
 * while all segments take more than retain_size bytes or hold only
 * records older than retain_age; each deletion is recorded in a retention
 * record {"from":A,"to":B,"segments":N,"bytes":N,"undelivered":N,
 * "reason":"size|age|disk_full","chain":"hex"} naming the deleted seq range,
 * how many of its records no SIEM destination (cursors/) had acknowledged,
 * and the chain value the trail now starts from.
 *
 * Flush modes ([agent] flush):
 *   none         a block leaves the process when it is full (64 KiB of
 *                encoded records) or at the latest one second later. A
 *                killed process loses up to that much; so does power loss.
 *   incremental  the block is written after each batch of events the agent
 *                handles: a killed process loses nothing it handled; power
 *                loss loses what the kernel had not written back.
 *   data         as incremental, and fdatasync after each block: power loss
 *                loses nothing written (the last segment's size included).
 *   sync         as data with fsync, and the directory is fsync'd when a
 *                segment is created or deleted: power loss loses nothing.
 *
 * Crash repair: at open the last segment is scanned; from the first block
 * that is incomplete or does not check out, the rest is copied aside
 * (seg-N.cut-OFFSET) and cut off, and a repair record
 * {"segment":"...","offset":N,"bytes":N,"saved":"seg-N.cut-OFFSET"} says
 * how much. Its seq follows the last record that was kept.
 *
 * Disk full ([agent] disk_full_action), when a block cannot be written
 * (ENOSPC, EDQUOT, EFBIG); a partial write is cut back first:
 *   suspend       keep the block, refuse records (they get no seq, counted)
 *                 and retry every second; when it is written, a gap record
 *                {"records":N,"since":"...","until":"..."} counts them.
 *   rotate        delete the oldest closed segments (a retention record with
 *                 reason "disk_full") and retry; if that frees nothing,
 *                 suspend.
 *   halt-logging  stop writing the trail for the rest of the run, say so
 *                 on standard error; records are still printed.
 * Meanwhile the kernel side keeps its counters, which the next heartbeat
 * carries.
 */
#ifndef EA_TRAIL_H
#define EA_TRAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "rec.h"

struct ea_trail;

struct ea_trail_opts {
	const char *log_dir;
	const char *host;
	const char *key_file;		/* NULL: log_dir/host.key */
	uint32_t flush;			/* enum ea_flush_mode */
	uint32_t disk_full;		/* enum ea_disk_full_action */
	uint64_t rotate_size;		/* bytes; 0: no rotation by size */
	uint64_t rotate_age_s;		/* 0: no rotation by age */
	uint64_t retain_size;		/* 0: no limit */
	uint64_t retain_age_s;		/* 0: no limit */
	uint32_t checkpoint_interval_s;	/* 0: only at rotation and close */
	uint32_t block_size;		/* encoded bytes per block; 0: 64 KiB */
	/* told of each record the trail makes itself (checkpoint, repair,
	 * gap, retention) once it has its seq, e.g. to print it */
	void (*own_record)(void *ctx, const struct ea_rec *r);
	void *own_ctx;
};

struct ea_trail_stats {
	uint64_t appended;		/* records given a seq by this process */
	uint64_t written;		/* of them, in blocks written to the file */
	uint64_t refused;		/* records that could not be written */
	uint64_t next_seq;
	uint64_t durable_seq;		/* last seq in a block written (and synced as
					 * the flush mode says); 0: none yet */
	uint8_t durable_chain[32];	/* its chain value */
	uint64_t bytes;			/* bytes written to segments */
	uint64_t repaired_bytes;	/* cut from a torn tail at open */
	bool suspended, halted;
};

/* The trail options of an [agent] configuration for host. */
void ea_trail_opts_from_config(struct ea_trail_opts *o, const struct ea_agent_cfg *c,
			       const char *host);

/*
 * Open (or create) the trail of o->host under o->log_dir, repair a torn
 * tail, make the key pair if there is none. 0, or -errno with err saying
 * which path and why.
 */
int ea_trail_open(struct ea_trail **t, const struct ea_trail_opts *o, struct ea_err *err);

/*
 * What ea_trail_open needs, checked without making or changing anything:
 * the log directory exists or can be made in its parent, the trail's
 * directory in it is writable or can be made, the signing key loads or
 * there is none (*key_absent) and it can be written, and the log
 * directory takes the public key. 0, or where ea_trail_open would fail,
 * its -errno and its words in err. key (PATH_MAX) gets the key's path.
 */
int ea_trail_check(const struct ea_trail_opts *o, char *key, bool *key_absent,
		   struct ea_err *err);

/*
 * Give r its seq and chain and append it. 0; -ENOSPC (or another -errno)
 * when it was refused (r->seq is then 0). r->host is used as it is.
 */
int ea_trail_append(struct ea_trail *t, struct ea_rec *r);

/* Write the block being built now (and sync it as the flush mode says). */
int ea_trail_flush(struct ea_trail *t);

/*
 * Periodic work, called by the agent's loop after each batch of events
 * with the wall clock: flush as the mode says, checkpoint, rotate and
 * delete by age, retry after a full disk.
 */
void ea_trail_tick(struct ea_trail *t, int64_t now_ns);

/* Checkpoint the records so far now (a no-op when the last record is one). */
int ea_trail_checkpoint(struct ea_trail *t);

void ea_trail_get_stats(const struct ea_trail *t, struct ea_trail_stats *s);
/* The trail's directory (log_dir/HOST). */
const char *ea_trail_dir(const struct ea_trail *t);
/* 0, or why its file system took no writer lock (a second writer is not refused). */
int ea_trail_lock_errno(const struct ea_trail *t);

/*
 * Bytes of the segments (data and index) in the trail directory dir, as
 * retention weighs them against retain_size; 0 when there is none.
 */
uint64_t ea_trail_bytes(const char *dir);

/* Checkpoint, flush, write nothing more; frees t. 0 or -errno. */
int ea_trail_close(struct ea_trail *t);

#endif /* EA_TRAIL_H */
