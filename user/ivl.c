// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interval lists over the 128-bit address space: sorting and checking,
 * layering, lookup, and the split of a range into CIDR prefixes.
 *
 * An interval may end at EA_ADDR_MAX, so "end + 1" is only computed after
 * checking that end is not the last address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ivl.h"

#define IVL_MIN_CAP	64

/* Free the array and leave an empty list that can be reused. */
void ea_ivl_list_free(struct ea_ivl_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

/* Make room for at least want intervals, doubling to keep pushes O(1). */
static int ivl_reserve(struct ea_ivl_list *l, size_t want)
{
	size_t cap = l->cap ? l->cap : IVL_MIN_CAP;
	struct ea_ivl *v;

	if (want <= l->cap)
		return 0;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(*v))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

/* Append one interval; the list is not checked for order here. */
int ea_ivl_push(struct ea_ivl_list *l, const struct ea_ivl *iv)
{
	if (l->n == l->cap && ivl_reserve(l, l->n + 1))
		return -ENOMEM;
	l->v[l->n++] = *iv;
	return 0;
}

/* Length of the non-decreasing run of v[i..n) that starts at i. */
static size_t ivl_run_end(const struct ea_ivl *v, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (v[i].start < v[i - 1].start)
			break;
	}
	return i;
}

/* Stable merge of the sorted runs a[0..na) and b[0..nb) into dst. */
static void ivl_merge(const struct ea_ivl *a, size_t na,
		      const struct ea_ivl *b, size_t nb, struct ea_ivl *dst)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb)
		*dst++ = b[j].start < a[i].start ? b[j++] : a[i++];
	memcpy(dst, a + i, (na - i) * sizeof(*dst));
	memcpy(dst + (na - i), b + j, (nb - j) * sizeof(*dst));
}

/*
 * Stable natural merge sort by start: each pass merges neighbouring runs,
 * so input made of a few sorted pieces (concatenated files) sorts in a few
 * linear passes. Returns 0 or -ENOMEM.
 */
static int ivl_sort(struct ea_ivl *v, size_t n)
{
	struct ea_ivl *tmp, *src = v, *dst, *swap;
	size_t runs;

	if (n < 2 || ivl_run_end(v, 0, n) == n)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	dst = tmp;
	do {
		size_t i = 0;

		for (runs = 0; i < n; runs++) {
			size_t mid = ivl_run_end(src, i, n);
			size_t end = mid < n ? ivl_run_end(src, mid, n) : n;

			ivl_merge(src + i, mid - i, src + mid, end - mid, dst + i);
			i = end;
		}
		swap = src;
		src = dst;
		dst = swap;
	} while (runs > 1);
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	return 0;
}

/*
 * Sort by start and check the intervals are well formed and disjoint. On
 * overlap the message names the later input line first.
 */
int ea_ivl_normalize(struct ea_ivl_list *l, const char *what, struct ea_err *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].start > l->v[i].end) {
			ea_err_set(err, "%s: line %u: range start after end",
				   what, l->v[i].line);
			return -EINVAL;
		}
	}
	if (ivl_sort(l->v, l->n)) {
		ea_err_set(err, "%s: out of memory", what);
		return -ENOMEM;
	}
	for (i = 1; i < l->n; i++) {
		const struct ea_ivl *a = &l->v[i - 1], *b = &l->v[i];

		if (b->start <= a->end) {
			uint32_t hi = a->line > b->line ? a->line : b->line;
			uint32_t lo = a->line > b->line ? b->line : a->line;

			ea_err_set(err, "%s: line %u overlaps line %u", what,
				   hi, lo);
			return -EINVAL;
		}
	}
	return 0;
}

/* base's value with each non-zero field of top laid over it. */
static struct ea_ivl_val ivl_val_lay(struct ea_ivl_val base,
				     struct ea_ivl_val top)
{
	if (top.cc)
		base.cc = top.cc;
	if (top.cc_src)
		base.cc_src = top.cc_src;
	if (top.site)
		base.site = top.site;
	if (top.site_src)
		base.site_src = top.site_src;
	if (top.pol)
		base.pol = top.pol;
	if (top.pol_src)
		base.pol_src = top.pol_src;
	return base;
}

/* Append [start, end] with val and line; 0 or -ENOMEM. */
static int ivl_emit(struct ea_ivl_list *l, ea_addr_t start, ea_addr_t end,
		    struct ea_ivl_val val, uint32_t line)
{
	struct ea_ivl iv = {
		.start = start, .end = end, .val = val, .line = line,
	};

	return ea_ivl_push(l, &iv);
}

/* Cursor over a normalized list; start is clipped as pieces are emitted. */
struct ivl_cur {
	const struct ea_ivl *v;
	size_t n, i;
	ea_addr_t start;
};

static void ivl_cur_init(struct ivl_cur *c, const struct ea_ivl_list *l)
{
	c->v = l->v;
	c->n = l->n;
	c->i = 0;
	c->start = l->n ? l->v[0].start : 0;
}

/* Consume the current interval up to and including last. */
static void ivl_cur_eat(struct ivl_cur *c, ea_addr_t last)
{
	if (last == c->v[c->i].end) {
		if (++c->i < c->n)
			c->start = c->v[c->i].start;
	} else {
		c->start = last + 1;	/* last < end, no overflow */
	}
}

/* Emit the piece of c that lies before other's start (or all of it). */
static int ivl_cur_emit_before(struct ivl_cur *c, const struct ivl_cur *other,
			       struct ea_ivl_list *out)
{
	const struct ea_ivl *iv = &c->v[c->i];
	ea_addr_t last = iv->end;

	/* other->start > c->start here, so other->start - 1 is safe */
	if (other->i < other->n && other->start <= last)
		last = other->start - 1;
	if (ivl_emit(out, c->start, last, iv->val, iv->line))
		return -ENOMEM;
	ivl_cur_eat(c, last);
	return 0;
}

/* One step of the sweep: emit the next piece of the union. */
static int ivl_overlay_step(struct ivl_cur *b, struct ivl_cur *t,
			    struct ea_ivl_list *out)
{
	const struct ea_ivl *bv, *tv;
	ea_addr_t last;

	if (t->i == t->n || (b->i < b->n && b->start < t->start))
		return ivl_cur_emit_before(b, t, out);
	if (b->i == b->n || t->start < b->start)
		return ivl_cur_emit_before(t, b, out);
	bv = &b->v[b->i];
	tv = &t->v[t->i];
	last = bv->end < tv->end ? bv->end : tv->end;
	if (ivl_emit(out, t->start, last, ivl_val_lay(bv->val, tv->val),
		     tv->line))
		return -ENOMEM;
	ivl_cur_eat(b, last);
	ivl_cur_eat(t, last);
	return 0;
}

/*
 * Linear sweep over both lists, emitting maximal pieces covered by the same
 * pair of inputs. *out must be an initialized list (empty or not): its old
 * contents are freed only on success, so out may be base or top.
 */
int ea_ivl_overlay(const struct ea_ivl_list *base, const struct ea_ivl_list *top,
		   struct ea_ivl_list *out)
{
	struct ea_ivl_list res = { 0 };
	struct ivl_cur b, t;

	if (ivl_reserve(&res, base->n + top->n))
		return -ENOMEM;
	ivl_cur_init(&b, base);
	ivl_cur_init(&t, top);
	while (b.i < b.n || t.i < t.n) {
		if (ivl_overlay_step(&b, &t, &res)) {
			ea_ivl_list_free(&res);
			return -ENOMEM;
		}
	}
	ea_ivl_list_free(out);
	*out = res;
	return 0;
}

static bool ivl_val_eq(const struct ea_ivl_val *a, const struct ea_ivl_val *b)
{
	return a->cc == b->cc && a->cc_src == b->cc_src && a->site == b->site &&
	       a->site_src == b->site_src && a->pol == b->pol &&
	       a->pol_src == b->pol_src;
}

/* Merge touching neighbours of equal value in place; keeps the first line. */
void ea_ivl_coalesce(struct ea_ivl_list *l)
{
	size_t i, k = 0;

	if (!l->n)
		return;
	for (i = 1; i < l->n; i++) {
		struct ea_ivl *prev = &l->v[k];
		const struct ea_ivl *cur = &l->v[i];

		if (prev->end != EA_ADDR_MAX && prev->end + 1 == cur->start &&
		    ivl_val_eq(&prev->val, &cur->val))
			prev->end = cur->end;
		else
			l->v[++k] = *cur;
	}
	l->n = k + 1;
}

/* Binary search for the first interval ending at or after a. */
long ea_ivl_find(const struct ea_ivl_list *l, ea_addr_t a)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].end < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->v[lo].start <= a ? (long)lo : -1;
}

/* Trailing zero bits of a (128 for 0). */
static unsigned int addr_ctz(ea_addr_t a)
{
	uint64_t lo = (uint64_t)a, hi = (uint64_t)(a >> 64);

	if (lo)
		return (unsigned int)__builtin_ctzll(lo);
	if (hi)
		return 64 + (unsigned int)__builtin_ctzll(hi);
	return 128;
}

/* floor(log2(a)) for a != 0. */
static unsigned int addr_log2(ea_addr_t a)
{
	uint64_t hi = (uint64_t)(a >> 64);

	if (hi)
		return 127 - (unsigned int)__builtin_clzll(hi);
	return 63 - (unsigned int)__builtin_clzll((uint64_t)a);
}

/*
 * Host bits of the largest aligned block that starts at cur and ends at or
 * before end (cur <= end).
 */
static unsigned int range_block_bits(ea_addr_t cur, ea_addr_t end)
{
	ea_addr_t rem = end - cur;	/* addresses left, minus one */
	unsigned int fit, align = addr_ctz(cur);

	if (rem == EA_ADDR_MAX)
		return 128;		/* cur == 0, end == max: ::/0 */
	fit = addr_log2(rem + 1);
	return align < fit ? align : fit;
}

/*
 * Greedy split: at each step take the largest aligned block at the current
 * address that still fits; this yields the unique minimal prefix set.
 */
int ea_range_to_cidrs(ea_addr_t start, ea_addr_t end, struct ea_cidr *out, int max)
{
	ea_addr_t cur = start;
	int n = 0;

	if (start > end)
		return 0;
	for (;;) {
		unsigned int bits = range_block_bits(cur, end);
		ea_addr_t last = cur | ~ea_prefix_mask(128 - bits);

		if (n < max) {
			out[n].addr = cur;
			out[n].len = (uint8_t)(128 - bits);
		}
		n++;
		if (last == end)
			return n;
		cur = last + 1;
	}
}

/* Whether the /len block holding a lies inside [start, end]. */
static bool range_holds_block(ea_addr_t start, ea_addr_t end, ea_addr_t a,
			      unsigned int len)
{
	struct ea_cidr c = { .addr = a & ea_prefix_mask(len), .len = (uint8_t)len };

	return c.addr >= start && ea_cidr_last(&c) <= end;
}

/*
 * The prefixes of the minimal split are the maximal aligned blocks inside
 * the range, so the one holding a is the shortest prefix of a that fits.
 * Fitting is monotone in the length: binary search. For a outside the
 * range, the host prefix a/128.
 */
struct ea_cidr ea_range_cidr_of(ea_addr_t start, ea_addr_t end, ea_addr_t a)
{
	unsigned int lo = 0, hi = 128;
	struct ea_cidr c = { .addr = a, .len = 128 };

	if (a < start || a > end)
		return c;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (range_holds_block(start, end, a, mid))
			hi = mid;
		else
			lo = mid + 1;
	}
	c.addr = a & ea_prefix_mask(lo);
	c.len = (uint8_t)lo;
	return c;
}
