#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The flood limit: one process's burst of flagged UDP flows must not crowd
# another's records out of the ring buffer. The agent is stopped while a
# flooder makes 2000 flows and then a victim makes 20 (a 64 KiB ring holds
# about 400 events). With flood_limit = 50 the flooder is refused once the
# ring is three quarters full, every victim event is a record, and the
# refused events are lost records naming the flooder, equal to the kernel's
# counters. Then a reload (SIGHUP) sets flood_limit = 0 and the same run
# loses victim events: the limit, not the ring's size, is what kept them,
# and a reload changes it.
. "$(dirname "$0")/lib.sh"

FLOOD=2000
VICTIM=20
DST=198.51.100.7	# US: flagged

e2e_setup

# A flood to port $1 and the victim's flows to port $2, the agent stopped;
# the reports of both, and status once the agent has read everything.
flood_round()
{
	kill -STOP "$E2E_AGENT_PID" || e2e_fail "SIGSTOP agent"
	e2e_in "$E2E_TRAFFIC" udp-burst $DST "$1" $FLOOD >"$E2E_TMP/flooder.json" ||
		e2e_fail "flooder"
	e2e_in "$E2E_TRAFFIC" udp-burst $DST "$2" $VICTIM >"$E2E_TMP/victim.json" ||
		e2e_fail "victim"
	kill -CONT "$E2E_AGENT_PID" || e2e_fail "SIGCONT agent"
	# one tick of the agent's loop reports lost and refused counts
	sleep 2
	e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"
}

applied() { test "$(grep -c 'reload: GeoIP and policy now' "$E2E_TMP/agent.err")" -gt 0; }

e2e_burst_config 64 "flood_limit = 50"
e2e_agent_start "$E2E_TMP/agent.conf"
flood_round "$E2E_PORT" $((E2E_PORT + 1))
grep '"lost"' "$E2E_TMP/records.jsonl"
python3 "$E2E_ROOT/tests/e2e/check_flood.py" "$E2E_TMP/records.jsonl" \
	"$E2E_TMP/flooder.json" "$E2E_TMP/victim.json" "$E2E_TMP/status.json" ||
	e2e_fail "flood limit 50"

mv "$E2E_TMP/status.json" "$E2E_TMP/status-limit.json"
seen=$(wc -l <"$E2E_TMP/records.jsonl")
e2e_burst_config 64 "flood_limit = 0"
e2e_trail_dir "$E2E_TMP/agent.conf"	# the same trail: a reload cannot move it
kill -HUP "$E2E_AGENT_PID"
e2e_wait_for 10 applied || e2e_fail "reload not applied: $(tail -3 "$E2E_TMP/agent.err")"
flood_round $((E2E_PORT + 2)) $((E2E_PORT + 3))
e2e_agent_stop
tail -n +$((seen + 1)) "$E2E_TMP/records.jsonl" >"$E2E_TMP/records-nolimit.jsonl"
python3 "$E2E_ROOT/tests/e2e/check_flood.py" "$E2E_TMP/records-nolimit.jsonl" \
	"$E2E_TMP/flooder.json" "$E2E_TMP/victim.json" "$E2E_TMP/status.json" \
	--no-limit --baseline "$E2E_TMP/status-limit.json" ||
	e2e_fail "no flood limit"

# the config records say which limit was in force: 50 at start, 0 after the reload
grep -q '"event":"config".*"ringbuf_size":64,"flood_limit":50}' "$E2E_TMP/records.jsonl" ||
	e2e_fail "no config record with flood_limit 50"
grep -q '"event":"config".*"reload":"applied".*"flood_limit":0}' "$E2E_TMP/records.jsonl" ||
	e2e_fail "no reload record with flood_limit 0"

# report states what its window is missing, from the trail's lost records
"$E2E_BIN" report --log-dir "$E2E_TMP/trail" >"$E2E_TMP/report.txt" ||
	e2e_fail "report"
"$E2E_BIN" report --log-dir "$E2E_TMP/trail" --html "$E2E_TMP/report.html" ||
	e2e_fail "report --html"
"$E2E_BIN" version -j >"$E2E_TMP/version.json" || e2e_fail "version"
python3 - "$E2E_TMP/records.jsonl" "$E2E_TMP/report.txt" "$E2E_TMP/report.html" \
	"$E2E_TMP/version.json" <<'PY' ||
import json, sys
v = json.load(open(sys.argv[4]))
build = "egress-audit " + v["version"] + (f" (commit {v['commit']})" if v["commit"] else "")
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
lost = [r for r in records if r["event"] == "lost"]
refused = sum(r["count"] for r in lost if r.get("detail", {}).get("reason") == "flood_limit")
skipped = sum(r["count"] for r in lost if r.get("detail", {}).get("reason") == "skipped")
ring = sum(r["count"] for r in lost if "detail" not in r)
starts = sum(r["event"] == "agent_start" for r in records)
stops = sum(r["event"] == "agent_stop" for r in records)
want = (f"missing from the trail in this window: {ring + refused} events lost ({ring} ring "
        f"buffer full, {refused} refused by the flood limit), {skipped} program runs the "
        f"kernel skipped, 0 records not written; "
        f"0 tamper records, {starts} agent starts, {stops} agent stops")
agents, got = open(sys.argv[2], encoding="utf-8").read().splitlines()[-2:]
print(agents)
print(got)
html = open(sys.argv[3], encoding="utf-8").read()
cell = f'refused by the flood limit</td><td class="n bad">{refused}</td>'
para = f"<p>Agents started in this window: {build}</p>"
ok = got == want and refused > 0 and ring > 0 and starts == stops == 1 and cell in html and \
    agents == f"agents started in this window: {build}" and para in html
sys.exit(0 if ok else f"FAIL: report says\n  {agents}\n  {got}\nexpected\n  {build}\n  {want}\n"
         f"(html cell: {cell in html}, builds: {para in html})")
PY
	e2e_fail "report's missing line"
echo "PASS: flood"
