#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# kill -9 of the trail writer at random moments under load, in every flush
# mode (6 times each): after a restart (which repairs a torn tail) verify
# passes, and the last record the writer had reported durable is in the
# trail with the chain value it reported (checked as an anchor). Every
# other time junk is added at the end, as an interrupted write would leave
# it: the restart must cut from the last whole block to the end of the file
# (the junk and whatever part of a block the kill left) and say so in a
# repair record.
. "$(dirname "$0")/lib.sh"

LOAD=$E2E_ROOT/build/tests/e2e-ea/trail_load
KILLS=${TRAIL_CRASH_KILLS:-6}
failed=0
repaired=0

fail() { echo "FAIL: $*" >&2; failed=1; }

# The last whole line of a file. The kill can cut the writer's last line
# short: the kernel copies a write that crosses a page in two steps and
# stops between them for a fatal signal.
last_whole_line()
{
	if [ -n "$(tail -c 1 "$1")" ]; then
		head -n -1 "$1" | tail -n 1
	else
		tail -n 1 "$1"
	fi
}

[ -x "$LOAD" ] || e2e_fail "$LOAD missing: run make e2e"

# One crash: run under load, kill -9 after a random time, restart, verify.
crash_once()
{
	local mode=$1 dir=$2 i=$3 pid last rc out

	"$LOAD" --log-dir "$dir" --flush "$mode" --rotate-size 262144 --block-size 16384 \
		--seed $((RANDOM + i)) >"$E2E_TMP/durable" 2>/dev/null &
	pid=$!
	sleep "0.$((RANDOM % 6 + 1))$((RANDOM % 10))"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	last=$(last_whole_line "$E2E_TMP/durable")
	torn=0
	if [ $((i % 2)) -eq 0 ]; then
		torn=$((RANDOM % 3000 + 1))
		seg=$(ls "$dir"/load-host/seg-*.eat | tail -n 1)
		head -c "$torn" /dev/urandom >>"$seg"
		# the kill itself may have left part of a block before the junk
		size=$(stat -c %s "$seg")
	fi
	"$LOAD" --log-dir "$dir" --flush "$mode" --records 100 >/dev/null 2>"$E2E_TMP/restart" ||
		{ fail "$mode #$i: restart failed: $(cat "$E2E_TMP/restart")"; return; }
	if [ $torn -gt 0 ]; then
		out=$("$E2E_BIN" query --log-dir "$dir" --event repair -j | tail -n 1)
		if printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["detail"]
sys.exit(0 if d["offset"] + d["bytes"] == int(sys.argv[1]) and d["bytes"] >= int(sys.argv[2]) else 1)
' "$size" "$torn"; then
			repaired=$((repaired + 1))
		else
			fail "$mode #$i: $torn torn bytes in a file of $size, repair record: $out"
		fi
	fi
	if [ -z "$last" ]; then
		out=$("$E2E_BIN" verify --log-dir "$dir")
	else
		[[ $last =~ ^[0-9]+\ [0-9a-f]{64}$ ]] || { fail "$mode #$i: bad line '$last'"; return; }
		out=$("$E2E_BIN" verify --log-dir "$dir" --anchor "${last/ /:}")
	fi
	rc=$?
	[ $rc -eq 0 ] || fail "$mode #$i: verify exited $rc after kill -9 (durable: ${last%% *}): $out"
}

for mode in none incremental data sync; do
	dir=$E2E_TMP/$mode
	for i in $(seq 1 "$KILLS"); do
		crash_once "$mode" "$dir" "$i"
	done
	echo "ok: $mode: $KILLS kills; $("$E2E_BIN" verify --log-dir "$dir")"
done
echo "torn tails repaired: $repaired of $((4 * KILLS)) restarts"

[ $failed -eq 0 ] || e2e_fail "trail crash: see above"
echo "PASS: trail crash safety"
