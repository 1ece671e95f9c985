#!/usr/bin/env bash
# bench/start.sh — how long `yingji serve` takes until /healthz answers
# with a long telemetry history: 10,000,000 stored positions of 10,000
# devices (a thousand a device: a week of one report every ten minutes).
# Two cases, each started BENCH_START_RUNS times: a clean start (after a
# clean stop), and a start after kill -9 in the middle of an ingest load
# (the telemetry bench's HTTP client, 2 connections, killed
# BENCH_START_LOAD_S seconds in: the database then has a WAL to recover and
# reports after its last written state). Target: well under a second
# (below 0.5 s), whatever the history.
#
#   bench/start.sh                         (after `make build`; `make bench` does both)
#   BENCH_START_POSITIONS=1000000 bench/start.sh       smaller, for a quick look
#   BENCH_START_DEVICES=10000, BENCH_START_RUNS=3, BENCH_START_LOAD_S=5,
#   BENCH_YINGJI=path (another build), BENCH_KEEP=1 (keep the temp folder: database, logs)
#
# Steps: a demo database (yingji demo), then the devices and the positions
# written with plain SQL through the sqlite3 shell (a million rows a few
# seconds: sending them through the API would time the writer, not the
# start), with the latest state of each device where the telemetry writer
# keeps it (table device_state, when the schema has it); then the starts.
# The time of a start is from the spawn of `yingji serve` to the first 200
# of GET /healthz, polled every 5 ms over a raw socket (no process spawned
# per poll). Every process started here is stopped and every file removed
# by the exit trap.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

POSITIONS=${BENCH_START_POSITIONS:-10000000}
DEVICES=${BENCH_START_DEVICES:-10000}
RUNS=${BENCH_START_RUNS:-3}
LOAD_S=${BENCH_START_LOAD_S:-5}   # seconds of ingest before each kill -9
YINGJI=${BENCH_YINGJI:-build/rel/yingji}
TARGET_S=0.5 # "well under a second"

[ -x "$YINGJI" ] || { echo "start: $YINGJI missing: run 'make build' first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "start: the sqlite3 shell is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
[ "$POSITIONS" -ge "$DEVICES" ] || { echo "start: BENCH_START_POSITIONS must be at least BENCH_START_DEVICES" >&2; exit 2; }

bench_init start
T=$BENCH_TMP
log() { printf '[start %5ss] %s\n' "$SECONDS" "$*" >&2; }
num() { printf '%d' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
notes=()

have_load=1
bench_cc telemetry_http libcurl || { have_load=0; notes+=("no ingest load before the kill: cannot build the libcurl client"); }

# ---- the database -----------------------------------------------------------------------------
DB=$T/start.db
PW=bench-$RANDOM$RANDOM
printf '%s\n' "$PW" >"$T/password"
PER=$(( POSITIONS / DEVICES ))
log "demo database, $(num "$DEVICES") devices, $(num $(( PER * DEVICES ))) positions"
"$YINGJI" demo --db "$DB" --password-file "$T/password" >"$T/demo.log" 2>&1 || { cat "$T/demo.log" >&2; exit 1; }
now_ms=$(( $(date +%s) * 1000 ))
step_ms=600000                                # one report every ten minutes
t0=$(( now_ms - 3600000 - PER * step_ms ))    # the history ends an hour ago
# device B<i> at report j: a slow walk around a point of the city, from its own start
lon="114.95 + (i % 100) * 0.012 + (j % 50) * 0.0004"
lat="22.70 + (i / 100 % 80) * 0.011 + (j % 37) * 0.0003"
has_state=$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'device_state'")
state_sql=
if [ "$has_state" = 1 ]; then
  # the latest report of each device, as the telemetry writer leaves it (with the mark: it holds
  # every stored position)
  state_sql="INSERT INTO device_state(device_id, pos_ts_ms, lon, lat, speed_kmh, heading, last_seen_ms, reading_ts_ms)
SELECT printf('B%06d', i), $t0 + j * $step_ms, $lon, $lat, 12.5, (j * 7) % 360, $t0 + j * $step_ms + 1000, NULL
FROM (SELECT i, $PER - 1 AS j FROM d);
INSERT INTO device_state_mark(source, through) SELECT 'position', max(rowid) FROM position WHERE true
  ON CONFLICT (source) DO UPDATE SET through = excluded.through;"
fi
gen_start=$SECONDS
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA cache_size = -262144;
BEGIN;
CREATE TEMP TABLE d(i INTEGER PRIMARY KEY);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $DEVICES) INSERT INTO d SELECT i FROM g;
CREATE TEMP TABLE k(j INTEGER PRIMARY KEY);
WITH RECURSIVE g(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM g WHERE j < $PER - 1) INSERT INTO k SELECT j FROM g;
INSERT INTO device(id, kind, name, owner, area_code, key_hash, disabled, created_ms, updated_ms)
SELECT printf('B%06d', i), CASE i % 3 WHEN 0 THEN 'fishing_vessel' WHEN 1 THEN 'heavy_truck' ELSE 'ranger' END,
       '启动压测 ' || i, 'bench', CASE i % 4 WHEN 0 THEN '441502' WHEN 1 THEN '441521' WHEN 2 THEN '441523' ELSE '441581' END,
       randomblob(32), 0, $now_ms, $now_ms
FROM d;
-- device by device, oldest first: the index on (device, time) grows at its end
INSERT INTO position(device_id, ts_ms, lon, lat, speed_kmh, heading, received_ms)
SELECT printf('B%06d', i), $t0 + j * $step_ms, $lon, $lat, 12.5, (j * 7) % 360, $t0 + j * $step_ms + 1000
FROM d, k ORDER BY i, j;
$state_sql
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
stored=$(sqlite3 "$DB" "SELECT count(*) FROM position WHERE device_id >= 'B0' AND device_id < 'B:'")
size_mb=$(( $(stat -c %s "$DB") / 1048576 ))
log "stored $(num "$stored") positions in $(( SECONDS - gen_start )) s; database $(num $size_mb) MB"

# ---- starting and timing ------------------------------------------------------------------------
healthy() { # 0 when GET /healthz on port $1 answers 200
  ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n' >&3 &&
    IFS= read -r -t 2 line <&3 && [[ $line == *" 200 "* ]] ) 2>/dev/null
}
ypid=
bench_on_exit '[ -n "$ypid" ] && kill -9 $ypid'
# start yingji on port $1 and wait until healthy; $took: the seconds it took
took=
start_timed() {
  local port=$1 a b
  a=$(date +%s%N)
  "$YINGJI" serve --db "$DB" --listen "127.0.0.1:$port" >>"$T/yingji.log" 2>&1 &
  ypid=$!
  until healthy "$port"; do
    kill -0 "$ypid" 2>/dev/null || { echo "start: yingji exited: $(tail -n 5 "$T/yingji.log")" >&2; return 1; }
    [ $(( ($(date +%s%N) - a) / 1000000000 )) -lt 120 ] || { echo "start: no answer in 120 s" >&2; return 1; }
    sleep 0.005
  done
  b=$(date +%s%N)
  took=$(awk -v ns=$(( b - a )) 'BEGIN { printf "%.3f", ns / 1e9 }')
}
stop_clean() { kill "$ypid"; wait "$ypid" || true; ypid=; }

# the first start after the data was written pays for what a first start pays once
# (migrations of an older schema, the page cache): not counted
port=$(bench_free_port)
start_timed "$port"
log "first start (not counted): $took s"
stop_clean

clean=()
for r in $(seq 1 "$RUNS"); do
  port=$(bench_free_port)
  start_timed "$port"
  clean+=("$took")
  log "clean start $r: ${clean[-1]} s"
  stop_clean
done

# after kill -9: the load sends for the bench's devices (reports newer than the history), and the
# server is killed while it writes
if [ $have_load = 1 ]; then
  awk 'BEGIN { s = 20220818
    for (i = 0; i < 1000000; i++) {
      s = (s * 48271) % 2147483647; x = 114.9 + 1.3 * s / 2147483647
      s = (s * 48271) % 2147483647; y = 22.6 + 1.0 * s / 2147483647
      printf "%.7f %.7f\n", x, y } }' >"$T/points"
fi
killed=()
wal_mb=()
for r in $(seq 1 "$RUNS"); do
  port=$(bench_free_port)
  start_timed "$port"
  lpid=
  if [ $have_load = 1 ]; then
    "$BENCH_BIN/telemetry_http" --port "$port" --password-file "$T/password" --points "$T/points" \
      --devices "$DEVICES" --batch 2000 --threads 2 --t0-ms $(( now_ms - 3000000 + (r - 1) * 1000000 )) \
      >"$T/load.$r.log" 2>&1 &
    lpid=$!
    # kill it while it writes: LOAD_S seconds into the load
    sleep "$LOAD_S"
  fi
  kill -9 "$ypid"
  wait "$ypid" 2>/dev/null || true
  ypid=
  [ -n "$lpid" ] && { kill "$lpid" 2>/dev/null || true; wait "$lpid" 2>/dev/null || true; }
  wal_mb+=("$(( $( (stat -c %s "$DB-wal" 2>/dev/null || echo 0) ) / 1048576 ))")
  port=$(bench_free_port)
  start_timed "$port"
  killed+=("$took")
  log "start after kill -9 $r: ${killed[-1]} s (WAL ${wal_mb[-1]} MB)"
  stop_clean
done

# ---- the table ------------------------------------------------------------------------------
stat_line() { # median and max of the arguments
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int((NR + 1) / 2)], v[NR] }'
}
verdict() { awk -v m="$1" -v t="$TARGET_S" 'BEGIN { print (m < t ? "PASS" : "FAIL") }'; }
read -r c_med c_max < <(stat_line "${clean[@]}")
read -r k_med k_max < <(stat_line "${killed[@]}")
after_positions=$(sqlite3 "$DB" "SELECT count(*) FROM position")
echo
printf 'start: %s positions of %s devices stored (database %s MB); %s starts each; time from spawn to the first /healthz 200\n' \
  "$(num "$stored")" "$(num "$DEVICES")" "$(num "$size_mb")" "$RUNS"
printf '%-44s %10s %10s   %s\n' case "median s" "max s" "target: well under a second (< $TARGET_S s)"
printf '%-44s %10s %10s   %s\n' "clean start (after a clean stop)" "$c_med" "$c_max" "$(verdict "$c_max")"
printf '%-44s %10s %10s   %s\n' "start after kill -9 during ingest" "$k_med" "$k_max" "$(verdict "$k_max")"
echo "(WAL left by each kill: ${wal_mb[*]} MB; positions stored at the end: $(num "$after_positions"); device_state table: $([ "$has_state" = 1 ] && echo yes || echo no))"
for n in "${notes[@]}"; do echo "NOTE $n"; done
