#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A labelled cgroup that is not there when the agent starts (its service
# not started yet, as at boot): `check` and `run` warn, naming the line,
# and go on; once the cgroup is made, the first flow of a process in it is
# flagged with the label and the cgroup as evidence. A path with ".." that
# does not exist is still refused, as one too deep is.
. "$(dirname "$0")/lib.sh"

US=198.51.100.7		# US: flagged for a label allowed eu only
e2e_setup
LATER=$E2E_CG/later
cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
[label crm]
cgroup = $E2E_CG_REL/later
allow = eu
CONF
e2e_trail_dir "$E2E_TMP/agent.conf"
line=$(grep -n '^cgroup = ' "$E2E_TMP/agent.conf" | cut -d: -f1)
want="warning: $E2E_TMP/agent.conf:$line: [label crm] $E2E_CG_REL/later: not there yet; its processes carry the label once it is made"

"$E2E_BIN" -c "$E2E_TMP/agent.conf" check --cgroup "$E2E_CG" >"$E2E_TMP/check.out" \
	2>"$E2E_TMP/check.err" || e2e_fail "check: $(cat "$E2E_TMP/check.err")"
grep -qF "$want" "$E2E_TMP/check.err" || e2e_fail "check: $(cat "$E2E_TMP/check.err")"

e2e_agent_start "$E2E_TMP/agent.conf"
grep -qF "$want" "$E2E_TMP/agent.err" || e2e_fail "run: no warning: $(cat "$E2E_TMP/agent.err")"
mkdir "$LATER" || e2e_fail "mkdir $LATER"
L_CG=$LATER e2e_ns "$E2E_CNS" sh -c 'echo $$ > "$L_CG/cgroup.procs" && exec "$@"' sh \
	"$E2E_TRAFFIC" tcp4 $US "$E2E_PORT" 1000 >"$E2E_TMP/traffic.json" || e2e_fail "traffic"
flagged() { grep -q '"event":"flow_end"' "$E2E_TMP/records.jsonl"; }
e2e_wait_for 5 flagged || e2e_fail "no flow_end recorded"
e2e_agent_stop
python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/traffic.json" "$E2E_CG_REL/later" <<'PY' ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
made = json.load(open(sys.argv[2]))
flow = [r for r in recs if r.get("sport") == made["sport"] and r.get("dst") == made["dst"]]
want = {"verdict": "flagged", "labels": ["crm"], "evidence": {"crm": ["cgroup " + sys.argv[3]]},
        "cgroup": sys.argv[3], "pid": made["pid"]}
if [r["event"] for r in flow] != ["flow_start", "flow_end"]:
    sys.exit(f"FAIL: records of the flow: {[r['event'] for r in flow]}")
for r in flow:
    bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
    if bad:
        sys.exit(f"FAIL: {r['event']} (got, want): {bad}")
PY
	e2e_fail "records"

# a path that does not exist and goes through "..": refused, named by its line
sed -i "s|^cgroup = .*|cgroup = $E2E_CG_REL/later/../nope|" "$E2E_TMP/agent.conf"
rc=0
"$E2E_BIN" -c "$E2E_TMP/agent.conf" check --cgroup "$E2E_CG" >/dev/null 2>"$E2E_TMP/check.err" ||
	rc=$?
[ $rc -eq 2 ] && grep -qF "agent.conf:$line: [label crm] $E2E_CG_REL/later/../nope: No such file or directory" \
	"$E2E_TMP/check.err" || e2e_fail "check with ..: exit $rc: $(cat "$E2E_TMP/check.err")"
echo "PASS: label cgroup made after the start"
