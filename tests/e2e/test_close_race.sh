#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Connections reset by their peer while their owner closes them: each of
# COUNT connections gives one flow_start and one flow_end record, and no
# slot of tcp_socks is left taken. The reset closes the connection in
# softirq, where the agent's program at the change to TCP_CLOSE runs
# before the kernel stores the new state; delay_close holds each such
# change of the test's port for 1 ms after the agent's program, and the
# owner closes the socket within that time: the release of its file
# finds the connection still open.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: adequacy-partial, flagged
HOST=e2e-host.example
COUNT=1000
PORT=$((E2E_PORT + 3))

e2e_setup
e2e_flagged_config "hostname = $HOST"
e2e_agent_start "$E2E_TMP/agent.conf"

e2e_ns "$E2E_SNS" "$E2E_TRAFFIC" reset-sink $PORT 2>"$E2E_TMP/reset-sink.err" &
E2E_PIDS+=($!)
e2e_wait_for 5 grep -q listening "$E2E_TMP/reset-sink.err" ||
	e2e_fail "reset-sink did not start: $(cat "$E2E_TMP/reset-sink.err")"
"$E2E_ROOT/build/tests/e2e-ea/delay_close" $PORT 1000 >"$E2E_TMP/delay.out" &
E2E_PIDS+=($!)
e2e_wait_for 10 grep -q attached "$E2E_TMP/delay.out" || e2e_fail "delay_close did not attach"

e2e_in "$E2E_TRAFFIC" reset-race $DST $PORT $COUNT >"$E2E_TMP/traffic.jsonl" ||
	e2e_fail "traffic reset-race"

n_ends() { grep -c "\"flow_end\".*\"dport\":$PORT," "$E2E_TMP/records.jsonl"; }
ends() { [ "$(n_ends)" -ge $COUNT ]; }
# The flows without a flow_end (their other records) and every counter
# that is not 0: what a failure needs to be told apart.
missing_ends() {
	e2e_status >"$E2E_TMP/status.json"
	python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/status.json" "$PORT" <<'PY'
import json, sys

records, status, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
flows = {}
for line in open(records):
    r = json.loads(line)
    if r.get("dport") == port:
        flows.setdefault(r.get("cookie"), []).append(r)
open_flows = [rs for rs in flows.values() if not any(r["event"] == "flow_end" for r in rs)]
st = json.load(open(status))
counters = {k: v for k, v in st.get("counters", {}).items() if v}
agent = st.get("agent", {})
print(f"{len(flows)} flows, {len(open_flows)} without flow_end; records "
      f"{agent.get('records')}, bad events {agent.get('bad_events')}, runs the kernel "
      f"skipped {agent.get('skipped')}; counters: {counters}")
for rs in open_flows[:3]:
    print("  " + "; ".join(f"{r['event']} sport {r.get('sport')} packets {r.get('packets')} "
                           f"ts {r.get('ts')}" for r in rs))
PY
	# handshakes the sink's queue dropped: connections that retransmit, not lost
	# records; and the connections still open on either side
	e2e_ns "$E2E_SNS" nstat -saz TcpExtListenOverflows TcpExtListenDrops | tail -n +2
	e2e_ns "$E2E_CNS" ss -tanoi "( dport = :$PORT )" | head -n 7
	e2e_ns "$E2E_CNS" nstat -saz | grep -v " 0 " | tr -s ' ' | tr '\n' ';' 
	e2e_ns "$E2E_SNS" ss -tanoi "( sport = :$PORT )" | head -n 7
}
# a machine busy with other work may take long to close them all; a lost
# record is missing however long the wait
e2e_wait_for 60 ends ||
	e2e_fail "$(n_ends) flow_end records of $COUNT after 60 s: $(missing_ends 2>&1)"
# the agent writes its status once a second: the first with no slot taken, or the last
slots_free() { e2e_status >"$E2E_TMP/status.json" && e2e_check_slots_free "$E2E_TMP/status.json"; }
e2e_wait_for 5 slots_free >/dev/null

failed=0
python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/traffic.jsonl" "$COUNT" "$DST" "$PORT" \
	"$HOST" "$E2E_CG_REL" <<'PY' || failed=1
import json, sys

records, traffic, count, dst, port, host, cgroup = sys.argv[1:]
count, port = int(count), int(port)
run = json.loads(open(traffic).read())
want = {"verdict": "flagged", "proto": "tcp", "family": 4, "src": "192.0.2.1",
        "dst": dst, "dport": port, "country": "US", "zone": "adequacy-partial",
        "pid": run["pid"], "tid": run["pid"], "comm": "traffic", "uid": 0, "gid": 0,
        "cgroup": cgroup, "host": host, "origin": "socket", "ifindex": 0,
        "ip_proto": 6, "labels": ["host"], "evidence": {}, "mapped": False,
        "routed": False}
flows = {}
for line in open(records):
    r = json.loads(line)
    if r.get("dport") != port:
        continue
    bad = {k: r.get(k) for k, v in want.items() if r.get(k) != v}
    if bad or r["event"] not in ("flow_start", "flow_end"):
        sys.exit(f"FAIL: {r['event']} of cookie {r.get('cookie')}: {bad}")
    flows.setdefault(r["cookie"], {}).setdefault(r["event"], []).append(r)
if len(flows) != count:
    sys.exit(f"FAIL: {len(flows)} flows to port {port}, expected {count}")
for cookie, ev in flows.items():
    if len(ev.get("flow_start", [])) != 1 or len(ev.get("flow_end", [])) != 1:
        sys.exit(f"FAIL: cookie {cookie}: {({k: len(v) for k, v in ev.items()})} records, "
                 "expected one flow_start and one flow_end")
    start, end = ev["flow_start"][0], ev["flow_end"][0]
    # the SYN, the ACK, the byte; then at most an ACK, a FIN, retransmissions
    if not (start["start"] == end["start"] <= start["ts"] <= end["ts"] and
            3 <= end["packets"] <= 8 and
            40 * end["packets"] + 1 <= end["bytes"] <= 60 * end["packets"] + 1 and
            start["cookie"] == end["cookie"] != 0 and
            start["packets"] <= end["packets"] and start["bytes"] <= end["bytes"]):
        sys.exit(f"FAIL: cookie {cookie}:\n  {start}\n  {end}")
print(f"ok: {count} connections reset by the peer, each one flow_start and one flow_end")
PY
e2e_check_slots_free "$E2E_TMP/status.json" || failed=1
[ $failed -eq 0 ] || e2e_fail "close race: see above"
echo "PASS: close race"
