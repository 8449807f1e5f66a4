#!/bin/sh
# Runs every C test program (build/tests/*, built from tests/*.c by `make check`)
# and every tests/*.sh script. Each prints one line per case: `ok NAME` or
# `not ok NAME: why`. The summary line is read by scripts/run-tests.mjs.
cd "$(dirname "$0")/.." || exit 2
passed=0; failed=0
out=$(mktemp)
for t in build/tests/*; do
  [ -x "$t" ] || continue
  "$t" > "$out" 2>&1; rc=$?
  cat "$out"
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then echo "not ok $t: exited $rc"; f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
done
for t in tests/*.sh; do
  [ "$t" = tests/run.sh ] && continue
  [ -f "$t" ] || continue
  sh "$t" > "$out" 2>&1; rc=$?
  cat "$out"
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then echo "not ok $t: exited $rc"; f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
done
rm -f "$out"
echo "preload: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
