#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The cursor cannot be saved for a while (its temporary file's name is
# taken by a directory) while delivery goes on. The error names the
# temporary file, and is no failure of the destination: once the cursor is
# saved again the feed reports itself connected, with no failure and no
# error, and the cursor is at the trail's end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/siem_lib.sh"

port=$SIEM_PORT
siem_tcp_receiver tcp

siem_make_trail --records 200
siem_dump
last=$(siem_last_seq)
tmp=$SIEM_TRAIL/cursors/.tcp.tmp
mkdir -p "$tmp"

"$E2E_BIN" -c "$E2E_TMP/feed.conf" -j feed --trail "$SIEM_TRAIL" >"$E2E_TMP/feed.out" \
	2>"$E2E_TMP/feed.err" &
SIEM_FEED_PID=$!
E2E_PIDS+=("$SIEM_FEED_PID")
said() { grep -q "siem tcp: $1" "$E2E_TMP/feed.err"; }
e2e_wait_for 10 said "cannot save the cursor: $tmp: Is a directory" ||
	e2e_fail "no error naming $tmp: $(cat "$E2E_TMP/feed.err")"
sleep 1		# idle steps that try again
rmdir "$tmp"
saved() { [ "$(siem_cursor tcp)" = "$last" ]; }
e2e_wait_for 10 saved || e2e_fail "cursor $(siem_cursor tcp), want $last"
said "the cursor is saved again" || e2e_fail "the recovery was not logged: $(cat "$E2E_TMP/feed.err")"
kill -TERM "$SIEM_FEED_PID"
wait "$SIEM_FEED_PID" || e2e_fail "feed exited $? after SIGTERM"
siem_rsyslog_stop --settle

python3 - "$E2E_TMP/feed.out" <<'PY' || e2e_fail "the feed's report: $(cat "$E2E_TMP/feed.out")"
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["connected"] is True, "not connected"
assert d["failures"] == 0, "%d failures" % d["failures"]
assert d["error"] is None, "error %r" % d["error"]
PY
siem_check tcp --format rfc5424 --exact
echo "PASS: a cursor that could not be saved was reported by its temporary file, and cleared once saved"
