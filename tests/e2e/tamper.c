// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tamper: what root can do to a running agent without stopping it, for
 * the end-to-end test of its guard. Each command finds the agent's link of
 * HOOK on the cgroup CGROUP (a directory of the cgroup2 mount) and:
 *
 *   tamper detach CGROUP HOOK      detaches it (BPF_LINK_DETACH)
 *   tamper replace CGROUP HOOK     puts a program that allows everything
 *                                  behind it (BPF_LINK_UPDATE)
 *   tamper block CGROUP HOOK       detaches it and attaches a program that
 *                                  allows everything alone (no
 *                                  BPF_F_ALLOW_MULTI): no other program,
 *                                  the agent's included, can be attached
 *                                  there while it is
 *   tamper unblock CGROUP HOOK     detaches that program
 *   tamper settings CGROUP HOOK    zeroes cfg.default_labels in the .bss of
 *                                  the program behind it: no flow carries
 *                                  a label, so none is flagged
 *   tamper geo CGROUP HOOK N       lets every label go to the destinations
 *                                  of the first N results of bank 0 of its
 *                                  geo_results; prints how many changed
 *   tamper slot CGROUP HOOK COOKIE plants a slot in its tcp_socks for a TCP
 *                                  connection that never was (socket
 *                                  COOKIE), in the caller's network
 *                                  namespace: what a close the kernel
 *                                  never showed the datapath leaves
 *   tamper swept CGROUP HOOK COOKIE the same slot as the agent's sweep
 *                                  leaves it: its flow ended by the sweep,
 *                                  the slot waiting for the next to free it
 *
 *   tamper idle CGROUP HOOK COOKIE plants two flows of an unconnected UDP
 *                                  socket (COOKIE) in its udp_flows: one to
 *                                  198.51.100.7:53 whose last datagram left
 *                                  60 s ago, one to port 54 whose last left
 *                                  now; the agent's sweep ends the first
 *
 * HOOK: connect4 or egress. Exit 0 when done, 1 when it could not be.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include "egress_audit.h"
#include "tcp_slots.h"
#include "util.h"
#include "../bpf/test_slot.h"

static const struct {
	const char *name;
	enum bpf_attach_type attach;
	enum bpf_prog_type type;
} hooks[] = {
	{ "connect4", BPF_CGROUP_INET4_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ "egress", BPF_CGROUP_INET_EGRESS, BPF_PROG_TYPE_CGROUP_SKB },
};

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "tamper: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* An fd of the link of attach type on the cgroup with id cgid. */
static int find_link(uint64_t cgid, enum bpf_attach_type attach, struct bpf_link_info *info)
{
	uint32_t id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		uint32_t len = sizeof(*info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(info, 0, sizeof(*info));
		if (!bpf_obj_get_info_by_fd(fd, info, &len) && info->type == BPF_LINK_TYPE_CGROUP &&
		    info->cgroup.cgroup_id == cgid && info->cgroup.attach_type == attach)
			return fd;
		close(fd);
	}
	errno = ENOENT;
	die("no link of the hook on the cgroup");
}

/* A program of the hook's type that lets everything through. */
static int allow_all(enum bpf_prog_type type, enum bpf_attach_type attach)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach);
	int fd = bpf_prog_load(type, "allow_all", "GPL", insns, 2, &o);

	if (fd < 0)
		die("loading a program");
	return fd;
}

/*
 * The agent's link detached, and a program attached alone in its place,
 * before the agent's guard attaches its program again; a guard that came
 * first is detached again (a few tries).
 */
static void block(uint64_t cgid, const char *cgroup, size_t h)
{
	int prog = allow_all(hooks[h].type, hooks[h].attach);
	int cg = open(cgroup, O_RDONLY | O_DIRECTORY);
	struct bpf_link_info info;

	if (cg < 0)
		die(cgroup);
	for (int tries = 0; tries < 5; tries++) {
		int fd = find_link(cgid, hooks[h].attach, &info);

		if (bpf_link_detach(fd))
			die("BPF_LINK_DETACH");
		close(fd);
		if (!bpf_prog_attach(prog, cg, hooks[h].attach, 0))
			return;
		if (errno != EPERM)
			break;
	}
	die("BPF_PROG_ATTACH alone");
}

/* Offset of the variable name in the datasec of a map's BTF, or -1. */
static long var_offset(const struct bpf_map_info *m, const char *name)
{
	struct btf *btf = btf__load_from_kernel_by_id(m->btf_id);
	const struct btf_type *sec;
	const struct btf_var_secinfo *v;
	long off = -1;

	if (!btf)
		return -1;
	sec = btf__type_by_id(btf, m->btf_value_type_id);
	v = sec && btf_is_datasec(sec) ? btf_var_secinfos(sec) : NULL;
	for (int i = 0; v && i < btf_vlen(sec); i++, v++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off), name))
			off = v->offset;
	btf__free(btf);
	return off;
}

/* An fd of the map, named name or ending in it, of the program prog_id. */
static int map_of(uint32_t prog_id, const char *name, struct bpf_map_info *m)
{
	struct bpf_prog_info p = { 0 };
	uint32_t len = sizeof(p), ids[64];
	int fd = bpf_prog_get_fd_by_id(prog_id);
	size_t k = strlen(name);

	p.nr_map_ids = 64;
	p.map_ids = (uintptr_t)ids;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &p, &len))
		die("the program behind the link");
	for (uint32_t i = 0; i < p.nr_map_ids && i < 64; i++) {
		uint32_t mlen = sizeof(*m);
		int mfd = bpf_map_get_fd_by_id(ids[i]);
		size_t n;

		memset(m, 0, sizeof(*m));
		if (mfd < 0 || bpf_obj_get_info_by_fd(mfd, m, &mlen))
			die("a map of the program");
		n = strlen(m->name);
		if (n >= k && !strcmp(m->name + n - k, name))
			return mfd;
		close(mfd);
	}
	errno = ENOENT;
	die(name);
}

/* Zero cfg.default_labels in the .bss map of the program prog_id uses. */
static void blind(uint32_t prog_id)
{
	struct bpf_map_info m;
	int fd = map_of(prog_id, ".bss", &m);
	long off = var_offset(&m, "cfg");
	uint32_t zero = 0;
	char *v = calloc(1, m.value_size);

	if (off < 0 || !v || bpf_map_lookup_elem(fd, &zero, v))
		die("reading cfg in .bss");
	memset(v + off + offsetof(struct ea_kern_config, default_labels), 0,
	       sizeof(((struct ea_kern_config *)0)->default_labels));
	if (bpf_map_update_elem(fd, &zero, v, BPF_ANY))
		die("writing .bss");
}

/*
 * Every label allowed to the first n results of bank 0, in one batch (the
 * agent sees all of it or none): how many changed.
 */
static unsigned int allow_everything(uint32_t prog_id, uint32_t n)
{
	struct bpf_map_info m;
	int fd = map_of(prog_id, "geo_results", &m);
	struct ea_geo_result *r = calloc(n ? n : 1, sizeof(*r));
	uint32_t *keys = calloc(n ? n : 1, sizeof(*keys)), count = n;
	unsigned int changed = 0;

	if (!r || !keys)
		die("memory");
	for (uint32_t k = 0; k < n; k++) {
		keys[k] = k;
		if (bpf_map_lookup_elem(fd, &k, &r[k]))
			die("reading geo_results");
		changed += r[k].allow_labels != ~0ull;
		r[k].allow_labels = ~0ull;
	}
	if (bpf_map_update_batch(fd, keys, r, &count, NULL))
		die("writing geo_results");
	return changed;
}

/*
 * What every flow planted here shares: from 192.0.2.1:sport to
 * 198.51.100.7:dport (US, adequacy-partial), owned by this process.
 */
static void planted_flow(struct ea_flow *f, struct ea_owner *o, uint16_t sport, uint16_t dport)
{
	f->zone = EA_ZONE_ADEQUACY_PARTIAL;
	f->country = 'U' << 8 | 'S';
	f->src[2] = f->dst[2] = htonl(0xffff);
	f->src[3] = htonl(0xc0000201);	/* 192.0.2.1 */
	f->dst[3] = htonl(0xc6336407);	/* 198.51.100.7 */
	f->sport = sport;
	f->dport = dport;
	o->tgid = o->pid = (uint32_t)getpid();
	snprintf(o->comm, sizeof(o->comm), "tamper");
}

/*
 * A flagged flow of 3 packets and 160 bytes from 192.0.2.1:9999 to
 * 198.51.100.7:9 (US), reported, owned by this process, in a slot taken
 * before any sweep; swept: its flow ended by a sweep, which marked the
 * slot for the next to free.
 */
static void plant_slot(uint32_t prog_id, uint64_t cookie, bool swept)
{
	struct ea_sock_state s = ea_test_flagged_slot(cookie);
	struct bpf_map_info m;
	int fd = map_of(prog_id, "tcp_socks", &m), keys = map_of(prog_id, "tcp_sock_keys", &m);
	uint64_t netns;

	if (ea_netns_cookie(&netns))
		die("SO_NETNS_COOKIE");
	s.netns = netns;
	planted_flow(&s.flow, &s.owner, 9999, 9);
	s.flow.start_ns = ea_boot_ns();
	if (swept) {
		s.ended = 1;
		s.flow.flags = 0;	/* its flow_end was sent */
		s.slot_marks = EA_SLOT_ENDING | EA_SLOT_SWEPT;
	}
	if (ea_tcp_slot_put(keys, fd, cookie, &s))
		die("the slot");
}

/*
 * A flagged, reported per-destination UDP flow of one 64-byte datagram
 * from 192.0.2.1:9998 to 198.51.100.7:dport (US), owned by this process,
 * started 90 s ago, its last datagram idle_s ago.
 */
static void plant_udp_flow(int fd, uint64_t cookie, uint16_t dport, uint64_t idle_s)
{
	struct ea_udp_flow_key key = { .cookie = cookie, .dport = dport };
	struct ea_udp_flow u = { 0 };
	uint64_t now = ea_boot_ns();

	ea_test_flagged_flow(&u.flow, EA_PROTO_UDP, IPPROTO_UDP, 1, 64);
	planted_flow(&u.flow, &u.owner, 9998, dport);
	memcpy(key.dst, u.flow.dst, sizeof(key.dst));
	u.flow.start_ns = u.flow.last_emit_ns = now - 90ull * 1000000000;
	u.flow.last_ns = now - idle_s * 1000000000;
	u.owner.cookie = cookie;
	u.owner.cgroup_idx = ~0u;
	if (bpf_map_update_elem(fd, &key, &u, BPF_NOEXIST))
		die("udp_flows");
}

static void plant_idle(uint32_t prog_id, uint64_t cookie)
{
	struct bpf_map_info m;
	int fd = map_of(prog_id, "udp_flows", &m);

	plant_udp_flow(fd, cookie, 53, 60);
	plant_udp_flow(fd, cookie, 54, 0);
}

int main(int argc, char **argv)
{
	struct bpf_link_info info;
	struct stat st;
	size_t h = 0;
	int fd;

	if (argc < 4 || argc > 5 ||
	    (argc == 5) != (!strcmp(argv[1], "geo") || !strcmp(argv[1], "slot") ||
			    !strcmp(argv[1], "swept") || !strcmp(argv[1], "idle"))) {
		fputs("usage: tamper detach|replace|block|unblock|settings CGROUP connect4|egress\n"
		      "       tamper geo CGROUP connect4|egress N\n"
		      "       tamper slot|swept|idle CGROUP connect4 COOKIE\n", stderr);
		return 2;
	}
	while (h < sizeof(hooks) / sizeof(hooks[0]) && strcmp(hooks[h].name, argv[3]))
		h++;
	if (h == sizeof(hooks) / sizeof(hooks[0]) || stat(argv[2], &st)) {
		fprintf(stderr, "tamper: %s, %s: no such hook or cgroup\n", argv[3], argv[2]);
		return 2;
	}
	if (!strcmp(argv[1], "block")) {
		block(st.st_ino, argv[2], h);
		return 0;
	}
	if (!strcmp(argv[1], "unblock")) {
		fd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (fd < 0 || bpf_prog_detach(fd, hooks[h].attach))
			die("BPF_PROG_DETACH");
		return 0;
	}
	fd = find_link(st.st_ino, hooks[h].attach, &info);
	if (!strcmp(argv[1], "detach")) {
		if (bpf_link_detach(fd))
			die("BPF_LINK_DETACH");
	} else if (!strcmp(argv[1], "replace")) {
		if (bpf_link_update(fd, allow_all(hooks[h].type, hooks[h].attach), NULL))
			die("BPF_LINK_UPDATE");
	} else if (!strcmp(argv[1], "settings")) {
		blind(info.prog_id);
	} else if (!strcmp(argv[1], "geo")) {
		printf("%u\n", allow_everything(info.prog_id, (uint32_t)atoi(argv[4])));
	} else if (!strcmp(argv[1], "idle")) {
		plant_idle(info.prog_id, strtoull(argv[4], NULL, 10));
	} else if (!strcmp(argv[1], "slot") || !strcmp(argv[1], "swept")) {
		plant_slot(info.prog_id, strtoull(argv[4], NULL, 10), !strcmp(argv[1], "swept"));
	} else {
		fprintf(stderr, "tamper: %s: no such command\n", argv[1]);
		return 2;
	}
	return 0;
}
