# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Sourced by the end-to-end tests (bash, run from the repository root).
# Builds a two-namespace topology with documentation addresses only, a
# cgroup of the test's own, runs the agent in the client namespace, and
# removes everything it made when the test exits, also on failure.
#
# Commands enter a namespace with `nsenter --net`, not `ip netns exec`:
# the latter remounts /sys, which hides the cgroup2 and bpffs mounts that
# the agent and the cgroup move need.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BIN=$E2E_ROOT/build/egress-audit
E2E_TRAFFIC=$E2E_ROOT/build/tests/e2e/traffic
E2E_CNS=ea-c-$$
E2E_SNS=ea-s-$$
E2E_CIF=ea-c0
E2E_SIF=ea-s0
E2E_PORT=5201
E2E_CG=
E2E_CG_MOUNT=
E2E_CG_REL=
E2E_AGENT_PID=
E2E_AGENT_WRAP=()	# a command the agent runs under (setpriv ...)
E2E_SINK_PID=
E2E_BPFFS_MOUNTED=
E2E_MOUNTS=()		# mounted by the test, unmounted by the trap
E2E_PIDS=()
E2E_NETNS=()
E2E_TMP=$(mktemp -d /tmp/egress-audit-e2e.XXXXXX) || exit 1

e2e_log() { echo "e2e: $*" >&2; }

# Report a failure and exit (the trap cleans up).
e2e_fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

# Run a command in a namespace the test made.
e2e_ns()
{
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# Poll until a command succeeds, at most $1 seconds.
e2e_wait_for()
{
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# Two namespaces joined by a veth pair; nothing routes to the host's interfaces.
e2e_topology()
{
	local a

	ip netns add "$E2E_CNS" || e2e_fail "ip netns add $E2E_CNS"
	E2E_NETNS+=("$E2E_CNS")
	ip netns add "$E2E_SNS" || e2e_fail "ip netns add $E2E_SNS"
	E2E_NETNS+=("$E2E_SNS")
	ip -n "$E2E_CNS" link add "$E2E_CIF" type veth peer name "$E2E_SIF" \
		netns "$E2E_SNS" || e2e_fail "veth pair"
	ip -n "$E2E_CNS" addr add 192.0.2.1/24 dev "$E2E_CIF"
	ip -n "$E2E_CNS" addr add 2001:db8:1::1/64 dev "$E2E_CIF" nodad
	ip -n "$E2E_SNS" addr add 192.0.2.2/24 dev "$E2E_SIF"
	for a in 192.0.2.10/32 198.51.100.7/32 203.0.113.5/32; do
		ip -n "$E2E_SNS" addr add "$a" dev "$E2E_SIF" || e2e_fail "address $a"
	done
	for a in 2001:db8:1::2/64 2001:db8:1::10/128 2001:db8:2::7/128 \
		 2001:db8:3::5/128 2001:db8:4::9/128; do
		ip -n "$E2E_SNS" addr add "$a" dev "$E2E_SIF" nodad || e2e_fail "address $a"
	done
	for ns in "$E2E_CNS" "$E2E_SNS"; do
		ip -n "$ns" link set lo up
		e2e_ns "$ns" sysctl -qw net.ipv4.tcp_fastopen=3 || e2e_fail "tcp_fastopen in $ns"
	done
	ip -n "$E2E_CNS" link set "$E2E_CIF" up
	ip -n "$E2E_SNS" link set "$E2E_SIF" up
	ip -n "$E2E_CNS" route add 198.51.100.0/24 via 192.0.2.2 || e2e_fail "route"
	ip -n "$E2E_CNS" route add 203.0.113.0/24 via 192.0.2.2 || e2e_fail "route"
	ip -n "$E2E_CNS" -6 route add 2001:db8::/32 via 2001:db8:1::2 || e2e_fail "route"
	e2e_wait_for 5 e2e_link_up "$E2E_CNS" "$E2E_CIF" ||
		e2e_fail "$E2E_CIF not up"
	e2e_wait_for 5 e2e_link_up "$E2E_SNS" "$E2E_SIF" ||
		e2e_fail "$E2E_SIF not up"
}

e2e_link_up() { ip -n "$1" -o link show dev "$2" | grep -q 'state UP'; }

# A cgroup of the test's own under the cgroup2 mount (never its root).
e2e_cgroup()
{
	E2E_CG_MOUNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$E2E_CG_MOUNT" ] || e2e_fail "no cgroup2 mount in /proc/self/mounts"
	E2E_CG_REL=/egress-audit-e2e-$$
	E2E_CG=$E2E_CG_MOUNT$E2E_CG_REL
	mkdir "$E2E_CG" || e2e_fail "mkdir $E2E_CG"
}

# The agent pins maps on bpffs; mount it if this machine has not.
e2e_bpffs()
{
	awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { f = 1 } END { exit !f }' \
		/proc/self/mounts && return 0
	mount -t bpf bpf /sys/fs/bpf || e2e_fail "mount bpffs"
	E2E_BPFFS_MOUNTED=1
}

# An empty tmpfs at DIR with mount options OPTS, made for the test.
e2e_mount_tmpfs()
{
	mkdir -p "$1" && mount -t tmpfs -o "$2" e2e-tmpfs "$1" || e2e_fail "mount tmpfs at $1"
	E2E_MOUNTS+=("$1")
}

# An empty read-only file system (tmpfs) at DIR, made for the test.
e2e_mount_ro()
{
	e2e_mount_tmpfs "$1" ro,size=64k
}

# Run a command in the client namespace and in the test cgroup.
e2e_in()
{
	E2E_CG=$E2E_CG e2e_ns "$E2E_CNS" \
		sh -c 'echo $$ > "$E2E_CG/cgroup.procs" && exec "$@"' sh "$@"
}

# The sink in the server namespace, on E2E_PORT.
e2e_sink_start()
{
	nsenter --net="/run/netns/$E2E_SNS" "$E2E_TRAFFIC" sink "$E2E_PORT" \
		2>"$E2E_TMP/sink.err" &
	E2E_SINK_PID=$!
	E2E_PIDS+=("$E2E_SINK_PID")
	e2e_wait_for 5 grep -q listening "$E2E_TMP/sink.err" ||
		e2e_fail "sink did not start: $(cat "$E2E_TMP/sink.err")"
}

# What most tests start with: the namespaces, the test's cgroup and the sink.
e2e_setup()
{
	e2e_topology
	e2e_cgroup
	e2e_sink_start
}

e2e_agent_started()
{
	grep -q watching "$E2E_TMP/agent.err" && return 0
	kill -0 "$E2E_AGENT_PID" 2>/dev/null || return 0
	return 1
}

# Start the agent in the client namespace on the test cgroup; wait until it watches.
# Its records go to $E2E_TMP/records.jsonl, or to $E2E_AGENT_STDOUT when set.
# The audit trail of a test's agent lives in the test's temp dir, never in
# /var/lib: a config without [agent] log_dir gets one.
e2e_trail_dir()
{
	local config=$1

	grep -q '^log_dir' "$config" && return
	if grep -q '^\[agent\]' "$config"; then
		sed -i "/^\[agent\]/a log_dir = $E2E_TMP/trail" "$config"
	else
		sed -i "1i [agent]\nlog_dir = $E2E_TMP/trail" "$config"
	fi
}

# "signal NAME" for a shell exit status above 128, else "exit".
e2e_status_name()
{
	if [ "$1" -gt 128 ]; then
		echo "signal $(kill -l $(($1 - 128)))"
	else
		echo exit
	fi
}

e2e_agent_start()
{
	local config=$1

	e2e_bpffs
	e2e_trail_dir "$config"
	mkdir -p "$E2E_TMP/state"
	# emptied here, not by the background job's redirection: a check that
	# ran before the job got to it would find an earlier agent's "watching"
	: >"$E2E_TMP/agent.err"
	[ -p "${E2E_AGENT_STDOUT:-}" ] || : >"${E2E_AGENT_STDOUT:-$E2E_TMP/records.jsonl}"
	# not through a function: $! must be the agent (nsenter execs it)
	nsenter --net="/run/netns/$E2E_CNS" "${E2E_AGENT_WRAP[@]}" "$E2E_BIN" -c "$config" \
		run --cgroup "$E2E_CG" \
		--state-dir "$E2E_TMP/state" -j \
		>>"${E2E_AGENT_STDOUT:-$E2E_TMP/records.jsonl}" 2>>"$E2E_TMP/agent.err" &
	E2E_AGENT_PID=$!
	e2e_wait_for 20 e2e_agent_started || e2e_fail "agent not watching after 20 s"
	if ! grep -q watching "$E2E_TMP/agent.err"; then
		local rc=0

		wait "$E2E_AGENT_PID" || rc=$?
		E2E_AGENT_PID=
		sed 's/^/  agent: /' "$E2E_TMP/agent.err" >&2
		e2e_fail "agent exited with status $rc ($(e2e_status_name $rc)) before watching"
	fi
}

# The config of an agent that records flagged flows, by the test GeoIP
# file (more [agent] lines in $1), in $E2E_TMP/agent.conf.
e2e_flagged_config()
{
	cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
update_interval = 3600
${1:-}

[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF
}

# That config with a ring of $1 KiB (more [agent] lines in $2).
e2e_burst_config()
{
	e2e_flagged_config "ringbuf_size = $1
${2:-}"
}

# That agent (e2e_burst_config's arguments), started and then stopped
# (SIGSTOP): what the datapath emits now stays in the ring until SIGCONT.
e2e_agent_start_stopped()
{
	e2e_burst_config "$@"
	e2e_agent_start "$E2E_TMP/agent.conf"
	kill -STOP "$E2E_AGENT_PID" || e2e_fail "SIGSTOP agent"
}

# SIGINT (or signal $1) the agent; it must exit 0 within 10 s.
e2e_agent_stop()
{
	local pid=$E2E_AGENT_PID sig=${1:-INT} rc

	[ -n "$pid" ] || e2e_fail "no agent to stop"
	kill -"$sig" "$pid" || e2e_fail "agent $pid is gone"
	if ! e2e_wait_for 10 e2e_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		e2e_fail "agent did not stop within 10 s of SIG$sig"
	fi
	wait "$pid"
	rc=$?
	E2E_AGENT_PID=
	if [ $rc -ne 0 ]; then
		sed 's/^/  agent: /' "$E2E_TMP/agent.err" >&2
		e2e_fail "agent exited $rc after SIG$sig"
	fi
}

e2e_gone() { ! kill -0 "$1" 2>/dev/null; }

# egress-audit status of the running agent, its own part written after this
# call began (the agent writes it every second; status reads the kernel's
# counters at once): what the test did before is in it. At most 3 s.
e2e_status()
{
	local since out i

	since=$(date +%s.%N)
	for i in $(seq 30); do
		out=$("$E2E_BIN" status -j --state-dir "$E2E_TMP/state") || return
		if printf '%s' "$out" | python3 -c 'import datetime, json, sys
written = json.load(sys.stdin)["agent"]["written"]
sys.exit(datetime.datetime.fromisoformat(written).timestamp() < float(sys.argv[1]))' \
			"$since" 2>/dev/null; then
			break
		fi
		[ "$i" -lt 30 ] && sleep 0.1
	done
	printf '%s\n' "$out"
}

# Every TCP flow of the test has closed: no slot of tcp_socks is left in use
# (status.json in $1), and none was ever missing (counter tcp_slots_full);
# with $2 "storage" (tcp_slots = 0), flows with state were and kept none.
e2e_check_slots_free()
{
	python3 - "$1" "${2:-slots}" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))
maps = {m["name"]: m for m in status["agent"]["maps"]}
used = maps.get("tcp_socks", {}).get("entries")
full = status.get("counters", {}).get("tcp_slots_full")
storage = sys.argv[2] == "storage"
if used != 0 or full is None or (full > 0) != storage:
    print(f"FAIL: tcp_socks: {used} slots in use after every connection closed, "
          f"tcp_slots_full {full} (expected 0 and {'more than 0' if storage else 0})")
    sys.exit(1)
print(f"ok: tcp_socks: no slot left in use, {full} flows with state in socket storage")
EOF
}

# status --prometheus between two status -j, held against them (check_prom.py,
# with Debian's python3 and its prometheus_client; its options in "$@").
e2e_check_prom()
{
	e2e_status >"$E2E_TMP/prom-before.json" || return 1
	"$E2E_BIN" status --prometheus --state-dir "$E2E_TMP/state" >"$E2E_TMP/status.prom" ||
		return 1
	e2e_status >"$E2E_TMP/prom-after.json" || return 1
	/usr/bin/python3 "$E2E_ROOT/tests/e2e/check_prom.py" "$E2E_TMP/prom-before.json" \
		"$E2E_TMP/status.prom" "$E2E_TMP/prom-after.json" "$@"
}

# Remove a cgroup of the test's and the cgroups below it, children first,
# killing whatever still runs in them.
e2e_cgroup_remove()
{
	local dir pid

	[ -d "$1" ] || return 0
	for dir in $(find "$1" -depth -type d); do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -s "$dir/cgroup.procs" ] || break
			for pid in $(cat "$dir/cgroup.procs"); do
				kill -KILL "$pid" 2>/dev/null
			done
			sleep 0.1
		done
		rmdir "$dir" || echo "e2e: could not remove $dir" >&2
	done
}

# Kill and remove everything the test made. The trap on EXIT.
e2e_cleanup()
{
	local rc=$? pid ns i

	trap - EXIT INT TERM
	if [ -n "$E2E_AGENT_PID" ]; then
		kill -CONT "$E2E_AGENT_PID" 2>/dev/null
		kill -INT "$E2E_AGENT_PID" 2>/dev/null
		e2e_wait_for 5 e2e_gone "$E2E_AGENT_PID" ||
			kill -KILL "$E2E_AGENT_PID" 2>/dev/null
		wait "$E2E_AGENT_PID" 2>/dev/null
		rm -rf "/sys/fs/bpf/egress-audit-$E2E_AGENT_PID"
	fi
	for pid in "${E2E_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${E2E_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	[ -n "$E2E_CG" ] && e2e_cgroup_remove "$E2E_CG"
	for ns in "${E2E_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$E2E_BPFFS_MOUNTED" ] && umount /sys/fs/bpf
	for i in "${E2E_MOUNTS[@]}"; do
		umount -l "$i" || echo "e2e: could not unmount $i" >&2
	done
	if [ $rc -ne 0 ] && [ -n "$E2E_KEEP" ]; then
		echo "e2e: kept $E2E_TMP" >&2
	else
		rm -rf "$E2E_TMP"
	fi
	exit $rc
}

trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] || e2e_fail "the end-to-end tests need root"
[ -x "$E2E_BIN" ] || e2e_fail "$E2E_BIN missing: run make first"
