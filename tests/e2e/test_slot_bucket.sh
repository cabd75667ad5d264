#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The slots of TCP flows in buckets ([agent] tcp_slots = 8: one bucket of
# eight, which every socket's cookie names): twelve flagged connections
# held open at once take the eight slots, and the four that find the
# bucket full keep their state in socket storage, counted (tcp_slots_full
# 4). status shows eight slots in use while they are open and none after.
# Every connection gets its flow_start and flow_end with the bytes it
# sent, whichever holds its state.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged
CONNS=12

e2e_setup
e2e_flagged_config "tcp_slots = 8"
e2e_agent_start "$E2E_TMP/agent.conf"

# twelve connections in the test's cgroup, each sending its index + 1
# bytes, held until the release file is made (at most 60 s)
e2e_in /usr/bin/python3 -c "
import os, socket, time
conns = [socket.create_connection(('$DST', $E2E_PORT)) for _ in range($CONNS)]
for i, s in enumerate(conns):
    s.sendall(b'x' * (i + 1))
print(' '.join(f'{s.getsockname()[1]}:{i + 1}' for i, s in enumerate(conns)), flush=True)
for _ in range(1200):
    if os.path.exists('$E2E_TMP/release'):
        break
    time.sleep(0.05)
for s in conns:
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()" >"$E2E_TMP/held.out" &
E2E_PIDS+=($!)
e2e_wait_for 10 test -s "$E2E_TMP/held.out" || e2e_fail "the connections did not start"
starts() { grep -c '"event":"flow_start"' "$E2E_TMP/records.jsonl"; }
all_started() { [ "$(starts)" -eq $CONNS ]; }
e2e_wait_for 10 all_started || e2e_fail "$(starts) flow_start records, expected $CONNS"
e2e_status >"$E2E_TMP/held.json" || e2e_fail "status while held"

touch "$E2E_TMP/release"
ends() { grep -c '"event":"flow_end"' "$E2E_TMP/records.jsonl"; }
all_ended() { [ "$(ends)" -eq $CONNS ]; }
e2e_wait_for 10 all_ended || e2e_fail "$(ends) flow_end records, expected $CONNS"
sleep 1
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"

python3 - "$E2E_TMP/held.json" "$E2E_TMP/records.jsonl" "$(cat "$E2E_TMP/held.out")" <<'PY' ||
import json, sys

held, records, conns = sys.argv[1:]
st = json.load(open(held))
maps = {m["name"]: m for m in st["agent"]["maps"]}
used, full = maps["tcp_socks"].get("entries"), st["counters"].get("tcp_slots_full")
if (used, full) != (8, 4):
    sys.exit(f"FAIL: held: tcp_socks entries {used}, tcp_slots_full {full}, expected 8 and 4")
if maps["tcp_socks"]["max_entries"] != 8 or maps["tcp_sock_keys"]["max_entries"] != 1:
    sys.exit(f"FAIL: slot maps sized {maps['tcp_socks']['max_entries']} and "
             f"{maps['tcp_sock_keys']['max_entries']}, expected 8 slots in 1 bucket")
sent = {int(p): int(n) for p, n in (c.split(":") for c in conns.split())}
recs = [json.loads(line) for line in open(records)]
for port, n in sent.items():
    mine = [r for r in recs if r.get("sport") == port]
    events = [r["event"] for r in mine]
    if events != ["flow_start", "flow_end"]:
        sys.exit(f"FAIL: port {port}: records {events}")
    end = mine[-1]
    # the payload, a TCP/IP header of 52 bytes per segment at least
    if end["verdict"] != "flagged" or end["dst"] != "198.51.100.7" or \
       end["bytes"] < n + 52 * end["packets"] or end["packets"] < 3:
        sys.exit(f"FAIL: port {port} sent {n} bytes: {end}")
print(f"ok: {len(sent)} connections, 8 in slots and 4 in socket storage, each recorded")
PY
	e2e_fail "slot bucket: see above"
e2e_check_slots_free "$E2E_TMP/status.json" storage || e2e_fail "slots left"
echo "PASS: slot bucket"
