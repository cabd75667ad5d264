/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), as
 * `egress-audit status --prometheus` prints them for scrapers such as
 * node_exporter's textfile collector: each family's # HELP and # TYPE
 * lines, then its samples.
 */
#ifndef EA_PROM_H
#define EA_PROM_H

#include <stdint.h>

#include "sbuf.h"

enum ea_prom_type {
	EA_PROM_COUNTER,
	EA_PROM_GAUGE,
};

/* # HELP and # TYPE of a family; its samples follow. */
void ea_prom_family(struct ea_sbuf *b, const char *name, enum ea_prom_type type,
		    const char *help);

/*
 * One sample: name{k1="v1",...} value. labels holds key, value pairs and
 * ends with NULL (labels itself may be NULL: no labels). Keys are ours;
 * values are escaped (backslash, double quote, line feed) and made UTF-8,
 * each byte of an invalid sequence becoming U+FFFD.
 */
void ea_prom_u64(struct ea_sbuf *b, const char *name, const char *const *labels, uint64_t v);
void ea_prom_double(struct ea_sbuf *b, const char *name, const char *const *labels, double v);

/* A family of one sample without labels. */
void ea_prom_scalar(struct ea_sbuf *b, const char *name, enum ea_prom_type type,
		    const char *help, double v);

#endif /* EA_PROM_H */
