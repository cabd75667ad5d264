#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# TLS (RFC 5425) to rsyslogd's ossl driver with a CA and a server
# certificate the test makes with openssl. Delivery works with the CA and
# with the pinned fingerprint of the server certificate, and the wire
# carries nothing readable. A CA that did not sign the server's
# certificate, a wrong fingerprint and a host name the certificate does not
# name are refused with an error that says why, and nothing is sent. A
# server (openssl s_server) that refuses the feed's client certificate,
# which under TLS 1.3 it says only after the handshake, leaves the cursor
# where it was, with an error that says so; one that takes it gets all.
# So does a server that sends its session tickets and then refuses the
# client's name (tls_peer.py), and rsyslogd's gtls driver requiring a client certificate of its CA:
# it checks the certificate after GnuTLS's handshake, which sent a session
# ticket first, and then closes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/siem_lib.sh"

pki=$SIEM_PKI
siem_pki
siem_sign 127.0.0.1 serverAuth IP:127.0.0.1
siem_sign egress-audit-client clientAuth DNS:egress-audit-client
# the client's key and name, signed by the other CA
openssl x509 -req -in "$pki/egress-audit-client.csr" -CA "$pki/other.pem" \
	-CAkey "$pki/other.key" -CAcreateserial -out "$pki/client-other.pem" -days 2 \
	-extfile "$pki/egress-audit-client.cnf" 2>/dev/null || e2e_fail "openssl: client of other CA"
fp=$(openssl x509 -in "$pki/127.0.0.1.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
wrong=$(openssl x509 -in "$pki/other.pem" -noout -fingerprint -sha256 | sed 's/.*=//')

tls=$SIEM_PORT
siem_rsyslog_conf "defaultNetstreamDriverCAFile=\"$pki/ca.pem\"
	defaultNetstreamDriverCertFile=\"$pki/127.0.0.1.pem\"
	defaultNetstreamDriverKeyFile=\"$pki/127.0.0.1.key\"" \
	'streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"'
siem_input imtcp $tls tls_ca
siem_input imtcp $((tls + 1)) tls_fp
siem_input imtcp $((tls + 2)) tls_client 'streamDriver.name="gtls" streamDriver.mode="1"
	streamDriver.authMode="x509/certvalid"'
siem_rsyslog_start $tls $((tls + 1)) $((tls + 2))

# every client byte to the TLS inputs goes through a tap
tap()
{
	python3 "$E2E_ROOT/tests/e2e/tcp_tap.py" "$1" "$2" "$E2E_TMP/wire.bin" \
		>"$E2E_TMP/tap$1.out" 2>&1 &
	E2E_PIDS+=($!)
	e2e_wait_for 10 grep -q listening "$E2E_TMP/tap$1.out" || e2e_fail "tap on $1"
}
tap $((tls + 10)) $tls
tap $((tls + 11)) $((tls + 1))

# s_server PORT CA: TLS 1.3, requiring a client certificate of CA
s_server()
{
	mkfifo "$E2E_TMP/s_server$1.in"	# an input that never ends: at its end s_server hangs up
	openssl s_server -accept "127.0.0.1:$1" -tls1_3 -cert "$pki/127.0.0.1.pem" \
		-key "$pki/127.0.0.1.key" -CAfile "$pki/$2" -Verify 1 -verify_return_error \
		-quiet <>"$E2E_TMP/s_server$1.in" >"$E2E_TMP/s_server$1.out" 2>&1 &
	E2E_PIDS+=($!)
	e2e_wait_for 10 siem_port_open "$1" || e2e_fail "s_server on $1: $(cat "$E2E_TMP/s_server$1.out")"
}
s_server $((tls + 20)) other.pem
s_server $((tls + 21)) ca.pem
# a server that sends its session tickets, then refuses the client's name
python3 "$E2E_ROOT/tests/e2e/tls_peer.py" $((tls + 22)) "$pki/127.0.0.1.pem" \
	"$pki/127.0.0.1.key" "$pki/ca.pem" another-client >"$E2E_TMP/tls_peer.out" 2>&1 &
E2E_PIDS+=($!)
e2e_wait_for 10 grep -q listening "$E2E_TMP/tls_peer.out" || e2e_fail "tls_peer did not start"
# client_section NAME PORT: a destination there with the client's certificate
client_section()
{
	printf '[siem %s]\ntarget = tls://127.0.0.1:%s\nformat = cef\nca = %s\n' "$1" "$2" \
		"$pki/ca.pem"
	printf 'cert = %s\nkey = %s\nbackoff_cap = 1\n' "$pki/egress-audit-client.pem" \
		"$pki/egress-audit-client.key"
}

siem_make_trail --records 300 --hostile
siem_dump
last=$(siem_last_seq)

# refused: a CA that did not sign it, a wrong pin, a name it does not carry
cat >"$E2E_TMP/bad.conf" <<CONF
[siem other_ca]
target = tls://127.0.0.1:$((tls + 10))
format = cef
ca = $pki/other.pem
backoff_cap = 1
[siem wrong_pin]
target = tls://127.0.0.1:$((tls + 10))
format = cef
fingerprint = sha256:$wrong
backoff_cap = 1
[siem wrong_name]
target = tls://localhost:$((tls + 10))
format = cef
ca = $pki/ca.pem
backoff_cap = 1
CONF
client_section cert_refused $((tls + 20)) >>"$E2E_TMP/bad.conf"
client_section name_refused $((tls + 22)) >>"$E2E_TMP/bad.conf"
client_section rsyslog_refused $((tls + 2)) | sed "s|egress-audit-client.pem|client-other.pem|" \
	>>"$E2E_TMP/bad.conf"
siem_feed_for "$E2E_TMP/bad.conf" 4
# rsyslogd sends its CA along, so the chain ends in a CA we do not trust
siem_refused other_ca "TLS to 127.0.0.1:$((tls + 10)): server certificate not trusted: (self-signed certificate in certificate chain|unable to get local issuer certificate)" \
	"a certificate of another CA"
siem_refused wrong_pin "TLS to 127.0.0.1:$((tls + 10)): server certificate fingerprint sha256:[0-9a-f]* is not the pinned sha256:" \
	"a wrong fingerprint"
siem_refused wrong_name "TLS to localhost:$((tls + 10)): server certificate not trusted: hostname mismatch" \
	"a wrong host name"
siem_refused cert_refused "TLS to 127.0.0.1:$((tls + 20)): the server refused our certificate: tlsv1 alert unknown ca" \
	"a client certificate the server refused"
siem_refused rsyslog_refused "TLS to 127.0.0.1:$((tls + 2)): the server (refused our certificate|closed the connection after the handshake)" \
	"a client certificate rsyslogd refused after its session ticket"
siem_refused name_refused "TLS to 127.0.0.1:$((tls + 22)): the server (refused our certificate: unexpected eof|closed the connection after the handshake)" \
	"a client certificate refused after the server's session tickets"
grep -v '^read 0$' "$E2E_TMP/tls_peer.out" | grep -q '^read' &&
	e2e_fail "tls_peer read records of a refused certificate: $(cat "$E2E_TMP/tls_peer.out")"
[ ! -s "$E2E_TMP/tls_ca.log" ] || e2e_fail "rsyslogd received messages from a refused feed"
[ ! -s "$E2E_TMP/tls_client.log" ] || e2e_fail "rsyslogd received messages from a refused certificate"
grep -aq -e "egress-audit@32473" -e "CEF:0" "$E2E_TMP/wire.bin" &&
	e2e_fail "a refused feed sent records in clear"

# accepted: the CA, and the pinned fingerprint without a CA
cat >"$E2E_TMP/good.conf" <<CONF
[siem with_ca]
target = tls://127.0.0.1:$((tls + 10))
format = cef
ca = $pki/ca.pem
[siem pinned]
target = tls://127.0.0.1:$((tls + 11))
format = json-ocsf
fingerprint = sha256:$fp
CONF
client_section cert_taken $((tls + 21)) >>"$E2E_TMP/good.conf"
siem_feed_drain "$E2E_TMP/good.conf" 30
[ "$(siem_cursor with_ca)" = "$last" ] || e2e_fail "with_ca: cursor $(siem_cursor with_ca)"
[ "$(siem_cursor pinned)" = "$last" ] || e2e_fail "pinned: cursor $(siem_cursor pinned)"
[ "$(siem_cursor cert_taken)" = "$last" ] || e2e_fail "cert_taken: cursor $(siem_cursor cert_taken)"
siem_rsyslog_stop --settle
siem_check tls_ca --format cef --exact
siem_check tls_fp --format json-ocsf --exact
grep -aq -e "egress-audit@32473" -e "CEF:0" -e "class_uid" "$E2E_TMP/wire.bin" &&
	e2e_fail "records crossed the wire in clear"
echo "PASS: TLS verified by CA and by pin; other CA, wrong pin, wrong name refused; a client certificate refused after the handshake (s_server, after the session tickets, rsyslogd gtls) and one taken"
