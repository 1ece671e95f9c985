#!/usr/bin/env bash
# bench/telemetry.sh — telemetry ingest: 1,000,000 position reports from
# 100,000 devices with 1,000 geofence rules, sent to yingji as HTTP NDJSON
# batches on loopback: reports/s (durable, rules evaluated) and p50/p99 from
# send to alarm visible on the alarm stream; side by side with Debian's
# redis-server taking the same points as pipelined GEOADD (in memory, no
# rules); then 100,000 MQTT messages through mosquitto, all of them stored.
# Targets: yingji >= 200,000 reports/s, yingji/redis >= 1.0, MQTT all stored.
#
#   bench/telemetry.sh                 (after `make build`; `make bench` does both)
#   BENCH_REPORTS=200000 BENCH_MQTT=20000 bench/telemetry.sh      smaller, for a quick look
#   BENCH_BATCH=2000 (reports per request), BENCH_CONNECTIONS=4 (load connections),
#   BENCH_DEVICES=100000, BENCH_RULES=1000, BENCH_MARKER_MS=100 (alarm probe period),
#   BENCH_SERVE_ARGS="--threads 8" (extra serve options), BENCH_YINGJI=path (another build),
#   BENCH_KEEP=1 (keep the temp folder: database, logs)
#
# Steps: a demo database plus the devices (sqlite3 shell), mosquitto, yingji
# serve (with --mqtt), the rules through the API, the HTTP load with the
# alarm probe alongside, redis-server and the same points, then MQTT.
#
# Everything runs on loopback; every process started here is stopped and
# every file removed by the exit trap. A peer that cannot run here (e.g.
# redis-server not installed) gets one line saying so and the others go on.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

REPORTS=${BENCH_REPORTS:-1000000}
DEVICES=${BENCH_DEVICES:-100000}
RULES=${BENCH_RULES:-1000}
# 2,000 reports a request, 4 connections: measured on 2 cores, yingji's CPU per
# report is flat from 1,000 to 5,000 a request (-4 % from 1,000 to 2,000, -1 %
# more at 5,000) while the time to 202 grows with the request; 4 is the
# server's default HTTP thread count here, and since a telemetry request holds
# its thread until durable, more connections than threads queue behind each
# other (8 connections: p99 several times higher, no more throughput).
BATCH=${BENCH_BATCH:-2000}
CONNS=${BENCH_CONNECTIONS:-4}
MQTT_MSGS=${BENCH_MQTT:-100000}
MARKER_MS=${BENCH_MARKER_MS:-100}
SEED=20220818 # one seed: the same points for every system
YINGJI=${BENCH_YINGJI:-build/rel/yingji}
# shellcheck disable=SC2206
SERVE_ARGS=(${BENCH_SERVE_ARGS:-})
MARKER=BENCH-MARK # the probe's device and fence: south of the load's box, at sea off 城区
MARKER_FENCE="115.000 22.550 115.010 22.560"
MARKER_IN=115.005,22.555
MARKER_OUT=115.005,22.520 # 3.9 km south of the fence: well beyond its 50 m band

[ -x "$YINGJI" ] || { echo "telemetry: $YINGJI missing: run 'make build' first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "telemetry: the sqlite3 shell is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
[ "$REPORTS" -ge "$MQTT_MSGS" ] || { echo "telemetry: BENCH_MQTT must not exceed BENCH_REPORTS (the points are shared)" >&2; exit 2; }

bench_init telemetry
T=$BENCH_TMP
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '[telemetry %5ss] %s\n' "$SECONDS" "$*" >&2; }
num() { printf '%d' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 1000000 -> 1,000,000
unavailable=()

# ---- C clients ------------------------------------------------------------------------------
bench_cc telemetry_http libcurl
have_redis_client=1
bench_cc telemetry_redis hiredis || { have_redis_client=0; echo "telemetry: cannot build the hiredis client (libhiredis-dev missing?)" >&2; }
have_mqtt_client=1
bench_cc telemetry_mqtt libmosquitto || { have_mqtt_client=0; echo "telemetry: cannot build the MQTT client (libmosquitto-dev missing?)" >&2; }

# ---- points and fences ----------------------------------------------------------------------
# REPORTS points, "lon lat" a line, uniform over the city's box 114.9-116.2 E,
# 22.6-23.6 N: the Lehmer generator (minstd, a = 48271, m = 2^31 - 1), exact
# in awk's doubles. Report i is for device B<i mod DEVICES + 1> at t0 + i ms
# (the clients' rule), so each device reports REPORTS/DEVICES times, forward
# in time. The same file feeds yingji (HTTP, MQTT) and redis.
log "points: $(num "$REPORTS")"
awk -v n="$REPORTS" -v seed="$SEED" 'BEGIN { s = seed
  for (i = 0; i < n; i++) {
    s = (s * 48271) % 2147483647; x = 114.9 + 1.3 * s / 2147483647
    s = (s * 48271) % 2147483647; y = 22.6 + 1.0 * s / 2147483647
    printf "%.7f %.7f\n", x, y } }' >"$T/points"
# RULES squares of 0.005 degrees (about 510 x 555 m) scattered over the same
# box, each for 1 to 3 of the seven moving kinds; one line a rule:
# "name min_lon min_lat max_lon max_lat kind,kind". About 2 % of the points
# fall in some square, and a fence applies to about a third of the devices,
# so a small share of reports raises (and the device's next report clears)
# an alarm. Then the probe's own fence.
awk -v n="$RULES" -v seed=$((SEED + 1)) 'function rnd() { s = (s * 16807) % 2147483647; return s / 2147483647 }
  BEGIN { s = seed
    split("fishing_vessel cargo_vessel bus coach hazmat_vehicle heavy_truck ranger", kinds, " ")
    for (i = 1; i <= n; i++) {
      x = 114.9 + (1.3 - 0.005) * rnd(); y = 22.6 + (1.0 - 0.005) * rnd()
      k = 1 + int(7 * rnd()); m = 1 + int(3 * rnd()); list = kinds[k]
      for (j = 1; j < m; j++) list = list "," kinds[1 + (k + 2 * j - 1) % 7]
      printf "bench-fence-%d %.6f %.6f %.6f %.6f %s\n", i, x, y, x + 0.005, y + 0.005, list } }' >"$T/rules"
echo "bench-marker-fence $MARKER_FENCE fishing_vessel" >>"$T/rules"

# ---- database -------------------------------------------------------------------------------
# A fresh demo database (area tree, users incl. admin), then DEVICES devices
# written with plain SQL through the sqlite3 shell. The fixture bypasses
# yingji's API and audit log on purpose: it is load data, not records anyone
# made, and 100,000 API calls would time device creation, not ingest. The
# key_hash is random (nobody holds a key: the load sends with the admin
# token); kinds follow the id (B<i>: i mod 7, as telemetry_redis keys them),
# area codes are the four real county codes.
DB=$T/bench.db
PW=bench-$RANDOM$RANDOM
printf '%s\n' "$PW" >"$T/password"
log "demo database, $(num "$DEVICES") devices"
"$YINGJI" demo --db "$DB" --password-file "$T/password" >"$T/demo.log" 2>&1 ||
  { cat "$T/demo.log" >&2; exit 1; }
now_ms=$(( $(date +%s) * 1000 ))
sqlite3 "$DB" >/dev/null <<SQL
BEGIN;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $DEVICES)
INSERT INTO device(id, kind, name, owner, area_code, key_hash, disabled, created_ms, updated_ms)
SELECT printf('B%06d', i),
       CASE i % 7 WHEN 0 THEN 'fishing_vessel' WHEN 1 THEN 'cargo_vessel' WHEN 2 THEN 'bus' WHEN 3 THEN 'coach'
                  WHEN 4 THEN 'hazmat_vehicle' WHEN 5 THEN 'heavy_truck' ELSE 'ranger' END,
       '压测设备 ' || i, 'bench',
       CASE i % 4 WHEN 0 THEN '441502' WHEN 1 THEN '441521' WHEN 2 THEN '441523' ELSE '441581' END,
       randomblob(32), 0, $now_ms, $now_ms
FROM g;
INSERT INTO device(id, kind, name, owner, area_code, key_hash, disabled, created_ms, updated_ms)
VALUES ('$MARKER', 'fishing_vessel', '压测探针', 'bench', '441502', randomblob(32), 0, $now_ms, $now_ms);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
ndev=$(sqlite3 "$DB" "SELECT count(*) FROM device WHERE owner = 'bench'")
[ "$ndev" = $((DEVICES + 1)) ] || { echo "telemetry: expected $((DEVICES + 1)) devices, have $ndev" >&2; exit 1; }

# ---- mosquitto ------------------------------------------------------------------------------
# In memory (persistence false), loopback only. max_queued_messages: the
# broker's default (1000 per client) would drop QoS 1 messages as soon as
# yingji's session falls 1,000 behind the publisher; a broker in front of
# yingji must be configured to hold a backlog, so this one holds them all.
mq_port=
if [ $have_mqtt_client -eq 0 ]; then unavailable+=("MQTT: not run: no libmosquitto client")
elif ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then unavailable+=("MQTT: not run: mosquitto is not installed")
else
  mq_port=$(bench_free_port)
  mkdir -p "$T/mqtt"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages %s\nlog_dest stderr\n' \
    "$mq_port" $((MQTT_MSGS * 2)) >"$T/mqtt/mosquitto.conf"
  "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$T/mqtt/mosquitto.conf" >"$T/mosquitto.log" 2>&1 &
  mqpid=$!
  bench_on_exit "kill $mqpid; wait $mqpid"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$mq_port") 2>/dev/null && break; sleep 0.1; done
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$mq_port") 2>/dev/null; then
    unavailable+=("MQTT: mosquitto did not start: $(tail -n 3 "$T/mosquitto.log" | tr '\n' ' ')")
    mq_port=
  fi
fi

# ---- yingji ---------------------------------------------------------------------------------
log "yingji serve${mq_port:+ (MQTT on 127.0.0.1:$mq_port)}"
mqtt_args=()
[ -n "$mq_port" ] && mqtt_args=(--mqtt "mqtt://127.0.0.1:$mq_port" --mqtt-topic 'yingji/telemetry/#')
YJ_MQTT_CLIENT_ID=yj-bench-$$ "$YINGJI" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" \
  "${mqtt_args[@]}" "${SERVE_ARGS[@]}" >"$T/yingji.log" 2>&1 &
ypid=$!
bench_on_exit "kill $ypid; wait $ypid"
bench_wait_file "$T/port" 60 || { echo "telemetry: yingji did not start: $(tail -n 5 "$T/yingji.log")" >&2; exit 1; }
port=$(cat "$T/port")

log "creating $(num "$RULES") geofence rules (+1 for the probe) through the API"
rules_out=$("$BENCH_BIN/telemetry_http" --port "$port" --password-file "$T/password" --rules "$T/rules") ||
  { echo "telemetry: creating the rules failed: $rules_out" >&2; exit 1; }
log "rules: $rules_out"

# ---- yingji: the HTTP load with the alarm probe ---------------------------------------------
# CPU seconds of yingji's threads before and after the load (from /proc): on a
# shared machine the wall-clock figure moves with the neighbours, CPU per
# report much less; the busiest thread is the telemetry writer, whose CPU
# time bounds what one writer can take on this machine.
tck=$(getconf CLK_TCK)
cpu_snapshot() { # "tid ticks" a line, every thread of yingji
  local f
  for f in /proc/"$ypid"/task/*/stat; do
    awk -v f="$f" '{ sub(/^.*\) /, ""); split(f, p, "/"); print p[5], $12 + $13 }' "$f" 2>/dev/null || true
  done
}
cpu_snapshot >"$T/cpu.before"
t0_ms=$(( ($(date +%s) - 7200) * 1000 )) # the load's reports span t0 .. t0 + REPORTS ms, all in the past
log "yingji: $(num "$REPORTS") reports, $CONNS connections x $BATCH a request, alarm probe every $MARKER_MS ms"
yout=$("$BENCH_BIN/telemetry_http" --port "$port" --password-file "$T/password" --points "$T/points" \
  --devices "$DEVICES" --batch "$BATCH" --threads "$CONNS" --t0-ms "$t0_ms" --marker "$MARKER" \
  --marker-in "$MARKER_IN" --marker-out "$MARKER_OUT" --marker-every-ms "$MARKER_MS" \
  --marker-lat "$T/lat.alarm" --req-lat "$T/lat.req") ||
  unavailable+=("yingji HTTP: the load client reported errors (see above)")
log "yingji: $yout"
cpu_snapshot >"$T/cpu.after"
read -r ycpu ywriter < <(awk -v tck="$tck" 'NR == FNR { b[$1] = $2; next }
  { d = $2 - b[$1]; s += d; if (d > m) m = d } END { printf "%.2f %.2f\n", s / tck, m / tck }' "$T/cpu.before" "$T/cpu.after")
stored=$(sqlite3 "$DB" "SELECT count(*) FROM position WHERE device_id >= 'B0' AND device_id < 'B:'")
alarms_db=$(sqlite3 "$DB" "SELECT count(*) || ' ' || coalesce(sum(state = 'closed'), 0) FROM alarm WHERE device_id != '$MARKER'")
log "yingji: stored $stored positions; alarms (raised, closed): $alarms_db"

# ---- redis-server ---------------------------------------------------------------------------
rout=
if [ $have_redis_client -eq 0 ]; then unavailable+=("redis: not run: no hiredis client")
elif ! command -v redis-server >/dev/null; then unavailable+=("redis: not run: redis-server is not installed")
else
  rport=$(bench_free_port)
  mkdir -p "$T/redis"
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$T/redis" \
    --daemonize no --logfile "$T/redis.log" >/dev/null 2>&1 &
  rpid=$!
  bench_on_exit "kill $rpid; wait $rpid"
  for _ in $(seq 1 100); do [ "$(redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
  if [ "$(redis-cli -p "$rport" ping 2>/dev/null)" = PONG ]; then
    log "redis: $(num "$REPORTS") GEOADD, $CONNS connections x $BATCH a pipeline"
    rout=$("$BENCH_BIN/telemetry_redis" --port "$rport" --points "$T/points" --devices "$DEVICES" \
      --batch "$BATCH" --threads "$CONNS") || unavailable+=("redis: its client reported errors (see above)")
    log "redis: $rout"
    rmembers=0
    for k in $(redis-cli -p "$rport" --scan --pattern 'yj:*'); do
      rmembers=$(( rmembers + $(redis-cli -p "$rport" zcard "$k") ))
    done
  else
    unavailable+=("redis: redis-server did not start: $(tail -n 3 "$T/redis.log" | tr '\n' ' ')")
  fi
fi

# ---- MQTT -----------------------------------------------------------------------------------
# The publisher's messages are the first MQTT_MSGS points again, an hour
# later. Stored = new rows in position (rowid past the last one before),
# polled through the sqlite3 shell until all are there or nothing new
# arrived for 30 s.
mout=
if [ -n "$mq_port" ]; then
  last_rowid=$(sqlite3 "$DB" "SELECT coalesce(max(rowid), 0) FROM position")
  log "MQTT: $(num "$MQTT_MSGS") messages at QoS 1 through mosquitto"
  mq_t0=$(date +%s.%N)
  mout=$("$BENCH_BIN/telemetry_mqtt" --port "$mq_port" --points "$T/points" --count "$MQTT_MSGS" \
    --devices "$DEVICES" --t0-ms $((t0_ms + 3600000)) --timeout-s 300) ||
    unavailable+=("MQTT: the publisher reported errors (see above)")
  log "MQTT: $mout"
  mq_stored=0; last_change=$SECONDS; mq_done=
  while :; do
    n=$(sqlite3 "$DB" "SELECT count(*) FROM position WHERE rowid > $last_rowid" 2>/dev/null || echo "$mq_stored")
    [ "$n" != "$mq_stored" ] && { mq_stored=$n; last_change=$SECONDS; }
    [ "$mq_stored" -ge "$MQTT_MSGS" ] && { mq_done=$(date +%s.%N); break; }
    [ $((SECONDS - last_change)) -lt 30 ] || break
    sleep 0.2
  done
  mq_wall=$(awk -v a="$mq_t0" -v b="${mq_done:-$(date +%s.%N)}" 'BEGIN { printf "%.1f", b - a }')
  log "MQTT: stored $mq_stored/$MQTT_MSGS in $mq_wall s"
fi
log "done"
loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ------------------------------------------------------------------------------
kv() { local v; v=$(bench_kv "$1" "$2"); echo "${v:--}"; }
y_rps=$(kv rps "$yout"); r_rps=$(kv rps "$rout")
ratio=$(awk -v a="$y_rps" -v b="$r_rps" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }')
echo
printf 'telemetry: %s position reports from %s devices, %s geofence rules; %d connections x %s reports a request\n' \
  "$(num "$REPORTS")" "$(num "$DEVICES")" "$(num "$RULES")" "$CONNS" "$(num "$BATCH")"
printf '%-44s %10s %13s %13s %20s\n' system "reports/s" "batch p50 ms" "batch p99 ms" stored
printf '%-44s %10s %13s %13s %20s\n' "yingji HTTP NDJSON (durable, rules)" "$y_rps" "$(kv req_p50_ms "$yout")" \
  "$(kv req_p99_ms "$yout")" "$(num "${stored:-0}")/$(num "$REPORTS")"
printf '%-44s %10s %13s %13s %20s\n' "redis-server GEOADD pipelined (memory)" "$r_rps" "$(kv batch_p50_ms "$rout")" \
  "$(kv batch_p99_ms "$rout")" "${rmembers:+$(num "$rmembers") members}"
echo "(batch: one request of $(num "$BATCH") reports, send -> 202 after they are durable; redis: one pipeline of $(num "$BATCH") GEOADD)"
printf 'alarm latency, send -> SSE alarm event, during the load: p50 %s ms, p99 %s ms, max %s ms (%s markers)\n' \
  "$(kv alarm_p50_ms "$yout")" "$(kv alarm_p99_ms "$yout")" "$(kv alarm_max_ms "$yout")" "$(kv marker_events "$yout")"
echo "ratio reports/s yingji/redis: $ratio   (>= 1.0 means yingji keeps up with redis)"
if [ -n "$mq_port" ]; then
  mq_rate=$(awk -v n="$mq_stored" -v w="$mq_wall" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
  printf 'MQTT via mosquitto, QoS 1, one report a message: broker acked %s msg/s; stored %s/%s in %s s (%s msg/s end to end)\n' \
    "$(kv mps "$mout")" "$(num "$mq_stored")" "$(num "$MQTT_MSGS")" "$mq_wall" "$mq_rate"
fi
v_rps=$(awk -v a="$y_rps" 'BEGIN { print (a != "-" && a >= 200000 ? "PASS" : "FAIL") }')
v_ratio=$(awk -v a="$ratio" 'BEGIN { print (a != "-" && a >= 1.0 ? "PASS" : "FAIL") }')
v_mqtt=FAIL; [ -n "$mq_port" ] && [ "${mq_stored:-0}" -ge "$MQTT_MSGS" ] && v_mqtt=PASS
echo "target yingji >= 200,000 reports/s durable with rules: $v_rps"
echo "target ratio yingji/redis >= 1.0: $v_ratio"
echo "target MQTT $(num "$MQTT_MSGS") messages all stored: $v_mqtt"
echo
echo "breakdown (load average $loadavg_start at start, $loadavg_end at end, $(nproc) cores; database on $(df --output=fstype "$T" | tail -1)):"
printf '  yingji: %s accepted, %s rejected, %s requests in %s s; request (send -> 202, durable) max %s ms\n' \
  "$(kv accepted "$yout")" "$(kv rejected "$yout")" "$(kv requests "$yout")" "$(kv wall_s "$yout")" "$(kv req_max_ms "$yout")"
acc=$(kv accepted "$yout")
if [ "$acc" != "-" ] && [ "$acc" -gt 0 ]; then
  awk -v c="$ycpu" -v w="$ywriter" -v n="$acc" 'BEGIN {
    printf "  yingji CPU during the load: %.2f s (%.1f us a report); busiest thread (the writer) %.2f s: one writer takes at most ~%d reports/s here\n",
      c, c / n * 1e6, w, (w > 0 ? n / w : 0) }'
fi
read -r a_raised a_closed <<<"${alarms_db:-0 0}"
printf '  alarms from the load: %s raised, %s closed (stream saw %s events: %s open, %s closed)\n' \
  "$a_raised" "${a_closed:-0}" "$(kv alarm_events "$yout")" "$(kv alarm_open "$yout")" "$(kv alarm_closed "$yout")"
printf '  rule creation through the API: %s rules in %s s (mean request %s ms for the first tenth, %s ms for the last)\n' \
  "$(kv rules "$rules_out")" "$(kv wall_s "$rules_out")" "$(kv first_tenth_ms "$rules_out")" "$(kv last_tenth_ms "$rules_out")"
[ -n "$rout" ] && printf '  redis: %s GEOADD in %s s (%s pipelines)\n' "$(kv added "$rout")" "$(kv wall_s "$rout")" "$(kv requests "$rout")"
for u in "${unavailable[@]}"; do echo "NOTE $u"; done
# a missed target is a result, not an error: exit 1 only when yingji could not be measured
[ "$y_rps" != "-" ]
