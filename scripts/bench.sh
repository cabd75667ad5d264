#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The performance suite: `make bench` runs all of it (about 40 minutes on
# a 2-CPU VM), `make bench QUICK=1` a short version of each part (about 5).
# Prints one table and writes build/bench/results.json and results.md.
# The work is done by scripts/bench/run.py; see there for the method.
# Whatever the run made (namespaces, cgroups, processes, audit rules,
# sysctls) is removed when it ends, also when it fails or is killed.
set -u

cd "$(dirname "$0")/.." || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (namespaces, cgroups, BPF)" >&2
	exit 1
fi
export EGRESS_AUDIT_DATADIR="${EGRESS_AUDIT_DATADIR:-$PWD/data}"
mkdir -p build/bench
state=build/bench/.cleanup-state.json

python3 -B scripts/bench/run.py "$@"
rc=$?
# run.py removes what it made; this is for a run.py that was killed
if [ -e "$state" ]; then
	python3 -B scripts/bench/run.py --cleanup "$state"
fi
exit $rc
