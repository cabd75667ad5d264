// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* egress-audit verify: is the audit trail as it was written? */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "query_out.h"
#include "trail_key.h"
#include "trail_cli.h"
#include "trail_read.h"
#include "trail_verify.h"
#include "util.h"

#define MAX_ANCHORS	256

const char cmd_verify_usage[] =
	"Usage: egress-audit verify [--log-dir DIR]... [--pubkey FILE] [--anchor SEQ:CHAIN]... [-j]\n\n"
	"Check every segment and record of the audit trail: decoding, sequence\n"
	"continuity, the hash chain, indexes, checkpoint signatures, and the\n"
	"anchors given (seq and chain value the SIEM received earlier). Prints one\n"
	"line per host's trail; a trail that is not intact is named with its first\n"
	"bad segment, seq and what is wrong.\n\n"
	"  --log-dir DIR       a log directory (one subdirectory per host) or one\n"
	"                      host's trail (default: [agent] log_dir, else\n"
	"                      /var/lib/egress-audit); repeatable\n"
	"  --pubkey FILE       the host's public key as the auditor keeps it\n"
	"                      (default: host.pub beside the trail, else in its parent)\n"
	"  --anchor SEQ:CHAIN  a chain value received earlier (repeatable; needs a\n"
	"                      single trail)\n"
	"  -j, --json          one JSON object per trail\n\n"
	"Exit codes: 0 every trail intact, 1 a trail not intact or unreadable,\n"
	"2 bad usage or a --pubkey FILE that does not load.\n";

struct verify_args {
	char *dirs[EA_CLI_MAX_DIRS];
	size_t ndirs;
	const char *pubkey;
	struct ea_anchor anchors[MAX_ANCHORS];
	size_t nanchors;
};

static int parse_args(struct verify_args *va, struct ea_global_opts *g, int argc,
		      char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ "anchor", required_argument, NULL, 'a' },
		{ 0 },
	};
	int c;

	while ((c = ea_getopt(g, cmd_verify_usage, argc, argv, opts)) != -1) {
		if (c == 'd' && va->ndirs < EA_CLI_MAX_DIRS) {
			va->dirs[va->ndirs++] = optarg;
		} else if (c == 'k') {
			va->pubkey = optarg;
		} else if (c == 'a' && va->nanchors < MAX_ANCHORS) {
			if (ea_anchor_parse(optarg, &va->anchors[va->nanchors++])) {
				ea_log("--anchor '%s': not SEQ:CHAIN (a seq and 64 hex digits)", optarg);
				return -EINVAL;
			}
		} else {
			if (c == 'd' || c == 'a')
				ea_log("too many --%s", c == 'd' ? "log-dir" : "anchor");
			fputs(cmd_verify_usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		ea_log("verify: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Host, directory, segment and what is wrong come from the trail or the
 * command line: escaped as query's table does, so that a hostile name
 * (a newline, an escape sequence) cannot forge a line of its own.
 */
static void print_text(const char *dir, const struct ea_verify_result *r)
{
	char host[4 * sizeof(r->host)], path[4 * PATH_MAX], seg[4 * sizeof(r->segment)];
	char what[4 * sizeof(r->what)];

	ea_escape(host, sizeof(host), r->host);
	if (!r->ok) {
		ea_escape(path, sizeof(path), dir);
		printf("%s: NOT INTACT: %s/%s: seq %llu: %s\n", r->host[0] ? host : path, path,
		       ea_escape(seg, sizeof(seg), r->segment), (unsigned long long)r->seq,
		       ea_escape(what, sizeof(what), r->what));
		return;
	}
	printf("%s: intact: seq %llu..%llu (%llu records, %llu segments, %llu checkpoints",
	       host, (unsigned long long)r->first_seq, (unsigned long long)r->last_seq,
	       (unsigned long long)r->records, (unsigned long long)r->segments,
	       (unsigned long long)r->checkpoints);
	if (r->checkpoints)
		printf(" signed by %s", r->key_id);
	printf(")");
	if (r->last_seq > r->last_checkpoint)
		printf("; %llu records after the last checkpoint are not signed yet",
		       (unsigned long long)(r->last_seq - r->last_checkpoint));
	if (r->anchors)
		printf("; %llu anchors match", (unsigned long long)r->anchors);
	if (r->missing_indexes)
		printf("; %llu closed segments lack an index (rebuilt at the next start)",
		       (unsigned long long)r->missing_indexes);
	putchar('\n');
}

/*
 * A --pubkey that does not load is bad input: said as such, before any
 * trail is checked, rather than as a fault of every trail.
 */
static int check_pubkey(const char *path)
{
	const char *why = "";
	EVP_PKEY *key;
	int r;

	if (!path)
		return 0;
	r = ea_key_load_public(path, &key, &why);
	if (r) {
		ea_log("--pubkey %s: %s", path, r == -EINVAL ? why : strerror(-r));
		return r;
	}
	EVP_PKEY_free(key);
	return 0;
}

static void print_json(const char *dir, const struct ea_verify_result *r)
{
	printf("{\"host\":");
	ea_json_str(stdout, r->host);
	printf(",\"dir\":");
	ea_json_str(stdout, dir);
	printf(",\"intact\":%s,\"first_seq\":%llu,\"last_seq\":%llu,\"records\":%llu,"
	       "\"segments\":%llu,\"checkpoints\":%llu,\"last_checkpoint\":%llu,"
	       "\"anchors\":%llu,\"key\":", r->ok ? "true" : "false",
	       (unsigned long long)r->first_seq, (unsigned long long)r->last_seq,
	       (unsigned long long)r->records, (unsigned long long)r->segments,
	       (unsigned long long)r->checkpoints, (unsigned long long)r->last_checkpoint,
	       (unsigned long long)r->anchors);
	ea_json_str(stdout, r->key_id);
	if (!r->ok) {
		printf(",\"segment\":");
		ea_json_str(stdout, r->segment);
		printf(",\"seq\":%llu,\"error\":", (unsigned long long)r->seq);
		ea_json_str(stdout, r->what);
	}
	printf("}\n");
}

int cmd_verify(struct ea_global_opts *g, int argc, char **argv)
{
	struct verify_args *va = calloc(1, sizeof(*va));
	struct ea_verify_result *res = malloc(sizeof(*res));
	char **trails = NULL;
	size_t n = 0;
	int ret = EA_EXIT_RUNTIME;

	if (!va || !res)
		goto out;
	ret = EA_EXIT_USAGE;
	if (parse_args(va, g, argc, argv) || check_pubkey(va->pubkey))
		goto out;
	ret = ea_cli_trails(g, va->dirs, va->ndirs, &trails, &n);
	if (ret)
		goto out;
	if (va->nanchors && n > 1) {
		ea_log("--anchor needs a single trail: name one host's directory with --log-dir");
		ret = EA_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ea_verify_opts o = { .pubkey = va->pubkey, .anchors = va->anchors,
					    .nanchors = va->nanchors };
		int r = ea_trail_verify(trails[i], &o, res);

		if (r == 1 && res->torn) {	/* perhaps a block being written: once more */
			usleep(300000);
			r = ea_trail_verify(trails[i], &o, res);
		}

		if (r < 0) {
			ea_log("%s: %s", trails[i], strerror(-r));
			ret = EA_EXIT_RUNTIME;
			continue;
		}
		if (g->json)
			print_json(trails[i], res);
		else
			print_text(trails[i], res);
		if (r)
			ret = EA_EXIT_RUNTIME;
	}
out:
	ea_trail_dirs_free(trails, n);
	free(va);
	free(res);
	return ret;
}
