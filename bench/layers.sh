#!/usr/bin/env bash
# bench/layers.sh — map layer query by bbox over 1,000,000 points returning
# <= 1,000 features: p50/p99 of yingji (HTTP, GeoJSON) side by side with the
# same query in SQLite + R*Tree through the sqlite3 shell and in PostGIS
# (GiST index, libpq). Target: yingji p99 < 5 ms and no slower than PostGIS.
# yingji is measured twice, without and with Accept-Encoding: gzip (the
# client inflates the answer to count its features, as a browser does),
# with the bytes on the wire of each: compression must not make p99 worse.
#
#   bench/layers.sh                    (after `make build`; `make bench` does both)
#   BENCH_POINTS=200000 BENCH_QUERIES=500 bench/layers.sh     smaller, for a quick look
#   BENCH_ROUNDS=4 (interleaved measuring rounds), BENCH_WARMUP=500 (warm-up bboxes),
#   BENCH_YINGJI=path (another yingji build), BENCH_KEEP=1 (keep the temp folder)
#
# Steps: a demo database plus the points (sqlite3 shell), yingji serve, a
# PostGIS cluster loaded with the same points, then the same bboxes through
# every system in interleaved rounds, then yingji under 2 concurrent clients.
#
# Everything runs on loopback; every process started here is stopped and
# every file removed by the exit trap. A peer that cannot run here (e.g.
# PostGIS not installed) gets one line saying so and the others go on.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

POINTS=${BENCH_POINTS:-1000000}
QUERIES=${BENCH_QUERIES:-2000}
WARMUP=${BENCH_WARMUP:-500}
LIMIT=1000
SEED=20220514 # one seed: the same points and the same bboxes for every system
YINGJI=${BENCH_YINGJI:-build/rel/yingji} # another build to compare: BENCH_YINGJI=path
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

[ -x "$YINGJI" ] || { echo "layers: $YINGJI missing: run 'make build' first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "layers: the sqlite3 shell is missing (scripts/install-deps.sh bench)" >&2; exit 1; }

bench_init layers
T=$BENCH_TMP
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '[layers %5ss] %s\n' "$SECONDS" "$*" >&2; }

# ---- C clients ------------------------------------------------------------------------------
bench_cc layers_http libcurl
bench_cc layers_sqlite sqlite3
have_pg_client=1
bench_cc layers_pg libpq || { have_pg_client=0; echo "layers: cannot build the libpq client (libpq-dev missing?)" >&2; }

# ---- data -----------------------------------------------------------------------------------
# A fresh demo database (area tree, users incl. admin), then POINTS cameras
# written with plain SQL through the sqlite3 shell. The bench fixture
# bypasses yingji's API and audit log on purpose: it is load data, not
# records anyone made, and going through the API would time the writer,
# not the layer. The demo's own cameras are removed first so that every
# system holds exactly the same POINTS points; the triggers of migration 2
# keep camera_rtree in step (delete and insert alike).
DB=$T/bench.db
PW=bench-$RANDOM$RANDOM
printf '%s\n' "$PW" >"$T/password"
log "demo database"
"$YINGJI" demo --db "$DB" --password-file "$T/password" >"$T/demo.log" 2>&1 ||
  { cat "$T/demo.log" >&2; exit 1; }

log "inserting $POINTS cameras (recursive CTE, R*Tree filled by trigger)"
# Pseudo-random points: the Lehmer generator (minstd, a = 48271, m = 2^31 - 1)
# carried through the recursion, two draws per row (lon, lat), uniform over
# the city's bbox 114.9-116.2 E, 22.6-23.6 N. The county code follows the
# position roughly (north: 陆河, south-west: 城区, west: 海丰, east: 陆丰), so
# jurisdiction scoping sees real county codes.
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA synchronous=OFF;
PRAGMA cache_size=-262144;
BEGIN;
DELETE FROM camera;
WITH RECURSIVE g(i, s) AS (
  SELECT 1, $SEED
  UNION ALL
  SELECT i + 1, (((s * 48271) % 2147483647) * 48271) % 2147483647 FROM g WHERE i < $POINTS
), p(i, lon, lat) AS (
  SELECT i, round(114.9 + 1.3 * s / 2147483647.0, 7),
         round(22.6 + 1.0 * ((s * 48271) % 2147483647) / 2147483647.0, 7) FROM g
)
INSERT INTO camera(id, name, area_code, lon, lat, note, created_ms, updated_ms,
                   network, stream_url, status)
SELECT i, '视频监控点 ' || i,
       CASE WHEN lat > 23.2 THEN '441523'
            WHEN lon < 115.45 AND lat < 22.85 THEN '441502'
            WHEN lon < 115.5 THEN '441521'
            ELSE '441581' END,
       lon, lat, 'bench', 1652491800000 + i, 1652491800000 + i,
       CASE i % 4 WHEN 0 THEN 'xueliang' WHEN 1 THEN 'forest_fire' WHEN 2 THEN 'highway' ELSE 'other' END,
       'rtsp://cam' || i || '.bench.invalid/live', 'online'
FROM p;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
npoints=$(sqlite3 "$DB" "SELECT count(*) FROM camera")
nrtree=$(sqlite3 "$DB" "SELECT count(*) FROM camera_rtree")
[ "$npoints" = "$POINTS" ] && [ "$nrtree" = "$POINTS" ] ||
  { echo "layers: expected $POINTS cameras, have $npoints (rtree $nrtree)" >&2; exit 1; }
log "database $(du -h "$DB" | cut -f1)"

# ---- bboxes ---------------------------------------------------------------------------------
# QUERIES boxes of 0.015-0.035 degrees a side (about 170-940 points each at
# this density, a few hundred on average, never much over 1,000), placed
# inside the city's bbox; a second list (other seed) warms every system up.
# minstd again (a = 16807): exact in awk's doubles, so mawk and gawk agree.
gen_bboxes() {
  awk -v n="$1" -v seed="$2" 'function rnd() { s = (s * 16807) % 2147483647; return s / 2147483647 }
    BEGIN { s = seed
      for (i = 0; i < n; i++) {
        w = 0.015 + 0.02 * rnd(); h = 0.015 + 0.02 * rnd()
        x = 114.9 + (1.3 - w) * rnd(); y = 22.6 + (1.0 - h) * rnd()
        printf "%.6f %.6f %.6f %.6f\n", x, y, x + w, y + h } }'
}
gen_bboxes "$QUERIES" "$SEED" >"$T/bboxes"
gen_bboxes "$WARMUP" 7 >"$T/warmup"

unavailable=()
have=() # the systems that are up and measured, in the order of each round

# ---- yingji ---------------------------------------------------------------------------------
log "yingji serve"
"$YINGJI" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" >"$T/yingji.log" 2>&1 &
ypid=$!
bench_on_exit "kill $ypid; wait $ypid"
if bench_wait_file "$T/port" 30; then
  port=$(cat "$T/port")
  have+=(yingji yingji_gz)
else
  unavailable+=("yingji HTTP: the server did not start: $(tail -n 5 "$T/yingji.log" | tr '\n' ' ')")
fi
have+=(capi shell)

# ---- PostGIS --------------------------------------------------------------------------------
# A throw-away cluster in the temp folder, run as the postgres user (the
# server refuses root), TCP on 127.0.0.1 only, its unix socket in the temp
# folder. Durability is off: it speeds up the load and does not touch reads.
pg_reason=
if [ $have_pg_client -eq 0 ]; then pg_reason="no libpq client"
elif [ ! -x "$PGBIN/initdb" ]; then pg_reason="PostgreSQL 15 is not installed ($PGBIN/initdb missing)"
elif [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then pg_reason="PostGIS is not installed (postgresql-15-postgis-3)"
elif ! id postgres >/dev/null 2>&1; then pg_reason="no 'postgres' user to run the server as"
fi
if [ -z "$pg_reason" ]; then
  log "PostGIS: cluster, load, GiST index"
  PGD=$T/pg
  install -d -o postgres -g postgres -m 700 "$PGD"
  pgport=$(bench_free_port)
  as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if as_pg "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --no-locale >"$T/initdb.log" 2>&1 &&
     bench_on_exit "as_pg '$PGBIN/pg_ctl' -D '$PGD/data' -m fast -w -t 30 stop" &&
     as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $pgport -k $PGD -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c maintenance_work_mem=512MB" \
       start >"$T/pgctl.log" 2>&1; then
    psqlc() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
    sqlite3 -csv "$DB" "SELECT id, lon, lat, name, area_code, network, stream_url, status FROM camera ORDER BY id" >"$T/cams.csv"
    if psqlc -d postgres -c "CREATE DATABASE bench" >"$T/pgload.log" 2>&1 &&
       psqlc -d bench >>"$T/pgload.log" 2>&1 <<SQL
CREATE EXTENSION postgis;
CREATE TEMP TABLE cam_csv(id bigint, lon float8, lat float8, name text, area_code text,
                          network text, stream_url text, status text);
\\copy cam_csv FROM '$T/cams.csv' WITH (FORMAT csv)
CREATE TABLE cam(id bigint PRIMARY KEY, name text NOT NULL, area_code text NOT NULL,
                 network text NOT NULL, stream_url text, status text NOT NULL,
                 geom geometry(Point, 4326) NOT NULL);
INSERT INTO cam SELECT id, name, area_code, network, stream_url, status,
                       ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM cam_csv ORDER BY id;
CREATE INDEX cam_geom ON cam USING gist (geom);
VACUUM ANALYZE cam;
SQL
    then
      have+=(pg)
      log "PostGIS on 127.0.0.1:$pgport"
    else
      unavailable+=("PostGIS: loading failed: $(tail -n 3 "$T/pgload.log" | tr '\n' ' ')")
    fi
    rm -f "$T/cams.csv"
  else
    unavailable+=("PostGIS: the cluster did not start: $(tail -n 3 "$T/initdb.log" "$T/pgctl.log" "$PGD/server.log" 2>/dev/null | tr '\n' ' ')")
  fi
else
  log "PostGIS: not run: $pg_reason"
  unavailable+=("PostGIS: not run: $pg_reason")
fi

# ---- measuring, in rounds -------------------------------------------------------------------
# Every system is loaded and up; the bbox list is cut into ROUNDS slices and
# each round runs every system over its slice, one after the other. Anything
# else on the machine then weighs on all systems alike (a shared 2-core box
# is noisy, and p99 is where noise shows). Each client appends per-query
# milliseconds and feature counts to files; the table is computed from them.
# Round 1 starts each system with an untimed pass over the warm-up list.
ROUNDS=${BENCH_ROUNDS:-4}
[ "$QUERIES" -ge "$ROUNDS" ] || ROUNDS=1
sqlite_select() { # bbox lines -> the server's SQL shape with the bbox inlined; $1 = LIMIT
  awk -v lim="$1" '{ printf "SELECT e.id,e.lon,e.lat,e.name,e.area_code,e.network,e.stream_url,e.status" \
    " FROM camera_rtree r CROSS JOIN camera e ON e.id=r.id WHERE r.min_lon<=%s AND r.max_lon>=%s" \
    " AND r.min_lat<=%s AND r.max_lat>=%s LIMIT %d;\n", $3, $1, $4, $2, lim }'
}
sqlite_count() { # bbox lines -> features per bbox, untimed (for the mean and the cross-check)
  awk -v lim=$((LIMIT + 1)) '{ printf "SELECT min(count(*), %d) FROM (SELECT 1 FROM camera_rtree r" \
    " CROSS JOIN camera e ON e.id=r.id WHERE r.min_lon<=%s AND r.max_lon>=%s AND r.min_lat<=%s" \
    " AND r.max_lat>=%s LIMIT %d);\n", lim - 1, $3, $1, $4, $2, lim }' | sqlite3 "$DB"
}
measure() { # $1 system, $2 from, $3 count, $4 warm-up file or "" -> appends to lat.$1, counts.$1
  local s=$1 from=$2 n=$3 warm=()
  [ -n "$4" ] && warm=(--warmup "$4")
  case $s in
    yingji|yingji_gz)
            local gz=(); [ "$s" = yingji_gz ] && gz=(--gzip)
            "$BENCH_BIN/layers_http" --port "$port" --password-file "$T/password" --bboxes "$T/bboxes" \
              --from "$from" --count "$n" "${warm[@]}" "${gz[@]}" --limit $LIMIT --lat "$T/lat.$s" \
              --counts "$T/counts.$s" --bytes "$T/bytes.$s" >/dev/null ;;
    capi)   "$BENCH_BIN/layers_sqlite" --db "$DB" --bboxes "$T/bboxes" --from "$from" --count "$n" "${warm[@]}" \
              --limit $LIMIT --lat "$T/lat.$s" --counts "$T/counts.$s" >/dev/null ;;
    pg)     "$BENCH_BIN/layers_pg" --conninfo "host=127.0.0.1 port=$pgport user=postgres dbname=bench" \
              --bboxes "$T/bboxes" --from "$from" --count "$n" "${warm[@]}" --limit $LIMIT \
              --lat "$T/lat.$s" --counts "$T/counts.$s" >/dev/null ;;
    shell)  # .timer on, rows to /dev/null; "Run Time: real X" (seconds, 1 ms resolution) per statement
      { echo ".output /dev/null"; [ -n "$4" ] && sqlite_select $((LIMIT + 1)) <"$4"
        echo ".timer on"; sed -n "$((from + 1)),$((from + n))p" "$T/bboxes" | sqlite_select $((LIMIT + 1)); } |
        sqlite3 "$DB" >"$T/shell.out" 2>&1 || true
      local k; k=$(grep -c '^Run Time: real' "$T/shell.out" || true)
      [ "$k" -eq "$n" ] || { echo "sqlite3 shell: expected $n timings, got $k: $(grep -v '^Run Time' "$T/shell.out" | head -2 | tr '\n' ' ')" >&2; return 1; }
      awk '/^Run Time: real/ { printf "%.3f\n", $4 * 1000 }' "$T/shell.out" >>"$T/lat.$s"
      awk '/^Run Time: real/ { printf "%.3f\n", ($6 + $8) * 1000 }' "$T/shell.out" >>"$T/cpu.$s"
      sed -n "$((from + 1)),$((from + n))p" "$T/bboxes" | sqlite_count >>"$T/counts.$s" ;;
  esac
}
declare -A failed
log "measuring ${have[*]}: $QUERIES queries each, in $ROUNDS rounds"
for ((r = 0; r < ROUNDS; r++)); do
  from=$(( QUERIES * r / ROUNDS )); n=$(( QUERIES * (r + 1) / ROUNDS - from ))
  warmfile=; [ $r -eq 0 ] && warmfile=$T/warmup
  for s in "${have[@]}"; do
    [ -z "${failed[$s]:-}" ] || continue
    measure "$s" "$from" "$n" "$warmfile" || { failed[$s]=1; unavailable+=("$s: its client failed (see above)"); }
  done
done

# yingji under 2 concurrent clients (each sends the whole list from its own start): requests/s
if [ -n "${port:-}" ] && [ -z "${failed[yingji]:-}" ]; then
  log "yingji: $QUERIES queries x 2 concurrent clients"
  y2=$("$BENCH_BIN/layers_http" --port "$port" --password-file "$T/password" --bboxes "$T/bboxes" \
    --limit $LIMIT --threads 2) || unavailable+=("yingji with 2 clients: errors (see above)")
fi
log "done"
loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ------------------------------------------------------------------------------
# stat SYSTEM KEY: p50 p90 p99 max (ms, nearest rank), mean (ms), feat (mean features)
stat() {
  local f=$T/lat.$1
  [ -z "${failed[$1]:-}" ] && [ -s "$f" ] && [ "$(wc -l <"$f")" -eq "$QUERIES" ] || { echo "-"; return; }
  case $2 in
    p50) bench_pct 50 <"$f" ;; p90) bench_pct 90 <"$f" ;; p99) bench_pct 99 <"$f" ;; max) bench_pct 100 <"$f" ;;
    mean) awk '{ s += $1 } END { printf "%.3f\n", s / NR }' "$f" ;;
    feat) awk '{ s += $1 } END { printf "%.1f\n", s / NR }' "$T/counts.$1" ;;
    cpu50) bench_pct 50 <"$T/cpu.$1" ;; cpu99) bench_pct 99 <"$T/cpu.$1" ;;
    wire) awk '{ s += $1 } END { printf "%.0f\n", s / NR }' "$T/bytes.$1" ;;
    body) awk '{ s += $2 } END { printf "%.0f\n", s / NR }' "$T/bytes.$1" ;;
  esac
}
kb() { [ "$1" = "-" ] && echo "-" || awk -v v="$1" 'BEGIN { printf "%.1f KB", v / 1024 }'; }
ms() { [ "$1" = "-" ] && echo "-" || awk -v v="$1" 'BEGIN { printf "%.3f", v }'; }
row() { printf '%-32s %8s %8s %15s\n' "$2" "$(ms "$(stat "$1" p50)")" "$(ms "$(stat "$1" p99)")" "$(stat "$1" feat)"; }
ratio() { # p99 of $1 / p99 of $2
  local a b; a=$(stat "$1" p99); b=$(stat "$2" p99)
  if [ "$a" != "-" ] && [ "$b" != "-" ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; else echo "-"; fi
}
echo
printf 'layers: bbox over %s points, <=%d features, %d queries\n' \
  "$(printf '%d' "$POINTS" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$LIMIT" "$QUERIES"
printf '%-32s %8s %8s %15s\n' system "p50 ms" "p99 ms" "mean features"
row yingji "yingji HTTP (GeoJSON)"
row yingji_gz "yingji HTTP, gzip (GeoJSON)"
row shell "sqlite3 shell (R*Tree)"
row pg "PostGIS (GiST, libpq)"
echo "ratio p99 PostGIS/yingji: $(ratio pg yingji)   (>= 1.0 means yingji is no slower)"
echo "ratio p99 sqlite3 shell/yingji: $(ratio shell yingji)"
y99=$(stat yingji p99)
if [ "$y99" = "-" ]; then verdict=FAIL
else verdict=$(awk -v v="$y99" 'BEGIN { print (v < 5 ? "PASS" : "FAIL") }'); fi
echo "target yingji p99 < 5 ms: $verdict"
if [ "$(stat yingji_gz p99)" != "-" ]; then
  printf 'bytes on the wire per answer (mean, headers + body): plain %s, gzip %s (%s of plain); body inflated %s\n' \
    "$(kb "$(stat yingji wire)")" "$(kb "$(stat yingji_gz wire)")" \
    "$(awk -v a="$(stat yingji_gz wire)" -v b="$(stat yingji wire)" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')" \
    "$(kb "$(stat yingji_gz body)")"
  echo "ratio p99 gzip/plain: $(ratio yingji_gz yingji)   (the compressed answers' p99 against the plain ones')"
fi
echo
echo "breakdown (same bboxes, $ROUNDS interleaved rounds; load average $loadavg_start at start, $loadavg_end at end, $(nproc) cores):"
row capi "  SQLite C API, yingji's SQL"
printf '  yingji HTTP: p90 %s ms, max %s ms, mean %s ms\n' "$(ms "$(stat yingji p90)")" "$(ms "$(stat yingji max)")" "$(ms "$(stat yingji mean)")"
[ "$(stat pg p90)" = "-" ] ||
  printf '  PostGIS: p90 %s ms, max %s ms, mean %s ms\n' "$(ms "$(stat pg p90)")" "$(ms "$(stat pg max)")" "$(ms "$(stat pg mean)")"
if [ -n "${y2:-}" ]; then
  printf '  yingji HTTP, 2 concurrent clients: %s requests/s, p50 %s ms, p99 %s ms\n' \
    "$(bench_kv rps "$y2")" "$(bench_kv p50_ms "$y2")" "$(bench_kv p99_ms "$y2")"
fi
printf '  sqlite3 shell: .timer real has 1 ms resolution; mean real %s ms; user+sys CPU p50 %s ms, p99 %s ms\n' \
  "$(ms "$(stat shell mean)")" "$(ms "$(stat shell cpu50)")" "$(ms "$(stat shell cpu99)")"
# cross-check: the same number of features for every bbox. PostGIS may count
# a few more: its && compares float4 boxes rounded outward on both sides, so
# a point up to ~1 m outside an edge can match (yingji's R*Tree rounds only
# the stored point, and compares it with the exact double bbox).
for s in yingji_gz capi shell pg; do
  [ -s "$T/counts.yingji" ] && [ -s "$T/counts.$s" ] || continue
  d=$(paste "$T/counts.yingji" "$T/counts.$s" | awk '$1 != $2 { n++; x = $2 - $1; if (x < 0) x = -x; if (x > m) m = x }
    END { if (n) printf "%d (by at most %d)", n, m }')
  if [ -z "$d" ]; then echo "  features per bbox: yingji = $s for all $QUERIES bboxes"
  else echo "  features per bbox: yingji and $s differ on $d of $QUERIES bboxes"; fi
done
for u in "${unavailable[@]}"; do echo "NOTE $u"; done
# a missed target is a result, not an error: exit 1 only when yingji could not be measured
[ "$(stat yingji p99)" != "-" ]
