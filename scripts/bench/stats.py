# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Figures noise cannot hide: BPF run time per program (bpf_stats through
`bpftool prog show -j`), a process's CPU time (/proc/PID/stat) and memory;
and the statistics of paired runs."""
import json
import os
import statistics
import subprocess

CLK_TCK = os.sysconf("SC_CLK_TCK")

# The agent's programs, as bpftool names them (15 characters at most).
AGENT_PROGS = ("egress", "sock_create", "connect4", "connect6", "sendmsg4",
               "sendmsg6", "sock_release", "tcp_state", "tcp_send", "tcp_destroyed",
               "tc_egress", "route_opt")
FILE_PROGS = tuple(n[:15] for n in (
    "openat_exit", "openat2_exit", "open_exit", "open_by_handle_exit", "pidfd_getfd_exit",
    "sendfile_enter", "splice_enter", "copy_file_range_enter", "recvmsg_exit",
    "recvmmsg_exit", "fork", "process_exit", "process_free", "uring_complete",
    "syscall_enter", "syscall_exit"))
ALL_PROGS = AGENT_PROGS + FILE_PROGS


def prog_stats():
    """{prog id: (name, run_time_ns, run_cnt)} of every loaded program."""
    out = subprocess.run(["bpftool", "prog", "show", "-j"], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    # the kernel keeps 15 characters of a name; bpftool may show all from BTF
    return {p["id"]: (p.get("name", "")[:15], p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in json.loads(out)}


def delta(before, after, ids):
    """{id: (run_time_ns, run_cnt)} accumulated between two prog_stats()."""
    d = {}
    for i in ids:
        if i in before and i in after:
            d[i] = (after[i][1] - before[i][1], after[i][2] - before[i][2])
    return d


def add_into(acc, d):
    for i, (ns, cnt) in d.items():
        a = acc.get(i, (0, 0))
        acc[i] = (a[0] + ns, a[1] + cnt)


def fdinfo(pid):
    """The BPF objects a process holds: ({prog ids}, {map id: (memlock, type)})."""
    progs, maps = set(), {}
    base = f"/proc/{pid}/fdinfo"
    try:
        fds = os.listdir(base)
    except OSError:
        return progs, maps
    for fd in fds:
        try:
            with open(os.path.join(base, fd)) as f:
                kv = dict(line.rstrip("\n").split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        kv = {k.strip(): v.strip() for k, v in kv.items()}
        if "prog_id" in kv:
            progs.add(int(kv["prog_id"]))
        if "map_id" in kv:
            maps[int(kv["map_id"])] = (int(kv.get("memlock", 0)), int(kv.get("map_type", -1)))
    return progs, maps


def agent_prog_ids(pid):
    """{name: id} of the agent's programs (by the fds the agent holds)."""
    ids, _ = fdinfo(pid)
    names = prog_stats()
    return {names[i][0]: i for i in ids if i in names and names[i][0] in ALL_PROGS}


def map_names():
    out = subprocess.run(["bpftool", "map", "show", "-j"], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    return {m["id"]: m.get("name", "") for m in json.loads(out)}


def cpu_seconds(pid):
    """utime + stime of a process (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_on_ns(pid):
    """Time on CPU of all of a process's threads, in ns (schedstat: finer
    than the clock ticks of /proc/PID/stat)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass	# a thread that ended meanwhile
    return total


def rss_kib(pid):
    """(VmRSS, VmHWM) in KiB."""
    rss = hwm = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def median(v):
    return statistics.median(v) if v else None


def half_iqr(v):
    """Half the interquartile range: the spread reported beside a median."""
    if len(v) < 2:
        return 0.0
    q = statistics.quantiles(v, n=4, method="inclusive")
    return (q[2] - q[0]) / 2
