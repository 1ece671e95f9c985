# shellcheck shell=bash
# bench/common.sh — helpers shared by the bench suites (sourced, not run).
#
#   bench_init NAME         temp folder in $BENCH_TMP, cleanup trap (runs bench_on_exit hooks);
#                           BENCH_KEEP=1 keeps the folder (data, logs) for a look afterwards
#   bench_on_exit CMD       run CMD at exit (last registered runs first)
#   bench_cc NAME PKG...    compile bench/NAME.c to build/bench/NAME with pkg-config PKG...
#   bench_free_port         a free TCP port on 127.0.0.1
#   bench_wait_file F SEC   wait until F is non-empty (bounded)
#   bench_kv KEY LINE       the value of KEY=value in a client's stats line
#   bench_pct P < numbers   nearest-rank percentile (P in 0..100) of one number a line
#
# Everything a bench starts listens on loopback only and is stopped by the trap.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BIN=$BENCH_ROOT/build/bench
_bench_exit_hooks=()

bench_on_exit() { _bench_exit_hooks=("$1" "${_bench_exit_hooks[@]}"); }

_bench_cleanup() {
  local rc=$? h
  trap - EXIT INT TERM
  for h in "${_bench_exit_hooks[@]}"; do eval "$h" >/dev/null 2>&1 || true; done
  exit "$rc"
}

bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/yingji-bench-$1.XXXXXX")
  chmod 755 "$BENCH_TMP" # other local users (postgres) may need to traverse it
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: keeping $BENCH_TMP (BENCH_KEEP=1)" >&2
  else bench_on_exit "rm -rf '$BENCH_TMP'"; fi
  trap _bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cc() {
  local name=$1; shift
  local src=$BENCH_ROOT/bench/$name.c out=$BENCH_BIN/$name
  mkdir -p "$BENCH_BIN"
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ "$BENCH_ROOT/bench/bench_util.h" -nt "$out" ]; then
    local flags
    flags=$(pkg-config --cflags --libs "$@") || { echo "bench: pkg-config $* failed" >&2; return 1; }
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I"$BENCH_ROOT/bench" \
      -o "$out" "$src" $flags -lpthread || return 1
  fi
}

bench_free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench: no free port found" >&2
  return 1
}

bench_wait_file() {
  local f=$1 deadline=$(( SECONDS + $2 ))
  while [ ! -s "$f" ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

bench_kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

bench_pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
  r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'; }
