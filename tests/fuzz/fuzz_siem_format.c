// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the SIEM formats: the input becomes a record (its
 * first bytes the numbers, the rest its strings, split at 0x00 bytes), which
 * is formatted in every format. Besides memory errors it checks what every
 * message promises: it fits EA_SIEM_MSG_MAX, is valid UTF-8 without a
 * control character, and starts with the header and the one SD-ID. The
 * record's JSON line (run -j, query -j), written into room reserved ahead,
 * must be one valid JSON object, clean UTF-8 too.
 */
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "record.h"
#include "sbuf.h"
#include "siem_format.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[EA_SIEM_MSG_MAX];
static struct ea_rec r;

/* The next NUL-separated piece of the input into dst (at most cap - 1 bytes). */
static void piece(const uint8_t **p, const uint8_t *end, char *dst, size_t cap)
{
	size_t n = 0;

	while (*p < end && **p && n + 1 < cap)
		dst[n++] = (char)*(*p)++;
	dst[n] = '\0';
	while (*p < end && **p)
		(*p)++;
	if (*p < end)
		(*p)++;
}

/* The record of an input: numbers from its head, strings from the rest. */
static void build(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	uint8_t num[48] = { 0 };

	memcpy(num, data, size < sizeof(num) ? size : sizeof(num));
	p += size < sizeof(num) ? size : sizeof(num);
	memset(&r, 0, sizeof(r));
	r.kind = num[0] % (EA_REC_KIND_MAX + 2);
	r.verdict = num[1] % 4;
	r.proto = num[2] % 7;
	r.family = num[3] & 1 ? 6 : 4;
	r.zone = num[4] % 9;
	r.country = (uint16_t)(num[5] << 8 | num[6]);
	memcpy(&r.seq, num + 8, 8);
	memcpy(&r.ts_ns, num + 16, 8);
	memcpy(r.src, num + 24, 16);
	memcpy(r.dst, num + 32, 16);
	memcpy(r.chain, num + 16, 32);
	r.bytes = r.seq;
	piece(&p, end, r.comm, sizeof(r.comm));
	piece(&p, end, r.host, sizeof(r.host));
	piece(&p, end, r.cgroup, sizeof(r.cgroup));
	piece(&p, end, r.labels, sizeof(r.labels));
	piece(&p, end, r.evidence, sizeof(r.evidence));
	piece(&p, end, r.what, sizeof(r.what));
	piece(&p, end, r.detail, sizeof(r.detail));
}

/* Abort unless msg[0..n) is valid UTF-8 without control characters. */
static void check_clean(const char *msg, int n)
{
	const unsigned char *u = (const unsigned char *)msg;

	if (n <= 0 || (size_t)n != strlen(msg))
		abort();
	while (*u) {
		size_t len = ea_utf8_valid_len(u);

		if (!len || (len == 1 && (*u < 0x20 || *u == 0x7f)))
			abort();
		u += len;
	}
}

/*
 * Abort unless the SD element at p (after its SD-ID) is PARAM="VALUE"s with
 * '"', '\\' and ']' escaped and closed by ']'. Returns what follows it.
 */
static const char *check_sd(const char *p)
{
	while (*p == ' ') {
		p = strchr(p, '=');
		if (!p || p[1] != '"')
			abort();
		for (p += 2; *p != '"'; p++) {
			if (!*p || *p == ']')
				abort();
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
				p++;
		}
		p++;
	}
	if (*p != ']')
		abort();
	return p + 1;
}

/* The record as a JSON line: one object, clean, ending in its newline. */
static void check_json_line(void)
{
	static struct ea_sbuf b;

	ea_sb_reset(&b);
	ea_rec_json(&b, &r);
	if (b.oom || b.len < 2 || b.p[b.len - 1] != '\n')
		abort();
	b.p[--b.len] = '\0';
	check_clean(b.p, (int)b.len);
	if (!ea_json_object_valid(b.p))
		abort();
}

/* Every format of one record; each message must keep the promises. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sdid[] = " - ";

	build(data, size);
	for (int fmt = 0; fmt < EA_SIEM_FMT_MAX; fmt++) {
		int n = ea_siem_format(fmt, &r, out, sizeof(out));
		const char *sd;

		check_clean(out, n);
		sd = strstr(out, sdid);
		sd = sd ? strstr(sd, " [" EA_SIEM_SD_ID " seq=\"") : NULL;
		if (out[0] != '<' || !sd)
			abort();
		sd = check_sd(sd + strlen(" [" EA_SIEM_SD_ID));
		if (strncmp(sd, "[" EA_SIEM_ORIGIN_ID " ", strlen(EA_SIEM_ORIGIN_ID) + 2))
			abort();
		sd = check_sd(sd + strlen(EA_SIEM_ORIGIN_ID) + 1);
		if (*sd && *sd != ' ')
			abort();
	}
	check_json_line();
	return 0;
}
