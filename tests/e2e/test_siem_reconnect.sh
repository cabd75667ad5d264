#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A TCP receiver that closed the feed's connection while the feed was idle
# (rsyslogd restarted): writing the next batch into that connection would
# succeed, and its messages would count as delivered while the new
# rsyslogd never sees them. The feed finds the connection closed before it
# writes, says so and reconnects: every record arrives, none skipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
siem_tcp_receiver tcp

# caught_up: the cursor is at the trail's last seq
caught_up()
{
	siem_dump
	[ "$(siem_cursor tcp)" = "$(siem_last_seq)" ]
}

siem_make_trail --records 200
siem_feed_start "$E2E_TMP/feed.conf"
e2e_wait_for 20 caught_up || e2e_fail "cursor $(siem_cursor tcp), want $(siem_last_seq)"
# the feed idles on its connection while rsyslogd goes and comes back
siem_rsyslog_stop --settle
siem_rsyslog_start $port
before=$(siem_cursor tcp)
siem_make_trail --records 200
e2e_wait_for 20 caught_up || e2e_fail "cursor $(siem_cursor tcp), want $(siem_last_seq)"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
siem_rsyslog_stop --settle

siem_check tcp --format rfc5424
grep -q "siem tcp: writing to 127.0.0.1:$port: the receiver closed the connection" \
	"$E2E_TMP/feed.err" || e2e_fail "the closed connection was not reported: $(cat "$E2E_TMP/feed.err")"
echo "PASS: a connection the receiver closed is found before a batch is written; no record lost after seq $before"
