// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the trail's segment reader and record decoder: the
 * input is a segment file, read block by block and record by record as
 * verify and query read it. It is read twice: as it is, and with every
 * checksum made right, so that mutations get past the CRCs into inflate
 * and the decoder. Besides memory errors it checks that every record that
 * decodes encodes and decodes back to the same fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "rec_codec.h"
#include "trail_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ea_rec rec, again;
static struct ea_rec_ctx enc, dec;
static uint8_t buf[EA_REC_ENC_MAX];

/* Encode r and decode it again: the same fields must come back. */
static void check_roundtrip(const struct ea_rec *r)
{
	const char *why;
	size_t n = ea_rec_encode(&enc, r, buf);

	if (n > EA_REC_ENC_MAX || ea_rec_decode(&dec, buf, n, &again, &why))
		abort();
	if (again.kind != r->kind || again.ts_ns != r->ts_ns || strcmp(again.host, r->host) ||
	    memcmp(&again.verdict, &r->verdict,
		   offsetof(struct ea_rec, comm) - offsetof(struct ea_rec, verdict)) ||
	    strcmp(again.comm, r->comm) || strcmp(again.cgroup, r->cgroup) ||
	    strcmp(again.labels, r->labels) || strcmp(again.evidence, r->evidence) ||
	    again.count != r->count || strcmp(again.what, r->what) ||
	    strcmp(again.detail, r->detail))
		abort();
}

/* Read the segment in fd as verify does, ignoring what is wrong with it. */
static void read_segment(int fd)
{
	struct ea_seg_reader s;
	const char *why;
	const uint8_t *p;
	size_t len;

	if (ea_seg_open_fd(&s, fd, &why))
		return;
	while (ea_seg_next_block(&s, &why) == 1) {
		if (ea_seg_load_block(&s, &why))
			continue;
		ea_rec_ctx_reset(&enc);
		ea_rec_ctx_reset(&dec);
		while (ea_seg_next_record(&s, &p, &len, &why) == 1) {
			if (ea_rec_decode(s.ctx, p, len, &rec, &why))
				break;
			check_roundtrip(&rec);
		}
	}
	ea_seg_close(&s);
}

/* Make the segment header's and every block's checksums right, in place. */
static void fix_crcs(uint8_t *d, size_t n)
{
	size_t off;

	if (n >= 12 && !memcmp(d, EA_SEG_MAGIC, 8)) {
		size_t hl = d[10] | d[11] << 8;

		if (hl >= 4 && hl <= n) {
			uint32_t c = (uint32_t)crc32(0, d, (uInt)(hl - 4));

			memcpy(d + hl - 4, &c, 4);
		}
	}
	off = n >= 12 ? (size_t)(d[10] | d[11] << 8) : n;
	while (off + EA_BLK_HDR_LEN <= n) {
		uint8_t *h = d + off;
		uint32_t comp, c;

		memcpy(&comp, h + 36, 4);
		if (comp > n - off - EA_BLK_HDR_LEN)
			break;
		c = (uint32_t)crc32(0, h + EA_BLK_HDR_LEN, comp);
		memcpy(h + 72, &c, 4);
		c = (uint32_t)crc32(0, h, 76);
		memcpy(h + 76, &c, 4);
		off += EA_BLK_HDR_LEN + comp;
	}
}

static int memfd_of(const uint8_t *data, size_t size)
{
	int fd = memfd_create("segment", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!enc.mru[0].buf) {
		ea_rec_ctx_init(&enc);
		ea_rec_ctx_init(&dec);
	}
	read_segment(memfd_of(data, size));
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	read_segment(memfd_of(copy, size));
	free(copy);
	return 0;
}
