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

/* Two digits at a time, straight into the buffer: a record has a dozen numbers. */
void ea_sb_u64(struct ea_sbuf *b, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	unsigned int n = u64_digits(v);
	char *start = ea_sb_room(b, n), *p;

	if (!start)
		return;
	p = start + n;
	while (v >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	ea_sb_added(b, n);
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

void ea_sb_json_str(struct ea_sbuf *b, const char *str)
{
	ea_sb_json_strn(b, str, SIZE_MAX);
}

void ea_sb_json_strn(struct ea_sbuf *b, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;
	const unsigned char *end = max == SIZE_MAX ? NULL : s + max;
	char esc[8];

	ea_sb_putc(b, '"');
	while (*s && s != end) {
		if (json_plain(*s)) {
			s++;
			continue;
		}
		size_t n = *s < 0x80 ? 1 : ea_utf8_valid_len(s);

		if (end && n > (size_t)(end - s))
			n = 0;	/* a sequence cut by the end is invalid */
		const char *e = n == 1 ? ea_json_escape(*s, esc) : NULL;
		uint32_t ctl = n > 1 ? ea_utf8_line_ctl(s, n) : 0;

		if (n && !e && !ctl) {
			s += n;
			continue;
		}
		ea_sb_putn(b, (const char *)run, (size_t)(s - run));
		if (ctl)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)(ctl & 0xffff));
		ea_sb_puts(b, ctl ? esc : e ? e : "\\ufffd");
		s += ctl ? n : 1;
		run = s;
	}
	ea_sb_putn(b, (const char *)run, (size_t)(s - run));
	ea_sb_putc(b, '"');
}

void ea_sb_time(struct ea_sbuf *b, int64_t real_ns)
{
	static __thread time_t cached_sec = -1;
	static __thread char cached[24];
	static __thread size_t cached_len;
	time_t sec = (time_t)(real_ns / 1000000000);
	uint32_t us = (uint32_t)((real_ns % 1000000000) / 1000);
	char frac[9];

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	ea_sb_putn(b, cached, cached_len);
	frac[0] = '.';
	for (int i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + us % 10);
		us /= 10;
	}
	frac[7] = 'Z';
	ea_sb_putn(b, frac, 8);
}
