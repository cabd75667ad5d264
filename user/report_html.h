/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `report --html FILE`: one self-contained page (inline CSS and SVG, no
 * script, nothing fetched) with bytes leaving by destination country,
 * flagged and blocked flows per hour, the top processes by bytes, the
 * report's groups, whether each trail verifies and what the window may be
 * missing. Every name from the trail is HTML-escaped.
 */
#ifndef EA_REPORT_HTML_H
#define EA_REPORT_HTML_H

#include <stddef.h>

#include "report.h"

/* The reports the charts are drawn from, keyed country; hour,verdict; comm. */
enum { EA_HTML_BY_COUNTRY, EA_HTML_OVER_TIME, EA_HTML_BY_COMM, EA_HTML_CHARTS };

/* What the page shows. */
struct ea_report_page {
	struct ea_report *main;			/* the report's groups: */
	const struct ea_report_row *rows;
	size_t nrows;
	const enum ea_report_key *keys;
	size_t nkeys;
	struct ea_report **charts;		/* EA_HTML_CHARTS of them */
	const struct ea_report_gaps *gaps;	/* of the time window */
	char **trails;
	size_t ntrails;
};

/* Write the page to path (0600, replaced atomically). 0 or -errno. */
int ea_report_html(const char *path, const struct ea_report_page *pg);

/* s with & < > " ' as character references, controls and bytes of no
 * UTF-8 character as U+FFFD. */
void ea_html_str(FILE *f, const char *s);

#endif /* EA_REPORT_HTML_H */
