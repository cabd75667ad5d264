#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A RELP receiver that answers only the first messages of a session, then
# answers the feed's "close" with the "serverclose" hint (what rsyslogd
# does when it stops with messages read but not processed). librelp ends
# such a session without an error; the feed must still count only the
# answered messages as delivered: its cursor stops right before the
# first unanswered one, the loss of the session is logged, and once a
# real rsyslogd listens every record arrives, in order, none skipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
answer=10

cat >"$E2E_TMP/feed.conf" <<CONF
[siem relp]
target = relp://127.0.0.1:$port
format = rfc5424
backoff_cap = 1
CONF

siem_make_trail --records 300
siem_dump
last=$(siem_last_seq)

python3 "$E2E_ROOT/tests/e2e/relp_peer.py" $port "$E2E_TMP/relp.log" $answer \
	>"$E2E_TMP/peer.out" 2>&1 &
peer=$!
E2E_PIDS+=("$peer")
e2e_wait_for 10 grep -q listening "$E2E_TMP/peer.out" ||
	e2e_fail "relp_peer did not start: $(cat "$E2E_TMP/peer.out")"

siem_feed_start "$E2E_TMP/feed.conf"
wait "$peer" || e2e_fail "relp_peer failed: $(cat "$E2E_TMP/peer.out")"
grep -q "^answered $answer$" "$E2E_TMP/peer.out" ||
	e2e_fail "relp_peer: $(cat "$E2E_TMP/peer.out"), want $answer answered"

# the first unanswered message: the selected record after the last answered
last_answered=$(tail -n 1 "$E2E_TMP/relp.log" | sed 's/.* seq="\([0-9]*\)".*/\1/')
first_unanswered=$(python3 - "$E2E_TMP/dump.jsonl" "$last_answered" <<'PY'
import json, sys
select = {"flagged", "blocked", "lost", "checkpoint", "agent"}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["seq"] > int(sys.argv[2]) and r["class"] in select:
        print(r["seq"])
        break
PY
)
[ -n "$first_unanswered" ] || e2e_fail "no selected record after seq $last_answered: make the trail longer"
want=$((first_unanswered - 1))
held() { [ "$(siem_cursor relp)" = "$want" ]; }
e2e_wait_for 5 held ||
	e2e_fail "cursor $(siem_cursor relp) after the session, want $want (first unanswered $first_unanswered)"
e2e_wait_for 5 grep -q "messages unacknowledged" "$E2E_TMP/feed.err" ||
	e2e_fail "the unanswered messages were not reported: $(cat "$E2E_TMP/feed.err")"

siem_rsyslog_conf
siem_input imrelp $port relp
siem_rsyslog_start $port
caught_up() { [ "$(siem_cursor relp)" = "$last" ]; }
e2e_wait_for 30 caught_up || e2e_fail "cursor $(siem_cursor relp), want $last"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $?"
siem_rsyslog_stop --settle

siem_check relp --format rfc5424
echo "PASS: $answer answered of a session closed by the receiver; cursor held at $want; all of $last delivered"
