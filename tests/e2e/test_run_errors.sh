#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `run` refuses clearly: not root (exit 1, one line naming root), a bad
# configuration (exit 2, naming file and line), a cgroup that does not
# exist (exit 2), an empty --cgroup or a cgroup outside the cgroup2 mount
# (exit 2), a label tree that is not there, a label cgroup too deep for the
# datapath, an interface or GeoIP file that is not there, a host name the
# trail cannot take or a SIEM CA that does not load (exit 2), and `status` with contradicting options (exit 2) or no
# agent (exit 1), a trail it cannot open (exit 1). `check` refuses the
# same with the same words, loading and making nothing, and sums up a good
# configuration. A second agent on the trail of a running one exits 1.
# Each attempt names the test's own cgroup, so that even a run that
# wrongly started would watch nothing but it.
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
# from the configuration: exit 1 (a unit may yet start it), its file and line named
printf '[agent]\nrecord = flagged\ncgroup = /does-not-exist\n\n[geoip]\nfile = %s\n' \
	"$pub/geo.csv" >"$E2E_TMP/nocg.conf"
try_run "$E2E_BIN" -c "$E2E_TMP/nocg.conf" run --state-dir "$E2E_TMP/state"
echo "no [agent] cgroup: exit $rc: $err"
[ $rc -eq 1 ] || fail "[agent] cgroup = /does-not-exist: exit $rc, expected 1"
printf '%s\n' "$err" | grep -q "$E2E_TMP/nocg.conf:3: \[agent\] cgroup /does-not-exist" ||
	fail "[agent] cgroup = /does-not-exist: message does not name the file, line and cgroup"

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

# 9. `check` refuses what run refuses, with the same exit code and message,
# and so do both: a label tree that is not there (named by the line of its
# path key), a SIEM CA that does not load
printf '[geoip]\nfile = %s\n\n[label eu]\ncgroup = %s\npath = %s\n' \
	"$pub/geo.csv" "$E2E_CG_REL" "$E2E_TMP/no-such-tree" >"$pub/tree.conf"
echo "not a certificate" >"$pub/junk.pem"
printf '[geoip]\nfile = %s\n[siem soc]\ntarget = tls://127.0.0.1:6514\nformat = cef\nca = %s\n' \
	"$pub/geo.csv" "$pub/junk.pem" >"$pub/ca.conf"
chmod 0644 "$pub"/*.conf "$pub/junk.pem"
same_as_run()	# NAME RC PATTERN CONFIG [CHECK ARGS...]
{
	local name=$1 want=$2 pattern=$3 conf=$4 cmd

	shift 4
	for cmd in run check; do
		if [ $cmd = run ]; then
			try_run "$E2E_BIN" -c "$conf" run "$@" --state-dir "$E2E_TMP/state"
		else
			try_run "$E2E_BIN" -c "$conf" check "$@"
		fi
		echo "$cmd, $name: exit $rc: $err"
		[ $rc -eq "$want" ] || fail "$cmd, $name: exit $rc, expected $want"
		printf '%s\n' "$err" | grep -q -- "$pattern" ||
			fail "$cmd, $name: message does not match '$pattern'"
		[ -s "$E2E_TMP/out" ] && fail "$cmd, $name: printed $(cat "$E2E_TMP/out")"
	done
}
same_as_run "bad config" 2 "$pub/bad.conf:3" "$pub/bad.conf" --cgroup "$E2E_CG"
same_as_run "no cgroup" 2 "does-not-exist" "$pub/good.conf" --cgroup /does-not-exist
same_as_run "enforce" 2 "explicitly" "$pub/enforce.conf"
same_as_run "label tree" 2 "$pub/tree.conf:6: \[label eu\] $E2E_TMP/no-such-tree: No such file" \
	"$pub/tree.conf" --cgroup "$E2E_CG"
same_as_run "SIEM CA" 2 "siem soc: ca $pub/junk.pem: .*no certificate" "$pub/ca.conf" --cgroup "$E2E_CG"
# an empty --cgroup would be the mount's root, which enforce mode was not given
same_as_run "empty --cgroup" 2 "--cgroup: empty path" "$pub/enforce.conf" --cgroup ""
# a cgroup that ".." leads out of the cgroup2 mount, from either place
out=$E2E_CG_REL/../..
same_as_run "--cgroup outside" 2 "cgroup $out: not under the cgroup2 mount" "$pub/good.conf" \
	--cgroup "$out"
printf '[agent]\nrecord = flagged\ncgroup = %s\n[geoip]\nfile = %s\n' "$out" "$pub/geo.csv" \
	>"$pub/outcg.conf"
same_as_run "[agent] cgroup outside" 2 \
	"$pub/outcg.conf:3: \[agent\] cgroup $out: not under the cgroup2 mount" "$pub/outcg.conf"
# a label's cgroup outside the mount, or 16 levels below its root (the datapath
# looks at levels 0 to 15); 15 levels down is taken
deep=$E2E_CG_REL
for i in $(seq 2 16); do deep=$deep/d$i; done
mkdir -p "$E2E_CG_MOUNT$deep" || e2e_fail "mkdir $deep"
printf '[geoip]\nfile = %s\n[label eu]\ncgroup = %s\n\ncgroup = %s\n' "$pub/geo.csv" \
	"$(dirname "$deep")" "$out" >"$pub/labelcg.conf"
same_as_run "label cgroup outside" 2 \
	"$pub/labelcg.conf:6: \[label eu\] $out: not under the cgroup2 mount" "$pub/labelcg.conf" \
	--cgroup "$E2E_CG"
printf '[geoip]\nfile = %s\n[label eu]\ncgroup = %s\ncgroup = %s\n' "$pub/geo.csv" \
	"$(dirname "$deep")" "$deep" >"$pub/deep.conf"
same_as_run "label cgroup too deep" 2 \
	"$pub/deep.conf:5: \[label eu\] $deep: 16 levels below the cgroup2 root" "$pub/deep.conf" \
	--cgroup "$E2E_CG"
# an interface that is not there: check said nothing and run failed late;
# both say so early, exit 1 (it may come later: the unit tries again)
printf '[agent]\nrecord = flagged\ninterfaces = nosuch0\n[geoip]\nfile = %s\n' "$pub/geo.csv" \
	>"$pub/iface.conf"
same_as_run "interface" 1 "$pub/iface.conf:3: \[agent\] interfaces: nosuch0: No such device" \
	"$pub/iface.conf" --cgroup "$E2E_CG"
# a GeoIP file that is not there, named by the line of its key
printf '[agent]\nrecord = flagged\n[geoip]\nfile = %s\n' "$pub/none.csv" >"$pub/nogeo.conf"
same_as_run "GeoIP file" 2 "$pub/nogeo.conf:4: \[geoip\] file $pub/none.csv: No such file" \
	"$pub/nogeo.conf" --cgroup "$E2E_CG"
# a host name the trail cannot make its directory of (it failed at the trail, exit 1)
printf '[agent]\nhostname = ..\n[geoip]\nfile = %s\n' "$pub/geo.csv" >"$pub/host.conf"
same_as_run "host name" 2 "$pub/host.conf:2: \[agent\] hostname: '..' is not a host name" \
	"$pub/host.conf" --cgroup "$E2E_CG"
# the trail: a file where its directory goes, a signing key that is not one,
# a read-only file system
touch "$E2E_TMP/file"
echo "not a key" >"$E2E_TMP/junk.key"
printf '[agent]\nlog_dir = %s\n[geoip]\nfile = %s\n' "$E2E_TMP/file/log" "$pub/geo.csv" \
	>"$pub/logdir.conf"
printf '[agent]\nlog_dir = %s\nkey_file = %s\n[geoip]\nfile = %s\n' "$E2E_TMP/trail" \
	"$E2E_TMP/junk.key" "$pub/geo.csv" >"$pub/key.conf"
same_as_run "trail directory" 1 "audit trail: $E2E_TMP/file/log: Not a directory" \
	"$pub/logdir.conf" --cgroup "$E2E_CG"
same_as_run "signing key" 1 "audit trail: $E2E_TMP/junk.key: not an Ed25519 private key" \
	"$pub/key.conf" --cgroup "$E2E_CG"
e2e_mount_ro "$E2E_TMP/ro"
printf '[agent]\nlog_dir = %s\n[geoip]\nfile = %s\n' "$E2E_TMP/ro/log" "$pub/geo.csv" \
	>"$pub/ro.conf"
same_as_run "read-only trail" 1 "audit trail: $E2E_TMP/ro/log: Read-only file system" \
	"$pub/ro.conf" --cgroup "$E2E_CG"
try_run setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$pub/egress-audit" -c "$pub/good.conf" check --cgroup "$E2E_CG"
[ $rc -eq 1 ] && printf '%s\n' "$err" | grep -qi root || fail "check, not root: exit $rc: $err"

# 10. `check` of a good configuration: what run would do, and nothing loaded
mkdir "$E2E_TMP/tree"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$E2E_TMP/ca.key" -out "$E2E_TMP/ca.pem" -days 2 -subj "/CN=e2e CA" 2>/dev/null ||
	e2e_fail "openssl: CA"
cat >"$pub/full.conf" <<CONF
[agent]
mode = enforce
log_dir = $E2E_TMP/log
[geoip]
file = $pub/geo.csv
[label eu]
cgroup = $E2E_CG_REL
path = $E2E_TMP/tree
mode = audit
[siem soc]
target = tls://127.0.0.1:6514
format = cef
ca = $E2E_TMP/ca.pem
CONF
try_run "$E2E_BIN" -c "$pub/full.conf" -j check --cgroup "$E2E_CG"
[ $rc -eq 0 ] || fail "check of a good configuration: exit $rc: $err"
/usr/bin/python3 - "$E2E_TMP/out" "$pub" "$E2E_CG" "$E2E_CG_REL" "$E2E_TMP" <<'PY' ||
import ctypes, json, os, sys
out, pub, cg, rel, tmp = sys.argv[1:]
c = json.load(open(out))
want = {"config": pub + "/full.conf", "cgroup": cg, "mode": "enforce", "record": "flagged",
        "labels": [{"name": "eu", "mode": "audit", "cgroups": [rel], "paths": [tmp + "/tree"]}],
        "siem": [{"name": "soc", "target": "tls://127.0.0.1:6514", "format": "cef"}],
        "log_dir": tmp + "/log", "key": {"path": tmp + "/log/host.key", "exists": False}}
for k, v in want.items():
    assert c[k] == v, (k, c[k], v)
d = c["disk"]	# the log directory is not made yet: its parent's file system
assert d["path"] == tmp and 0 < d["free"] <= d["size"] and d["trail"] == 0, d
g = c["geoip"]
assert g["files"] == [pub + "/geo.csv"] and g["ranges"] > 0 and g["results"] > 0, g
assert c["calls_32bit"] in ("watched", "none"), c["calls_32bit"]	# a labelled tree
libc = ctypes.CDLL(None, use_errno=True)	# getpid with the x32 bit: answered or ENOSYS
assert c["calls_x32"] is (libc.syscall(0x40000000 | 39) == os.getpid()), c["calls_x32"]
PY
	fail "check -j: $(cat "$E2E_TMP/out")"
[ -z "$(bpftool cgroup show "$E2E_CG" 2>&1)" ] ||
	fail "check attached programs: $(bpftool cgroup show "$E2E_CG")"
[ ! -e "$E2E_TMP/log" ] || fail "check made the trail's directory"
try_run "$E2E_BIN" -c "$pub/full.conf" check --cgroup "$E2E_CG"
for want in "^watching   $E2E_CG in enforce mode, recording flagged flows\$" \
	"^labels     eu: 1 cgroup, 1 tree, audit mode\$" \
	"^32-bit     \(calls watched: one program looks at the end of every system call\|none: this kernel makes no 32-bit system calls\)" \
	"^siem       soc, tls://127.0.0.1:6514, cef\$" \
	"^trail      $E2E_TMP/log/$(hostname), signed with $E2E_TMP/log/host.key (made at start)\$" \
	"^disk       [0-9.]* [KMGTPE]iB free of [0-9.]* [KMGTPE]iB at $E2E_TMP; the trail takes 0 B of 1.0 GiB retained\$" \
	"^ok: run would start"; do
	grep -q "$want" "$E2E_TMP/out" || fail "check: no line '$want' in $(cat "$E2E_TMP/out")"
done
[ -z "$err" ] || fail "check of a good configuration warned: $err"

# 11. `check` warns, and passes, where the trail would soon fill its disk
e2e_mount_tmpfs "$E2E_TMP/small" size=1m
for sizes in "" "rotate_size = 256K|retain_size = 10M"; do
	printf '[agent]\nlog_dir = %s\n%s\n[geoip]\nfile = %s\n' "$E2E_TMP/small/log" \
		"$(printf '%s' "$sizes" | tr '|' '\n')" "$pub/geo.csv" >"$pub/small.conf"
	try_run "$E2E_BIN" -c "$pub/small.conf" check --cgroup "$E2E_CG"
	[ $rc -eq 0 ] || fail "check, small disk ($sizes): exit $rc: $err"
	grep -q "^disk       1.0 MiB free of 1.0 MiB at $E2E_TMP/small; " "$E2E_TMP/out" ||
		fail "check, small disk: $(cat "$E2E_TMP/out")"
done
want="egress-audit: warning: $E2E_TMP/small has 1.0 MiB free, less than the trail may grow by before retention deletes (retain_size 10.0 MiB, the trail takes 0 B now)"
[ "$err" = "$want" ] || fail "check, retained trail larger than the disk: '$err', want '$want'"
printf '[agent]\nlog_dir = %s\n[geoip]\nfile = %s\n' "$E2E_TMP/small/log" "$pub/geo.csv" \
	>"$pub/small.conf"
try_run "$E2E_BIN" -c "$pub/small.conf" check --cgroup "$E2E_CG"
want="egress-audit: warning: $E2E_TMP/small has 1.0 MiB free, less than one trail segment (rotate_size 64.0 MiB): disk_full_action = suspend would act within one"
[ "$err" = "$want" ] || fail "check, segment larger than the disk: '$err', want '$want'"

# 12. one writer per trail: a second agent on the trail of a running one
# exits 1, naming the trail's directory and the first one's pid; the first
# goes on, stops cleanly, and its trail verifies
printf '[agent]\nlog_dir = %s\nhostname = one.example\n[geoip]\nfile = %s\n' \
	"$E2E_TMP/one" "$pub/geo.csv" >"$pub/one.conf"
e2e_bpffs
: >"$E2E_TMP/agent.err"
"$E2E_BIN" -c "$pub/one.conf" run --cgroup "$E2E_CG" --state-dir "$E2E_TMP/one-state" \
	>"$E2E_TMP/one.out" 2>>"$E2E_TMP/agent.err" &
E2E_AGENT_PID=$!
e2e_wait_for 20 e2e_agent_started && grep -q watching "$E2E_TMP/agent.err" ||
	e2e_fail "first agent not watching: $(cat "$E2E_TMP/agent.err")"
try_run "$E2E_BIN" -c "$pub/one.conf" run --cgroup "$E2E_CG" --state-dir "$E2E_TMP/two-state"
want="audit trail: $E2E_TMP/one/one.example: the trail is being written by another process (pid $E2E_AGENT_PID)"
[ $rc -eq 1 ] && printf '%s\n' "$err" | grep -qF "$want" ||
	fail "second writer: exit $rc: $err"
kill -0 "$E2E_AGENT_PID" 2>/dev/null || fail "the first agent did not go on"
e2e_agent_stop
"$E2E_BIN" verify --log-dir "$E2E_TMP/one" >"$E2E_TMP/verify.out" 2>&1 ||
	fail "verify after a refused second writer: $(cat "$E2E_TMP/verify.out")"

[ $failed -eq 0 ] || e2e_fail "run errors: see above"
echo "PASS: run errors"
