#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Flows kept in udp_flows (an unconnected socket's destinations) end when
# idle: two are planted in a running agent's map after its first status
# found the map empty (the agent skips the sweep of a map empty at its last
# status), one idle for 60 s and one fresh. The idle one gets its flow_end,
# with every field, within a few sweeps and leaves the map; the fresh one
# stays, with no record.
. "$(dirname "$0")/lib.sh"

TAMPER=$E2E_ROOT/build/tests/e2e-ea/tamper
HOST=e2e-host.example
COOKIE=9223372036854775002	# no socket has it: the generator counts from 1

e2e_setup
e2e_flagged_config "hostname = $HOST"
e2e_agent_start "$E2E_TMP/agent.conf"
sleep 1.5	# a status of the empty map

"$TAMPER" idle "$E2E_CG" connect4 $COOKIE || e2e_fail "tamper idle"
ended() { grep -q "\"event\":\"flow_end\".*\"cookie\":$COOKIE," "$E2E_TMP/records.jsonl"; }
e2e_wait_for 10 ended || e2e_fail "the idle flow was not ended"
sleep 2	# two more sweeps: neither ends the fresh flow nor the idle one again
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"

PYTHONPATH="$E2E_ROOT/tests/e2e" python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/status.json" \
	"$COOKIE" "$HOST" <<'PY' ||
import json, sys
from check_records import planted_end_error, planted_flow_end

records, status, cookie, host = sys.argv[1:]
cookie = int(cookie)
want = planted_flow_end(host, cookie, proto="udp", sport=9998, dport=53, packets=1, bytes=64,
                        ip_proto=17)
err = planted_end_error(records, cookie, want, "the idle flow (port 53 only)")
if err:
    sys.exit(f"FAIL: {err}")
maps = {m["name"]: m for m in json.load(open(status))["agent"]["maps"]}
left = maps.get("udp_flows", {}).get("entries")
if left != 1:
    sys.exit(f"FAIL: udp_flows holds {left} flows after the sweep, expected the fresh one")
print("ok: the idle flow ended with every field, the fresh one kept")
PY
	e2e_fail "idle sweep: see above"
echo "PASS: idle sweep"
