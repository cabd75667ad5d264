// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * egress-audit run: load the datapath, fill the GeoIP maps, attach to the
 * watched cgroup and devices, turn ring-buffer events into records until
 * SIGINT/SIGTERM, then detach everything that was attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "cgroup.h"
#include "commands.h"
#include "egress.skel.h"
#include "geo_maps.h"
#include "labels.h"
#include "record.h"
#include "siem.h"
#include "trail.h"
#include "util.h"

const char cmd_run_usage[] =
	"Usage: egress-audit run [-c CONFIG] [--cgroup PATH] [-j] [--state-dir DIR]\n\n"
	"Watch every flow leaving the cgroup (default: [agent] cgroup, else the\n"
	"root of the cgroup v2 mount) and the devices of [agent] interfaces;\n"
	"print one record per line on standard output (JSON lines with -j)\n"
	"until SIGINT or SIGTERM. Diagnostics go to standard error. SIGHUP\n"
	"reloads the configuration and GeoIP data; bad input keeps the running\n"
	"state.\n\n"
	"  -c, --config FILE    configuration (default: embedded defaults)\n"
	"  --cgroup PATH        cgroup to watch (absolute, or relative to the\n"
	"                       cgroup v2 mount)\n"
	"  -j, --json           JSON lines\n"
	"  --state-dir DIR      where status files live (default /run/egress-audit)\n\n"
	"Exit codes: 0 stopped by a signal, 1 runtime failure (not root, no BTF,\n"
	"no cgroup v2, load or attach failed), 2 bad usage or bad config.\n";

static volatile sig_atomic_t stopping, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stopping = 1;
}

int64_t ea_boot_to_real_ns(void)
{
	return ea_clock_ns(CLOCK_REALTIME) - ea_clock_ns(CLOCK_BOOTTIME);
}

bool ea_libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!ea_verbose && (level == LIBBPF_DEBUG || ea_libbpf_quiet))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The requirements of the datapath: a clear line and exit 1 when one fails. */
static int check_requirements(struct ea_agent *a)
{
	if (geteuid() != 0) {
		ea_log("run needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		ea_log("run needs kernel BTF: /sys/kernel/btf/vmlinux: %s "
		       "(a kernel built with CONFIG_DEBUG_INFO_BTF=y)", strerror(errno));
		return -ENOENT;
	}
	if (!ea_cgroup2_mount(a->cg_mount, sizeof(a->cg_mount))) {
		ea_log("run needs cgroup v2: no cgroup2 file system in /proc/self/mountinfo");
		return -ENOENT;
	}
	return 0;
}

/* The file-taint programs: loaded and attached only when a label has a path. */
static struct bpf_program *taint_prog(struct egress_bpf *s, size_t i)
{
	struct bpf_program *progs[] = {
		s->progs.openat_exit, s->progs.openat2_exit, s->progs.open_exit,
		s->progs.sendfile_enter, s->progs.splice_enter,
		s->progs.copy_file_range_enter, s->progs.fork, s->progs.process_exit,
		s->progs.process_free, s->progs.uring_complete,
		s->progs.syscall_enter, s->progs.syscall_exit,
		s->progs.open_by_handle_exit, s->progs.pidfd_getfd_exit,
		s->progs.recvmsg_exit, s->progs.recvmmsg_exit,
	};

	return i < sizeof(progs) / sizeof(progs[0]) ? progs[i] : NULL;
}

/* Whether some label names a file tree (cgroups false) or a cgroup (true). */
static bool labels_name(const struct ea_config *cfg, bool cgroups)
{
	for (size_t i = 0; i < cfg->nlabels; i++)
		if (cgroups ? cfg->labels[i].cgroups.n : cfg->labels[i].paths.n)
			return true;
	return false;
}

static bool has_path_labels(const struct ea_config *cfg)
{
	return labels_name(cfg, false);
}

/* Whether p is one of the programs on a per-call system call tracepoint. */
static bool on_one_call(const struct bpf_program *p)
{
	static const char prefix[] = "tp/syscalls/";

	return !strncmp(bpf_program__section_name(p), prefix, sizeof(prefix) - 1);
}

/*
 * Whether a 32-bit move (sendfile, splice, copy_file_range) must taint
 * before the call, at every call's entry: where a label with a path
 * enforces, so that its bytes are stopped, and where TCP is counted per
 * packet, which loads no send hook to taint at its sends.
 */
bool ea_moves32_at_entry(const struct ea_config *cfg)
{
	for (size_t i = 0; i < cfg->nlabels; i++)
		if (cfg->labels[i].paths.n &&
		    ea_label_mode(cfg, &cfg->labels[i]) == EA_MODE_ENFORCE)
			return true;
	return cfg->agent.tcp_per_packet;
}

/* The per-call programs that taint by a 64-bit call's input, before it moves. */
static bool on_move(struct egress_bpf *s, const struct bpf_program *p)
{
	return p == s->progs.sendfile_enter || p == s->progs.splice_enter ||
	       p == s->progs.copy_file_range_enter;
}

/*
 * Which file-taint programs to load, with a path label: where 32-bit
 * system calls are watched and BTF tracepoints load, syscall_exit, which
 * sees every call's end, in place of the per-call tracepoints of opens
 * and receives (an open then runs one program); else the per-call ones,
 * which see 64-bit calls only. The per-call programs of moves
 * (sendfile_enter, ...) are loaded either way: they run at those calls
 * only. A 32-bit move taints by syscall_exit once done, a 32-bit sendfile
 * also at its sends (tcp_send); where a path label enforces, or the send
 * hook is not loaded, syscall_enter takes 32-bit moves at every call's
 * entry, before their bytes go. uring_complete, on a BTF tracepoint that
 * differs between kernels, needs them to load too.
 */
static void choose_taint_progs(struct ea_agent *a, bool btf_tracepoints)
{
	bool on = has_path_labels(&a->cfg), at_entry;
	struct egress_bpf *s = a->skel;
	struct bpf_program *p;

	a->calls_32bit = ea_agent_32bit_calls(a);
	a->every_call = btf_tracepoints && a->calls_32bit == EA_32BIT_WATCHED;
	at_entry = a->every_call && ea_moves32_at_entry(&a->cfg);
	s->rodata->moves32_late = a->every_call && !at_entry;
	for (size_t i = 0; (p = taint_prog(s, i)); i++) {
		bool load = on;

		if (p == s->progs.syscall_enter)
			load = at_entry;
		else if (p == s->progs.syscall_exit)
			load = a->every_call;
		else if (on_one_call(p) && !on_move(s, p))
			load = on && !a->every_call;
		else if (p == s->progs.uring_complete)
			load = on && btf_tracepoints;
		bpf_program__set_autoload(p, load);
	}
}

/*
 * Without a path label the file-taint programs stay out, and the maps they
 * fill keep one entry: preallocated for 65536 processes and files, they
 * would lock about 31 MiB of kernel memory for nothing. Labels change only
 * with a restart.
 */
static int fit_taint_to_labels(struct ea_agent *a)
{
	bool on = has_path_labels(&a->cfg);

	bpf_program__set_autoload(a->skel->progs.taint_open_files, on);
	bpf_program__set_autoload(a->skel->progs.taint_mapped_files, on);
	if (on)
		return 0;
	return bpf_map__set_max_entries(a->skel->maps.taint, 1) ?:
	       bpf_map__set_max_entries(a->skel->maps.inode_labels, 1);
}

/* Enforcement only where the operator named the cgroup. */
static bool wants_enforce(const struct ea_config *cfg)
{
	if (cfg->agent.mode == EA_MODE_ENFORCE)
		return true;
	for (size_t i = 0; i < cfg->nlabels; i++)
		if (ea_label_mode(cfg, &cfg->labels[i]) == EA_MODE_ENFORCE)
			return true;
	return false;
}

/*
 * Which build of the programs that treat TCP differently to load (see
 * egress.bpf.c): TCP counted by state with the TCP tracepoints, or per
 * packet (without them, or as [agent] tcp_count = packet asks); egress
 * and the connect programs also have a build for enforce mode.
 */
static void choose_build(struct ea_agent *a, bool btf_tracepoints)
{
	bool tcp_by_state = btf_tracepoints && !a->cfg.agent.tcp_per_packet, relabel;
	struct egress_bpf *s = a->skel;
	/* only enforce mode stops a connect() for its source route */
	bool routes = tcp_by_state && wants_enforce(&a->cfg);
	struct bpf_program *builds[][3] = {	/* by state, per packet, enforcing */
		{ s->progs.sock_create, s->progs.sock_create_pp, NULL },
		{ s->progs.connect4, s->progs.connect4_pp, s->progs.connect4_enforce },
		{ s->progs.connect6, s->progs.connect6_pp, s->progs.connect6_enforce },
	};

	a->tcp_by_state = tcp_by_state;
	a->tcp_ends_at_close = btf_tracepoints;
	a->connect_routes = routes;
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		bool enforcing = routes && builds[i][2];

		bpf_program__set_autoload(builds[i][0], tcp_by_state && !enforcing);
		bpf_program__set_autoload(builds[i][1], !tcp_by_state);
		if (builds[i][2])
			bpf_program__set_autoload(builds[i][2], enforcing);
	}
	bpf_program__set_autoload(s->progs.sock_release, btf_tracepoints);
	bpf_program__set_autoload(s->progs.sock_release_pp, !btf_tracepoints);
	bpf_program__set_autoload(s->progs.tcp_close, btf_tracepoints && !tcp_by_state);
	a->egress = !tcp_by_state ? s->progs.egress_pp :
		    wants_enforce(&a->cfg) ? s->progs.egress_enforce : s->progs.egress;
	bpf_program__set_autoload(s->progs.egress, a->egress == s->progs.egress);
	bpf_program__set_autoload(s->progs.egress_enforce, a->egress == s->progs.egress_enforce);
	bpf_program__set_autoload(s->progs.egress_pp, a->egress == s->progs.egress_pp);
	bpf_program__set_autoload(s->progs.tcp_state, tcp_by_state);
	bpf_program__set_autoload(s->progs.tcp_send, tcp_by_state);
	bpf_program__set_autoload(s->progs.tcp_existing, tcp_by_state);
	bpf_program__set_autoload(s->progs.tcp_alive, tcp_by_state);	/* the slot sweep */
	bpf_program__set_autoload(s->progs.sweep_slots, tcp_by_state);
	/* the setsockopt hook: late source routes, and tc's packet sockets */
	bpf_program__set_autoload(s->progs.route_opt,
				  tcp_by_state || a->cfg.agent.interfaces.n);
	if (!btf_tracepoints)
		bpf_program__set_autoload(s->progs.tcp_destroyed, false);
	/* a labelled cgroup made again takes its labels (attach_relabel) */
	relabel = btf_tracepoints && labels_name(&a->cfg, true);
	bpf_program__set_autoload(s->progs.cgroup_made, relabel);
	bpf_program__set_autoload(s->progs.cgroup_released, relabel);
}

/*
 * The slots of TCP flows (bpf/flow.bpf.h tcp_socks): at least the slots
 * configured, in buckets of EA_SLOT_BUCKET, a power of two of them. With
 * none configured the maps keep one bucket, unused.
 */
static int size_tcp_slots(struct egress_bpf *skel, uint32_t slots)
{
	uint32_t buckets = 1;

	while (buckets * EA_SLOT_BUCKET < slots)
		buckets *= 2;
	skel->rodata->tcp_slot_buckets = buckets;
	return bpf_map__set_max_entries(skel->maps.tcp_sock_keys, buckets) ?:
	       bpf_map__set_max_entries(skel->maps.tcp_socks, buckets * EA_SLOT_BUCKET);
}

/*
 * The BTF tracepoints that differ between kernels (tp_btf/inet_sock_set_state
 * for TCP flow ends, tp_btf/io_uring_complete for io_uring taint) are used
 * where they load; otherwise the agent falls back and says what it lost.
 */
static int open_and_load(struct ea_agent *a)
{
	struct ea_geo_maps m;
	int err;

	for (int attempt = 0; attempt < 2; attempt++) {
		a->skel = egress_bpf__open();
		if (!a->skel)
			return -errno;
		m = EA_GEO_MAPS_OF(a->skel);
		err = ea_geo_maps_size(&m, &a->table[0]);
		if (!err)
			err = bpf_map__set_max_entries(a->skel->maps.events,
						       a->cfg.agent.ringbuf_kib * 1024);
		if (!err)
			err = size_tcp_slots(a->skel, a->cfg.agent.tcp_slots);
		if (!err)
			err = fit_taint_to_labels(a);
		if (err)
			return err;
		a->geo = m;
		choose_build(a, !attempt);
		choose_taint_progs(a, !attempt);
		err = egress_bpf__load(a->skel);
		if (!err) {
			a->tcp_end_hook = a->tcp_ends_at_close ? "tp_btf/inet_sock_set_state"
							       : "cgroup/sock_release";
			ea_log("TCP flows are counted %s and end at %s",
			       a->tcp_by_state ? "from their sockets" : "per packet",
			       a->tcp_end_hook);
			return 0;
		}
		egress_bpf__destroy(a->skel);
		a->skel = NULL;
		if (!attempt)
			ea_log("BTF tracepoints did not load (%s): TCP is counted per packet "
			       "and ends at cgroup/sock_release; io_uring opens and "
			       "32-bit system calls do not taint; a labelled cgroup made "
			       "again (its service restarted) loses its labels",
			       strerror(-err));
	}
	return err;
}

void ea_agent_settings_from(struct ea_kern_config *k, const struct ea_config *cfg)
{
	k->update_interval_ns = (uint64_t)cfg->agent.update_interval_s * 1000000000ull;
	k->record_all = cfg->agent.record_all;
	k->flood_events = cfg->agent.flood_events;
	k->tcp_slots = cfg->agent.tcp_slots;
}

/* Labels into the maps, then the settings the datapath reads. */
static int set_kernel_config(struct ea_agent *a)
{
	struct ea_kern_config k = { 0 }, *want = &a->kcfg;
	struct ea_err err = { { 0 } };
	int ret, level;
	uint64_t id;

	ret = ea_labels_load(a->skel, &a->cfg, a->cg_mount, &a->label_src, &k, &err);
	if (ret) {
		ea_log("%s", err.msg[0] ? err.msg : strerror(-ret));
		return ret;
	}
	ea_agent_settings_from(want, &a->cfg);
	want->mode = a->cfg.agent.mode;
	want->default_labels = k.default_labels;
	want->enforce_labels = k.enforce_labels;
	want->path_labels = k.path_labels;
	want->tcp_by_state = a->tcp_by_state;
	want->device_backstop = a->cfg.agent.interfaces.n > 0;
	want->path_label_set = k.path_label_set;
	want->cgroup_labelled = k.cgroup_labelled;
	want->wakeup_bytes = a->cfg.agent.ringbuf_kib * 1024 / 8;
	want->flood_bytes = a->cfg.agent.ringbuf_kib * 1024 / 4 * 3;
	/* 0 marks a socket's labels as never computed; the datapath bumps it */
	a->skel->bss->cfg.taint_gen = 1;
	level = ea_cgroup_level(a->cg_mount, a->cg_path);
	ret = level < 0 ? level : ea_cgroup_id(a->cg_path, &id);
	if (ret < 0) {
		ea_log("%s: %s", a->cg_path, strerror(-ret));
		return ret;
	}
	want->watched_cgroup = id;
	want->watched_level = (uint32_t)level;
	want->geo_bank = a->bank;
	ea_agent_settings_publish(a);
	if (k.enforce_labels)
		ea_log("enforce mode: flows of labels 0x%llx to destinations they may not "
		       "reach are stopped", (unsigned long long)k.enforce_labels);
	return 0;
}

struct cgroup_prog {
	const char *name;
	struct bpf_program *(*get)(const struct ea_agent *);
};

#define PROG(p) static struct bpf_program *get_##p(const struct ea_agent *a) \
	{ return a->skel->progs.p; }
#define BUILD(p) static struct bpf_program *get_##p(const struct ea_agent *a) \
	{ return a->tcp_by_state ? a->skel->progs.p : a->skel->progs.p##_pp; }
#define CONNECT(p) static struct bpf_program *get_##p(const struct ea_agent *a) \
	{ return !a->tcp_by_state ? a->skel->progs.p##_pp : \
		 a->connect_routes ? a->skel->progs.p##_enforce : a->skel->progs.p; }
BUILD(sock_create) CONNECT(connect4) CONNECT(connect6)
PROG(sendmsg4) PROG(sendmsg6)
#undef BUILD
#undef CONNECT
#undef PROG

static struct bpf_program *get_sock_release(const struct ea_agent *a)
{
	return a->tcp_ends_at_close ? a->skel->progs.sock_release : a->skel->progs.sock_release_pp;
}

/* The variant of the egress program that was loaded. */
static struct bpf_program *get_egress(const struct ea_agent *a)
{
	return a->egress;
}

/*
 * Options that change what a flow's packets show: routes given to
 * connected TCP sockets (TCP counted per packet needs none), and packet
 * sockets asking to skip tc.
 */
static struct bpf_program *get_route_opt(const struct ea_agent *a)
{
	struct bpf_program *p = a->skel->progs.route_opt;

	return bpf_program__autoload(p) ? p : NULL;
}

static const struct cgroup_prog cgroup_progs[] = {
	{ "cgroup/sock_create", get_sock_create },
	{ "cgroup/sock_release", get_sock_release },
	{ "cgroup/connect4", get_connect4 },
	{ "cgroup/connect6", get_connect6 },
	{ "cgroup/sendmsg4", get_sendmsg4 },
	{ "cgroup/sendmsg6", get_sendmsg6 },
	{ "cgroup_skb/egress", get_egress },
	{ "cgroup/setsockopt", get_route_opt },
};

static int add_link(struct ea_agent *a, struct bpf_program *p, struct bpf_link *l,
		    const char *what)
{
	if (a->nlinks == EA_MAX_LINKS) {
		bpf_link__destroy(l);
		ea_log("attaching %s: more than %d links", what, EA_MAX_LINKS);
		return -E2BIG;
	}
	if (!l) {
		int err = -errno;

		ea_log("attaching %s: %s", what, strerror(-err));
		return err;
	}
	a->links[a->nlinks++] = l;
	snprintf(a->hooks[a->nhooks++], sizeof(a->hooks[0]), "%s", what);
	return ea_agent_guard_link(a, a->nlinks - 1, p);
}

static int attach_cgroup(struct ea_agent *a)
{
	int err;

	a->cgroup_fd = open(a->cg_path, O_RDONLY | O_DIRECTORY);
	if (a->cgroup_fd < 0) {
		err = -errno;
		ea_log("%s: %s", a->cg_path, strerror(-err));
		return err;
	}
	/* set once, then frozen: no write from user space reaches it again */
	if (bpf_map_update_elem(bpf_map__fd(a->skel->maps.watched_cgroup), &(uint32_t){ 0 },
				&a->cgroup_fd, BPF_ANY) ||
	    bpf_map_freeze(bpf_map__fd(a->skel->maps.watched_cgroup))) {
		err = -errno;
		ea_log("watched_cgroup: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(cgroup_progs) / sizeof(cgroup_progs[0]); i++) {
		struct bpf_program *p = cgroup_progs[i].get(a);

		if (!p)
			continue;
		err = add_link(a, p, bpf_program__attach_cgroup(p, a->cgroup_fd),
			       cgroup_progs[i].name);
		if (err)
			return err;
	}
	if (!a->tcp_ends_at_close)
		return 0;
	/* flows whose close the kernel did not show tcp_state (or tcp_close) end here */
	err = add_link(a, a->skel->progs.tcp_destroyed,
		       bpf_program__attach(a->skel->progs.tcp_destroyed), "tp_btf/tcp_destroy_sock");
	if (err)
		return err;
	if (!a->tcp_by_state)
		return add_link(a, a->skel->progs.tcp_close,
				bpf_program__attach(a->skel->progs.tcp_close),
				"tp_btf/inet_sock_set_state");
	err = add_link(a, a->skel->progs.tcp_state, bpf_program__attach(a->skel->progs.tcp_state),
		       "tp_btf/inet_sock_set_state");
	if (!err)
		err = add_link(a, a->skel->progs.tcp_send,
			       bpf_program__attach(a->skel->progs.tcp_send),
			       "tp_btf/sock_send_length");
	return err;
}

/*
 * One pass of an iterator program: what it writes, up to len bytes in buf
 * (buf NULL: read and dropped). Returns the bytes kept, or -errno.
 */
ssize_t ea_agent_run_iter(struct bpf_program *prog, void *buf, size_t len)
{
	char scratch[64];
	size_t got = 0;
	struct bpf_link *l;
	ssize_t n = 0;
	int fd, err;

	l = bpf_program__attach_iter(prog, NULL);
	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	err = fd < 0 ? -errno : 0;
	while (fd >= 0 && (!buf || got < len)) {
		n = buf ? read(fd, (char *)buf + got, len - got) : read(fd, scratch, sizeof(scratch));
		/* EAGAIN: a million objects visited with nothing written; go on */
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		got += buf ? (size_t)n : 0;
	}
	if (fd >= 0 && n < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	return err ? err : (ssize_t)got;
}

/*
 * TCP connections that existed before the hooks were attached: one pass of
 * iter/tcp adopts those of the watched cgroup (counted by state only).
 */
static int adopt_existing(struct ea_agent *a)
{
	ssize_t err;

	if (!a->tcp_by_state)
		return 0;
	err = ea_agent_run_iter(a->skel->progs.tcp_existing, NULL, 0);
	if (err < 0)
		ea_log("iter/tcp: %s", strerror((int)-err));
	return err < 0 ? (int)err : 0;
}

/*
 * Files opened or mapped before the hooks were attached: one pass of
 * iter/task_file and iter/task_vma taints the processes that hold them.
 */
static int taint_existing(struct ea_agent *a)
{
	struct bpf_program *iters[] = {
		a->skel->progs.taint_open_files, a->skel->progs.taint_mapped_files,
	};

	for (size_t i = 0; i < sizeof(iters) / sizeof(iters[0]); i++) {
		ssize_t err = ea_agent_run_iter(iters[i], NULL, 0);

		if (err < 0) {
			ea_log("%s: %s", bpf_program__section_name(iters[i]), strerror((int)-err));
			return (int)err;
		}
	}
	return 0;
}

static void __attribute__((noreturn)) exit_on_fault(int sig)
{
	_exit(sig);
}

/*
 * Whether this kernel makes 32-bit system calls: a child tries one (int
 * 0x80, getpid), which faults where IA32 emulation is off or absent.
 */
bool ea_kernel_makes_32bit_calls(void)
{
#ifdef __x86_64__
	int status;
	pid_t child = fork();

	if (child < 0)
		return true;	/* cannot tell: watch for them */
	if (!child) {
		long pid;

		signal(SIGSEGV, exit_on_fault);	/* handled: no trap in the kernel log */
		signal(SIGILL, exit_on_fault);
		asm volatile("int $0x80" : "=a"(pid) : "a"(20L)
			     : "memory", "cc", "r8", "r9", "r10", "r11");
		_exit(0);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return true;
	/*
	 * Only a fault says no: a call that returned, even refused, or a
	 * seccomp filter of the agent's own unit killing it (SIGSYS), says
	 * that the kernel makes such calls for other processes.
	 */
	return !(WIFEXITED(status) &&
		 (WEXITSTATUS(status) == SIGSEGV || WEXITSTATUS(status) == SIGILL));
#else
	return false;
#endif
}

#define X32_SYSCALL_BIT	0x40000000	/* arch/x86/include/uapi/asm/unistd.h */

/*
 * Whether this kernel makes x32 system calls (booted with syscall.x32=y):
 * getpid with the x32 bit answers, where it is refused (ENOSYS) otherwise.
 */
bool ea_kernel_makes_x32_calls(void)
{
#ifdef __x86_64__
	return syscall(X32_SYSCALL_BIT | SYS_getpid) == getpid();
#else
	return false;
#endif
}

enum ea_32bit_calls ea_agent_32bit_calls(const struct ea_agent *a)
{
	if (!has_path_labels(&a->cfg))
		return EA_32BIT_NO_TREES;
	if (!ea_kernel_makes_32bit_calls())
		return EA_32BIT_NONE;
	return a->cfg.agent.ignore_32bit_calls ? EA_32BIT_UNWATCHED : EA_32BIT_WATCHED;
}

const char *ea_32bit_calls_name(enum ea_32bit_calls c)
{
	static const char *const names[] = {
		[EA_32BIT_NONE] = "none", [EA_32BIT_UNWATCHED] = "unwatched",
		[EA_32BIT_WATCHED] = "watched",
	};

	return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : NULL;
}

/*
 * Say which programs taint by system calls, and what they leave unseen:
 * the per-call tracepoints see 64-bit calls only; where the kernel makes
 * 32-bit calls too, a program that sees every call's end stands in for
 * those of opens and receives (and where a path label enforces, or TCP is
 * counted per packet, one at every call's entry takes 32-bit moves),
 * unless [agent] watch_32bit_calls = no.
 */
static void say_taint_calls(struct ea_agent *a)
{
	const char *enter = bpf_program__section_name(a->skel->progs.syscall_enter);
	const char *exit = bpf_program__section_name(a->skel->progs.syscall_exit);

	switch (a->calls_32bit) {
	case EA_32BIT_NO_TREES:
		break;
	case EA_32BIT_NONE:
		ea_log("this kernel makes no 32-bit system calls: the per-call system call "
		       "tracepoints taint; %s and %s not attached", enter, exit);
		break;
	case EA_32BIT_UNWATCHED:
		ea_log("[agent] watch_32bit_calls = no: a file opened or sent by a 32-bit "
		       "system call taints no process (booting with ia32_emulation=0 "
		       "removes such calls)");
		break;
	case EA_32BIT_WATCHED:
		if (!a->every_call)	/* the BTF tracepoints did not load: said then */
			break;
		if (ea_moves32_at_entry(&a->cfg))
			ea_log("this kernel makes 32-bit system calls: %s and %s look at every "
			       "system call, %s for the input of 32-bit moves before their "
			       "bytes go (a path label enforces, or TCP is counted per "
			       "packet), %s in place of the per-call tracepoints of opens and "
			       "receives ([agent] watch_32bit_calls = no, or booting with "
			       "ia32_emulation=0, saves that)", enter, exit, enter, exit);
		else
			ea_log("this kernel makes 32-bit system calls: %s looks at every system "
			       "call's end, 64-bit and 32-bit, in place of the per-call "
			       "tracepoints of opens and receives; a 32-bit sendfile taints at "
			       "its sends ([agent] watch_32bit_calls = no, or booting with "
			       "ia32_emulation=0, saves that)", exit);
		break;
	}
	if (a->calls_32bit != EA_32BIT_NO_TREES && ea_kernel_makes_x32_calls())
		ea_log("this kernel makes x32 system calls (syscall.x32=y): a file an x32 "
		       "program opens or sends taints no process, as no tracepoint fires "
		       "for them (booting with syscall.x32=n removes such calls)");
}

/*
 * The programs that give a labelled cgroup made again its labels, and
 * drop the ids of removed ones (choose_build).
 */
static int attach_relabel(struct ea_agent *a)
{
	struct bpf_program *progs[] = { a->skel->progs.cgroup_made,
					a->skel->progs.cgroup_released };
	int err = 0;

	if (!bpf_program__autoload(progs[0]))
		return 0;
	for (size_t i = 0; !err && i < sizeof(progs) / sizeof(progs[0]); i++)
		err = add_link(a, progs[i], bpf_program__attach(progs[i]),
			       bpf_program__section_name(progs[i]));
	if (!err && (err = ea_labels_catch_up(a->skel, a->cg_mount, &a->label_src)))
		ea_log("labelled cgroups: %s", strerror(-err));
	return err;
}

/* The file-taint programs chosen at load (choose_taint_progs). */
static int attach_taint(struct ea_agent *a)
{
	struct bpf_program *p;
	int err = 0;

	if (!has_path_labels(&a->cfg))
		return 0;
	say_taint_calls(a);
	for (size_t i = 0; !err && (p = taint_prog(a->skel, i)); i++)
		if (bpf_program__autoload(p))
			err = add_link(a, p, bpf_program__attach(p), bpf_program__section_name(p));
	return err ?: taint_existing(a);
}

/* tc egress on each configured device; the clsact qdisc is ours to remove
 * only when we created it. */
static int attach_tc(struct ea_agent *a)
{
	for (size_t i = 0; i < a->cfg.agent.interfaces.n; i++) {
		const char *name = a->cfg.agent.interfaces.v[i];
		struct ea_tc *t = &a->tc[a->ntc];
		int ifindex = (int)if_nametoindex(name);
		int err;

		if (a->ntc == EA_MAX_TC)	/* the configuration holds no more */
			return -E2BIG;
		if (!ifindex) {
			ea_log("[agent] interfaces: %s: %s", name, strerror(errno));
			return -ENODEV;
		}
		memset(t, 0, sizeof(*t));
		t->hook.sz = sizeof(t->hook);
		t->hook.ifindex = ifindex;
		t->hook.attach_point = BPF_TC_EGRESS;
		t->opts.sz = sizeof(t->opts);
		t->opts.prog_fd = bpf_program__fd(a->skel->progs.tc_egress);
		err = bpf_tc_hook_create(&t->hook);
		if (err && err != -EEXIST) {
			ea_log("tc hook on %s: %s", name, strerror(-err));
			return err;
		}
		t->created_hook = !err;
		err = bpf_tc_attach(&t->hook, &t->opts);
		if (err) {
			ea_log("tc attach on %s: %s", name, strerror(-err));
			if (t->created_hook)
				bpf_tc_hook_destroy(&t->hook);
			return err;
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(a->hooks[a->nhooks++], sizeof(a->hooks[0]), "tc/egress:%s", name);
		a->ntc++;
	}
	return 0;
}

static void detach_all(struct ea_agent *a)
{
	for (size_t i = 0; i < a->ntc; i++) {
		struct ea_tc *t = &a->tc[i];

		t->opts.flags = t->opts.prog_fd = t->opts.prog_id = 0;
		bpf_tc_detach(&t->hook, &t->opts);
		if (t->created_hook) {
			t->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&t->hook);
		}
	}
	a->ntc = 0;
	for (size_t i = 0; i < a->nlinks; i++)
		bpf_link__destroy(a->links[i]);
	a->nlinks = 0;
	if (a->cgroup_fd > 0)
		close(a->cgroup_fd);
	a->cgroup_fd = -1;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct ea_agent *a = ctx;
	const struct ea_flow_event *e = data;
	struct ea_flow_event full;

	if (size < EA_FLOW_EVENT_SHORT || e->abi != EA_ABI_VERSION ||
	    (size != EA_FLOW_EVENT_SHORT && size < sizeof(*e))) {
		a->bad_events++;
		return 0;
	}
	if (size < sizeof(*e)) {
		/* no file evidence: a slot without labels is an empty one */
		memcpy(&full, data, EA_FLOW_EVENT_SHORT);
		memset(full.ev, 0, sizeof(full.ev));
		e = &full;
	}
	ea_agent_emit_flow(a, e);
	return 0;
}

/* The `what` of a lost record: the name of the record the event would have made. */
static const char *event_what(int k)
{
	return ea_rec_kind_name(EA_REC_FLOW_START + k);
}

static bool any_refused(const struct ea_flood *fl)
{
	for (int k = 0; k < EA_EV_KINDS; k++)
		if (fl->refused[k])
			return true;
	return false;
}

/*
 * The processes the flood limit refused events of, since the last look:
 * a lost record per process and kind. An entry is taken out of the map
 * as it is read (its process starts a new window); named[] sums what the
 * records name.
 */
static void report_flooders(struct ea_agent *a, uint64_t named[EA_EV_KINDS])
{
	int fd = bpf_map__fd(a->skel->maps.floods);
	uint32_t key, next, *prev = NULL;
	struct ea_flood fl;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &fl) || !any_refused(&fl))
			continue;
		/* the value as it was taken out: nothing counted in between is missed */
		if (bpf_map_lookup_and_delete_elem(fd, &key, &fl))
			continue;
		for (int k = 0; k < EA_EV_KINDS; k++) {
			if (!fl.refused[k])
				continue;
			ea_agent_emit_refused(a, event_what(k), fl.refused[k], key,
					      key ? fl.comm : NULL);
			named[k] += fl.refused[k];
		}
	}
}

/*
 * Refused events, exactly: the per-CPU totals are the truth; what the
 * per-process entries no longer show (an entry forgotten by the LRU, or
 * counted into after the agent took it out) becomes a record without a
 * process.
 */
static void report_refused(struct ea_agent *a, const uint64_t now[EA_CNT_MAX])
{
	uint64_t named[EA_EV_KINDS] = { 0 };

	if (!memcmp(&now[EA_CNT_FLOOD_START], &a->lost_seen[EA_CNT_FLOOD_START],
		    EA_EV_KINDS * sizeof(now[0])))
		return;	/* nothing refused since the last look */
	report_flooders(a, named);
	for (int k = 0; k < EA_EV_KINDS; k++) {
		uint64_t total = now[EA_CNT_FLOOD_START + k];
		uint64_t known;

		a->flood_named[k] += named[k];
		a->lost_seen[EA_CNT_FLOOD_START + k] = total;
		known = a->flood_named[k] + a->flood_unnamed[k];
		if (total > known) {
			ea_agent_emit_refused(a, event_what(k), total - known, 0, NULL);
			a->flood_unnamed[k] += total - known;
		}
	}
}

/* Lost events since the last look, per kind, as lost records. */
static void report_lost(struct ea_agent *a)
{
	uint64_t now[EA_CNT_MAX];

	if (ea_agent_read_counters(a, now))
		return;
	for (int i = EA_CNT_LOST_START; i <= EA_CNT_LOST_END; i++) {
		uint64_t d = now[i] - a->lost_seen[i];

		if (d)
			ea_agent_emit_lost(a, event_what(i - EA_CNT_LOST_START), d);
		a->lost_seen[i] = now[i];
	}
	report_refused(a, now);
}

/*
 * A file system mounted below a labelled tree after start: its root is
 * keyed, so that its files taint however they are reached (a bind mount
 * elsewhere, a container's volume), as those mounted before start do.
 */
static int follow_mounts(struct ea_agent *a)
{
	static int said;	/* the error last logged: a retry that fails the same says nothing */
	unsigned int fresh = 0, gone = 0;
	int err = ea_labels_remount(a->skel, &a->label_src, &fresh, &gone);

	if (err && err != said)
		ea_log("labels: the mount table changed, but the file systems mounted "
		       "below labelled trees could not all be followed: %s (retried)",
		       strerror(-err));
	said = err;
	if (fresh)
		ea_log("labels: %u file system root%s mounted below labelled trees "
		       "since start keyed", fresh, fresh == 1 ? "" : "s");
	if (gone)
		ea_log("labels: %u file system root%s no longer mounted below labelled "
		       "trees unkeyed", gone, gone == 1 ? "" : "s");
	return err;
}

/*
 * What the loop waits for: the ring buffer (libbpf's epoll set) and, with
 * labelled trees, the agent's mount table (/proc/self/mountinfo signals a
 * change with EPOLLPRI).
 */
static int wait_set(struct ring_buffer *rb, bool mounts, int *mounts_fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ring_buffer__epoll_fd(rb) };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	*mounts_fd = -1;
	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		close(ep);
		return -errno;
	}
	if (!mounts)
		return ep;
	*mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	ev.events = EPOLLPRI;
	ev.data.fd = *mounts_fd;
	if (*mounts_fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, *mounts_fd, &ev))
		ea_log("labels: mounts made after start will not be keyed: "
		       "/proc/self/mountinfo: %s", strerror(errno));
	return ep;
}

#define MOUNTS_SCAN_NS	50000000	/* mount tables read at most this often */
#define MOUNTS_RETRY_NS	1000000000	/* and again this long after a failure */

/*
 * Wait up to timeout_ms. A change of the mount table is acted on at most
 * every MOUNTS_SCAN_NS (a host starting containers mounts in bursts), and
 * one that failed is tried again: *changed holds one not acted on yet,
 * *next_scan when it may be.
 */
static int wait_events(struct ea_agent *a, int ep, int mounts_fd, int timeout_ms,
		       bool *changed, int64_t *next_scan)
{
	struct epoll_event ev[2];
	int64_t left = *next_scan - ea_clock_ns(CLOCK_MONOTONIC), now;
	int n;

	if (*changed && left < (int64_t)timeout_ms * 1000000)	/* due sooner */
		timeout_ms = left <= 0 ? 1 : (int)(left / 1000000) + 1;
	n = epoll_wait(ep, ev, 2, timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		*changed |= ev[i].data.fd == mounts_fd;
	now = ea_clock_ns(CLOCK_MONOTONIC);
	if (*changed && now >= *next_scan) {
		*changed = follow_mounts(a) != 0;
		*next_scan = now + (*changed ? MOUNTS_RETRY_NS : MOUNTS_SCAN_NS);
		a->mount_scans++;
		ea_agent_write_status(a);	/* status says at once that the table was read */
	}
	return 0;
}

static int run_loop(struct ea_agent *a)
{
	struct ring_buffer *rb;
	int64_t last_tick = 0, next_mounts_scan = 0;
	int err = 0, ep, mounts_fd;
	bool mounts_changed;

	rb = ring_buffer__new(bpf_map__fd(a->skel->maps.events), handle_event, a, NULL);
	if (!rb)
		return -errno;
	ep = wait_set(rb, has_path_labels(&a->cfg), &mounts_fd);
	if (ep < 0) {
		ring_buffer__free(rb);
		return ep;
	}
	mounts_changed = mounts_fd >= 0;	/* also by mounts made during the start */
	while (!stopping) {
		int64_t now;

		/* the kernel wakes us for batches only: consume on the tick too */
		err = wait_events(a, ep, mounts_fd, 100, &mounts_changed, &next_mounts_scan);
		if (err >= 0)
			err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
		ea_agent_trail_tick(a);
		if (reload_requested) {
			reload_requested = 0;
			ea_agent_reload(a);
		}
		now = ea_clock_ns(CLOCK_MONOTONIC);
		if (now - last_tick >= 1000000000) {
			last_tick = now;
			ea_agent_follow_clock(a);
			if (ea_agent_guard_check(a)) {
				ea_log("the watched cgroup %s was removed: nothing left to "
				       "watch; exit 1, for the service manager to start the "
				       "agent again", a->cg_path);
				err = -ENOENT;
				break;
			}
			report_lost(a);
			ea_agent_report_skipped(a);
			ea_agent_sweep_flows(a);
			ea_agent_sweep_slots(a);
			ea_agent_write_status(a);
		}
		ea_agent_flush_out(a);
	}
	/* detached first: what the ring holds then is the rest, and no loss comes after */
	detach_all(a);
	ring_buffer__consume(rb);
	ea_agent_end_dev_flows(a);
	report_lost(a);
	ea_agent_report_skipped(a);
	ea_agent_flush_out(a);
	if (mounts_fd >= 0)
		close(mounts_fd);
	close(ep);
	ring_buffer__free(rb);
	return err;
}

static int parse_run_args(struct ea_agent *a, struct ea_global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'g' },
		{ "state-dir", required_argument, NULL, 's' },
		{ 0 },
	};
	int c;

	while ((c = ea_getopt(g, cmd_run_usage, argc, argv, opts)) != -1) {
		switch (c) {
		case 'g':
			a->cgroup_arg = optarg;
			break;
		case 's':
			a->state_dir = optarg;
			break;
		default:
			fputs(cmd_run_usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		ea_log("run: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Every device of [agent] interfaces is there, as attach_tc will need it:
 * 0, or exit 1 naming the line that lists the one missing. Not a bad
 * configuration: a device that networkd or a VPN makes after boot is not
 * there yet when the agent starts, and the unit starts it again on exit 1
 * (not on 2).
 */
static int check_interfaces(const struct ea_config *cfg)
{
	const struct ea_str_vec *v = &cfg->agent.interfaces;

	for (size_t i = 0; i < v->n; i++) {
		if (if_nametoindex(v->v[i]))
			continue;
		ea_log("%s:%u: [agent] interfaces: %s: %s (not there yet?)",
		       cfg->path ? cfg->path : "(config)", v->line[i], v->v[i], strerror(errno));
		return EA_EXIT_RUNTIME;
	}
	return 0;
}

int ea_agent_prepare(struct ea_agent *a, const struct ea_global_opts *g)
{
	struct ea_err err = { { 0 } };
	const char *cg;
	int ret;

	/* "" would name the mount's root, a cgroup nobody named */
	if (a->cgroup_arg && !a->cgroup_arg[0]) {
		ea_log("--cgroup: empty path (write / for the root of the cgroup v2 mount)");
		return EA_EXIT_USAGE;
	}
	a->config_path = g->config;
	if (ea_config_load(g->config, &a->cfg, &err)) {
		ea_log("%s", err.msg);
		return EA_EXIT_USAGE;
	}
	if (ea_geo_table_build(&a->cfg, &a->table[0], &err)) {
		ea_log("%s", err.msg);
		return EA_EXIT_USAGE;
	}
	ea_debug("GeoIP table: %llu ranges -> %zu intervals, %u results, "
		 "trie nodes of 4/8/12 bits: %u/%u/%u",
		 (unsigned long long)a->table[0].geo_ranges, a->table[0].ivl.n,
		 a->table[0].nresults, a->table[0].nodes.count[0], a->table[0].nodes.count[1],
		 a->table[0].nodes.count[2]);
	if (check_requirements(a))
		return EA_EXIT_RUNTIME;
	cg = a->cgroup_arg ? a->cgroup_arg : a->cfg.agent.cgroup ? a->cfg.agent.cgroup : "/";
	if (wants_enforce(&a->cfg) && !a->cgroup_arg && !a->cfg.agent.cgroup) {
		ea_log("enforce mode needs the cgroup named explicitly (--cgroup or "
		       "[agent] cgroup): it never enforces on a cgroup it was not given");
		return EA_EXIT_USAGE;
	}
	ret = ea_cgroup_resolve(a->cg_mount, cg, a->cg_path, sizeof(a->cg_path));
	if (ret && !a->cgroup_arg && a->cfg.agent.cgroup)
		ea_log("%s:%u: [agent] cgroup %s: %s", a->cfg.path ? a->cfg.path : "(config)",
		       a->cfg.agent.cgroup_line, cg, ea_cgroup_strerror(ret));
	else if (ret)
		ea_log("cgroup %s: %s", cg, ea_cgroup_strerror(ret));
	/* one from the configuration may yet come (a unit starts it), never one outside */
	if (ret)
		return a->cgroup_arg || ret == -EXDEV ? EA_EXIT_USAGE : EA_EXIT_RUNTIME;
	if (ea_labels_check(&a->cfg, a->cg_mount, &err) || ea_siem_check(&a->cfg, &err)) {
		ea_log("%s", err.msg);
		return EA_EXIT_USAGE;
	}
	return check_interfaces(&a->cfg);
}

/* The SIEM feed reads the trail, so it starts once the trail is open. */
static int start_siem(struct ea_agent *a)
{
	struct ea_err err = { { 0 } };
	int r = ea_siem_start(&a->siem, &a->cfg, ea_trail_dir(a->trail), &err);

	if (r)
		ea_log("%s", err.msg);
	return r;
}

static int start(struct ea_agent *a)
{
	int err;

	libbpf_set_print(libbpf_print);
	err = ea_agent_trail_open(a);
	if (!err)
		err = start_siem(a);
	if (err)
		return err;
	err = open_and_load(a);
	if (err) {
		ea_log("loading the datapath: %s", strerror(-err));
		return err;
	}
	err = ea_geo_maps_fill(&a->geo, &a->table[0], 0);
	if (err) {
		ea_log("filling the GeoIP maps: %s", strerror(-err));
		return err;
	}
	err = set_kernel_config(a);
	if (!err)
		err = attach_cgroup(a);
	if (!err)
		err = attach_taint(a);
	if (!err)
		err = attach_relabel(a);
	if (!err)
		err = adopt_existing(a);
	if (!err)
		err = attach_tc(a);
	if (!err)
		err = ea_agent_pin(a);
	if (!err)
		ea_agent_trail_started(a);
	return err;
}

static char out_buf[1 << 16];

/*
 * Whether standard output is the null device (the service's StandardOutput=
 * null): then the copy of the records is not made at all, which spares
 * formatting every record for nobody.
 */
static bool stdout_discarded(void)
{
	struct stat st, null;

	return !fstat(STDOUT_FILENO, &st) && S_ISCHR(st.st_mode) && !stat("/dev/null", &null) &&
	       S_ISCHR(null.st_mode) && st.st_rdev == null.st_rdev;
}

int cmd_run(struct ea_global_opts *g, int argc, char **argv)
{
	struct ea_agent *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return EA_EXIT_RUNTIME;
	/* records leave in large writes: the loop flushes after every batch */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	a->out = stdout;
	a->out_lost = stdout_discarded();
	a->cgroup_fd = -1;
	a->state_dir = "/run/egress-audit";
	if (parse_run_args(a, g, argc, argv)) {
		free(a);
		return EA_EXIT_USAGE;
	}
	a->json = g->json;
	/*
	 * Before the seconds of loading: a reload or stop asked for meanwhile
	 * (systemctl reload as the unit starts) is taken once running, and
	 * does not kill the agent.
	 */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);	/* see ea_agent_print */
	ret = ea_agent_prepare(a, g);
	if (!ret && a->out_lost)
		ea_log("standard output is the null device: records go to the audit trail "
		       "and the SIEM feed only");
	if (!ret) {
		ea_agent_init_context(a);
		ret = start(a) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
	}
	if (!ret) {
		ea_log("watching %s (%zu hooks), recording %s flows", a->cg_path,
		       a->nhooks, ea_agent_record_name(a));
		ret = run_loop(a) ? EA_EXIT_RUNTIME : EA_EXIT_OK;
	}
	ea_agent_trail_close(a, ret);
	ea_siem_stop(a->siem);
	a->siem = NULL;
	detach_all(a);
	ea_agent_unpin(a);
	ea_agent_free(a);
	return ret;
}
