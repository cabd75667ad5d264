/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Times on the command line: RFC 3339 (2026-11-29T05:30:00Z, with an
 * optional fraction of up to 9 digits and Z or a +HH:MM/-HH:MM offset; a
 * space or 't' may stand for 'T' and 'z' for 'Z'), a date (2026-11-29:
 * midnight UTC), a time relative to now (-90s, -30m, -2h, -7d, -1w) or "now".
 * Years 1970 to 2261 (the range of 64-bit nanoseconds).
 */
#ifndef EA_TIMEPARSE_H
#define EA_TIMEPARSE_H

#include <stdint.h>

/* s as nanoseconds since the epoch (UTC). 0, or -EINVAL with *why. */
int ea_time_parse(const char *s, int64_t now_ns, int64_t *out, const char **why);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ea_days_from_civil(int64_t y, unsigned int m, unsigned int d);

#endif /* EA_TIMEPARSE_H */
