#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hold the records of a flood against what the traffic made.

check_flood.py RECORDS.jsonl FLOODER.json VICTIM.json STATUS.json [--no-limit]
               [--baseline STATUS0.json]

FLOODER.json and VICTIM.json are the lines `traffic udp-burst` printed (pid,
comm, dst, dport, sockets); STATUS.json is `status -j` taken after the agent
read everything. Each UDP flow of a burst makes a flow_start and a flow_end
event. With the flood limit:
- every event of the victim is a record: its flows are not crowded out;
- every event of the flooder is a record or counted in a lost record,
  exactly (flow_start + flow_end records + lost counts == 2 * sockets), and
  some were refused: lost records with detail.reason "flood_limit" that name
  the flooder's pid and comm;
- the refused counts of the records equal the kernel's counters
  flood_refused_* in status.
With --no-limit (flood_limit = 0), the same flood crowds the victim out:
some of its events are lost, and nothing is refused. With --baseline, the
records are those made since STATUS0.json, whose counters are subtracted.
Exit 0 when all holds, 1 with what does not.
"""
import json
import sys

KINDS = ("flow_start", "flow_update", "flow_end")


def load_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def flow_records(records, burst):
    return sum(1 for r in records
               if r["event"] in ("flow_start", "flow_end") and r.get("proto") == "udp"
               and r.get("dst") == burst["dst"] and r.get("dport") == burst["dport"])


def main():
    argv = sys.argv[1:]
    baseline = {}
    if "--baseline" in argv:
        i = argv.index("--baseline")
        with open(argv[i + 1], encoding="utf-8") as f:
            baseline = json.load(f)["counters"]
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    no_limit = "--no-limit" in argv
    records = load_lines(args[0])
    flooder, victim = load_lines(args[1])[0], load_lines(args[2])[0]
    with open(args[3], encoding="utf-8") as f:
        status = json.load(f)
    errors = []

    lost = [r for r in records if r["event"] == "lost"]
    refused = [r for r in lost if r.get("detail", {}).get("reason") == "flood_limit"]
    ring_full = [r for r in lost if "detail" not in r]
    if len(refused) + len(ring_full) != len(lost):
        errors.append(f"lost records of an unknown reason: {lost}")
    for r in refused:
        d = r["detail"]
        if r["what"] not in KINDS or r["count"] <= 0:
            errors.append(f"refused record: bad what or count: {r}")
        if "pid" in d and (d["pid"], d.get("comm")) != (flooder["pid"], flooder["comm"]):
            errors.append(f"refused record names pid {d['pid']} comm {d.get('comm')}, "
                          f"not the flooder's {flooder['pid']} {flooder['comm']}")
    named = sum(r["count"] for r in refused if "pid" in r["detail"])
    n_refused = sum(r["count"] for r in refused)
    n_lost = sum(r["count"] for r in lost)
    for kind in KINDS:
        name = "flood_refused_" + kind
        want = status["counters"][name] - baseline.get(name, 0)
        got = sum(r["count"] for r in refused if r["what"] == kind)
        if got != want:
            errors.append(f"refused {kind}: records say {got}, the kernel's counter {want}")

    seen_f, seen_v = flow_records(records, flooder), flow_records(records, victim)
    made_f, made_v = 2 * flooder["sockets"], 2 * victim["sockets"]
    print(f"flooder: {seen_f} records + {n_lost} lost ({n_refused} refused by the flood "
          f"limit, {named} of them named) of {made_f} events; victim: {seen_v} records "
          f"of {made_v} events")
    if seen_f + seen_v + n_lost != made_f + made_v:
        errors.append(f"records + lost = {seen_f + seen_v + n_lost}, "
                      f"expected exactly {made_f + made_v}")
    if no_limit:
        if n_refused:
            errors.append(f"{n_refused} events refused without a flood limit")
        if seen_v == made_v:
            errors.append("without a flood limit the victim lost nothing: "
                          "the flood did not fill the ring")
    else:
        if seen_v != made_v:
            errors.append(f"the victim's events: {seen_v} records of {made_v}")
        if not named:
            errors.append("no refused record names the flooder")
    for e in errors:
        print("FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
