/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checking that text is one JSON object before it is embedded as such. */
#ifndef EA_JSON_CHECK_H
#define EA_JSON_CHECK_H

#include <stdbool.h>

/* Whether s is one JSON object (RFC 8259) and nothing else, nested 32 deep at most. */
bool ea_json_object_valid(const char *s);

#endif /* EA_JSON_CHECK_H */
