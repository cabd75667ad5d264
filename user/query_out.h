/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records as query prints them: a readable table (non-printable bytes as
 * \xNN), JSON lines (the keys of `run -j` with seq and chain, and a flow's
 * community_id where it has one) or CSV (RFC 4180 quoting; a text cell
 * that a spreadsheet would take for a formula, starting with = + - @ or a
 * tab or CR, gets a leading '; controls other than tab, CR and LF, and
 * bytes of invalid UTF-8, as U+FFFD).
 */
#ifndef EA_QUERY_OUT_H
#define EA_QUERY_OUT_H

#include <stdio.h>

#include "rec.h"

enum ea_out_format { EA_OUT_TABLE, EA_OUT_JSON, EA_OUT_CSV };

void ea_out_header(FILE *f, enum ea_out_format fmt);
void ea_out_record(FILE *f, enum ea_out_format fmt, const struct ea_rec *r);
/* One CSV text cell. */
void ea_csv_str(FILE *f, const char *s);
/* s with every byte outside printable ASCII (and backslash) as \xNN. */
const char *ea_escape(char *buf, size_t len, const char *s);

#endif /* EA_QUERY_OUT_H */
