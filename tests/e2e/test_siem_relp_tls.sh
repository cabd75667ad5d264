#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# RELP over TLS to rsyslogd's imrelp, with a CA, a server and a client
# certificate the test makes with openssl: every record arrives once,
# acknowledged, and the wire carries nothing readable. A CA that did not
# sign the server's certificate, a host name the certificate does not name
# and an expired certificate are refused with an error that says why, and
# nothing is sent. A server that accepts the connection and never answers
# the TLS handshake times out, and does not hold the feed's stop; nor does
# one whose TCP connect completes only after the stop gave up its waits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siem_lib.sh"

pki=$SIEM_PKI
siem_pki
siem_sign 127.0.0.1 serverAuth DNS:127.0.0.1	# librelp compares DNS names only
siem_sign egress-audit-client clientAuth DNS:egress-audit-client
# the same server name, from the same CA, valid for a day of 2020
mkdir -p "$pki/ca"
touch "$pki/ca/index.txt"
echo 01 >"$pki/ca/serial"
cat >"$pki/ca.cnf" <<CNF
[ca]
default_ca = e2e
[e2e]
database = $pki/ca/index.txt
serial = $pki/ca/serial
new_certs_dir = $pki/ca
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
openssl ca -batch -config "$pki/ca.cnf" -keyfile "$pki/ca.key" -cert "$pki/ca.pem" \
	-in "$pki/127.0.0.1.csr" -out "$pki/expired.pem" -startdate 20200101000000Z \
	-enddate 20200102000000Z -extfile "$pki/127.0.0.1.cnf" >/dev/null 2>&1 ||
	e2e_fail "openssl: expired certificate"

port=$SIEM_PORT
siem_rsyslog_conf
siem_input imrelp $port relp_tls "tls=\"on\" tls.cacert=\"$pki/ca.pem\"
	tls.mycert=\"$pki/127.0.0.1.pem\" tls.myprivkey=\"$pki/127.0.0.1.key\"
	tls.authmode=\"name\" tls.permittedpeer=[\"egress-audit-client\"]"
siem_input imrelp $((port + 1)) relp_expired "tls=\"on\" tls.cacert=\"$pki/ca.pem\"
	tls.mycert=\"$pki/expired.pem\" tls.myprivkey=\"$pki/127.0.0.1.key\"
	tls.authmode=\"certvalid\""
siem_rsyslog_start $port $((port + 1))

# every client byte goes through a tap
python3 "$E2E_ROOT/tests/e2e/tcp_tap.py" $((port + 10)) $port "$E2E_TMP/wire.bin" \
	>"$E2E_TMP/tap.out" 2>&1 &
E2E_PIDS+=($!)
e2e_wait_for 10 grep -q listening "$E2E_TMP/tap.out" || e2e_fail "tcp_tap did not start"

siem_make_trail --records 300 --hostile
siem_dump
last=$(siem_last_seq)

# section NAME HOST:PORT CA: a relp+tls destination with the client's certificate
section()
{
	printf '[siem %s]\ntarget = relp+tls://%s\nformat = cef\nca = %s\n' "$1" "$2" "$pki/$3"
	printf 'cert = %s\nkey = %s\nbackoff_cap = 1\n' "$pki/egress-audit-client.pem" \
		"$pki/egress-audit-client.key"
}
# refused: a CA that did not sign it, a name it does not carry, expired
{
	section other_ca 127.0.0.1:$((port + 10)) other.pem
	section wrong_name localhost:$((port + 10)) ca.pem
	section expired 127.0.0.1:$((port + 1)) ca.pem
} >"$E2E_TMP/bad.conf"
siem_feed_for "$E2E_TMP/bad.conf" 4
siem_refused other_ca "RELP connect to 127.0.0.1:$((port + 10)): server certificate refused: certificate validation failed" \
	"a certificate of another CA"
siem_refused wrong_name "RELP connect to localhost:$((port + 10)): server certificate refused: no permited name found: DNSname: 127.0.0.1" \
	"a wrong host name"
siem_refused expired "RELP connect to 127.0.0.1:$((port + 1)): server certificate refused: certificate validation failed" \
	"an expired certificate"
[ ! -s "$E2E_TMP/relp_tls.log" ] || e2e_fail "rsyslogd received messages from a refused feed"
[ ! -s "$E2E_TMP/relp_expired.log" ] || e2e_fail "rsyslogd received messages for an expired certificate"
grep -aq -e "egress-audit@32473" -e "CEF:0" "$E2E_TMP/wire.bin" &&
	e2e_fail "a refused feed sent records in clear"

# a server that never answers the handshake: an error after the timeout
# (10 s), and a stop in its middle takes the grace period (3 s), not for ever
python3 "$E2E_ROOT/tests/e2e/relp_peer.py" $((port + 20)) /dev/null 0 silent \
	>"$E2E_TMP/silent.out" 2>&1 &
E2E_PIDS+=($!)
e2e_wait_for 10 grep -q listening "$E2E_TMP/silent.out" || e2e_fail "relp_peer silent did not start"
section silent 127.0.0.1:$((port + 20)) ca.pem >"$E2E_TMP/silent.conf"
siem_feed_start "$E2E_TMP/silent.conf"
timed_out() { grep -q "siem silent: RELP connect to 127.0.0.1:$((port + 20)): no answer to the TLS handshake within the timeout" "$E2E_TMP/feed.err"; }
e2e_wait_for 20 timed_out || e2e_fail "no timeout of the handshake: $(cat "$E2E_TMP/feed.err")"
sleep 2		# in the next handshake, after the backoff
kill -TERM "$SIEM_FEED_PID"
e2e_wait_for 8 e2e_gone "$SIEM_FEED_PID" || e2e_fail "the feed did not stop during a TLS handshake"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
[ "$(siem_cursor silent)" = 0 ] || e2e_fail "silent: cursor moved to $(siem_cursor silent)"

# the connect completes after the abort (3 s after the stop): its SYN is
# dropped while the server's accept queue is full, and the retry 7 s after
# the first gets in; the handshake that follows is cut too
python3 "$E2E_ROOT/tests/e2e/relp_peer.py" $((port + 21)) /dev/null 0 queue 5.5 \
	>"$E2E_TMP/queue.out" 2>&1 &
E2E_PIDS+=($!)
e2e_wait_for 10 grep -q listening "$E2E_TMP/queue.out" || e2e_fail "relp_peer queue did not start"
section queued 127.0.0.1:$((port + 21)) ca.pem >"$E2E_TMP/queue.conf"
: >"$E2E_TMP/feed.err"
siem_feed_start "$E2E_TMP/queue.conf"
sleep 1.5
kill -TERM "$SIEM_FEED_PID"
e2e_wait_for 12 e2e_gone "$SIEM_FEED_PID" || e2e_fail "the feed did not stop after a late connect"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM: $(cat "$E2E_TMP/feed.err")"
grep -q "queue freed" "$E2E_TMP/queue.out" || e2e_fail "relp_peer queue: the queue was never freed"
grep -q "did not end" "$E2E_TMP/feed.err" &&
	e2e_fail "a handshake begun after the abort held the feed: $(cat "$E2E_TMP/feed.err")"
[ "$(siem_cursor queued)" = 0 ] || e2e_fail "queued: cursor moved to $(siem_cursor queued)"

section with_ca 127.0.0.1:$((port + 10)) ca.pem >"$E2E_TMP/good.conf"
siem_feed_drain "$E2E_TMP/good.conf" 30
[ "$(siem_cursor with_ca)" = "$last" ] || e2e_fail "with_ca: cursor $(siem_cursor with_ca)"
siem_rsyslog_stop --settle
siem_check relp_tls --format cef --exact
grep -aq -e "egress-audit@32473" -e "CEF:0" "$E2E_TMP/wire.bin" &&
	e2e_fail "records crossed the wire in clear"
[ -s "$E2E_TMP/wire.bin" ] || e2e_fail "the tap saw nothing"
echo "PASS: RELP over TLS verified by CA and name, acknowledged; other CA, wrong name, expired refused; a silent server times out and lets the feed stop, also after a late connect"
