#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# RELP receivers that take only the first messages of a session: one
# refuses the next message ("500") and answers the rest "200" without
# keeping them; the next answers the feed's "close" with the "serverclose"
# hint (what rsyslogd does when it stops with messages read but not
# processed), which librelp takes without an error; the last answers a
# message with the answer to the one before it again (a stray answer,
# which librelp traces like any other) and the rest not at all. After
# each, the feed's cursor stops right before the first message not kept,
# the failure is logged, and the next receiver gets the rest from there.
# Once a real rsyslogd listens, every record has arrived, in order, none
# skipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
keep=10

cat >"$E2E_TMP/feed.conf" <<CONF
[siem relp]
target = relp://127.0.0.1:$port
format = rfc5424
backoff_cap = 1
CONF

siem_make_trail --records 300
siem_dump
last=$(siem_last_seq)

# The first selected record after seq $1.
next_selected()
{
	python3 - "$E2E_TMP/dump.jsonl" "$1" <<'PY'
import json, sys
select = {"flagged", "blocked", "lost", "checkpoint", "agent"}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["seq"] > int(sys.argv[2]) and r["class"] in select:
        print(r["seq"])
        break
PY
}

# peer MODE WHY: one session with relp_peer.py in MODE, after which the
# cursor must stop before the first message it did not keep, and the
# feed's log say WHY.
peer()
{
	local mode=$1 why=$2 out=$E2E_TMP/peer-$1.out pid kept first want logged

	logged=$(cat "$E2E_TMP/feed.err" 2>/dev/null | wc -l)

	python3 "$E2E_ROOT/tests/e2e/relp_peer.py" $port "$E2E_TMP/relp.log" $keep "$mode" \
		>"$out" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	e2e_wait_for 10 grep -q listening "$out" || e2e_fail "relp_peer did not start: $(cat "$out")"
	[ -n "${SIEM_FEED_PID:-}" ] || siem_feed_start "$E2E_TMP/feed.conf"
	wait "$pid" || e2e_fail "relp_peer $mode failed: $(cat "$out")"
	grep -q "^kept $keep$" "$out" || e2e_fail "relp_peer $mode: $(cat "$out"), want $keep kept"
	kept=$(tail -n 1 "$E2E_TMP/relp.log" | sed 's/.* seq="\([0-9]*\)".*/\1/')
	first=$(next_selected "$kept")
	[ -n "$first" ] || e2e_fail "no selected record after seq $kept: make the trail longer"
	want=$((first - 1))
	held() { [ "$(siem_cursor relp)" = "$want" ]; }
	e2e_wait_for 5 held ||
		e2e_fail "$mode: cursor $(siem_cursor relp), want $want (first not kept: $first)"
	said() { tail -n +$((logged + 1)) "$E2E_TMP/feed.err" | grep -q "siem relp: RELP to 127.0.0.1:$port: $why"; }
	e2e_wait_for 5 said || e2e_fail "$mode: no '$why' in the feed's log: $(cat "$E2E_TMP/feed.err")"
	echo "$mode: cursor held at $want"
}

peer refuse "peer sent error response"
peer hint "the session ended with [0-9]* of [0-9]* messages unacknowledged"
peer dup "the session ended with [0-9]* of [0-9]* messages unacknowledged"

siem_rsyslog_conf
siem_input imrelp $port relp
siem_rsyslog_start $port
caught_up() { [ "$(siem_cursor relp)" = "$last" ]; }
e2e_wait_for 30 caught_up || e2e_fail "cursor $(siem_cursor relp), want $last"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
siem_rsyslog_stop --settle

siem_check relp --format rfc5424 --exact
echo "PASS: a refusal, a serverclose hint and a stray answer each stopped the cursor at the last message kept; all of $last delivered, once each, in order"
