// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit classify: the verdict of the jurisdiction engine for any
 * address, with the prefix and the source that decided it.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "geo_table.h"
#include "util.h"

const char cmd_classify_usage[] =
	"Usage: egress-audit classify [-c CONFIG] [-j] ADDR... | -\n\n"
	"For each address (or each line of standard input with -): country\n"
	"(-- when none), zone, verdict (allowed | flagged), the matching prefix\n"
	"and the source that decided. With labels configured, the labels whose\n"
	"data would be flagged are listed too.\n\n"
	"  -c, --config FILE  configuration (default: embedded defaults)\n"
	"  -j, --json         one JSON object per line\n\n"
	"Exit codes: 0 all answered, 1 runtime failure, 2 bad config or a\n"
	"malformed address (the others are still answered).\n";

struct classify_ctx {
	const struct ea_geo_table *t;
	bool json;
	bool has_labels;
};

static void print_flagged_labels(const struct classify_ctx *c,
				 const struct ea_geo_result *r)
{
	bool first = true;

	fputs(c->json ? ",\"flagged_labels\":[" : "  flagged-labels=", stdout);
	for (uint32_t i = 0; i < c->t->nlabels; i++) {
		if (r->allow_labels & (1ull << i))
			continue;
		if (!first)
			fputc(',', stdout);
		if (c->json)
			ea_json_str(stdout, c->t->label_names[i]);
		else
			fputs(c->t->label_names[i], stdout);
		first = false;
	}
	if (c->json)
		fputc(']', stdout);
	else if (first)
		fputc('-', stdout);
}

static void print_answer(const struct classify_ctx *c, const char *text, ea_addr_t a)
{
	struct ea_geo_answer ans;
	char cc[3], abuf[EA_ADDR_STRLEN], pbuf[EA_CIDR_STRLEN];
	const char *verdict;

	ea_geo_table_answer(c->t, a, &ans);
	ea_cc_format(ans.result->country, cc);
	ea_addr_format(a, abuf);
	ea_cidr_format(&ans.prefix, pbuf);
	verdict = ea_verdict_name(ans.policy_allowed ? EA_VERDICT_ALLOWED
						     : EA_VERDICT_FLAGGED);
	if (c->json) {
		fputs("{\"addr\":", stdout);
		ea_json_str(stdout, abuf);
		printf(",\"input\":");
		ea_json_str(stdout, text);
		printf(",\"country\":\"%s\",\"zone\":\"%s\",\"verdict\":\"%s\","
		       "\"prefix\":\"%s\",\"source\":", cc,
		       ea_zone_name(ans.result->zone), verdict, pbuf);
		ea_json_str(stdout, ans.source);
	} else {
		printf("%-39s %-2s %-16s %-7s %-43s %s", abuf, cc,
		       ea_zone_name(ans.result->zone), verdict, pbuf, ans.source);
	}
	if (c->has_labels)
		print_flagged_labels(c, ans.result);
	fputs(c->json ? "}\n" : "\n", stdout);
}

/* Answer one address; returns false when it is malformed. */
static bool classify_one(const struct classify_ctx *c, const char *text)
{
	ea_addr_t a;

	if (ea_addr_parse(text, &a)) {
		ea_log("'%s' is not an IPv4 or IPv6 address", text);
		return false;
	}
	print_answer(c, text, a);
	return true;
}

/* Each non-empty line of standard input, trimmed, is an address. */
static bool classify_stdin(const struct classify_ctx *c)
{
	char *line = NULL;
	size_t cap = 0;
	bool ok = true;

	while (getline(&line, &cap, stdin) > 0) {
		char *s = line, *e;

		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s && !classify_one(c, s))
			ok = false;
		fflush(stdout);
	}
	free(line);
	return ok;
}

int cmd_classify(struct ea_global_opts *g, int argc, char **argv)
{
	struct ea_config cfg;
	struct ea_geo_table t;
	struct ea_err err = { { 0 } };
	static const struct option none[] = { { 0 } };
	struct classify_ctx c = { .t = &t };
	bool ok = true;

	if (ea_getopt(g, cmd_classify_usage, argc, argv, none) != -1 || optind >= argc) {
		fputs(cmd_classify_usage, stderr);
		return EA_EXIT_USAGE;
	}
	c.json = g->json;
	if (ea_config_load(g->config, &cfg, &err)) {
		ea_log("%s", err.msg);
		return EA_EXIT_USAGE;
	}
	if (ea_geo_table_build(&cfg, &t, &err)) {
		ea_log("%s", err.msg);
		ea_config_free(&cfg);
		return EA_EXIT_USAGE;
	}
	c.has_labels = cfg.nlabels > 0;
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "-"))
			ok &= classify_stdin(&c);
		else
			ok &= classify_one(&c, argv[i]);
	}
	ea_geo_table_free(&t);
	ea_config_free(&cfg);
	return ok ? EA_EXIT_OK : EA_EXIT_USAGE;
}
