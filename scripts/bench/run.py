#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make bench: the performance suite of egress-audit.

    run.py [--quick] [--parts 1,2,...] [--pairs N]
                                         measure, print the table, write
                                         build/bench/results.{json,md}
    run.py --cleanup STATE               remove what a killed run left

Wall-clock figures are compared in the same moment: a workload alternates
between the cgroup the agent watches (`w`) and its unwatched sibling
(`u`), at least 15 pairs (3 with --quick), the first of each pair swapped
every time, and the median of the paired ratios is reported with half its
interquartile range. Global peers (auditd, tcplife) are interleaved on and
off the same way. The agent runs alone for these, with run-time statistics
off. Beside them stand the figures noise cannot hide, from runs of their
own: BPF run time per run, per packet and per connection (bpf_stats), net
of no-op programs of the same types attached in the same window, and the
agent's CPU time per flow (/proc/PID/stat).

CPU placement is per workload (CPUS below), the agent runs wherever the
scheduler puts it. Everything runs in two network namespaces of the
bench's own with documentation addresses only, from copies of the binaries
taken at the start (the build directory is shared).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
import stats  # noqa: E402
import topo  # noqa: E402
from topo import CN4, FLAGGED4, SERVER4  # noqa: E402,F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "egress-audit")
BENCH = os.path.join(ROOT, "build", "bench")
STATE = os.path.join(BENCH, ".cleanup-state.json")
BENCH_PROGS = ("bench_classify", "bench_noop", "bench_connect", "bench_udp", "bench_files")
FULL_GEOIP = os.path.join(ROOT, "data", "geo-whois-asn-country.csv.gz")
TEST_GEOIP = os.path.join(ROOT, "tests", "data", "test-geoip.csv")

# CPUs of each workload's client and server (2-CPU machine). Measured
# here: a closed loop of one connection at a time with client and server on
# different CPUs is bound by cross-CPU wake-ups (runs varied 4.7k-15k/s);
# 8 threads on both CPUs vary least (4 % run to run). iperf3 unpinned
# varies least too; the UDP sender stays on CPU 0 (one thread).
CPUS = {"iperf": ("0-1", "0-1"), "conn": ("0-1", "0-1"), "udp": ("0", "0-1"),
        "files": ("0", None)}
CONN_THREADS = 8

IPERF_PORT = 5201
CONN_PORT = 5301
LOSS_PORT = 5302
UDP_PORT = 5401

# Which no-op stands for which of the agent's programs (same type and hook).
NOOP_OF = {"egress": "egress", "sock_create": "sock_create",
           "sock_release": "sock_release", "connect4": "connect4",
           "connect6": "connect6", "sendmsg4": "sendmsg4", "sendmsg6": "sendmsg6",
           "route_opt": "setsockopt",
           "tcp_state": "tcp_state", "tcp_send": "tcp_send",
           "tcp_destroyed": "tcp_destroyed",
           "openat_exit": "openat_exit"}

AGENT_CONF_HEAD = """[agent]
record = flagged
hostname = bench.example
"""
FULL_GEO = f"[geoip]\nfile = {FULL_GEOIP}\nfile = {TEST_GEOIP}\n"
SMALL_GEO = f"[geoip]\nfile = {TEST_GEOIP}\n[policy]\nown_cidr = 203.0.113.128/25\n"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Agent:
    """egress-audit run on one cgroup, in the client namespace."""

    def __init__(self, b, name, conf, cgroup, service=False):
        """service: standard output the null device and no -j, as the
        systemd unit runs it (records go to the trail only)."""
        self.b, self.name, self.cgroup, self.service = b, name, cgroup, service
        self.conf = os.path.join(b.tmp, f"{name}.conf")
        self.loaded = conf	# the configuration it runs on, once started
        self.write_conf(conf)
        self.records = os.path.join(b.tmp, f"{name}.jsonl")
        self.err = os.path.join(b.tmp, f"{name}.err")
        self.state = os.path.join(b.tmp, f"{name}-state")
        self.p = None
        self.startup_s = None
        self.ids = {}

    def write_conf(self, conf):
        """The configuration as given, with the audit trail (and the host
        key beside it) in the bench's own directory, never in /var/lib."""
        trail = os.path.join(self.b.tmp, "agent-trail")
        assert conf.startswith("[agent]\n"), "an agent configuration starts with [agent]"
        with open(self.conf, "w") as f:
            f.write(conf.replace("[agent]\n", f"[agent]\nlog_dir = {trail}\n", 1))

    def start(self, timeout=60):
        os.makedirs(self.state, exist_ok=True)
        argv = self.b.topo.wrap(self.b.topo.cns, "agent",
                                [self.b.bb("egress-audit"), "-c", self.conf, "run", "--cgroup",
                                 self.b.topo.cg[self.cgroup], "--state-dir", self.state]
                                + ([] if self.service else ["-j"]))
        t0 = time.monotonic()
        out = os.devnull if self.service else self.records
        self.p = subprocess.Popen(argv, stdout=open(out, "w"),
                                  stderr=open(self.err, "w"), start_new_session=True)
        self.b.res.add_pid(self.p.pid)
        self.b.res.add("pins", f"/sys/fs/bpf/egress-audit-{self.p.pid}")
        while time.monotonic() - t0 < timeout:
            if self.p.poll() is not None:
                break
            with open(self.err) as f:
                if "watching" in f.read():
                    self.startup_s = time.monotonic() - t0
                    self.ids = stats.agent_prog_ids(self.p.pid)
                    return True
            time.sleep(0.005)
        self.stop()
        return False

    def reload(self, conf, timeout=60):
        """Rewrite the configuration and SIGHUP the agent: True once it says
        it runs on the new one, False when it keeps the old one."""
        if self.loaded == conf:
            return True
        with open(self.err) as f:
            seen = f.read().count("reload: ")
        self.write_conf(conf)
        os.kill(self.p.pid, signal.SIGHUP)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            with open(self.err) as f:
                lines = [x for x in f if "reload: " in x]
            if len(lines) > seen:
                ok = "now from bank" in lines[-1]
                self.loaded = conf if ok else None
                return ok
            time.sleep(0.01)
        return False

    def last_error(self):
        with open(self.err) as f:
            lines = [x.strip() for x in f if x.strip()]
        return lines[-1] if lines else "no message"

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        if not self.p:
            return None
        rc = self.b.end(self.p, signal.SIGINT, timeout=15)
        pin = f"/sys/fs/bpf/egress-audit-{self.p.pid}"
        if os.path.exists(pin):
            subprocess.run(["rm", "-rf", pin], check=False)
        self.b.res.drop("pins", pin)
        self.p = None
        return rc

    def read_records(self):
        out = []
        with open(self.records) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


class Window:
    """BPF run time and agent CPU accumulated over measurement windows."""

    def __init__(self, agent, noop):
        self.agent, self.noop = agent, noop
        self.bpf = {}		# id: (ns, runs)
        self.cpu = 0.0
        self.units = 0		# connections, datagrams, ... made in the windows
        self.windows = 0

    def measure(self, fn):
        ids = list(self.agent.ids.values()) + list(self.noop.values())
        s0 = stats.prog_stats()
        c0 = stats.cpu_seconds(self.agent.pid)
        out = fn()
        s1 = stats.prog_stats()
        c1 = stats.cpu_seconds(self.agent.pid)
        stats.add_into(self.bpf, stats.delta(s0, s1, ids))
        self.cpu += c1 - c0
        self.windows += 1
        return out

    def prog(self, name):
        """(ns, runs) of the agent's program name."""
        i = self.agent.ids.get(name)
        return self.bpf.get(i, (0, 0)) if i else (0, 0)

    def nop(self, name):
        i = self.noop.get(NOOP_OF.get(name, ""))
        return self.bpf.get(i, (0, 0)) if i else (0, 0)

    def per_run(self, name):
        ns, n = self.prog(name)
        nns, nn = self.nop(name)
        return (ns / n if n else None), (nns / nn if nn else None), n

    def per_unit(self):
        """(agent ns, no-op ns) per unit of work, over all programs; None
        when bpf_stats counted nothing."""
        a = sum(self.prog(n)[0] for n in self.agent.ids)
        z = sum(self.nop(n)[0] for n in self.agent.ids if n in NOOP_OF)
        if not self.units or not a:
            return None, None
        return a / self.units, z / self.units


def sub(a, b):
    return a - b if a is not None and b is not None else None


def div(a, b):
    return a / b if a is not None and b else None


NOOP_FLOOR = ("bench_noop's programs on every cgroup hook and tracepoint the agent uses, "
              "with run-time statistics on: what attaching there costs before any work")
NO_STATS = "bpf_stats counted no runs in the window"
SAME_SIDES = ("both sides the same (no programs on u): how far a ratio of this workload "
              "strays from 1 by noise alone")


class Bench:
    def __init__(self, args):
        self.quick = args.quick
        self.parts = set(args.parts) if args.parts else set(range(1, 10))
        self.pairs = args.pairs or (3 if self.quick else 15)
        self.stat_runs = 2 if self.quick else 5	# windows measured with bpf_stats
        self.t_iperf = 1 if self.quick else 4
        self.t_conn = 1 if self.quick else 3
        self.t_udp = 1 if self.quick else 3
        self.t_files = 1 if self.quick else 3
        self.rows = []
        self.res = topo.Resources(STATE)
        self.res.save()
        self.tmp = tempfile.mkdtemp(prefix="egress-audit-bench.")
        self.res.add("tmpdirs", self.tmp)
        self.topo = topo.Topology(self.res, str(os.getpid()))
        # the build directory is shared: run copies, so that a rebuild
        # during the run cannot swap the programs under measurement
        self.bindir = os.path.join(self.tmp, "bin")
        os.makedirs(self.bindir)
        for src in [BIN] + [os.path.join(BENCH, x) for x in BENCH_PROGS]:
            shutil.copy2(src, self.bindir)
        self.procs = []
        self.bpf_stats_prev = None
        self.conn_threads = CONN_THREADS
        self.t_start = time.monotonic()
        self.elapsed = 0

    def bb(self, name):
        """Path of the run's copy of build/egress-audit or build/bench/NAME."""
        return os.path.join(self.bindir, name)

    # --- processes ------------------------------------------------------------
    def spawn(self, argv, stdout=None, stderr=None):
        p = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL,
                             stderr=stderr or subprocess.DEVNULL, start_new_session=True)
        self.res.add_pid(p.pid)
        self.procs.append(p)
        return p

    def end(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                p.send_signal(sig)
            except OSError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.res.drop_pid(p.pid)
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def server(self, name, argv, cpus):
        err = os.path.join(self.tmp, f"{name}.err")
        p = self.spawn(self.topo.server(argv, cpus), stderr=open(err, "w"))
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(err) as f:
                if "listening" in f.read():
                    return p
            if p.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"{name} did not start: {open(err).read().strip()}")

    def client_json(self, cgroup, argv, timeout, cpus="0"):
        r = subprocess.run(self.topo.client(cgroup, argv, cpus), text=True,
                           capture_output=True, timeout=timeout)
        lines = [x for x in r.stdout.splitlines() if x.strip()]
        if r.returncode != 0 or not lines:
            raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
        return json.loads(lines[-1])

    # --- bpf_stats ------------------------------------------------------------
    def stats_on(self):
        with open("/proc/sys/kernel/bpf_stats_enabled") as f:
            prev = f.read().strip()
        if self.bpf_stats_prev is None:
            self.bpf_stats_prev = prev
            self.res.s["sysctl"]["kernel.bpf_stats_enabled"] = prev
            self.res.save()
        topo.sh("sysctl", "-qw", "kernel.bpf_stats_enabled=1")

    def stats_restore(self):
        if self.bpf_stats_prev is not None:
            topo.sh("sysctl", "-qw", f"kernel.bpf_stats_enabled={self.bpf_stats_prev}")
            self.res.s["sysctl"].pop("kernel.bpf_stats_enabled", None)
            self.res.save()
            self.bpf_stats_prev = None

    def noop_start(self, cgroup, tag="cmp", files_args=(), args=None):
        """bench_noop on a cgroup, or (None) on the file tracepoint only
        (files_args: bench_noop's options after --files), or with args.

        A hook runs its programs in the order they were attached, and the
        first one pays a cold start that the later ones do not, whichever
        program it is (attached in the other order, the agent's egress came
        out below its no-op). So a "lead"
        no-op goes first, and the agent is compared with a "cmp" no-op that,
        like the agent's program, runs after another one."""
        out = os.path.join(self.tmp, f"noop-{cgroup or 'global'}-{tag}.json")
        if args is None:
            args = [self.topo.cg[cgroup]] if cgroup else ["--files", *files_args]
        p = self.spawn(self.topo.wrap(self.topo.cns, "agent",
                                      [self.bb("bench_noop"), *args]),
                       stdout=open(out, "w"), stderr=open(out + ".err", "w"))
        p.out = out	# what it prints at its end follows its ids
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(out) as f:
                txt = f.read()
            if txt.endswith("\n"):
                return p, json.loads(txt)
            if p.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"bench_noop: {open(out + '.err').read().strip()}")

    # --- workloads --------------------------------------------------------------
    def iperf(self, cgroup):
        argv = ["iperf3", "-c", FLAGGED4, "-p", str(IPERF_PORT), "-t", str(self.t_iperf), "-J"]
        for attempt in range(20):
            r = subprocess.run(self.topo.client(cgroup, argv, CPUS["iperf"][0]), text=True,
                               capture_output=True, timeout=self.t_iperf + 30)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                j = {"error": r.stderr.strip()}
            if "error" not in j:
                return j["end"]["sum_received"]["bits_per_second"] / 1e9
            time.sleep(0.2)	# the server is still busy with the last test
        raise RuntimeError(f"iperf3: {j['error']}")

    def conn(self, cgroup, dst=FLAGGED4, port=CONN_PORT, secs=None, threads=None):
        j = self.client_json(cgroup, [self.bb("bench_connect"), "client", dst,
                                      str(port), str(secs or self.t_conn),
                                      str(threads or self.conn_threads)],
                             timeout=(secs or self.t_conn) + 60, cpus=CPUS["conn"][0])
        return j

    def udp(self, cgroup):
        return self.client_json(cgroup, [self.bb("bench_udp"), "send", FLAGGED4,
                                         str(UDP_PORT), str(self.t_udp), "64"],
                                timeout=self.t_udp + 60, cpus=CPUS["udp"][0])

    # --- pairing ----------------------------------------------------------------
    def paired(self, run_a, run_b, n=None):
        """Alternate a and b, swapping which goes first; ratios a/b."""
        n = n or self.pairs
        ra, rb, ratios = [], [], []
        for i in range(n):
            if i % 2 == 0:
                a = run_a()
                b = run_b()
            else:
                b = run_b()
                a = run_a()
            ra.append(a)
            rb.append(b)
            ratios.append(a / b if b else float("nan"))
        return {"a": stats.median(ra), "b": stats.median(rb), "ratio": stats.median(ratios),
                "spread": stats.half_iqr(ratios), "ratios": ratios, "n": n}

    def row(self, **kw):
        kw.setdefault("status", "measured")
        self.rows.append(kw)
        return kw

    def ratio_row(self, part, what, command, p, unit, goal_min=None, goal_max=None, note=None):
        met = None
        goal = None
        if goal_min is not None:
            goal, met = f">= {goal_min}", p["ratio"] >= goal_min
        if goal_max is not None:
            goal, met = f"<= {goal_max}", p["ratio"] <= goal_max
        return self.row(part=part, what=what, command=command, baseline=p["b"],
                        measured=p["a"], ratio=p["ratio"], spread=p["spread"], goal=goal,
                        met=met, unit=unit, pairs=p["n"], note=note,
                        extra={"ratios": [round(x, 4) for x in p["ratios"]]})

    def pending(self, part, what, why, goal=None):
        return self.row(part=part, what=what, command="", baseline=None, measured=None,
                        ratio=None, goal=goal, met=None, unit="", status="pending", note=why)

    def prog_rows(self, part, win, during, progs, egress_goal=True):
        """Per-run ns of each of the agent's programs that ran, net of its no-op."""
        for name in progs:
            a, z, n = win.per_run(name)
            if not n:
                continue
            d = a - z if z is not None else None
            is_goal = egress_goal and name == "egress"
            self.row(part=part, what=f"{name} ns/run during {during} (no-op: {NOOP_OF.get(name, '-')})",
                     command=f"bpf_stats, {n} runs", baseline=z, measured=a,
                     ratio=None, delta=d, unit="ns",
                     goal="<= 40 ns above no-op" if is_goal else None,
                     met=(d <= 40) if (is_goal and d is not None) else None,
                     note=(f"{d:.1f} ns above no-op" if d is not None else "no no-op baseline"))

    # --- the parts --------------------------------------------------------------
    def part1_ratio(self):
        cmd = f"iperf3 -c {FLAGGED4} -t {self.t_iperf} (w vs u)"
        log(f"part 1: iperf3, {self.pairs} pairs of {self.t_iperf} s")
        p = self.paired(lambda: self.iperf("w"), lambda: self.iperf("u"))
        self.ratio_row(1, "iperf3 TCP over veth, agent / none", cmd, p, "Gbit/s", goal_min=0.99)

    def part1_run_time(self, agent, noop):
        win = Window(agent, noop)
        log(f"part 1: iperf3 on w, {self.stat_runs} runs with bpf_stats")
        for _ in range(self.stat_runs):
            win.measure(lambda: self.iperf("w"))
        self.prog_rows(4, win, "part 1 (iperf3)", stats.ALL_PROGS)

    def part2_ratios(self):
        for label, dst in (("flagged", FLAGGED4), ("allowed", SERVER4)):
            log(f"part 2: connections to the {label} destination, {self.pairs} pairs")
            p = self.paired(lambda dst=dst: self.conn("w", dst)["rate"],
                            lambda dst=dst: self.conn("u", dst)["rate"])
            cmd = f"bench_connect client {dst} {CONN_PORT} {self.t_conn} {self.conn_threads}"
            self.ratio_row(2, f"TCP connections/s ({label} dst), agent / none", cmd, p,
                           "conn/s", goal_min=0.97)

    def hook_floor_ratios(self):
        """What the hooks cost with nothing in them: no-op programs on w.

        The same workloads as the agent's ratios of parts 1 to 3, with
        bench_noop's programs on every hook the agent uses (and run-time
        statistics on, which bench_noop holds) in place of the agent: the
        share of a goal that attaching at those hooks takes by itself. Then
        iperf3 with no programs on either side: its noise, which a goal of
        0.99 is within."""
        lead_p, _ = self.noop_start("w", "lead")
        try:
            log(f"no-op programs on w, {self.pairs} pairs each")
            if 1 in self.parts:
                p = self.paired(lambda: self.iperf("w"), lambda: self.iperf("u"))
                self.ratio_row(1, "iperf3 TCP over veth, no-op programs / none (floor)",
                               f"iperf3 -c {FLAGGED4} -t {self.t_iperf} (bench_noop on w)", p,
                               "Gbit/s", note=NOOP_FLOOR)
            if 2 in self.parts:
                p = self.paired(lambda: self.conn("w")["rate"], lambda: self.conn("u")["rate"])
                self.ratio_row(2, "TCP connections/s (flagged dst), no-op programs / none "
                               "(floor)", f"bench_connect client {FLAGGED4} {CONN_PORT} "
                               f"{self.t_conn} {self.conn_threads} (bench_noop on w)", p,
                               "conn/s", note=NOOP_FLOOR)
            if 3 in self.parts:
                p = self.paired(lambda: self.udp("w")["rate"], lambda: self.udp("u")["rate"])
                self.ratio_row(3, "64-byte UDP datagrams/s, no-op programs / none (floor)",
                               f"bench_udp send {FLAGGED4} {UDP_PORT} {self.t_udp} 64 "
                               f"(bench_noop on w)", p, "dgram/s", note=NOOP_FLOOR)
        finally:
            self.end(lead_p)
        if 1 in self.parts:
            log(f"iperf3 on u against u, {self.pairs} pairs")
            p = self.paired(lambda: self.iperf("u"), lambda: self.iperf("u"))
            self.ratio_row(1, "iperf3 TCP over veth, none / none (noise)",
                           f"iperf3 -c {FLAGGED4} -t {self.t_iperf} (u vs u)", p, "Gbit/s",
                           note=SAME_SIDES)

    def part2_run_time(self, agent, noop):
        wins = {}
        for label, dst in (("flagged", FLAGGED4), ("allowed", SERVER4)):
            win = Window(agent, noop)
            log(f"part 2: connections to the {label} destination on w, "
                f"{self.stat_runs} runs with bpf_stats")
            for _ in range(self.stat_runs):
                win.units += win.measure(lambda dst=dst: self.conn("w", dst))["conns"]
            wins[label] = win
        for label, goal in (("allowed", 400), ("flagged", 800)):
            win = wins[label]
            a, z = win.per_unit()
            d = sub(a, z)
            self.row(part=4, what=f"BPF ns per connection, {label} (no-ops: same hooks)",
                     command=f"bpf_stats over part 2 ({win.units} conns)", baseline=z,
                     measured=a, ratio=None, delta=d, unit="ns",
                     goal=f"<= {goal} ns net", met=None if d is None else d <= goal,
                     note=NO_STATS if d is None else
                     f"{d:.0f} ns net of no-ops ({a:.0f} gross); per program, net: " +
                     ", ".join(f"{n} {(win.prog(n)[0] - win.nop(n)[0]) / win.units:.0f}"
                               for n in stats.ALL_PROGS if win.prog(n)[1]))
        w = wins["flagged"]
        us = w.cpu / w.units * 1e6 if w.units else None
        self.row(part=4, what="agent CPU per flagged flow", command="/proc/PID/stat utime+stime",
                 baseline=None, measured=us, ratio=None, unit="us", goal="<= 2 us",
                 met=us is not None and us <= 2,
                 note=f"{w.cpu:.2f} s CPU over {w.units} flows (2 records each), "
                      f"{1e6 / stats.CLK_TCK / max(w.units, 1):.3f} us resolution")
        return wins

    def events_window(self, variant):
        """part 2's flagged connections with bench_noop --events [variant]
        between a lead and a compared no-op, as the agent runs in part 2's
        run-time window: (Window, what its reader read). The Window's CPU
        figure is not used (its pid is the namespace wrapper's)."""
        tag = f"events{variant or ''}"
        lead_p, _ = self.noop_start("w", "lead")
        ev_p = noop_p = None
        try:
            ev_p, ev = self.noop_start(None, tag, args=["--events", str(CONN_PORT)]
                                       + ([variant] if variant else []))
            noop_p, noop = self.noop_start("w")
            win = Window(SimpleNamespace(ids=ev, pid=ev_p.pid), noop)
            for _ in range(self.stat_runs):
                win.units += win.measure(lambda: self.conn("w"))["conns"]
        finally:
            for p in (noop_p, ev_p, lead_p):
                if p:
                    self.end(p)
        with open(ev_p.out) as f:
            return win, json.loads(f.read().splitlines()[-1])

    def part4_event_floor(self):
        """The two events a flagged connection sends, by themselves: what
        no flagged connection can do without, beside the 800 ns goal of all
        of its programs. bench_noop --events sends flow_start and flow_end
        for each connection to the bench's server port (records of the
        agent's size, with its wakeup rule, read as the agent reads them);
        with --dry it makes the same tests of each state change and sends
        nothing; with --small its events are 16 bytes. The three alternate,
        two windows each."""
        log(f"part 4: the two events of a flagged connection alone, {self.stat_runs} runs "
            f"with bpf_stats a window, sending, not sending, sending 16 bytes")
        variants = (None, "--small", "--dry")
        wins = {v: [] for v in variants}
        read = {v: {} for v in variants}
        for v in variants + variants[::-1]:
            win, r = self.events_window(v)
            wins[v].append(win)
            for k, n in r.items():
                read[v][k] = read[v].get(k, 0) + n

        def per_conn(v):
            """ns per connection net of the no-op, over v's windows"""
            units = sum(w.units for w in wins[v])
            net = [sub(*w.per_unit()) for w in wins[v]]
            if not units or None in net:
                return None, units
            return sum(d * w.units for d, w in zip(net, wins[v])) / units, units

        def events(v, n):
            r = read[v]
            return (f"{r.get('flow_start', 0)} + {r.get('flow_end', 0)} events read for {n} "
                    f"connections, {r.get('lost', 0)} lost")

        dry, n_dry = per_conn("--dry")
        for v, what in ((None, "the agent's size"), ("--small", "16 bytes")):
            send, n = per_conn(v)
            d = sub(send, dry)
            self.row(part=4, what=f"BPF ns per connection, its two events alone (flow_start, "
                     f"flow_end), {what}", command=f"bench_noop --events {CONN_PORT}"
                     f"{' ' + v if v else ''} / --dry over part 2 ({n} / {n_dry} conns)",
                     baseline=dry, measured=send, ratio=None, delta=d, unit="ns", goal=None,
                     met=None, note=NO_STATS if d is None else
                     f"{d:.0f} ns for the events (sending: {send:.0f} ns net of the no-op on "
                     f"tcp_state; the same tests without sending: {dry:.0f}), beside the "
                     f"flagged connection's goal of 800 ns net for all programs; "
                     f"{events(v, n)}")

    def part2_service(self):
        """The flagged connection rate and the agent's CPU per flagged flow
        as the service runs it: standard output the null device
        (StandardOutput=null), so no copy of the records is formatted; the
        same pairs and flagged windows as part 2's."""
        agent = Agent(self, "service", AGENT_CONF_HEAD + FULL_GEO, "w", service=True)
        log("part 2: the agent as the service runs it (standard output /dev/null)")
        if not agent.start():
            raise RuntimeError(f"agent did not start: {agent.last_error()}")
        win = Window(agent, {})
        try:
            log(f"part 2: connections to the flagged destination, the agent as the service "
                f"runs it, {self.pairs} pairs")
            p = self.paired(lambda: self.conn("w", FLAGGED4)["rate"],
                            lambda: self.conn("u", FLAGGED4)["rate"])
            self.ratio_row(2, "TCP connections/s (flagged dst), agent as the service runs it "
                           "/ none", f"bench_connect client {FLAGGED4} {CONN_PORT} "
                           f"{self.t_conn} {self.conn_threads} (agent stdout /dev/null)", p,
                           "conn/s", goal_min=0.97,
                           note="standard output the null device, as with the unit's "
                                "StandardOutput=null: records go to the trail only")
            for _ in range(self.stat_runs):
                win.units += win.measure(lambda: self.conn("w", FLAGGED4))["conns"]
        finally:
            agent.stop()
        us = win.cpu / win.units * 1e6 if win.units else None
        self.row(part=4, what="agent CPU per flagged flow, as the service runs it",
                 command="/proc/PID/stat utime+stime (run with standard output /dev/null)",
                 baseline=None, measured=us, ratio=None, unit="us", goal="<= 2 us",
                 met=us is not None and us <= 2,
                 note=f"{win.cpu:.2f} s CPU over {win.units} flows (2 records each, to the "
                      f"trail only, as with the unit's StandardOutput=null)")

    def part2_peers(self):
        cmd = f"bench_connect client {FLAGGED4} {CONN_PORT} {self.t_conn} {self.conn_threads}"
        # auditd with a connect rule
        rule = ["always,exit", "-F", "arch=b64", "-S", "connect", "-k", "ea-bench"]
        started = self.auditd_up()
        if started is None:
            self.pending(2, "TCP connections/s, auditd connect rule / none",
                         "auditd could not be started")
        else:
            def run_on():
                topo.sh("auditctl", "-a", *rule, quiet=True)
                self.res.add("audit_rules", rule)
                try:
                    return self.conn("u")["rate"]
                finally:
                    topo.sh("auditctl", "-d", *rule, check=False, quiet=True)
                    self.res.drop("audit_rules", rule)

            log(f"part 2: auditd peer, {self.pairs} pairs")
            p = self.paired(run_on, lambda: self.conn("u")["rate"])
            self.ratio_row(2, "TCP connections/s, auditd connect rule / none (peer)",
                           cmd + " (auditctl -a ... -S connect on/off)", p, "conn/s")
            self.auditd_down()
        # tcplife
        tcplife = self.find_tcplife()
        if not tcplife:
            self.pending(2, "TCP connections/s, tcplife / none", "libbpf-tools tcplife not found")
            return

        def run_tcplife():
            t = self.spawn([tcplife])
            try:
                self.wait_perf_fds(t.pid)
                return self.conn("u")["rate"]
            finally:
                self.end(t, signal.SIGINT)

        log(f"part 2: tcplife peer, {self.pairs} pairs")
        p = self.paired(run_tcplife, lambda: self.conn("u")["rate"])
        self.ratio_row(2, "TCP connections/s, tcplife / none (peer)",
                       cmd + f" ({tcplife} on/off)", p, "conn/s")

    def auditd_up(self):
        """Make sure auditd runs; None when it cannot."""
        st = topo.sh("auditctl", "-s", capture=True, check=False) or ""
        kv = dict(line.split(None, 1) for line in st.splitlines() if " " in line)
        self.res.set("audit_enabled", int(kv.get("enabled", "0")))
        if kv.get("pid", "0").strip() != "0":
            return False
        topo.sh("auditd", check=False, quiet=True)
        for _ in range(100):
            st = topo.sh("auditctl", "-s", capture=True, check=False) or ""
            kv = dict(line.split(None, 1) for line in st.splitlines() if " " in line)
            pid = int(kv.get("pid", "0"))
            if pid:
                self.res.set("auditd_pid", pid)
                return True
            time.sleep(0.05)
        return None

    def auditd_down(self):
        pid = self.res.s["auditd_pid"]
        if pid:
            self.res._kill_term(pid)
            self.res.set("auditd_pid", None)
        if self.res.s["audit_enabled"] is not None:
            topo.sh("auditctl", "-e", str(self.res.s["audit_enabled"]), check=False, quiet=True)
            self.res.set("audit_enabled", None)

    def find_tcplife(self):
        out = topo.sh("dpkg", "-L", "libbpf-tools", capture=True, check=False) or ""
        for line in out.splitlines():
            if line.endswith("/tcplife") and os.access(line, os.X_OK):
                return line
        return None

    def wait_perf_fds(self, pid, timeout=10):
        """tcplife is attached once it holds its tracepoint's and the perf
        buffer's perf_event fds (one per CPU)."""
        want = 1 + os.cpu_count()
        deadline = time.time() + timeout
        while time.time() < deadline:
            n = 0
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    try:
                        if "perf_event" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                            n += 1
                    except OSError:
                        pass
            except OSError:
                raise RuntimeError("tcplife exited")
            if n >= want:
                time.sleep(0.1)
                return
            time.sleep(0.02)
        raise RuntimeError("tcplife did not attach")

    def part3_ratio(self):
        log(f"part 3: UDP datagrams, {self.pairs} pairs")
        p = self.paired(lambda: self.udp("w")["rate"], lambda: self.udp("u")["rate"])
        cmd = f"bench_udp send {FLAGGED4} {UDP_PORT} {self.t_udp} 64 (w vs u)"
        self.ratio_row(3, "64-byte UDP datagrams/s to a flagged dst, agent / none", cmd, p,
                       "dgram/s", goal_min=0.95)

    def part3_run_time(self, agent, noop):
        win = Window(agent, noop)
        log(f"part 3: UDP datagrams on w, {self.stat_runs} runs with bpf_stats")
        for _ in range(self.stat_runs):
            win.units += win.measure(lambda: self.udp("w"))["datagrams"]
        self.prog_rows(4, win, "part 3 (UDP)", stats.ALL_PROGS)

    def table_ratio_row(self, wf, ws, p, n, what, command, rate_unit, goal):
        """egress ns/run (bpf_stats run_time_ns / run_cnt, the per-packet cost
        the goal speaks of) with the full table over the small one; net of
        the no-op beside it, as a ratio of two small differences, in the note."""
        fe, fez, _ = wf.per_run("egress")
        se, sez, _ = ws.per_run("egress")
        r = div(fe, se)
        rn = div(sub(fe, fez), sub(se, sez))
        self.row(part=4, what=what, command=command, baseline=se, measured=fe, ratio=r,
                 unit="ns", goal="<= 1.1" if goal else None,
                 met=None if (r is None or not goal) else r <= 1.1, pairs=n,
                 note=(NO_STATS + "; " if r is None else "" if rn is None else
                       f"net of no-op {sub(fe, fez):.1f} / {sub(se, sez):.1f} ns = {rn:.3f}; ")
                      + f"wall-clock {rate_unit} full/small {p['ratio']:.3f} ±{p['spread']:.3f}")

    def part4_table(self, agent, noop):
        """The full GeoIP table against a 10-prefix one, in the same agent:
        its table switched by reload (SIGHUP) between runs, so that the same
        programs run in the same place and only the table differs."""
        full, small = AGENT_CONF_HEAD + FULL_GEO, AGENT_CONF_HEAD + SMALL_GEO
        n = max(3, self.pairs // 2)
        try:
            for kind in ("iperf", "conn", "udp"):
                wf, ws = Window(agent, noop), Window(agent, noop)

                def run(conf, win, kind=kind):
                    if not agent.reload(conf):
                        raise RuntimeError(f"reload: {agent.last_error()}")
                    if kind == "iperf":
                        return win.measure(lambda: self.iperf("w"))
                    if kind == "conn":
                        # an allowed destination: no record, so the new
                        # flow's classification weighs most
                        j = win.measure(lambda: self.conn("w", SERVER4))
                        win.units += j["conns"]
                    else:
                        j = win.measure(lambda: self.udp("w"))
                        win.units += j["datagrams"]
                    return j["rate"]

                log(f"part 4: full / 10-prefix table, {kind}, {n} pairs")
                p = self.paired(lambda: run(full, wf), lambda: run(small, ws), n)
                if kind == "iperf":
                    self.table_ratio_row(wf, ws, p, n, "egress ns/run under iperf3 (established "
                                         "TCP), full / 10-prefix table",
                                         f"iperf3 -c {FLAGGED4} (w, table by reload)",
                                         "Gbit/s", goal=True)
                elif kind == "conn":
                    (fa, fz), (sa, sz) = wf.per_unit(), ws.per_unit()
                    r = div(sub(fa, fz), sub(sa, sz))
                    self.row(part=4, what="BPF ns per new connection, full / 10-prefix table",
                             command=f"bench_connect client {SERVER4} (w, table by reload)",
                             baseline=sub(sa, sz), measured=sub(fa, fz), ratio=r, unit="ns",
                             goal=None, met=None, pairs=n,
                             note=(NO_STATS + "; " if r is None else "net of no-ops; ") +
                                  f"wall-clock conn/s full/small {p['ratio']:.3f} "
                                  f"±{p['spread']:.3f}")
                    fc, fcz, _ = wf.per_run("connect4")
                    sc, scz, _ = ws.per_run("connect4")
                    if fc and sc:
                        self.row(part=4, what="connect4 ns/run (classifies), full / 10-prefix",
                                 command="bpf_stats", baseline=sub(sc, scz),
                                 measured=sub(fc, fcz), ratio=div(sub(fc, fcz), sub(sc, scz)),
                                 unit="ns", goal=None, met=None, note="net of no-op connect4")
                else:
                    self.table_ratio_row(wf, ws, p, n, "egress ns/run (UDP), full / 10-prefix "
                                         "table", f"bench_udp send {FLAGGED4} (w, table by reload)",
                                         "dgram/s", goal=True)
        finally:
            agent.reload(full)

    def part5(self):
        log("part 5: bench_classify")
        r = subprocess.run(["taskset", "-c", "0", self.bb("bench_classify")]
                           + (["--quick"] if self.quick else []), text=True,
                           capture_output=True, timeout=600, cwd=ROOT,
                           env=dict(os.environ, EGRESS_AUDIT_DATADIR=os.path.join(ROOT, "data")))
        if r.returncode:
            raise RuntimeError(f"bench_classify: {r.stderr.strip()}")
        j = json.loads(r.stdout)
        k = j["kernel"]
        cmd = f"bench_classify{' --quick' if self.quick else ''}"
        for fam in ("v4", "v6"):
            f, s = k[f"full_{fam}"], k[f"small_{fam}"]
            self.row(part=5, what=f"kernel classify ns/lookup, full table, IPv{fam[1]}",
                     command=f"{cmd}: test_run repeat={j['repeat']}, {f['addresses']} addrs",
                     baseline=f["noop_ns"], measured=f["classify_ns"], ratio=None,
                     delta=f["net_ns"], unit="ns", goal="<= 100 ns above no-op",
                     met=f["net_ns"] <= 100,
                     note=f"{f['net_ns']:.1f} ns net of noop; trie walk alone (minus parser) "
                          f"{f['walk_ns']:.1f} ns; one run per address (cold-ish) "
                          f"{f['net_once_ns']:.0f} ns net")
        for fam in ("v4", "v6"):
            f, s = k[f"full_{fam}"], k[f"small_{fam}"]
            r_net = f["net_ns"] / s["net_ns"]
            self.row(part=5, what=f"kernel classify, full / 10-prefix table, IPv{fam[1]}",
                     command=cmd, baseline=s["net_ns"], measured=f["net_ns"], ratio=r_net,
                     unit="ns", goal="<= 1.3", met=r_net <= 1.3,
                     note=f"net of noop; gross {f['classify_ns']:.1f}/{s['classify_ns']:.1f} = "
                          f"{f['classify_ns'] / s['classify_ns']:.2f}; trie walk alone "
                          f"{f['walk_ns']:.1f}/{s['walk_ns']:.1f} ns")
        u = j["user_lookups_per_s"]
        for fam in ("v4", "v6", "mixed"):
            self.row(part=5, what=f"user-space ea_geo_table_lookup, {fam}, one core",
                     command=f"taskset -c 0 {cmd}", baseline=None, measured=u[fam],
                     ratio=None, unit="lookups/s", goal=">= 5M/s", met=u[fam] >= 5e6)
        ld, ml = j["load"], j["memlock"]
        self.row(part=9, what=f"load the shipped GeoIP data into the maps ({ld['ranges']} ranges, "
                              f"{ld['map_entries']} map entries)",
                 command=cmd, baseline=None, measured=ld["total_s"], ratio=None, unit="s",
                 goal="<= 2 s", met=ld["total_s"] <= 2,
                 note=f"read+compile {ld['build_s']:.2f} s, map updates {ld['maps_s']:.2f} s; "
                      f"{ld['intervals']} intervals, {ld['results']} results, "
                      f"trie nodes of 4/8/12 bits {ld['nodes'][0]}/{ld['nodes'][1]}/"
                      f"{ld['nodes'][2]}")
        mib = ml["total"] / 1048576
        self.row(part=9, what="kernel memory of the GeoIP maps (memlock, 2 banks)",
                 command=f"{cmd}: /proc/self/fdinfo", baseline=None, measured=mib, ratio=None,
                 unit="MiB", goal="<= 64 MiB", met=mib <= 64,
                 note=f"geo_root {ml['geo_root'] / 1048576:.1f}, geo_node12, geo_node8 and "
                      f"geo_chunks {ml['geo_nodes'] / 1048576:.1f} (entries "
                      f"{'/'.join(str(n) for n in reversed(ml['node_entries']))}), "
                      f"geo_results {ml['geo_results'] / 1048576:.2f} MiB")

    def part6(self):
        """Every destination flagged: find the fastest client concurrency
        with one agent, then make flows at that rate under a fresh agent
        (so every lost record belongs to the measured run) and count."""
        conf = AGENT_CONF_HEAD + FULL_GEO + "[policy]\ndeny_cidr = 0.0.0.0/0 ::/0\n"
        what = "lossless event path: flows recorded / flows made (all flagged)"
        agent = Agent(self, "flagall-calib", conf, "w")
        if not agent.start():
            self.pending(6, what, f"agent: {agent.last_error()}")
            return
        rates = {}
        try:
            for threads in (4, 8, 16):
                rates[threads] = self.conn("w", SERVER4, secs=1 if self.quick else 2,
                                           threads=threads)["rate"]
        finally:
            agent.stop()
        best = max(rates, key=rates.get)
        secs = 2 if self.quick else 5
        agent = Agent(self, "flagall", conf, "w")
        if not agent.start():
            self.pending(6, what, f"agent: {agent.last_error()}")
            return
        try:
            log(f"part 6: every destination flagged, {best} client threads, {secs} s")
            j = self.conn("w", SERVER4, port=LOSS_PORT, secs=secs, threads=best)
            time.sleep(0.5)
        finally:
            agent.stop()	# drains the ring buffer and reports what was lost
        recs = agent.read_records()
        starts = sum(1 for r in recs if r.get("event") == "flow_start" and r.get("dport") == LOSS_PORT)
        ends = sum(1 for r in recs if r.get("event") == "flow_end" and r.get("dport") == LOSS_PORT)
        lost = {}
        for r in recs:
            if r.get("event") == "lost":
                lost[r.get("what", "?")] = lost.get(r.get("what", "?"), 0) + r.get("count", 0)
        nlost = sum(lost.values())
        made = j["attempts"]
        ratio = starts / made if made else None
        self.row(part=6, what=what,
                 command=f"bench_connect client {SERVER4} {LOSS_PORT} {secs} {best}",
                 baseline=made, measured=starts, ratio=ratio, unit="flows",
                 goal="1.000, 0 lost", met=(starts == made and nlost == 0 and j["errors"] == 0),
                 note=f"{j['rate']:.0f} conn/s with {best} client threads (conn/s by threads: " +
                      ", ".join(f"{t}: {r:.0f}" for t, r in rates.items()) +
                      f"); flow_end records {ends}; lost records: " +
                      (", ".join(f"{k} {v}" for k, v in lost.items()) or "none") +
                      f"; client errors {j['errors']}")

    def part7(self):
        """Labels by path put global tracepoints on file opens, so the
        comparison is the agent on / off (interleaved), not w / u: the
        hooks fire for every process of the host. The ratios are taken as
        the others are, with the agent alone and run-time statistics off;
        openat_exit's run time beside its no-op comes from a window of its
        own."""
        files = os.path.join(self.tmp, "files")
        os.makedirs(files, exist_ok=True)
        nfiles = 1000
        subprocess.run([self.bb("bench_files"), "setup", files, str(nfiles)],
                       check=True)
        label = f"[label bench-data]\npath = {files}\nallow = eu\n"
        conf = AGENT_CONF_HEAD + SMALL_GEO + label
        # where the kernel makes 32-bit system calls the agent watches every
        # system call for them; measured beside the default without that
        conf_no32 = AGENT_CONF_HEAD + "watch_32bit_calls = no\n" + SMALL_GEO + label
        # enforce mode adds syscall_enter, at every call's entry, for 32-bit moves
        conf_enforce = conf + "mode = enforce\n"
        what = "file-heavy workload, labels configured, agent on / off"
        goal = ">= 0.95"

        def files_run(secs):
            return self.client_json("w", [self.bb("bench_files"), "run", files,
                                          str(nfiles), str(secs)], timeout=secs + 60,
                                    cpus=CPUS["files"][0])

        # detect by trying: does the agent take the config, and do its
        # file hooks run when the workload opens labelled files? The same
        # window, beside a no-op on the same tracepoint, gives the run time.
        lead_p, _ = self.noop_start(None, "lead")
        noop_p, noop = self.noop_start(None)	# also keeps bpf_stats on
        self.stats_on()
        # openat_exit is attached with 32-bit calls not watched (else
        # syscall_exit, which sees every call, stands in for it)
        probe = Agent(self, "labels-probe", conf_no32, "w")
        if not probe.start():
            self.stats_restore()
            self.end(noop_p)
            self.end(lead_p)
            self.pending(7, what, "egress-audit run does not accept a [label] path config: "
                                  f"{probe.last_error()}", goal=goal)
            return
        d = {}
        try:
            if "openat_exit" in probe.ids:
                i, z = probe.ids["openat_exit"], noop["openat_exit"]
                s0 = stats.prog_stats()
                files_run(self.t_files)
                d = stats.delta(s0, stats.prog_stats(), [i, z])
                d = {"agent": d.get(i, (0, 0)), "nop": d.get(z, (0, 0))}
        finally:
            probe.stop()
            self.stats_restore()
            self.end(noop_p)
            self.end(lead_p)
        if not d or not d["agent"][1]:
            self.pending(7, what, "egress-audit run accepts a [label] path config, but its "
                                  "file hooks did not run while the workload opened labelled "
                                  "files (openat_exit " +
                                  ("loaded, not attached" if "openat_exit" in probe.ids
                                   else "not loaded") + ")", goal=goal)
            return
        # the probe ran with watch_32bit_calls = no: it says so only where
        # the kernel makes 32-bit calls, where the default watches them
        with open(probe.err) as f:
            watches32 = "watch_32bit_calls = no: a file opened" in f.read()

        def run_on(conf):
            a = Agent(self, "labels", conf, "w")
            if not a.start():
                raise RuntimeError(f"labels agent: {a.last_error()}")
            try:
                return files_run(self.t_files)["rate"]
            finally:
                a.stop()

        def run_off():
            return files_run(self.t_files)["rate"]

        def run_noop(args):
            p, _ = self.noop_start(None, "floor", args)
            try:
                return files_run(self.t_files)["rate"]
            finally:
                self.end(p)

        cmd = f"bench_files run DIR {nfiles} {self.t_files} (agent on/off)"
        # where the kernel makes 32-bit system calls, beside the default:
        # the settings that load other programs for them (row label, config, note)
        variants = [
            ("the label in enforce mode", conf_enforce,
             "as the first, with syscall_enter too at every system call's entry, where "
             "enforce mode takes 32-bit moves before their bytes go"),
            ("[agent] watch_32bit_calls = no", conf_no32,
             "as the first, with the per-call tracepoints, not the program that looks at "
             "every system call for 32-bit ones (the setting for a host that runs no "
             "32-bit programs and cannot boot with ia32_emulation=0)"),
        ] if watches32 else []
        # what the hooks cost before any work: a no-op where each set runs
        # (row label, bench_noop options, note)
        floors = [("a no-op program at every system call's end",
                   ["--all-calls", "--no-stats"],
                   "bench_noop's nop_sys_exit on tp_btf/sys_exit, where syscall_exit runs "
                   "when 32-bit calls are watched, run-time statistics off: what that hook "
                   "costs before any work")] if watches32 else []
        floors.append(("a no-op program at openat's end", ["--no-stats"],
                       "bench_noop's nop_openat on tp/syscalls/sys_exit_openat, the hook of "
                       "the per-call set, run-time statistics off: what a system call "
                       "tracepoint costs before any work (once one is attached, every "
                       "system call takes the kernel's slow path)"))
        log(f"part 7: file-heavy workload, agent on/off, {self.pairs} pairs")
        p = self.paired(lambda: run_on(conf), run_off)
        pairs = []
        for label, c, _ in variants:
            log(f"part 7: the same, {label}, {self.pairs} pairs")
            pairs.append(self.paired(lambda c=c: run_on(c), run_off))
        floor_pairs = []
        for label, args, _ in floors:
            log(f"part 7: the same workload, {label} (floor), {self.pairs} pairs")
            floor_pairs.append(self.paired(lambda args=args: run_noop(args), run_off))
        self.ratio_row(7, what, cmd, p, "ops/s", goal_min=0.95,
                       note="files in the labelled tree (the first open taints the process; "
                            "later opens cost it a taint lookup, no path walk); the agent is "
                            "started for each 'on' run; " +
                            ("this kernel makes 32-bit system calls: syscall_exit runs at "
                             "the end of every system call, in place of the per-call "
                             "tracepoints of opens and receives (audit mode)" if watches32 else
                             "this kernel makes no 32-bit system calls"))
        for (label, _, note), pv in zip(variants, pairs):
            self.ratio_row(7, f"file-heavy workload, labels configured, {label}, agent on / off",
                           cmd, pv, "ops/s", goal_min=0.95, note=note)
        for (label, args, note), pv in zip(floors, floor_pairs):
            self.ratio_row(7, f"file-heavy workload, {label} / none (floor)",
                           f"bench_files run DIR {nfiles} {self.t_files} "
                           f"(bench_noop --files {' '.join(args)} on/off)", pv, "ops/s",
                           note=note)
        (ns, runs), (zns, zruns) = d["agent"], d["nop"]
        if zruns:
            a, z = ns / runs, zns / zruns
            self.row(part=7, what="openat_exit ns/run, file in a labelled tree (no-op: nop_openat)",
                     command=f"bpf_stats, {runs} runs", baseline=z, measured=a,
                     ratio=None, delta=a - z, unit="ns", goal=None, met=None,
                     note=f"{a - z:.1f} ns above no-op (the agent with "
                          "[agent] watch_32bit_calls = no, which attaches openat_exit)")

    def part7_datapath(self):
        """The datapath ratios of parts 1 and 2 with labels configured: the
        watched cgroup is a labelled one and a labelled file tree exists, so
        every flow of w carries the label and the one to FLAGGED4 is flagged
        for it (US is not in the label's allow)."""
        files = os.path.join(self.tmp, "files")
        os.makedirs(files, exist_ok=True)
        w_rel = self.topo.cg["w"][len(self.topo.cg_mount):]
        conf = (AGENT_CONF_HEAD + FULL_GEO +
                f"[label eu-users]\ncgroup = {w_rel}\npath = {files}\nallow = eu\n")
        agent = Agent(self, "labelled", conf, "w")
        if not agent.start():
            self.pending(7, "datapath ratios, labels configured",
                         f"agent with labels: {agent.last_error()}")
            return
        n = max(3, self.pairs // 2)
        try:
            log(f"part 7: iperf3 with labels configured, {n} pairs")
            p = self.paired(lambda: self.iperf("w"), lambda: self.iperf("u"), n)
            self.ratio_row(7, "iperf3 TCP over veth, labels configured, agent / none",
                           f"iperf3 -c {FLAGGED4} -t {self.t_iperf} (w vs u)", p, "Gbit/s",
                           goal_min=0.99)
            log(f"part 7: connections with labels configured, {n} pairs")
            p = self.paired(lambda: self.conn("w")["rate"], lambda: self.conn("u")["rate"], n)
            self.ratio_row(7, "TCP connections/s (flagged dst), labels configured, "
                              "agent / none",
                           f"bench_connect client {FLAGGED4} {CONN_PORT} {self.t_conn} "
                           f"{self.conn_threads}", p, "conn/s", goal_min=0.97,
                           note="flows of w carry the label by their cgroup; a labelled "
                                "file tree is configured too (its hooks are attached)")
        finally:
            agent.stop()

    def part8(self):
        """The trail and SIEM benchmarks of their own issues, when built:
        run in the client namespace (the SIEM feed talks to an rsyslogd on
        that namespace's loopback), their JSON turned into rows."""
        trail, siem = os.path.join(BENCH, "bench_trail"), os.path.join(BENCH, "bench_siem")
        if os.access(trail, os.X_OK):
            n = 200000 if self.quick else 2000000
            log(f"part 8: bench_trail, {n} records")
            d = os.path.join(self.tmp, "trail")
            os.makedirs(d)
            j, err = self.helper_json(trail, [str(n), d])
            cmd = f"bench_trail {n} DIR"
            if j is None or err:
                self.pending(8, "trail writer / query scan", f"bench_trail failed: {err}")
            else:
                w, sc, q = j["writer"], j["scan"], j["bounded_query"]
                self.row(part=8, what="trail writer records/s (one core, CPU time)", command=cmd,
                         baseline=None, measured=w["records_per_s"], ratio=None,
                         unit="records/s", goal=">= 1000000",
                         met=w["records_per_s"] >= 1e6,
                         note=f"{w['bytes_per_record']} bytes/record on disk, "
                              f"{w['segments']} segments, {w['wall_s']:.2f} s wall")
                self.row(part=8, what="trail query scan records/s (full scan, CPU time)",
                         command=cmd, baseline=None, measured=sc["records_per_s"], ratio=None,
                         unit="records/s", goal=">= 5000000",
                         met=sc["records_per_s"] >= 5e6,
                         note=f"bounded query over 1 % of the time range read "
                              f"{100 * q['fraction_of_full_scan']:.2f} % of the bytes, "
                              f"skipped {q['segments_skipped']} segments")
                a6 = j["addr6"]
                self.row(part=8, what="IPv6 address as text, ea_addr_format / inet_ntop",
                         command=cmd, baseline=a6["inet_ntop_ns_per_addr"],
                         measured=a6["ns_per_addr"],
                         ratio=div(a6["ns_per_addr"], a6["inet_ntop_ns_per_addr"]),
                         unit="ns", note="CPU ns per address, the two alternated in ten "
                                         "rounds; every record with an IPv6 flow writes two "
                                         f"(a JSON line: {j['json']['ns_per_record']:.0f} ns "
                                         "a record, a third of them IPv6)")
        else:
            for what in ("trail writer records/s", "trail query scan records/s"):
                self.pending(8, what, "build/bench/bench_trail is not built")
        if os.access(siem, os.X_OK):
            n = 20000 if self.quick else 200000
            log(f"part 8: bench_siem, {n} records")
            j, err = self.helper_json(siem, ["--records", str(n)])
            cmd = f"bench_siem --records {n}"
            if j is None:
                self.pending(8, "SIEM feed messages/s", f"bench_siem failed: {err}")
            else:
                for k, name, goal in (("relp", "RELP", True), ("tls", "TLS", True),
                                      ("relp_tls", "RELP over TLS", False)):
                    x = j[k]
                    lossy = x["received"] != x["messages"]
                    self.row(part=8, what=f"SIEM feed messages/s to rsyslogd over {name}",
                             command=cmd, baseline=None, measured=x["rate"], ratio=None,
                             unit="msg/s", goal=">= 50000, none lost" if goal else "none lost",
                             met=not lossy and (x["rate"] >= 50000 or not goal),
                             note=f"{x['received']} of {x['messages']} acknowledged messages "
                                  f"in rsyslogd's file{' (LOSS)' if lossy else ''}, "
                                  f"{x['failures']} failures, format {j['format']}" +
                                  (f"; {err}" if err else ""))
                self.row(part=8, what="SIEM formatting alone records/s", command=cmd,
                         baseline=None, measured=j["format_rate"], ratio=None,
                         unit="records/s", goal=None, met=None)
            j, err = self.helper_json(siem, ["--format-only", "--records", str(n)])
            if j is not None:
                for fmt, ns in j["format_ns"].items():
                    self.row(part=8, what=f"SIEM message formatting, {fmt}, CPU ns/record",
                             command=f"bench_siem --format-only --records {n}",
                             baseline=None, measured=ns, ratio=None, unit="ns",
                             goal=None, met=None,
                             note="every format on the same synthetic records, net of "
                                  "making them; a feed formats each record it sends")
        else:
            self.pending(8, "SIEM feed messages/s", "build/bench/bench_siem is not built")

    def helper_json(self, path, args):
        """Run another engineer's bench program (a copy) in the client
        namespace; (its JSON object, None) or (None, why)."""
        cp = os.path.join(self.bindir, os.path.basename(path))
        shutil.copy2(path, cp)
        r = subprocess.run(self.topo.wrap(self.topo.cns, "agent", [cp] + args, "0"),
                           text=True, capture_output=True, timeout=1800, cwd=ROOT)
        try:
            j = json.loads(r.stdout)
        except ValueError:
            j = None
        if not isinstance(j, dict):
            return None, f"exit {r.returncode}: {(r.stderr.strip() or r.stdout.strip())[-200:]}"
        if r.returncode:
            return j, f"{os.path.basename(path)} exited {r.returncode} (its own checks failed)"
        return j, None

    def part9(self, agent):
        _, maps = stats.fdinfo(agent.pid)
        names = stats.map_names()
        total = sum(m[0] for m in maps.values()) / 1048576
        geo = sum(m[0] for i, m in maps.items() if names.get(i, "").startswith("geo_")) / 1048576
        big = sorted(((m[0], names.get(i, str(i))) for i, m in maps.items()), reverse=True)[:4]
        rss, hwm = stats.rss_kib(agent.pid)
        self.row(part=9, what="agent start-up with the full GeoIP table (to 'watching')",
                 command="egress-audit -c full.conf run --cgroup w -j", baseline=None,
                 measured=agent.startup_s, ratio=None, unit="s", goal=None, met=None)
        self.row(part=9, what="kernel memory of the agent's maps (memlock)",
                 command="/proc/PID/fdinfo", baseline=None, measured=total, ratio=None,
                 unit="MiB", goal=None, met=None,
                 note=f"GeoIP maps {geo:.1f} MiB; largest: " +
                      ", ".join(f"{n} {b / 1048576:.1f}" for b, n in big))
        self.row(part=9, what="agent RSS after parts 1-3", command="/proc/PID/status VmRSS",
                 baseline=None, measured=rss / 1024, ratio=None, unit="MiB", goal=None,
                 met=None, note=f"peak (VmHWM) {hwm / 1024:.1f} MiB")
        secs = 3 if self.quick else 15
        log(f"part 9: the agent's CPU with no traffic, {secs} s")
        c0, t0 = stats.cpu_on_ns(agent.pid), time.monotonic()
        time.sleep(secs)
        c1, t1 = stats.cpu_on_ns(agent.pid), time.monotonic()
        self.row(part=9, what="agent CPU with no traffic (its checks, sweeps and status)",
                 command="/proc/PID/task/*/schedstat", baseline=None,
                 measured=(c1 - c0) / 1e6 / (t1 - t0), ratio=None, unit="ms/s", goal=None,
                 met=None, note=f"over {t1 - t0:.1f} s, the full GeoIP table")

    # --- the whole -------------------------------------------------------------
    def run(self):
        need_net = self.parts & {1, 2, 3, 4, 6, 7, 8, 9}
        if need_net:
            self.topo.create()
            self.server("iperf3", ["sh", "-c", f"echo listening >&2; exec iperf3 -s -p {IPERF_PORT}"],
                        CPUS["iperf"][1])
            for port in (CONN_PORT, LOSS_PORT):
                self.server(f"conn-{port}", [self.bb("bench_connect"), "server",
                                             str(port), str(CONN_THREADS)], CPUS["conn"][1])
            self.server("udp", [self.bb("bench_udp"), "sink", str(UDP_PORT)],
                        CPUS["udp"][1])
            time.sleep(0.3)
        if self.parts & {1, 2, 3, 4, 9}:
            # wall-clock ratios: the agent alone on w, run-time statistics
            # off (no-op programs and bpf_stats cost every run of a hook and
            # neither belongs to the agent)
            if self.parts & {1, 2, 3}:
                agent = Agent(self, "full", AGENT_CONF_HEAD + FULL_GEO, "w")
                log("starting the agent with the full GeoIP table")
                if not agent.start():
                    raise RuntimeError(f"agent did not start: {agent.last_error()}")
                try:
                    if 1 in self.parts:
                        self.part1_ratio()
                    if 2 in self.parts:
                        self.part2_ratios()
                    if 3 in self.parts:
                        self.part3_ratio()
                finally:
                    agent.stop()
                if self.parts & {1, 2, 3}:
                    self.hook_floor_ratios()
            # BPF run time and agent CPU: a lead no-op, the agent, the no-op
            # it is compared with, and bpf_stats on
            lead_p, _ = self.noop_start("w", "lead")
            agent = Agent(self, "full-stats", AGENT_CONF_HEAD + FULL_GEO, "w")
            log("starting the agent again, between no-op programs")
            if not agent.start():
                self.end(lead_p)
                raise RuntimeError(f"agent did not start: {agent.last_error()}")
            noop_p, noop = self.noop_start("w")
            self.stats_on()
            try:
                if 1 in self.parts:
                    self.part1_run_time(agent, noop)
                if 2 in self.parts:
                    self.part2_run_time(agent, noop)
                if 3 in self.parts:
                    self.part3_run_time(agent, noop)
                if 9 in self.parts:
                    self.part9(agent)
                if 4 in self.parts:
                    self.part4_table(agent, noop)
            finally:
                self.stats_restore()
                self.end(noop_p)
                agent.stop()
                self.end(lead_p)
        if 2 in self.parts:
            self.part4_event_floor()
            self.part2_service()
            self.part2_peers()
        if 6 in self.parts:
            self.part6()
        if 7 in self.parts:
            self.part7()
            self.part7_datapath()
        if 5 in self.parts or 9 in self.parts:
            self.part5()
        if 8 in self.parts:
            self.part8()
        self.elapsed = time.monotonic() - self.t_start

    def cleanup(self):
        for p in list(self.procs):
            self.end(p, signal.SIGKILL, timeout=5)
        self.stats_restore()
        self.auditd_down()
        self.res.cleanup(log)

    def output(self, partial=False):
        rows = sorted(self.rows, key=lambda r: r["part"])
        when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        cmd = "make bench" + (" QUICK=1" if self.quick else "")
        self.elapsed = self.elapsed or time.monotonic() - self.t_start
        if partial:
            cmd += " (FAILED: partial results)"
        head = [f"{cmd}: {when}, {platform.node()}, kernel {platform.release()}, "
                f"{os.cpu_count()} CPUs, {self.pairs} pairs, {self.elapsed:.0f} s"]
        print("\n" + head[0] + "\n")
        print(report.table(rows))
        os.makedirs(BENCH, exist_ok=True)
        report.write_json(rows, os.path.join(BENCH, "results.json"))
        with open(os.path.join(BENCH, "results.md"), "w") as f:
            f.write(report.markdown(rows, [f"`{cmd}` ({when}; kernel {platform.release()}, "
                                           f"{os.cpu_count()} CPUs, {self.pairs} pairs per "
                                           f"ratio, {self.elapsed:.0f} s)", ""]))
        print(f"\nwritten: build/bench/results.json, build/bench/results.md")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parts", type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--pairs", type=int, help="pairs per ratio (15; 3 with --quick)")
    ap.add_argument("--cleanup", metavar="STATE")
    args = ap.parse_args()
    if args.cleanup:
        if os.path.exists(args.cleanup):
            topo.Resources.load(args.cleanup).cleanup(log)
        return 0
    if os.geteuid() != 0:
        log("needs root (namespaces, cgroups, BPF)")
        return 1
    for b in [BIN] + [os.path.join(BENCH, x) for x in BENCH_PROGS]:
        if not os.access(b, os.X_OK):
            log(f"{b} missing: run make bench")
            return 1
    os.makedirs(BENCH, exist_ok=True)
    if os.path.exists(STATE):
        log("removing what an earlier run left")
        topo.Resources.load(STATE).cleanup(log)
    b = Bench(args)

    def on_term(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    rc = 0
    try:
        b.run()
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    except Exception as e:  # noqa: BLE001 - report, clean up, fail
        log(f"failed: {e}")
        import traceback
        traceback.print_exc()
        rc = 1
    finally:
        b.cleanup()
    if b.rows:
        b.output(partial=rc != 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
