#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# SIGHUP reload: a new policy applies to the next flows; a reload with a
# bad config or a bad GeoIP file is refused and the last good state stays.
. "$(dirname "$0")/lib.sh"

DST=198.51.100.7	# US: flagged unless allowed

e2e_setup

write_config()
{
	cat >"$E2E_TMP/agent.conf" <<CONF
[agent]
record = flagged
log_dir = $E2E_TMP/trail
[geoip]
file = ${2:-$E2E_ROOT/tests/data/test-geoip.csv}
[policy]
$1
CONF
}

# flagged flow_start records to DST so far
flagged() { grep -c "\"event\":\"flow_start\".*\"dst\":\"$DST\"" "$E2E_TMP/records.jsonl"; }

send() { e2e_in "$E2E_TRAFFIC" udp-connected $DST "$E2E_PORT" 10 >/dev/null || e2e_fail "send"; }

reloads() { grep -c reload "$E2E_TMP/agent.err"; }
more_reloads_than() { test "$(reloads)" -gt "$1"; }
flagged_is() { test "$(flagged)" -eq "$1"; }

reload()
{
	local before
	before=$(reloads)
	kill -HUP "$E2E_AGENT_PID"
	e2e_wait_for 10 more_reloads_than "$before" || e2e_fail "no reload message"
}

write_config ""
e2e_agent_start "$E2E_TMP/agent.conf"
send
e2e_wait_for 5 flagged_is 1 || e2e_fail "first flow not flagged"

# allow the destination: the next flow is not flagged
write_config "allow_cidr = 198.51.100.0/24"
reload
grep -q "reload: GeoIP and policy now from bank 1" "$E2E_TMP/agent.err" ||
	e2e_fail "reload not applied: $(tail -3 "$E2E_TMP/agent.err")"
send
sleep 1
test "$(flagged)" -eq 1 || e2e_fail "flow flagged after allow_cidr reload"

# a bad config is refused, naming file and line; the allow stays
write_config "allow_cidr = 198.51.100.0/24
colour = blue"
reload
grep -q "agent.conf:8: unknown key 'colour'" "$E2E_TMP/agent.err" ||
	e2e_fail "bad config not named: $(tail -3 "$E2E_TMP/agent.err")"
send
sleep 1
test "$(flagged)" -eq 1 || e2e_fail "bad reload changed the policy"

# a bad GeoIP file is refused too
printf '1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.0.255,CN\n' >"$E2E_TMP/bad.csv"
write_config "" "$E2E_TMP/bad.csv"
reload
grep -q "bad.csv:2" "$E2E_TMP/agent.err" ||
	e2e_fail "bad GeoIP file not named: $(tail -3 "$E2E_TMP/agent.err")"
send
sleep 1
test "$(flagged)" -eq 1 || e2e_fail "bad GeoIP reload changed the policy"

# a table larger than the kernel maps were sized for at start is refused:
# 4096 IPv6 /64s of two countries, a deep trie where the first had none
python3 -c 'for i in range(4096): print("2001:db8:%x:%x::,2001:db8:%x:%x:ffff:ffff:ffff:ffff,%s"
	% (i, i, i, i, "JP" if i % 2 else "FR"))' \
	>"$E2E_TMP/big.csv"
write_config "allow_cidr = 198.51.100.0/24" "$E2E_TMP/big.csv"
reload
grep -q "reload: the new GeoIP table needs more trie nodes than the kernel maps" \
	"$E2E_TMP/agent.err" || e2e_fail "oversized table not refused: $(tail -3 "$E2E_TMP/agent.err")"
send
sleep 1
test "$(flagged)" -eq 1 || e2e_fail "oversized GeoIP reload changed the policy"

# back to the default policy: flagged again
write_config ""
reload
send
e2e_wait_for 5 flagged_is 2 || e2e_fail "flow not flagged after reload back"
grep -q '"event":"config".*"reload":"refused"' "$E2E_TMP/records.jsonl" ||
	e2e_fail "no config record for the refused reload"

# a TCP flow allowed at connect keeps no state; when a reload flags its
# destination it is reported at its next send, and ends as usual
write_config "allow_cidr = 198.51.100.0/24"
reload
e2e_in "$E2E_TRAFFIC" tcp-slow $DST "$E2E_PORT" 20000 >"$E2E_TMP/slow.jsonl" &
slow=$!
E2E_PIDS+=("$slow")
sleep 1
write_config ""
reload
wait $slow || e2e_fail "tcp-slow failed"
sport=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sport"])' \
	"$E2E_TMP/slow.jsonl")
tcp_records() { grep -c "\"event\":\"$1\".*\"proto\":\"tcp\".*\"sport\":$sport,\"dst\":\"$DST\"" \
	"$E2E_TMP/records.jsonl"; }
tcp_ended() { test "$(tcp_records flow_end)" -eq 1; }
e2e_wait_for 5 tcp_ended || e2e_fail "no flow_end of the TCP flow flagged by the reload"
test "$(tcp_records flow_start)" -eq 1 ||
	e2e_fail "TCP flow flagged by the reload: $(tcp_records flow_start) flow_start records"
# The aggregates name what the flows went to, across reloads that filled
# each bank anew (a result's index names another country in the next
# table, as in this last one): every flow so far went to DST, six
# datagram flows and one TCP.
printf '198.51.100.0,198.51.100.255,CN\n' >"$E2E_TMP/cn.csv"
write_config "" "$E2E_TMP/cn.csv"
reload
e2e_status >"$E2E_TMP/status.json" || e2e_fail "status exited $?"
python3 - "$E2E_TMP/status.json" <<'EOF' || e2e_fail "aggregates after reloads"
import json, sys
rows = json.load(open(sys.argv[1])).get("aggregate", [])
flows = sum(r["flows"] for r in rows if r["country"] == "US")
if flows != 7 or any(r["country"] != "US" for r in rows):
    print(f"FAIL: expected 7 flows, all to US: {json.dumps(rows)}")
    sys.exit(1)
print("ok: aggregates after reloads: 7 flows, all to US")
EOF
e2e_agent_stop
echo "PASS: reload"
