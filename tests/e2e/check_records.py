#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hold the agent's JSON records against what the traffic generator did.

check_records.py --records records.jsonl --traffic traffic.jsonl [options]
    For each flow of each traffic line: exactly one flow_start and one
    flow_end record, with every contract key as expected. Flows to allowed
    destinations must have no record at all.

check_records.py --records records.jsonl --loss COUNT --dst D --dport P
    Forced loss: flow_start + flow_end records of the burst plus the lost
    counts of both kinds equal 2 * COUNT, and something was lost.

Exit 0 when all holds, 1 with every difference listed otherwise.
"""
import argparse
import csv
import datetime
import ipaddress
import json
import re
import socket
import sys

TCP_CASES = {"tcp4", "tcp6", "tcp-mapped", "tfo", "sendfile", "splice", "serve",
             "iouring-send", "iouring-connect", "vmsplice", "fork-send", "exec-send",
             "tcp-route", "tcp-refused", "tcp-reconnect", "tcp-route-late"}
ROUTED_CASES = {"udp-route", "tcp-route", "rpl", "tcp-route-late"}
DEFAULT_ALLOW = {"eu", "eea", "adequacy", "internal", "own"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def load_jsonl(path, what):
    """Every line of a JSON-lines file; a bad line is a failure."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"FAIL: {path}:{n}: {what} is not JSON ({e}): {line!r}")
    return out


def records_of_cookie(path, cookie):
    """The records of one socket (by its cookie), in the order written."""
    return [r for r in load_jsonl(path, "a record") if r.get("cookie") == cookie]


def field_mismatches(rec, want):
    """{key: (got, want)} for each key of want that rec does not hold."""
    return {k: (rec.get(k), v) for k, v in want.items() if rec.get(k) != v}


def planted_flow_end(host, cookie, **fields):
    """The record a flow that tests/e2e/tamper.c planted ends with: the keys
    every such flow shares (flagged, 192.0.2.1 to 198.51.100.7, US, owned
    by tamper), and fields, its own."""
    return {"event": "flow_end", "host": host, "verdict": "flagged", "family": 4,
            "src": "192.0.2.1", "dst": "198.51.100.7", "country": "US",
            "zone": "adequacy-partial", "comm": "tamper", "origin": "socket",
            "cookie": cookie, "mapped": False, **fields}


def planted_end_error(path, cookie, want, what):
    """Why the records of a flow a test planted (socket cookie) are not one
    record holding want, starting no later than it ends; None when they are."""
    planted = records_of_cookie(path, cookie)
    if len(planted) != 1:
        return f"{len(planted)} records of {what}, expected one flow_end: {planted}"
    bad = field_mismatches(planted[0], want)
    if bad:
        return f"{what}'s flow_end (got, want): {bad}"
    if not planted[0]["start"] <= planted[0]["ts"]:
        return f"{what}'s flow_end ends before it starts: {planted[0]}"
    return None


class Geo:
    """Country of an address (test GeoIP CSV) and zone of a country."""

    def __init__(self, geoip, jurisdictions):
        self.ranges = []
        with open(geoip, encoding="utf-8") as f:
            for row in csv.reader(f):
                if row and not row[0].startswith("#"):
                    self.ranges.append((ipaddress.ip_address(row[0]),
                                        ipaddress.ip_address(row[1]), row[2]))
        self.zones = {}
        with open(jurisdictions, encoding="utf-8") as f:
            for row in csv.reader(f):
                if len(row) >= 3 and not row[0].startswith("#"):
                    self.zones[row[0]] = row[2]

    def lookup(self, addr):
        a = ipaddress.ip_address(addr)
        for lo, hi, cc in self.ranges:
            if lo.version == a.version and lo <= a <= hi:
                return cc, self.zones.get(cc, "third")
        return "", "unknown"


def parse_time(s):
    """An RFC 3339 UTC time as a datetime, or None."""
    if not isinstance(s, str) or not RFC3339.match(s):
        return None
    base, _, frac = s[:-1].partition(".")
    t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc)
    return t + datetime.timedelta(microseconds=int((frac or "0")[:6].ljust(6, "0")))


def flows_of(line):
    """The flows one traffic line describes (udp-multi and udp-route have two)."""
    if "flows" in line:
        # a flow's cookie is its own: none when its socket is not known
        shared = {k: v for k, v in line.items() if k != "cookie"}
        return [{**shared, **f} for f in line["flows"]]
    return [line]


def proto_of(case):
    if case in TCP_CASES:
        return "tcp"
    if case == "raw":
        return "icmp"
    if case == "rpl":
        return "raw"    # UDP in headers of its own, on a raw socket
    if case in ("packet", "packet-bypass"):
        return "packet"
    return "udp"


class Checker:
    def __init__(self, args, records):
        self.args = args
        self.records = records
        self.errors = []
        self.used = set()
        self.notes = []
        self.geo = Geo(args.geoip, args.jurisdictions)
        self.since = datetime.datetime.fromtimestamp(args.since - 2, datetime.timezone.utc)
        self.until = datetime.datetime.fromtimestamp(args.until + 2, datetime.timezone.utc)

    def fail(self, flow, msg, rec=None):
        where = f"{flow['case']} {flow['dst']}:{flow['dport']} sport {flow['sport']}"
        self.errors.append(f"{where}: {msg}" + (f"\n      record: {json.dumps(rec)}" if rec else ""))

    def expect(self, flow, rec, key, want):
        got = rec.get(key, "<missing>")
        if got != want:
            self.fail(flow, f"{rec.get('event')}: {key}: expected {want!r}, got {got!r}", rec)

    def matching(self, flow, proto):
        out = []
        for i, r in enumerate(self.records):
            if r.get("event") not in ("flow_start", "flow_update", "flow_end"):
                continue
            # the cookie tells apart two sockets that drew the same port
            if (r.get("proto") == proto and r.get("dst") == flow["dst"] and
                    r.get("dport") == flow["dport"] and r.get("sport") == flow["sport"] and
                    r.get("cookie") == flow.get("cookie", r.get("cookie"))):
                out.append(i)
        return out

    def check_times(self, flow, rec):
        ts, start = parse_time(rec.get("ts")), parse_time(rec.get("start"))
        if ts is None:
            self.fail(flow, f"{rec['event']}: ts {rec.get('ts')!r} is not RFC 3339 UTC", rec)
        elif not self.since <= ts <= self.until:
            self.fail(flow, f"{rec['event']}: ts {rec['ts']} outside the test's window "
                      f"{self.since.isoformat()} .. {self.until.isoformat()}", rec)
        if start is None:
            self.fail(flow, f"{rec['event']}: start {rec.get('start')!r} is not RFC 3339 UTC", rec)
        elif ts is not None and start > ts:
            self.fail(flow, f"{rec['event']}: start {rec['start']} after ts {rec['ts']}", rec)

    def check_common(self, flow, rec, proto, country, zone):
        """Keys that flow_start and flow_end share."""
        family = 4 if ipaddress.ip_address(flow["dst"]).version == 4 else 6
        device = proto == "packet"
        self.check_times(flow, rec)
        for key, want in (("host", self.args.host), ("verdict", "flagged"),
                          ("proto", proto), ("family", family), ("src", flow["src"]),
                          ("sport", flow["sport"]), ("dst", flow["dst"]),
                          ("dport", flow["dport"]), ("country", country),
                          ("zone", zone), ("labels", ["host"]),
                          ("origin", "packet" if device else "socket"),
                          ("routed", flow["case"] in ROUTED_CASES)):
            self.expect(flow, rec, key, want)
        if device:
            # a frame of a packet socket carries no owner: none is claimed
            for key, want in (("pid", 0), ("uid", 0), ("gid", 0), ("comm", ""),
                              ("cgroup", None)):
                self.expect(flow, rec, key, want)
            return
        for key, want in (("pid", flow["pid"]), ("uid", flow["uid"]),
                          ("gid", flow["gid"]), ("comm", flow["comm"]),
                          ("cgroup", self.args.cgroup),
                          ("mapped", flow["case"] == "tcp-mapped")):
            self.expect(flow, rec, key, want)

    def check_counts(self, flow, rec, proto):
        """bytes and packets of flow_end against what the generator knows."""
        b, p = rec.get("bytes"), rec.get("packets")
        if not isinstance(b, int) or not isinstance(p, int):
            self.fail(flow, f"flow_end: bytes/packets not integers: {b!r}/{p!r}", rec)
            return
        if flow.get("ip_bytes") is not None:
            if b != flow["ip_bytes"]:
                self.fail(flow, f"flow_end: bytes: expected exactly {flow['ip_bytes']} "
                          f"(IP-level bytes sent), got {b}", rec)
            want = flow.get("datagrams") or 1
            if "flows" not in flow and p != want:
                self.fail(flow, f"flow_end: packets: expected {want}, got {p}", rec)
            return
        hdr = 40 if ipaddress.ip_address(flow["dst"]).version == 4 else 60
        if b < flow["payload"] + hdr * p:
            self.fail(flow, f"flow_end: bytes {b} < payload {flow['payload']} + "
                      f"{hdr} * packets {p}", rec)
        if proto == "tcp" and p < flow["tcpi_segs_out"]:
            self.fail(flow, f"flow_end: packets {p} < tcpi_segs_out "
                      f"{flow['tcpi_segs_out']}", rec)

    def check_flagged(self, flow, country, zone):
        proto = proto_of(flow["case"])
        found = self.matching(flow, proto)
        self.used.update(found)
        recs = [self.records[i] for i in found]
        starts = [r for r in recs if r["event"] == "flow_start"]
        ends = [r for r in recs if r["event"] == "flow_end"]
        if len(starts) != 1 or len(ends) != 1:
            self.fail(flow, f"expected 1 flow_start and 1 flow_end ({proto}), got "
                      f"{len(starts)} and {len(ends)}" +
                      "".join(f"\n      record: {json.dumps(r)}" for r in recs))
        for r in starts + ends:
            self.check_common(flow, r, proto, country, zone)
        if not (len(starts) == 1 and len(ends) == 1):
            return
        s, e = starts[0], ends[0]
        if not (isinstance(s.get("packets"), int) and s["packets"] >= 1 and
                isinstance(s.get("bytes"), int) and s["bytes"] > 0):
            self.fail(flow, "flow_start: expected packets >= 1 and bytes > 0", s)
        self.check_same_start(flow, s, e)
        if (parse_time(e.get("ts")) or self.until) < (parse_time(s.get("ts")) or self.since):
            self.fail(flow, "flow_end before flow_start", e)
        if e.get("cookie") != s.get("cookie"):
            self.fail(flow, f"cookie differs: start {s.get('cookie')} end {e.get('cookie')}", e)
        self.check_counts(flow, e, proto)

    def check_same_start(self, flow, s, e):
        """Both records of a flow name one start; the agent re-reads the
        boot-to-real offset each second, so allow its jitter and note it."""
        ts, te = parse_time(s.get("start")), parse_time(e.get("start"))
        if ts is None or te is None or e.get("start") == s.get("start"):
            return
        if abs((te - ts).total_seconds()) > 0.001:
            self.fail(flow, f"flow_end start {e.get('start')} != flow_start start "
                      f"{s.get('start')}", e)
        else:
            self.notes.append(f"{flow['case']} {flow['dst']}:{flow['dport']}: start "
                              f"differs between records: {s['start']} / {e['start']}")

    def check_allowed(self, flow):
        recs = [r for r in self.records if r.get("dst") == flow["dst"] and
                r.get("event", "").startswith("flow_")]
        for r in recs:
            self.fail(flow, "allowed destination has a record (record = flagged)", r)

    def run(self, lines):
        nflows = 0
        for line in lines:
            for flow in flows_of(line):
                nflows += 1
                country, zone = self.geo.lookup(flow["dst"])
                if zone in DEFAULT_ALLOW:
                    self.check_allowed(flow)
                else:
                    self.check_flagged(flow, country, zone)
        for r in self.records:
            if r.get("event") == "lost":
                self.errors.append(f"lost records: {json.dumps(r)}")
        return nflows


def check_loss(args, records):
    lost = sum(r.get("count", 0) for r in records
               if r.get("event") == "lost" and r.get("what") in ("flow_start", "flow_end"))
    seen = sum(1 for r in records
               if r.get("event") in ("flow_start", "flow_end") and r.get("proto") == "udp"
               and r.get("dst") == args.dst and r.get("dport") == args.dport)
    print(f"burst of {args.loss}: {seen} flow_start/flow_end records + {lost} lost = "
          f"{seen + lost} (expected {2 * args.loss})")
    ok = True
    if seen + lost != 2 * args.loss:
        print(f"FAIL: records + lost = {seen + lost}, expected exactly {2 * args.loss}")
        ok = False
    if lost == 0:
        print("FAIL: nothing was lost: the ring buffer never filled")
        ok = False
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", required=True)
    ap.add_argument("--traffic")
    ap.add_argument("--host", default=socket.gethostname())
    ap.add_argument("--cgroup")
    ap.add_argument("--since", type=float, default=0)
    ap.add_argument("--until", type=float, default=4e9)
    ap.add_argument("--geoip", default="tests/data/test-geoip.csv")
    ap.add_argument("--jurisdictions", default="data/jurisdictions.csv")
    ap.add_argument("--loss", type=int)
    ap.add_argument("--dst")
    ap.add_argument("--dport", type=int)
    args = ap.parse_args()
    records = load_jsonl(args.records, "record")
    if args.loss is not None:
        return check_loss(args, records)
    lines = load_jsonl(args.traffic, "traffic line")
    c = Checker(args, records)
    nflows = c.run(lines)
    extra = [r for i, r in enumerate(records)
             if i not in c.used and r.get("event", "").startswith("flow_")]
    for r in extra:
        print(f"note: record of no test flow: {json.dumps(r)}")
    for n in c.notes:
        print(f"note: {n}")
    if c.errors:
        print(f"FAIL: {len(c.errors)} differences in {nflows} flows:")
        for e in c.errors:
            print("  " + e)
        return 1
    print(f"ok: {nflows} flows, {len(records)} records: every key as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
