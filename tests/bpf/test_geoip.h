/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Configurations over the test GeoIP data (tests/bpf and tests/bench):
 * [geoip] file takes absolute paths only, and these run from the source
 * tree, so the file is named by its resolved path.
 */
#ifndef EA_TEST_GEOIP_H
#define EA_TEST_GEOIP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define EA_TEST_GEOIP	"tests/data/test-geoip.csv"

/* "[geoip] file = the test data", then rest; as ea_config_parse_string. */
static inline int ea_test_config_parse(const char *name, const char *rest,
				       struct ea_config *cfg, struct ea_err *err)
{
	char *real = realpath(EA_TEST_GEOIP, NULL);
	char *text = NULL;
	int rc = -errno;

	ea_config_defaults(cfg);
	if (!real) {
		ea_err_set(err, "%s: %s", EA_TEST_GEOIP, strerror(-rc));
		return rc;
	}
	if (asprintf(&text, "[geoip]\nfile = %s\n%s", real, rest) < 0)
		text = NULL;
	free(real);
	if (!text) {
		ea_err_set(err, "%s: out of memory", name);
		return -ENOMEM;
	}
	rc = ea_config_parse_string(name, text, cfg, err);
	free(text);
	return rc;
}

#endif /* EA_TEST_GEOIP_H */
