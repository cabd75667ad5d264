// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Checking that text is one JSON object (RFC 8259), before it is embedded as such. */
#include <stdbool.h>
#include <string.h>

#include "json_check.h"

#define JSON_DEPTH_MAX	32

static const char *json_value(const char *s, int depth);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* An ASCII digit. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An ASCII hex digit. */
static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A JSON string at s (on its '"'); the text after it, or NULL. */
static const char *json_string(const char *s)
{
	for (s++; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s != '\\')
			continue;
		s++;
		if (*s == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!is_hex(s[i]))
					return NULL;
			s += 4;
		} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
			return NULL;
		}
	}
	return s + 1;
}

static const char *json_digits(const char *s)
{
	if (!is_digit(*s))
		return NULL;
	while (is_digit(*s))
		s++;
	return s;
}

static const char *json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (!(s = json_digits(s)))
		return NULL;
	if (*s == '.' && !(s = json_digits(s + 1)))
		return NULL;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		s = json_digits(s);
	}
	return s;
}

/* The members of an object (keyed) or array at s, up to close. */
static const char *json_members(const char *s, int depth, char close, bool keyed)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (keyed) {
			if (*s != '"' || !(s = json_string(s)))
				return NULL;
			s = json_ws(s);
			if (*s != ':')
				return NULL;
			s = json_ws(s + 1);
		}
		s = json_value(s, depth + 1);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s != ',')
			return NULL;
		s = json_ws(s + 1);
	}
}

static const char *json_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return strncmp(s, w, n) ? NULL : s + n;
}

static const char *json_value(const char *s, int depth)
{
	if (depth > JSON_DEPTH_MAX)
		return NULL;
	switch (*s) {
	case '{':
		return json_members(s, depth, '}', true);
	case '[':
		return json_members(s, depth, ']', false);
	case '"':
		return json_string(s);
	case 't':
		return json_word(s, "true");
	case 'f':
		return json_word(s, "false");
	case 'n':
		return json_word(s, "null");
	}
	return json_number(s);
}

bool ea_json_object_valid(const char *s)
{
	s = json_ws(s);
	if (*s != '{')
		return false;
	s = json_value(s, 0);
	return s && !*json_ws(s);
}
