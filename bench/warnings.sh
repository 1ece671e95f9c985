#!/usr/bin/env bash
# bench/warnings.sh — the warning closed loop at city scale: a red warning
# issued city-wide to 100,000 in-app recipients (the demo's grid workers and
# duty officers plus grid workers added by the fixture): the time until every
# dispatch record is durable and the inboxes show it; then one acknowledgement
# per recipient, each with its own bearer token, from a load generator (wrk
# with bench/warnings_acks.lua, or the libcurl client bench/warnings_acks.c):
# acks/s, p50/p99. Targets: fan-out < 1 s, acks >= 20,000/s.
#
#   bench/warnings.sh                  (after `make build`; `make bench` does both)
#   BENCH_RECIPIENTS=20000 BENCH_SWEEP="" bench/warnings.sh      smaller, for a quick look
#   BENCH_CONNECTIONS=256 (ack connections of the main run), BENCH_SWEEP="8 64 256 1024" (one
#   more warning per entry, BENCH_SWEEP_ACKS=20000 acks each over that many connections; "" skips),
#   BENCH_INBOX_SAMPLE=1000 (recipients whose inbox is read), BENCH_LATE_ACKS=2000 (acks after
#   the escalation wave; 0 skips), BENCH_SERVE_ARGS="--threads 8" (extra serve options),
#   BENCH_YINGJI=path (another build), BENCH_KEEP=1 (keep the temp folder: database, logs),
#   BENCH_ACK_CLIENT=wrk|curl (the ack client of every ack run, below), BENCH_WRK_THREADS=1
#
# Steps: a demo database plus grid workers and sessions (fixture, below),
# yingji serve, a red warning through its lifecycle (draft as duty_officer,
# submit, approve as commander, issue), the inbox sample, the acks, the
# checks against the database, then the connection sweep; last, acks that
# come after the ack limit (10 minutes for red), when every recipient who
# had not confirmed has been escalated to the duty officers a level up.
#
# Everything runs on loopback; every process started here is stopped and
# every file removed by the exit trap.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

RECIPIENTS=${BENCH_RECIPIENTS:-100000}
# 256 ack connections: a red warning has many phones acknowledging at once (100,000
# recipients, not 8), and the server parks each ack's connection until a shared group commit,
# so a commit groups as many acks as there are requests in flight: the connection count, not
# the server's threads, sets the batch size. The client runs every connection from one thread
# (an event loop, no thread a connection; its CPU a request is printed next to the server's);
# the sweep shows the curve from a few to a thousand connections. (With wrk: BENCH_WRK_THREADS
# event loops share the connections.) The server takes 20,000
# connections (src/http/server.c); the open-files limit is raised for them below.
CONNS=${BENCH_CONNECTIONS:-256}
SWEEP=${BENCH_SWEEP-8 64 256 1024}
SWEEP_ACKS=${BENCH_SWEEP_ACKS:-20000}
SAMPLE=${BENCH_INBOX_SAMPLE:-1000}
LATE_ACKS=${BENCH_LATE_ACKS:-2000}
SEED=20220906 # the order in which the recipients acknowledge
AREA=441500   # the whole city
YINGJI=${BENCH_YINGJI:-build/rel/yingji}
# shellcheck disable=SC2206
SERVE_ARGS=(${BENCH_SERVE_ARGS:-})

[ -x "$YINGJI" ] || { echo "warnings: $YINGJI missing: run 'make build' first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "warnings: the sqlite3 shell is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
command -v curl >/dev/null || { echo "warnings: curl is missing" >&2; exit 1; }

# The ack client, for the main run, the sweep and the late acks: both send the same acks in the
# same order (the seeded shuffle of bench/warnings_acks.c) and print the same stats line.
#   wrk: Debian's wrk (one event loop a thread, BENCH_WRK_THREADS=1 of them) driven by
#        bench/warnings_acks.lua: each ack exactly once, latency paired by recipient id (see there)
#   curl: bench/warnings_acks.c --mode ack, libcurl multi on epoll, one thread
# The client shares the cores with the server, so its CPU a request lowers the rate measured: the
# default is the leaner one, wrk: about 20 us of client CPU a request at 256 connections against 32-40
# for curl (most of both is the kernel's loopback TCP), all database checks passing with either; curl
# when wrk is not installed (scripts/install-deps.sh bench lists it).
ACK_CLIENT=${BENCH_ACK_CLIENT:-}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
if [ -z "$ACK_CLIENT" ]; then
  ACK_CLIENT=wrk
  command -v wrk >/dev/null || { ACK_CLIENT=curl; echo "warnings: wrk is missing: acks sent by the curl client" >&2; }
fi
case $ACK_CLIENT in
  wrk) command -v wrk >/dev/null || { echo "warnings: wrk is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
       [ "$WRK_THREADS" -ge 1 ] 2>/dev/null || { echo "warnings: BENCH_WRK_THREADS must be >= 1" >&2; exit 1; } ;;
  curl) ;;
  *) echo "warnings: BENCH_ACK_CLIENT must be wrk or curl, not '$ACK_CLIENT'" >&2; exit 1 ;;
esac

# every connection is a socket in this client and one in the server (both inherit this limit):
# raise the soft limit of open files towards the hard one when the largest run needs more
max_conns=$CONNS
for c in $SWEEP; do [ "$c" -gt "$max_conns" ] && max_conns=$c; done
need_fds=$(( max_conns + 256 ))
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$need_fds" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$need_fds" ]; then ulimit -Sn "$need_fds"; else ulimit -Sn "$hard"; fi
  [ "$(ulimit -Sn)" -ge "$need_fds" ] ||
    { echo "warnings: $max_conns connections need $need_fds open files, the hard limit is $hard" >&2; exit 1; }
fi

bench_init warnings
T=$BENCH_TMP
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '[warnings %5ss] %s\n' "$SECONDS" "$*" >&2; }
fmt() { printf '%d' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 100000 -> 100,000

# ---- C clients ------------------------------------------------------------------------------
bench_cc warnings_tokens sqlite3 libsodium
bench_cc warnings_acks libcurl jansson

# ---- data -----------------------------------------------------------------------------------
# A fresh demo database (area tree, staff, 4,700 grid workers), then grid
# workers written with plain SQL through the sqlite3 shell until the city's
# grid workers and duty officers (the recipients of a city-wide warning,
# src/dispatch/dispatch.c) number RECIPIENTS. The fixture bypasses yingji's
# API and audit log on purpose: it is load data, not users anyone created,
# and 95,000 POST /users would time user management, not the warning loop.
# They are spread evenly over the 891 villages, named bench_gw<village>_<n>,
# and share the demo users' password hash (copied, so nothing here hashes).
DB=$T/bench.db
log "demo database"
"$YINGJI" demo --db "$DB" --password-file "$T/password" >"$T/demo.log" 2>&1 ||
  { cat "$T/demo.log" >&2; exit 1; }
PW=$(head -n 1 "$T/password") # the demo's random password (the staff log in with it)
city=${AREA:0:4}              # the subtree of a city code: its first four digits
in_city="disabled = 0 AND role IN ('grid_worker', 'duty_officer') AND area_code >= '$city' AND area_code < '$city:'"
have=$(sqlite3 "$DB" "SELECT count(*) FROM user WHERE $in_city")
extra=$(( RECIPIENTS > have ? RECIPIENTS - have : 0 ))
log "inserting $extra grid workers over the villages (the demo has $have recipients)"
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE v(code, k) AS (
  SELECT code, row_number() OVER (ORDER BY code) - 1 FROM area WHERE length(code) = 12
), nv(n) AS (SELECT count(*) FROM v),
g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g, nv WHERE (i + 1) * nv.n < $extra)
INSERT INTO user(username, display_name, role, area_code, password_hash, created_ms, updated_ms)
SELECT 'bench_gw' || v.code || '_' || (g.i + 1), '压测网格员 ' || v.code || '-' || (g.i + 1), 'grid_worker', v.code,
       (SELECT password_hash FROM user WHERE username = 'duty_officer'), 1662422400000, 1662422400000
FROM g CROSS JOIN v CROSS JOIN nv WHERE g.i * nv.n + v.k < $extra;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
nrcpt=$(sqlite3 "$DB" "SELECT count(*) FROM user WHERE $in_city")
[ "$nrcpt" -ge "$RECIPIENTS" ] || { echo "warnings: expected >= $RECIPIENTS recipients, have $nrcpt" >&2; exit 1; }

# Sessions for every recipient, made by a C fixture (bench/warnings_tokens.c)
# the way yingji's login makes them, straight into the session table: 100,000
# logins would be 100,000 argon2id hashes, which is not what is measured here.
log "sessions for $nrcpt recipients (bench fixture, no logins)"
"$BENCH_BIN/warnings_tokens" --db "$DB" --area $AREA --out "$T/tokens" >/dev/null
[ "$(wc -l <"$T/tokens")" -eq "$nrcpt" ] || { echo "warnings: expected $nrcpt tokens" >&2; exit 1; }

# ---- yingji ---------------------------------------------------------------------------------
start_server() { # [VAR=value ...] for its environment; log to $T/yingji.log (appended)
  log "yingji serve ${SERVE_ARGS[*]} $*"
  rm -f "$T/port"
  env "$@" "$YINGJI" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$T/port" "${SERVE_ARGS[@]}" >>"$T/yingji.log" 2>&1 &
  ypid=$!
  bench_on_exit "kill $ypid; wait $ypid"
  bench_wait_file "$T/port" 30 || { echo "warnings: the server did not start: $(tail -n 5 "$T/yingji.log")" >&2; exit 1; }
  port=$(cat "$T/port")
  base=http://127.0.0.1:$port/api/v1
}
start_server

# api METHOD PATH TOKEN [JSON] -> the answer in $T/answer.json; prints "status seconds"
api() {
  local args=(-sS --noproxy '*' -o "$T/answer.json" -w '%{http_code} %{time_total}' -X "$1")
  [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}" "$base$2" || true # no answer: "000", and expect says so
}
expect() { # expect STATUS "status seconds" WHAT
  [ "${2%% *}" = "$1" ] || { echo "warnings: $3: HTTP ${2%% *}: $(head -c 300 "$T/answer.json")" >&2; exit 1; }
}
json_num() { grep -o "\"$1\":[0-9]*" "$T/answer.json" | head -1 | cut -d: -f2; } # the first "key":N
login() {
  local r; r=$(api POST /auth/login "" "{\"username\":\"$1\",\"password\":\"$PW\"}")
  expect 200 "$r" "login as $1"
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$T/answer.json"
}
duty=$(login duty_officer)
cmdr=$(login commander)

# a red typhoon warning for the whole city through its lifecycle: sets warning (its id),
# issue_ms (the issue request, client side) and dispatched (from the answer). The issue answer returns after the commit of the one transaction that made
# every recipient record (and in-app delivery is that record): its time is
# the fan-out, durable. The server logs the transaction as event=warning_dispatch.
expires=$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)
warn_n=0
issue_warning() {
  local r id
  warn_n=$((warn_n + 1))
  r=$(api POST /warnings "$duty" "{\"type\":\"typhoon\",\"level\":\"red\",\"headline\":\"汕尾市台风红色预警（压测 $warn_n）\",
    \"description\":\"预计未来12小时内台风中心将在我市沿海登陆\",\"instruction\":\"全体网格员到岗，转移危险区域人员\",
    \"areas\":[\"$AREA\"],\"expires\":\"$expires\"}")
  expect 201 "$r" "create the draft"
  id=$(json_num id)
  expect 200 "$(api POST "/warnings/$id/submit" "$duty")" "submit"
  expect 200 "$(api POST "/warnings/$id/approve" "$cmdr")" "approve"
  r=$(api POST "/warnings/$id/issue" "$duty")
  expect 200 "$r" "issue"
  issue_ms=$(awk -v s="${r#* }" 'BEGIN { printf "%.1f", s * 1000 }')
  dispatched=$(json_num dispatched)
  warning=$id
}

# ---- fan-out ----------------------------------------------------------------------------------
log "issuing a red warning to $AREA"
issue_warning
w1=$warning fanout_ms=$issue_ms dispatched1=$dispatched
rows=$(sqlite3 "$DB" "SELECT count(*) FROM recipient WHERE warning_id = $w1 AND channel = 'in_app'")
delivered=$(sqlite3 "$DB" "SELECT count(*) FROM recipient WHERE warning_id = $w1 AND channel = 'in_app' AND state = 'delivered'")
srv_dispatch_ms=$(sed -n "s/.*event=warning_dispatch warning=$w1 action=issue .*dur_ms=\([0-9.]*\).*/\1/p" "$T/yingji.log" | head -1)
srv_issue_ms=$(grep "path=/api/v1/warnings/$w1/issue " "$T/yingji.log" | sed -n 's/.*dur_ms=\([0-9.]*\).*/\1/p' | head -1)
log "issued warning $w1 in $fanout_ms ms: $dispatched1 dispatched, $rows records"

log "reading $SAMPLE recipients' inboxes"
inbox=$("$BENCH_BIN/warnings_acks" --port "$port" --tokens "$T/tokens" --warning "$w1" --mode inbox --sample "$SAMPLE") || true

# ---- acknowledgements -------------------------------------------------------------------------
# server CPU time (user + system, all threads) around the acks: what an ack costs the server,
# which a busy shared machine changes much less than the wall-clock rate
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ypid/stat" 2>/dev/null || echo 0; }
alive() { # the server still runs (something else on a shared machine may have stopped it)
  kill -0 "$ypid" 2>/dev/null && return 0
  echo "warnings: the server stopped during $1: $(grep -v 'event=request' "$T/yingji.log" | tail -n 3 | tr '\n' ' ')" >&2
  exit 1
}
# send_acks WARNING CONNECTIONS SEED COUNT [LAT_FILE]: the first COUNT (0: all) recipients of the order
# for SEED acknowledge WARNING over CONNECTIONS connections, through ACK_CLIENT; prints its stats line
send_acks() {
  local w=$1 c=$2 seed=$3 count=$4 lat=${5:-} n th
  if [ "$ACK_CLIENT" = curl ]; then
    "$BENCH_BIN/warnings_acks" --port "$port" --tokens "$T/tokens" --warning "$w" --mode ack \
      --connections "$c" --seed "$seed" --count "$count" ${lat:+--lat "$lat"}
    return
  fi
  # wrk: the C client's order, then each token with the id of its recipient record for this
  # warning (the answer carries that id: how bench/warnings_acks.lua pairs an answer with its request)
  "$BENCH_BIN/warnings_acks" --tokens "$T/tokens" --mode order --seed "$seed" --count "$count" >"$T/order" || return 1
  sqlite3 -separator ' ' "$DB" "SELECT user_id, id FROM recipient
    WHERE warning_id = $w AND channel = 'in_app' AND user_id IS NOT NULL" >"$T/rids" || return 1
  awk 'NR == FNR { r[$1] = $2; next } { print $2, (($1 in r) ? r[$1] : 0) }' "$T/rids" "$T/order" >"$T/order.wrk"
  n=$(wc -l <"$T/order.wrk")
  [ "$c" -le "$n" ] || c=$n
  th=$(( WRK_THREADS < c ? WRK_THREADS : c ))
  c=$(( c / th * th )) # wrk gives each thread connections / threads
  rm -f "$T/wrk.done"
  # -d is only a cap (a server that stops answering): the script ends the run when the last ack is in
  wrk -t "$th" -c "$c" -d "$(( 120 + n / 500 ))s" -s "$BENCH_ROOT/bench/warnings_acks.lua" \
    "http://127.0.0.1:$port/api/v1/me/inbox/$w/ack" -- "$T/order.wrk" "$th" "$c" "$T/wrk.done" "$lat" \
    >"$T/wrk.out" || { cat "$T/wrk.out" >&2; return 1; }
  grep '^n=' "$T/wrk.out" | tail -n 1
}
log "acknowledging: $nrcpt acks over $CONNS connections ($ACK_CLIENT)"
cpu0=$(cpu_ticks)
acks=$(send_acks "$w1" "$CONNS" $SEED 0 "$T/lat.acks") || true
cpu1=$(cpu_ticks)
alive "the acks"
ok=$(bench_kv ok "$acks")
acked_db=$(sqlite3 "$DB" "SELECT count(*) FROM recipient WHERE warning_id = $w1 AND channel = 'in_app' AND state = 'acknowledged'")
audit_db=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'recipient.ack' AND object_type = 'recipient'
  AND CAST(object_id AS INTEGER) IN (SELECT id FROM recipient WHERE warning_id = $w1)")
# the server's own time per ack (request log, dur_ms: from the first byte read to the answer queued)
grep "path=/api/v1/me/inbox/$w1/ack " "$T/yingji.log" | sed -n 's/.*dur_ms=\([0-9.]*\).*/\1/p' >"$T/srv.acks" || true

# ---- connections sweep --------------------------------------------------------------------------
declare -A sweep_res sweep_issue sweep_cpu
for c in $SWEEP; do
  log "sweep: a new warning, $SWEEP_ACKS acks over $c connections"
  issue_warning
  sweep_issue[$c]=$issue_ms
  c0=$(cpu_ticks)
  sweep_res[$c]=$(send_acks "$warning" "$c" $((SEED + c)) "$SWEEP_ACKS") || true
  sweep_cpu[$c]=$(( $(cpu_ticks) - c0 ))
  alive "the sweep over $c connections"
  # the unconfirmed rest would escalate in the late phase and blur it: the commander cancels it
  expect 200 "$(api POST "/warnings/$warning/cancel" "$cmdr")" "cancel sweep warning $warning"
done

# ---- acks after the escalation wave ---------------------------------------------------------------
# Many recipients confirm late. A new warning is issued, then the server is
# restarted with its clock 11 minutes ahead (YJ_FAKE_NOW, read once at start
# and running on from there): every recipient is past the red limit, and the
# scheduler escalates each one (an escalation record, the supervisors told).
# Once all are escalated, LATE_ACKS recipients confirm, and a sample of
# inboxes is read (an inbox lists the escalations addressed to its user).
if [ "$LATE_ACKS" -gt 0 ]; then
  log "late: a new warning, then the clock 11 minutes on"
  issue_warning
  wl=$warning
  kill "$ypid"; wait "$ypid" || true
  start_server YJ_FAKE_NOW=$(( $(date +%s%3N) + 11 * 60000 ))
  t0=$SECONDS
  while :; do
    left=$(sqlite3 "$DB" "SELECT count(*) FROM recipient WHERE warning_id = $wl AND escalations = 0")
    [ "$left" -gt 0 ] && [ $((SECONDS - t0)) -lt 600 ] || break
    sleep 1
  done
  esc_wave_s=$((SECONDS - t0))
  esc_rows=$(sqlite3 "$DB" "SELECT count(*) FROM escalation WHERE warning_id = $wl")
  log "late: $esc_rows escalations in ${esc_wave_s}s ($left not escalated); $LATE_ACKS acks"
  late_inbox=$("$BENCH_BIN/warnings_acks" --port "$port" --tokens "$T/tokens" --warning "$wl" --mode inbox \
    --sample $(( SAMPLE < 100 ? SAMPLE : 100 ))) || true
  late=$(send_acks "$wl" "$CONNS" $((SEED + 1)) "$LATE_ACKS") || true
  late_resolved=$(sqlite3 "$DB" "SELECT count(*) FROM escalation WHERE warning_id = $wl AND resolved_ms IS NOT NULL")
fi
log "done"
loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ------------------------------------------------------------------------------
ms() { [ -z "$1" ] && echo "-" || awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { if (v == "") { print "FAIL"; exit }
  print ((op == "<" ? v + 0 < t + 0 : v + 0 >= t + 0) ? "PASS" : "FAIL") }'; }
rps=$(bench_kv rps "$acks")
fan_ok=$( [ "${dispatched1:-0}" -ge "$RECIPIENTS" ] && [ "$rows" -ge "$RECIPIENTS" ] && [ "$delivered" = "$rows" ] &&
  [ "$(bench_kv visible "$inbox")" = "$SAMPLE" ] && echo 1 || echo 0)
fan_verdict=$(verdict "$fanout_ms" "<" 1000)
[ "$fan_ok" = 1 ] || fan_verdict="FAIL (not every recipient reached: see below)"
ack_verdict=$(verdict "$rps" ">=" 20000)
if [ "$ACK_CLIENT" = wrk ]; then ack_client_desc="wrk, $WRK_THREADS thread$([ "$WRK_THREADS" = 1 ] || echo s)"
else ack_client_desc="curl, one thread"; fi
[ "${ok:-0}" = "$nrcpt" ] && [ "$acked_db" = "$ok" ] || ack_verdict="FAIL (not every ack counted: see below)"

echo
printf 'warnings: red warning to %s in-app recipients (city %s), then one ack each over %s connections (ack client: %s)\n' \
  "$(fmt "$rows")" "$AREA" "$CONNS" "$ack_client_desc"
printf '%-46s %12s %12s  %s\n' measure value target verdict
printf '%-46s %12s %12s  %s\n' "fan-out: issue answered, all records durable" "$(ms "$fanout_ms") ms" "< 1000 ms" "$fan_verdict"
printf '%-46s %12s %12s  %s\n' "acks/s ($(fmt "${ok:-0}") acks, $CONNS connections)" "$(fmt "${rps:-0}")" ">= 20,000" "$ack_verdict"
printf '%-46s %12s\n' "ack latency p50 / p99 (ms)" "$(bench_kv p50_ms "$acks") / $(bench_kv p99_ms "$acks")"
echo
echo "breakdown (load average $loadavg_start at start, $loadavg_end at end, $(nproc) cores; serve ${SERVE_ARGS[*]:-with defaults}):"
printf '  issue: dispatched %s, recipient records %s (all delivered: %s); server: warning_dispatch transaction %s ms, request %s ms\n' \
  "$(fmt "${dispatched1:-0}")" "$(fmt "$rows")" "$([ "$delivered" = "$rows" ] && echo yes || echo "no, $delivered")" \
  "$(ms "$srv_dispatch_ms")" "$(ms "$srv_issue_ms")"
printf '  inboxes: %s of %s sampled recipients see it right after the issue answer; GET /me/inbox p50 %s ms, p99 %s ms\n' \
  "$(bench_kv visible "$inbox")" "$SAMPLE" "$(bench_kv p50_ms "$inbox")" "$(bench_kv p99_ms "$inbox")"
printf '  acks: 2xx %s, errors %s, acknowledged in the database %s, audit records %s; wall %s s\n' \
  "$(fmt "${ok:-0}")" "$(bench_kv errors "$acks")" "$(fmt "$acked_db")" "$(fmt "$audit_db")" \
  "$(awk -v v="$(bench_kv wall_ms "$acks")" 'BEGIN { printf "%.1f", v / 1000 }')"
printf '  acks, client: p90 %s ms, max %s ms, mean %s ms; server (request log dur_ms): p50 %s ms, p99 %s ms\n' \
  "$(bench_kv p90_ms "$acks")" "$(bench_kv max_ms "$acks")" "$(bench_kv mean_ms "$acks")" \
  "$(bench_pct 50 <"$T/srv.acks")" "$(bench_pct 99 <"$T/srv.acks")"
awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="${ok:-0}" -v w="$(bench_kv wall_ms "$acks")" -v c="$(nproc)" \
  -v cl="$(bench_kv client_cpu_us_per_req "$acks")" -v d="$ack_client_desc" \
  'BEGIN { if (n > 0 && w > 0) printf "  acks, server CPU: %.0f us an ack (user+system, all threads), %.2f cores busy on average; CPU-bound ceiling on %d cores: %.0f acks/s; client CPU: %s us a request (%s, same cores)\n",
    t / hz * 1e6 / n, t / hz / (w / 1000), c, c / (t / hz / n), cl == "" ? "-" : cl, d }'
if [ -n "$SWEEP" ]; then
  echo "  connections sweep (a new warning each, issued in ms; then $(fmt "$SWEEP_ACKS") acks):"
  for c in $SWEEP; do
    r=${sweep_res[$c]:-}
    n=$(bench_kv ok "$r")
    printf '    %4s connections: %8s acks/s, p50 %8s ms, p99 %8s ms, errors %s; CPU server %s us an ack, client %s us a request   (issue %s ms)\n' "$c" \
      "$(fmt "$(bench_kv rps "$r" || echo 0)")" "$(bench_kv p50_ms "$r")" "$(bench_kv p99_ms "$r")" \
      "$(bench_kv errors "$r")" \
      "$(awk -v t="${sweep_cpu[$c]}" -v hz="$(getconf CLK_TCK)" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')" \
      "$(bench_kv client_cpu_us_per_req "$r")" "$(ms "${sweep_issue[$c]}")"
  done
fi
if [ "$LATE_ACKS" -gt 0 ]; then
  printf '  late acks (after %s escalations, %s s to escalate everyone): %s acks/s, p50 %s ms, p99 %s ms, errors %s; escalations resolved %s\n' \
    "$(fmt "${esc_rows:-0}")" "${esc_wave_s:-?}" "$(fmt "$(bench_kv rps "${late:-}")")" "$(bench_kv p50_ms "${late:-}")" \
    "$(bench_kv p99_ms "${late:-}")" "$(bench_kv errors "${late:-}")" "$(fmt "${late_resolved:-0}")"
  printf '  inboxes after the escalation wave: GET /me/inbox p50 %s ms, p99 %s ms (%s sampled)\n' \
    "$(bench_kv p50_ms "${late_inbox:-}")" "$(bench_kv p99_ms "${late_inbox:-}")" "$(bench_kv n "${late_inbox:-}")"
fi
[ "$fan_ok" = 1 ] || echo "NOTE fan-out: dispatched ${dispatched1:-?}, records $rows, delivered $delivered, inboxes: ${inbox:-client failed}"
[ "${ok:-0}" = "$nrcpt" ] && [ "$acked_db" = "$ok" ] ||
  echo "NOTE acks: $nrcpt sent, ${ok:-?} answered 2xx, $acked_db acknowledged in the database"
# a missed target is a result, not an error: exit 1 only when something could not be measured
[ -n "$rps" ] && [ -n "$fanout_ms" ]
