#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Data labels end to end, with real processes and files: taint from reading
# a labelled file (however it is reached), labels of a cgroup subtree (also
# once that cgroup is made again),
# inheritance on fork and exec, the end of taint with its process, per-label
# allow sets, and enforce mode (EPERM and a blocked record). Each case says
# which flows must be flagged or blocked with which labels and evidence, and
# which must give no record at all (check_labels.py).
# A file opened and read through io_uring (IORING_OP_OPENAT, IORING_OP_READ)
# taints too: no syscall tracepoint fires, the io_uring_complete hook does.
. "$(dirname "$0")/lib.sh"

US=198.51.100.7		# US: adequacy-partial
CN=203.0.113.5		# CN: third
DE=192.0.2.10		# DE: eu
JP=2001:db8:4::9	# JP: adequacy
HOST=e2e-labels.example
P=$E2E_PORT
T=$E2E_TMP
EU=$T/eu-data		# [label eu-pii]: default allow (eu eea adequacy ...)
STRICT=$T/strict-data	# [label eu-strict]: allow = eu eea
STRICT2=$T/strict-more	# its second tree
SECRET=$T/secret-data	# [label secret]: mode = enforce
OUT=$T/elsewhere	# a symlink and a hard link into eu-data live here
BIND=$T/bind-mnt	# eu-data bind-mounted here (in a private mount namespace)
BTRFS=$T/btrfs		# [label btrfs-pii]: a tree in a btrfs subvolume
INNER=$EU/inner		# [label eu-inner]: a tree inside eu-data's
OVL=$T/overlay		# an overlay's upper, work and merged directories
SVC=			# [label crm]: a child cgroup of the test cgroup
failed=0

# The labelled child cgroup goes with the test cgroup (e2e_cleanup).
labels_cleanup()
{
	local rc=$?

	# the bind mount lives in a mount namespace of its own; this only
	# catches one that leaked to ours
	if mountpoint -q "$BIND" 2>/dev/null; then
		umount "$BIND" || echo "e2e: could not unmount $BIND" >&2
	fi
	(exit $rc)
	e2e_cleanup
}
trap labels_cleanup EXIT

# Run a command in the client namespace, in the test cgroup (main) or in
# the labelled child cgroup (svc).
in_cg()
{
	local cg=$E2E_CG

	[ "$1" = svc ] && cg=$SVC
	shift
	L_CG=$cg e2e_ns "$E2E_CNS" \
		sh -c 'echo $$ > "$L_CG/cgroup.procs" && exec "$@"' sh "$@"
}

has_lines()
{
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# held_case HOW: the holder started before the agent sends now; its flow
# must carry the label of the file it holds.
held_case()
{
	local how=$1 pid

	pid=$(sed -n '1s/.*"pid":\([0-9]*\).*/\1/p' "$T/$how.out")
	kill -USR1 "$pid"
	if e2e_wait_for 10 has_lines "$T/$how.out" 2; then
		echo "  $how: $(tail -n 1 "$T/$how.out")"
		add_case "$how" flagged eu-pii "eu-pii=$EU/$how.csv" main "$(tail -n 1 "$T/$how.out")"
	else
		echo "FAIL: $how: $(tail -n 1 "$T/traffic.err")" >&2
		failed=1
	fi
}

# Keep a case: its traffic line and what the records must show.
add_case()
{
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$T/cases.tsv"
}

# lcase NAME EXPECT LABELS EVIDENCE WHERE TRAFFIC-ARGS...: run one case
# (see check_labels.py for the columns).
lcase()
{
	local name=$1 expect=$2 labels=$3 evidence=$4 where=$5 out

	shift 5
	if ! out=$(in_cg "$where" "$@" 2>>"$T/traffic.err"); then
		echo "FAIL: $name: $*: $(tail -n 1 "$T/traffic.err")" >&2
		failed=1
		return
	fi
	echo "  $name: $out"
	add_case "$name" "$expect" "$labels" "$evidence" "$where" "$out"
}

# A descriptor of a file passed unseen (as for sendfile-passed), its bytes
# moved by sendfile, splice (to a connection) or copy_file_range (to a file,
# before the process sends), each call handed the descriptor as it is and
# widened by high bits that the kernel drops: each taints. Names start
# with $1.
moved_cases()
{
	local call how

	for call in sendfile splice copy; do
		for how in plain wide; do
			lcase $1moved-$call-$how flagged eu-pii \
				"eu-pii=$EU/moved-$call-$how.csv" main \
				$X moved $call $how "$EU/moved-$call-$how.csv" $US $P $N
		done
	done
}

# Whether the running agent holds the file-taint programs of one set and
# none of the others': every (where 32-bit calls are watched: syscall_exit,
# and syscall_enter for 32-bit moves in enforce mode), every-audit (the
# same in audit mode, without syscall_enter) or per-call (the per-call
# tracepoints of opens and receives). All hold the per-call programs of
# moves (sendfile_enter, ...).
taint_set_is()
{
	bpftool -j prog show | python3 -c 'import glob, json, sys
pid, want = sys.argv[1], sys.argv[2]
ids = set()	# the programs whose descriptors the agent holds
for info in glob.glob("/proc/%s/fdinfo/*" % pid):
    try:
        ids |= {int(l.split()[1]) for l in open(info) if l.startswith("prog_id:")}
    except OSError:
        pass
# the kernel keeps 15 characters of a name; bpftool may show all from BTF
held = {p["name"][:15] for p in json.load(sys.stdin) if p["id"] in ids}
moves = {n[:15] for n in ("sendfile_enter", "splice_enter", "copy_file_range_enter")}
calls = {n[:15] for n in ("openat_exit", "openat2_exit", "open_exit",
	 "open_by_handle_exit", "pidfd_getfd_exit", "recvmsg_exit", "recvmmsg_exit")}
enter, exit = {"syscall_enter"}, {"syscall_exit"}
mine = {"every": exit | enter, "every-audit": exit, "per-call": calls}[want] | moves
known = moves | calls | enter | exit
if not mine <= held or held & known - mine:
    sys.exit("agent holds %s; wanted the %s set" % (sorted(held & known), want))' \
		"$E2E_AGENT_PID" "$1"
}

# Another run of the agent for a set of eu-pii cases: its config is
# agent.conf edited by the sed script $2 (saved as agent-$1.conf), and it
# must hold the taint set $3 and have said $4 at start.
rerun_start()
{
	echo "cases, $1:"
	sed "$2" "$T/agent.conf" >"$T/agent-$1.conf"
	e2e_agent_start "$T/agent-$1.conf"
	taint_set_is "$3" || failed=1
	grep -q "$4" "$T/agent.err" ||
		{ echo "FAIL: the agent did not say '$4'" >&2; failed=1; }
	: >"$T/cases.tsv"
}

# The end of such a run: its records checked against its cases.
rerun_check()
{
	sleep 1
	e2e_agent_stop
	python3 "$E2E_ROOT/tests/e2e/check_labels.py" --records "$T/records.jsonl" \
		--cases "$T/cases.tsv" --host "$HOST" --cgroup "$E2E_CG_REL" \
		--svc-cgroup "$E2E_CG_REL/eu-svc" --label-dir "eu-pii=$EU" || failed=1
}

e2e_setup
SVC=$E2E_CG/eu-svc
mkdir "$SVC" || e2e_fail "mkdir $SVC"

# The data: labelled trees, a symlink and a hard link into one from outside.
mkdir -p "$EU/customers/2024" "$STRICT" "$SECRET" "$OUT" "$BIND" "$INNER" \
	"$EU/ovl-lower" "$EU/sub" "$OVL/upper" "$OVL/work" "$OVL/merged" "$EU/vol" \
	"$OUT/vol-bind" "$OUT/sub-bind" "$STRICT2" "$STRICT/more-bind" ||
	e2e_fail "mkdir data"
for f in customers/2024/plain.csv open.csv openat2.csv rel.csv dirfd.csv \
	 sym-target.csv hl.csv bind.csv send-read.csv svc.csv fork.csv exec.csv \
	 hold.csv exit.csv sendfile.csv sendfile-uring.csv jp.csv uring.csv leader.csv \
	 child.csv sendfile-passed.csv ia32-open.csv ia32-openat.csv ia32-openat2.csv \
	 ia32-sendfile.csv inner/nested.csv ovl-lower/ovl.csv handle.csv uring-install.csv \
	 pidfd.csv open-hold.csv map-hold.csv scm.csv mmsg-scm.csv uring-scm.csv no32-ia32.csv no32.csv \
	 moved-sendfile-plain.csv moved-sendfile-wide.csv moved-splice-plain.csv \
	 moved-splice-wide.csv moved-copy-plain.csv moved-copy-wide.csv ia32-scm-recvmsg.csv \
	 ia32-scm-socketcall.csv ia32-scm-recvmmsg.csv ia32-scm-uring.csv ia32-moved-splice.csv \
	 ia32-moved-copy.csv ia32-scm-recvmmsg64.csv ia32-scm-socketcall-mmsg.csv ia32-handle.csv \
	 ia32-pidfd.csv; do
	head -c 30000 /dev/urandom >"$EU/$f"
done
for f in strict-jp.csv strict-de.csv; do head -c 1000 /dev/urandom >"$STRICT/$f"; done
head -c 1000 /dev/urandom >"$STRICT2/more.csv"
for f in secret.csv secret-udp.csv secret-route.csv secret-tcp-route.csv \
	secret-tcp-route6.csv secret-tcp-route-hop2.csv secret-tcp-route6-hop2.csv \
	secret-route-hop2.csv secret-retry.csv secret-retry-udp.csv secret-de.csv \
	secret-late.csv secret-child.csv secret-ia32.csv; do
	head -c 1000 /dev/urandom >"$SECRET/$f"
done
# btrfs: stat gives a subvolume's files a device of their own, the kernel's
# inodes the file system's
truncate -s 256M "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" >/dev/null &&
	mkdir "$BTRFS" && mount -o loop "$T/btrfs.img" "$BTRFS" || e2e_fail "btrfs"
E2E_MOUNTS+=("$BTRFS")
btrfs subvolume create "$BTRFS/sub" >/dev/null && mkdir "$BTRFS/sub/eu" &&
	head -c 30000 /dev/urandom >"$BTRFS/sub/eu/btrfs.csv" || e2e_fail "btrfs subvolume"
ln -s "$EU/sym-target.csv" "$OUT/sym.csv"
# a hard link made before the agent starts: the agent finds it (nlink > 1)
ln "$EU/hl.csv" "$OUT/hl-link.csv"

cat >"$T/agent.conf" <<EOF
[agent]
record = flagged
hostname = $HOST
update_interval = 3600

[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv

[label eu-pii]
path = $EU

[label crm]
cgroup = $E2E_CG_REL/eu-svc

[label eu-strict]
path = $STRICT
path = $STRICT2
allow = eu eea

[label secret]
path = $SECRET
mode = enforce

[label btrfs-pii]
path = $BTRFS/sub/eu

[label eu-inner]
path = $INNER
EOF

# a file system mounted in a labelled tree before the agent started (a
# volume), reached by a bind mount of its own elsewhere (case volume-bind)
mount -t tmpfs -o size=1M tmpfs "$EU/vol" && E2E_MOUNTS+=("$EU/vol") &&
	head -c 30000 /dev/urandom >"$EU/vol/vol.csv" || e2e_fail "tmpfs in $EU/vol"

# processes that opened, or mapped, a labelled file before the agent
# started: they hold it, and send once the agent runs (held_case)
for how in open-hold map-hold; do
	in_cg main $E2E_TRAFFIC $how "$EU/$how.csv" $US $P 20000 >"$T/$how.out" \
		2>>"$T/traffic.err" &
	E2E_PIDS+=($!)
done
for how in open-hold map-hold; do
	e2e_wait_for 5 grep -q '"ready"' "$T/$how.out" ||
		e2e_fail "$how not ready: $(tail -n 1 "$T/traffic.err")"
done

e2e_agent_start "$T/agent.conf"
X=$E2E_TRAFFIC
N=20000
: >"$T/cases.tsv"
echo "cases:"

# A file read, then a connection: flagged, however the file was opened.
lcase read-first flagged eu-pii "eu-pii=$EU/customers/2024/plain.csv" main \
	$X read-send path "$EU/customers/2024/plain.csv" $US $P $N
lcase read-open-syscall flagged eu-pii "eu-pii=$EU/open.csv" main \
	$X read-send open "$EU/open.csv" $US $P $N
lcase read-openat2 flagged eu-pii "eu-pii=$EU/openat2.csv" main \
	$X read-send openat2 "$EU/openat2.csv" $CN $P $N
# Connected and sending first, the file read second: the next packets carry it.
lcase connect-first flagged eu-pii "eu-pii=$EU/send-read.csv" main \
	$X send-read $US $P $N "$EU/send-read.csv"

# Cgroup labels: no file touched; with a file too, both labels.
lcase cgroup flagged crm "crm=cgroup" svc $X tcp4 $US $P $N
lcase cgroup-and-file flagged eu-pii,crm "eu-pii=$EU/svc.csv,crm=cgroup" svc \
	$X read-send path "$EU/svc.csv" $US $P $N
lcase unlabelled none - - main $X tcp4 $US $P $N
# The labelled cgroup removed and made again, as at a service's restart:
# the new cgroup's first flow carries the label.
if rmdir "$SVC" && mkdir "$SVC"; then
	lcase cgroup-made-again flagged crm "crm=cgroup" svc $X tcp4 $US $P $N
	relabelled=$(e2e_status | python3 -c 'import json, sys
print(json.load(sys.stdin)["counters"].get("cgroups_relabelled", 0))')
	[ "$relabelled" = 1 ] || { echo "FAIL: cgroups_relabelled $relabelled" >&2; failed=1; }
else
	echo "FAIL: $SVC not made again" >&2
	failed=1
fi

# Other ways to the same file: each taints, the evidence names the file.
lcase relative-path flagged eu-pii "eu-pii=$EU/rel.csv" main \
	$X read-send relative "$EU/rel.csv" $US $P $N
lcase dirfd flagged eu-pii "eu-pii=$EU/dirfd.csv" main \
	$X read-send dirfd "$EU/dirfd.csv" $US $P $N
lcase symlink flagged eu-pii "eu-pii=$EU/sym-target.csv" main \
	$X read-send path "$OUT/sym.csv" $US $P $N
lcase hard-link flagged eu-pii "eu-pii=$OUT/hl-link.csv" main \
	$X read-send path "$OUT/hl-link.csv" $US $P $N
lcase bind-mount flagged eu-pii "eu-pii=$EU/bind.csv" main \
	unshare --mount --propagation private \
	sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$EU" "$BIND" \
	$X read-send path "$BIND/bind.csv" $US $P $N
# descriptors that come without an open by name: by handle, a ring's
# direct descriptor made real, another process's taken by pidfd_getfd
lcase handle flagged eu-pii "eu-pii=$EU/handle.csv" main \
	$X read-send handle "$EU/handle.csv" $US $P $N
lcase uring-install flagged eu-pii "eu-pii=$EU/uring-install.csv" main \
	$X read-send uring-install "$EU/uring-install.csv" $US $P $N
lcase pidfd-getfd flagged eu-pii "eu-pii=$EU/pidfd.csv" main \
	$X pidfd-getfd "$EU/pidfd.csv" $US $P $N
# a descriptor received over a unix socket (SCM_RIGHTS), then read: by
# recvmsg, by recvmmsg (in its second message), and by IORING_OP_RECVMSG
# (no system call)
lcase scm-rights flagged eu-pii "eu-pii=$EU/scm.csv" main \
	$X scm-rights "$EU/scm.csv" $US $P $N
lcase mmsg-scm-rights flagged eu-pii "eu-pii=$EU/mmsg-scm.csv" main \
	$X mmsg-scm-rights "$EU/mmsg-scm.csv" $US $P $N
lcase uring-scm-rights flagged eu-pii "eu-pii=$EU/uring-scm.csv" main \
	$X uring-scm-rights "$EU/uring-scm.csv" $US $P $N
# files opened and mapped before the agent started
held_case open-hold
held_case map-hold
# trees nest: a file of both carries both labels
lcase nested flagged eu-pii,eu-inner "eu-pii=$INNER/nested.csv,eu-inner=$INNER/nested.csv" \
	main $X read-send path "$INNER/nested.csv" $US $P $N
# an overlay whose lower layer is in a labelled tree (a user namespace lets
# any user mount one): the kernel opens the layer's file, no system call does
lcase overlay flagged eu-pii "eu-pii=$EU/ovl-lower/ovl.csv" main \
	unshare --mount --propagation private \
	sh -c 'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" &&
	       shift 4 && exec "$@"' sh "$EU/ovl-lower" "$OVL/upper" "$OVL/work" "$OVL/merged" \
	$X read-send path "$OVL/merged/ovl.csv" $US $P $N
# a file system mounted in a labelled tree after the agent started
mount -t tmpfs -o size=1M tmpfs "$EU/sub" && E2E_MOUNTS+=("$EU/sub") &&
	head -c 30000 /dev/urandom >"$EU/sub/sub.csv" &&
	head -c 30000 /dev/urandom >"$EU/sub/sub-bind.csv" || e2e_fail "tmpfs in $EU/sub"
lcase submount flagged eu-pii "eu-pii=$EU/sub/sub.csv" main \
	$X read-send path "$EU/sub/sub.csv" $US $P $N
# the same file system reached by a bind mount elsewhere: the agent keys
# its root when its mount table changes, and says so
e2e_wait_for 5 grep -q 'mounted below labelled trees since start keyed' "$T/agent.err" ||
	{ echo "FAIL: the agent did not key the file system mounted at $EU/sub" >&2; failed=1; }
lcase submount-bind flagged eu-pii "eu-pii=$EU/sub/sub-bind.csv" main \
	unshare --mount --propagation private \
	sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$EU/sub" "$OUT/sub-bind" \
	$X read-send path "$OUT/sub-bind/sub-bind.csv" $US $P $N
# a file system mounted in a labelled tree and unmounted again loses the
# label: the next one mounted anywhere may be given its device number
# (and a tmpfs, its root's inode number); a file there taints nothing
keyed_twice() { [ "$(grep -c 'mounted below labelled trees since start keyed' "$T/agent.err")" -ge 2 ]; }
mkdir -p "$EU/gone" && mount -t tmpfs -o size=1M tmpfs "$EU/gone" || e2e_fail "tmpfs in $EU/gone"
e2e_wait_for 5 keyed_twice ||
	{ echo "FAIL: the agent did not key the file system mounted at $EU/gone" >&2; failed=1; }
gone_dev=$(stat -c %d "$EU/gone")
umount "$EU/gone" || e2e_fail "umount $EU/gone"
e2e_wait_for 5 grep -q 'no longer mounted below labelled trees unkeyed' "$T/agent.err" ||
	{ echo "FAIL: the agent did not unkey the file system unmounted from $EU/gone" >&2; failed=1; }
mkdir -p "$T/late-tmpfs" && mount -t tmpfs -o size=1M tmpfs "$T/late-tmpfs" &&
	E2E_MOUNTS+=("$T/late-tmpfs") && head -c 30000 /dev/urandom >"$T/late-tmpfs/late.csv" ||
	e2e_fail "tmpfs at $T/late-tmpfs"
[ "$(stat -c %d "$T/late-tmpfs")" = "$gone_dev" ] ||
	echo "  unmounted-volume: the new tmpfs got another device than the unmounted one: a weaker case this run"
lcase unmounted-volume none - - main $X read-send path "$T/late-tmpfs/late.csv" $US $P $N
# a label's tree bind-mounted below another of its trees and unmounted
# again keeps the label the tree has of its own
# (the key is the tree's own already: the agent logs nothing new for it)
# (status says each read of the mount table the agent makes after a change)
mount_scans() { e2e_status | python3 -c 'import json, sys; print(json.load(sys.stdin)["agent"]["mount_scans"])'; }
scans_past() { [ "$(mount_scans)" -gt "$1" ]; }
scans=$(mount_scans) || e2e_fail "status"
mount --bind "$STRICT2" "$STRICT/more-bind" || e2e_fail "bind $STRICT2"
e2e_wait_for 5 scans_past "$scans" || e2e_fail "the agent did not read the mount table after the bind mount"
scans=$(mount_scans) || e2e_fail "status"
umount "$STRICT/more-bind" || e2e_fail "umount $STRICT/more-bind"
e2e_wait_for 5 scans_past "$scans" || e2e_fail "the agent did not read the mount table after the unmount"
lcase tree-bound-and-unmounted flagged eu-strict "eu-strict=$STRICT2/more.csv" main \
	$X read-send path "$STRICT2/more.csv" $JP $P $N
lcase volume-bind flagged eu-pii "eu-pii=$EU/vol/vol.csv" main \
	unshare --mount --propagation private \
	sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$EU/vol" "$OUT/vol-bind" \
	$X read-send path "$OUT/vol-bind/vol.csv" $US $P $N
# the walk to a labelled ancestor looks 128 levels up: a file 120 levels
# down taints, one 130 down does not, and the counter paths_too_deep says so
deep=$EU/deep
for i in $(seq 1 130); do
	deep=$deep/d
	[ $i = 119 ] && deep120=$deep
done
mkdir -p "$deep" && head -c 3000 /dev/urandom >"$deep120/deep120.csv" &&
	head -c 3000 /dev/urandom >"$deep/deep130.csv" || e2e_fail "deep tree"
lcase deep-120 flagged eu-pii "eu-pii=$deep120/deep120.csv" main \
	$X read-send path "$deep120/deep120.csv" $US $P $N
lcase deep-130 gap - - main $X read-send path "$deep/deep130.csv" $US $P $N

# Inheritance: a child of a tainted process, an exec; an unrelated process.
lcase fork-child flagged eu-pii "eu-pii=$EU/fork.csv" main \
	$X fork-read-send "$EU/fork.csv" $US $P $N
lcase exec flagged eu-pii "eu-pii=$EU/exec.csv" main \
	$X read-exec-send "$EU/exec.csv" $CN $P $N
# the main thread exits, another thread sends: the process and its taint live on
# a labelled tree on btrfs (in a subvolume) taints as any other
lcase btrfs flagged btrfs-pii "btrfs-pii=$BTRFS/sub/eu/btrfs.csv" main \
	$X read-send path "$BTRFS/sub/eu/btrfs.csv" $US $P $N
lcase leader-exit flagged eu-pii "eu-pii=$EU/leader.csv" main \
	$X leader-exit-send "$EU/leader.csv" $US $P $N
# a child reads and sends on its untainted parent's socket: the flow keeps
# the label to its end (the file evidence is the owner's only: none here)
lcase child-sends flagged eu-pii - main \
	$X connect-fork-read-send "$EU/child.csv" $US $P $N
# read-hold reads and waits; meanwhile an unrelated process sends; then it sends.
in_cg main $X read-hold "$EU/hold.csv" $US $P $N >"$T/hold.out" 2>>"$T/traffic.err" &
hold_job=$!
E2E_PIDS+=("$hold_job")
if e2e_wait_for 5 grep -q '"ready"' "$T/hold.out"; then
	hold_pid=$(sed -n '1s/.*"pid":\([0-9]*\).*/\1/p' "$T/hold.out")
	lcase unrelated-while-tainted none - - main $X tcp4 $CN $P $N
	kill -USR1 "$hold_pid"
	if wait "$hold_job" && [ "$(wc -l <"$T/hold.out")" -eq 2 ]; then
		echo "  tainted-holder: $(tail -n 1 "$T/hold.out")"
		add_case tainted-holder flagged eu-pii "eu-pii=$EU/hold.csv" main \
			"$(tail -n 1 "$T/hold.out")"
	else
		echo "FAIL: read-hold: $(tail -n 1 "$T/traffic.err")" >&2
		failed=1
	fi
else
	echo "FAIL: read-hold not ready: $(tail -n 1 "$T/traffic.err")" >&2
	failed=1
fi
# The socket's creator reads, sends to US and exits; its taint goes with it:
# the same socket, sent on by the untainted parent to CN, carries no label.
lcase exit-ends-taint flagged,none eu-pii "eu-pii=$EU/exit.csv" main \
	$X exit-untaint "$EU/exit.csv" $US $CN $P 1000

# sendfile from a labelled file to a connection: opened by open(), and by
# IORING_OP_OPENAT (no open system call)
lcase sendfile flagged eu-pii "eu-pii=$EU/sendfile.csv" main \
	$X sendfile $US $P "$EU/sendfile.csv"
lcase sendfile-uring-fd flagged eu-pii "eu-pii=$EU/sendfile-uring.csv" main \
	$X sendfile-uring $US $P "$EU/sendfile-uring.csv"
# a descriptor another process opened, received by a multishot
# IORING_OP_RECVMSG, which no hook sees: only the sendfile can taint
lcase sendfile-passed flagged eu-pii "eu-pii=$EU/sendfile-passed.csv" main \
	$X sendfile-passed $US $P "$EU/sendfile-passed.csv"
moved_cases

# 32-bit system calls (int 0x80) fire no per-call tracepoint: the agent
# watches for them where the kernel makes them (the probe faults otherwise).
if $X ia32-probe; then
	taint_set_is every || failed=1
	for how in open openat openat2 handle; do
		lcase ia32-$how flagged eu-pii "eu-pii=$EU/ia32-$how.csv" main \
			$X read-send ia32-$how "$EU/ia32-$how.csv" $US $P $N
	done
	lcase ia32-pidfd-getfd flagged eu-pii "eu-pii=$EU/ia32-pidfd.csv" main \
		$X ia32-pidfd-getfd "$EU/ia32-pidfd.csv" $US $P $N
	lcase ia32-sendfile flagged eu-pii "eu-pii=$EU/ia32-sendfile.csv" main \
		$X ia32-sendfile-passed $US $P "$EU/ia32-sendfile.csv"
	for call in splice copy; do
		lcase ia32-moved-$call flagged eu-pii "eu-pii=$EU/ia32-moved-$call.csv" main \
			$X moved $call ia32 "$EU/ia32-moved-$call.csv" $US $P $N
	done
	# a descriptor received over a unix socket as a 32-bit program would
	# (32-bit headers): by recvmsg, socketcall's recvmsg, recvmmsg (in the
	# second message), or IORING_OP_RECVMSG in a ring the 32-bit
	# io_uring_setup made
	for how in recvmsg socketcall recvmmsg recvmmsg64 socketcall-mmsg uring; do
		lcase ia32-scm-$how flagged eu-pii "eu-pii=$EU/ia32-scm-$how.csv" main \
			$X ia32-scm-rights $how "$EU/ia32-scm-$how.csv" $US $P $N
	done
	# enforce mode: syscall_enter takes a 32-bit sendfile's input before
	# its bytes go, so that none of them leaves
	lcase enforce-ia32-sendfile stopped secret "secret=$SECRET/secret-ia32.csv" main \
		$X ia32-sendfile-stop $US $P 1000 "$SECRET/secret-ia32.csv"
else
	taint_set_is per-call || failed=1
	echo "  ia32-*: not run: this kernel makes no 32-bit system calls"
	grep -q 'makes no 32-bit system calls' "$E2E_TMP/agent.err" ||
		{ echo "FAIL: the agent did not say it watches no 32-bit calls" >&2; failed=1; }
fi

# Per-label allow: eu-pii may go to adequacy countries, eu-strict may not.
lcase allow-adequacy none - - main $X read-send path "$EU/jp.csv" $JP $P $N
lcase strict-adequacy flagged eu-strict "eu-strict=$STRICT/strict-jp.csv" main \
	$X read-send path "$STRICT/strict-jp.csv" $JP $P $N
lcase strict-eu none - - main $X read-send path "$STRICT/strict-de.csv" $DE $P $N

# Enforce (label secret): the tainted process is stopped, others are not.
lcase enforce-connect blocked secret "secret=$SECRET/secret.csv" main \
	$X try-send "$SECRET/secret.csv" tcp $US $P 1000
lcase enforce-udp-sendto blocked secret "secret=$SECRET/secret-udp.csv" main \
	$X try-send "$SECRET/secret-udp.csv" udp $US $P 500
# through a source route: the flagged hop stops the datagram at egress
lcase enforce-udp-route blocked secret "secret=$SECRET/secret-route.csv" main \
	$X try-send "$SECRET/secret-route.csv" udp $DE $P 500 $US
# so is a connection through it: connect() fails before its SYN goes out
lcase enforce-tcp-route blocked secret "secret=$SECRET/secret-tcp-route.csv" main \
	$X try-send "$SECRET/secret-tcp-route.csv" tcp $DE $P 1000 $US
# the same through an IPv6 segment routing header (a US segment to a DE address)
lcase enforce-tcp-route6 blocked secret "secret=$SECRET/secret-tcp-route6.csv" main \
	$X try-send "$SECRET/secret-tcp-route6.csv" tcp 2001:db8:1::10 $P 1000 2001:db8:2::7
# a flagged hop behind an allowed one is found as well (IPv4 and IPv6)
lcase enforce-tcp-route-hop2 blocked secret "secret=$SECRET/secret-tcp-route-hop2.csv" main \
	$X try-send "$SECRET/secret-tcp-route-hop2.csv" tcp $DE $P 1000 $DE,$US
lcase enforce-tcp-route6-hop2 blocked secret "secret=$SECRET/secret-tcp-route6-hop2.csv" \
	main $X try-send "$SECRET/secret-tcp-route6-hop2.csv" tcp 2001:db8:1::10 $P 1000 \
	2001:db8:1::10,2001:db8:2::7
lcase enforce-udp-route-hop2 blocked secret "secret=$SECRET/secret-route-hop2.csv" main \
	$X try-send "$SECRET/secret-route-hop2.csv" udp $DE $P 500 $DE,$US
# refused, the same socket connects to an allowed address: a new flow,
# allowed (no record), not the refused one going on
lcase enforce-connect-retry blocked,none secret "secret=$SECRET/secret-retry.csv" main \
	$X retry-send "$SECRET/secret-retry.csv" tcp $US $DE $P 1000
lcase enforce-udp-connect-retry blocked,none secret "secret=$SECRET/secret-retry-udp.csv" \
	main $X retry-send "$SECRET/secret-retry-udp.csv" udp $US $DE $P 500
lcase enforce-after-connect stopped secret "secret=$SECRET/secret-late.csv" main \
	$X send-read-stop $US $P 1000 "$SECRET/secret-late.csv"
# a child reads and sends on its untainted parent's socket: what the parent
# sends after it is stopped (the child's own send has left when it is seen)
lcase enforce-child-sends stopped secret - main \
	$X connect-fork-read-send-stop $US $P 1000 "$SECRET/secret-child.csv"
lcase enforce-untainted-connect ok - - main $X try-send - tcp $US $P 1000
lcase enforce-untainted-sendto ok - - main $X try-send - udp $US $P 500
lcase enforce-allowed-destination ok - - main \
	$X try-send "$SECRET/secret-de.csv" tcp $DE $P 1000

# io_uring: IORING_OP_OPENAT + IORING_OP_READ taint at their completion.
lcase io_uring-open-read flagged eu-pii "eu-pii=$EU/uring.csv" main \
	$X read-send uring "$EU/uring.csv" $US $P $N

# the last ACKs and FINs of the TCP flows
sleep 1
e2e_status >"$T/status.json" || e2e_fail "status exited $?"
e2e_check_slots_free "$T/status.json" || failed=1
python3 - "$T/status.json" <<'EOF' || failed=1
import json, sys
n = json.load(open(sys.argv[1])).get("counters", {}).get("paths_too_deep")
if not n:
    print(f"FAIL: counter paths_too_deep: {n}, expected at least 1 (case deep-130)")
    sys.exit(1)
print(f"ok: counter paths_too_deep: {n}")
EOF
e2e_agent_stop
sed 's/^/  agent: /' "$T/agent.err"
# flows whose verdict worsened count once, under the worse verdict
python3 "$E2E_ROOT/tests/e2e/check_aggregate.py" "$T/status.json" "$T/records.jsonl" ||
	failed=1

python3 "$E2E_ROOT/tests/e2e/check_labels.py" --records "$T/records.jsonl" \
	--cases "$T/cases.tsv" --host "$HOST" --cgroup "$E2E_CG_REL" \
	--svc-cgroup "$E2E_CG_REL/eu-svc" \
	--label-dir "eu-pii=$EU" --label-dir "eu-strict=$STRICT" --label-dir "eu-strict-more=$STRICT2" \
	--label-dir "secret=$SECRET" --label-dir "btrfs-pii=$BTRFS/sub/eu" \
	--label-dir "eu-inner=$INNER" --label-cgroup "crm=$E2E_CG_REL/eu-svc" || failed=1

# [agent] watch_32bit_calls = no: the agent says what it leaves unseen; a
# file opened by a 32-bit call taints nothing. The 64-bit calls taint as
# before, now by the per-call tracepoints (above, syscall_exit stood in
# for those of opens and receives): each of those programs has a case.
if $X ia32-probe; then
	rerun_start no32 '/^\[agent\]/a watch_32bit_calls = no' per-call \
		'watch_32bit_calls = no: a file opened or sent by a 32-bit'
	lcase no32-ia32-openat none - - main \
		$X read-send ia32-openat "$EU/no32-ia32.csv" $US $P $N
	lcase no32-openat flagged eu-pii "eu-pii=$EU/no32.csv" main \
		$X read-send path "$EU/no32.csv" $US $P $N
	lcase no32-open flagged eu-pii "eu-pii=$EU/open.csv" main \
		$X read-send open "$EU/open.csv" $US $P $N
	lcase no32-openat2 flagged eu-pii "eu-pii=$EU/openat2.csv" main \
		$X read-send openat2 "$EU/openat2.csv" $US $P $N
	lcase no32-handle flagged eu-pii "eu-pii=$EU/handle.csv" main \
		$X read-send handle "$EU/handle.csv" $US $P $N
	lcase no32-pidfd-getfd flagged eu-pii "eu-pii=$EU/pidfd.csv" main \
		$X pidfd-getfd "$EU/pidfd.csv" $US $P $N
	lcase no32-scm-rights flagged eu-pii "eu-pii=$EU/scm.csv" main \
		$X scm-rights "$EU/scm.csv" $US $P $N
	lcase no32-mmsg-scm-rights flagged eu-pii "eu-pii=$EU/mmsg-scm.csv" main \
		$X mmsg-scm-rights "$EU/mmsg-scm.csv" $US $P $N
	moved_cases no32-
	rerun_check
fi

# Audit mode (no label enforces): no program runs at a call's entry. A
# 32-bit move taints when it is done (syscall_exit), and a 32-bit
# sendfile, whose bytes reach its socket during the call, at its sends
# (tcp_send); the 64-bit moves still taint before they move.
if $X ia32-probe; then
	rerun_start audit '/^mode = enforce$/d' every-audit \
		'a 32-bit sendfile taints at its sends'
	# check says what each config costs (CONFIG:what it says)
	for c in "agent:two programs look at every system call" \
		 "agent-audit:one program looks at the end of every system call"; do
		"$E2E_BIN" -c "$T/${c%%:*}.conf" check --cgroup "$E2E_CG" >"$T/check.out" 2>&1
		grep -q "^32-bit     calls watched: ${c#*:}" "$T/check.out" ||
			{ echo "FAIL: check of ${c%%:*}.conf: no '${c#*:}' in $(cat "$T/check.out")" >&2
			  failed=1; }
	done
	lcase audit-ia32-sendfile flagged eu-pii "eu-pii=$EU/ia32-sendfile.csv" main \
		$X ia32-sendfile-passed $US $P "$EU/ia32-sendfile.csv"
	for call in splice copy; do
		lcase audit-ia32-moved-$call flagged eu-pii "eu-pii=$EU/ia32-moved-$call.csv" \
			main $X moved $call ia32 "$EU/ia32-moved-$call.csv" $US $P $N
	done
	lcase audit-ia32-openat flagged eu-pii "eu-pii=$EU/ia32-openat.csv" main \
		$X read-send ia32-openat "$EU/ia32-openat.csv" $US $P $N
	moved_cases audit-
	rerun_check
fi

# TCP counted per packet loads no send hook: syscall_enter takes a 32-bit
# move before its bytes go, in audit mode too.
if $X ia32-probe; then
	rerun_start packet '/^mode = enforce$/d; /^\[agent\]/a tcp_count = packet' every \
		'look at every system call, tp_btf/sys_enter for the input of 32-bit moves'
	lcase packet-ia32-sendfile flagged eu-pii "eu-pii=$EU/ia32-sendfile.csv" main \
		$X ia32-sendfile-passed $US $P "$EU/ia32-sendfile.csv"
	rerun_check
fi
[ $failed -eq 0 ] || e2e_fail "labels: see above"
echo "PASS: labels"
