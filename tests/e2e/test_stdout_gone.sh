#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Standard output is a copy of the records: when its reader goes away (a
# pipe whose reader exits), the agent says so once on standard error and
# goes on; no flow is missing from the audit trail, before or after, and
# the agent stops with exit 0. When standard output is the null device
# (as the service runs), no copy is made at all, and the trail is whole.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged
FLOWS=20

e2e_setup

cat >"$E2E_TMP/agent.conf" <<CONF
[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF

# a reader that takes the first 100 bytes and goes
mkfifo "$E2E_TMP/out.fifo"
head -c 100 <"$E2E_TMP/out.fifo" >"$E2E_TMP/head.out" &
reader=$!
E2E_PIDS+=("$reader")
E2E_AGENT_STDOUT=$E2E_TMP/out.fifo e2e_agent_start "$E2E_TMP/agent.conf"

flow() { e2e_in "$E2E_TRAFFIC" tcp4 $DST "$E2E_PORT" 100 >>"$E2E_TMP/made.jsonl" || e2e_fail "flow $1"; }
flow 1
wait $reader || e2e_fail "the reader failed"
for i in $(seq 2 $FLOWS); do
	flow $i
done
gone() { grep -q "standard output: Broken pipe" "$E2E_TMP/agent.err"; }
e2e_wait_for 5 gone || e2e_fail "no word of the lost reader: $(cat "$E2E_TMP/agent.err")"
kill -0 "$E2E_AGENT_PID" 2>/dev/null || e2e_fail "the agent died with its reader"
e2e_agent_stop
[ "$(grep -c "standard output" "$E2E_TMP/agent.err")" -eq 1 ] ||
	e2e_fail "the lost reader is not said exactly once: $(cat "$E2E_TMP/agent.err")"

"$E2E_BIN" query --log-dir "$E2E_TMP/trail" --event flow_end --dst $DST -j \
	>"$E2E_TMP/ends.jsonl" || e2e_fail "query"
python3 - "$E2E_TMP/made.jsonl" "$E2E_TMP/ends.jsonl" <<'PY' || e2e_fail "trail"
import json, sys
made = [json.loads(l) for l in open(sys.argv[1])]
ends = [json.loads(l) for l in open(sys.argv[2])]
want = sorted(m["sport"] for m in made)
got = sorted(e["sport"] for e in ends)
assert got == want, (got, want)
assert all(e["verdict"] == "flagged" and e["country"] == "US" for e in ends), ends
print("trail: %d of %d flows after the reader left" % (len(got), len(want)))
PY

# standard output the null device, as the service has it: no copy is made,
# said once, and the trail holds every flow
rm -rf "$E2E_TMP/trail"
E2E_AGENT_STDOUT=/dev/null e2e_agent_start "$E2E_TMP/agent.conf"
grep -q "standard output is the null device" "$E2E_TMP/agent.err" ||
	e2e_fail "the null device is not noticed: $(cat "$E2E_TMP/agent.err")"
for i in $(seq 1 5); do
	flow $i
done
e2e_agent_stop
"$E2E_BIN" query --log-dir "$E2E_TMP/trail" --event flow_end --dst $DST -j \
	>"$E2E_TMP/ends.jsonl" || e2e_fail "query"
[ "$(wc -l <"$E2E_TMP/ends.jsonl")" -eq 5 ] ||
	e2e_fail "$(wc -l <"$E2E_TMP/ends.jsonl") flow_end records of 5 flows with stdout /dev/null"
echo "PASS: standard output's reader gone; standard output the null device"
