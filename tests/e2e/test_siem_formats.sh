#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The SIEM feed against a real rsyslogd: a trail whose process names hold
# | = \ ] " newline tab and invalid UTF-8 goes to six destinations, every
# format over RELP or TCP and one over UDP. Every selected record must
# arrive exactly once (UDP: what arrives), and each format must parse back
# field by field to the record; `select` must leave the others out.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

siem_make_trail --records 2000 --hostile
siem_dump

siem_rsyslog_conf
siem_input imrelp $((SIEM_PORT + 0)) cef
siem_input imtcp $((SIEM_PORT + 1)) leef
siem_input imrelp $((SIEM_PORT + 2)) ecs
siem_input imtcp $((SIEM_PORT + 3)) ocsf
siem_input imrelp $((SIEM_PORT + 4)) sd
siem_input imudp $((SIEM_PORT + 5)) udp
siem_rsyslog_start $((SIEM_PORT + 0)) $((SIEM_PORT + 1)) $((SIEM_PORT + 2)) \
	$((SIEM_PORT + 3)) $((SIEM_PORT + 4))

cat >"$E2E_TMP/feed.conf" <<CONF
[siem cef]
target = relp://127.0.0.1:$((SIEM_PORT + 0))
format = cef
[siem leef]
target = tcp://127.0.0.1:$((SIEM_PORT + 1))
format = leef
select = flagged lost
[siem ecs]
target = relp://127.0.0.1:$((SIEM_PORT + 2))
format = json-ecs
select = flagged blocked allowed lost checkpoint agent
[siem ocsf]
target = tcp://127.0.0.1:$((SIEM_PORT + 3))
format = json-ocsf
[siem sd]
target = relp://127.0.0.1:$((SIEM_PORT + 4))
format = rfc5424
[siem udp]
target = udp://127.0.0.1:$((SIEM_PORT + 5))
format = rfc5424
select = flagged
CONF

siem_feed_drain "$E2E_TMP/feed.conf" 30
last=$(siem_last_seq)
for d in cef leef ecs ocsf sd udp; do
	[ "$(siem_cursor $d)" = "$last" ] ||
		e2e_fail "cursor of $d is $(siem_cursor $d), want $last"
done
siem_rsyslog_stop --settle

siem_check cef --format cef --exact
siem_check leef --format leef --select "flagged lost" --exact
siem_check ecs --format json-ecs --select "flagged blocked allowed lost checkpoint agent" --exact
siem_check ocsf --format json-ocsf --exact
siem_check sd --format rfc5424 --exact
siem_check udp --format rfc5424 --select flagged --subset
grep -q '"lag_records":0' "$E2E_TMP/feed.out" || e2e_fail "no lag in the feed's report"
echo "PASS: every format, every hostile name, exactly once"
