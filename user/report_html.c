// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTML page of `report --html` (report_html.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "report_html.h"
#include "trail_verify.h"
#include "util.h"
#include "version.h"

#define BAR_MAX		20	/* bars of a horizontal chart */
#define TABLE_MAX	500	/* rows of the group table */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}"
	"table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;"
	"text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".ok{color:#176c2c;font-weight:bold}.bad{color:#b00020;font-weight:bold}"
	"svg text{font:12px system-ui,sans-serif}";

void ea_html_str(FILE *f, const char *s)
{
	static const char *const refs[] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
					    ['"'] = "&quot;", ['\''] = "&#39;" };

	while (*s) {
		unsigned char c = (unsigned char)*s;
		bool text;
		size_t n = ea_utf8_text_len((const unsigned char *)s, &text);

		if (c < sizeof(refs) / sizeof(refs[0]) && refs[c])
			fputs(refs[c], f);
		else if (!text)
			fputs("&#xfffd;", f);	/* a control or a byte of no character */
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

static int64_t real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 1234567 as "1.2 MB"; 999950 as "1.0 MB": the unit is of the rounded value. */
static const char *human(uint64_t v, char buf[32])
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double d = (double)v;
	int u = 0;

	while ((u ? d >= 999.95 : d >= 1000) && u < 6) {
		d /= 1000;
		u++;
	}
	snprintf(buf, 32, u ? "%.1f %s" : "%.0f %s", d, units[u]);
	return buf;
}

/* A horizontal bar chart of the first n rows (value: bytes or flows). */
static void hbars(FILE *f, const struct ea_report_row *rows, size_t n, bool bytes)
{
	uint64_t max = 1;
	char buf[32];

	n = n < BAR_MAX ? n : BAR_MAX;
	for (size_t i = 0; i < n; i++)
		max = (bytes ? rows[i].bytes : rows[i].flows) > max ?
			      (bytes ? rows[i].bytes : rows[i].flows) : max;
	fprintf(f, "<svg width=\"760\" height=\"%zu\" role=\"img\">\n", n * 22 + 10);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = bytes ? rows[i].bytes : rows[i].flows;
		double w = 480.0 * (double)v / (double)max;

		fprintf(f, "<text x=\"170\" y=\"%zu\" text-anchor=\"end\">", i * 22 + 20);
		ea_html_str(f, rows[i].key[0]);
		fprintf(f, "</text><rect x=\"180\" y=\"%zu\" width=\"%.1f\" height=\"16\" "
			"fill=\"#3b6ea5\"/><text x=\"%.1f\" y=\"%zu\">%s</text>\n", i * 22 + 7,
			w < 1 ? 1 : w, 186 + w, i * 22 + 20,
			bytes ? human(v, buf) : (snprintf(buf, sizeof(buf), "%llu",
							   (unsigned long long)v), buf));
	}
	fputs("</svg>\n", f);
}

struct hour {
	const char *label;
	uint64_t flagged;
};

static int hour_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hour *)a)->label, ((const struct hour *)b)->label);
}

/* Hours with flows, and how many of those flows were flagged or blocked. */
static size_t flagged_by_hour(struct ea_report *rp, struct hour **out)
{
	const struct ea_report_row *rows;
	struct hour *h = NULL;
	size_t n = 0, nrows;

	*out = NULL;
	if (ea_report_finish(rp, &rows, &nrows))
		return 0;
	for (size_t i = 0; i < nrows; i++) {
		bool flagged = strcmp(rows[i].key[1], "allowed");
		size_t j;

		for (j = 0; j < n && strcmp(h[j].label, rows[i].key[0]); j++)
			;
		if (j == n) {
			struct hour *t = realloc(h, (n + 1) * sizeof(*h));

			if (!t)
				break;
			h = t;
			h[n++] = (struct hour){ rows[i].key[0], 0 };
		}
		h[j].flagged += flagged ? rows[i].flows : 0;
	}
	qsort(h, n, sizeof(*h), hour_cmp);
	*out = h;
	return n;
}

/* Flagged and blocked flows per hour (the latest 240 hours with flows). */
static void time_chart(FILE *f, struct ea_report *rp)
{
	struct hour *h;
	size_t n = flagged_by_hour(rp, &h), first = n > 240 ? n - 240 : 0;
	uint64_t max = 1;
	double w;

	if (!n) {
		fputs("<p>No flows.</p>\n", f);
		free(h);
		return;
	}
	for (size_t i = first; i < n; i++)
		max = h[i].flagged > max ? h[i].flagged : max;
	w = 700.0 / (double)(n - first);
	fputs("<svg width=\"760\" height=\"240\" role=\"img\">\n", f);
	fprintf(f, "<text x=\"0\" y=\"14\">%llu</text><line x1=\"40\" y1=\"200\" x2=\"750\" "
		"y2=\"200\" stroke=\"#888\"/>\n", (unsigned long long)max);
	for (size_t i = first; i < n; i++) {
		double bh = 180.0 * (double)h[i].flagged / (double)max;

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"#b00020\"><title>", 45 + (double)(i - first) * w, 200 - bh,
			w > 2 ? w - 1 : w, bh);
		ea_html_str(f, h[i].label);
		fprintf(f, ":00Z: %llu</title></rect>\n", (unsigned long long)h[i].flagged);
	}
	fputs("<text x=\"45\" y=\"220\">", f);
	ea_html_str(f, h[first].label);
	fputs(":00Z</text><text x=\"750\" y=\"220\" text-anchor=\"end\">", f);
	ea_html_str(f, h[n - 1].label);
	fputs(":00Z</text></svg>\n", f);
	free(h);
}

/* Whether each trail verifies, in a table. */
static void verify_section(FILE *f, char **trails, size_t n)
{
	struct ea_verify_result *res = malloc(sizeof(*res));
	struct ea_verify_opts o = { 0 };

	fputs("<table><tr><th>host</th><th>trail</th><th>status</th><th>records</th>"
	      "<th>checkpoints</th></tr>\n", f);
	for (size_t i = 0; res && i < n; i++) {
		int r = ea_trail_verify(trails[i], &o, res);

		fputs("<tr><td>", f);
		ea_html_str(f, res->host);
		fputs("</td><td>", f);
		ea_html_str(f, trails[i]);
		if (!r) {
			fprintf(f, "</td><td class=\"ok\">intact</td><td class=\"n\">%llu..%llu</td>"
				"<td class=\"n\">%llu</td></tr>\n", (unsigned long long)res->first_seq,
				(unsigned long long)res->last_seq, (unsigned long long)res->checkpoints);
			continue;
		}
		fputs("</td><td class=\"bad\">NOT INTACT: ", f);
		ea_html_str(f, r < 0 ? strerror(-r) : res->segment);
		fprintf(f, " seq %llu: ", (unsigned long long)res->seq);
		ea_html_str(f, res->what);
		fputs("</td><td></td><td></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	free(res);
}

static void group_table(FILE *f, const struct ea_report_row *rows, size_t n,
			const enum ea_report_key *keys, size_t nkeys)
{
	char buf[32];

	fputs("<table><tr>", f);
	for (size_t k = 0; k < nkeys; k++)
		fprintf(f, "<th>%s</th>", ea_report_key_name(keys[k]));
	fputs("<th>flows</th><th>bytes</th><th>packets</th></tr>\n", f);
	for (size_t i = 0; i < n && i < TABLE_MAX; i++) {
		fputs("<tr>", f);
		for (size_t k = 0; k < nkeys; k++) {
			fputs("<td>", f);
			ea_html_str(f, rows[i].key[k]);
			fputs("</td>", f);
		}
		fprintf(f, "<td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%llu"
			"</td></tr>\n", (unsigned long long)rows[i].flows, human(rows[i].bytes, buf),
			(unsigned long long)rows[i].packets);
	}
	fputs("</table>\n", f);
	if (n > TABLE_MAX)
		fprintf(f, "<p>%zu more groups not shown (use --csv).</p>\n", n - TABLE_MAX);
}

/* One chart from a report of one key: bytes (or flows) of its top rows. */
static void key_chart(FILE *f, struct ea_report *rp, bool bytes)
{
	const struct ea_report_row *rows;
	size_t n;

	if (ea_report_finish(rp, &rows, &n) || !n)
		fputs("<p>No flows.</p>\n", f);
	else
		hbars(f, rows, n, bytes);
}

/* One row of the gaps table; a count above 0 is marked. */
static void gap_row(FILE *f, const char *what, uint64_t n, bool bad)
{
	fprintf(f, "<tr><td>%s</td><td class=\"n%s\">%llu</td></tr>\n", what,
		n && bad ? " bad" : "", (unsigned long long)n);
}

static void gaps_section(FILE *f, const struct ea_report_gaps *g)
{
	char builds[EA_REPORT_BUILDS_STRLEN];

	fputs("<table><tr><th>in this window</th><th>count</th></tr>\n", f);
	gap_row(f, "events lost: ring buffer full", g->lost_ring, true);
	gap_row(f, "events lost: refused by the flood limit", g->lost_refused, true);
	gap_row(f, "events not seen: program runs the kernel skipped", g->lost_skipped, true);
	gap_row(f, "records not written (trail gaps)", g->unwritten, true);
	gap_row(f, "tamper records", g->tampers, true);
	gap_row(f, "agent starts", g->starts, false);
	gap_row(f, "agent stops", g->stops, false);
	fputs("</table>\n", f);
	if (!g->nbuilds)
		return;
	fputs("<p>Agents started in this window: ", f);
	ea_html_str(f, ea_report_builds_str(g, builds));
	fputs("</p>\n", f);
}

static void write_page(FILE *f, const struct ea_report_page *pg)
{
	char now[40];

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>egress-audit report</title><style>%s</style></head><body>\n"
		"<h1>Data egress report</h1>\n<p>Made %s by egress-audit %s from %zu trail(s); "
		"%llu flows.</p>\n",
		style, ea_format_time(real_now(), now), ea_build(), pg->ntrails,
		(unsigned long long)ea_report_flows(pg->main));
	fputs("<h2>Trail verification</h2>\n", f);
	verify_section(f, pg->trails, pg->ntrails);
	fputs("<h2>What the trail may be missing</h2>\n", f);
	gaps_section(f, pg->gaps);
	fputs("<h2>Bytes leaving by destination country</h2>\n", f);
	key_chart(f, pg->charts[EA_HTML_BY_COUNTRY], true);
	fputs("<h2>Flagged and blocked flows per hour (UTC, by flow start)</h2>\n", f);
	time_chart(f, pg->charts[EA_HTML_OVER_TIME]);
	fputs("<h2>Top processes by bytes</h2>\n", f);
	key_chart(f, pg->charts[EA_HTML_BY_COMM], true);
	fputs("<h2>Groups</h2>\n", f);
	group_table(f, pg->rows, pg->nrows, pg->keys, pg->nkeys);
	fputs("</body></html>\n", f);
}

/*
 * The page goes to a temporary file of a name of its own in FILE's
 * directory (mkstemp: made anew, so no link planted there is followed),
 * then takes FILE's name; the temporary file is removed on failure.
 */
int ea_report_html(const char *path, const struct ea_report_page *pg)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		ea_log("%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0600) || !(f = fdopen(fd, "w"))) {
		err = -errno;
		ea_log("%s: %s", fd < 0 ? path : tmp, strerror(-err));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return err;
	}
	errno = 0;
	write_page(f, pg);
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		err = errno ? -errno : -EIO;
		ea_log("%s: %s", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}
