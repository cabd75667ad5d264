#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `run` refuses clearly: not root (exit 1, one line naming root), a bad
# configuration (exit 2, naming file and line), a cgroup that does not
# exist (exit 2), and `status` with contradicting options (exit 2) or no
# agent (exit 1). Each attempt names the test's own cgroup, so that even
# a run that wrongly started would watch nothing but it.
. "$(dirname "$0")/lib.sh"

failed=0

fail() { echo "FAIL: $*" >&2; failed=1; }

# Run the agent with a deadline; its exit code and stderr in rc and err.
try_run()
{
	timeout -s INT 20 "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	rc=$?
	err=$(cat "$E2E_TMP/err")
}

e2e_cgroup

# A directory the unprivileged user can read, with all the run needs.
pub=$E2E_TMP/pub
mkdir -m 0755 "$pub"
chmod 0711 "$E2E_TMP"
cp "$E2E_BIN" "$pub/egress-audit"
cp "$E2E_ROOT/tests/data/test-geoip.csv" "$pub/geo.csv"
cat >"$pub/good.conf" <<CONF
[agent]
record = flagged

[geoip]
file = $pub/geo.csv
CONF
printf '[agent]\nrecord = flagged\nno_such_key = 1\n\n[geoip]\nfile = %s\n' \
	"$pub/geo.csv" >"$pub/bad.conf"
chmod 0644 "$pub"/*.conf "$pub/geo.csv"

# 1. not root
try_run setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$pub/egress-audit" -c "$pub/good.conf" run --cgroup "$E2E_CG" \
	--state-dir "$pub/state"
echo "not root: exit $rc: $err"
[ $rc -eq 1 ] || fail "not root: exit $rc, expected 1"
[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] ||
	fail "not root: expected a one-line message, got $(printf '%s\n' "$err" | grep -c .) lines"
printf '%s\n' "$err" | grep -qi root || fail "not root: message does not mention root"

# 2. unknown key on line 3
try_run "$E2E_BIN" -c "$pub/bad.conf" run --cgroup "$E2E_CG" --state-dir "$E2E_TMP/state"
echo "bad config: exit $rc: $err"
[ $rc -eq 2 ] || fail "bad config: exit $rc, expected 2"
printf '%s\n' "$err" | grep -q "$pub/bad.conf:3" ||
	fail "bad config: message does not name $pub/bad.conf:3"

# 3. a cgroup that does not exist
try_run "$E2E_BIN" -c "$pub/good.conf" run --cgroup /does-not-exist \
	--state-dir "$E2E_TMP/state"
echo "no cgroup: exit $rc: $err"
[ $rc -eq 2 ] || fail "--cgroup /does-not-exist: exit $rc, expected 2"
printf '%s\n' "$err" | grep -q does-not-exist ||
	fail "--cgroup /does-not-exist: message does not name the cgroup"

# 4. no cgroup v2: in a mount namespace of its own without the cgroup2 mount
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
try_run unshare -m sh -c "umount -l '$cg2' && exec '$E2E_BIN' -c '$pub/good.conf' run \
	--cgroup '$E2E_CG' --state-dir '$E2E_TMP/state'"
echo "no cgroup v2: exit $rc: $err"
[ $rc -eq 1 ] || fail "no cgroup v2: exit $rc, expected 1"
printf '%s\n' "$err" | grep -q "cgroup v2" || fail "no cgroup v2: message does not say so"

# 5. no kernel BTF: an empty /sys/kernel/btf in a mount namespace
try_run unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$E2E_BIN' \
	-c '$pub/good.conf' run --cgroup '$E2E_CG' --state-dir '$E2E_TMP/state'"
echo "no BTF: exit $rc: $err"
[ $rc -eq 1 ] || fail "no BTF: exit $rc, expected 1"
printf '%s\n' "$err" | grep -q "BTF" || fail "no BTF: message does not say so"

# 6. enforce without an explicitly named cgroup is refused
printf '[agent]\nmode = enforce\n[geoip]\nfile = %s\n' "$pub/geo.csv" >"$pub/enforce.conf"
try_run "$E2E_BIN" -c "$pub/enforce.conf" run --state-dir "$E2E_TMP/state"
echo "enforce on the default cgroup: exit $rc: $err"
[ $rc -eq 2 ] || fail "enforce without --cgroup: exit $rc, expected 2"
printf '%s\n' "$err" | grep -q "explicitly" || fail "enforce: message does not explain"

# 7. a bad argument
try_run "$E2E_BIN" run --no-such-flag
[ $rc -eq 2 ] || fail "bad flag: exit $rc, expected 2"

# 8. status: -j and --prometheus together, and no agent to show
try_run "$E2E_BIN" -j status --prometheus --state-dir "$E2E_TMP/state"
echo "status -j --prometheus: exit $rc: $err"
[ $rc -eq 2 ] || fail "status -j --prometheus: exit $rc, expected 2"
try_run "$E2E_BIN" status --prometheus --state-dir "$E2E_TMP/no-agent"
echo "status --prometheus, no agent: exit $rc: $err"
[ $rc -eq 1 ] || fail "status --prometheus without an agent: exit $rc, expected 1"
printf '%s\n' "$err" | grep -q "no agent running: $E2E_TMP/no-agent/status.json" ||
	fail "status without an agent: message does not name the status file"
[ -s "$E2E_TMP/out" ] && fail "status without an agent printed metrics: $(cat "$E2E_TMP/out")"

[ $failed -eq 0 ] || e2e_fail "run errors: see above"
echo "PASS: run errors"
