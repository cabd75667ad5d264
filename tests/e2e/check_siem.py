#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Check what a SIEM received against the trail it was fed from.

    check_siem.py --dump DUMP --received FILE --format FMT [--select WORDS]
                  [--exact] [--subset]

DUMP is `siem_trail dump` of the trail (one JSON object per record), FILE
what rsyslog wrote with a %rawmsg% template (one message per line). Every
message must parse as RFC 5424 with the private SD-ID, its body in FMT must
parse by that format's own rules, and every field compared must equal the
record's (process names after the documented replacements). The selected
records must all arrive (--subset: some may be missing), the first arrival
of each in seq order; with --exact once each, else possibly again after a
reconnect.
"""
import argparse
import base64
import hashlib
import ipaddress
import json
import re
import struct
import subprocess
import sys

SD_ID = "egress-audit@32473"
CLASSES = ("flagged", "blocked", "allowed", "lost", "checkpoint", "agent")
CTL = set(chr(c) for c in list(range(0x20)) + [0x7f])


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def utf8_len(b, i):
    """Length of the well-formed UTF-8 sequence at b[i], 0 if none."""
    c = b[i]
    if c < 0x80:
        return 1
    if 0xc2 <= c <= 0xdf:
        n, cp = 2, c & 0x1f
    elif 0xe0 <= c <= 0xef:
        n, cp = 3, c & 0x0f
    elif 0xf0 <= c <= 0xf4:
        n, cp = 4, c & 0x07
    else:
        return 0
    if i + n > len(b):
        return 0
    for k in range(1, n):
        if b[i + k] & 0xc0 != 0x80:
            return 0
        cp = (cp << 6) | (b[i + k] & 0x3f)
    if (n == 3 and cp < 0x800) or (n == 4 and cp < 0x10000) or \
       0xd800 <= cp <= 0xdfff or cp > 0x10ffff:
        return 0
    return n


def sanitize(raw, keep):
    """The documented output of raw bytes: U+FFFD for each byte outside a
    well-formed sequence and for control characters not in keep (None:
    all kept)."""
    out, i = [], 0
    while i < len(raw):
        n = utf8_len(raw, i)
        if n == 0:
            out.append("\ufffd")
            i += 1
        elif n == 1:
            ch = chr(raw[i])
            bad = ch in CTL and keep is not None and ch not in keep
            out.append("\ufffd" if bad else ch)
            i += 1
        else:
            out.append(raw[i:i + n].decode())
            i += n
    return "".join(out)


# --- RFC 5424 ---------------------------------------------------------------

HDR = re.compile(r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ")


def sd_element(line, p):
    """The SD element at line[p] ('['): (SD-ID, its params, the index after it)."""
    end = line.index(" ", p)
    sdid = line[p + 1:end]
    p = end
    sd = {}
    while line[p] == " ":
        eq = line.index("=", p)
        name = line[p + 1:eq]
        if not name or any(c in name for c in ' ]"') or line[eq + 1] != '"':
            raise ValueError("bad SD-PARAM")
        p, val = eq + 2, []
        while line[p] != '"':
            c = line[p]
            if c == "]":
                raise ValueError("unescaped ] in PARAM-VALUE")
            if c == "\\" and line[p + 1] in '"\\]':
                p += 1
                c = line[p]
            val.append(c)
            p += 1
        if name in sd:
            raise ValueError("SD-PARAM twice: " + name)
        sd[name] = "".join(val)
        p += 1
    if line[p] != "]":
        raise ValueError("SD element not closed")
    return sdid, sd, p + 1


def parse_5424(line):
    """Header, the record's SD params, MSG (or None); the second SD element
    must be RFC 5424's origin, whose params the header holds."""
    m = HDR.match(line)
    if not m:
        raise ValueError("no RFC 5424 header")
    pri, ts, host, app, procid, msgid = m.groups()
    p = m.end()
    if line[p] != "[":
        raise ValueError("no structured data")
    sdid, sd, p = sd_element(line, p)
    if line[p:p + 8] != "[origin ":
        raise ValueError("no origin SD element after the record's")
    _, origin, p = sd_element(line, p)
    msg = None
    if p < len(line):
        if line[p] != " " or line[p + 1] == "[":
            raise ValueError("two SD elements, then SP MSG")
        msg = line[p + 1:]
    hdr = dict(pri=int(pri), ts=ts, host=host, app=app, procid=procid, msgid=msgid,
               sdid=sdid, origin=origin)
    return hdr, sd, msg


# --- CEF ------------------------------------------------------------------------


def split_unescaped(s, sep, count, escapes):
    """count fields of s up to an unescaped sep each; the rest after them."""
    fields, cur, i = [], [], 0
    while len(fields) < count:
        c = s[i]
        if c == "\\":
            if s[i + 1] not in escapes:
                raise ValueError("bad escape in header")
            cur.append(s[i + 1])
            i += 2
            continue
        if c == sep:
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    return fields, s[i:]


def cef_value(v):
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\":
            n = v[i + 1]
            c = {"n": "\n", "r": "\r", "\\": "\\", "=": "="}.get(n)
            if c is None:
                raise ValueError("bad escape in extension")
            i += 1
        elif c == "=":
            raise ValueError("unescaped = in a value")
        out.append(c)
        i += 1
    return "".join(out)


def parse_cef(body):
    if not body.startswith("CEF:0|"):
        raise ValueError("not CEF:0")
    hdr, ext = split_unescaped(body[6:], "|", 6, "|\\")
    eqs, i = [], 0
    while i < len(ext):
        if ext[i] == "\\":
            i += 2
            continue
        if ext[i] == "=":
            ks = i
            while ks > 0 and (ext[ks - 1].isalnum() or ext[ks - 1] == "_"):
                ks -= 1
            if ks == i or (ks > 0 and ext[ks - 1] != " "):
                raise ValueError("key not after a blank")
            eqs.append((ks, i))
        i += 1
    if not eqs or eqs[0][0] != 0:
        raise ValueError("extension does not start with a key")
    f = {"h%d" % (k + 1): v for k, v in enumerate(hdr)}
    for k, (ks, eq) in enumerate(eqs):
        end = eqs[k + 1][0] - 1 if k + 1 < len(eqs) else len(ext)
        key = ext[ks:eq]
        if key in f:
            raise ValueError("key twice: " + key)
        f[key] = cef_value(ext[eq + 1:end])
    return f


# --- LEEF 2.0 -----------------------------------------------------------------


def parse_leef(body):
    if not body.startswith("LEEF:2.0|"):
        raise ValueError("not LEEF:2.0")
    hdr, rest = split_unescaped(body[9:], "|", 5, "|\\")
    delim = hdr[4]
    if delim != "^":
        raise ValueError("delimiter is not ^")
    f = {"h%d" % (k + 1): v for k, v in enumerate(hdr)}
    attrs, cur, i = [], [], 0
    while i <= len(rest):
        c = rest[i] if i < len(rest) else delim
        if c == "\\":
            n = rest[i + 1]
            if n not in "\\=|^":
                raise ValueError("bad escape in LEEF")
            cur.append("\\" + n)
            i += 2
            continue
        if c == delim:
            attrs.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    for a in attrs:
        k, eq, v = a.partition("=")
        if not eq or not k:
            raise ValueError("attribute without key=")
        if "=" in v.replace("\\=", ""):
            raise ValueError("unescaped = in a value")
        val = re.sub(r"\\(.)", r"\1", v)
        if k in f:
            raise ValueError("key twice: " + k)
        f[k] = val
    return f


# --- JSON ----------------------------------------------------------------------


def flatten(obj, prefix, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, prefix + "." + k if prefix else k, out)
    elif isinstance(obj, list):
        out[prefix] = obj
        for i, v in enumerate(obj):
            flatten(v, "%s[%d]" % (prefix, i), out)
    else:
        out[prefix] = obj
    return out


def parse_json(body):
    return flatten(json.loads(body, strict=True), "", {})


# --- what each format must say about a record ---------------------------------

def community_id(rec):
    """The Community ID v1 (seed 0) of a flow, computed here from the
    specification; None where the record lacks what it needs (ICMP type
    and code, SCTP ports, a source not chosen yet, addresses of two
    families)."""
    proto, src, dst = rec["ip_proto"], ipaddress.ip_address(rec["src"]), \
        ipaddress.ip_address(rec["dst"])
    sport, dport = rec["sport"], rec["dport"]
    ports = proto in (6, 17)
    if proto in (0, 1, 58, 132) or src.is_unspecified or src.version != dst.version or \
            (ports and not (sport and dport)):
        return None
    s, d = src.packed, dst.packed
    if (d, dport) < (s, sport):
        s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", 0) + s + d + bytes([proto, 0])
    if ports:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def expect_flow(fmt, rec, comm):
    cid = community_id(rec)
    if fmt == "rfc5424":
        return {"comm": comm, "src": rec["src"], "dst": rec["dst"],
                "sport": str(rec["sport"]), "dport": str(rec["dport"]),
                "bytes": str(rec["bytes"]), "packets": str(rec["packets"]),
                "pid": str(rec["pid"]), "uid": str(rec["uid"]),
                "verdict": rec["verdict"], "country": rec["country"] or "--",
                "community_id": cid}
    if fmt == "cef":
        e = {"sproc": comm, "spt": str(rec["sport"]), "dpt": str(rec["dport"]),
             "out": str(rec["bytes"]), "cnt": str(rec["packets"]),
             "spid": str(rec["pid"]), "suid": str(rec["uid"]), "act": rec["verdict"],
             "cs1": rec["country"] or "--", "cs1Label": "country"}
        e["c6a2" if ":" in rec["src"] else "src"] = rec["src"]
        e["c6a3" if ":" in rec["dst"] else "dst"] = rec["dst"]
        return e
    if fmt == "leef":
        return {"comm": comm, "src": rec["src"], "dst": rec["dst"],
                "srcPort": str(rec["sport"]), "dstPort": str(rec["dport"]),
                "srcBytes": str(rec["bytes"]), "srcPackets": str(rec["packets"]),
                "pid": str(rec["pid"]), "uid": str(rec["uid"]), "cat": rec["verdict"],
                "country": rec["country"] or "--"}
    if fmt == "json-ecs":
        e = {"process.name": comm, "source.ip": rec["src"], "destination.ip": rec["dst"],
             "source.port": rec["sport"], "destination.port": rec["dport"],
             "source.bytes": rec["bytes"], "source.packets": rec["packets"],
             "process.pid": rec["pid"], "user.id": str(rec["uid"]),
             "egress_audit.verdict": rec["verdict"], "network.direction": "egress",
             "network.community_id": cid}
        if rec["country"]:
            e["destination.geo.country_iso_code"] = rec["country"]
        return e
    e = {"actor.process.name": comm, "src_endpoint.ip": rec["src"],
         "dst_endpoint.ip": rec["dst"], "src_endpoint.port": rec["sport"],
         "dst_endpoint.port": rec["dport"], "traffic.bytes_out": rec["bytes"],
         "traffic.packets_out": rec["packets"], "actor.process.pid": rec["pid"],
         "actor.process.user.uid": str(rec["uid"]), "class_uid": 4001,
         "category_uid": 4, "unmapped.verdict": rec["verdict"],
         "connection_info.community_uid": cid}
    if rec["country"]:
        e["dst_endpoint.location.country"] = rec["country"]
    return e


def expect_lost(fmt, rec):
    n, w = rec["count"], rec["what"]
    return {"rfc5424": {"count": str(n), "what": w}, "cef": {"cnt": str(n), "reason": w},
            "leef": {"count": str(n), "what": w},
            "json-ecs": {"egress_audit.count": n, "egress_audit.what": w},
            "json-ocsf": {"unmapped.count": n, "unmapped.what": w}}[fmt]


def expect_common(fmt, rec, version):
    seq, kind = rec["seq"], rec["kind"]
    return {"rfc5424": {"host": rec["host"]},
            "cef": {"externalId": str(seq), "cat": kind, "h3": version, "h4": kind,
                    "dvchost": rec["host"]},
            "leef": {"seq": str(seq), "h3": version, "h4": kind, "host": rec["host"]},
            "json-ecs": {"event.sequence": seq, "event.action": kind,
                         "host.hostname": rec["host"], "observer.version": version},
            "json-ocsf": {"metadata.sequence": seq, "device.hostname": rec["host"],
                          "metadata.product.version": version}}[fmt]


KEEP = {"rfc5424": "", "cef": "\n\r", "leef": "", "json-ecs": None, "json-ocsf": None}
PARSE = {"rfc5424": lambda m: {}, "cef": parse_cef, "leef": parse_leef,
         "json-ecs": parse_json, "json-ocsf": parse_json}


def check_message(fmt, line, records, version):
    hdr, sd, body = parse_5424(line)
    if hdr["sdid"] != SD_ID or hdr["app"] != "egress-audit":
        raise ValueError("SD-ID or APP-NAME")
    if hdr["origin"] != {"software": "egress-audit", "swVersion": version}:
        raise ValueError("origin: %r" % hdr["origin"])
    seq = int(sd["seq"])
    rec = records.get(seq)
    if rec is None:
        raise ValueError("seq %d is not in the trail" % seq)
    if hdr["msgid"] != rec["kind"] or len(sd["chain"]) != 64:
        raise ValueError("MSGID or chain")
    if (fmt == "rfc5424") != (body is None):
        raise ValueError("body where none belongs, or none")
    fields = sd if fmt == "rfc5424" else PARSE[fmt](body)
    want = dict(expect_common(fmt, rec, version))
    if rec["kind"].startswith("flow_"):
        comm = sanitize(bytes.fromhex(rec["comm_hex"]), KEEP[fmt])
        want.update(expect_flow(fmt, rec, comm))
    elif rec["kind"] == "lost":
        want.update(expect_lost(fmt, rec))
    for k, v in want.items():
        if fields.get(k) != v:
            raise ValueError("seq %d: %s is %r, want %r" % (seq, k, fields.get(k), v))
    return seq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--received", required=True)
    ap.add_argument("--format", required=True, choices=sorted(KEEP))
    ap.add_argument("--select", default="flagged blocked lost checkpoint agent")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--bin", required=True, help="the egress-audit that sent them")
    ap.add_argument("--subset", action="store_true",
                    help="best effort (UDP): records may be missing")
    a = ap.parse_args()

    version = json.loads(subprocess.run([a.bin, "version", "-j"], check=True,
                                        capture_output=True).stdout)["version"]
    records = {}
    with open(a.dump) as f:
        for line in f:
            r = json.loads(line)
            records[r["seq"]] = r
    select = set(a.select.split())
    want = sorted(s for s, r in records.items() if r["class"] in select)

    got = []
    with open(a.received, "rb") as f:
        for n, raw in enumerate(f.read().split(b"\n")[:-1], 1):
            try:
                line = raw.decode("utf-8")
                if any(c in CTL for c in line):
                    raise ValueError("control character in the message")
                got.append(check_message(a.format, line, records, version))
            except (ValueError, IndexError, KeyError, json.JSONDecodeError) as e:
                fail("%s line %d: %s: %r" % (a.received, n, e, raw[:300]))

    unselected = sorted(set(got) - set(want))
    missing = sorted(set(want) - set(got))
    if unselected:
        fail("%d records not selected arrived, first seq %d" % (len(unselected), unselected[0]))
    if not got:
        fail("nothing arrived")
    if missing and not a.subset:
        fail("%d selected records missing, first seq %d (of %d)" %
             (len(missing), missing[0], len(want)))
    firsts, seen = [], set()
    for s in got:
        if s not in seen:
            seen.add(s)
            firsts.append(s)
    if firsts != sorted(firsts):
        fail("records first arrived out of seq order")
    if a.exact and got != want:
        fail("duplicates or disorder: %d messages for %d records" % (len(got), len(want)))
    print("%s: %d messages, %d of %d records, %d duplicates, all fields match" %
          (a.format, len(got), len(seen), len(want), len(got) - len(seen)))


if __name__ == "__main__":
    main()
