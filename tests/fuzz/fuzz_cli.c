// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the values the command line takes: the query and
 * report filters (--since, --country, --dst, --dport, ...), the times they
 * parse and verify's --anchor SEQ:CHAIN. The input is a list of lines; the
 * first byte of a line picks the parser ('T' a time, 'V' an anchor, 'a' the
 * first filter option, 'b' the second, ...; any other byte a filter too),
 * the rest is the argument. Besides
 * memory errors it checks what a parse promises: a refusal says why, an
 * accepted time lies in the years the trail can hold.
 * Seeds: tests/fuzz/corpus/cli/.
 */
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "timeparse.h"
#include "trail_verify.h"

#define NOW_NS		1795910400000000000ll	/* 2026-11-29T00:00:00Z */
#define YEAR_2262_NS	9214646400000000000ull	/* 2262-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void time_line(const char *arg)
{
	const char *why = NULL;
	int64_t t;

	if (ea_time_parse(arg, NOW_NS, &t, &why) == 0) {
		if (t < 0 || (uint64_t)t >= YEAR_2262_NS)
			abort();
	} else if (!why || !*why) {
		abort();
	}
}

static void anchor_line(const char *arg)
{
	struct ea_anchor a;

	if (ea_anchor_parse(arg, &a) == 0 && !a.seq)
		abort();	/* seq 0 is no record */
}

/* One filter option; a refusal names the option it refuses. */
static void filter_line(struct ea_filter *f, int opt, const char *arg)
{
	struct ea_err err = { { 0 } };

	if (ea_filter_add(f, EA_FILTER_OPT + opt, arg, NOW_NS, &err) &&
	    (strncmp(err.msg, "--", 2) || strlen(err.msg) >= sizeof(err.msg)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *next;
	struct ea_filter f = { 0 };

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; line && *line; line = next) {
		unsigned char pick = (unsigned char)line[0];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (pick == 'T')
			time_line(line + 1);
		else if (pick == 'V')
			anchor_line(line + 1);
		else
			filter_line(&f, (pick - 'a' + 256) % EA_FILTER_NOPTS, line + 1);
	}
	ea_filter_free(&f);
	free(text);
	return 0;
}
