#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Forced loss: the smallest ring buffer (one page) and a stopped agent
# while a burst of short flagged UDP flows runs. Every flow_start and
# flow_end the kernel tried to send is either a record or counted in a
# lost record: records + lost == 2 * flows, exactly, and lost > 0. With
# the default flood limit the burst's process is refused past 1000 events
# once the ring is three quarters full, and the ring is full for most of
# those: both kinds of lost record add up.
. "$(dirname "$0")/lib.sh"

COUNT=2000
DST=198.51.100.7	# US: flagged

e2e_setup

e2e_agent_start_stopped 4
e2e_in "$E2E_TRAFFIC" udp-burst $DST "$E2E_PORT" $COUNT >"$E2E_TMP/traffic.jsonl" ||
	e2e_fail "udp-burst"
kill -CONT "$E2E_AGENT_PID" || e2e_fail "SIGCONT agent"
# one tick of the agent's loop reports the lost counts; stop after two
sleep 2
e2e_agent_stop
grep '"lost"' "$E2E_TMP/records.jsonl"
python3 "$E2E_ROOT/tests/e2e/check_records.py" --records "$E2E_TMP/records.jsonl" \
	--loss $COUNT --dst $DST --dport "$E2E_PORT" || e2e_fail "loss accounting"
echo "PASS: loss"
