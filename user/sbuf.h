/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A growing string buffer for output on the hot path: records are built
 * with plain appends (no printf) and leave in one fwrite.
 */
#ifndef EA_SBUF_H
#define EA_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ea_sbuf {
	char *p;
	size_t len, cap;
	bool oom;		/* an append failed: the content is cut */
};

bool ea_sb_grow(struct ea_sbuf *b, size_t more);
void ea_sb_free(struct ea_sbuf *b);

static inline void ea_sb_reset(struct ea_sbuf *b)
{
	b->len = 0;
	b->oom = false;
}

/* Room for n more bytes and the NUL: where they go, or NULL when out of memory. */
static inline char *ea_sb_room(struct ea_sbuf *b, size_t n)
{
	if (b->len + n + 1 > b->cap && !ea_sb_grow(b, n + 1))
		return NULL;
	return b->p + b->len;
}

/* The n bytes written at ea_sb_room() join the string. */
static inline void ea_sb_added(struct ea_sbuf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void ea_sb_putn(struct ea_sbuf *b, const char *s, size_t n)
{
	char *p = ea_sb_room(b, n);

	if (!p)
		return;
	memcpy(p, s, n);
	ea_sb_added(b, n);
}

static inline void ea_sb_puts(struct ea_sbuf *b, const char *s)
{
	ea_sb_putn(b, s, strlen(s));
}

static inline void ea_sb_putc(struct ea_sbuf *b, char c)
{
	ea_sb_putn(b, &c, 1);
}

void ea_sb_u64(struct ea_sbuf *b, uint64_t v);

/* The escape of one ASCII byte in a JSON string, or NULL when it needs none. */
const char *ea_json_escape(unsigned char c, char buf[8]);

/* A JSON string, quoted: escapes as ea_json_str() (util.h). */
void ea_sb_json_str(struct ea_sbuf *b, const char *s);
/* The same for the first n bytes of s (or up to its NUL). */
void ea_sb_json_strn(struct ea_sbuf *b, const char *s, size_t n);
/* RFC 3339 UTC with microseconds; the date part is cached per second. */
void ea_sb_time(struct ea_sbuf *b, int64_t real_ns);

#endif /* EA_SBUF_H */
