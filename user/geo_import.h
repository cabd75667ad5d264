/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Importers of IP-to-country data into interval lists:
 *  - CSV ranges "start,end,CC" with addresses as text or as decimal integers,
 *    plain or gzip (detected by content, not by name);
 *  - MaxMind MMDB country databases, through libmaxminddb, by walking the
 *    whole search tree.
 * Every interval gets val.cc and val.cc_src = source; val.pol stays 0.
 * Bad input is an error naming the file, the line (text formats) and the
 * problem, never a silent skip.
 */
#ifndef EA_GEO_IMPORT_H
#define EA_GEO_IMPORT_H

#include "err.h"
#include "ivl.h"

enum ea_geo_format {
	EA_GEO_AUTO = 0,	/* MMDB by its metadata marker, otherwise CSV */
	EA_GEO_CSV = 1,
	EA_GEO_MMDB = 2,
};

/*
 * Read one file and append its ranges to *out. Pass an empty list per file:
 * on success *out holds exactly this file's ranges, normalized (sorted and
 * disjoint, through ea_ivl_normalize). On error *out may hold part of the
 * file; the caller frees it. A file with no range at all is an error too
 * (an empty download is a likely mistake).
 *
 * Missing or unreadable file: "<path>: <strerror>" and -errno. Bad content:
 * -EINVAL with "<path>:<line>: <problem>" for CSV, "<path>: <problem>" for
 * gzip and MMDB. gzip is detected by its magic bytes (1f 8b); it must be
 * complete (CRC checked, nothing after the last member).
 *
 * CSV: one range a line, "start,end,CC", blanks around fields allowed.
 * Addresses are text (1.0.0.0, 2001:200::) or unsigned decimal integers;
 * a decimal line is IPv4 when both numbers are <= 0xffffffff, IPv6
 * otherwise. Lines may end in CRLF; blank lines and '#' comments are
 * skipped, and so is a header line ("start,end,country") if it is the first
 * other line and neither of its first two fields is an address. CC is two
 * ASCII letters (lower case is upper-cased); "ZZ" means unassigned and its
 * line adds nothing; "EU", "AP" and the like are kept as given.
 * Overlapping lines are not an error: the public whois-derived snapshots,
 * the shipped one included, nest sub-allocations inside larger blocks and
 * repeat a few ranges. Each address goes to the most specific range that
 * covers it: the one that starts last, of equal starts the one that ends
 * first, of identical ranges the later line. Each resulting interval keeps
 * the line of the range it came from.
 *
 * MMDB: every network of the search tree, with country.iso_code, else
 * registered_country.iso_code; networks with neither are skipped. In an
 * IPv6 database IPv4 is read at ::/96 and stored mapped (::ffff:a.b.c.d);
 * the aliases of it (::ffff:0:0/96, 2002::/16, ...) are not read twice.
 */
int ea_geo_read_file(const char *path, enum ea_geo_format fmt, uint16_t source,
		     struct ea_ivl_list *out, struct ea_err *err);

/*
 * Parse CSV text (not gzip) from memory, as above; name is used in error
 * messages. Appends to *out and normalizes it as a whole, so pass an empty
 * list. No range at all is not an error here.
 */
int ea_geo_parse_csv(const char *name, const char *buf, size_t len,
		     uint16_t source, struct ea_ivl_list *out, struct ea_err *err);

#endif /* EA_GEO_IMPORT_H */
