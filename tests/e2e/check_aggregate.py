#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hold the kernel's aggregates against the records: flows by verdict.

check_aggregate.py STATUS.json RECORDS.jsonl

A flow counts in the aggregates under its verdict when it starts and again
under each worse one it turns to, and each of those is a flow_start record
with that verdict. So for each (country, zone), the aggregate's flagged and
blocked flows must equal the flow_start records of that verdict. Status must
be taken after the last of those flows started, the records read after the
agent stopped, and nothing lost. Exit 0 when all holds, 1 with the difference.
"""
import collections
import json
import sys


def main():
    status = json.load(open(sys.argv[1], encoding="utf-8"))
    agg = {(r["country"], r["zone"], r["verdict"]): r["flows"]
           for r in status["aggregate"] if r["verdict"] != "allowed" and r["flows"]}
    rec = collections.Counter()
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["event"] == "flow_start" and r["verdict"] != "allowed":
                rec[(r["country"], r["zone"], r["verdict"])] += 1
            if r["event"] == "lost":
                sys.exit(f"FAIL: events were lost, the counts cannot match: {line}")
    if agg != dict(rec) or not rec:
        print(f"FAIL: flagged and blocked flows in the aggregate {agg},\n"
              f"      flow_start records {dict(rec)}")
        sys.exit(1)
    print(f"ok: flagged and blocked flows in the aggregate as in the records: {agg}")


if __name__ == "__main__":
    main()
