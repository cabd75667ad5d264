#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A full disk under a running agent ([agent] disk_full_action = suspend):
# the agent's trail lives on a tmpfs of 128 KiB that flagged flows fill.
# The trail must suspend and say so in status (text, JSON and metrics, held
# against each other by check_prom.py), count what it refuses and keep
# every record on standard output; once the tmpfs is made larger it must
# write again, with one gap record that counts exactly the records it
# refused, and verify must pass.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged
LOG=$E2E_TMP/small/log

e2e_setup
e2e_mount_tmpfs "$E2E_TMP/small" size=128k
cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
log_dir = $LOG
rotate_size = 64K
retain_size = 0
flush = incremental
disk_full_action = suspend
update_interval = 3600

[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF
e2e_agent_start "$E2E_TMP/agent.conf"
HOST=$(hostname)

trail_state() { e2e_status | /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["agent"]["trail"]["state"])'; }
suspended() { [ "$(trail_state)" = suspended ]; }
writing() { [ "$(trail_state)" = writing ]; }

[ "$(trail_state)" = writing ] || e2e_fail "trail not writing at start: $(e2e_status)"

# flagged flows, 2500 at a time, until the agent says the trail is suspended
port=$E2E_PORT
full="trail: $LOG/$HOST: writing failed (No space left on device): suspended"
for round in $(seq 1 20); do
	e2e_in "$E2E_TRAFFIC" udp-burst $DST $port 2500 >/dev/null || e2e_fail "udp-burst"
	port=$((port + 1))
	sleep 0.5	# the agent writes a batch's block at once (flush = incremental)
	grep -q "$full" "$E2E_TMP/agent.err" && break
done
grep -q "$full" "$E2E_TMP/agent.err" ||
	e2e_fail "trail not suspended after $round rounds: $(df -k "$E2E_TMP/small" | tail -1)"
echo "suspended after $round rounds of 2500 flows"
e2e_wait_for 3 suspended || e2e_fail "status does not say suspended: $(e2e_status)"

# refused while suspended: more flows, then status in its three forms
e2e_in "$E2E_TRAFFIC" udp-burst $DST $port 200 >/dev/null || e2e_fail "udp-burst"
sleep 2
e2e_check_prom || e2e_fail "status --prometheus while suspended"
/usr/bin/python3 - "$E2E_TMP/prom-after.json" "$E2E_TMP/status.prom" <<'PY' ||
import json, re, sys
t = json.load(open(sys.argv[1]))["agent"]["trail"]
assert t["state"] == "suspended" and t["refused"] > 0, t
assert t["free"] is not None and t["free"] < 64 * 1024, t
prom = open(sys.argv[2]).read()
assert re.search(r"^egress_audit_trail_writing 0(\.0)?$", prom, re.M), prom
assert re.search(r"^egress_audit_trail_refused_records_total [1-9]", prom, re.M), prom
PY
	e2e_fail "status while suspended: $(cat "$E2E_TMP/prom-after.json")"
"$E2E_BIN" status --state-dir "$E2E_TMP/state" >"$E2E_TMP/status.txt" || e2e_fail "status"
want="^trail      $LOG/$HOST: suspended, [0-9]* records written, durable to seq [1-9][0-9]*, [1-9][0-9]* refused, [0-9.]* [KB]"
grep -q "$want" "$E2E_TMP/status.txt" ||
	e2e_fail "status: no line '$want' in $(cat "$E2E_TMP/status.txt")"

# room again: the trail writes on and records the gap
mount -o remount,size=8m "$E2E_TMP/small" || e2e_fail "remount"
e2e_wait_for 10 writing || e2e_fail "trail not writing after the remount: $(e2e_status)"
e2e_in "$E2E_TRAFFIC" udp-burst $DST $((port + 1)) 20 >/dev/null || e2e_fail "udp-burst"
sleep 2
e2e_agent_stop
refused=$(grep -o 'writing again after [0-9]* records were refused' "$E2E_TMP/agent.err" |
	grep -o '[0-9]*')
[ -n "$refused" ] && [ "$refused" -gt 0 ] ||
	e2e_fail "no resumption message: $(cat "$E2E_TMP/agent.err")"

"$E2E_BIN" query --log-dir "$LOG" --event gap -j >"$E2E_TMP/gap.jsonl" ||
	e2e_fail "query --event gap"
/usr/bin/python3 - "$E2E_TMP/gap.jsonl" "$E2E_TMP/records.jsonl" "$refused" <<'PY' ||
import json, sys
gaps = [json.loads(l) for l in open(sys.argv[1])]
assert len(gaps) == 1, gaps
refused = int(sys.argv[3])
assert gaps[0]["detail"]["records"] == refused, (gaps[0], refused)
# every record the trail refused was still printed, without a seq
out = [json.loads(l) for l in open(sys.argv[2])]
unsequenced = [r for r in out if "seq" not in r]
assert len(unsequenced) == refused, (len(unsequenced), refused)
PY
	e2e_fail "gap record: $(cat "$E2E_TMP/gap.jsonl")"
"$E2E_BIN" verify --log-dir "$LOG" >"$E2E_TMP/verify.txt" 2>&1 ||
	e2e_fail "verify after the gap: $(cat "$E2E_TMP/verify.txt")"
echo "PASS: full disk: $refused records refused and counted, one gap record, verify passes"
