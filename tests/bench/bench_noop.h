/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench_noop.bpf.o with one of its programs loaded, for the benches that want one. */
#ifndef EA_BENCH_NOOP_H
#define EA_BENCH_NOOP_H

#include <bpf/libbpf.h>

#include "bench_noop.skel.h"

/* Load keep alone; the event ring only for the program that sends to it. */
static inline int bench_noop_load_only(struct bench_noop_bpf *s, struct bpf_program *keep)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, p == keep);
	bpf_map__set_autocreate(s->maps.events, keep == s->progs.ev_tcp_state);
	return bench_noop_bpf__load(s);
}

#endif
