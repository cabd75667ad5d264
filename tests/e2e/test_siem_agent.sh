#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The agent itself feeding a real rsyslogd over RELP: flagged flows, the
# agent's own records and heartbeats carrying the feed's lag arrive, and
# `status` shows the destination. The agent is then killed (SIGKILL) and
# started again: its feed resumes from the cursor, and in the end every
# selected record of the trail has arrived, with no gap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siem_lib.sh"

DST=198.51.100.7	# US: flagged
HOST=e2e-agent
PORT=10514		# in the client namespace, where agent and rsyslogd run

e2e_setup

siem_rsyslog_conf
siem_input imrelp $PORT agent
rsyslog_in_ns()
{
	nsenter --net="/run/netns/$E2E_CNS" rsyslogd -n -f "$E2E_TMP/rsyslog.conf" \
		-i "$E2E_TMP/rsyslog.pid" >>"$E2E_TMP/rsyslog.err" 2>&1 &
	SIEM_RSYSLOG_PID=$!
	E2E_PIDS+=("$SIEM_RSYSLOG_PID")
	e2e_wait_for 10 e2e_ns "$E2E_CNS" sh -c "ss -Hltn 'sport = :$PORT' | grep -q ." ||
		e2e_fail "rsyslogd not listening: $(cat "$E2E_TMP/rsyslog.err")"
}
rsyslog_in_ns

cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
hostname = $HOST
log_dir = $E2E_TMP/log
heartbeat_interval = 1
[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
[siem soc]
target = relp://127.0.0.1:$PORT
format = json-ecs
backoff_cap = 1
CONF

traffic()
{
	local i

	for i in $(seq "$1"); do
		e2e_in "$E2E_TRAFFIC" tcp4 $DST "$E2E_PORT" 2000 >>"$E2E_TMP/traffic.jsonl" \
			2>>"$E2E_TMP/traffic.err" || e2e_fail "traffic: $(tail -n 1 "$E2E_TMP/traffic.err")"
	done
}

e2e_agent_start "$E2E_TMP/agent.conf"
traffic 5
sleep 2.5
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status exited $?"
python3 - "$E2E_TMP/status.json" <<'PY' || e2e_fail "status has no SIEM feed"
import json, sys
s = json.load(open(sys.argv[1]))["agent"]["siem"][0]
assert s["name"] == "soc" and s["target"].startswith("relp://"), s
assert s["connected"] and s["acked"] > 0 and "lag_records" in s and "lag_seconds" in s, s
print("status: soc acked %d, lag %d records, %.3f s" % (s["acked"], s["lag_records"], s["lag_seconds"]))
PY
e2e_check_prom --rules "$E2E_ROOT/etc/egress-audit.rules.yml" || e2e_fail "status --prometheus"
# the release and commit, as `version` gives them, in the status
"$E2E_BIN" version -j >"$E2E_TMP/version.json" || e2e_fail "version exited $?"
/usr/bin/python3 - "$E2E_TMP/version.json" "$E2E_TMP/status.json" <<'PY' || e2e_fail "status: version"
import json, re, sys
v = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))["agent"]
assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", v["version"]), v
assert re.fullmatch(r"([0-9a-f]{12}(-dirty)?)?", v["commit"]), v
assert (s["version"], s["commit"]) == (v["version"], v["commit"]), (s, v)
PY
version=$(/usr/bin/python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))
print(v["version"] + (" (commit " + v["commit"] + ")" if v["commit"] else ""))' "$E2E_TMP/version.json")
# the readable status: the agent, what it watches, the destination
"$E2E_BIN" status --state-dir "$E2E_TMP/state" >"$E2E_TMP/status.txt" || e2e_fail "status exited $?"
for want in "^agent      pid $E2E_AGENT_PID on $HOST, started 20" \
	"^version    $version\$" \
	"^watching   $E2E_CG in audit mode, recording flagged flows\$" \
	"^ring       4096 KiB, flood limit 1000 events a second per process past 3072 KiB unread\$" \
	"^records    [1-9][0-9]* made, 0 bad events, 0 tampers\$" \
	"^trail      $E2E_TMP/log/$HOST: writing, [0-9]* records written, durable to seq [0-9]*, [0-9.]* [KMGTPE]i\?B free\$" \
	"^geoip      [0-9]* ranges, " "^maps       [0-9.]* MiB of kernel memory in " \
	"^siem       soc, relp://127.0.0.1:$PORT: connected, acknowledged seq [1-9]" \
	"^US  adequacy-partial flagged "; do
	grep -q "$want" "$E2E_TMP/status.txt" ||
		e2e_fail "status: no line matching '$want' in: $(cat "$E2E_TMP/status.txt")"
done

# killed while it runs, then started again
pid=$E2E_AGENT_PID
traffic 3
{
	kill -KILL "$pid"
	wait "$pid"
} 2>/dev/null
E2E_AGENT_PID=
rm -rf "/sys/fs/bpf/egress-audit-$pid"
cursor=$(cat "$E2E_TMP/log/$HOST/cursors/soc")
e2e_agent_start "$E2E_TMP/agent.conf"
traffic 5
sleep 1.5
e2e_agent_stop
siem_rsyslog_stop --settle

"$SIEM_TRAIL_BIN" dump "$E2E_TMP/log/$HOST" >"$E2E_TMP/dump.jsonl" || e2e_fail "dump"
last=$(siem_last_seq)
[ "$(cat "$E2E_TMP/log/$HOST/cursors/soc")" = "$last" ] ||
	e2e_fail "cursor $(cat "$E2E_TMP/log/$HOST/cursors/soc"), want $last"
grep -q '"action":"agent_stop"' "$E2E_TMP/agent.log" || e2e_fail "no agent_stop delivered"
grep -q '"siem":{"soc":{"acked":' "$E2E_TMP/agent.log" || e2e_fail "no heartbeat with the lag"
siem_check agent --format json-ecs
# a flow found by the Community ID its SIEM message carries: who sent it
read -r cid cseq cpid < <(/usr/bin/python3 -c 'import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line[line.index("{"):]) if "{" in line else {}
    if "community_id" in m.get("network", {}):
        print(m["network"]["community_id"], m["egress_audit"]["seq"], m["process"]["pid"])
        break' "$E2E_TMP/agent.log")
[ -n "$cid" ] || e2e_fail "no SIEM message with a Community ID"
"$E2E_BIN" query -j --log-dir "$E2E_TMP/log" --community-id "$cid" >"$E2E_TMP/by-id.jsonl" ||
	e2e_fail "query --community-id exited $?"
/usr/bin/python3 - "$E2E_TMP/by-id.jsonl" "$cseq" "$cpid" <<'PY' ||
import json, sys
recs = [json.loads(line) for line in open(sys.argv[1])]
seq, pid = int(sys.argv[2]), int(sys.argv[3])
assert seq in [r["seq"] for r in recs], "the message's record is not among them"
tuples = {(r["src"], r["sport"], r["dst"], r["dport"], r["proto"], r["pid"]) for r in recs}
assert len(tuples) == 1 and next(iter(tuples))[5] == pid, tuples
assert {r["event"] for r in recs} == {"flow_start", "flow_end"}, recs
PY
	e2e_fail "query --community-id $cid: $(cat "$E2E_TMP/by-id.jsonl")"

# every start says which egress-audit made the records after it
"$E2E_BIN" query -j --log-dir "$E2E_TMP/log" --event agent_start >"$E2E_TMP/starts.jsonl" ||
	e2e_fail "query exited $?"
/usr/bin/python3 - "$E2E_TMP/version.json" "$E2E_TMP/starts.jsonl" <<'PY' ||
import json, sys
v = json.load(open(sys.argv[1]))
starts = [json.loads(line) for line in open(sys.argv[2])]
assert len(starts) == 2, starts
for r in starts:
    d = r["detail"]
    assert (d["version"], d["commit"]) == (v["version"], v["commit"]), (d, v)
PY
	e2e_fail "agent_start records without the version: $(cat "$E2E_TMP/starts.jsonl")"
echo "PASS: agent feed; killed at cursor $cursor, resumed, all $last records delivered"
