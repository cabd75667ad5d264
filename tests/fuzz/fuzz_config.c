// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the configuration parser: the input, NUL-terminated,
 * goes to ea_config_parse_string and, as a list, to ea_allow_set_parse.
 * Besides memory errors it checks what a parse promises: an error names the
 * file and leaves the defaults, a success holds only valid values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether a parsed label name is 1..63 characters of [A-Za-z0-9._-]. */
static int label_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < EA_LABEL_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") == n;
}

/* Abort unless an accepted configuration holds only valid values. */
static void check_ok(const struct ea_config *cfg)
{
	uint32_t kib = cfg->agent.ringbuf_kib;

	if (cfg->nlabels > EA_MAX_LABELS || kib < 4 || kib > 1048576 ||
	    (kib & (kib - 1)) || cfg->agent.update_interval_s < 1 ||
	    cfg->agent.update_interval_s > 86400 ||
	    cfg->agent.mode > EA_MODE_ENFORCE)
		abort();
	for (size_t i = 0; i < cfg->nlabels; i++) {
		if (!label_name_ok(cfg->labels[i].name))
			abort();
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(cfg->labels[i].name, cfg->labels[j].name))
				abort();
		}
	}
	for (size_t i = 0; i < cfg->policy.ndeny; i++) {
		if (!ea_country_zone(cfg->policy.deny[i]))
			abort();
	}
}

/* Abort unless a refused configuration left the defaults and a message. */
static void check_error(const struct ea_config *cfg, const struct ea_err *err,
			int rc)
{
	if ((rc != -EINVAL && rc != -ENOMEM) || strncmp(err->msg, "fuzz.ini:", 9) ||
	    cfg->path || cfg->nlabels || cfg->agent.ringbuf_kib != 4096)
		abort();
}

/* One input: a configuration file and an allow list. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ea_allow_set set = { 0 };
	struct ea_config cfg;
	struct ea_err err;
	char bad[16];
	char *text;
	int rc;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = ea_config_parse_string("fuzz.ini", text, &cfg, &err);
	if (rc)
		check_error(&cfg, &err, rc);
	else
		check_ok(&cfg);
	ea_config_free(&cfg);

	if (ea_allow_set_parse(text, &set, bad, sizeof(bad)) == 0) {
		for (size_t i = 0; i < set.nccs; i++) {
			if (!ea_country_zone(set.ccs[i]) ||
			    (i && set.ccs[i - 1] >= set.ccs[i]))
				abort();
		}
	}
	ea_allow_set_free(&set);
	free(text);
	return 0;
}
