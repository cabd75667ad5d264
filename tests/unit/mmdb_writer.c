// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A small MaxMind DB writer for the importer tests (see mmdb_writer.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmdb_writer.h"

#define REC_EMPTY	(-1)
#define REC_DATA(i)	(-2 - (int32_t)(i))	/* data record i */
#define REC_MAX		((1u << 24) - 1)

enum mmdb_type {
	T_UTF8 = 2,
	T_UINT16 = 5,
	T_UINT32 = 6,
	T_MAP = 7,
	T_UINT64 = 9,
	T_ARRAY = 11,
};

/* A record is a node index (>= 0), REC_EMPTY or REC_DATA(i). */
struct wnode {
	int32_t rec[2];
};

struct wdata {
	char country[8], registered[8];	/* "": left out */
};

struct mmdb_writer {
	int ip_version;
	unsigned int width;
	struct wnode *nodes;
	size_t nnodes, cap;
	struct wdata *data;
	size_t ndata;
};

struct bytes {
	uint8_t *p;
	size_t n, cap;
	int failed;
};

/* Append raw bytes; remembers an allocation failure. */
static void put(struct bytes *b, const void *src, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->n + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

/* Append one byte. */
static void put_byte(struct bytes *b, uint8_t v)
{
	put(b, &v, 1);
}

/* Control byte(s) of a field: type (extended past 7) and payload size. */
static void put_ctrl(struct bytes *b, enum mmdb_type type, size_t size)
{
	uint8_t t = type > 7 ? 0 : (uint8_t)type;

	if (size < 29)
		put_byte(b, (uint8_t)(t << 5 | size));
	else if (size < 285)
		put_byte(b, (uint8_t)(t << 5 | 29));
	else if (size < 65821)
		put_byte(b, (uint8_t)(t << 5 | 30));
	else
		put_byte(b, (uint8_t)(t << 5 | 31));
	if (type > 7)
		put_byte(b, (uint8_t)(type - 7));
	if (size >= 65821) {
		size -= 65821;
		put_byte(b, (uint8_t)(size >> 16));
		put_byte(b, (uint8_t)(size >> 8));
		put_byte(b, (uint8_t)size);
	} else if (size >= 285) {
		size -= 285;
		put_byte(b, (uint8_t)(size >> 8));
		put_byte(b, (uint8_t)size);
	} else if (size >= 29) {
		put_byte(b, (uint8_t)(size - 29));
	}
}

/* A UTF-8 string field. */
static void put_str(struct bytes *b, const char *s)
{
	put_ctrl(b, T_UTF8, strlen(s));
	put(b, s, strlen(s));
}

/* An unsigned integer in as few big-endian bytes as it needs. */
static void put_uint(struct bytes *b, enum mmdb_type type, uint64_t v)
{
	size_t n = 0;

	for (uint64_t x = v; x; x >>= 8)
		n++;
	put_ctrl(b, type, n);
	while (n--)
		put_byte(b, (uint8_t)(v >> (8 * n)));
}

/* A one-key map { key: { subkey: value } }. */
static void put_nested(struct bytes *b, const char *key, const char *subkey,
		       const char *value)
{
	put_str(b, key);
	put_ctrl(b, T_MAP, 1);
	put_str(b, subkey);
	put_str(b, value);
}

/* One data record; the country maps that are set, and a continent. */
static void put_record(struct bytes *b, const struct wdata *d)
{
	put_ctrl(b, T_MAP, 1 + !!d->country[0] + !!d->registered[0]);
	put_nested(b, "continent", "code", "XX");
	if (d->country[0])
		put_nested(b, "country", "iso_code", d->country);
	if (d->registered[0])
		put_nested(b, "registered_country", "iso_code", d->registered);
}

/* The metadata map that follows the marker. */
static void put_metadata(struct bytes *b, const struct mmdb_writer *w)
{
	put_ctrl(b, T_MAP, 9);
	put_str(b, "binary_format_major_version");
	put_uint(b, T_UINT16, 2);
	put_str(b, "binary_format_minor_version");
	put_uint(b, T_UINT16, 0);
	put_str(b, "build_epoch");
	put_uint(b, T_UINT64, 1700000000);
	put_str(b, "database_type");
	put_str(b, "EA-Test-Country");
	put_str(b, "description");
	put_ctrl(b, T_MAP, 1);
	put_str(b, "en");
	put_str(b, "egress-audit test database");
	put_str(b, "ip_version");
	put_uint(b, T_UINT16, (uint64_t)w->ip_version);
	put_str(b, "languages");
	put_ctrl(b, T_ARRAY, 1);
	put_str(b, "en");
	put_str(b, "node_count");
	put_uint(b, T_UINT32, w->nnodes);
	put_str(b, "record_size");
	put_uint(b, T_UINT16, 24);
}

/* A new node whose two records both hold fill. */
static int32_t new_node(struct mmdb_writer *w, int32_t fill)
{
	if (w->nnodes == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct wnode *n = realloc(w->nodes, cap * sizeof(*n));

		if (!n)
			return -1;
		w->nodes = n;
		w->cap = cap;
	}
	w->nodes[w->nnodes].rec[0] = fill;
	w->nodes[w->nnodes].rec[1] = fill;
	return (int32_t)w->nnodes++;
}

/* An empty tree: the root node with two empty records. */
struct mmdb_writer *mmdb_writer_new(int ip_version)
{
	struct mmdb_writer *w;

	if (ip_version != 4 && ip_version != 6)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ip_version = ip_version;
	w->width = ip_version == 4 ? 32 : 128;
	if (new_node(w, REC_EMPTY) < 0) {
		mmdb_writer_free(w);
		return NULL;
	}
	return w;
}

/* Free the writer and its tree. */
void mmdb_writer_free(struct mmdb_writer *w)
{
	if (!w)
		return;
	free(w->nodes);
	free(w->data);
	free(w);
}

/* "ADDR/LEN" into tree bits (16 bytes, left-aligned for IPv4 trees). */
static int parse_prefix(const struct mmdb_writer *w, const char *cidr,
			uint8_t bits[16], unsigned int *len)
{
	char text[64];
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : 0;
	uint8_t v4[4];

	if (!slash || alen >= sizeof(text))
		return -1;
	memcpy(text, cidr, alen);
	text[alen] = '\0';
	*len = (unsigned int)atoi(slash + 1);
	memset(bits, 0, 16);
	if (inet_pton(AF_INET, text, v4) == 1) {
		if (*len > 32)
			return -1;
		if (w->width == 32) {
			memcpy(bits, v4, 4);
		} else {
			memcpy(bits + 12, v4, 4);
			*len += 96;
		}
		return 0;
	}
	if (w->width == 32 || inet_pton(AF_INET6, text, bits) != 1 || *len > 128)
		return -1;
	return 0;
}

/* Bit i of an address, from the most significant. */
static unsigned int bit_at(const uint8_t bits[16], unsigned int i)
{
	return (bits[i / 8] >> (7 - i % 8)) & 1;
}

/* Set the record for a prefix to value, creating the nodes on its path. */
static int set_prefix(struct mmdb_writer *w, const uint8_t bits[16],
		      unsigned int len, int32_t value)
{
	int32_t node = 0;

	if (!len)
		return -1;
	for (unsigned int i = 0; i + 1 < len; i++) {
		int32_t *rec = &w->nodes[node].rec[bit_at(bits, i)];
		int32_t next = *rec;

		if (next < 0) {
			next = new_node(w, next);
			if (next < 0)
				return -1;
			w->nodes[node].rec[bit_at(bits, i)] = next;
		}
		node = next;
	}
	w->nodes[node].rec[bit_at(bits, len - 1)] = value;
	return 0;
}

/* Index of the data record for these codes, added if new; -1 on failure. */
static int32_t data_index(struct mmdb_writer *w, const char *country,
			  const char *registered)
{
	struct wdata d, *nd;

	memset(&d, 0, sizeof(d));
	if (country)
		snprintf(d.country, sizeof(d.country), "%s", country);
	if (registered)
		snprintf(d.registered, sizeof(d.registered), "%s", registered);
	for (size_t i = 0; i < w->ndata; i++) {
		if (!memcmp(&w->data[i], &d, sizeof(d)))
			return (int32_t)i;
	}
	nd = realloc(w->data, (w->ndata + 1) * sizeof(*nd));
	if (!nd)
		return -1;
	w->data = nd;
	w->data[w->ndata] = d;
	return (int32_t)w->ndata++;
}

/* Point a prefix at the data record of its codes. */
int mmdb_writer_insert(struct mmdb_writer *w, const char *cidr,
		       const char *country, const char *registered)
{
	uint8_t bits[16];
	unsigned int len;
	int32_t i;

	if (parse_prefix(w, cidr, bits, &len))
		return -1;
	i = data_index(w, country, registered);
	if (i < 0)
		return -1;
	return set_prefix(w, bits, len, REC_DATA(i));
}

/* Alias the IPv4 subtree as MaxMind writers do (see the header). */
int mmdb_writer_alias_ipv4(struct mmdb_writer *w)
{
	static const char *const aliases[] = {
		"::ffff:0:0/96", "2001::/32", "2002::/16",
	};
	int32_t node = 0;

	if (w->width != 128)
		return -1;
	for (int i = 0; i < 96 && node >= 0; i++)
		node = w->nodes[node].rec[0];
	if (node < 0)
		return -1;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		uint8_t bits[16];
		unsigned int len;

		if (parse_prefix(w, aliases[i], bits, &len) ||
		    set_prefix(w, bits, len, node))
			return -1;
	}
	return 0;
}

/* The 24-bit value of a record in the file. */
static uint32_t record_value(const struct mmdb_writer *w, int32_t rec,
			     const size_t *offsets)
{
	if (rec >= 0)
		return (uint32_t)rec;
	if (rec == REC_EMPTY)
		return (uint32_t)w->nnodes;
	return (uint32_t)(w->nnodes + 16 + offsets[-2 - rec]);
}

/* Search tree, separator and data section, then the metadata. */
int mmdb_writer_build(const struct mmdb_writer *w, uint8_t **buf, size_t *len)
{
	static const uint8_t sep[16];
	struct bytes out = { 0 }, data = { 0 };
	size_t *offsets = calloc(w->ndata + 1, sizeof(*offsets));

	if (!offsets)
		return -1;
	for (size_t i = 0; i < w->ndata; i++) {
		offsets[i] = data.n;
		put_record(&data, &w->data[i]);
	}
	for (size_t i = 0; i < w->nnodes; i++) {
		for (int side = 0; side < 2; side++) {
			uint32_t v = record_value(w, w->nodes[i].rec[side], offsets);

			put_byte(&out, (uint8_t)(v >> 16));
			put_byte(&out, (uint8_t)(v >> 8));
			put_byte(&out, (uint8_t)v);
			if (v > REC_MAX)
				out.failed = 1;
		}
	}
	put(&out, sep, sizeof(sep));
	put(&out, data.p, data.n);
	put(&out, "\xab\xcd\xefMaxMind.com", 14);
	put_metadata(&out, w);
	free(offsets);
	free(data.p);
	if (out.failed || data.failed) {
		free(out.p);
		return -1;
	}
	*buf = out.p;
	*len = out.n;
	return 0;
}

/* Build the database and write it to path. */
int mmdb_writer_write(const struct mmdb_writer *w, const char *path)
{
	uint8_t *buf;
	size_t len;
	FILE *f;
	int ret = -1;

	if (mmdb_writer_build(w, &buf, &len))
		return -1;
	f = fopen(path, "wb");
	if (f) {
		ret = fwrite(buf, 1, len, f) == len ? 0 : -1;
		if (fclose(f))
			ret = -1;
	}
	free(buf);
	return ret;
}
