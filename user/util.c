// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logging, data-file lookup and JSON string output. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef EA_DATADIR
#define EA_DATADIR "/usr/local/share/egress-audit"
#endif

int ea_verbose;

void ea_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("egress-audit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void ea_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ea_verbose)
		return;
	va_start(ap, fmt);
	fputs("egress-audit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static bool try_path(char *buf, size_t len, const char *dir, const char *name)
{
	if (!dir || !*dir)
		return false;
	snprintf(buf, len, "%s/%s", dir, name);
	return access(buf, R_OK) == 0;
}

const char *ea_data_file(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], dir[PATH_MAX + 16];
	ssize_t n;
	char *slash;

	if (try_path(buf, len, getenv("EGRESS_AUDIT_DATADIR"), name))
		return buf;
	if (try_path(buf, len, EA_DATADIR, name))
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/../data", exe);
			if (try_path(buf, len, dir, name) && realpath(buf, exe))
				snprintf(buf, len, "%s", exe);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	return NULL;
}

void ea_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}
