#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `make install` into a staging root: every file with its mode, the
# operator's configuration kept over a second install, and the systemd
# unit. The unit must pass systemd-analyze, name the installed binary and
# configuration, and its capability bounding set must be enough: the
# installed agent, run as the unit runs it (that set, no new privileges,
# the installed configuration and data), records a flagged flow, reloads
# on SIGHUP (ExecReload), records again, stops with exit 0 on SIGTERM, and
# leaves a trail that verifies.
. "$(dirname "$0")/lib.sh"

# the PREFIX the binary was built for, so that installing rebuilds nothing
PREFIX=$(sed -n 's|^#define EA_DATADIR "\(.*\)/share/egress-audit"$|\1|p' \
	"$E2E_ROOT/build/gen/paths.h")
[ -n "$PREFIX" ] || e2e_fail "no EA_DATADIR in build/gen/paths.h"
SYSCONFDIR=/etc
ROOT=$E2E_TMP/root
UNIT=$ROOT$PREFIX/lib/systemd/system/egress-audit.service
CONF=$ROOT$SYSCONFDIR/egress-audit/egress-audit.conf
DST=			# a documentation address the shipped data flags
failed=0

fail_soft() { echo "FAIL: $*" >&2; failed=1; }

install_to_root()
{
	make -s -C "$E2E_ROOT" install DESTDIR="$ROOT" PREFIX=$PREFIX \
		SYSCONFDIR=$SYSCONFDIR >"$E2E_TMP/install.log" 2>&1 ||
		e2e_fail "make install: $(cat "$E2E_TMP/install.log")"
}

# FILE must exist with octal MODE.
check_mode()
{
	local got

	got=$(stat -c %a "$ROOT$2" 2>/dev/null) || { fail_soft "not installed: $2"; return; }
	[ "$got" = "$1" ] || fail_soft "$2: mode $got, expected $1"
}

check_files()
{
	check_mode 755 $PREFIX/sbin/egress-audit
	check_mode 644 $PREFIX/share/egress-audit/geo-whois-asn-country.csv.gz
	check_mode 644 $PREFIX/share/egress-audit/jurisdictions.csv
	check_mode 644 $PREFIX/share/egress-audit/GEOIP-ATTRIBUTION.md
	check_mode 644 $PREFIX/share/doc/egress-audit/README.md
	check_mode 644 $PREFIX/share/doc/egress-audit/egress-audit.rules.yml
	check_mode 644 $PREFIX/lib/systemd/system/egress-audit.service
	check_mode 700 $SYSCONFDIR/egress-audit
	check_mode 600 $SYSCONFDIR/egress-audit/egress-audit.conf.example
	check_mode 600 $SYSCONFDIR/egress-audit/egress-audit.conf
	cmp -s "$CONF" "$E2E_ROOT/etc/egress-audit.conf.example" ||
		fail_soft "egress-audit.conf is not the example's defaults"
}

# A second install must not overwrite the operator's configuration.
check_conf_kept()
{
	echo "; the operator's" >>"$CONF"
	install_to_root
	grep -qx "; the operator's" "$CONF" || fail_soft "a second install overwrote $CONF"
}

# The installed binary says which release it is: the Makefile's VERSION.
check_version()
{
	local want got

	want=$(sed -n 's/^VERSION\t*:= *//p' "$E2E_ROOT/Makefile")
	[ -n "$want" ] || { fail_soft "no VERSION in the Makefile"; return; }
	got=$("$ROOT$PREFIX/sbin/egress-audit" --version | head -n 1)
	[[ "$got" =~ ^egress-audit\ $want(\ \(commit\ [0-9a-f]{12}(-dirty)?\))?$ ]] ||
		fail_soft "--version says '$got', expected egress-audit $want"
}

check_unit()
{
	local want="ExecStart=$PREFIX/sbin/egress-audit -c $SYSCONFDIR/egress-audit/egress-audit.conf run"

	grep -qx "$want" "$UNIT" || fail_soft "unit: no line '$want'"
	! grep -n '@' "$UNIT" || fail_soft "unit: a placeholder is left"
	# systemd-analyze checks that ExecStart is executable: point it into the root
	sed "s|^ExecStart=$PREFIX|ExecStart=$ROOT$PREFIX|" "$UNIT" >"$E2E_TMP/egress-audit.service"
	(cd "$E2E_TMP" && systemd-analyze verify ./egress-audit.service) >"$E2E_TMP/verify.out" 2>&1 ||
		fail_soft "systemd-analyze verify: $(cat "$E2E_TMP/verify.out")"
	[ ! -s "$E2E_TMP/verify.out" ] ||
		fail_soft "systemd-analyze verify warns: $(cat "$E2E_TMP/verify.out")"
}

# The unit's CapabilityBoundingSet as setpriv's list (+bpf,+perfmon,...)
# and as the mask /proc/PID/status shows (setpriv --list-caps is in bit order).
unit_caps()
{
	sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' | sed 's/^cap_//'
}

# ... less what this machine's root lacks (for one, CAP_SYS_RESOURCE here)
caps_mask()
{
	local names bit=0 mask=0 own c

	names=$(unit_caps)
	own=$((16#$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)))
	for c in $(setpriv --list-caps); do
		grep -qx "$c" <<<"$names" && mask=$((mask | (1 << bit)))
		bit=$((bit + 1))
	done
	printf '%016x\n' $((mask & own))
}

check_agent_caps()
{
	local want got

	want=$(caps_mask)
	got=$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$E2E_AGENT_PID/status")
	[ "$got" = "$want" ] || fail_soft "agent's bounding set $got, the unit's $want"
	got=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$E2E_AGENT_PID/status")
	[ "$got" = "$want" ] || fail_soft "agent's effective set $got, the unit's $want"
	got=$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$E2E_AGENT_PID/status")
	[ "$got" = 1 ] || fail_soft "agent runs without no_new_privs"
}

# The first of the server's addresses that the installed binary, on its
# installed data, flags; its country as a GeoIP file for check_records.py.
pick_flagged_dst()
{
	local a cc

	for a in 198.51.100.7 203.0.113.5; do
		"$E2E_BIN" -j -c "$E2E_TMP/agent.conf" classify $a >"$E2E_TMP/classify.json" ||
			e2e_fail "installed classify $a exited $?"
		grep -q '"verdict":"flagged"' "$E2E_TMP/classify.json" || continue
		DST=$a
		cc=$(sed -n 's/.*"country":"\([A-Z][A-Z]\)".*/\1/p' "$E2E_TMP/classify.json")
		echo "# $DST as the installed data has it" >"$E2E_TMP/dst-geoip.csv"
		[ -z "$cc" ] || echo "$DST,$DST,$cc" >>"$E2E_TMP/dst-geoip.csv"
		echo "destination: $(cat "$E2E_TMP/classify.json")"
		return
	done
	e2e_fail "the installed data flags none of the server's addresses"
}

send_flagged()
{
	e2e_in "$E2E_TRAFFIC" tcp4 $DST $E2E_PORT 20000 >>"$E2E_TMP/traffic.jsonl" \
		2>>"$E2E_TMP/traffic.err" || fail_soft "traffic: $(tail -n 1 "$E2E_TMP/traffic.err")"
}

run_as_the_unit()
{
	local caps since until

	caps=$(unit_caps | sed 's/^/+/' | paste -sd, -)
	E2E_AGENT_WRAP=(setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,"$caps")
	E2E_BIN=$ROOT$PREFIX/sbin/egress-audit
	export EGRESS_AUDIT_DATADIR=$ROOT$PREFIX/share/egress-audit
	cp "$CONF" "$E2E_TMP/agent.conf"

	pick_flagged_dst

	e2e_setup
	since=$(date +%s.%N)
	e2e_agent_start "$E2E_TMP/agent.conf"
	check_agent_caps
	send_flagged
	kill -HUP "$E2E_AGENT_PID"
	e2e_wait_for 20 grep -q 'reload: GeoIP and policy now from bank' "$E2E_TMP/agent.err" ||
		fail_soft "no reload within 20 s of SIGHUP: $(cat "$E2E_TMP/agent.err")"
	send_flagged
	sleep 1
	e2e_agent_stop TERM
	until=$(date +%s.%N)
	sed 's/^/  agent: /' "$E2E_TMP/agent.err"

	python3 "$E2E_ROOT/tests/e2e/check_records.py" --records "$E2E_TMP/records.jsonl" \
		--traffic "$E2E_TMP/traffic.jsonl" --cgroup "$E2E_CG_REL" \
		--since "$since" --until "$until" --geoip "$E2E_TMP/dst-geoip.csv" \
		--jurisdictions "$ROOT$PREFIX/share/egress-audit/jurisdictions.csv" || failed=1
	"$E2E_BIN" verify --log-dir "$E2E_TMP/trail" >"$E2E_TMP/verify-trail.out" 2>&1 ||
		fail_soft "verify of the trail exited $?: $(cat "$E2E_TMP/verify-trail.out")"
}

install_to_root
check_files
check_conf_kept
check_version
check_unit
run_as_the_unit
[ $failed -eq 0 ] || e2e_fail "install: see above"
echo "PASS: install"
