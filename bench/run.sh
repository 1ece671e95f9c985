#!/usr/bin/env bash
# bench/run.sh — every bench suite in order (`make bench` runs it after
# scripts/install-deps.sh bench and make build).
#
#   bench/run.sh              all suites
#   bench/run.sh layers ...   only these
#
# A suite is bench/<name>.sh: it builds its own C clients into build/bench/,
# starts what it measures on loopback, prints one side-by-side table and
# cleans up after itself. Add a new suite to SUITES below.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

SUITES=(layers telemetry warnings start)

[ -x build/rel/yingji ] || { echo "bench: build/rel/yingji missing: run 'make build' first" >&2; exit 1; }
[ $# -gt 0 ] && SUITES=("$@")
failed=()
for s in "${SUITES[@]}"; do
  [ -f "bench/$s.sh" ] || { echo "bench: no suite bench/$s.sh" >&2; failed+=("$s"); continue; }
  echo "=== bench $s"
  bash "bench/$s.sh" || failed+=("$s")
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}"
  exit 1
fi
echo "bench: ${#SUITES[@]} suite(s) done"
