#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A full disk under a running agent, once for each [agent]
# disk_full_action. The agent's trail lives on a small tmpfs that flagged
# flows fill.
# - suspend: the trail must suspend and say so in status (text, JSON and
#   metrics, held against each other by check_prom.py), count what it
#   refuses and keep every record on standard output; once the tmpfs is
#   made larger it must write again, with one gap record that counts
#   exactly the records it refused, and verify must pass.
# - rotate: the oldest segments must go, with a retention record of reason
#   disk_full; the trail never suspends, and verify passes.
# - halt-logging: the trail must halt for good and say so, status too,
#   while every record is still printed.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged
HOST=$(hostname)
FULL="writing failed (No space left on device)"

e2e_setup

# An agent whose trail is in $E2E_TMP/$1 (a tmpfs of $2), disk_full_action $3.
start_on_tmpfs()
{
	LOG=$E2E_TMP/$1/log
	e2e_mount_tmpfs "$E2E_TMP/$1" "size=$2"
	cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
log_dir = $LOG
rotate_size = 64K
retain_size = 0
flush = incremental
disk_full_action = $3
update_interval = 3600

[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF
	e2e_agent_start "$E2E_TMP/agent.conf"
	[ "$(trail_state)" = writing ] || e2e_fail "$3: trail not writing at start: $(e2e_status)"
}

trail_state() { e2e_status | /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["agent"]["trail"]["state"])'; }
suspended() { [ "$(trail_state)" = suspended ]; }
writing() { [ "$(trail_state)" = writing ]; }

# Flagged flows, 2500 at a time (at most 20 rounds), until "$@" holds.
port=$E2E_PORT
fill_until()
{
	for round in $(seq 1 20); do
		e2e_in "$E2E_TRAFFIC" udp-burst $DST $port 2500 >/dev/null || e2e_fail "udp-burst"
		port=$((port + 1))
		sleep 0.5	# the agent writes a batch's block at once (flush = incremental)
		"$@" && return 0
	done
	e2e_fail "not done after $round rounds ($*): $(df -k "$LOG" | tail -1)"
}

said() { grep -q "$1" "$E2E_TMP/agent.err"; }
more_flows() { e2e_in "$E2E_TRAFFIC" udp-burst $DST $port "$1" >/dev/null || e2e_fail "udp-burst"; }

# --- suspend -------------------------------------------------------------------
start_on_tmpfs suspend 128k suspend
fill_until said "trail: $LOG/$HOST: $FULL: suspended"
e2e_wait_for 3 suspended || e2e_fail "status does not say suspended: $(e2e_status)"

# refused while suspended: more flows, then status in its three forms
more_flows 200
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
mount -o remount,size=8m "$E2E_TMP/suspend" || e2e_fail "remount"
e2e_wait_for 10 writing || e2e_fail "trail not writing after the remount: $(e2e_status)"
more_flows 20
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
echo "ok: suspend: $refused records refused and counted, one gap record, verify passes"

# --- rotate --------------------------------------------------------------------
retention_for_space()
{
	"$E2E_BIN" query --log-dir "$LOG" --event retention -j 2>/dev/null |
		grep -q '"reason":"disk_full"'
}

start_on_tmpfs rotate 256k rotate
fill_until retention_for_space
more_flows 200
sleep 2
writing || e2e_fail "rotate: trail not writing: $(e2e_status)"
e2e_agent_stop
! said suspended || e2e_fail "rotate: the trail suspended: $(cat "$E2E_TMP/agent.err")"
"$E2E_BIN" query --log-dir "$LOG" --event retention -j >"$E2E_TMP/retention.jsonl" ||
	e2e_fail "query --event retention"
/usr/bin/python3 - "$E2E_TMP/retention.jsonl" "$E2E_TMP/records.jsonl" <<'PY' ||
import json, sys
ret = [json.loads(l)["detail"] for l in open(sys.argv[1])]
assert ret and all(d["reason"] == "disk_full" and d["segments"] >= 1 for d in ret), ret
assert ret[0]["from"] == 1, ret
for a, b in zip(ret, ret[1:]):
    assert b["from"] == a["to"] + 1, ret	# one deletion after another, nothing skipped
out = [json.loads(l) for l in open(sys.argv[2])]
assert all("seq" in r for r in out), [r for r in out if "seq" not in r][:3]
PY
	e2e_fail "retention records: $(cat "$E2E_TMP/retention.jsonl")"
"$E2E_BIN" verify --log-dir "$LOG" >"$E2E_TMP/verify.txt" 2>&1 ||
	e2e_fail "verify after retention: $(cat "$E2E_TMP/verify.txt")"
echo "ok: rotate: $(wc -l <"$E2E_TMP/retention.jsonl") retention records (disk_full), never suspended, verify passes"

# --- halt-logging -----------------------------------------------------------------
start_on_tmpfs halt 128k halt-logging
fill_until said "trail: $LOG/$HOST: $FULL: HALTING the trail"
more_flows 200
sleep 2
e2e_status >"$E2E_TMP/halted.json" || e2e_fail "status"
/usr/bin/python3 - "$E2E_TMP/halted.json" <<'PY' || e2e_fail "status when halted: $(cat "$E2E_TMP/halted.json")"
import json, sys
t = json.load(open(sys.argv[1]))["agent"]["trail"]
assert t["state"] == "halted" and t["refused"] > 0, t
PY
mount -o remount,size=8m "$E2E_TMP/halt" || e2e_fail "remount"
sleep 2
[ "$(trail_state)" = halted ] || e2e_fail "halt-logging: the trail wrote again: $(e2e_status)"
e2e_agent_stop
/usr/bin/python3 - "$E2E_TMP/records.jsonl" <<'PY' || e2e_fail "halt-logging: records"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
# from the halt on, records are printed without a seq; before it, with one
first = next(i for i, r in enumerate(out) if "seq" not in r)
assert all("seq" not in r for r in out[first:]), out[first:][:3]
assert any(r["event"] == "flow_start" for r in out[first:]), out[first:][:3]
PY
echo "PASS: full disk: suspend, rotate and halt-logging each as documented"
