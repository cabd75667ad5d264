#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Long-lived flows: with update_interval = 1, a flagged TCP flow that lasts
# six seconds gives flow_start, at least two flow_update and one flow_end,
# all of one flow (same cookie and start), with bytes and packets that only
# grow, and the end's totals equal to the whole flow's. A flow older than
# the agent is reported from its next send, with its owner and whole totals.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged
N=100000

e2e_setup

cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
update_interval = 1
[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF

e2e_agent_start "$E2E_TMP/agent.conf"
e2e_in "$E2E_TRAFFIC" tcp-slow $DST "$E2E_PORT" $N >"$E2E_TMP/traffic.jsonl" ||
	e2e_fail "tcp-slow"
sleep 1
e2e_agent_stop

python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/traffic.jsonl" $N <<'PY' || e2e_fail "updates"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
made = json.loads(open(sys.argv[2]).readline())
sport = (made["flows"][0] if "flows" in made else made)["sport"]
flow = [r for r in recs if r.get("sport") == sport and r.get("dst") == "198.51.100.7"]
kinds = [r["event"] for r in flow]
assert kinds[0] == "flow_start" and kinds[-1] == "flow_end", kinds
assert kinds.count("flow_update") >= 2, kinds
assert len({r["cookie"] for r in flow}) == 1 and len({r["start"] for r in flow}) == 1
for a, b in zip(flow, flow[1:]):
    assert b["bytes"] >= a["bytes"] and b["packets"] >= a["packets"], (a, b)
    assert b["ts"] >= a["ts"]
assert flow[-1]["bytes"] >= int(sys.argv[3]) + 40 * flow[-1]["packets"], flow[-1]
print("updates:", kinds.count("flow_update"), "end bytes", flow[-1]["bytes"])
PY

# A connection older than the agent: adopted when it starts, reported at
# its next send with its owner, and counted from its first segment.
e2e_in "$E2E_TRAFFIC" tcp-slow $DST "$E2E_PORT" $N >"$E2E_TMP/old.jsonl" &
old=$!
E2E_PIDS+=("$old")
sleep 0.5
e2e_agent_start "$E2E_TMP/agent.conf"
wait $old || e2e_fail "tcp-slow older than the agent"
sleep 1
e2e_agent_stop

python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/old.jsonl" $N <<'PY' || e2e_fail "older flow"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
made = json.loads(open(sys.argv[2]).readline())
flow = [r for r in recs if r.get("sport") == made["sport"] and r.get("dst") == made["dst"]]
kinds = [r["event"] for r in flow]
assert kinds and kinds[0] == "flow_start" and kinds[-1] == "flow_end", kinds
for r in flow:
    assert r["pid"] == made["pid"] and r["comm"] == made["comm"], r
    assert r["verdict"] == "flagged" and r["proto"] == "tcp", r
end = flow[-1]
assert end["packets"] >= made["tcpi_segs_out"], (end, made)
assert end["bytes"] >= int(sys.argv[3]) + 40 * end["packets"], end
print("older flow:", kinds, "end bytes", end["bytes"])
PY
echo "PASS: flow updates"
