// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The string buffer's slower parts: growth, numbers, JSON strings, times. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sbuf.h"
#include "util.h"

bool ea_sb_grow(struct ea_sbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void ea_sb_free(struct ea_sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Decimal digits of v, from its bit length (no loop, no division). */
static unsigned int u64_digits(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	/* v | 1 has the digits of v (and 0 one digit) */
	uint64_t w = v | 1;
	/* log10(2) ~ 1233 / 4096: the digits are t or t + 1 */
	unsigned int t = (unsigned int)(64 - __builtin_clzll(w)) * 1233 >> 12;

	return t + (w >= pow10[t]);
}

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Two digits at a time, straight into place: a record has a dozen numbers. */
char *ea_put_u64(char *start, uint64_t v)
{
	unsigned int n = u64_digits(v);
	char *p = start + n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, digit_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return start + n;
}

void ea_sb_u64(struct ea_sbuf *b, uint64_t v)
{
	char *p = ea_sb_room(b, EA_PUT_U64_MAX);

	if (p)
		ea_sb_added(b, (size_t)(ea_put_u64(p, v) - p));
}

/*
 * The escape of one ASCII byte in a JSON string (RFC 8259: the short forms
 * where they exist, \u00XX for the other controls and DEL), or NULL when
 * it needs none.
 */
const char *ea_json_escape(unsigned char c, char buf[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, 8, "\\u%04x", c);
		return buf;
	}
	return NULL;
}

/* Whether a byte goes into a JSON string as it is (most do). */
static inline bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

char *ea_put_json_strn(char *p, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *run = s, *end = s + len;
	char esc[8];

	*p++ = '"';
	while (s < end) {
		if (json_plain(*s)) {
			s++;
			continue;
		}
		size_t n = *s < 0x80 ? 1 : ea_utf8_valid_len(s);

		if (n > (size_t)(end - s))
			n = 0;	/* a sequence cut by the end is invalid */
		const char *e = n == 1 ? ea_json_escape(*s, esc) : NULL;
		uint32_t ctl = n > 1 ? ea_utf8_line_ctl(s, n) : 0;

		if (n && !e && !ctl) {
			s += n;
			continue;
		}
		p = ea_put(p, (const char *)run, (size_t)(s - run));
		if (ctl)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)(ctl & 0xffff));
		p = ea_put_name(p, ctl ? esc : e ? e : "\\ufffd");
		s += ctl ? n : 1;
		run = s;
	}
	p = ea_put(p, (const char *)run, (size_t)(s - run));
	*p++ = '"';
	return p;
}

void ea_sb_json_str(struct ea_sbuf *b, const char *str)
{
	ea_sb_json_strn(b, str, SIZE_MAX);
}

void ea_sb_json_strn(struct ea_sbuf *b, const char *str, size_t max)
{
	size_t len = strnlen(str, max);
	char *p = ea_sb_room(b, EA_PUT_JSON_MAX(len));

	if (p)
		ea_sb_added(b, (size_t)(ea_put_json_strn(p, str, len) - p));
}

/* Two decimal digits of v (below 100). */
static inline char *put2(char *p, unsigned int v)
{
	memcpy(p, digit_pairs + 2 * v, 2);
	return p + 2;
}

/*
 * "YYYY-MM-DDTHH:MM:SS" of a second since 1970 (before the year 10000, as
 * every time of a signed 64-bit nanosecond count is): the civil date from
 * the day count by H. Hinnant's civil_from_days, without gmtime's time
 * zone and locale work. Its length.
 */
static size_t format_civil(char *out, uint64_t sec)
{
	uint64_t days = sec / 86400, z = days + 719468;
	unsigned int rem = (unsigned int)(sec % 86400);
	uint64_t era = z / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;
	unsigned int day = doy - (153 * mp + 2) / 5 + 1;
	unsigned int month = mp < 10 ? mp + 3 : mp - 9;
	unsigned int year = (unsigned int)(yoe + era * 400) + (month <= 2);
	char *p = out;

	p = put2(p, year / 100);
	p = put2(p, year % 100);
	*p++ = '-';
	p = put2(p, month);
	*p++ = '-';
	p = put2(p, day);
	*p++ = 'T';
	p = put2(p, rem / 3600);
	*p++ = ':';
	p = put2(p, rem / 60 % 60);
	*p++ = ':';
	p = put2(p, rem % 60);
	return (size_t)(p - out);
}

/* The date part: cached per second (a record's times are mostly in one). */
char *ea_put_time(char *p, int64_t real_ns)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[24];
	static __thread size_t cached_len;
	time_t sec = (time_t)(real_ns / 1000000000);
	uint32_t us = (uint32_t)((real_ns % 1000000000) / 1000);

	if (sec != cached_sec) {
		if (real_ns >= 0) {
			cached_len = format_civil(cached, (uint64_t)sec);
		} else {	/* before 1970: a hostile trail's */
			struct tm tm;

			gmtime_r(&sec, &tm);
			cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		}
		cached_sec = sec;
	}
	p = ea_put(p, cached, cached_len);
	*p++ = '.';
	for (int i = 6; i >= 1; i--) {
		p[i - 1] = (char)('0' + us % 10);
		us /= 10;
	}
	p[6] = 'Z';
	return p + 7;
}

void ea_sb_time(struct ea_sbuf *b, int64_t real_ns)
{
	char *p = ea_sb_room(b, EA_PUT_TIME_MAX);

	if (p)
		ea_sb_added(b, (size_t)(ea_put_time(p, real_ns) - p));
}
