#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hold `status --prometheus` against `status -j` taken just before and after.

check_prom.py BEFORE.json METRICS.prom AFTER.json [--rules RULES.yml]

The metrics are parsed by prometheus_client (Debian's python3-prometheus-
client), the parser Prometheus' own Python client uses, so a line it
cannot read fails. Every family must have HELP and TYPE; each kernel
counter, aggregate row, the agent's record count and each SIEM
destination's acknowledged seq must lie between the two JSON snapshots;
the agent's identity, start time, GeoIP ranges and map memory must equal
them; the trail's written, refused and durable counts lie between them
and its state is one of theirs. With --rules, every alerting rule of the file (Prometheus' rule
format) has an alert name, an expression, a severity and a summary, and
every egress_audit_* metric its expression names is one of the samples.
Exit 0 when all holds, 1 with every difference listed.
"""
import datetime
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

errors = []


def fail(msg):
    errors.append(msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def families(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in out:
            fail(f"family {fam.name} appears twice")
        out[fam.name] = fam
    # HELP and TYPE of every family
    for fam in out.values():
        for kind in ("HELP", "TYPE"):
            if not re.search(rf"^# {kind} {fam.name}(_total)? ", text, re.M):
                fail(f"{fam.name}: no {kind} line")
    return out


def samples(fams, name):
    """{frozenset(labels): value} of one family (name as written, with _total)."""
    fam = fams.get(name[:-6] if name.endswith("_total") else name) or fams.get(name)
    if fam is None:
        fail(f"no family {name}")
        return {}
    return {frozenset(s.labels.items()): s.value for s in fam.samples if s.name == name}


def between(what, lo, got, hi):
    if not lo <= got <= hi:
        fail(f"{what}: {got} not between {lo} and {hi}")


def check_kernel(fams, before, after):
    by_kind = (("egress_audit_lost_events_total", "lost_"),
               ("egress_audit_flood_refused_events_total", "flood_refused_"))
    for family, prefix in by_kind:
        got = samples(fams, family)
        for what in ("flow_start", "flow_update", "flow_end"):
            name = prefix + what
            between(f"{family} {what}", before["counters"][name],
                    got.get(frozenset({("what", what)}), -1), after["counters"][name])
    events = samples(fams, "egress_audit_datapath_events_total")
    others = [name for name in before["counters"]
              if not name.startswith(tuple(prefix for _, prefix in by_kind))]
    for name in others:
        between(f"datapath event {name}", before["counters"][name],
                events.get(frozenset({("event", name)}), -1), after["counters"][name])
    if len(events) != len(others):
        fail(f"datapath events: {len(events)} samples, {len(others)} counters")

    def rows(status):
        return {frozenset({("country", r["country"]), ("zone", r["zone"]),
                           ("verdict", r["verdict"])}): r for r in status["aggregate"]}

    lo_rows, hi_rows = rows(before), rows(after)
    for key in ("flows", "packets", "bytes"):
        got = samples(fams, f"egress_audit_{key}_total")
        for labels in set(got) | set(lo_rows) | set(hi_rows):
            lo = lo_rows.get(labels, {}).get(key, 0)
            hi = hi_rows.get(labels, {}).get(key, 0)
            between(f"{key} of {dict(labels)}", lo, got.get(labels, 0), hi)
    return len(lo_rows)


def check_agent(fams, before, after):
    a, b = before["agent"], after["agent"]
    info = samples(fams, "egress_audit_agent_info")
    want = frozenset({("host", a["host"]), ("cgroup", a["cgroup"]), ("mode", a["mode"]),
                      ("record", a["record"]), ("version", a["version"]),
                      ("commit", a["commit"])})
    if info != {want: 1.0}:
        fail(f"agent_info {info}, expected {dict(want)}")
    start = samples(fams, "egress_audit_agent_start_time_seconds").get(frozenset(), -1)
    t = datetime.datetime.strptime(a["started"][:19], "%Y-%m-%dT%H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    if not t <= start < t + 1:
        fail(f"start time {start}, status says {a['started']}")
    between("records", a["records"],
            samples(fams, "egress_audit_records_total").get(frozenset(), -1), b["records"])
    between("tampers", a["tampers"],
            samples(fams, "egress_audit_tamper_total").get(frozenset(), -1), b["tampers"])
    # every tracing program has its sample, held against the status's
    # programs with runs skipped (none, most often: then 0)
    skipped = samples(fams, "egress_audit_program_runs_skipped_total")
    progs = {dict(k)["program"] for k in skipped}
    # TCP counted by state (tcp_state) or per packet (tcp_close), where the
    # BTF tracepoints load (and with them tcp_destroyed)
    btf = a["tcp_end_hook"] == "tp_btf/inet_sock_set_state"
    if btf and ("tcp_destroyed" not in progs or not {"tcp_state", "tcp_close"} & progs):
        fail(f"program_runs_skipped: samples of {sorted(progs)}")
    for prog in progs | set(a["skipped"]) | set(b["skipped"]):
        between(f"runs of {prog} skipped", a["skipped"].get(prog, 0),
                skipped.get(frozenset({("program", prog)}), -1), b["skipped"].get(prog, 0))
    if samples(fams, "egress_audit_geo_ranges").get(frozenset()) != a["geo"]["ranges"]:
        fail(f"geo ranges: {samples(fams, 'egress_audit_geo_ranges')}, "
             f"status says {a['geo']['ranges']}")
    # a map without preallocation takes memory as its entries come and go:
    # each map's figure is the one of the status before or the one after
    for metric, key in (("egress_audit_map_memlock_bytes", "memlock"),
                        ("egress_audit_map_entries", "entries")):
        got = samples(fams, metric)
        want = [{frozenset({("map", m["name"])}): float(m[key]) for m in s["maps"] if key in m}
                for s in (a, b)]
        diff = {dict(k)["map"]: (got.get(k), want[0].get(k), want[1].get(k))
                for k in set(got) | set(want[0]) | set(want[1])
                if got.get(k) not in (want[0].get(k), want[1].get(k))}
        if diff:
            fail(f"map {key} (metrics, status before, after): {diff}")
    if not any("entries" in m for m in a["maps"]):
        fail("status: no map with its entries")


def check_siem(fams, before, after):
    dests = before["agent"].get("siem", [])
    if not dests:
        extra = [n for n in fams if n.startswith("egress_audit_siem_")]
        if extra:
            fail(f"SIEM metrics without a destination: {extra}")
        return 0
    acked = samples(fams, "egress_audit_siem_acked_seq")
    up = samples(fams, "egress_audit_siem_connected")
    if len(acked) != len(dests):
        fail(f"siem: {len(acked)} destinations in the metrics, {len(dests)} in status")
    for d, d2 in zip(dests, after["agent"].get("siem", [])):
        key = frozenset({("destination", d["name"])})
        between(f"siem {d['name']} acked", d["acked"], acked.get(key, -1), d2["acked"])
        if up.get(key) not in (float(d["connected"]), float(d2["connected"])):
            fail(f"siem {d['name']} connected {up.get(key)}, status {d['connected']}")
    return len(dests)


def check_trail(fams, before, after):
    t, t2 = before["agent"].get("trail"), after["agent"].get("trail")
    names = [n for n in fams if n.startswith("egress_audit_trail_")]
    if t is None:
        if names:
            fail(f"trail metrics without a trail: {names}")
        return
    for key, name in (("written", "egress_audit_trail_written_records_total"),
                      ("refused", "egress_audit_trail_refused_records_total"),
                      ("durable_seq", "egress_audit_trail_durable_seq")):
        between(f"trail {key}", t[key], samples(fams, name).get(frozenset(), -1), t2[key])
    writing = samples(fams, "egress_audit_trail_writing").get(frozenset())
    if writing not in {float(t["state"] == "writing"), float(t2["state"] == "writing")}:
        fail(f"trail writing {writing}, status says {t['state']} then {t2['state']}")
    # free space moves with whatever else writes there: present, and a byte count
    free = samples(fams, "egress_audit_trail_free_bytes") if t["free"] is not None else {}
    if t["free"] is not None and not free.get(frozenset(), -1) >= 0:
        fail(f"trail free bytes {free}, status says {t['free']}")


def check_rules(path, fams):
    import yaml

    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    samples = {s.name for fam in fams.values() for s in fam.samples}
    # every kernel counter is written, zero or not: a rule names real ones
    events = {s.labels.get("event") for fam in fams.values() for s in fam.samples
              if s.name == "egress_audit_datapath_events_total"}
    nrules = 0
    for group in doc["groups"]:
        for rule in group["rules"]:
            nrules += 1
            name = rule.get("alert") or f"rule {nrules}"
            if not rule.get("alert") or not rule.get("expr"):
                fail(f"{name}: no alert name or no expr")
                continue
            if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                fail(f"{name}: severity is not warning or critical")
            if not rule.get("annotations", {}).get("summary"):
                fail(f"{name}: no summary")
            for metric in re.findall(r"\begress_audit_[a-z0-9_]+", rule["expr"]):
                if metric not in samples:
                    fail(f"{name}: {metric} is not a metric of status --prometheus")
            for sel in re.findall(r'egress_audit_datapath_events_total\{event=~?"([^"]+)"',
                                  rule["expr"]):
                for event in sel.split("|"):
                    if event not in events:
                        fail(f"{name}: {event} is not a kernel counter of status --prometheus")
    return nrules


def main():
    args = sys.argv[1:]
    rules = None
    if "--rules" in args:
        i = args.index("--rules")
        rules = args[i + 1]
        del args[i:i + 2]
    before, after = load(args[0]), load(args[2])
    fams = families(args[1])
    nrows = check_kernel(fams, before, after)
    check_agent(fams, before, after)
    check_trail(fams, before, after)
    ndest = check_siem(fams, before, after)
    nrules = check_rules(rules, fams) if rules else 0
    if errors:
        print(f"FAIL: status --prometheus: {len(errors)} differences:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print(f"ok: status --prometheus: {len(fams)} families agree with status -j "
          f"({nrows} aggregate rows, {ndest} SIEM destinations, {nrules} alerting rules)")


if __name__ == "__main__":
    main()
