// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit version: the release, the commit and the libraries in use.
 * The only file that includes the generated build_id.h, so that a new
 * commit recompiles nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <libdeflate.h>
#include <maxminddb.h>
#include <libmount/libmount.h>
#include <openssl/crypto.h>
#include <zlib.h>

#include "build_id.h"
#include "commands.h"
#include "egress_audit.h"
#include "util.h"
#include "version.h"

const char cmd_version_usage[] =
	"Usage: egress-audit version [-j]\n"
	"       egress-audit -V | --version\n\n"
	"The release and commit of this egress-audit, the version of the events'\n"
	"ABI between its kernel programs and the agent, and the libraries it runs\n"
	"with.\n\n"
	"  -j, --json   one JSON object\n\n"
	"Exit codes: 0 shown, 2 bad usage.\n";

/* SIEM messages carry it as RFC 5424's swVersion, at most 32 characters. */
_Static_assert(sizeof(EA_VERSION) <= 32 + 1, "EA_VERSION is too long for swVersion");

const char *ea_version(void)
{
	return EA_VERSION;
}

const char *ea_commit(void)
{
	return EA_COMMIT;
}

void ea_build_format(char *buf, size_t size, const char *version, const char *commit)
{
	if (commit[0])
		snprintf(buf, size, "%s (commit %s)", version, commit);
	else
		snprintf(buf, size, "%s", version);
}

/* ea_build_format() of this build, made by the preprocessor: no buffer to share. */
const char *ea_build(void)
{
	return EA_COMMIT[0] ? EA_VERSION " (commit " EA_COMMIT ")" : EA_VERSION;
}

struct library {
	const char *name;
	const char *version;
};

#define NLIBS 6

/* As loaded where the library tells its version, else as built against. */
static void libraries(struct library lib[NLIBS])
{
	lib[0] = (struct library){ "libbpf", libbpf_version_string() };
	lib[1] = (struct library){ "openssl", OpenSSL_version(OPENSSL_VERSION_STRING) };
	lib[2] = (struct library){ "zlib", zlibVersion() };
	lib[3] = (struct library){ "libdeflate", LIBDEFLATE_VERSION_STRING };
	lib[4] = (struct library){ "libmaxminddb", MMDB_lib_version() };
	lib[5] = (struct library){ "libmount", NULL };
	mnt_get_library_version(&lib[5].version);
}

static void print_json(void)
{
	struct library lib[NLIBS];

	libraries(lib);
	printf("{\"version\":\"%s\",\"commit\":\"%s\",\"abi\":%u,\"libraries\":{", ea_version(),
	       ea_commit(), EA_ABI_VERSION);
	for (int i = 0; i < NLIBS; i++) {
		printf("%s\"%s\":", i ? "," : "", lib[i].name);
		ea_json_str(stdout, lib[i].version);
	}
	printf("}}\n");
}

static void print_text(void)
{
	struct library lib[NLIBS];

	libraries(lib);
	printf("egress-audit %s\nevent ABI %u\n", ea_build(), EA_ABI_VERSION);
	for (int i = 0; i < NLIBS; i++)
		printf("%s%s %s", i ? ", " : "", lib[i].name, lib[i].version);
	printf("\n");
}

int cmd_version(struct ea_global_opts *g, int argc, char **argv)
{
	static const struct option none[] = { { 0 } };

	if (ea_getopt(g, cmd_version_usage, argc, argv, none) != -1 || optind < argc) {
		if (optind < argc)
			ea_log("version: unexpected argument '%s'", argv[optind]);
		fputs(cmd_version_usage, stderr);
		return EA_EXIT_USAGE;
	}
	if (g->json)
		print_json();
	else
		print_text();
	return fflush(stdout) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
}
