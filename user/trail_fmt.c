// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Headers, index and names of the audit trail's files, and the chain hash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
/*
 * The chain hashes every record the trail writes, verifies and feeds, with
 * OpenSSL's SHA256_* functions: its EVP digest calls run the same code
 * behind provider dispatch and clean-up, and the writer ran 1.13 times as
 * fast without them (README, "The audit trail", Performance). OpenSSL 3
 * marks them deprecated and still ships them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "trail_fmt.h"
#include "util.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return libdeflate_crc32(0, p, n);
}

size_t ea_seg_hdr_put(uint8_t *buf, const struct ea_seg_hdr *h)
{
	size_t hl = strnlen(h->host, 255);
	size_t n = EA_SEG_HDR_MIN + hl;

	memcpy(buf, EA_SEG_MAGIC, 8);
	put16(buf + 8, EA_SEG_VERSION);
	put16(buf + 10, (uint16_t)n);
	put64(buf + 12, h->first_seq);
	memcpy(buf + 20, h->chain, EA_CHAIN_LEN);
	put64(buf + 52, (uint64_t)h->created_ns);
	buf[60] = (uint8_t)hl;
	memcpy(buf + 61, h->host, hl);
	put32(buf + n - 4, crc(buf, n - 4));
	return n;
}

int ea_seg_hdr_get(const uint8_t *buf, size_t len, struct ea_seg_hdr *h, const char **why)
{
	size_t n;

	if (len < 12)
		return -ENODATA;
	if (memcmp(buf, EA_SEG_MAGIC, 8)) {
		*why = "not a trail segment (bad magic)";
		return -EINVAL;
	}
	n = get16(buf + 10);
	if (get16(buf + 8) != EA_SEG_VERSION || n < EA_SEG_HDR_MIN || n > EA_SEG_HDR_MAX) {
		*why = "unsupported segment version or header length";
		return -EINVAL;
	}
	if (len < n)
		return -ENODATA;
	if (get32(buf + n - 4) != crc(buf, n - 4) || buf[60] != n - EA_SEG_HDR_MIN) {
		*why = "segment header checksum mismatch";
		return -EINVAL;
	}
	h->first_seq = get64(buf + 12);
	memcpy(h->chain, buf + 20, EA_CHAIN_LEN);
	h->created_ns = (int64_t)get64(buf + 52);
	memcpy(h->host, buf + 61, buf[60]);
	h->host[buf[60]] = '\0';
	if (memchr(buf + 61, '\0', buf[60]) || !h->first_seq) {
		*why = "bad host or first seq in segment header";
		return -EINVAL;
	}
	return (int)n;
}

void ea_blk_hdr_put(uint8_t buf[EA_BLK_HDR_LEN], const struct ea_blk_hdr *h)
{
	put32(buf, EA_BLK_MAGIC);
	put32(buf + 4, h->count);
	put64(buf + 8, h->first_seq);
	put64(buf + 16, (uint64_t)h->min_ts);
	put64(buf + 24, (uint64_t)h->max_ts);
	put32(buf + 32, h->raw_len);
	put32(buf + 36, h->comp_len);
	memcpy(buf + 40, h->chain, EA_CHAIN_LEN);
	put32(buf + 72, h->data_crc);
	put32(buf + 76, crc(buf, 76));
}

int ea_blk_hdr_get(const uint8_t buf[EA_BLK_HDR_LEN], struct ea_blk_hdr *h, const char **why)
{
	if (get32(buf) != EA_BLK_MAGIC || get32(buf + 76) != crc(buf, 76)) {
		*why = "block header checksum mismatch";
		return -EINVAL;
	}
	h->count = get32(buf + 4);
	h->first_seq = get64(buf + 8);
	h->min_ts = (int64_t)get64(buf + 16);
	h->max_ts = (int64_t)get64(buf + 24);
	h->raw_len = get32(buf + 32);
	h->comp_len = get32(buf + 36);
	memcpy(h->chain, buf + 40, EA_CHAIN_LEN);
	h->data_crc = get32(buf + 72);
	if (!h->count || h->count > h->raw_len / 2 || h->raw_len > EA_BLK_RAW_MAX ||
	    !h->comp_len || h->comp_len > EA_BLK_COMP_MAX || h->min_ts > h->max_ts ||
	    !h->first_seq || h->first_seq + h->count < h->first_seq) {
		*why = "block header fields out of range";
		return -EINVAL;
	}
	return 0;
}

void ea_idx_put(uint8_t buf[EA_IDX_LEN], const struct ea_seg_idx *x)
{
	memcpy(buf, EA_IDX_MAGIC, 8);
	put64(buf + 8, x->first_seq);
	put64(buf + 16, x->last_seq);
	put64(buf + 24, (uint64_t)x->min_ts);
	put64(buf + 32, (uint64_t)x->max_ts);
	put64(buf + 40, x->nblocks);
	put64(buf + 48, x->size);
	memcpy(buf + 56, x->end_chain, EA_CHAIN_LEN);
	put32(buf + 88, crc(buf, 88));
}

int ea_idx_get(const uint8_t *buf, size_t len, struct ea_seg_idx *x, const char **why)
{
	if (len != EA_IDX_LEN || memcmp(buf, EA_IDX_MAGIC, 8) ||
	    get32(buf + 88) != crc(buf, 88)) {
		*why = "index file damaged (length, magic or checksum)";
		return -EINVAL;
	}
	x->first_seq = get64(buf + 8);
	x->last_seq = get64(buf + 16);
	x->min_ts = (int64_t)get64(buf + 24);
	x->max_ts = (int64_t)get64(buf + 32);
	x->nblocks = get64(buf + 40);
	x->size = get64(buf + 48);
	memcpy(x->end_chain, buf + 56, EA_CHAIN_LEN);
	return 0;
}

void ea_seg_name(char buf[EA_SEG_NAME_LEN + 1], uint64_t first_seq, const char *ext)
{
	snprintf(buf, EA_SEG_NAME_LEN + 1, "seg-%020llu.%.3s",
		 (unsigned long long)first_seq, ext);
}

bool ea_seg_name_parse(const char *name, const char *ext, uint64_t *first_seq)
{
	uint64_t v = 0;

	if (strlen(name) != EA_SEG_NAME_LEN || memcmp(name, "seg-", 4) ||
	    name[24] != '.' || strcmp(name + 25, ext))
		return false;
	for (int i = 4; i < 24; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*first_seq = v;
	return v != 0;
}

/* chain = SHA-256(chain || rec[0..len)). */
void ea_chain_next(uint8_t chain[EA_CHAIN_LEN], const uint8_t *rec, size_t len)
{
	SHA256_CTX sha;

	SHA256_Init(&sha);
	SHA256_Update(&sha, chain, EA_CHAIN_LEN);
	SHA256_Update(&sha, rec, len);
	SHA256_Final(chain, &sha);
}

int ea_unhex(uint8_t *out, const char *hex, size_t n)
{
	if (strlen(hex) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = ea_hex_value(hex[2 * i]), lo = ea_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
