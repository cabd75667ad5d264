// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sweep of tcp_socks for slots whose socket is gone. The datapath
 * frees a TCP flow's slot at its close, or at its socket's release or
 * destruction; a close for which the kernel runs none of the agent's
 * programs leaves the slot behind, and the flow without its end.
 *
 * Every [agent] slot_sweep seconds the agent bumps the sweep generation and runs
 * iterator tcp_alive in each network namespace that holds slots taken
 * before the last sweep: it marks the slots of the sockets it finds. A
 * slot such a sweep did not find is a suspect; one the next sweep does
 * not find either has its flow ended here (with the counts of its last
 * report) and is freed. A socket's own close frees its slot within
 * microseconds, so a slot missing twice, seconds apart, is one the
 * datapath will never end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "egress.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

#define EA_SWEEP_NETNS		64		/* namespaces looked at in one sweep */

struct sweep_netns {
	uint64_t cookie[EA_SWEEP_NETNS];	/* namespaces holding slots to check */
	bool found[EA_SWEEP_NETNS];		/* ... and whose sockets were iterated */
	size_t n;
	ino_t seen[4096];			/* namespaces already looked at */
	size_t nseen;
	struct bpf_program *iter;
};

/*
 * Whether a slot is one this sweep must find: taken before the last sweep,
 * its flow started (its socket was in the kernel's tables; one whose
 * connect() failed before them is left to its file's release) and not
 * ended (one ended waits for its file's release, which an application may
 * put off for long after a reset).
 */
static bool slot_is_judged(const struct ea_sock_state *s, uint32_t gen)
{
	return s->born_gen + 1 < gen && s->flow.start_ns && !s->ended;
}

/* The index of a namespace in the sweep's list, or -1. */
static int wanted(const struct sweep_netns *w, uint64_t cookie)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->cookie[i] == cookie)
			return (int)i;
	return -1;
}

static void want_netns(struct sweep_netns *w, uint64_t cookie)
{
	if (wanted(w, cookie) < 0 && w->n < EA_SWEEP_NETNS)
		w->cookie[w->n++] = cookie;
}

/* In the calling thread's namespace: its cookie, and the iterator if wanted. */
static void visit_netns(struct sweep_netns *w)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), i;

	if (fd < 0)
		return;
	if (!getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
	    (i = wanted(w, cookie)) >= 0 && !w->found[i])
		w->found[i] = ea_agent_run_iter(w->iter, NULL, 0) >= 0;
	close(fd);
}

/* Enter the namespace of path (once per namespace) and visit it. */
static void visit_path(struct sweep_netns *w, const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		return;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == st.st_ino)
			return;
	if (w->nseen < sizeof(w->seen) / sizeof(w->seen[0]))
		w->seen[w->nseen++] = st.st_ino;
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
		w->seen[w->nseen++] = st.st_ino;
	visit_netns(w);
	visit_dir(w, "/run/netns", "");
	visit_dir(w, "/proc", "/ns/net");
	return NULL;
}

/* The namespaces of the old slots; how many slots are old. */
static size_t old_slots_netns(int fd, uint32_t gen, struct sweep_netns *w)
{
	struct ea_sock_state s;
	uint64_t key, next, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) || !slot_is_judged(&s, gen))
			continue;
		want_netns(w, s.netns);
		n++;
	}
	return n;
}

static bool was_suspect(const struct ea_agent *a, uint64_t cookie)
{
	for (size_t i = 0; i < a->nsuspects; i++)
		if (a->suspects[i] == cookie)
			return true;
	return false;
}

/* Its flow's end, as the datapath would have made it at its close. */
static void end_slot(struct ea_agent *a, const struct ea_sock_state *s, uint64_t now)
{
	if (s->flow.flags & EA_FLOW_RECORDED)
		ea_agent_end_flow(a, &s->flow, &s->owner,
				  s->labels | s->sender_labels | s->flow.labels,
				  EA_ORIGIN_SOCKET, 0, now);
	a->swept++;
}

/*
 * Judged slots this sweep did not find: suspects, or, suspects already,
 * taken out of the map (after the walk: a key deleted under the walk
 * would start it over) and their flows ended. Taken out whole, a slot is
 * ended here or by the datapath; a program of the datapath that looked
 * it up just before (its socket's file released at that very moment)
 * could still write to it.
 */
static void judge_slots(struct ea_agent *a, int fd, uint32_t gen, const struct sweep_netns *w)
{
	uint64_t key, next, *prev = NULL, now = ea_boot_ns();
	uint64_t suspects[EA_SWEEP_SUSPECTS], gone[EA_SWEEP_SUSPECTS];
	struct ea_sock_state s;
	size_t n = 0, ngone = 0;
	int i;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) || !slot_is_judged(&s, gen) ||
		    s.alive_gen == gen || (i = wanted(w, s.netns)) < 0 || !w->found[i])
			continue;
		if (was_suspect(a, key)) {
			if (ngone < EA_SWEEP_SUSPECTS)
				gone[ngone++] = key;
		} else if (n < EA_SWEEP_SUSPECTS) {
			suspects[n++] = key;
		}
	}
	for (size_t k = 0; k < ngone; k++)
		if (!bpf_map_lookup_and_delete_elem(fd, &gone[k], &s) && !s.ended)
			end_slot(a, &s, now);
	memcpy(a->suspects, suspects, n * sizeof(suspects[0]));
	a->nsuspects = n;
}

void ea_agent_sweep_slots(struct ea_agent *a)
{
	int64_t now = ea_clock_ns(CLOCK_MONOTONIC);
	int fd = bpf_map__fd(a->skel->maps.tcp_socks);
	struct sweep_netns *w;
	uint32_t gen;
	pthread_t t;

	if (!a->tcp_by_state || !a->cfg.agent.tcp_slots ||
	    now - a->sweep_ns < (int64_t)a->cfg.agent.slot_sweep_s * 1000000000)
		return;
	a->sweep_ns = now;
	gen = ++a->sweep_gen;
	a->skel->bss->sweep_gen = gen;	/* slots taken from now on are new */
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->iter = a->skel->progs.tcp_alive;
	if (old_slots_netns(fd, gen, w) && !pthread_create(&t, NULL, visit_all, w)) {
		pthread_join(t, NULL);
		judge_slots(a, fd, gen, w);
	} else {
		a->nsuspects = 0;
	}
	free(w);
}
