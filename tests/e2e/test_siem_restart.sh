#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The feed killed (SIGKILL) in the middle of a large backlog, then started
# again: it resumes from its saved cursor. Every record arrives, no seq is
# skipped, the first message after the restart is the record right after
# the cursor, and only records after the cursor are sent twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
siem_rsyslog_conf
siem_input imrelp $port relp
siem_rsyslog_start $port

cat >"$E2E_TMP/feed.conf" <<CONF
[siem relp]
target = relp://127.0.0.1:$port
format = cef
select = flagged blocked allowed lost checkpoint agent
CONF

siem_make_trail --records 60000
siem_dump
last=$(siem_last_seq)

# rsyslogd is stopped as soon as the feed saved its first cursor: with no
# acknowledgement coming, the feed stalls within its window, so that the
# kill finds it in the middle of the trail however fast the machine is.
stop_receiver_once_acked()
{
	local deadline=$((SECONDS + 20))

	until [ "$(siem_cursor relp)" -gt 0 ]; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.002
	done
	kill -STOP "$SIEM_RSYSLOG_PID"
}

siem_feed_start "$E2E_TMP/feed.conf"
stop_receiver_once_acked || e2e_fail "the feed did not start delivering"
sleep 0.5	# the feed saves what was acknowledged before the stop
{
	kill -KILL "$SIEM_FEED_PID"
	wait "$SIEM_FEED_PID"
} 2>/dev/null
kill -CONT "$SIEM_RSYSLOG_PID"
cursor=$(siem_cursor relp)
[ "$cursor" -lt "$last" ] || e2e_fail "the feed was done before it was killed: make the trail longer"

# what the killed feed had sent is written once rsyslogd had it: wait until
# the file stops growing, then mark where the second run begins
settled() {
	local n

	n=$(wc -l <"$E2E_TMP/relp.log")
	[ "$n" = "${seen:-}" ] && return 0
	seen=$n
	sleep 0.5
	return 1
}
e2e_wait_for 10 settled || e2e_fail "rsyslogd kept writing"
before=$(wc -l <"$E2E_TMP/relp.log")

siem_feed_drain "$E2E_TMP/feed.conf" 45
[ "$(siem_cursor relp)" = "$last" ] || e2e_fail "cursor $(siem_cursor relp), want $last"
siem_rsyslog_stop --settle

first=$(sed -n "$((before + 1))p" "$E2E_TMP/relp.log" | sed 's/.* seq="\([0-9]*\)".*/\1/')
[ "$first" = "$((cursor + 1))" ] ||
	e2e_fail "the second run began at seq $first, not after the cursor $cursor"
siem_check relp --format cef --select "flagged blocked allowed lost checkpoint agent"
echo "PASS: killed at cursor $cursor of $last, resumed at $first, no gap"
