#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Every test suite, in order; all run even when one fails. The closing line
# is the tally over all suites.
set -u

rm -f build/test-results/tally
status=0
for suite in unit bpftest fuzz-smoke e2e; do
	make --no-print-directory "$suite" || status=1
done

awk '{ p += $2; f += $3 } END { printf "total: %d passed, %d failed\n", p, f }' \
	build/test-results/tally
exit $status
