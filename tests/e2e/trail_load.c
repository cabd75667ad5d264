// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Synthetic load through the real trail writer, for the crash test:
 *
 *   trail_load --log-dir DIR [--flush MODE] [--records N] [--seed S]
 *              [--rotate-size BYTES] [--block-size BYTES] [--batch N]
 *
 * Appends N synthetic records (0: until killed) in batches, ticking the
 * trail after each batch as the agent does after each batch of events.
 * Whenever more records are durable under the flush mode, prints
 * "SEQ CHAIN" (the last durable seq and its chain value) and flushes
 * standard output, so whoever kills it knows what must survive. Closes
 * the trail cleanly when N records are written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rec_synth.h"
#include "trail.h"
#include "trail_fmt.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int flush_mode(const char *s)
{
	for (uint32_t m = EA_FLUSH_NONE; m <= EA_FLUSH_SYNC; m++)
		if (!strcmp(s, ea_flush_mode_name(m)))
			return (int)m;
	return -1;
}

static int parse(int argc, char **argv, struct ea_trail_opts *o, uint64_t *n,
		 uint64_t *seed, unsigned int *batch)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "flush", required_argument, NULL, 'f' },
		{ "records", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "rotate-size", required_argument, NULL, 'r' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "batch", required_argument, NULL, 'B' },
		{ 0 },
	};
	int c, m;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->log_dir = optarg;
			break;
		case 'f':
			m = flush_mode(optarg);
			if (m < 0)
				return -1;
			o->flush = (uint32_t)m;
			break;
		case 'n':
			*n = strtoull(optarg, NULL, 0);
			break;
		case 's':
			*seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			o->rotate_size = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			o->block_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'B':
			*batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			return -1;
		}
	}
	return o->log_dir && *batch ? 0 : -1;
}

/* Print the last durable seq and chain when it moved. */
static void report(struct ea_trail *t, uint64_t *shown)
{
	struct ea_trail_stats st;
	char hex[65];

	ea_trail_get_stats(t, &st);
	if (st.durable_seq == *shown)
		return;
	*shown = st.durable_seq;
	ea_hex(hex, st.durable_chain, 32);
	printf("%llu %s\n", (unsigned long long)st.durable_seq, hex);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ea_trail_opts o = { .host = "load-host", .checkpoint_interval_s = 1 };
	static struct ea_rec r;
	struct ea_err err = { { 0 } };
	struct ea_synth s;
	struct ea_trail *t;
	uint64_t n = 0, seed = 1, shown = 0;
	unsigned int batch = 64;

	if (parse(argc, argv, &o, &n, &seed, &batch)) {
		fprintf(stderr, "usage: trail_load --log-dir DIR [--flush MODE] [--records N] "
			"[--seed S] [--rotate-size B] [--block-size B] [--batch N]\n");
		return 2;
	}
	if (ea_trail_open(&t, &o, &err)) {
		fprintf(stderr, "trail_load: %s\n", err.msg);
		return 1;
	}
	ea_synth_init(&s, seed, o.host, now_ns(), &r);
	for (uint64_t i = 0; !n || i < n; i++) {
		ea_synth_next(&s, &r);
		ea_trail_append(t, &r);
		if (i % batch == batch - 1) {
			ea_trail_tick(t, now_ns());
			report(t, &shown);
		}
	}
	if (ea_trail_close(t))
		return 1;
	return 0;
}
