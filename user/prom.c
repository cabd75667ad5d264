// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus text exposition format (version 0.0.4): see prom.h.
 */
#include <math.h>
#include <stdio.h>

#include "prom.h"
#include "util.h"

/* HELP text: backslash and line feed escaped. */
static void help_text(struct ea_sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			ea_sb_puts(b, "\\\\");
		else if (*s == '\n')
			ea_sb_puts(b, "\\n");
		else
			ea_sb_putc(b, *s);
	}
}

void ea_prom_family(struct ea_sbuf *b, const char *name, enum ea_prom_type type,
		    const char *help)
{
	ea_sb_puts(b, "# HELP ");
	ea_sb_puts(b, name);
	ea_sb_putc(b, ' ');
	help_text(b, help);
	ea_sb_puts(b, "\n# TYPE ");
	ea_sb_puts(b, name);
	ea_sb_puts(b, type == EA_PROM_COUNTER ? " counter\n" : " gauge\n");
}

/* A label value, quoted: \\, \" and \n escaped, invalid UTF-8 as U+FFFD. */
static void label_value(struct ea_sbuf *b, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;

	ea_sb_putc(b, '"');
	while (*s) {
		size_t n = *s < 0x80 ? 1 : ea_utf8_valid_len(s);

		if (*s == '\\' || *s == '"') {
			ea_sb_putc(b, '\\');
			ea_sb_putc(b, (char)*s);
		} else if (*s == '\n') {
			ea_sb_puts(b, "\\n");
		} else if (!n) {
			ea_sb_puts(b, "\xef\xbf\xbd");
			n = 1;
		} else {
			ea_sb_putn(b, (const char *)s, n);
		}
		s += n;
	}
	ea_sb_putc(b, '"');
}

static void sample_name(struct ea_sbuf *b, const char *name, const char *const *labels)
{
	ea_sb_puts(b, name);
	if (!labels || !labels[0])
		return;
	ea_sb_putc(b, '{');
	for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
		if (i)
			ea_sb_putc(b, ',');
		ea_sb_puts(b, labels[i]);
		ea_sb_putc(b, '=');
		label_value(b, labels[i + 1]);
	}
	ea_sb_putc(b, '}');
}

void ea_prom_u64(struct ea_sbuf *b, const char *name, const char *const *labels, uint64_t v)
{
	sample_name(b, name, labels);
	ea_sb_putc(b, ' ');
	ea_sb_u64(b, v);
	ea_sb_putc(b, '\n');
}

void ea_prom_double(struct ea_sbuf *b, const char *name, const char *const *labels, double v)
{
	char num[40];

	sample_name(b, name, labels);
	if (isnan(v)) {
		ea_sb_puts(b, " NaN\n");
	} else if (isinf(v)) {
		ea_sb_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
	} else {
		snprintf(num, sizeof(num), " %.17g\n", v);
		ea_sb_puts(b, num);
	}
}

void ea_prom_scalar(struct ea_sbuf *b, const char *name, enum ea_prom_type type,
		    const char *help, double v)
{
	ea_prom_family(b, name, type, help);
	ea_prom_double(b, name, NULL, v);
}
