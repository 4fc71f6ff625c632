-- wrk script for the portal benchmarks.
--   BENCH_TOKENS  file of "username token" lines; requests cycle through the users (none: no Authorization header)
--   BENCH_MODE    "get" (default): GET the URL; "scoped": POST a cos-js-sdk-v5 scope on a key never asked for
--                 before, so the portal must call STS for every request (the uncached path)
--   BENCH_BUCKET / BENCH_REGION   the bucket and region of the scopes
--   BENCH_DELAY_MS  pause before each request of a connection (pacing a fixed request rate)
-- done() prints one JSON line that bench/harness.py parses.

local users = {}
local mode = os.getenv("BENCH_MODE") or "get"
local bucket = os.getenv("BENCH_BUCKET") or "bench-1250000000"
local region = os.getenv("BENCH_REGION") or "ap-guangzhou"
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local counter = 0
local offset = 0
local threads = {}

local path = os.getenv("BENCH_TOKENS")
if path then
  for line in io.lines(path) do
    local name, token = line:match("^(%S+)%s+(%S+)$")
    if name then users[#users + 1] = {name = name, token = token} end
  end
end

function setup(thread)
  thread:set("offset", #threads * 7919)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
  counter = offset
end

if pause > 0 then
  function delay()
    return pause
  end
end

function request()
  counter = counter + 1
  local headers = {}
  local user = nil
  if #users > 0 then
    user = users[(counter % #users) + 1]
    headers["Authorization"] = "Token " .. user.token
  end
  if mode == "scoped" then
    local who = user and user.name or "anonymous"
    local key = string.format("users/%s/bench-%d-%d-%d.bin", who, tid or 0, counter, math.random(1, 1000000000))
    local body = string.format(
      '{"scopes":[{"action":"name/cos:PutObject","bucket":"%s","region":"%s","prefix":"%s"}]}', bucket, region, key)
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("GET", nil, headers, nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
