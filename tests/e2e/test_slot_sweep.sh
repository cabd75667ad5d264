#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The sweep of tcp_socks ([agent] slot_sweep = 1): a flagged connection
# held open across several sweeps keeps its slot and gets no flow_end
# before its close; a slot planted for a connection that never was (what
# a close the kernel never showed the datapath leaves behind) has its flow
# ended by the agent, with the flow's every field, and is freed.
. "$(dirname "$0")/lib.sh"

TAMPER=$E2E_ROOT/build/tests/e2e-ea/tamper
DST=198.51.100.7	# US: flagged
HOST=e2e-host.example
COOKIE=9223372036854775001	# no socket has it: the generator counts from 1

e2e_setup
e2e_flagged_config "hostname = $HOST
slot_sweep = 1"
e2e_agent_start "$E2E_TMP/agent.conf"

# one connection held open, in the test's cgroup, until the file release is
# made (at most 60 s)
e2e_in /usr/bin/python3 -c "
import os, socket, time
s = socket.create_connection(('$DST', $E2E_PORT))
print(s.getsockname()[1], flush=True)
s.send(b'x')
for _ in range(1200):
    if os.path.exists('$E2E_TMP/release'):
        break
    time.sleep(0.05)
s.close()" >"$E2E_TMP/held.out" &
E2E_PIDS+=($!)
e2e_wait_for 5 test -s "$E2E_TMP/held.out" || e2e_fail "the held connection did not start"
SPORT=$(cat "$E2E_TMP/held.out")
records() { grep "\"event\":\"$1\".*\"sport\":$2," "$E2E_TMP/records.jsonl" | wc -l; }
held_has() { [ "$(records "$1" "$SPORT")" -eq 1 ]; }
e2e_wait_for 5 held_has flow_start || e2e_fail "held: no flow_start"

# the slot is planted where the connection's own is: in the client's namespace
e2e_ns "$E2E_CNS" "$TAMPER" slot "$E2E_CG" connect4 $COOKIE || e2e_fail "tamper slot"
swept() { grep -q "\"event\":\"flow_end\".*\"cookie\":$COOKIE," "$E2E_TMP/records.jsonl"; }
# taken before the next sweep, missed by two more: ended within about 3 s
e2e_wait_for 10 swept || e2e_fail "the planted slot's flow was not ended"
# the held slot, taken in the sweep before the planted one's first, is
# judged by the sweeps from the one that ended the planted slot on: three
# more of them must find it
sleep 4
[ "$(records flow_end "$SPORT")" -eq 0 ] ||
	e2e_fail "the held connection, open across the sweeps, got a flow_end"

# its close ends it, once
touch "$E2E_TMP/release"
e2e_wait_for 10 held_has flow_end || e2e_fail "held: no flow_end at its close"
sleep 2	# two more sweeps: none ends it again
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"

PYTHONPATH="$E2E_ROOT/tests/e2e" python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/status.json" \
	"$COOKIE" "$SPORT" "$HOST" <<'PY' ||
import json, sys
from check_records import load_jsonl, planted_end_error, planted_flow_end

records, status, cookie, sport, host = sys.argv[1:]
cookie, sport = int(cookie), int(sport)
recs = load_jsonl(records, "a record")
want = planted_flow_end(host, cookie, proto="tcp", sport=9999, dport=9, packets=3, bytes=160,
                        ip_proto=6)
err = planted_end_error(records, cookie, want, "the planted slot")
if err:
    sys.exit(f"FAIL: {err}")
held = [r["event"] for r in recs if r.get("sport") == sport]
if held != ["flow_start", "flow_end"]:
    sys.exit(f"FAIL: the held connection's records: {held}")
st = json.load(open(status))
if st["agent"]["slots_swept"] != 1:
    sys.exit(f"FAIL: slots_swept {st['agent']['slots_swept']}, expected 1")
print("ok: the planted slot ended once with its every field; the held connection's slot "
      "kept until its close")
PY
	e2e_fail "slot sweep: see above"
e2e_check_slots_free "$E2E_TMP/status.json" || e2e_fail "slots left"
echo "PASS: slot sweep"
