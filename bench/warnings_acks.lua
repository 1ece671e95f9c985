-- bench/warnings_acks.lua — the acknowledgements of bench/warnings.sh sent by wrk (Debian's wrk 4.1,
-- LuaJIT): POST {path} {"version":1} once per recipient, each with that recipient's bearer token, in
-- the order bench/warnings_acks.c would send them (--mode order prints it); a leaner client than the
-- libcurl one (warnings_acks --mode ack), whose CPU on a machine shared with the server lowers the rate
-- measured.
--
--   wrk -t T -c N -d 600s -s bench/warnings_acks.lua http://127.0.0.1:P/api/v1/me/inbox/ID/ack \
--       -- ORDER THREADS CONNECTIONS DONE_FILE [LAT_FILE]
--
-- ORDER: one "token recipient_id" a line, in sending order (recipient_id: the id of that recipient's
-- record of warning ID, 0 if unknown). THREADS, CONNECTIONS: the -t and -c values (a thread has
-- CONNECTIONS / THREADS of them: make it divide). DONE_FILE: a file this script creates (a byte a
-- finished thread). LAT_FILE: optional, each ack's latency in ms appended, one a line.
-- Prints one line like warnings_acks --mode ack (bench_kv reads it; wrk's own summary comes first):
--   n=… p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=… mean_features=0.0 rps=… wall_ms=… ok=… acked=…
--   errors=… connections=… client_cpu_us_per_req=… threads=… lost=… unpaired=…
--
-- Exactly once. wrk asks request() for a request whenever a connection may send, so left to itself it
-- sends forever; here delay() decides. wrk calls delay() (when defined) before every request of a
-- connection: after it connects and after each answer, and the request() of that connection follows
-- when the delay is over. delay() hands out the thread's slice: while unclaimed entries are left it
-- claims one and returns 0 (send now); once the slice is claimed it parks the connection for an hour
-- (longer than any run: the thread stops first). request() serves the claims in order (sent < claimed),
-- so each entry is sent exactly once and none is skipped; no filler goes out on the wire in a normal
-- run. request() is called without a claim in two cases only: once before the run (wrk checks that
-- the request parses, in thread 0; nothing is sent) and when wrk reopened a connection that had an ack
-- in flight (a read or write error). Such an ack is not sent again (the server may have applied it: a
-- repeat would be a second ack), it is counted as lost (an error) and a harmless GET /healthz stands
-- in for it, which response() recognises and leaves out of every count. When every entry of the slice
-- is answered or lost, the thread stops (wrk.thread:stop()). (lost= counts every such call: when the
-- server is gone, the stand-ins fail too and count again, so the thread stops instead of retrying
-- until -d; errors= is what was sent and not answered 2xx, or not sent at all, either way.)
--
-- Slices: line k of ORDER goes to thread (k - 1) % THREADS (setup() numbers the threads), so with
-- several threads the sending order stays close to the file's; with -t 1 it is exactly the file's.
--
-- Ending early: wrk's main thread sleeps for the whole -d and only then collects the threads (a
-- stopped thread does not end the run). The last thread to finish (DONE_FILE reaches THREADS bytes,
-- appended one per thread, so at least one thread sees the full count) sends SIGINT to wrk's
-- main thread, which is what wrk's Ctrl-C handler waits for: the run ends then, and -d is only a cap
-- for a server that stops answering.
--
-- Latency: measured here, not taken from wrk's latency object. wrk 4.1 "corrects" its histogram for
-- coordinated omission before done() sees it (stats_correct: every sample of at least twice the mean
-- time a request took per connection gets copies at that latency minus 1, 2, … times that mean),
-- which adds samples that were never requests and raises p90/p99 when a run has stalls; the curl
-- client reports raw latencies. (In stall-free runs few samples reach twice the mean and the two agree:
-- p50/p90/p99 here and from wrk's histogram were within 0.05 ms at 256 and 1,024 connections.) So request() stamps the send time (CLOCK_MONOTONIC through
-- LuaJIT's FFI) under the recipient id of that token, and response() reads recipient.id from the
-- answer and takes the difference: one sample an answered ack, from the request handed to wrk (it
-- writes it at once) to its last byte parsed, as the C client times it. Pairing by the id in the
-- answer is needed because wrk's Lua callbacks do not say which connection they are for. An error
-- answer has no recipient id: it is counted as an error and has no latency sample (unpaired=).
--
-- Client CPU: each wrk thread reads its own CPU time (getrusage RUSAGE_THREAD) when it stops: its
-- connections and its request loop, like the curl client's getrusage around its loop; reading ORDER
-- (in the main thread, before the threads run) is left out as the curl client leaves out reading its
-- token file. client_cpu_us_per_req = that sum over the threads / acks. (If a thread never finished,
-- the whole process's CPU time is used.)

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } yj_timespec;
typedef struct { long tv_sec; long tv_usec; } yj_timeval;
typedef struct { yj_timeval utime, stime; long rest[14]; } yj_rusage;
typedef struct { void *handler; unsigned char rest[248]; } yj_sigaction;
int clock_gettime(int clk, yj_timespec *tp);
int getrusage(int who, yj_rusage *usage);
int getpid(void);
int kill(int pid, int sig);
int tgkill(int tgid, int tid, int sig);
int sigaction(int sig, const yj_sigaction *act, yj_sigaction *old);
int usleep(unsigned int usec);
]]
local C = ffi.C
local CLOCK_MONOTONIC, RUSAGE_SELF, RUSAGE_THREAD, SIGINT = 1, 0, 1, 2
local PARK_MS = 3600 * 1000 -- a parked connection's delay: longer than any run
local BODY = '{"version":1}'  -- what the app sends: the version read (warnings_acks --version, default 1)

local ts, ru = ffi.new("yj_timespec"), ffi.new("yj_rusage")
local function now_us()
   C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
local function cpu_us(who)
   C.getrusage(who, ru)
   return tonumber(ru.utime.tv_sec) * 1e6 + tonumber(ru.utime.tv_usec) + tonumber(ru.stime.tv_sec) * 1e6 +
      tonumber(ru.stime.tv_usec)
end

-- ---- the main thread: numbers the threads, collects them in done() ---------------------------------
local threads = {}
function setup(thread)
   thread:set("id", #threads)
   threads[#threads + 1] = thread
end

-- ---- each wrk thread (its own Lua state) ---------------------------------------------------------------
-- globals (thread:get reads them in done()): n (slice size), claimed, sent, answered, ok, acked,
-- non2xx, lost, unpaired, lat (µs, one an answered ack), t_first / t_last (µs), cpu (µs)
local find, match = string.find, string.match
local tok, rid, sent_at = {}, {}, {}
local prefix, suffix, filler
local nthreads, done_file, fillers_out, started, finished = 1, nil, 0, false, false

function init(args)
   local order = args[1]
   nthreads = tonumber(args[2]) or 1
   connections = tonumber(args[3]) or 0 -- for done() (wrk does not tell the script)
   done_file = args[4]
   lat_file = args[5] or ""
   if not order or not done_file then
      error("usage: wrk ... -s warnings_acks.lua URL -- ORDER THREADS CONNECTIONS DONE_FILE [LAT_FILE]")
   end
   local f = assert(io.open(order, "r"))
   local k, mine = 0, id or 0
   n = 0
   for line in f:lines() do
      if k % nthreads == mine then
         local t, r = match(line, "^(%S+)%s+(%d+)")
         if not t then error(order .. ": bad line " .. (k + 1)) end
         n = n + 1
         tok[n], rid[n] = t, tonumber(r)
      end
      k = k + 1
   end
   f:close()
   claimed, sent, answered, ok, acked, non2xx, lost, unpaired = 0, 0, 0, 0, 0, 0, 0, 0
   lat = {}
   -- the request with a mark where the token goes, cut in two around it: a request is then
   -- prefix .. token .. suffix (wrk.format adds Host and Content-Length)
   local req = wrk.format("POST", wrk.path,
      { ["Authorization"] = "Bearer @@TOKEN@@", ["Content-Type"] = "application/json" }, BODY)
   local a, b = find(req, "@@TOKEN@@", 1, true)
   prefix, suffix = req:sub(1, a - 1), req:sub(b + 1)
   filler = wrk.format("GET", "/healthz", {})
end

-- the thread is done: its numbers kept for done(), its loop stopped; the last thread ends the run
local function finish()
   if finished then return end
   finished = true
   t_last = now_us()
   cpu = cpu_us(RUSAGE_THREAD)
   wrk.thread:stop()
   local f = assert(io.open(done_file, "a"))
   f:write("x")
   f:flush()
   local size = f:seek("end")
   f:close()
   if size >= nthreads then
      -- wrk ignores SIGINT until every thread is created, then installs its handler: wait for it
      -- (up to 5 s; without it the run ends at -d)
      local sa, handler = ffi.new("yj_sigaction"), 0
      for _ = 1, 5000 do
         if C.sigaction(SIGINT, nil, sa) == 0 then handler = tonumber(ffi.cast("intptr_t", sa.handler)) end
         if handler > 1 then break end -- neither SIG_DFL (0) nor SIG_IGN (1)
         C.usleep(1000)
      end
      if handler > 1 then -- to the main thread, which sleeps in sleep(duration)
         local pid = C.getpid()
         if not pcall(function() return C.tgkill(pid, pid, SIGINT) end) then C.kill(pid, SIGINT) end
      end
   end
end

function delay()
   if not started then
      started = true
      t_first = now_us()
      if n == 0 then finish() end
   end
   if claimed < n then
      claimed = claimed + 1
      return 0
   end
   return PARK_MS
end

function request()
   if sent < claimed then
      sent = sent + 1
      sent_at[rid[sent]] = now_us()
      return prefix .. tok[sent] .. suffix
   end
   if started then -- a reopened connection whose ack was in flight: lost, not sent again
      lost = lost + 1
      fillers_out = fillers_out + 1
      if answered + lost >= n then finish() end
   end
   return filler
end

function response(status, headers, body)
   if fillers_out > 0 and find(body, '"status":"ok"', 1, true) and not find(body, '"recipient"', 1, true) then
      fillers_out = fillers_out - 1
      return
   end
   local t = now_us()
   answered = answered + 1
   if status >= 200 and status <= 299 then
      ok = ok + 1
      -- {"warning":{"id":…,"version":…,"state":"issued"},"recipient":{"id":…,"state":"acknowledged",…}}
      local p = find(body, '"recipient":{', 1, true)
      if p then
         if find(body, '"state":"acknowledged"', p, true) then acked = acked + 1 end
         local r = tonumber(match(body, '"id":(%d+)', p))
         local t0 = r and sent_at[r]
         if t0 then
            lat[#lat + 1] = t - t0
            sent_at[r] = nil
         else
            unpaired = unpaired + 1
         end
      else
         unpaired = unpaired + 1
      end
   else
      non2xx = non2xx + 1
      unpaired = unpaired + 1
      if non2xx <= 3 then
         io.stderr:write(("warnings_acks.lua: ack: HTTP %d: %s\n"):format(status, body:sub(1, 300)))
      end
   end
   if answered + lost >= n then finish() end
end

-- ---- the main thread, after the run -------------------------------------------------------------------
function done(summary, latency, requests)
   local cpu_self = cpu_us(RUSAGE_SELF)
   local n_all, sent_all, answered_all, ok_all, acked_all, non2xx_all, lost_all, unpaired_all = 0, 0, 0, 0, 0, 0, 0, 0
   local t0, t1, cpu_all, all_finished = math.huge, 0, 0, true
   local v = {}
   for _, th in ipairs(threads) do
      n_all = n_all + th:get("n")
      sent_all = sent_all + th:get("sent")
      answered_all = answered_all + th:get("answered")
      ok_all = ok_all + th:get("ok")
      acked_all = acked_all + th:get("acked")
      non2xx_all = non2xx_all + th:get("non2xx")
      lost_all = lost_all + th:get("lost")
      unpaired_all = unpaired_all + th:get("unpaired")
      local a, b, c = th:get("t_first"), th:get("t_last"), th:get("cpu")
      if a and a < t0 then t0 = a end
      if b and b > t1 then t1 = b end
      if c then cpu_all = cpu_all + c else all_finished = false end
      local l = th:get("lat")
      for k = 1, #l do v[#v + 1] = l[k] / 1000 end -- ms
   end
   if not all_finished then cpu_all = cpu_self end
   -- not sent (the run was cut by -d), sent and never answered, lost, and error answers
   local errors = (n_all - sent_all) + (sent_all - answered_all - lost_all) + lost_all + non2xx_all
   local lat_file = threads[1] and threads[1]:get("lat_file")
   if lat_file and lat_file ~= "" then
      local f = assert(io.open(lat_file, "a"))
      for k = 1, #v do f:write(("%.4f\n"):format(v[k])) end
      f:close()
   end
   table.sort(v)
   local m = #v
   local function pct(p) -- nearest rank, as bench_pct in bench_util.h
      if m == 0 then return 0 end
      local r = math.floor(p * m + 0.999999999)
      if r < 1 then r = 1 elseif r > m then r = m end
      return v[r]
   end
   local sum = 0
   for k = 1, m do sum = sum + v[k] end
   local wall_ms = t1 > t0 and (t1 - t0) / 1000 or summary.duration / 1000
   local conns = threads[1] and threads[1]:get("connections") or 0
   conns = math.floor(conns / #threads) * #threads -- wrk opens CONNECTIONS / THREADS a thread
   print(("n=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f mean_features=0.0 rps=%.0f " ..
      "wall_ms=%.0f ok=%d acked=%d errors=%d connections=%d client_cpu_us_per_req=%.1f threads=%d lost=%d unpaired=%d")
      :format(n_all, pct(0.50), pct(0.90), pct(0.99), m > 0 and v[m] or 0, m > 0 and sum / m or 0,
         wall_ms > 0 and n_all / (wall_ms / 1000) or 0, wall_ms, ok_all, acked_all, errors, conns,
         n_all > 0 and cpu_all / n_all or 0, #threads, lost_all, unpaired_all))
end
