#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Root blinding the running agent (threats.md, attacks on the auditor): its
# cgroup link detached, another program put behind a link, its tc filter
# deleted, its settings in the datapath rewritten, its GeoIP results
# rewritten to allow everything, the map naming the watched cgroup
# written. Each change is a `tamper` record naming it, put back within
# seconds, and flagged flows are recorded again after each. A program
# attached alone in the link's place keeps it out: one record, and one when
# it is put back. The interface gone is one record; the watched cgroup removed is a record per link, and
# the agent exits 1.
. "$(dirname "$0")/lib.sh"

TAMPER=$E2E_ROOT/build/tests/e2e-ea/tamper
DST=198.51.100.7	# US: flagged

e2e_setup
cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
interfaces = $E2E_CIF
[geoip]
file = $E2E_ROOT/tests/data/test-geoip.csv
CONF
e2e_agent_start "$E2E_TMP/agent.conf"

flagged() { grep -c "\"event\":\"flow_start\".*\"proto\":\"tcp\".*\"dst\":\"$DST\"" "$E2E_TMP/records.jsonl"; }
flagged_is() { test "$(flagged)" -eq "$1"; }
tampers() { grep -c '"event":"tamper"' "$E2E_TMP/records.jsonl"; }
tampers_are() { test "$(tampers)" -eq "$1"; }

# one TCP flow to DST, which must be flagged: the n-th so far
send_flagged()
{
	e2e_in "$E2E_TRAFFIC" tcp4 $DST "$E2E_PORT" 100 >/dev/null || e2e_fail "send"
	e2e_wait_for 5 flagged_is "$1" || e2e_fail "$2: flow $1 not flagged ($(flagged))"
}

# the n-th tamper record must be exactly this detail, and no other came
expect_tamper()
{
	local n=$1 want=$2 got

	e2e_wait_for 5 tampers_are "$n" || e2e_fail "no tamper record for $want ($(tampers))"
	got=$(grep '"event":"tamper"' "$E2E_TMP/records.jsonl" | sed -n "${n}p" |
	      python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["detail"], separators=(",", ":")))')
	[ "$got" = "$want" ] || e2e_fail "tamper record $n: got $got, want $want"
}

# the link of hook on the test cgroup runs a program called name
runs() { bpftool -j link show | python3 -c '
import json, os, sys
cg = os.stat(sys.argv[1]).st_ino
names = {p["id"]: p["name"] for p in json.load(open(sys.argv[3]))}
for l in json.load(sys.stdin):
    if l.get("cgroup_id") == cg and l.get("attach_type") == sys.argv[2]:
        sys.exit(names.get(l["prog_id"]) != sys.argv[4])
sys.exit(1)' "$E2E_CG" "$1" "$E2E_TMP/progs.json" "$2"; }
progs() { bpftool -j prog show >"$E2E_TMP/progs.json"; }

send_flagged 1 "before any change"

"$TAMPER" detach "$E2E_CG" connect4 || e2e_fail "detach"
expect_tamper 1 '{"what":"cgroup/connect4","change":"detached","repaired":true}'
progs
runs cgroup_inet4_connect connect4 || e2e_fail "connect4 not attached again"
send_flagged 2 "after the detach"

"$TAMPER" replace "$E2E_CG" egress || e2e_fail "replace"
expect_tamper 2 '{"what":"cgroup_skb/egress","change":"program replaced","repaired":true}'
progs
runs cgroup_inet_egress egress || e2e_fail "egress not running again"
send_flagged 3 "after the replace"

"$TAMPER" settings "$E2E_CG" connect4 || e2e_fail "settings"
expect_tamper 3 '{"what":"settings","change":"rewritten","fields":["default_labels"],"repaired":true}'
send_flagged 4 "after the settings"

e2e_ns "$E2E_CNS" tc filter del dev "$E2E_CIF" egress || e2e_fail "tc filter del"
expect_tamper 4 "{\"what\":\"tc/egress:$E2E_CIF\",\"change\":\"filter removed\",\"repaired\":true}"
e2e_ns "$E2E_CNS" tc filter show dev "$E2E_CIF" egress | grep -q 'bpf.*tc_egress' ||
	e2e_fail "tc filter not put back"

results=$(e2e_status | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["geo"]["results"])')
changed=$("$TAMPER" geo "$E2E_CG" connect4 "$results") || e2e_fail "geo"
[ "$changed" -gt 0 ] || e2e_fail "no result to rewrite"
expect_tamper 5 "{\"what\":\"geo_results\",\"change\":\"rewritten\",\"entries\":$changed,\"repaired\":true}"
send_flagged 5 "after the GeoIP rewrite"

# the watched cgroup's map (the one cgroup array) is frozen: root cannot
# point it elsewhere
map=
for f in /proc/"$E2E_AGENT_PID"/fdinfo/*; do
	grep -q '^map_type:[[:space:]]*8$' "$f" 2>/dev/null || continue
	grep -q '^frozen:[[:space:]]*1$' "$f" || e2e_fail "watched_cgroup is not frozen"
	map=$(awk '$1 == "map_id:" { print $2 }' "$f")
done
[ -n "$map" ] || e2e_fail "the agent holds no cgroup array"
if bpftool map update id "$map" key 0 0 0 0 value 0 0 0 0 2>"$E2E_TMP/freeze.err"; then
	e2e_fail "watched_cgroup accepted a write"
fi
grep -q "Operation not permitted" "$E2E_TMP/freeze.err" ||
	e2e_fail "watched_cgroup write: $(cat "$E2E_TMP/freeze.err")"

status_tampers() { e2e_status | python3 -c 'import json,sys; print(json.load(sys.stdin)["agent"]["tampers"])'; }
status_counts_5() { test "$(status_tampers)" = 5; }
e2e_wait_for 3 status_counts_5 || e2e_fail "status counts $(status_tampers) tampers, want 5"
grep -q "tamper: cgroup/connect4 detached; put back" "$E2E_TMP/agent.err" ||
	e2e_fail "no tamper line on standard error"

# a program attached alone where the link was: the link cannot be put
# back while it is there. One record, and one libbpf warning, however
# many times the agent tries again; "put back" once the program is gone
"$TAMPER" block "$E2E_CG" connect4 || e2e_fail "block"
expect_tamper 6 '{"what":"cgroup/connect4","change":"detached","repaired":false}'
sleep 3
tampers_are 6 || e2e_fail "$(tampers) tamper records while the link is kept out, want 6"
warned=$(grep -c 'failed to attach to cgroup' "$E2E_TMP/agent.err")
[ "$warned" -eq 1 ] || e2e_fail "$warned attach warnings while the link is kept out, want 1"
"$TAMPER" unblock "$E2E_CG" connect4 || e2e_fail "unblock"
expect_tamper 7 '{"what":"cgroup/connect4","change":"put back","repaired":true}'
progs
runs cgroup_inet4_connect connect4 || e2e_fail "connect4 not attached again after the block"
send_flagged 6 "after the block"

# the interface gone: one tamper record that could not put the filter
# back, not one a second while the agent goes on trying
e2e_ns "$E2E_CNS" ip link del "$E2E_CIF" || e2e_fail "ip link del $E2E_CIF"
tc_lost() { grep -c "\"what\":\"tc/egress:$E2E_CIF\",\"change\":\"filter removed\",\"repaired\":false" "$E2E_TMP/records.jsonl"; }
tc_lost_once() { test "$(tc_lost)" -eq 1; }
e2e_wait_for 5 tc_lost_once || e2e_fail "no tamper record for the interface gone ($(tc_lost))"
sleep 3
tc_lost_once || e2e_fail "$(tc_lost) tamper records for the interface gone, want 1"
kill -0 "$E2E_AGENT_PID" || e2e_fail "the agent stopped when its interface went"

# the watched cgroup removed for good: each of its links is one tamper
# record that could not be put back, libbpf's warning comes once per link,
# and the agent, with nothing left to watch, exits 1 (for the service
# manager to start it again) with its trail closed
links=$(bpftool -j link show | python3 -c '
import json, os, sys
cg = os.stat(sys.argv[1]).st_ino
print(sum(1 for l in json.load(sys.stdin) if l.get("cgroup_id") == cg))' "$E2E_CG")
[ "$links" -ge 7 ] || e2e_fail "$links links on the test cgroup"
rmdir "$E2E_CG" || e2e_fail "rmdir $E2E_CG"
e2e_wait_for 10 e2e_gone "$E2E_AGENT_PID" || e2e_fail "the agent goes on without its cgroup"
rc=0
wait "$E2E_AGENT_PID" || rc=$?
E2E_AGENT_PID=
[ $rc -eq 1 ] || e2e_fail "exit $rc once the watched cgroup was removed, want 1"
grep -q "the watched cgroup $E2E_CG was removed: nothing left to watch" "$E2E_TMP/agent.err" ||
	e2e_fail "no line saying why it stopped"
lost=$(grep -c '"change":"detached","repaired":false' "$E2E_TMP/records.jsonl")
[ "$lost" -eq $((1 + links)) ] || e2e_fail "$lost tamper records of links lost, want 1 + $links"
warned=$(grep -c 'failed to attach to cgroup' "$E2E_TMP/agent.err")
[ "$warned" -eq $((1 + links)) ] || e2e_fail "$warned attach warnings, want 1 + $links links lost"
stop=$(grep '"event":"agent_stop"' "$E2E_TMP/records.jsonl")
printf '%s\n' "$stop" | grep -q '"exit":1' || e2e_fail "agent_stop: '$stop', want exit 1"
test "$(tampers)" -eq $((8 + links)) || e2e_fail "$(tampers) tamper records, want $((8 + links))"
# the trail holds the same records, and query finds them by kind
"$E2E_BIN" query --log-dir "$E2E_TMP/trail" --event tamper -j >"$E2E_TMP/query.jsonl" ||
	e2e_fail "query --event tamper"
grep '"event":"tamper"' "$E2E_TMP/records.jsonl" | cmp -s - "$E2E_TMP/query.jsonl" ||
	e2e_fail "query --event tamper differs from the records printed"
echo "PASS: guard"
