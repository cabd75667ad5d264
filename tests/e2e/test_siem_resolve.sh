#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A target named by host name is resolved again at each connect: the SIEM
# moved to another address (its name now resolves there) and the old
# receiver went away; the feed reconnects to the new address, and every
# record arrives, each after the move at the new receiver only. The name
# resolves through /etc/hosts, which the feed sees in a mount namespace of
# its own (the test's hosts file bound over it): the host's own file is
# never touched. RELP (librelp resolves the name) and TCP (the feed does).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

NAME=siem.e2e.test
HOSTS=$E2E_TMP/hosts
relp_port=$SIEM_PORT
tcp_port=$((SIEM_PORT + 1))

# rsyslogd with a RELP and a TCP input on each of two loopback addresses;
# what arrives at ADDR goes to NAME-ADDR.log.
siem_rsyslog_conf
for addr in 127.0.0.1 127.0.0.2; do
	cat >>"$E2E_TMP/rsyslog.conf" <<-EOF
	ruleset(name="relp-$addr" queue.type="Direct") {
		action(type="omfile" file="$E2E_TMP/relp-$addr.log" template="raw")
	}
	ruleset(name="tcp-$addr" queue.type="Direct") {
		action(type="omfile" file="$E2E_TMP/tcp-$addr.log" template="raw")
	}
	input(type="imrelp" port="$relp_port" address="$addr" ruleset="relp-$addr")
	input(type="imtcp" port="$tcp_port" address="$addr" ruleset="tcp-$addr")
	EOF
done
siem_rsyslog_start $relp_port $tcp_port

cat >"$E2E_TMP/feed.conf" <<CONF
[siem relp]
target = relp://$NAME:$relp_port
format = rfc5424
backoff_cap = 1

[siem tcp]
target = tcp://$NAME:$tcp_port
format = rfc5424
backoff_cap = 1
CONF

# The hosts file is rewritten in place: the bind mount holds its inode.
point_name_at() { printf '%s %s\n' "$1" "$NAME" >"$HOSTS"; }
point_name_at 127.0.0.1

# the feed (on a trail that exists), with the test's hosts file as its
# /etc/hosts
siem_make_trail --records 200
unshare --mount --propagation private \
	sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$HOSTS" \
	"$E2E_BIN" -c "$E2E_TMP/feed.conf" feed --trail "$SIEM_TRAIL" \
	>>"$E2E_TMP/feed.out" 2>>"$E2E_TMP/feed.err" &
SIEM_FEED_PID=$!
E2E_PIDS+=("$SIEM_FEED_PID")

caught_up()
{
	siem_dump
	[ "$(siem_cursor relp)" = "$(siem_last_seq)" ] &&
		[ "$(siem_cursor tcp)" = "$(siem_last_seq)" ]
}

e2e_wait_for 20 caught_up ||
	e2e_fail "before the move: cursors $(siem_cursor relp) $(siem_cursor tcp), want $(siem_last_seq): $(tail -n 3 "$E2E_TMP/feed.err")"
moved_at=$(siem_last_seq)

# the SIEM moves: its name resolves to the new address, and the receiver
# at the old one goes (rsyslogd restarts, listening on both again)
point_name_at 127.0.0.2
siem_rsyslog_stop --settle
siem_rsyslog_start $relp_port $tcp_port
siem_make_trail --records 200
e2e_wait_for 30 caught_up ||
	e2e_fail "after the move: cursors $(siem_cursor relp) $(siem_cursor tcp), want $(siem_last_seq): $(tail -n 3 "$E2E_TMP/feed.err")"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
siem_rsyslog_stop --settle

for t in relp tcp; do
	# every record arrived, at one address or the other
	cat "$E2E_TMP/$t-127.0.0.1.log" "$E2E_TMP/$t-127.0.0.2.log" >"$E2E_TMP/$t.log"
	siem_check $t --format rfc5424
	# after the move, only the new address
	python3 - "$E2E_TMP/$t-127.0.0.1.log" "$E2E_TMP/$t-127.0.0.2.log" "$moved_at" "$t" <<'EOF' ||
import re, sys
old, new, moved, t = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
seqs = lambda f: [int(m.group(1)) for m in re.finditer(r' seq="(\d+)"', open(f).read())]
late = [s for s in seqs(old) if s > moved]
if late:
    sys.exit(f"FAIL: {t}: records after the move at the old address: {late[:5]}")
if not any(s > moved for s in seqs(new)):
    sys.exit(f"FAIL: {t}: nothing after the move at the new address")
print(f"ok: {t}: every record after seq {moved} at the new address only")
EOF
		e2e_fail "$t: see above"
done
echo "PASS: the target's name resolved again at reconnect; RELP and TCP moved to the new address, no record lost"
