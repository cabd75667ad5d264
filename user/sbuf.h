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
#include <stdlib.h>
#include <string.h>

struct ea_sbuf {
	char *p;
	size_t len, cap;
	size_t room;		/* what the last ea_sb_room() reserved */
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
	b->room = n;
	return b->p + b->len;
}

/*
 * The n bytes written at ea_sb_room() join the string. More than it
 * reserved is a writer's bug that may have written past the buffer: stop.
 */
static inline void ea_sb_added(struct ea_sbuf *b, size_t n)
{
	if (n > b->room)
		abort();
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

/*
 * Cursor appends, for a record built in a few pieces: ea_sb_room() reserves
 * the most a piece can take, its parts are written at a cursor without a
 * check or a NUL each, and ea_sb_added() ends the piece. Each returns the
 * cursor after what it wrote.
 */
static inline __attribute__((always_inline)) char *ea_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A string literal: its length is known at compile time, so is the copy. */
#define EA_PUT_LIT(p, lit)	ea_put(p, "" lit "", sizeof(lit) - 1)

/* One of the program's own names (enum names, at most EA_PUT_NAME_MAX bytes). */
#define EA_PUT_NAME_MAX		32
static inline char *ea_put_name(char *p, const char *name)
{
	while (*name)
		*p++ = *name++;
	return p;
}

#define EA_PUT_U64_MAX		20
char *ea_put_u64(char *p, uint64_t v);

/* RFC 3339 UTC with microseconds, as ea_sb_time(). */
#define EA_PUT_TIME_MAX		32
char *ea_put_time(char *p, int64_t real_ns);

/* The room a JSON string of n bytes may take, quoted and escaped. */
#define EA_PUT_JSON_MAX(n)	(6 * (n) + 2)
/* The first n bytes of s (no NUL among them) as a JSON string, as ea_sb_json_strn(). */
char *ea_put_json_strn(char *p, const char *s, size_t n);

/* The escape of one ASCII byte in a JSON string, or NULL when it needs none. */
const char *ea_json_escape(unsigned char c, char buf[8]);

/* A JSON string, quoted: escapes as ea_json_str() (util.h). */
void ea_sb_json_str(struct ea_sbuf *b, const char *s);
/* The same for the first n bytes of s (or up to its NUL). */
void ea_sb_json_strn(struct ea_sbuf *b, const char *s, size_t n);
/* RFC 3339 UTC with microseconds; the date part is cached per second. */
void ea_sb_time(struct ea_sbuf *b, int64_t real_ns);

#endif /* EA_SBUF_H */
