#!/usr/bin/env bash
# Every test: unit tests (cmocka, ASan+UBSan), the error catalog against the
# code (tests/catalog, node:test, no server), API tests against a real
# server (node:test + fetch), browser tests (playwright-core + Debian
# chromium). Prints per-suite results, then one line: N passed, N failed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=tests/out
rm -rf "$out"; mkdir -p "$out"
passed=0; failed=0
export YJ_BIN=${YJ_BIN:-$PWD/build/san/yingji}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

count() { # suite name, passed, failed
  printf '%-28s %4d passed, %d failed\n' "$1" "$2" "$3"
  passed=$((passed + $2)); failed=$((failed + $3))
}

# unit tests: one cmocka binary per file
for t in build/san/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  "$t" >"$out/$name.log" 2>&1; rc=$?
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/$name.log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/$name.log" | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer error
  [ "$f" -eq 0 ] || { echo "--- $name failed:"; tail -40 "$out/$name.log"; }
  count "unit/$name" "$p" "$f"
done

# API and browser tests: node's runner, TAP output
for suite in catalog api browser; do
  files=$(ls tests/$suite/*.test.mjs 2>/dev/null)
  [ -n "$files" ] || continue
  node --test --test-reporter=tap --test-concurrency=2 $files >"$out/$suite.tap" 2>&1
  rc=$?
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out/$suite.tap" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out/$suite.tap" | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "$f" -eq 0 ] || { echo "--- $suite failures:"; grep -B2 -A30 '^not ok\|^    not ok' "$out/$suite.tap" | head -150; }
  count "$suite" "$p" "$f"
done

echo "test output and screenshots: $out/"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
