#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Every egress path of the threat list, from a process in the watched
# cgroup to flagged destinations in another namespace: each must give one
# flow_start and one flow_end record with every key right. Flows to allowed
# destinations give no record but show in the kernel's aggregate.
. "$(dirname "$0")/lib.sh"

V4=198.51.100.7		# US: adequacy-partial, flagged
V6=2001:db8:2::7	# US
CN=203.0.113.5		# CN: third, flagged
OK4=192.0.2.10		# DE: eu, allowed
OK6=2001:db8:4::9	# JP: adequacy, allowed
HOST=e2e-host.example
TRAFFIC_OUT=
failed=0

# Run one traffic case in the client namespace and the test cgroup (as
# user and group RUN_AS when set).
run_case()
{
	if ! e2e_in ${RUN_AS:+setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --clear-groups} \
		"$E2E_TRAFFIC" "$@" >>"$TRAFFIC_OUT" 2>>"$E2E_TMP/traffic.err"; then
		echo "FAIL: traffic $*: $(tail -n 1 "$E2E_TMP/traffic.err")" >&2
		failed=1
	fi
}

# The aggregate of (country, zone, verdict) must count N flows (default 1).
check_aggregate()
{
	python3 - "$E2E_TMP/status.json" "$@" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))
country, zone, verdict = sys.argv[2:5]
want = int(sys.argv[5]) if len(sys.argv) > 5 else 1
rows = [r for r in status.get("aggregate", [])
        if (r["country"], r["zone"], r["verdict"]) == (country, zone, verdict)]
if sum(r["flows"] for r in rows) != want or sum(r["bytes"] for r in rows) < 1000 * want:
    print(f"FAIL: status aggregate: expected {want} flows of 1000+ bytes for "
          f"{country} {zone} {verdict}:")
    print(json.dumps(status.get("aggregate"), indent=1))
    sys.exit(1)
print(f"ok: status aggregate {country} {zone} {verdict}: {rows}")
EOF
}

# check_counter NAME N: the agent's counter NAME (status.json) is N.
check_counter()
{
	python3 - "$E2E_TMP/status.json" "$@" <<'EOF'
import json, sys
name, want = sys.argv[2], int(sys.argv[3])
got = json.load(open(sys.argv[1])).get("counters", {}).get(name)
if got != want:
    print(f"FAIL: status counter {name}: expected {want}, got {got}")
    sys.exit(1)
print(f"ok: status counter {name}: {got}")
EOF
}

# Without a path label the file-taint maps keep one entry (nothing fills them).
check_taint_maps_idle()
{
	python3 - "$E2E_TMP/status.json" <<'EOF'
import json, sys
maps = {m["name"]: m for m in json.load(open(sys.argv[1]))["agent"].get("maps", [])}
for name in ("taint", "inode_labels"):
    if name not in maps or maps[name]["max_entries"] != 1:
        print(f"FAIL: status maps: {name} should keep 1 entry without path labels: "
              f"{maps.get(name)}")
        sys.exit(1)
print("ok: status maps: taint and inode_labels keep 1 entry")
EOF
}

e2e_setup

# One pass over every path with TCP counted as MODE says ([agent] tcp_count),
# with [agent] tcp_slots = SLOTS when given.
datapath_pass()
{
	local mode=$1 slots=$2 since
	local pass=$mode${2:+-slots$2}
	local conf=$E2E_TMP/agent-$pass.conf traffic=$E2E_TMP/traffic-$pass.jsonl

	echo "--- tcp_count = $mode${2:+, tcp_slots = $2}"
	cat >"$conf" <<EOF
[agent]
record = flagged
tcp_count = $mode
${slots:+tcp_slots = $slots}
interfaces = $E2E_CIF
hostname = $HOST
update_interval = 3600

[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
EOF
	since=$(date +%s.%N)
	e2e_agent_start "$conf"
	TRAFFIC_OUT=$traffic

	P=$E2E_PORT
	run_case tcp4 $V4 $P 100000
	run_case tcp6 $V6 $P 100000
	run_case tcp-mapped $V4 $P 50000
	run_case tfo $V4 $P 1000	# no cookie yet: data after the handshake
	run_case tfo $V4 $P 1000	# with the cookie: data in the SYN
	run_case sendfile $V4 $P "$E2E_TMP/file"
	run_case splice $V6 $P "$E2E_TMP/file"
	run_case iouring-send $V4 $P 50000
	run_case iouring-connect $V6 $P 30000
	run_case iouring-sendmsg $V4 $P 2500
	run_case vmsplice $V4 $P 40000
	run_case udp-connected $V4 $P 3000
	run_case udp-sendto $V6 $P 3000
	run_case udp-sendmsg $V4 $P 2500
	run_case udp-sendmmsg $V6 $P 500 8
	run_case udp-multi $V4 $CN $P 1500
	# source routes: the flagged address on the route decides, the
	# allowed one has no record, whichever is the final destination
	run_case udp-route $OK4 $V4 $P 2500
	run_case udp-route $CN $OK4 $P 2500
	run_case udp-route $OK6 $V6 $P 2500
	run_case udp-route $V6 $OK6 $P 2500
	# an RPL route (its address compressed) written by a raw socket
	run_case rpl $OK6 $V6 $P 1000
	run_case rpl $V6 $OK6 $P 1000
	# a connection's SYNs through a flagged hop: to an allowed address
	# (NO, not counted above) and to a flagged one, which has its own
	run_case tcp-route $CN 192.0.2.200 $P
	run_case tcp-route 2001:db8:3::5 $V6 $P
	# a route given to an allowed connection after connect(): its later
	# segments are the flagged hop's, with the connection's owner
	run_case tcp-route-late $V6 $OK6 $P 1000
	# refused (nothing listens): its records name the port it was given,
	# which the kernel released before its close
	run_case tcp-refused $V4 $((P + 9))
	# one socket, two connections: a flow each (one segment of payload, so
	# that the peer sends no window update after its ACK: a late segment
	# of the first connection would find no socket and draw the kernel's
	# reset, which only the backstop sees)
	run_case tcp-reconnect $V6 $P 1000
	run_case raw $V4 100
	run_case raw $V6 100
	run_case packet "$E2E_CIF" $V4 64
	run_case packet-bypass "$E2E_CIF" $CN 48
	run_case fork-send $V4 $P 20000
	run_case exec-send $V6 $P 20000
	run_case tcp4 $OK4 $P 5000
	run_case udp-sendto $OK6 $P 1000
	# another user's flows: the owner's uid and gid, read from the task
	RUN_AS=65534 run_case tcp4 $V4 $P 5000
	RUN_AS=65534 run_case udp-sendto $V6 $P 1000
	# from a cgroup below the watched one: counted all the same
	mkdir -p "$E2E_CG/sub"
	E2E_CG=$E2E_CG/sub run_case tcp4 $OK4 $P 5000

	# a server's egress: a process of the watched cgroup accepts a
	# connection from a flagged address and sends to it (counted per
	# packet, an accepted connection has no owner: only by socket)
	[ "$mode" = socket ] && serve_case
	datapath_check "$pass" "$since" "$slots"
}

serve_case()
{
	local serve SP=$((E2E_PORT + 1))

	e2e_in "$E2E_TRAFFIC" serve $SP 40000 >>"$TRAFFIC_OUT" 2>"$E2E_TMP/serve.err" &
	serve=$!
	E2E_PIDS+=("$serve")
	if e2e_wait_for 5 grep -q listening "$E2E_TMP/serve.err"; then
		nsenter --net="/run/netns/$E2E_SNS" "$E2E_TRAFFIC" fetch $V4 192.0.2.1 $SP ||
			{ failed=1; echo "FAIL: fetch from $V4" >&2; }
	else
		failed=1
		echo "FAIL: serve did not start: $(cat "$E2E_TMP/serve.err")" >&2
	fi
	wait $serve || { failed=1; echo "FAIL: serve: $(tail -n 1 "$E2E_TMP/serve.err")" >&2; }
}

# Stop the agent and check what it recorded.
datapath_check()
{
	local mode=$1 since=$2 slots=$3 until traffic=$E2E_TMP/traffic-$1.jsonl

	# the last ACKs of the TCP flows, then one status file period
	sleep 1.5
	e2e_status >"$E2E_TMP/status.json" || { failed=1; echo "FAIL: status exited $?" >&2; }
	check_aggregate DE eu allowed 2 || failed=1
	check_aggregate JP adequacy allowed 2 || failed=1	# udp-sendto, tcp-route-late
	check_taint_maps_idle || failed=1
	# packet-bypass's PACKET_QDISC_BYPASS, set to 0
	check_counter packet_qdisc_bypass_refused 1 || failed=1
	# without slots, every TCP flow with state kept it in socket storage
	e2e_check_slots_free "$E2E_TMP/status.json" ${slots:+storage} || failed=1
	e2e_check_prom || failed=1

	e2e_agent_stop
	until=$(date +%s.%N)
	cp "$E2E_TMP/records.jsonl" "$E2E_TMP/records-$mode.jsonl"
	python3 "$E2E_ROOT/tests/e2e/check_aggregate.py" "$E2E_TMP/status.json" \
		"$E2E_TMP/records-$mode.jsonl" || failed=1
	sed 's/^/  agent: /' "$E2E_TMP/agent.err"
	echo "traffic:"
	sed 's/^/  /' "$traffic"

	python3 "$E2E_ROOT/tests/e2e/check_records.py" --records "$E2E_TMP/records-$mode.jsonl" \
		--traffic "$traffic" --host "$HOST" --cgroup "$E2E_CG_REL" \
		--since "$since" --until "$until" \
		--geoip "$E2E_ROOT/tests/data/test-geoip.csv" \
		--jurisdictions "$E2E_ROOT/data/jurisdictions.csv" || failed=1
}

head -c 300000 /dev/urandom >"$E2E_TMP/file"
datapath_pass socket
datapath_pass socket 0
datapath_pass packet
[ $failed -eq 0 ] || e2e_fail "datapath: see above"
echo "PASS: datapath"
