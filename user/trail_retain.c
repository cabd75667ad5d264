// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Retention: the oldest closed segments are deleted when the trail takes
 * more than retain_size, holds nothing newer than retain_age, or the disk
 * is full (disk_full_action = rotate). Every deletion is recorded, with how
 * many of the deleted records the SIEM destinations (cursors/NAME: the last
 * seq each acknowledged) had not yet received.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trail_priv.h"
#include "trail_read.h"
#include "util.h"

/*
 * Whether entry name of the cursors directory is the lock of a destination
 * that has acknowledged nothing yet: ".NAME.lock" without a cursor "NAME".
 */
static bool lock_without_cursor(int dfd, const char *name)
{
	size_t n = strlen(name);
	char cursor[NAME_MAX + 1];

	if (n < 7 || name[0] != '.' || strcmp(name + n - 5, ".lock"))
		return false;
	snprintf(cursor, sizeof(cursor), "%.*s", (int)(n - 6), name + 1);
	return faccessat(dfd, cursor, F_OK, 0) && errno == ENOENT;
}

/*
 * The lowest seq any destination has acknowledged (0 for one that took
 * its lock and has acknowledged nothing); false when there is none.
 */
static bool min_cursor(struct ea_trail *t, uint64_t *min)
{
	int cfd = openat(t->dirfd, "cursors", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	bool any = false;
	char buf[32];
	DIR *d;

	d = cfd >= 0 ? fdopendir(cfd) : NULL;
	if (!d) {
		if (cfd >= 0)
			close(cfd);
		return false;
	}
	while ((de = readdir(d))) {
		unsigned long long v = 0;
		ssize_t n;
		int fd;

		if (lock_without_cursor(dirfd(d), de->d_name)) {
			*min = 0;
			any = true;
			continue;
		}
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (sscanf(buf, "%llu", &v) != 1)
			v = 0;	/* unreadable: count nothing as delivered */
		if (!any || v < *min)
			*min = v;
		any = true;
	}
	closedir(d);
	return any;
}

/* Records of [from, to] not yet acknowledged by every destination. */
static uint64_t undelivered(struct ea_trail *t, uint64_t from, uint64_t to)
{
	uint64_t c = 0;

	if (!min_cursor(t, &c) || c >= to)
		return 0;
	return to - (c >= from ? c : from - 1);
}

/* Bytes of a segment's files: its data and its index. */
static uint64_t seg_bytes(int dirfd, uint64_t seq)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct stat st;
	uint64_t n = 0;

	ea_seg_name(name, seq, "eat");
	if (!fstatat(dirfd, name, &st, 0))
		n += (uint64_t)st.st_size;
	ea_seg_name(name, seq, "idx");
	if (!fstatat(dirfd, name, &st, 0))
		n += (uint64_t)st.st_size;
	return n;
}

uint64_t ea_trail_bytes(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ea_seg_list l;
	uint64_t total = 0;

	if (fd < 0)
		return 0;
	if (!ea_seg_list(fd, &l)) {
		for (size_t i = 0; i < l.n; i++)
			total += seg_bytes(fd, l.seq[i]);
		ea_seg_list_free(&l);
	}
	close(fd);
	return total;
}

/* Delete a segment, its index and what was cut from it. */
static void delete_segment(struct ea_trail *t, uint64_t seq)
{
	char name[EA_SEG_NAME_LEN + 1], prefix[EA_SEG_NAME_LEN + 8];
	int fd = dup(t->dirfd);
	struct dirent *de;
	DIR *d;

	ea_seg_name(name, seq, "eat");
	unlinkat(t->dirfd, name, 0);
	ea_seg_name(name, seq, "idx");
	unlinkat(t->dirfd, name, 0);
	snprintf(prefix, sizeof(prefix), "%.24s.cut-", name);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			unlinkat(t->dirfd, de->d_name, 0);
	closedir(d);
}

/* Whether the closed segment seq holds only records older than the limit. */
static bool too_old(struct ea_trail *t, uint64_t seq, int64_t now)
{
	struct ea_seg_idx x;
	const char *why;

	if (!t->o.retain_age_s)
		return false;
	if (ea_idx_read(t->dirfd, seq, &x, &why) && ea_trail_scan_idx(t, seq, &x))
		return false;
	return x.nblocks && x.max_ts < now - (int64_t)t->o.retain_age_s * EA_NS;
}

/* The chain value before segment seq (its header says). */
static void chain_before(struct ea_trail *t, uint64_t seq, uint8_t chain[EA_CHAIN_LEN])
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_reader s;
	const char *why;

	memset(chain, 0, EA_CHAIN_LEN);
	if (seq == t->seg.first_seq) {
		memcpy(chain, t->seg.chain, EA_CHAIN_LEN);
		return;
	}
	ea_seg_name(name, seq, "eat");
	if (!ea_seg_open(&s, t->dirfd, name, &why)) {
		memcpy(chain, s.hdr.chain, EA_CHAIN_LEN);
		ea_seg_close(&s);
	}
}

/* The retention record for n segments from seq from deleted; next is
 * the first seq kept. */
static void record_deletion(struct ea_trail *t, uint64_t from, uint64_t next, size_t n,
			    uint64_t bytes, const char *reason)
{
	uint64_t to = next - 1, lost = undelivered(t, from, to);
	uint8_t chain[EA_CHAIN_LEN];
	char hex[2 * EA_CHAIN_LEN + 1], detail[400];

	chain_before(t, next, chain);
	ea_hex(hex, chain, EA_CHAIN_LEN);
	snprintf(detail, sizeof(detail), "{\"from\":%llu,\"to\":%llu,\"segments\":%zu,"
		 "\"bytes\":%llu,\"undelivered\":%llu,\"reason\":\"%s\",\"chain\":\"%s\"}",
		 (unsigned long long)from, (unsigned long long)to, n, (unsigned long long)bytes,
		 (unsigned long long)lost, reason, hex);
	ea_trail_append_own(t, EA_REC_RETENTION, detail);
	if (lost)
		ea_log("trail: %s: retention (%s) deleted records %llu..%llu, %llu of them "
		       "not yet delivered to the SIEM", t->dir, reason, (unsigned long long)from,
		       (unsigned long long)to, (unsigned long long)lost);
}

/* The retention record on disk (synced), before the segments it names go. */
static void record_written(struct ea_trail *t)
{
	if (ea_trail_flush(t) || t->fd < 0)
		return;
	if (t->o.flush < EA_FLUSH_DATA && fdatasync(t->fd))
		ea_log("trail: %s: syncing the retention record failed: %s", t->dir,
		       strerror(errno));
}

/*
 * Delete the oldest closed segments that retention (or a full disk) gives
 * up. Their record reaches the disk first, so that a kill between leaves
 * segments a record says are gone (verify takes that; the next pass
 * deletes them again), never a deletion without its record. A full disk
 * has no room for the record first: its segments go, then it is written.
 */
int ea_trail_retain(struct ea_trail *t, int64_t now, const char *reason)
{
	bool disk_full = reason && !strcmp(reason, "disk_full");
	struct ea_seg_list l;
	uint64_t total = 0, bytes = 0, next;
	size_t n = 0;

	if (t->retaining || ea_seg_list(t->dirfd, &l))
		return 0;
	for (size_t i = 0; i < l.n; i++)
		total += seg_bytes(t->dirfd, l.seq[i]);
	for (; n < l.n && l.seq[n] < t->seg.first_seq; n++) {
		uint64_t b = seg_bytes(t->dirfd, l.seq[n]);
		const char *why = disk_full && !n ? reason :
				  t->o.retain_size && total > t->o.retain_size ? "size" :
				  too_old(t, l.seq[n], now) ? "age" : NULL;

		if (!why)
			break;
		if (!reason)
			reason = why;
		total -= b;
		bytes += b;
	}
	if (n) {
		t->retaining = true;	/* the flush below may rotate: no pass inside it */
		next = n < l.n ? l.seq[n] : t->seg.first_seq;
		if (!disk_full) {
			record_deletion(t, l.seq[0], next, n, bytes, reason);
			record_written(t);
		}
		for (size_t i = 0; i < n; i++)
			delete_segment(t, l.seq[i]);
		ea_trail_sync_dir(t);
		if (disk_full)
			record_deletion(t, l.seq[0], next, n, bytes, reason);
		t->retaining = false;
	}
	ea_seg_list_free(&l);
	return (int)n;
}
