// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line times: RFC 3339, dates, relative times (timeparse.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "timeparse.h"

#define NS		1000000000ll
#define YEAR_MIN	1970
#define YEAR_MAX	2261

int64_t ea_days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v. */
static bool digits(const char *s, int n, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned int)(s[i] - '0');
	}
	return true;
}

static unsigned int month_days(unsigned int y, unsigned int m)
{
	static const unsigned char days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD at s: days since the epoch. */
static int parse_date(const char *s, int64_t *days, const char **why)
{
	unsigned int y, m, d;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
	    !digits(s + 8, 2, &d)) {
		*why = "not a date YYYY-MM-DD";
		return -EINVAL;
	}
	if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1 || d > month_days(y, m)) {
		*why = "no such date (years 1970 to 2261)";
		return -EINVAL;
	}
	*days = ea_days_from_civil(y, m, d);
	return 0;
}

/* ".fraction" (1 to 9 digits) at *s as nanoseconds. */
static int parse_frac(const char **s, int64_t *ns, const char **why)
{
	const char *p = *s + 1;
	int64_t scale = NS / 10;

	*ns = 0;
	if (**s != '.')
		return 0;
	if (*p < '0' || *p > '9') {
		*why = "a fraction of a second needs digits";
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++, scale /= 10) {
		if (!scale) {
			*why = "more than 9 digits of fraction";
			return -EINVAL;
		}
		*ns += (*p - '0') * scale;
	}
	*s = p;
	return 0;
}

/* "Z", "+HH:MM" or "-HH:MM" ending the string: seconds east of UTC. */
static int parse_offset(const char *s, int64_t *secs, const char **why)
{
	unsigned int h, m;

	*why = "needs a time zone: Z or +HH:MM or -HH:MM at the end";
	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*secs = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &h) || s[3] != ':' ||
	    !digits(s + 4, 2, &m) || s[6] || h > 23 || m > 59)
		return -EINVAL;
	*secs = (int64_t)(h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

/* RFC 3339 date-time. */
static int parse_rfc3339(const char *s, int64_t *out, const char **why)
{
	unsigned int h, mi, sec;
	int64_t days, frac, off;
	const char *p = s + 19;

	if (parse_date(s, &days, why))
		return -EINVAL;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec)) {
		*why = "not an RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ)";
		return -EINVAL;
	}
	if (h > 23 || mi > 59 || sec > 60) {
		*why = "hour, minute or second out of range";
		return -EINVAL;
	}
	if (parse_frac(&p, &frac, why) || parse_offset(p, &off, why))
		return -EINVAL;
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec) - off) * NS + frac;
	return 0;
}

/* "-N[smhdw]": N units before now. */
static int parse_relative(const char *s, int64_t now, int64_t *out, const char **why)
{
	static const char units[] = "smhdw";
	static const int64_t secs[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *p = s + 1, *u;
	int64_t n = 0;

	*why = "not a relative time (-N followed by s, m, h, d or w)";
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 200ll * 366 * 86400)
			return -EINVAL;
	}
	if (p == s + 1 || !*p || p[1] || !(u = strchr(units, *p)) ||
	    n * secs[u - units] > 200ll * 366 * 86400)
		return -EINVAL;
	*out = now - n * secs[u - units] * NS;
	return 0;
}

/* Any of the forms, before the range check. */
static int parse_any(const char *s, int64_t now_ns, int64_t *out, const char **why)
{
	size_t n = strlen(s);
	int64_t days;

	if (!strcmp(s, "now")) {
		*out = now_ns;
		return 0;
	}
	if (s[0] == '-')
		return parse_relative(s, now_ns, out, why);
	if (n == 10) {
		if (parse_date(s, &days, why))
			return -EINVAL;
		*out = days * 86400 * NS;
		return 0;
	}
	if (n < 19) {	/* 19: a date-time without its zone, which says so */
		*why = "not a time (RFC 3339, YYYY-MM-DD, -2h or now)";
		return -EINVAL;
	}
	return parse_rfc3339(s, out, why);
}

/*
 * Every form ends in the years of the header: a relative time reaching
 * back past 1970, or an offset that moves a time across either end, is
 * refused like a date outside them.
 */
int ea_time_parse(const char *s, int64_t now_ns, int64_t *out, const char **why)
{
	int64_t t;

	if (parse_any(s, now_ns, &t, why))
		return -EINVAL;
	if (t < 0) {
		*why = "before 1970-01-01T00:00:00Z";
		return -EINVAL;
	}
	if (t >= ea_days_from_civil(YEAR_MAX + 1, 1, 1) * 86400 * NS) {
		*why = "after the year 2261";
		return -EINVAL;
	}
	*out = t;
	return 0;
}
