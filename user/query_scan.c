// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The scan behind query and report: segments in seq order, skipped by
 * their index and blocks skipped by their headers when the time range
 * rules them out; records decoded and filtered; the chain computed only up
 * to records that match, and only when the output wants it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"
#include "rec_codec.h"
#include "trail_read.h"

/* Remember the first damage met. */
static void damage(struct ea_scan *sc, const char *dir, uint64_t seq, uint64_t off,
		   const char *why)
{
	char name[EA_SEG_NAME_LEN + 1];

	if (sc->err[0])
		return;
	ea_seg_name(name, seq, "eat");
	snprintf(sc->err, sizeof(sc->err), "%s/%s: offset %llu: %s", dir, name,
		 (unsigned long long)off, why);
}

/*
 * Whether the index of segment seq rules it out for the time range; *next
 * becomes the seq after its last record when it does.
 */
static bool seg_skippable(struct ea_scan *sc, int dirfd, uint64_t seq, uint64_t *next)
{
	struct ea_seg_idx x;
	const char *why;

	if (!sc->f->has_since && !sc->f->has_until)
		return false;
	if (ea_idx_read(dirfd, seq, &x, &why))
		return false;
	sc->st.bytes_read += EA_IDX_LEN;
	if (x.nblocks && ea_filter_overlaps(sc->f, x.min_ts, x.max_ts))
		return false;
	*next = x.last_seq + 1;
	return true;
}

/*
 * Segments follow each other seq by seq: a segment gone from the middle of
 * the trail (which retention never does) is damage, as verify says.
 */
static void check_follows(struct ea_scan *sc, const char *dir, uint64_t seq, uint64_t next)
{
	char why[96];

	if (!next || seq == next)
		return;
	if (seq > next)
		snprintf(why, sizeof(why), "records %llu..%llu are missing before this segment",
			 (unsigned long long)next, (unsigned long long)(seq - 1));
	else
		snprintf(why, sizeof(why), "it starts at seq %llu, inside the segment before it",
			 (unsigned long long)seq);
	damage(sc, dir, seq, 0, why);
}

/* Hash the records from *hp up to end (the end of a matching record). */
static void catch_up(const uint8_t **hp, const uint8_t *end,
		     uint8_t chain[EA_CHAIN_LEN])
{
	uint64_t n;

	while (*hp < end && !ea_varint_get(hp, end, &n)) {
		ea_chain_next(chain, *hp, (size_t)n);
		*hp += n;
	}
}

/* The records of the loaded block: 0, 1 (stopped) or -EINVAL (damage). */
static int scan_block(struct ea_scan *sc, struct ea_seg_reader *s, struct ea_rec *r,
		      const char **why)
{
	const uint8_t *p, *hp = s->rp;
	uint8_t chain[EA_CHAIN_LEN];
	uint64_t seq = s->blk.first_seq;
	size_t len;
	int rc;

	memcpy(chain, s->blk.chain, EA_CHAIN_LEN);
	while ((rc = ea_seg_next_record(s, &p, &len, why)) == 1) {
		if (ea_rec_decode(s->ctx, p, len, r, why))
			return -EINVAL;
		sc->st.records++;
		r->seq = seq++;
		if (!ea_filter_match(sc->f, r))
			continue;
		if (sc->want_chain) {
			catch_up(&hp, p + len, chain);
			memcpy(r->chain, chain, EA_CHAIN_LEN);
		}
		sc->st.matched++;
		if (sc->fn(sc->ctx, r))
			return 1;
	}
	return rc;
}

/* One segment, block by block. */
static int scan_segment(struct ea_scan *sc, const char *dir, int dirfd, uint64_t seq,
			bool last, struct ea_rec *r, uint64_t *next)
{
	char name[EA_SEG_NAME_LEN + 1];
	struct ea_seg_reader s;
	const char *why = "";
	int rc;

	ea_seg_name(name, seq, "eat");
	rc = ea_seg_open(&s, dirfd, name, &why);
	if (rc) {
		damage(sc, dir, seq, 0, rc == -EINVAL || rc == -ENODATA ? why : strerror(-rc));
		return 0;
	}
	sc->st.segments++;
	while ((rc = ea_seg_next_block(&s, &why)) == 1) {
		*next = s.blk.first_seq + s.blk.count;
		if (!ea_filter_overlaps(sc->f, s.blk.min_ts, s.blk.max_ts)) {
			sc->st.blocks_skipped++;
			continue;
		}
		sc->st.blocks++;
		rc = ea_seg_load_block(&s, &why);
		if (!rc)
			rc = scan_block(sc, &s, r, &why);
		if (rc)
			break;
	}
	if (rc < 0 && !(last && rc == -ENODATA))
		damage(sc, dir, seq, s.blk_off, why);
	sc->st.bytes_read += s.bytes_read;
	ea_seg_close(&s);
	return rc == 1;
}

int ea_scan_trail(struct ea_scan *sc, const char *dir)
{
	struct ea_rec *r = malloc(sizeof(*r));
	struct ea_seg_list l = { 0 };
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dirfd < 0 ? -errno : !r ? -ENOMEM : 0;
	uint64_t next = 0;	/* the seq the next segment must start at; 0 none yet */

	if (!rc)
		rc = ea_seg_list(dirfd, &l);
	for (size_t i = 0; !rc && i < l.n; i++) {
		check_follows(sc, dir, l.seq[i], next);
		next = 0;	/* known again from its index or its blocks */
		if (seg_skippable(sc, dirfd, l.seq[i], &next))
			sc->st.segments_skipped++;
		else
			rc = scan_segment(sc, dir, dirfd, l.seq[i], i + 1 == l.n, r, &next);
	}
	ea_seg_list_free(&l);
	if (dirfd >= 0)
		close(dirfd);
	free(r);
	return rc;
}
