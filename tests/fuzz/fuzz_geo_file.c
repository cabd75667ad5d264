// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for a whole GeoIP file as the agent reads it: the input
 * goes into a file and through ea_geo_read_file with format detection, so
 * that MMDB (libmaxminddb and the walk of its search tree), gzip and CSV
 * are all reached from the bytes alone. An import either fails with a
 * message that names the file or gives a sorted, disjoint, non-empty list
 * of valid country ranges. Seeds: tests/fuzz/corpus/geo_file/ (MMDB with
 * IPv4 and IPv6 trees, gzip and plain CSV).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "geo_check.h"
#include "geo_import.h"

#define SRC	5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libmaxminddb up to 1.11 leaks the metadata it had read when MMDB_open
 * fails on a damaged file (maxmind/libmaxminddb#356, fixed in 1.12): about
 * 4.6 KiB a refused file, allocated where nothing of ours can free it.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:libmaxminddb.so\n";
}

static int fd = -1;
static char path[64];

/* One memory-backed file, rewritten for every input. */
static void put_file(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("fuzz-geo", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_geo_file: write");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ea_ivl_list l = { 0 };
	struct ea_err err = { { 0 } };
	int ret;

	put_file(data, size);
	ret = ea_geo_read_file(path, EA_GEO_AUTO, SRC, &l, &err);
	if (ret == 0) {
		if (!l.n)
			abort();	/* a file with no range is an error */
		check_ranges(&l, SRC, false);
	} else if (strncmp(err.msg, path, strlen(path)) ||
		 strlen(err.msg) >= sizeof(err.msg))
		abort();	/* every error names the file */
	ea_ivl_list_free(&l);
	return 0;
}
