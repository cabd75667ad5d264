// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GeoIP importers: CSV ranges (plain or gzip) and MaxMind MMDB databases,
 * read into interval lists of country codes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <maxminddb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "geo_import.h"

#define MMDB_MARKER		"\xab\xcd\xefMaxMind.com"
#define MMDB_MARKER_LEN		(sizeof(MMDB_MARKER) - 1)
#define MMDB_MARKER_WINDOW	(128 * 1024)	/* metadata sits at the end */
#define GZ_MAX_OUT		((size_t)1 << 30)	/* larger is not GeoIP data */
#define QUOTE_MAX		40	/* field bytes shown in a message */
#define QUOTE_BUF		(QUOTE_MAX * 4 + 4)
#define DEC_V4_MAX		0xffffffffu
#define V6_TEXT_MAX		45	/* longest IPv6 text inet_pton takes */
#define NO_NODE			UINT64_MAX
#define CC_CACHE		1024
#define MIN_LINE		7	/* bytes of the shortest data line */
#define SORT_RUN_MAX		64	/* equal starts sorted by insertion */
#define WALK_STACK		(128 + 2)	/* a right sibling per level, +2 */

/* A piece of the input: not NUL-terminated, may hold any byte. */
struct span {
	const char *p;
	size_t n;
};

enum addr_form {
	FORM_BAD,
	FORM_V4,	/* dotted quad */
	FORM_V6,	/* IPv6 text */
	FORM_DEC,	/* unsigned decimal integer */
};

struct csv_ctx {
	const char *name;
	uint16_t source;
	struct ea_ivl_list *out;
	struct ea_err *err;
	uint32_t line;
	bool seen_data;		/* the first data (or header) line is behind */
};

/* "<path>: <strerror>", returning -errno. */
static int sys_error(struct ea_err *err, const char *path, int e)
{
	ea_err_set(err, "%s: %s", path, strerror(e));
	return -e;
}

/* "<name>: out of memory", returning -ENOMEM. */
static int oom_error(struct ea_err *err, const char *name)
{
	ea_err_set(err, "%s: out of memory", name);
	return -ENOMEM;
}

/* ---- CSV ---------------------------------------------------------------- */

/* Blanks allowed around fields; CR so that CRLF lines need no case. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Drop blanks (and the CR of a CRLF line end) at both ends. */
static struct span trim(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* A printable excerpt of a field for an error message: other bytes as \xNN. */
static const char *quote(struct span s, char buf[QUOTE_BUF])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < s.n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (s.n > QUOTE_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Dotted-quad IPv4 as inet_pton takes it (four parts, 0..255, no leading
 * zeros), by hand: the shipped snapshot has a million of them.
 */
static int parse_v4(struct span s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int octet = 0;
		size_t start;

		if (part && (i >= s.n || s.p[i++] != '.'))
			return -EINVAL;
		start = i;
		while (i < s.n && i - start < 3 && s.p[i] >= '0' && s.p[i] <= '9')
			octet = octet * 10 + (unsigned int)(s.p[i++] - '0');
		if (i == start || octet > 255 || (s.p[start] == '0' && i - start > 1))
			return -EINVAL;
		v = v << 8 | octet;
	}
	if (i != s.n)
		return -EINVAL;
	*out = v;
	return 0;
}

/* IPv6 text through inet_pton; a NUL inside the field is no address. */
static int parse_v6(struct span s, ea_addr_t *out)
{
	char text[V6_TEXT_MAX + 1];
	struct in6_addr a;

	if (s.n > V6_TEXT_MAX || memchr(s.p, '\0', s.n))
		return -EINVAL;
	memcpy(text, s.p, s.n);
	text[s.n] = '\0';
	if (inet_pton(AF_INET6, text, &a) != 1)
		return -EINVAL;
	*out = ea_addr_from_bytes(a.s6_addr);
	return 0;
}

/* Unsigned decimal, digits only, up to 2^128 - 1. */
static int parse_dec(struct span s, ea_addr_t *out)
{
	const ea_addr_t lim = EA_ADDR_MAX / 10;
	const unsigned int lim_digit = (unsigned int)(EA_ADDR_MAX % 10);
	ea_addr_t v = 0;

	if (!s.n)
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		unsigned int d = (unsigned int)((unsigned char)s.p[i] - '0');

		if (d > 9 || v > lim || (v == lim && d > lim_digit))
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* One address field, its form told by its characters. */
static enum addr_form parse_addr(struct span s, ea_addr_t *a)
{
	uint32_t v4;

	if (!s.n)
		return FORM_BAD;
	if (memchr(s.p, ':', s.n))
		return parse_v6(s, a) ? FORM_BAD : FORM_V6;
	if (memchr(s.p, '.', s.n)) {
		if (parse_v4(s, &v4))
			return FORM_BAD;
		*a = ea_addr_from_v4(v4);
		return FORM_V4;
	}
	return parse_dec(s, a) ? FORM_BAD : FORM_DEC;
}

/* Two ASCII letters, upper-cased into cc. */
static int parse_cc(struct span s, char cc[3])
{
	if (s.n != 2)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		char c = s.p[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return -EINVAL;
		cc[i] = c;
	}
	cc[2] = '\0';
	return 0;
}

/* Split a line at commas into trimmed fields (the first 3 kept); the count. */
static size_t split_fields(struct span line, struct span f[3])
{
	const char *p = line.p, *end = line.p + line.n;
	size_t n = 0;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *fend = comma ? comma : end;

		if (n < 3)
			f[n] = trim((struct span){ p, (size_t)(fend - p) });
		n++;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

/* Whether c may be in a column's name: a letter, digit, '_', '-' or blank. */
static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == ' ' || c == '\t' || c == '\r';
}

/*
 * The first line that is neither blank nor a comment may be a column header
 * ("start,end,country"): it starts with a letter, its fields are names
 * (no '.' or ':', which a mistyped address has) and neither of its first
 * two is an address. Anything else there is data.
 */
static bool is_header(struct span line, const struct span f[3], size_t nf)
{
	char c = (char)(line.p[0] | 0x20);
	ea_addr_t a;

	if (c < 'a' || c > 'z' || parse_addr(f[0], &a) != FORM_BAD)
		return false;
	for (size_t i = 0; i < line.n; i++)
		if (line.p[i] != ',' && !name_char(line.p[i]))
			return false;
	return nf < 2 || parse_addr(f[1], &a) == FORM_BAD;
}

/* "<name>:<line>: <problem>", returning -EINVAL. */
__attribute__((format(printf, 2, 3)))
static int line_error(const struct csv_ctx *c, const char *fmt, ...)
{
	char what[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ea_err_set(c->err, "%s:%u: %s", c->name, c->line, what);
	return -EINVAL;
}

/*
 * Check that start and end are of one family and put a decimal pair into
 * its family. A decimal line is IPv4 when both numbers fit 32 bits and IPv6
 * otherwise: the rule is per line, so a file may mix both, and an IPv6 range
 * inside ::/96 cannot be written in decimal (nothing is assigned there).
 */
static int settle_family(const struct csv_ctx *c, enum addr_form fs,
			 enum addr_form fe, struct ea_ivl *iv)
{
	if (fs != fe) {
		if (fs == FORM_DEC || fe == FORM_DEC)
			return line_error(c, "start and end mix text and decimal forms");
		return line_error(c, "start and end differ in family");
	}
	if (fs == FORM_DEC && iv->start <= DEC_V4_MAX && iv->end <= DEC_V4_MAX) {
		iv->start = ea_addr_from_v4((uint32_t)iv->start);
		iv->end = ea_addr_from_v4((uint32_t)iv->end);
	}
	return 0;
}

/*
 * One data line, "start,end,CC", into an interval. "ZZ" marks unassigned
 * space in the public snapshots: such a line is checked like any other but
 * adds nothing (no country). Other codes, "EU" and "AP" among them, are kept.
 */
static int parse_line(struct csv_ctx *c, struct span line)
{
	struct ea_ivl iv = { .val = { .cc_src = c->source }, .line = c->line };
	char q[QUOTE_BUF], cc[3];
	enum addr_form fs, fe;
	struct span f[3];
	size_t nf = split_fields(line, f);
	int ret;

	if (!c->seen_data) {
		c->seen_data = true;
		if (is_header(line, f, nf))
			return 0;
	}
	if (nf != 3)
		return line_error(c, "expected 3 fields, got %zu", nf);
	fs = parse_addr(f[0], &iv.start);
	if (fs == FORM_BAD)
		return line_error(c, "bad start address '%s'", quote(f[0], q));
	fe = parse_addr(f[1], &iv.end);
	if (fe == FORM_BAD)
		return line_error(c, "bad end address '%s'", quote(f[1], q));
	ret = settle_family(c, fs, fe, &iv);
	if (ret)
		return ret;
	if (iv.end < iv.start)
		return line_error(c, "inverted range (end before start)");
	if (parse_cc(f[2], cc))
		return line_error(c, "invalid country code '%s'", quote(f[2], q));
	if (ea_cc_iso_alias(ea_cc_pack(cc)))
		return line_error(c, "'%s' is not an ISO 3166 code; write '%s'", cc,
				  ea_cc_iso_alias(ea_cc_pack(cc)));
	if (!strcmp(cc, "ZZ"))
		return 0;
	iv.val.cc = ea_cc_pack(cc);
	if (ea_ivl_push(c->out, &iv))
		return oom_error(c->err, c->name);
	return 0;
}

/*
 * Room for extra more intervals in one allocation: a hint that spares big
 * imports the copies of growing by doubling. Failure is no error here;
 * ea_ivl_push still grows the list as it needs.
 */
static void reserve_hint(struct ea_ivl_list *l, size_t extra)
{
	struct ea_ivl *v;

	if (l->cap - l->n >= extra || extra > SIZE_MAX / sizeof(*v) - l->n)
		return;
	v = realloc(l->v, (l->n + extra) * sizeof(*v));
	if (!v)
		return;
	l->v = v;
	l->cap = l->n + extra;
}

/*
 * At most how many ranges buf can hold: one a line, and no more than the
 * shortest line ("0,0,AU\n") fits.
 */
static size_t count_lines(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	size_t n = 1;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n < len / MIN_LINE + 1 ? n : len / MIN_LINE + 1;
}

/* Precedence order: by start, then wider first, then by line. */
static int cmp_precedence(const void *a, const void *b)
{
	const struct ea_ivl *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Put v[0..n) in precedence order. Input already sorted by start (as the
 * public snapshots are) only needs its runs of equal starts put in order,
 * in place; anything else, or long runs, goes through qsort.
 */
static void sort_precedence(struct ea_ivl *v, size_t n)
{
	size_t i, run = 1;

	for (i = 1; i < n && v[i - 1].start <= v[i].start && run <= SORT_RUN_MAX; i++)
		run = v[i - 1].start == v[i].start ? run + 1 : 1;
	if (i < n) {
		qsort(v, n, sizeof(*v), cmp_precedence);
		return;
	}
	for (i = 1; i < n; i++) {
		struct ea_ivl x = v[i];
		size_t j = i;

		for (; j && cmp_precedence(&v[j - 1], &x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * Sweep state of resolve_overlaps. Ranges are read in precedence order;
 * open ones are kept as copies, so the pieces given out may be written
 * over ranges already read.
 */
struct sweep {
	struct ea_ivl *open;		/* by precedence; the top one wins */
	size_t depth;
	ea_addr_t cursor;		/* first address not yet given out */
	bool done;			/* the whole space is given out */
	struct ea_ivl *dst;		/* where pieces go; NULL: count only */
	size_t pieces;
	size_t read;			/* ranges read so far */
	bool overtakes;			/* a piece would land on an unread range */
};

/* Give out one piece, or count it and see whether it could go in place. */
static void sweep_emit(struct sweep *s, const struct ea_ivl *piece)
{
	if (s->dst)
		s->dst[s->pieces] = *piece;
	else if (s->pieces >= s->read)
		s->overtakes = true;
	s->pieces++;
}

/*
 * Give out the addresses from the cursor up to limit (exclusive; to the end
 * of the space if to_end), each to the open range of highest precedence.
 */
static void sweep_until(struct sweep *s, ea_addr_t limit, bool to_end)
{
	while (s->depth && !s->done) {
		const struct ea_ivl *top = &s->open[s->depth - 1];
		struct ea_ivl piece = *top;

		if (top->end < s->cursor) {
			s->depth--;
			continue;
		}
		if (!to_end && limit <= s->cursor)
			return;
		piece.start = s->cursor;
		piece.end = !to_end && top->end >= limit ? limit - 1 : top->end;
		sweep_emit(s, &piece);
		if (piece.end == EA_ADDR_MAX)
			s->done = true;
		else
			s->cursor = piece.end + 1;
		if (piece.end != top->end)
			return;
		s->depth--;
	}
	if (!to_end && !s->done && limit > s->cursor)
		s->cursor = limit;
}

/* One pass over v[0..n) (in precedence order) into dst, or counting only. */
static size_t sweep_pass(const struct ea_ivl *v, size_t n, struct ea_ivl *open,
			 struct ea_ivl *dst, bool *overtakes)
{
	struct sweep s = { .open = open, .dst = dst };

	for (size_t i = 0; i < n; i++) {
		struct ea_ivl next = v[i];

		s.read = i + 1;
		sweep_until(&s, next.start, false);
		s.open[s.depth++] = next;
	}
	sweep_until(&s, 0, true);
	if (overtakes)
		*overtakes = s.overtakes;
	return s.pieces;
}

/*
 * Replace v[0..n) of out (from n0 on) by the disjoint winners: in place
 * when no piece ever lands on a range not yet read (the usual case: the
 * shipped snapshot has fewer pieces than lines), else into a new list.
 */
static int sweep_all(struct ea_ivl_list *out, size_t n0)
{
	struct ea_ivl *v = out->v + n0;
	size_t n = out->n - n0, pieces;
	struct ea_ivl *open = malloc(n * sizeof(*open));
	struct ea_ivl_list res = { 0 };
	bool overtakes;

	if (!open)
		return -ENOMEM;
	pieces = sweep_pass(v, n, open, NULL, &overtakes);
	if (!overtakes) {
		sweep_pass(v, n, open, v, NULL);
		out->n = n0 + pieces;
		free(open);
		return 0;
	}
	reserve_hint(&res, n0 + pieces);
	for (size_t i = 0; i < n0 + pieces; i++) {
		if (ea_ivl_push(&res, i < n0 ? &out->v[i] : &v[0])) {
			free(open);
			ea_ivl_list_free(&res);
			return -ENOMEM;
		}
	}
	sweep_pass(v, n, open, res.v + n0, NULL);
	free(open);
	ea_ivl_list_free(out);
	*out = res;
	return 0;
}

/*
 * Overlapping ranges, as the public whois-derived snapshots have them
 * (sub-allocations inside larger blocks, a few conflicting duplicates),
 * are resolved by specificity: an address goes to the covering range that
 * starts last, of equal starts to the one that ends first, of identical
 * ranges to the later line. Nested ranges thus resolve to the innermost.
 * Works on out->v[n0..]; each piece keeps the line it came from.
 */
static int resolve_overlaps(struct ea_ivl_list *out, size_t n0,
			    const char *name, struct ea_err *err)
{
	size_t n = out->n - n0, i;
	struct ea_ivl *v;

	if (n < 2)
		return 0;
	v = out->v + n0;
	sort_precedence(v, n);
	for (i = 1; i < n && v[i].start > v[i - 1].end; i++)
		;
	if (i >= n)
		return 0;
	if (sweep_all(out, n0))
		return oom_error(err, name);
	return 0;
}

/*
 * Lines end in LF or CRLF, the last one maybe in neither. A UTF-8 byte
 * order mark is skipped; blank lines and lines starting with '#' are too.
 */
int ea_geo_parse_csv(const char *name, const char *buf, size_t len,
		     uint16_t source, struct ea_ivl_list *out, struct ea_err *err)
{
	struct csv_ctx c = {
		.name = name, .source = source, .out = out, .err = err,
	};
	const char *p = buf, *end = len ? buf + len : buf;
	size_t n0 = out->n;
	int ret;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	if (len)
		reserve_hint(out, count_lines(buf, len));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span line = { p, (size_t)((nl ? nl : end) - p) };

		p = nl ? nl + 1 : end;
		if (c.line == UINT32_MAX) {
			ea_err_set(err, "%s: too many lines", name);
			return -EINVAL;
		}
		c.line++;
		line = trim(line);
		if (!line.n || line.p[0] == '#')
			continue;
		ret = parse_line(&c, line);
		if (ret)
			return ret;
	}
	ret = resolve_overlaps(out, n0, name, err);
	if (ret)
		return ret;
	return ea_ivl_normalize(out, name, err);
}

/* ---- files and gzip ----------------------------------------------------- */

/* Read a whole file (or pipe) into memory. */
static int slurp(const char *path, char **bufp, size_t *lenp, struct ea_err *err)
{
	size_t cap = 65536, len = 0;
	char *buf = NULL, *nbuf;
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_error(err, path, errno);
	if (fstat(fd, &st)) {
		ret = sys_error(err, path, errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = sys_error(err, path, EISDIR);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	for (;;) {
		ssize_t r;

		if (!buf || len == cap) {
			cap = buf ? cap * 2 : cap;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = oom_error(err, path);
				goto out;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = sys_error(err, path, errno);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
out:
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* gzip magic bytes, whatever the file is called. */
static bool is_gzip(const char *buf, size_t len)
{
	return len >= 2 && (uint8_t)buf[0] == 0x1f && (uint8_t)buf[1] == 0x8b;
}

/* The MMDB metadata marker within the last 128 KiB. */
static bool has_mmdb_marker(const char *buf, size_t len)
{
	const char *p = len > MMDB_MARKER_WINDOW ? buf + len - MMDB_MARKER_WINDOW : buf;
	const char *end = buf + len;

	while ((size_t)(end - p) >= MMDB_MARKER_LEN) {
		p = memchr(p, MMDB_MARKER[0], (size_t)(end - p) - MMDB_MARKER_LEN + 1);
		if (!p)
			return false;
		if (!memcmp(p, MMDB_MARKER, MMDB_MARKER_LEN))
			return true;
		p++;
	}
	return false;
}

/* A length zlib can take in one call (its counters are 32-bit). */
static uInt z_chunk(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (uInt)n;
}

/* Make room for more inflated output, up to GZ_MAX_OUT. */
static int gz_grow(const char *path, char **out, size_t *cap, struct ea_err *err)
{
	size_t ncap = *cap * 2 > GZ_MAX_OUT ? GZ_MAX_OUT : *cap * 2;
	char *n;

	if (*cap >= GZ_MAX_OUT) {
		ea_err_set(err, "%s: gzip data inflates beyond %zu MiB", path,
			   GZ_MAX_OUT >> 20);
		return -EFBIG;
	}
	n = realloc(*out, ncap);
	if (!n)
		return oom_error(err, path);
	*out = n;
	*cap = ncap;
	return 0;
}

/*
 * After one inflate call: 1 to go on, 0 when all members are done, or a
 * negative error. Concatenated members are read as one stream; a stream
 * that stops early, or anything after the last member, is an error.
 */
static int gz_step(const char *path, z_stream *zs, int zr, const uint8_t *in,
		   size_t in_pos, size_t in_len, bool out_full, struct ea_err *err)
{
	if (zr == Z_STREAM_END) {
		if (in_pos == in_len)
			return 0;
		if (is_gzip((const char *)in + in_pos, in_len - in_pos) &&
		    inflateReset(zs) == Z_OK)
			return 1;
		ea_err_set(err, "%s: trailing data after the gzip stream", path);
		return -EINVAL;
	}
	if (zr == Z_OK || (zr == Z_BUF_ERROR && out_full))
		return 1;
	if (zr == Z_BUF_ERROR && in_pos == in_len) {
		ea_err_set(err, "%s: truncated gzip data", path);
		return -EINVAL;
	}
	if (zr == Z_MEM_ERROR)
		return oom_error(err, path);
	ea_err_set(err, "%s: corrupt gzip data (%s)", path,
		   zs->msg ? zs->msg : zError(zr));
	return -EINVAL;
}

/* Inflate gzip data into a new buffer; the CRC and length are checked. */
static int gunzip(const char *path, const char *src, size_t in_len,
		  char **outp, size_t *out_len, struct ea_err *err)
{
	const uint8_t *in = (const uint8_t *)src;
	size_t cap = in_len < GZ_MAX_OUT / 8 ? in_len * 8 : GZ_MAX_OUT;
	size_t in_pos = 0, out_pos = 0;
	z_stream zs = { 0 };
	char *out;
	int ret = 1;

	cap = cap < 65536 ? 65536 : cap;
	out = malloc(cap);
	if (!out)
		return oom_error(err, path);
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(out);
		return oom_error(err, path);
	}
	while (ret > 0) {
		int zr;

		if (out_pos == cap) {
			ret = gz_grow(path, &out, &cap, err);
			if (ret)
				break;
		}
		zs.next_in = (Bytef *)(in + in_pos);
		zs.avail_in = z_chunk(in_len - in_pos);
		zs.next_out = (Bytef *)(out + out_pos);
		zs.avail_out = z_chunk(cap - out_pos);
		zr = inflate(&zs, Z_NO_FLUSH);
		in_pos = (size_t)(zs.next_in - in);
		out_pos = (size_t)((char *)zs.next_out - out);
		ret = gz_step(path, &zs, zr, in, in_pos, in_len, out_pos == cap, err);
	}
	inflateEnd(&zs);
	if (ret) {
		free(out);
		return ret;
	}
	*outp = out;
	*out_len = out_pos;
	return 0;
}

/* ---- MMDB --------------------------------------------------------------- */

struct mmdb_walk {
	MMDB_s db;
	const char *path;
	uint16_t source;
	struct ea_ivl_list *out;
	size_t n0;			/* out->n before this file */
	struct ea_err *err;
	unsigned int width;		/* address bits in the tree: 32 or 128 */
	uint64_t v4_node;		/* node of ::/96 in an IPv6 tree */
	uint64_t visits;
	struct {
		uint64_t key;		/* data offset + 1; 0: empty slot */
		uint16_t cc;
	} cache[CC_CACHE];
};

/* A record still to visit: what it points to and the prefix it covers. */
struct walk_rec {
	uint64_t value;
	MMDB_entry_s entry;
	ea_addr_t prefix;		/* in the tree's own width */
	unsigned int depth;		/* prefix length */
	uint8_t type;
};

/* "<path>: <problem>", returning -EINVAL. */
__attribute__((format(printf, 2, 3)))
static int walk_error(struct mmdb_walk *w, const char *fmt, ...)
{
	char what[sizeof(w->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ea_err_set(w->err, "%s: %s", w->path, what);
	return -EINVAL;
}

/* The node at ::/96 of an IPv6 tree, where libmaxminddb looks up IPv4. */
static uint64_t find_v4_node(const struct mmdb_walk *w)
{
	MMDB_search_node_s n;
	uint64_t node = 0;

	for (int d = 0; d < 96; d++) {
		if (MMDB_read_node(&w->db, (uint32_t)node, &n) != MMDB_SUCCESS ||
		    n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
			return NO_NODE;
		node = n.left_record;
	}
	return node;
}

/* Country code of a data record's iso_code value; 0 for "ZZ". */
static int data_cc(struct mmdb_walk *w, const MMDB_entry_s *e,
		   const MMDB_entry_data_s *d, uint16_t *cc)
{
	char code[3], q[QUOTE_BUF];
	struct span s;

	if (d->type != MMDB_DATA_TYPE_UTF8_STRING)
		return walk_error(w, "data at offset %u: iso_code is not a string",
				  e->offset);
	s = (struct span){ d->utf8_string, d->data_size };
	if (parse_cc(s, code))
		return walk_error(w, "data at offset %u: invalid country code '%s'",
				  e->offset, quote(s, q));
	*cc = strcmp(code, "ZZ") ? ea_cc_pack(code) : 0;
	return 0;
}

/*
 * Look a path up in a data record; *found tells whether it is there.
 * libmaxminddb reports a missing key as a path mismatch, which is not an
 * error here: the record just has no such value.
 */
static int entry_get(MMDB_entry_s *e, MMDB_entry_data_s *d, bool *found,
		     const char *map, const char *key)
{
	int st = MMDB_get_value(e, d, map, key, NULL);

	*found = st == MMDB_SUCCESS && d->has_data;
	if (st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return MMDB_SUCCESS;
	return st;
}

/*
 * The country of a data record: country.iso_code, else
 * registered_country.iso_code, else 0 (no data: the range is skipped).
 */
static int entry_cc(struct mmdb_walk *w, MMDB_entry_s *e, uint16_t *cc)
{
	size_t slot = e->offset % CC_CACHE;
	MMDB_entry_data_s d;
	bool found;
	int st, ret = 0;

	if (w->cache[slot].key == (uint64_t)e->offset + 1) {
		*cc = w->cache[slot].cc;
		return 0;
	}
	st = entry_get(e, &d, &found, "country", "iso_code");
	if (st == MMDB_SUCCESS && !found)
		st = entry_get(e, &d, &found, "registered_country", "iso_code");
	if (st != MMDB_SUCCESS)
		return walk_error(w, "data at offset %u: %s", e->offset,
				  MMDB_strerror(st));
	*cc = 0;
	if (found)
		ret = data_cc(w, e, &d, cc);
	if (ret)
		return ret;
	w->cache[slot].key = (uint64_t)e->offset + 1;
	w->cache[slot].cc = *cc;
	return 0;
}

/* Append a range, growing the last one when it continues it. */
static int push_range(struct mmdb_walk *w, ea_addr_t start, ea_addr_t end,
		      uint16_t cc)
{
	struct ea_ivl iv = {
		.start = start, .end = end,
		.val = { .cc = cc, .cc_src = w->source },
	};
	struct ea_ivl *last = w->out->n > w->n0 ? &w->out->v[w->out->n - 1] : NULL;

	if (last && last->val.cc == cc && last->end != EA_ADDR_MAX &&
	    last->end + 1 == start) {
		last->end = end;
		return 0;
	}
	if (ea_ivl_push(w->out, &iv))
		return oom_error(w->err, w->path);
	return 0;
}

/*
 * A range of an IPv6 tree. IPv4 lives at ::/96 there and moves to
 * ::ffff:0:0/96, our IPv4 space; what the tree holds at ::ffff:0:0/96 is an
 * alias of ::/96 for lookups of mapped addresses, and is dropped.
 */
static int emit6(struct mmdb_walk *w, ea_addr_t start, ea_addr_t end, uint16_t cc)
{
	int ret;

	if (start <= DEC_V4_MAX) {
		ret = push_range(w, EA_V4_BASE | start,
				 EA_V4_BASE | (end < DEC_V4_MAX ? end : DEC_V4_MAX), cc);
		if (ret || end <= DEC_V4_MAX)
			return ret;
		start = (ea_addr_t)DEC_V4_MAX + 1;
	}
	if (start < EA_V4_BASE) {
		ret = push_range(w, start, end < EA_V4_BASE ? end : EA_V4_BASE - 1, cc);
		if (ret || end < EA_V4_BASE)
			return ret;
		start = EA_V4_BASE;
	}
	if (end <= EA_V4_LAST)
		return 0;
	return push_range(w, start > EA_V4_LAST ? start : EA_V4_LAST + 1, end, cc);
}

/* A data record: the prefix it covers gets its country, if it has one. */
static int visit_data(struct mmdb_walk *w, struct walk_rec *r)
{
	ea_addr_t last = r->prefix | (((ea_addr_t)1 << (w->width - r->depth)) - 1);
	uint16_t cc = 0;
	int ret = entry_cc(w, &r->entry, &cc);

	if (ret || !cc)
		return ret;
	if (w->width == 32)
		return push_range(w, EA_V4_BASE | r->prefix, EA_V4_BASE | last, cc);
	return emit6(w, r->prefix, last, cc);
}

/*
 * Subtrees not to walk in an IPv6 tree, so that IPv4 data comes out once:
 * ::ffff:0:0/96 (dropped anyway, see emit6), and 6to4 (2002::/16) and
 * Teredo (2001::/32) where they point at the ::/96 node, as MaxMind's
 * writers alias them. A subtree of their own there is walked.
 */
static bool is_alias(const struct mmdb_walk *w, const struct walk_rec *r)
{
	const ea_addr_t sixtofour = (ea_addr_t)0x2002 << 112;
	const ea_addr_t teredo = (ea_addr_t)0x20010000 << 96;

	if (w->width != 128)
		return false;
	if (r->depth >= 96 && (r->prefix >> 32) == 0xffff)
		return true;
	if (r->value != w->v4_node)
		return false;
	return (r->depth == 16 && r->prefix == sixtofour) ||
	       (r->depth == 32 && r->prefix == teredo);
}

/* A node record: queue its two children, left on top. */
static int visit_node(struct mmdb_walk *w, const struct walk_rec *r,
		      struct walk_rec *stack, size_t *sp)
{
	unsigned int depth = r->depth + 1;
	MMDB_search_node_s n;
	int st;

	if (is_alias(w, r))
		return 0;
	if (r->depth >= w->width)
		return walk_error(w, "corrupt search tree: deeper than %u bits",
				  w->width);
	if (++w->visits > w->db.metadata.node_count)
		return walk_error(w, "corrupt search tree: nodes shared or in a cycle");
	st = MMDB_read_node(&w->db, (uint32_t)r->value, &n);
	if (st != MMDB_SUCCESS)
		return walk_error(w, "node %llu: %s", (unsigned long long)r->value,
				  MMDB_strerror(st));
	stack[(*sp)++] = (struct walk_rec){
		.value = n.right_record, .entry = n.right_record_entry,
		.prefix = r->prefix | (ea_addr_t)1 << (w->width - depth),
		.depth = depth, .type = n.right_record_type,
	};
	stack[(*sp)++] = (struct walk_rec){
		.value = n.left_record, .entry = n.left_record_entry,
		.prefix = r->prefix, .depth = depth, .type = n.left_record_type,
	};
	return 0;
}

/* Depth-first walk of the whole search tree, in address order. */
static int walk_tree(struct mmdb_walk *w)
{
	struct walk_rec stack[WALK_STACK];
	size_t sp = 0;
	int ret = 0;

	stack[sp++] = (struct walk_rec){ .type = MMDB_RECORD_TYPE_SEARCH_NODE };
	while (sp && !ret) {
		struct walk_rec r = stack[--sp];

		switch (r.type) {
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			ret = visit_node(w, &r, stack, &sp);
			break;
		case MMDB_RECORD_TYPE_EMPTY:
			break;
		case MMDB_RECORD_TYPE_DATA:
			ret = visit_data(w, &r);
			break;
		default:
			ret = walk_error(w, "corrupt search tree: bad record %llu",
					 (unsigned long long)r.value);
		}
	}
	return ret;
}

/* Open an MMDB with libmaxminddb and import every network of its tree. */
static int read_mmdb(const char *path, uint16_t source, struct ea_ivl_list *out,
		     struct ea_err *err)
{
	struct mmdb_walk *w;
	int fd, st, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_error(err, path, errno);
	close(fd);
	w = calloc(1, sizeof(*w));
	if (!w)
		return oom_error(err, path);
	*w = (struct mmdb_walk){
		.path = path, .source = source, .out = out, .n0 = out->n,
		.err = err, .v4_node = NO_NODE,
	};
	st = MMDB_open(path, MMDB_MODE_MMAP, &w->db);
	if (st != MMDB_SUCCESS) {
		ea_err_set(err, "%s: %s", path, MMDB_strerror(st));
		free(w);
		return -EINVAL;
	}
	if (w->db.metadata.ip_version == 4 || w->db.metadata.ip_version == 6) {
		w->width = w->db.metadata.ip_version == 4 ? 32 : 128;
		if (w->width == 128)
			w->v4_node = find_v4_node(w);
		ret = walk_tree(w);
	} else {
		ret = walk_error(w, "unsupported ip_version %u",
				 w->db.metadata.ip_version);
	}
	if (!ret)
		ret = ea_ivl_normalize(out, path, err);
	MMDB_close(&w->db);
	free(w);
	return ret;
}

/* ---- entry point -------------------------------------------------------- */

/* Read a CSV file, plain or gzip; with EA_GEO_AUTO, hand MMDBs over. */
static int read_csv_file(const char *path, enum ea_geo_format fmt,
			 uint16_t source, struct ea_ivl_list *out,
			 struct ea_err *err)
{
	char *buf = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	int ret = slurp(path, &buf, &len, err);

	if (ret)
		return ret;
	if (fmt == EA_GEO_AUTO && has_mmdb_marker(buf, len)) {
		free(buf);
		return read_mmdb(path, source, out, err);
	}
	if (is_gzip(buf, len)) {
		ret = gunzip(path, buf, len, &text, &tlen, err);
		free(buf);
		if (ret)
			return ret;
		buf = text;
		len = tlen;
	}
	ret = ea_geo_parse_csv(path, buf, len, source, out, err);
	free(buf);
	return ret;
}

/* Read one file by format; a file that adds no range is an error. */
int ea_geo_read_file(const char *path, enum ea_geo_format fmt, uint16_t source,
		     struct ea_ivl_list *out, struct ea_err *err)
{
	size_t n0 = out->n;
	int ret;

	switch (fmt) {
	case EA_GEO_AUTO:
	case EA_GEO_CSV:
		ret = read_csv_file(path, fmt, source, out, err);
		break;
	case EA_GEO_MMDB:
		ret = read_mmdb(path, source, out, err);
		break;
	default:
		ea_err_set(err, "%s: unknown GeoIP format %d", path, (int)fmt);
		return -EINVAL;
	}
	if (!ret && out->n == n0) {
		ea_err_set(err, "%s: no address ranges", path);
		return -EINVAL;
	}
	return ret;
}
