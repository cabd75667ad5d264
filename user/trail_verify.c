// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Verification of a host's trail: decoding, continuity, chain, signatures. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_codec.h"
#include "trail_key.h"
#include "trail_read.h"
#include "trail_verify.h"

struct vstate {
	const struct ea_verify_opts *o;
	struct ea_verify_result *res;
	const char *dir;
	int dirfd;
	EVP_PKEY *pub;
	bool pub_tried;
	uint64_t next_seq;
	uint8_t chain[EA_CHAIN_LEN];	/* chain value of record next_seq - 1 */
	char seg[EA_SEG_NAME_LEN + 1];	/* segment being read */
	struct retention {		/* each retention record: to, chain */
		uint64_t to;
		uint8_t chain[EA_CHAIN_LEN];
	} *retentions;
	size_t nretentions;
	uint8_t first_chain[EA_CHAIN_LEN];
	struct ea_rec rec;
};

int ea_anchor_parse(const char *s, struct ea_anchor *a)
{
	char *end;
	unsigned long long seq;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	seq = strtoull(s, &end, 10);
	if (errno || *end != ':' || !seq)
		return -EINVAL;
	a->seq = seq;
	return ea_unhex(a->chain, end + 1, EA_CHAIN_LEN);
}

/* Record the first fault, at seq of the current segment; returns false. */
__attribute__((format(printf, 3, 4)))
static bool fault(struct vstate *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (!v->res->ok)
		return false;
	v->res->ok = false;
	snprintf(v->res->segment, sizeof(v->res->segment), "%s", v->seg);
	v->res->seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->res->what, sizeof(v->res->what), fmt, ap);
	va_end(ap);
	return false;
}

/* The public key: given, beside the trail, or one level up. */
static bool load_pubkey(struct vstate *v, uint64_t seq)
{
	char path[PATH_MAX + 16];
	const char *why = "no public key";
	int r = -ENOENT;

	if (v->pub_tried)
		return v->pub || fault(v, seq, "no usable public key to check signatures");
	v->pub_tried = true;
	if (v->o->pubkey) {
		snprintf(path, sizeof(path), "%s", v->o->pubkey);
		r = ea_key_load_public(path, &v->pub, &why);
	} else {
		snprintf(path, sizeof(path), "%s/host.pub", v->dir);
		if (access(path, F_OK))
			snprintf(path, sizeof(path), "%s/../host.pub", v->dir);
		r = ea_key_load_public(path, &v->pub, &why);
	}
	snprintf(v->res->pubkey, sizeof(v->res->pubkey), "%s", path);
	if (r)
		return fault(v, seq, "cannot check checkpoint signatures: %s: %s", path,
			     r == -EINVAL ? why : strerror(-r));
	ea_key_id(v->pub, v->res->key_id);
	return true;
}

/* A checkpoint at seq: covers seq - 1 with the chain before it, signed. */
static bool check_checkpoint(struct vstate *v, uint64_t seq, const uint8_t *before)
{
	struct ea_checkpoint cp;

	if (ea_checkpoint_parse(v->rec.detail, &cp))
		return fault(v, seq, "checkpoint detail is malformed");
	if (cp.seq != seq - 1)
		return fault(v, seq, "checkpoint claims seq %llu, but follows seq %llu",
			     (unsigned long long)cp.seq, (unsigned long long)(seq - 1));
	if (memcmp(cp.chain, before, EA_CHAIN_LEN))
		return fault(v, seq, "checkpoint chain value differs from the chain of "
			     "seq %llu: records before it were altered, removed or inserted",
			     (unsigned long long)cp.seq);
	if (!load_pubkey(v, seq))
		return false;
	if (!ea_checkpoint_verify(v->pub, v->res->host, &cp))
		return fault(v, seq, "checkpoint signature does not verify under %s (%s)",
			     v->res->pubkey, v->res->key_id);
	v->res->checkpoints++;
	v->res->last_checkpoint = seq;
	return true;
}

/* A retention record: remember where it says the trail now starts. */
static bool note_retention(struct vstate *v, uint64_t seq)
{
	unsigned long long from, to;
	struct retention r, *grown;
	char hex[65];
	const char *c = strstr(v->rec.detail, "\"chain\":\"");

	if (sscanf(v->rec.detail, "{\"from\":%llu,\"to\":%llu,", &from, &to) != 2 || !c ||
	    sscanf(c, "\"chain\":\"%64[0-9a-f]\"}", hex) != 1 ||
	    ea_unhex(r.chain, hex, EA_CHAIN_LEN) || to >= seq)
		return fault(v, seq, "retention record is malformed");
	r.to = to;
	grown = realloc(v->retentions, (v->nretentions + 1) * sizeof(*grown));
	if (!grown)
		return fault(v, seq, "out of memory");
	v->retentions = grown;
	v->retentions[v->nretentions++] = r;
	return true;
}

/* Anchors: the one at seq, if any, must carry this chain value. */
static bool check_anchors(struct vstate *v, uint64_t seq)
{
	for (size_t i = 0; i < v->o->nanchors; i++) {
		const struct ea_anchor *a = &v->o->anchors[i];

		if (a->seq != seq)
			continue;
		if (memcmp(a->chain, v->chain, EA_CHAIN_LEN))
			return fault(v, seq, "anchor %llu: the trail's chain value differs from "
				     "the one the SIEM received", (unsigned long long)seq);
		v->res->anchors++;
	}
	return true;
}

/* One record: decode, host, time within its block, chain, kind checks. */
static bool check_record(struct vstate *v, const uint8_t *p, size_t len,
			 const struct ea_seg_reader *s, int64_t *min, int64_t *max)
{
	uint64_t seq = v->next_seq;
	uint8_t before[EA_CHAIN_LEN];
	const char *why;

	if (ea_rec_decode(s->ctx, p, len, &v->rec, &why))
		return fault(v, seq, "record does not decode: %s", why);
	if (strcmp(v->rec.host, s->hdr.host))
		return fault(v, seq, "record of host '%.64s' in a trail of '%.64s'",
			     v->rec.host, s->hdr.host);
	*min = v->rec.ts_ns < *min ? v->rec.ts_ns : *min;
	*max = v->rec.ts_ns > *max ? v->rec.ts_ns : *max;
	memcpy(before, v->chain, EA_CHAIN_LEN);
	ea_chain_next(v->chain, p, len);
	v->next_seq++;
	v->res->records++;
	if (v->rec.kind == EA_REC_CHECKPOINT && !check_checkpoint(v, seq, before))
		return false;
	if (v->rec.kind == EA_REC_RETENTION && !note_retention(v, seq))
		return false;
	return check_anchors(v, seq);
}

/* One block: its place in the chain, its data, its records, its times. */
static bool check_block(struct vstate *v, struct ea_seg_reader *s)
{
	int64_t min = INT64_MAX, max = INT64_MIN;
	const uint8_t *p;
	const char *why;
	size_t len;
	int r;

	if (s->blk.first_seq != v->next_seq)
		return fault(v, v->next_seq, "block at offset %llu starts at seq %llu, expected %llu",
			     (unsigned long long)s->blk_off, (unsigned long long)s->blk.first_seq,
			     (unsigned long long)v->next_seq);
	if (memcmp(s->blk.chain, v->chain, EA_CHAIN_LEN))
		return fault(v, v->next_seq, "block at offset %llu: chain value differs from "
			     "that of the records before it", (unsigned long long)s->blk_off);
	if (ea_seg_load_block(s, &why))
		return fault(v, v->next_seq, "block at offset %llu: %s",
			     (unsigned long long)s->blk_off, why);
	while ((r = ea_seg_next_record(s, &p, &len, &why)) == 1)
		if (!check_record(v, p, len, s, &min, &max))
			return false;
	if (r < 0)
		return fault(v, v->next_seq, "block at offset %llu: %s",
			     (unsigned long long)s->blk_off, why);
	if (min != s->blk.min_ts || max != s->blk.max_ts)
		return fault(v, s->blk.first_seq, "block at offset %llu: time range in its "
			     "header differs from its records", (unsigned long long)s->blk_off);
	v->res->blocks++;
	return true;
}

/* The segment's index, if there is one, must describe it exactly. */
static bool check_index(struct vstate *v, uint64_t name_seq, const struct ea_seg_idx *got,
			bool last)
{
	struct ea_seg_idx x;
	const char *why = "";
	int r = ea_idx_read(v->dirfd, name_seq, &x, &why);

	if (r == -ENOENT) {
		v->res->missing_indexes += !last;
		return true;
	}
	if (r)
		return fault(v, name_seq, "index: %s", r == -EINVAL ? why : strerror(-r));
	if (x.first_seq != got->first_seq || x.last_seq != got->last_seq ||
	    x.min_ts != got->min_ts || x.max_ts != got->max_ts || x.nblocks != got->nblocks ||
	    x.size != got->size || memcmp(x.end_chain, got->end_chain, EA_CHAIN_LEN))
		return fault(v, name_seq, "index does not match the segment");
	return true;
}

/* The segment header: name, host, place in the chain. */
static bool check_seg_header(struct vstate *v, const struct ea_seg_reader *s,
			     uint64_t name_seq, bool first)
{
	const struct ea_seg_hdr *h = &s->hdr;

	if (h->first_seq != name_seq)
		return fault(v, h->first_seq, "header says first seq %llu, file name says %llu",
			     (unsigned long long)h->first_seq, (unsigned long long)name_seq);
	if (first) {
		snprintf(v->res->host, sizeof(v->res->host), "%s", h->host);
		v->next_seq = v->res->first_seq = h->first_seq;
		memcpy(v->chain, h->chain, EA_CHAIN_LEN);
		memcpy(v->first_chain, h->chain, EA_CHAIN_LEN);
		return true;
	}
	if (strcmp(h->host, v->res->host))
		return fault(v, h->first_seq, "segment of host '%.64s' in the trail of '%.64s'",
			     h->host, v->res->host);
	if (h->first_seq > v->next_seq)
		return fault(v, v->next_seq, "records %llu..%llu are missing before this segment",
			     (unsigned long long)v->next_seq, (unsigned long long)(h->first_seq - 1));
	if (h->first_seq < v->next_seq)
		return fault(v, h->first_seq, "segment starts at seq %llu, inside the previous "
			     "segment (which ends at %llu)", (unsigned long long)h->first_seq,
			     (unsigned long long)(v->next_seq - 1));
	if (memcmp(h->chain, v->chain, EA_CHAIN_LEN))
		return fault(v, h->first_seq, "chain value in the header differs from the end "
			     "of the previous segment");
	return true;
}

/* One segment: header, blocks, no torn tail, index. */
static bool check_segment(struct vstate *v, uint64_t name_seq, bool first, bool last)
{
	struct ea_seg_idx x = { 0 };
	struct ea_seg_reader s;
	const char *why = "";
	bool ok;
	int r;

	ea_seg_name(v->seg, name_seq, "eat");
	r = ea_seg_open(&s, v->dirfd, v->seg, &why);
	if (r)
		return fault(v, name_seq, "%s", r == -EINVAL || r == -ENODATA ? why : strerror(-r));
	ok = check_seg_header(v, &s, name_seq, first);
	x.first_seq = s.hdr.first_seq;
	while (ok && (r = ea_seg_next_block(&s, &why)) == 1) {
		ok = check_block(v, &s);
		x.min_ts = !x.nblocks || s.blk.min_ts < x.min_ts ? s.blk.min_ts : x.min_ts;
		x.max_ts = !x.nblocks || s.blk.max_ts > x.max_ts ? s.blk.max_ts : x.max_ts;
		x.nblocks++;
	}
	if (ok && r < 0) {
		ok = fault(v, v->next_seq, "%s at offset %llu%s", why,
			   (unsigned long long)s.blk_off,
			   r == -ENODATA ? " (a torn tail: the writer stopped inside a block; "
					   "its next start repairs it)" : "");
		v->res->torn = r == -ENODATA && last;
	}
	x.last_seq = v->next_seq - 1;
	x.size = s.off;
	memcpy(x.end_chain, v->chain, EA_CHAIN_LEN);
	ea_seg_close(&s);
	v->res->segments++;
	return ok && check_index(v, name_seq, &x, last);
}

/*
 * The first record present is seq 1 after the zero chain, or a retention
 * record says where the records before it went: the latest one, or an
 * earlier one when the latest was killed before its segments went (its
 * record reaches the disk first; the next pass deletes them).
 */
static bool check_start(struct vstate *v, uint64_t first_name)
{
	static const uint8_t zero[EA_CHAIN_LEN];
	uint64_t first = v->res->first_seq;
	const struct retention *r = NULL;

	ea_seg_name(v->seg, first_name, "eat");
	if (first == 1)
		return !memcmp(v->first_chain, zero, EA_CHAIN_LEN) ||
		       fault(v, 1, "the trail starts at seq 1 but not from the zero chain");
	for (size_t i = v->nretentions; i-- > 0 && !r;)
		if (v->retentions[i].to + 1 == first)
			r = &v->retentions[i];
	if (!r)
		return fault(v, first, "records 1..%llu are missing and no retention record "
			     "accounts for them", (unsigned long long)(first - 1));
	if (memcmp(r->chain, v->first_chain, EA_CHAIN_LEN))
		return fault(v, first, "the chain value the trail starts from differs from the "
			     "one the retention record gives");
	return true;
}

/* Every anchor must have been met in the trail. */
static bool check_anchor_coverage(struct vstate *v)
{
	for (size_t i = 0; i < v->o->nanchors; i++) {
		uint64_t seq = v->o->anchors[i].seq;

		if (seq < v->res->first_seq || seq >= v->next_seq)
			return fault(v, seq, "anchor %llu is not in the trail, which holds "
				     "seq %llu..%llu", (unsigned long long)seq,
				     (unsigned long long)v->res->first_seq,
				     (unsigned long long)(v->next_seq - 1));
	}
	return true;
}

static void walk(struct vstate *v, const struct ea_seg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!check_segment(v, l->seq[i], i == 0, i + 1 == l->n))
			return;
	if (!check_start(v, l->seq[0]))
		return;
	ea_seg_name(v->seg, l->seq[l->n - 1], "eat");
	check_anchor_coverage(v);
}

int ea_trail_verify(const char *dir, const struct ea_verify_opts *o,
		    struct ea_verify_result *res)
{
	struct vstate *v = calloc(1, sizeof(*v));
	struct ea_seg_list l = { 0 };
	int r = -ENOMEM;

	memset(res, 0, sizeof(*res));
	res->ok = true;
	if (!v)
		return r;
	*v = (struct vstate){ .o = o, .res = res, .dir = dir };
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd < 0) {
		r = -errno;
		goto out;
	}
	r = ea_seg_list(v->dirfd, &l);
	if (r)
		goto out;
	if (!l.n)
		fault(v, 0, "no segments (seg-*.eat) in %s", dir);
	else
		walk(v, &l);
	res->last_seq = v->next_seq ? v->next_seq - 1 : 0;
	r = res->ok ? 0 : 1;
out:
	ea_seg_list_free(&l);
	if (v->dirfd >= 0)
		close(v->dirfd);
	EVP_PKEY_free(v->pub);
	free(v->retentions);
	free(v);
	return r;
}
