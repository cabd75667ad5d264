#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run one suite of tests: run-tests.sh SUITE PROGRAM...
# Each program is one test binary or script, run from the repository root;
# its output is shown only when it fails. The last line is the suite's tally.
# Results are also appended to build/test-results for the overall summary.
# A test that runs past TEST_TIMEOUT seconds (default 300) gets SIGTERM
# (the end-to-end tests clean up on it), then SIGKILL 15 s later.
set -u

# tests run from the repository root and use its data/
export EGRESS_AUDIT_DATADIR="${EGRESS_AUDIT_DATADIR:-$PWD/data}"

suite=$1
shift
passed=0
failed=0
logdir=build/test-logs/$suite
mkdir -p "$logdir" build/test-results

for t in "$@"; do
	name=$(basename "$t")
	log=$logdir/$name.log
	start=$(date +%s)
	case "$suite" in
	fuzz)
		# new inputs go to build/, the seeds in tests/ stay as they are
		corpus=tests/fuzz/corpus/${name#fuzz_}
		mkdir -p "build/fuzz/corpus/$name"
		"$t" -max_total_time="${FUZZ_SMOKE_TIME:-10}" -print_final_stats=0 \
			"build/fuzz/corpus/$name" "$corpus" >"$log" 2>&1
		;;
	*)
		timeout --kill-after=15 "${TEST_TIMEOUT:-300}" "$t" >"$log" 2>&1
		;;
	esac
	rc=$?
	[ $rc -eq 124 ] && echo "timed out after ${TEST_TIMEOUT:-300} s" >>"$log"
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf '  PASS  %-40s %3ss\n' "$name" "$secs"
	else
		failed=$((failed + 1))
		printf '  FAIL  %-40s %3ss (exit %s)\n' "$name" "$secs" "$rc"
		sed 's/^/        /' "$log" | tail -n 60
	fi
done

echo "$suite $passed $failed" >> build/test-results/tally
echo "$suite: $passed passed, $failed failed"
[ $failed -eq 0 ]
