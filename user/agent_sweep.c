// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sweep of tcp_socks for slots whose socket is gone. The datapath
 * frees a TCP flow's slot at its close, or at its socket's release or
 * destruction; a close for which the kernel runs none of the agent's
 * programs leaves the slot behind, and the flow without its end.
 *
 * Every [agent] slot_sweep seconds the agent bumps the sweep generation;
 * program sweep_slots notes the network namespaces of the slots taken
 * before the last sweep (map sweep_netns), and the agent runs iterator
 * tcp_alive in each of them: it marks the slots of the sockets it finds.
 * Then sweep_slots judges every slot in the kernel: one that two sweeps
 * in a row did not find has its flows ended there, as its close would
 * have ended them (the datapath and the sweep claim a flow's end
 * atomically, so that only one ends it), and is freed by the next sweep.
 * A socket's own close frees its slot within microseconds, so a slot
 * missing twice, seconds apart, is one the datapath will never end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "egress.skel.h"
#include "util.h"

/* Namespaces to look in, and which of them were iterated. */
struct sweep_netns {
	uint64_t *cookie;		/* namespaces holding slots to judge, sorted */
	size_t n;
	ino_t *seen;			/* namespaces already entered */
	size_t nseen, seen_cap;
	struct bpf_program *iter;
	int fd;				/* map sweep_netns */
	uint32_t gen;
};

static int cookie_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether a namespace is in the sweep's list. */
static bool wanted(const struct sweep_netns *w, uint64_t cookie)
{
	return w->n && bsearch(&cookie, w->cookie, w->n, sizeof(cookie), cookie_cmp);
}

/*
 * In the calling thread's namespace (each is entered once, seen_before):
 * if wanted, its sockets are iterated, and the kernel told that its slots
 * may be judged.
 */
static void visit_netns(struct sweep_netns *w)
{
	struct ea_sweep_netns ns = { .wanted_gen = w->gen, .found_gen = w->gen };
	uint64_t cookie;

	if (!ea_netns_cookie(&cookie) && wanted(w, cookie) &&
	    ea_agent_run_iter(w->iter, NULL, 0) >= 0)
		bpf_map_update_elem(w->fd, &cookie, &ns, BPF_ANY);
}

/* Whether the namespace with inode ino was entered already; it is from now on. */
static bool seen_before(struct sweep_netns *w, ino_t ino)
{
	ino_t *more;

	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == ino)
			return true;
	if (w->nseen == w->seen_cap) {
		more = realloc(w->seen, (w->seen_cap + 64) * sizeof(*more));
		if (!more)
			return false;	/* entered again if met again: no harm */
		w->seen = more;
		w->seen_cap += 64;
	}
	w->seen[w->nseen++] = ino;
	return false;
}

/* Enter the namespace of path (once per namespace) and visit it. */
static void visit_path(struct sweep_netns *w, const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || seen_before(w, st.st_ino))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!setns(fd, CLONE_NEWNET))
		visit_netns(w);
	close(fd);
}

static void visit_dir(struct sweep_netns *w, const char *dir, const char *suffix)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' || (*suffix && (d->d_name[0] < '0' || d->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, d->d_name, suffix);
		visit_path(w, path);
	}
	closedir(dp);
}

/*
 * The agent's namespace, the named ones of ip-netns and those of every
 * process, each entered in turn by a thread of its own, so that the
 * agent's own threads stay where they are. Entering another namespace
 * takes CAP_SYS_ADMIN (and CAP_SYS_PTRACE for another user's process):
 * without them, only the agent's own is swept.
 */
static void *visit_all(void *arg)
{
	struct sweep_netns *w = arg;
	struct stat st;

	/* the agent's own first, entered by no one (setns needs CAP_SYS_ADMIN) */
	if (!stat("/proc/thread-self/ns/net", &st))
		seen_before(w, st.st_ino);
	visit_netns(w);
	visit_dir(w, "/run/netns", "");
	visit_dir(w, "/proc", "/ns/net");
	return NULL;
}

/* A step of the sweep in the kernel (program sweep_slots); 0 or -errno. */
static int sweep_step(struct ea_agent *a, enum ea_sweep_step step, struct ea_sweep_args *args)
{
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = args, .ctx_size_in = sizeof(*args));
	int err;

	memset(args, 0, sizeof(*args));
	args->step = step;
	err = bpf_prog_test_run_opts(bpf_program__fd(a->skel->progs.sweep_slots), &run);
	if (err)
		ea_log("the sweep of the TCP slots: %s", strerror(-err));
	return err;
}

/*
 * The namespaces sweep_slots noted for this sweep, sorted; those of
 * earlier sweeps are taken out of the map. 0 or -errno.
 */
static int wanted_netns(struct sweep_netns *w, size_t max)
{
	uint64_t key, next, *prev = NULL, *stale = calloc(EA_SWEEP_NETNS, sizeof(*stale));
	struct ea_sweep_netns ns;
	size_t nstale = 0;

	w->cookie = calloc(max ? max : 1, sizeof(*w->cookie));
	if (!stale || !w->cookie) {
		free(stale);
		return -ENOMEM;
	}
	while (!bpf_map_get_next_key(w->fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(w->fd, &key, &ns))
			continue;
		if (ns.wanted_gen == w->gen && w->n < max)
			w->cookie[w->n++] = key;
		else if (ns.wanted_gen != w->gen && nstale < EA_SWEEP_NETNS)
			stale[nstale++] = key;
	}
	for (size_t i = 0; i < nstale; i++)	/* after the walk: a delete would restart it */
		bpf_map_delete_elem(w->fd, &stale[i]);
	free(stale);
	qsort(w->cookie, w->n, sizeof(*w->cookie), cookie_cmp);
	return 0;
}

void ea_agent_sweep_slots(struct ea_agent *a)
{
	int64_t now = ea_clock_ns(CLOCK_MONOTONIC);
	struct sweep_netns w = { .iter = a->skel->progs.tcp_alive };
	struct ea_sweep_args args;
	pthread_t t;
	int err;

	if (!a->tcp_by_state || !a->cfg.agent.tcp_slots ||
	    now - a->sweep_ns < (int64_t)a->cfg.agent.slot_sweep_s * 1000000000)
		return;
	a->sweep_ns = now;
	w.gen = ++a->sweep_gen;
	a->skel->bss->sweep_gen = w.gen;	/* slots taken from now on are new */
	w.fd = bpf_map__fd(a->skel->maps.sweep_netns);
	if (sweep_step(a, EA_SWEEP_COLLECT, &args))
		return;
	if (args.netns_full && !a->sweep_netns_full)
		ea_log("the sweep of the TCP slots looks in %d network namespaces at most: "
		       "%u slots in others are not judged", EA_SWEEP_NETNS, args.netns_full);
	a->sweep_netns_full = args.netns_full;
	err = wanted_netns(&w, args.namespaces);
	if (!err && w.n) {
		err = -pthread_create(&t, NULL, visit_all, &w);
		if (!err)
			pthread_join(t, NULL);
	}
	if (err)
		ea_log("the sweep of the TCP slots: %s", strerror(-err));
	/* with no namespace looked in, the slots ended by the last sweep are still freed */
	else if (!sweep_step(a, EA_SWEEP_JUDGE, &args))
		a->swept += args.swept;
	ea_debug("sweep %u: %zu namespaces, %u slots ended, %u freed", w.gen, w.n,
		 args.swept, args.freed);
	free(w.cookie);
	free(w.seen);
}
