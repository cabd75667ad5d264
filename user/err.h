/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Error reports for bad input: one message that names the file, the line
 * where there is one, and what is wrong. Parsers fill a struct ea_err and
 * return a negative errno; the caller prints err.msg and picks the exit code.
 */
#ifndef EA_ERR_H
#define EA_ERR_H

#include <stdarg.h>
#include <stdio.h>

struct ea_err {
	char msg[512];
};

__attribute__((format(printf, 2, 3)))
static inline int ea_err_set(struct ea_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

#endif /* EA_ERR_H */
