// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_files: a file-heavy workload.
 *
 *   bench_files setup DIR N	create N files of 1 KiB in DIR
 *   bench_files run DIR N SECONDS
 *	open, read and close the N files round-robin for SECONDS; prints one
 *	JSON line: operations (open+read+close), errors, seconds, ops/s.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char path[4096], buf[1024];
	int n;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_files setup DIR N | run DIR N SECONDS\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (n < 1)
		n = 1;
	if (!strcmp(argv[1], "setup")) {
		memset(buf, 'x', sizeof(buf));
		for (int i = 0; i < n; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/f%05d", argv[2], i);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf)) {
				perror(path);
				return 1;
			}
			close(fd);
		}
		return 0;
	}
	if (!strcmp(argv[1], "run") && argc >= 5) {
		double secs = atof(argv[4]), t0 = now_s(), t1;
		unsigned long long ops = 0, errors = 0;
		int i = 0;

		do {
			for (int k = 0; k < 64; k++) {
				int fd;

				snprintf(path, sizeof(path), "%s/f%05d", argv[2], i);
				if (++i == n)
					i = 0;
				fd = open(path, O_RDONLY);
				if (fd < 0) {
					errors++;
					continue;
				}
				if (read(fd, buf, sizeof(buf)) < 0)
					errors++;
				close(fd);
				ops++;
			}
			t1 = now_s();
		} while (t1 - t0 < secs);
		printf("{\"ops\": %llu, \"errors\": %llu, \"secs\": %.4f, \"rate\": %.1f}\n",
		       ops, errors, t1 - t0, (double)ops / (t1 - t0));
		return 0;
	}
	fprintf(stderr, "usage: bench_files setup DIR N | run DIR N SECONDS\n");
	return 2;
}
