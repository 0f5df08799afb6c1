-- wrk script: replays a file of requests picked at random, then prints one JSON summary line.
--
--   wrk ... -s bench/lua/replay.lua URL -- REQUESTS_FILE AUTHORIZATION ["Name: value"]
--
-- The optional third argument is one more header on every request (bench/webhooks.py sends
-- X-Twilio-Webhook-Enabled with it).
--
-- REQUESTS_FILE has one request a line: METHOD <tab> PATH [<tab> FORM-ENCODED BODY]. Every request
-- is formatted once in init(), so request() costs one table index and wrk never becomes the
-- bottleneck of a fast server.

local requests = {}
local count = 0

function init(args)
  local file, authorization, extra = args[1], args[2], args[3]
  for line in io.lines(file) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      local headers = { ["Authorization"] = authorization }
      if extra then
        local name, value = extra:match("^([^:]+):%s*(.*)$")
        headers[name] = value
      end
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      count = count + 1
      requests[count] = wrk.format(method, path, headers, body)
    end
  end
  if count == 0 then
    error("no requests in " .. tostring(file))
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return requests[math.random(count)]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,'
      .. '"p99":%d,"max":%d},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout
  ))
end
