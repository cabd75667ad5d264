#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# `verify` on a trail tampered with whole segments and blocks: deleted,
# duplicated, reordered, truncated, with a foreign key, against anchors.
# Each time it exits 1 and names the segment, the seq and what is wrong.
# (Every bit flipped and records rewritten inside blocks: test_trail_tamper.)
. "$(dirname "$0")/lib.sh"

LOAD=$E2E_ROOT/build/tests/e2e-ea/trail_load
BLOCKS=$E2E_ROOT/tests/e2e/trail_blocks.py
BASE=$E2E_TMP/base
failed=0

fail() { echo "FAIL: $*" >&2; failed=1; }

[ -x "$LOAD" ] || e2e_fail "$LOAD missing: run make e2e"
"$LOAD" --log-dir "$BASE" --records 4000 --block-size 2048 --rotate-size 24000 \
	>"$E2E_TMP/durable" || e2e_fail "writing the trail"
"$E2E_BIN" verify --log-dir "$BASE" >"$E2E_TMP/out" || e2e_fail "fresh trail: $(cat "$E2E_TMP/out")"
mapfile -t SEGS < <(cd "$BASE/load-host" && ls seg-*.eat)
[ ${#SEGS[@]} -ge 5 ] || e2e_fail "want at least 5 segments, have ${#SEGS[@]}"
# The last record, as the SIEM would have it: "SEQ CHAIN".
LAST=$("$E2E_BIN" query --log-dir "$BASE" -j | tail -n 1 |
	sed 's/.*"seq":\([0-9]*\),"chain":"\([0-9a-f]*\)".*/\1 \2/')
[[ $LAST =~ ^[0-9]+\ [0-9a-f]{64}$ ]] || e2e_fail "no last record: $LAST"

# A fresh copy of the trail to tamper with, in $T.
copy() { rm -rf "$E2E_TMP/t"; cp -a "$BASE" "$E2E_TMP/t"; T=$E2E_TMP/t/load-host; }

# expect NAME PATTERN [verify args]: exit 1, the output names PATTERN.
expect()
{
	local name=$1 pattern=$2 out rc

	shift 2
	out=$("$E2E_BIN" verify --log-dir "$T" "$@" 2>&1)
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$name: verify exited $rc: $out"
	elif ! printf '%s\n' "$out" | grep -Eq "NOT INTACT: .*$pattern"; then
		fail "$name: verify did not name '$pattern': $out"
	else
		echo "ok: $name: ${out#*NOT INTACT: $T/}"
	fi
}

seq_of() { echo $((10#$(echo "$1" | sed 's/seg-0*\([0-9]*\)\.eat/\1/'))); }

copy; rm "$T/${SEGS[2]}" "$T/${SEGS[2]%.eat}.idx"
expect "middle segment deleted" "${SEGS[3]}: seq $(seq_of "${SEGS[2]}"): records .* are missing"

copy; rm "$T/${SEGS[0]}" "$T/${SEGS[0]%.eat}.idx"
expect "first segment deleted" "${SEGS[1]}: seq $(seq_of "${SEGS[1]}"): records 1\.\..* missing"

copy; rm "$T/${SEGS[-1]}"
expect "last segment deleted (the SIEM holds an anchor)" "anchor ${LAST%% *} is not in the trail" \
	--anchor "${LAST/ /:}"

copy; cp "$T/${SEGS[1]}" "$T/seg-00000000000009999999.eat"
expect "segment copied under another name" "seg-00000000000009999999.eat: .*file name says"

copy; mv "$T/${SEGS[1]}" "$T/swap"; mv "$T/${SEGS[2]}" "$T/${SEGS[1]}"; mv "$T/swap" "$T/${SEGS[2]}"
expect "two segments swapped" "${SEGS[1]}: .*file name says"

copy; "$BLOCKS" "$T/${SEGS[1]}" duplicate 2
expect "block duplicated" "${SEGS[1]}: seq [0-9]+: block at offset [0-9]+ starts at seq"

copy; "$BLOCKS" "$T/${SEGS[1]}" swap 1
expect "blocks reordered" "${SEGS[1]}: seq [0-9]+: block at offset [0-9]+ starts at seq"

copy; "$BLOCKS" "$T/${SEGS[1]}" delete 1
expect "block deleted" "${SEGS[1]}: seq [0-9]+: block at offset [0-9]+ starts at seq"

copy; "$BLOCKS" "$T/${SEGS[1]}" cut 2
expect "segment cut at a block boundary" "${SEGS[1]}: seq [0-9]+: index does not match"

copy; "$BLOCKS" "$T/${SEGS[1]}" cut 2; rm "$T/${SEGS[1]%.eat}.idx"
expect "segment cut at a block boundary, index removed" "${SEGS[2]}: seq [0-9]+: records .* are missing"

copy; truncate -s -50 "$T/${SEGS[1]}"
expect "segment truncated inside a block" "${SEGS[1]}: seq [0-9]+: file ends inside a block"

copy; truncate -s -50 "$T/${SEGS[-1]}"
expect "last segment truncated inside a block" "${SEGS[-1]}: .*torn tail"

copy; n=$("$BLOCKS" "$T/${SEGS[-1]}" count); "$BLOCKS" "$T/${SEGS[-1]}" cut $((n - 1))
expect "last block cut off (the SIEM holds an anchor)" "anchor ${LAST%% *} is not in the trail" \
	--anchor "${LAST/ /:}"

copy; expect "anchor with another chain value" "anchor 100: .*differs" \
	--anchor "100:$(printf '%064d' 0)"

copy; "$LOAD" --log-dir "$E2E_TMP/other" --records 1 >/dev/null
cp "$E2E_TMP/other/host.pub" "$E2E_TMP/t/host.pub"
expect "another host's public key" "checkpoint signature does not verify"

copy; expect "the auditor's key differs" "checkpoint signature does not verify" \
	--pubkey "$E2E_TMP/other/host.pub"

copy; "$E2E_BIN" verify --log-dir "$T" --anchor "${LAST/ /:}" >"$E2E_TMP/out" ||
	fail "untouched copy with its anchor: $(cat "$E2E_TMP/out")"

out=$("$E2E_BIN" verify --log-dir "$T" --anchor "12:xyz" 2>&1)
[ $? -eq 2 ] && printf '%s' "$out" | grep -q -- "--anchor '12:xyz'" ||
	fail "a malformed anchor must exit 2 naming it: $out"

[ $failed -eq 0 ] || e2e_fail "trail tampering: see above"
echo "PASS: trail tampering"
