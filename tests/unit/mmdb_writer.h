/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small MaxMind DB writer for tests: Debian packages no writer, and the
 * importer needs databases of known content. It writes format 2.0 with
 * 24-bit records: the search tree, the 16-byte separator, a data section of
 * maps and UTF-8 strings, then the metadata marker and map.
 */
#ifndef EA_TEST_MMDB_WRITER_H
#define EA_TEST_MMDB_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct mmdb_writer;

/* ip_version 4 (32-bit tree) or 6 (128-bit tree); NULL on failure. */
struct mmdb_writer *mmdb_writer_new(int ip_version);
void mmdb_writer_free(struct mmdb_writer *w);

/*
 * Map "ADDR/LEN" to a record { country: { iso_code }, registered_country:
 * { iso_code }, continent: { code } }; a NULL code leaves its map out, and
 * a code is written as given (up to 7 bytes, to test bad ones). In an
 * IPv6 tree an IPv4 prefix goes to ::a.b.c.d/(96 + LEN), as MaxMind does.
 * Networks with the same codes share one data record. A prefix may lie
 * inside one inserted before (it splits it), not the other way. 0 or -1.
 */
int mmdb_writer_insert(struct mmdb_writer *w, const char *cidr,
		       const char *country, const char *registered);

/*
 * Point ::ffff:0:0/96, 2001::/32 and 2002::/16 at the ::/96 node, as the
 * MaxMind writers' IPv4 aliasing does. Call after the inserts. 0 or -1.
 */
int mmdb_writer_alias_ipv4(struct mmdb_writer *w);

/* The whole file in a malloc'd buffer; 0 or -1. */
int mmdb_writer_build(const struct mmdb_writer *w, uint8_t **buf, size_t *len);
int mmdb_writer_write(const struct mmdb_writer *w, const char *path);

/* Offset of the search tree's node in a built file: 6 bytes a node. */
static inline size_t mmdb_writer_node_offset(uint32_t node)
{
	return (size_t)node * 6;
}

#endif /* EA_TEST_MMDB_WRITER_H */
