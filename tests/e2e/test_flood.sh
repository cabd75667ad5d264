#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The flood limit: one process's burst of flagged UDP flows must not crowd
# another's records out of the ring buffer. The agent is stopped while a
# flooder makes 2000 flows and then a victim makes 20 (a 64 KiB ring holds
# about 400 events). With flood_limit = 50 the flooder is refused once the
# ring is three quarters full, every victim event is a record, and the
# refused events are lost records naming the flooder, equal to the kernel's
# counters. The same run with flood_limit = 0 loses victim events: the
# limit, not the ring's size, is what keeps them.
. "$(dirname "$0")/lib.sh"

FLOOD=2000
VICTIM=20
DST=198.51.100.7	# US: flagged
VICTIM_PORT=$((E2E_PORT + 1))

e2e_setup

flood_run() # LIMIT
{
	e2e_agent_start_stopped 64 "flood_limit = $1"
	e2e_in "$E2E_TRAFFIC" udp-burst $DST "$E2E_PORT" $FLOOD >"$E2E_TMP/flooder.json" ||
		e2e_fail "flooder"
	e2e_in "$E2E_TRAFFIC" udp-burst $DST $VICTIM_PORT $VICTIM >"$E2E_TMP/victim.json" ||
		e2e_fail "victim"
	kill -CONT "$E2E_AGENT_PID" || e2e_fail "SIGCONT agent"
	# one tick of the agent's loop reports lost and refused counts
	sleep 2
	e2e_status >"$E2E_TMP/status.json" || e2e_fail "status"
	e2e_agent_stop
}

flood_run 50
grep '"lost"' "$E2E_TMP/records.jsonl"
python3 "$E2E_ROOT/tests/e2e/check_flood.py" "$E2E_TMP/records.jsonl" \
	"$E2E_TMP/flooder.json" "$E2E_TMP/victim.json" "$E2E_TMP/status.json" ||
	e2e_fail "flood limit 50"

flood_run 0
python3 "$E2E_ROOT/tests/e2e/check_flood.py" "$E2E_TMP/records.jsonl" \
	"$E2E_TMP/flooder.json" "$E2E_TMP/victim.json" "$E2E_TMP/status.json" --no-limit ||
	e2e_fail "no flood limit"
echo "PASS: flood"
