-- wrk script: each request its own body (and so its own commenter IP), only 202s counted,
-- and, when RATE is set, requests paced to RATE per second in total (open-loop schedule per
-- thread: a request is due at t0 + k / rate, whatever happened to the ones before it).
-- Environment: BODIES (file, one JSON body per line), TOKEN (bearer key), RATE, THREADS.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_ts;
  int clock_gettime(int clk, bench_ts *tp);
]]
local ts = ffi.new("bench_ts")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  local nthreads = tonumber(os.getenv("THREADS") or "1")
  index = (id - 1) * math.floor(#bodies / nthreads)
  accepted, other = 0, 0
  local rate = tonumber(os.getenv("RATE") or "0")
  interval = rate > 0 and (1000 * nthreads / rate) or 0
  due = nil
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("TOKEN") or ""
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if due == nil then due = t end
  due = due + interval
  local wait = due - interval - t
  if wait < 0 then return 0 end
  return math.floor(wait)
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", "/v1/comments", nil, bodies[index])
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    bad = bad + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"accepted": %d, "other_status": %d, "requests": %d, "duration_us": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    ok, bad, summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
