# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Rows of the bench and their three forms: the table on standard output,
build/bench/results.json and build/bench/results.md."""
import json


def si(v):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.3g}{suf}" if abs(v) / div < 100 else f"{v / div:.0f}{suf}"
    return f"{v:.3g}"


def fmt(v, unit):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if unit.endswith("/s") and unit != "Gbit/s":
        return f"{si(v)} {unit}"
    if unit == "Gbit/s":
        return f"{v:.2f} {unit}"
    if unit in ("ns", "ms"):
        return f"{v:.1f} {unit}"
    if unit in ("us", "s"):
        return f"{v:.3f} {unit}" if v < 10 else f"{v:.1f} {unit}"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    if unit == "":
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    return f"{v:.4g} {unit}"


def fmt_ratio(r):
    if r.get("ratio") is None:
        return "-"
    s = f"{r['ratio']:.3f}"
    if r.get("spread") is not None:
        s += f" ±{r['spread']:.3f}"
    return s


def fmt_met(r):
    if r.get("status") == "pending":
        return "pending"
    if r.get("met") is None:
        return "-"
    return "yes" if r["met"] else "NO"


def cells(r):
    return [str(r["part"]), r["what"], r.get("command", ""),
            fmt(r.get("baseline"), r.get("unit", "")),
            fmt(r.get("measured"), r.get("unit", "")),
            fmt_ratio(r), r.get("goal") or "-", fmt_met(r)]


HEADER = ["#", "what", "command", "baseline", "measured", "ratio", "goal", "met"]


def table(rows):
    body = [cells(r) for r in rows]
    width = [max(len(x) for x in col) for col in zip(HEADER, *body)]
    line = lambda c: "  ".join(x.ljust(w) for x, w in zip(c, width)).rstrip()
    out = [line(HEADER), line(["-" * w for w in width])]
    out += [line(c) for c in body]
    notes = [f"  [{r['part']}] {r['what']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", "notes:"] + notes
    return "\n".join(out)


def markdown(rows, header_lines=()):
    esc = lambda s: s.replace("|", "\\|")
    out = list(header_lines)
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + "---|" * len(HEADER))
    for r in rows:
        c = cells(r)
        c[2] = f"`{c[2]}`" if c[2] else ""
        out.append("| " + " | ".join(esc(x) for x in c) + " |")
    notes = [f"- [{r['part']}] {r['what']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", "Notes:", ""] + [esc(n) for n in notes]
    return "\n".join(out) + "\n"


KEYS = ("part", "what", "command", "baseline", "measured", "ratio", "goal", "met",
        "unit", "spread", "delta", "status", "note", "pairs", "extra")


def write_json(rows, path):
    """An array of rows; every row has every key of KEYS up to spread."""
    clean = []
    for r in rows:
        c = {k: r.get(k) for k in KEYS[:10]}
        c.update({k: r[k] for k in KEYS[10:] if k in r})
        clean.append(c)
    with open(path, "w") as f:
        json.dump(clean, f, indent=1)
        f.write("\n")
