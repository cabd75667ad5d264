# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The bench topology and everything it makes, with its removal.

Two network namespaces joined by a veth pair, documentation addresses only
and no route to the host's interfaces; under the cgroup2 mount one cgroup of
the bench's own with children: `w` (watched by the agent), `u` (its
unwatched sibling), `srv` (servers), `agent` (agents and helpers).

Every namespace, cgroup, process, audit rule, daemon and sysctl the bench
touches is written to a state file as soon as it exists, so that
`run.py --cleanup STATE` can remove it even after the bench itself was
killed. Processes are ended by pid only, never by name.
"""
import json
import os
import signal
import subprocess
import time

CLIENT_IF = "eab-c0"
SERVER_IF = "eab-s0"
CLIENT4 = "192.0.2.1"
SERVER4 = "192.0.2.2"		# DE (tests/data/test-geoip.csv): allowed
FLAGGED4 = "198.51.100.7"	# US: adequacy-partial, flagged
CN4 = "203.0.113.5"		# CN: third, flagged
CLIENT6 = "2001:db8:1::1"
SERVER6 = "2001:db8:1::2"
FLAGGED6 = "2001:db8:2::7"

CGROUP_CHILDREN = ("w", "u", "srv", "agent")


def sh(*argv, check=True, capture=False, quiet=False):
    """Run a command; its output is returned when capture is set."""
    r = subprocess.run(list(argv), check=False, text=True,
                       stdout=subprocess.PIPE if capture else (subprocess.DEVNULL if quiet else None),
                       stderr=subprocess.PIPE if (capture or quiet) else None)
    if check and r.returncode != 0:
        err = (r.stderr or "").strip() if (capture or quiet) else ""
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode} {err}")
    return r.stdout if capture else r.returncode


def proc_start_time(pid):
    """Start time of a process (field 22 of /proc/PID/stat), None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return int(s[s.rindex(")") + 2:].split()[19])


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        for line in f:
            p = line.split()
            if p[2] == "cgroup2":
                return p[1]
    raise RuntimeError("no cgroup2 mount in /proc/self/mounts")


class Resources:
    """What the bench made, mirrored in a JSON state file."""

    def __init__(self, path):
        self.path = path
        self.s = {"netns": [], "cgroups": [], "pids": {}, "pins": [],
                  "audit_rules": [], "auditd_pid": None, "audit_enabled": None,
                  "sysctl": {}, "tmpdirs": []}

    @classmethod
    def load(cls, path):
        r = cls(path)
        with open(path) as f:
            r.s.update(json.load(f))
        return r

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.s, f)
        os.replace(tmp, self.path)

    def add(self, kind, value):
        if value not in self.s[kind]:
            self.s[kind].append(value)
        self.save()

    def drop(self, kind, value):
        if value in self.s[kind]:
            self.s[kind].remove(value)
        self.save()

    def add_pid(self, pid):
        self.s["pids"][str(pid)] = proc_start_time(pid)
        self.save()

    def drop_pid(self, pid):
        self.s["pids"].pop(str(pid), None)
        self.save()

    def set(self, key, value):
        self.s[key] = value
        self.save()

    # --- removal -----------------------------------------------------------
    def _kill(self, pid, start):
        """SIGKILL pid if it is still the process that was started."""
        if start is not None and proc_start_time(pid) != start:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    def cleanup(self, log=print):
        for pid, start in list(self.s["pids"].items()):
            self._kill(int(pid), start)
            self.drop_pid(int(pid))
        for ns in list(self.s["netns"]):
            out = sh("ip", "netns", "pids", ns, check=False, capture=True) or ""
            for pid in out.split():
                self._kill(int(pid), None)
        for cg in sorted(self.s["cgroups"], key=len, reverse=True):
            for _ in range(50):
                try:
                    with open(os.path.join(cg, "cgroup.procs")) as f:
                        pids = [int(p) for p in f.read().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    self._kill(pid, None)
                time.sleep(0.1)
            try:
                if os.path.isdir(cg):
                    os.rmdir(cg)
                self.drop("cgroups", cg)
            except OSError as e:
                log(f"bench: could not remove {cg}: {e}")
        for ns in list(self.s["netns"]):
            sh("ip", "netns", "del", ns, check=False, quiet=True)
            self.drop("netns", ns)
        for pin in list(self.s["pins"]):
            subprocess.run(["rm", "-rf", pin], check=False)
            self.drop("pins", pin)
        for rule in list(self.s["audit_rules"]):
            sh("auditctl", "-d", *rule, check=False, quiet=True)
            self.drop("audit_rules", rule)
        pid = self.s["auditd_pid"]
        if pid:
            self._kill_term(pid)
            self.set("auditd_pid", None)
        if self.s["audit_enabled"] is not None:
            sh("auditctl", "-e", str(self.s["audit_enabled"]), check=False, quiet=True)
            self.set("audit_enabled", None)
        for key, val in list(self.s["sysctl"].items()):
            sh("sysctl", "-qw", f"{key}={val}", check=False, quiet=True)
            self.s["sysctl"].pop(key)
            self.save()
        for d in list(self.s["tmpdirs"]):
            subprocess.run(["rm", "-rf", d], check=False)
            self.drop("tmpdirs", d)
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def _kill_term(self, pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            return
        for _ in range(50):
            if proc_start_time(pid) is None:
                return
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Topology:
    def __init__(self, res, tag):
        self.res = res
        self.cns = f"ea-bc-{tag}"
        self.sns = f"ea-bs-{tag}"
        self.cg_mount = cgroup2_mount()
        self.cg_root = os.path.join(self.cg_mount, f"ea-bench-{tag}")
        self.cg = {c: os.path.join(self.cg_root, c) for c in CGROUP_CHILDREN}

    def create(self):
        r = self.res
        for ns in (self.cns, self.sns):
            sh("ip", "netns", "add", ns)
            r.add("netns", ns)
        sh("ip", "-n", self.cns, "link", "add", CLIENT_IF, "type", "veth",
           "peer", "name", SERVER_IF, "netns", self.sns)
        sh("ip", "-n", self.cns, "addr", "add", f"{CLIENT4}/24", "dev", CLIENT_IF)
        sh("ip", "-n", self.cns, "addr", "add", f"{CLIENT6}/64", "dev", CLIENT_IF, "nodad")
        sh("ip", "-n", self.sns, "addr", "add", f"{SERVER4}/24", "dev", SERVER_IF)
        for a in (f"{FLAGGED4}/32", f"{CN4}/32"):
            sh("ip", "-n", self.sns, "addr", "add", a, "dev", SERVER_IF)
        for a in (f"{SERVER6}/64", f"{FLAGGED6}/128"):
            sh("ip", "-n", self.sns, "addr", "add", a, "dev", SERVER_IF, "nodad")
        for ns, ifname in ((self.cns, CLIENT_IF), (self.sns, SERVER_IF)):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", ifname, "up")
        sh("ip", "-n", self.cns, "route", "add", "198.51.100.0/24", "via", SERVER4)
        sh("ip", "-n", self.cns, "route", "add", "203.0.113.0/24", "via", SERVER4)
        sh("ip", "-n", self.cns, "-6", "route", "add", "2001:db8::/32", "via", SERVER6)
        self.ns_sysctl(self.cns, "net.ipv4.ip_local_port_range", "1024 65000")
        self.ns_sysctl(self.sns, "net.core.somaxconn", "8192")
        self.ns_sysctl(self.sns, "net.ipv4.tcp_max_syn_backlog", "8192")
        deadline = time.time() + 5
        while time.time() < deadline:
            up = all("state UP" in sh("ip", "-n", ns, "-o", "link", "show", "dev", i,
                                      capture=True)
                     for ns, i in ((self.cns, CLIENT_IF), (self.sns, SERVER_IF)))
            if up:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("veth pair not up after 5 s")
        os.mkdir(self.cg_root)
        r.add("cgroups", self.cg_root)
        for c, path in self.cg.items():
            os.mkdir(path)
            r.add("cgroups", path)

    def ns_sysctl(self, ns, key, value):
        sh("nsenter", f"--net=/run/netns/{ns}", "sysctl", "-qw", f"{key}={value}")

    def wrap(self, ns, cgroup, argv, cpus=None):
        """argv run in namespace ns, in child cgroup `cgroup`, on cpus.

        nsenter, not `ip netns exec`: the latter remounts /sys, which hides
        the cgroup2 and bpffs mounts. The process joins the cgroup before
        it execs the workload."""
        pre = ["taskset", "-c", cpus] if cpus is not None else []
        return (["nsenter", f"--net=/run/netns/{ns}", "sh", "-c",
                 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.cg[cgroup]]
                + pre + list(argv))

    def client(self, cgroup, argv, cpus="0"):
        return self.wrap(self.cns, cgroup, argv, cpus)

    def server(self, argv, cpus="1"):
        return self.wrap(self.sns, "srv", argv, cpus)
