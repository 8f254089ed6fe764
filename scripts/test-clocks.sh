#!/usr/bin/env bash
# The suite under moved clocks (issue: tests never depend on the hour they run at).
# Each run travels with time-machine to one moment (tests/conftest.py reads MINQING_TEST_NOW; every
# test starts at that moment, the clock ticking; browser pages get the same clock):
#   - 2026-12-31 23:59 +08:00  just before midnight in Beijing, the month's and the year's last day
#   - 2027-01-01 00:01 +08:00  just after: the new year, a year chinesecalendar does not know
#   - 2027-03-31 16:05 +00:00  just after 16:00 UTC: already 1 April in Beijing, a month's end in UTC
# A test that depends on the machine's day, or ages (a hard-coded date that becomes the past), fails
# here and not on a later day. Arguments go to pytest (e.g. -m "not browser", or a test path).
set -uo pipefail
cd "$(dirname "$0")/.."
CLOCKS=${MINQING_TEST_CLOCKS:-"2026-12-31T23:59:00+08:00 2027-01-01T00:01:00+08:00 2027-03-31T16:05:00+00:00"}
status=0
for moment in $CLOCKS; do
  echo "== clock moved to $moment"
  start=$(date +%s)
  MINQING_TEST_NOW="$moment" bash scripts/test.sh -q "$@" || status=1
  echo "== $moment: $(( $(date +%s) - start )) s"
done
exit $status
