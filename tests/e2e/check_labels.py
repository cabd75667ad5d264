#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hold the agent's records against the data-label cases of test_labels.sh.

check_labels.py --records records.jsonl --cases cases.tsv \
    --label-dir NAME=DIR ... --label-cgroup NAME=/PATH ... \
    --cgroup /TEST-CGROUP --svc-cgroup /TEST-CGROUP/CHILD --host HOST

cases.tsv has one line per case, tab separated:
    NAME  EXPECT  LABELS  EVIDENCE  WHERE  TRAFFIC-JSON
EXPECT is one word per flow of the traffic line (comma separated):
    flagged  one flow_start and one flow_end, verdict flagged, the labels
             and the evidence exactly as given, pid, comm, cgroup, cookie
    blocked  the call failed with EPERM and one flow_start with verdict
             blocked, the labels and the evidence, was written
    stopped  as blocked, but for a connection that became labelled after
             connect(): its later bytes never got out (never acknowledged)
    none     no record of the flow (nor of its process to that destination)
    ok       as none, and the call succeeded (errno 0)
    gap      as none: a known gap of the datapath, printed as such
LABELS: comma-separated label names, in configuration order ("-": none).
EVIDENCE: comma-separated LABEL=FILE (the file the evidence must name, by
its name and inode, under the label's configured directory) or
LABEL=cgroup (the labelled cgroup); "-": none.
WHERE: "main" (the test cgroup) or "svc" (the labelled child cgroup).

Every flow record must belong to some case. Exit 0 when all holds, 1 with
every difference listed otherwise.
"""
import argparse
import json
import os
import sys

EPERM = 1


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"FAIL: {path}:{n}: not JSON ({e}): {line!r}")
    return out


def pairs(items, what):
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"check_labels.py: {what} {item!r}: expected NAME=VALUE")
        out[name] = value
    return out


def flows_of(line):
    if "flows" in line:
        return [{**line, **f} for f in line["flows"]]
    return [line]


def is_flow(rec):
    return rec.get("event") in ("flow_start", "flow_update", "flow_end")


class Checker:
    def __init__(self, args, records):
        self.args = args
        self.records = records
        self.dirs = pairs(args.label_dir, "--label-dir")
        self.cgroups = pairs(args.label_cgroup, "--label-cgroup")
        self.errors = []
        self.notes = []
        self.used = set()

    def fail(self, case, msg, recs=()):
        self.errors.append(f"{case}: {msg}" +
                           "".join(f"\n      record: {json.dumps(r)}" for r in recs))

    def evidence_dir(self, label, path):
        """The labelled directory evidence names: the nearest that holds the
        file (trees nest), else the label's own (a hard link elsewhere)."""
        holders = [d for d in self.dirs.values() if path.startswith(d.rstrip("/") + "/")]
        return max(holders, key=len) if holders else self.dirs[label]

    def evidence_of(self, case, spec):
        """The evidence object a record must have."""
        want = {}
        if spec == "-":
            return want
        for item in spec.split(","):
            label, _, what = item.partition("=")
            if what == "cgroup":
                src = f"cgroup {self.cgroups[label]}"
            else:
                st = os.stat(what)
                src = f"file {self.evidence_dir(label, what)}/.../" \
                      f"{os.path.basename(what)} (inode {st.st_ino})"
            want.setdefault(label, []).append(src)
        return want

    def expect(self, case, rec, key, want):
        got = rec.get(key, "<missing>")
        if isinstance(want, dict) and isinstance(got, dict):
            same = {k: sorted(v) for k, v in got.items()} == \
                   {k: sorted(v) for k, v in want.items()}
        else:
            same = got == want
        if not same:
            self.fail(case, f"{rec.get('event')}: {key}: expected {want!r}, got {got!r}", [rec])

    def matching(self, flow):
        """The records of a flow: its ends, and its socket where both name one
        (a later case's socket may be given the same port, of the other
        protocol)."""
        return [i for i, r in enumerate(self.records) if is_flow(r) and
                r.get("dst") == flow["dst"] and r.get("dport") == flow["dport"] and
                r.get("sport") == flow["sport"] and
                (not flow.get("cookie") or not r.get("cookie") or
                 r["cookie"] == flow["cookie"])]

    def check_owner(self, case, rec, flow, where):
        """The record's owner and destination: a flow sent through a source
        route has its records at the hop (the cases route through a flagged
        one to an allowed address)."""
        pid = flow.get("owner_pid", flow["pid"])
        cgroup = self.args.svc_cgroup if where == "svc" else self.args.cgroup
        for key, want in (("pid", pid), ("comm", flow["comm"]), ("cgroup", cgroup),
                          ("host", self.args.host), ("dst", flow.get("via", flow["dst"])),
                          ("dport", flow["dport"])):
            self.expect(case, rec, key, want)

    def check_flagged(self, case, flow, labels, evidence, where):
        found = self.matching(flow)
        self.used.update(found)
        recs = [self.records[i] for i in found]
        starts = [r for r in recs if r["event"] == "flow_start"]
        ends = [r for r in recs if r["event"] == "flow_end"]
        if len(starts) != 1 or len(ends) != 1 or len(recs) != 2:
            self.fail(case, f"expected 1 flow_start and 1 flow_end of "
                      f"{flow['dst']}:{flow['dport']} sport {flow['sport']}, got "
                      f"{len(starts)} and {len(ends)} ({len(recs)} records)", recs)
        for r in starts + ends:
            self.check_owner(case, r, flow, where)
            self.expect(case, r, "verdict", "flagged")
            self.expect(case, r, "labels", labels)
            self.expect(case, r, "evidence", evidence)
        if len(starts) == 1 and len(ends) == 1:
            if starts[0].get("labels") == labels and ends[0].get("labels") != labels:
                self.fail(case, "flow_end lost labels that its flow_start had (the "
                          "labels of a flow's end are re-read from its owner's taint, "
                          "which ends when the owner exits)")
            if starts[0].get("cookie") != ends[0].get("cookie"):
                self.fail(case, "flow_start and flow_end differ in cookie", recs)
            before = flow.get("untainted_payload")
            if before and not starts[0].get("bytes", 0) > before:
                self.fail(case, f"flow_start: bytes {starts[0].get('bytes')} do not "
                          f"count the {before} bytes sent before the taint", starts)

    def check_blocked(self, case, flow, labels, evidence, where):
        if flow.get("errno") != EPERM:
            self.fail(case, f"expected the call to fail with EPERM, errno "
                      f"{flow.get('errno')!r}")
        self.check_blocked_records(case, flow, labels, evidence, where)

    def check_stopped(self, case, flow, labels, evidence, where):
        before = flow.get("untainted_payload")
        if flow.get("acked") is None or before is None or flow["acked"] > before + 1:
            self.fail(case, f"expected only the {before} bytes sent before the read "
                      f"to be acknowledged, the peer acknowledged {flow.get('acked')}")
        self.check_blocked_records(case, flow, labels, evidence, where)

    def check_blocked_records(self, case, flow, labels, evidence, where):
        pid = flow.get("owner_pid", flow["pid"])
        dst = flow.get("via", flow["dst"])
        found = [i for i, r in enumerate(self.records) if is_flow(r) and
                 r.get("pid") == pid and r.get("dst") == dst and
                 r.get("dport") == flow["dport"]]
        self.used.update(found)
        recs = [self.records[i] for i in found]
        starts = [r for r in recs if r["event"] == "flow_start"]
        if len(starts) != 1:
            self.fail(case, f"expected 1 flow_start (blocked) of pid {pid} to "
                      f"{dst}:{flow['dport']}, got {len(starts)}", recs)
        for r in recs:
            self.check_owner(case, r, flow, where)
            self.expect(case, r, "verdict", "blocked")
            self.expect(case, r, "labels", labels)
            self.expect(case, r, "evidence", evidence)
        others = [r["event"] for r in recs if r["event"] != "flow_start"]
        if others:
            self.notes.append(f"{case}: the blocked flow also has {', '.join(others)}")

    def check_none(self, case, flow, kind):
        if kind == "ok" and flow.get("errno", 0) != 0:
            self.fail(case, f"expected the call to succeed, errno {flow['errno']}")
        pid = flow.get("owner_pid", flow["pid"])
        found = set(self.matching(flow))
        found |= {i for i, r in enumerate(self.records) if is_flow(r) and
                  r.get("pid") == pid and r.get("dst") == flow["dst"]}
        self.used.update(found)
        recs = [self.records[found_i] for found_i in sorted(found)]
        if recs and kind == "gap":
            self.fail(case, "the known gap is closed: make this case expect "
                      "'flagged' and update the docs", recs)
        elif recs:
            self.fail(case, f"expected no record of {flow['dst']}:{flow['dport']} "
                      f"sport {flow['sport']} (pid {pid})", recs)
        elif kind == "gap":
            self.notes.append(f"KNOWN GAP: {case}: its flow carries no label "
                              "(see the case in test_labels.sh)")

    def run(self, cases):
        for c in cases:
            name, expect, labels, evidence, where, line = c
            labels = [] if labels == "-" else labels.split(",")
            try:
                want_ev = self.evidence_of(name, evidence)
            except (OSError, KeyError) as e:
                self.fail(name, f"bad evidence spec {evidence!r}: {e}")
                continue
            flows = flows_of(line)
            kinds = expect.split(",")
            if len(kinds) != len(flows):
                self.fail(name, f"{len(kinds)} expectations for {len(flows)} flows")
                continue
            before = len(self.errors)
            for flow, kind in zip(flows, kinds):
                if kind == "flagged":
                    self.check_flagged(name, flow, labels, want_ev, where)
                elif kind == "blocked":
                    self.check_blocked(name, flow, labels, want_ev, where)
                elif kind == "stopped":
                    self.check_stopped(name, flow, labels, want_ev, where)
                elif kind in ("none", "ok", "gap"):
                    self.check_none(name, flow, kind)
                else:
                    self.fail(name, f"unknown expectation {kind!r}")
            status = "ok  " if len(self.errors) == before else "FAIL"
            print(f"  {status} {name}: {expect}" + (f" {labels}" if labels else ""))
        for i, r in enumerate(self.records):
            if is_flow(r) and i not in self.used:
                self.fail("unexpected record", "a flow record of no case", [r])
            if r.get("event") == "lost":
                self.fail("lost records", json.dumps(r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--label-dir", action="append")
    ap.add_argument("--label-cgroup", action="append")
    ap.add_argument("--cgroup", required=True)
    ap.add_argument("--svc-cgroup", required=True)
    ap.add_argument("--host", required=True)
    args = ap.parse_args()
    records = load_jsonl(args.records)
    cases = []
    with open(args.cases, encoding="utf-8") as f:
        for n, row in enumerate(f, 1):
            cols = row.rstrip("\n").split("\t")
            if len(cols) != 6:
                sys.exit(f"FAIL: {args.cases}:{n}: expected 6 columns: {row!r}")
            try:
                cols[5] = json.loads(cols[5])
            except json.JSONDecodeError as e:
                sys.exit(f"FAIL: {args.cases}:{n}: traffic line is not JSON ({e})")
            cases.append(cols)
    c = Checker(args, records)
    print(f"{len(cases)} cases, {len(records)} records:")
    c.run(cases)
    for n in c.notes:
        print(f"note: {n}")
    if c.errors:
        print(f"FAIL: {len(c.errors)} differences:")
        for e in c.errors:
            print("  " + e)
        return 1
    print(f"ok: {len(cases)} cases: labels, evidence, verdicts and owners as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
