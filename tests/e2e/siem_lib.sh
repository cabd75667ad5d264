# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Sourced by the SIEM feed tests after lib.sh (whose trap kills what is in
# E2E_PIDS and removes E2E_TMP, also on failure). A real rsyslogd runs in
# the foreground on 127.0.0.1; each input writes what it receives, raw
# (%rawmsg%, one message a line), to a file of its own, which
# check_siem.py compares with the trail.

SIEM_TRAIL_BIN=$E2E_ROOT/build/tests/e2e-ea/siem_trail
SIEM_CHECK=$E2E_ROOT/tests/e2e/check_siem.py
SIEM_LOG=$E2E_TMP/log			# [agent] log_dir of the test trail
SIEM_HOST=e2e-host
SIEM_TRAIL=$SIEM_LOG/$SIEM_HOST
SIEM_RSYSLOG_PID=
SIEM_FEED_PID=

[ -x "$SIEM_TRAIL_BIN" ] || e2e_fail "$SIEM_TRAIL_BIN missing: run make e2e"

# SIEM_PORT: this test's 50 ports (SIEM_PORT + 0..49) for receivers on
# 127.0.0.1. They lie below the kernel's ephemeral range, so that no
# client socket takes one as its local port, and none is in use when the
# test begins.
siem_ports_free() { ! ss -Hatun "sport >= :$1 and sport <= :$(($1 + 49))" | grep -q .; }

siem_pick_ports()
{
	local low blocks base i

	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	blocks=$(((low - 10000) / 50))
	[ "$blocks" -gt 0 ] ||
		e2e_fail "the ephemeral port range starts at $low: no room for the test's ports"
	for ((i = 0; i < blocks; i++)); do
		base=$((10000 + (($$ + i) % blocks) * 50))
		siem_ports_free "$base" && { SIEM_PORT=$base; return 0; }
	done
	e2e_fail "no 50 free ports below $low"
}
siem_pick_ports
command -v rsyslogd >/dev/null || e2e_fail "rsyslogd missing (Debian package rsyslog)"

# siem_rsyslog_conf [GLOBAL PARAMS [IMTCP PARAMS]]: a receiver's globals and
# modules; inputs are added with siem_input.
siem_rsyslog_conf()
{
	mkdir -p "$E2E_TMP/rsyslog"
	cat >"$E2E_TMP/rsyslog.conf" <<-EOF
	global(workDirectory="$E2E_TMP/rsyslog" maxMessageSize="64k" ${1:-})
	main_queue(queue.timeoutShutdown="10000")
	module(load="imrelp")
	module(load="imudp")
	module(load="imtcp" ${2:-})
	template(name="raw" type="string" string="%rawmsg%\n")
	EOF
}

# siem_input TYPE PORT NAME [INPUT PARAMS]: messages to $E2E_TMP/NAME.log.
# The ruleset runs in the input's thread (a Direct queue), as the README's
# receiver does: a message is in the file before it is acknowledged, also
# when rsyslogd stops right after (through its main queue, a RELP
# acknowledgement only means the message was queued in memory).
siem_input()
{
	local type=$1 port=$2 name=$3

	shift 3
	cat >>"$E2E_TMP/rsyslog.conf" <<-EOF
	ruleset(name="$name" queue.type="Direct") {
		action(type="omfile" file="$E2E_TMP/$name.log" template="raw")
	}
	input(type="$type" port="$port" address="127.0.0.1" ruleset="$name" $*)
	EOF
}

siem_port_open() { ss -Hltn "sport = :$1" | grep -q .; }

# Start rsyslogd in the foreground; wait until its TCP ports listen.
siem_rsyslog_start()
{
	local port

	rsyslogd -n -f "$E2E_TMP/rsyslog.conf" -i "$E2E_TMP/rsyslog.pid" \
		>>"$E2E_TMP/rsyslog.err" 2>&1 &
	SIEM_RSYSLOG_PID=$!
	E2E_PIDS+=("$SIEM_RSYSLOG_PID")
	for port in "$@"; do
		e2e_wait_for 10 siem_port_open "$port" ||
			e2e_fail "rsyslogd not listening on $port: $(cat "$E2E_TMP/rsyslog.err")"
	done
}

# The sizes of every input's file.
siem_sizes() { cat "$E2E_TMP"/*.log 2>/dev/null | wc -c; }

# Wait until rsyslogd has written what it read: no file grew for a second.
# TCP and TLS count a message delivered once written to the socket, so
# rsyslogd must read it all before it is stopped.
siem_settle()
{
	local last=-1 now i

	for i in $(seq 30); do
		now=$(siem_sizes)
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.5
	done
}

# Stop rsyslogd with SIGTERM: it writes out what it accepted, then exits.
# With --settle, only once it has read everything (siem_settle).
siem_rsyslog_stop()
{
	[ -n "$SIEM_RSYSLOG_PID" ] || return 0
	[ "${1:-}" = --settle ] && siem_settle
	kill -TERM "$SIEM_RSYSLOG_PID" 2>/dev/null
	e2e_wait_for 15 e2e_gone "$SIEM_RSYSLOG_PID" || e2e_fail "rsyslogd did not stop"
	wait "$SIEM_RSYSLOG_PID" 2>/dev/null
	SIEM_RSYSLOG_PID=
	rm -f "$E2E_TMP/rsyslog.pid"
}

# siem_tcp_receiver NAME: rsyslogd with one imtcp input, NAME, on SIEM_PORT,
# and $E2E_TMP/feed.conf with destination NAME sending it rfc5424.
siem_tcp_receiver()
{
	siem_rsyslog_conf
	siem_input imtcp "$SIEM_PORT" "$1"
	siem_rsyslog_start "$SIEM_PORT"
	printf '[siem %s]\ntarget = tcp://127.0.0.1:%s\nformat = rfc5424\nbackoff_cap = 1\n' \
		"$1" "$SIEM_PORT" >"$E2E_TMP/feed.conf"
}

# A trail of N records (more arguments go to siem_trail write), and its dump.
siem_make_trail()
{
	"$SIEM_TRAIL_BIN" write --log-dir "$SIEM_LOG" --host "$SIEM_HOST" "$@" ||
		e2e_fail "siem_trail write failed"
}

siem_dump()
{
	"$SIEM_TRAIL_BIN" dump "$SIEM_TRAIL" >"$E2E_TMP/dump.jsonl" ||
		e2e_fail "siem_trail dump failed"
}

# The last seq of the trail (after siem_dump).
siem_last_seq() { tail -n 1 "$E2E_TMP/dump.jsonl" | sed 's/^{"seq":\([0-9]*\),.*/\1/'; }

siem_cursor() { cat "$SIEM_TRAIL/cursors/$1" 2>/dev/null || echo 0; }

# Run the feed on the test trail in the background (its stderr kept).
siem_feed_start()
{
	"$E2E_BIN" -c "$1" feed --trail "$SIEM_TRAIL" >>"$E2E_TMP/feed.out" \
		2>>"$E2E_TMP/feed.err" &
	SIEM_FEED_PID=$!
	E2E_PIDS+=("$SIEM_FEED_PID")
}

# siem_feed_for CONF SECONDS: run the feed that long, then stop it; it must
# exit 0.
siem_feed_for()
{
	siem_feed_start "$1"
	sleep "$2"
	kill -TERM "$SIEM_FEED_PID"
	wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
}

# Deliver the whole trail and exit, within $2 seconds.
siem_feed_drain()
{
	timeout "$2" "$E2E_BIN" -c "$1" -j feed --trail "$SIEM_TRAIL" --drain \
		>>"$E2E_TMP/feed.out" 2>>"$E2E_TMP/feed.err" ||
		e2e_fail "feed --drain did not finish: $(tail -n 5 "$E2E_TMP/feed.err")"
}

# siem_pki: in $SIEM_PKI, a CA (ca.pem, ca.key) and another CA (other.pem),
# EC P-256, valid for two days.
SIEM_PKI=$E2E_TMP/pki
SIEM_EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
siem_pki()
{
	mkdir -p "$SIEM_PKI"
	openssl req -x509 $SIEM_EC -keyout "$SIEM_PKI/ca.key" -out "$SIEM_PKI/ca.pem" \
		-days 2 -subj "/CN=egress-audit e2e CA" 2>/dev/null || e2e_fail "openssl: CA"
	openssl req -x509 $SIEM_EC -keyout "$SIEM_PKI/other.key" -out "$SIEM_PKI/other.pem" \
		-days 2 -subj "/CN=another CA" 2>/dev/null || e2e_fail "openssl: other CA"
}

# siem_sign NAME USAGE SAN: NAME.key, NAME.csr, NAME.cnf (its extensions)
# and NAME.pem, a certificate of the CA for CN=NAME.
siem_sign()
{
	local name=$1 usage=$2 san=$3

	openssl req $SIEM_EC -keyout "$SIEM_PKI/$name.key" -out "$SIEM_PKI/$name.csr" \
		-subj "/CN=$name" 2>/dev/null || e2e_fail "openssl: request for $name"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' \
		"$san" "$usage" >"$SIEM_PKI/$name.cnf"
	openssl x509 -req -in "$SIEM_PKI/$name.csr" -CA "$SIEM_PKI/ca.pem" \
		-CAkey "$SIEM_PKI/ca.key" -CAcreateserial -out "$SIEM_PKI/$name.pem" -days 2 \
		-extfile "$SIEM_PKI/$name.cnf" 2>/dev/null || e2e_fail "openssl: certificate for $name"
}

# siem_refused DEST PATTERN WHAT: the feed's errors say why DEST was
# refused (PATTERN, an extended regular expression, follows "siem DEST: "),
# and its cursor never moved.
siem_refused()
{
	grep -Eq "siem $1: $2" "$E2E_TMP/feed.err" ||
		e2e_fail "no clear error for $3: $(cat "$E2E_TMP/feed.err")"
	[ "$(siem_cursor "$1")" = 0 ] || e2e_fail "$1: cursor moved to $(siem_cursor "$1")"
}

# Compare what NAME.log received with the trail.
siem_check()
{
	local name=$1

	shift
	python3 "$SIEM_CHECK" --dump "$E2E_TMP/dump.jsonl" --bin "$E2E_BIN" \
		--received "$E2E_TMP/$name.log" "$@" || e2e_fail "$name: check failed"
}
