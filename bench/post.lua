-- wrk script: POST pre-built JSON bodies (one per line of $BENCH_BODIES), cycling through them,
-- with $BENCH_KEY as a bearer token when set. done() prints one JSON line for bench/ to read.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local key = os.getenv("BENCH_KEY") or ""
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if #key > 0 then wrk.headers["Authorization"] = "Bearer " .. key end

function setup(thread)
  thread:set("offset", math.random(1, #bodies))
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter + (offset or 0)) % #bodies + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
