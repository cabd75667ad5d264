#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A connect() on a socket whose slot the agent's sweep ended (its close
# unseen by the datapath) and has not freed yet: the slot is taken back
# and restarted in place, the new connection is recorded with its every
# field, and its close frees the slot (a swept slot is otherwise freed
# only by the next sweep, an hour away here).
. "$(dirname "$0")/lib.sh"

TAMPER=$E2E_ROOT/build/tests/e2e-ea/tamper
DST=198.51.100.7	# US: flagged
HOST=e2e-host.example

e2e_setup
e2e_flagged_config "hostname = $HOST
slot_sweep = 3600"
e2e_agent_start "$E2E_TMP/agent.conf"

# a socket whose cookie is known before it connects; it connects once the
# swept slot is planted under that cookie
e2e_in /usr/bin/python3 -c "
import os, socket, time
SO_COOKIE = 57
s = socket.socket()
print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8), 'little'), flush=True)
for _ in range(200):
    if os.path.exists('$E2E_TMP/planted'):
        break
    time.sleep(0.05)
s.connect(('$DST', $E2E_PORT))
print(s.getsockname()[1], flush=True)
s.sendall(b'x' * 1000)
s.close()" >"$E2E_TMP/client.out" &
E2E_PIDS+=($!)
e2e_wait_for 5 test -s "$E2E_TMP/client.out" || e2e_fail "the client did not start"
COOKIE=$(head -1 "$E2E_TMP/client.out")
e2e_ns "$E2E_CNS" "$TAMPER" swept "$E2E_CG" connect4 "$COOKIE" || e2e_fail "tamper swept"
touch "$E2E_TMP/planted"
ended() { grep -q "\"event\":\"flow_end\".*\"cookie\":$COOKIE," "$E2E_TMP/records.jsonl"; }
e2e_wait_for 10 ended || e2e_fail "the connection on the swept slot got no flow_end"
SPORT=$(sed -n 2p "$E2E_TMP/client.out")
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"

PYTHONPATH="$E2E_ROOT/tests/e2e" python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/status.json" \
	"$COOKIE" "$SPORT" "$HOST" <<'PY' ||
import json, sys
from check_records import field_mismatches, records_of_cookie

records, status, cookie, sport, host = sys.argv[1:]
cookie, sport = int(cookie), int(sport)
mine = records_of_cookie(records, cookie)
if [r["event"] for r in mine] != ["flow_start", "flow_end"]:
    sys.exit(f"FAIL: the reconnected socket's records: {[r['event'] for r in mine]}")
want = {"host": host, "verdict": "flagged", "proto": "tcp", "family": 4, "src": "192.0.2.1",
        "sport": sport, "dst": "198.51.100.7", "dport": 5201, "country": "US",
        "zone": "adequacy-partial", "comm": "python3", "origin": "socket", "ip_proto": 6,
        "mapped": False}
for r in mine:
    bad = field_mismatches(r, want)
    if bad:
        sys.exit(f"FAIL: {r['event']} of the reconnected socket (got, want): {bad}")
end = mine[1]
# the new connection's own counts, none of the planted flow's (3 packets, 160 bytes)
if end["packets"] < 4 or end["bytes"] < 1000 + 40 * end["packets"]:
    sys.exit(f"FAIL: flow_end counts {end['packets']} packets, {end['bytes']} bytes")
if not mine[0]["start"] <= end["ts"]:
    sys.exit(f"FAIL: the flow ends before it starts: {mine}")
st = json.load(open(status))
busy = st["counters"].get("tcp_swept_slots_busy", 0)
if busy:
    sys.exit(f"FAIL: tcp_swept_slots_busy {busy}: no sweep ran to free the slot")
print("ok: the connection on a swept slot was recorded with its own counts")
PY
	e2e_fail "slot reconnect: see above"
e2e_check_slots_free "$E2E_TMP/status.json" || e2e_fail "slots left"
echo "PASS: slot reconnect"
