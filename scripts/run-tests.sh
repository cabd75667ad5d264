#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run one suite of tests: run-tests.sh SUITE PROGRAM...
# Each program is one test binary or script, run from the repository root;
# its output is shown only when it fails. The last line is the suite's tally.
# Results are also appended to build/test-results for the overall summary.
# A test that runs past TEST_TIMEOUT seconds (default 300) gets SIGTERM
# (the end-to-end tests clean up on it), then SIGKILL 15 s later.
# The fuzz targets, which run for a set time each, run one per CPU at once.
set -u

# tests run from the repository root and use its data/
export EGRESS_AUDIT_DATADIR="${EGRESS_AUDIT_DATADIR:-$PWD/data}"

suite=$1
shift
passed=0
failed=0
logdir=build/test-logs/$suite
mkdir -p "$logdir" build/test-results

# Run program $1; its exit code and seconds go to $logdir/NAME.rc.
run_one() {
	name=$(basename "$1")
	log=$logdir/$name.log
	start=$(date +%s)
	case "$suite" in
	fuzz)
		# new inputs go to build/, the seeds in tests/ stay as they are
		corpus=tests/fuzz/corpus/${name#fuzz_}
		mkdir -p "build/fuzz/corpus/$name"
		"$1" -max_total_time="${FUZZ_SMOKE_TIME:-10}" -print_final_stats=0 \
			"build/fuzz/corpus/$name" "$corpus" >"$log" 2>&1
		;;
	*)
		timeout --kill-after=15 "${TEST_TIMEOUT:-300}" "$1" >"$log" 2>&1
		;;
	esac
	rc=$?
	[ $rc -eq 124 ] && echo "timed out after ${TEST_TIMEOUT:-300} s" >>"$log"
	echo "$rc $(( $(date +%s) - start ))" >"$logdir/$name.rc"
}

# Print the result of program $1 and count it.
report() {
	name=$(basename "$1")
	read -r rc secs <"$logdir/$name.rc"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		printf '  PASS  %-40s %3ss\n' "$name" "$secs"
	else
		failed=$((failed + 1))
		printf '  FAIL  %-40s %3ss (exit %s)\n' "$name" "$secs" "$rc"
		sed 's/^/        /' "$logdir/$name.log" | tail -n 60
	fi
}

# one program at a time; the fuzz targets one per CPU, in the background
jobs=1
[ "$suite" = fuzz ] && jobs=$(nproc 2>/dev/null || echo 1)
batch=
n=0
for t in "$@"; do
	if [ "$jobs" -le 1 ]; then
		run_one "$t"
	else
		run_one "$t" &
	fi
	batch="$batch $t"
	n=$((n + 1))
	[ $n -lt "$jobs" ] && continue
	wait
	for b in $batch; do report "$b"; done
	batch=
	n=0
done
wait
for b in $batch; do report "$b"; done

echo "$suite $passed $failed" >> build/test-results/tally
echo "$suite: $passed passed, $failed failed"
[ $failed -eq 0 ]
