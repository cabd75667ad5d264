#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# rsyslogd stopped for a while under load, then started again: the trail
# keeps growing meanwhile, the feed backs off and retries, and once the
# receiver is back every record arrives, with no gap in seq (duplicates
# only around the reconnect), in order. The feed's lag shows the outage.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
siem_rsyslog_conf
siem_input imrelp $port relp
siem_rsyslog_start $port

cat >"$E2E_TMP/feed.conf" <<CONF
[siem relp]
target = relp://127.0.0.1:$port
format = json-ecs
backoff_cap = 1
CONF

# 30000 records over 10 seconds, while the feed runs
siem_make_trail --records 100
siem_feed_start "$E2E_TMP/feed.conf"
"$SIEM_TRAIL_BIN" write --log-dir "$SIEM_LOG" --host "$SIEM_HOST" --records 30000 \
	--rate 3000 2>"$E2E_TMP/writer.err" &
writer=$!
E2E_PIDS+=("$writer")

sleep 2
n=$(wc -l <"$E2E_TMP/relp.log")
[ "$n" -gt 0 ] || e2e_fail "nothing delivered before the outage"
siem_rsyslog_stop
# what was acknowledged before the stop may still be saved (every 200 ms);
# after that the cursor must stay where the receiver left it
sleep 1
at_stop=$(siem_cursor relp)
sleep 2
behind=$(siem_cursor relp)
[ "$behind" = "$at_stop" ] || e2e_fail "cursor moved from $at_stop to $behind while rsyslogd was down"
grep -q "siem relp: RELP" "$E2E_TMP/feed.err" || e2e_fail "the outage was not reported"
siem_rsyslog_start $port

wait "$writer" || e2e_fail "writer failed: $(cat "$E2E_TMP/writer.err")"
siem_dump
last=$(siem_last_seq)
caught_up() { [ "$(siem_cursor relp)" = "$last" ]; }
e2e_wait_for 30 caught_up || e2e_fail "cursor $(siem_cursor relp), want $last"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $?"
siem_rsyslog_stop --settle

grep -q "siem relp: delivering to relp://" "$E2E_TMP/feed.err" ||
	e2e_fail "the recovery was not reported"
siem_check relp --format json-ecs
echo "PASS: no gap across a receiver outage under load (cursor held at $at_stop while down)"
