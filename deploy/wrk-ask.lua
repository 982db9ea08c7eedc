-- wrk script for careerbot: POSTs /v1/ask with a rotating set of questions
-- (answered, small talk and declined ones), or GETs /healthz when given the
-- argument "healthz":
--   wrk -t2 -c64 -d10s -s deploy/wrk-ask.lua http://127.0.0.1:8080
--   wrk -t2 -c64 -d10s -s deploy/wrk-ask.lua http://127.0.0.1:8080 -- healthz
-- With "conversation", each ask continues one of 100 conversations (so the
-- server reads the earlier turns, too: bench/run.sh, with and without Redis).
-- A second argument paces each connection: it waits that many milliseconds
-- after each response, so two servers are compared at the same request rate
-- (latency at equal load, not at each one's saturation):
--   wrk -t2 -c64 -d10s -s deploy/wrk-ask.lua http://127.0.0.1:8080 -- ask 2
-- At the end it prints one line "WRK_RESULT {json}" with the request count,
-- throughput, latency percentiles (ms) and every kind of error; errors_status
-- counts the responses with a status of 400 or more (wrk's own count).
-- done() runs in wrk's main Lua state, which never sees init()'s arguments:
-- the mode it reports is read back from the first thread.
local questions = {
  "How much do backend developers earn?",
  "Which databases should I learn?",
  "What does a backend developer do?",
  "pyhton or java for backend?",
  "Is Docker worth learning?",
  "hello",
  "How do I prepare for a backend interview?",
  "How much does a firefighter earn?",
  "What is REST?",
  "Can I work remotely as a backend developer?",
}
mode = "ask"  -- a global: done() reads it back from a thread (thread:get)
local bodies = {}
local counter = 0
local pace_ms = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if args[1] then mode = args[1] end
  if args[2] then pace_ms = tonumber(args[2]) or 0 end
  for i, q in ipairs(questions) do
    bodies[i] = '{"question":"' .. q .. '"}'
  end
  if mode == "conversation" then
    local tag = tostring(math.random(1000000))
    for i, q in ipairs(questions) do
      bodies[i] = '{"question":"' .. q .. '","conversation_id":"bench-' .. tag .. '-' .. (i * 7 % 100) .. '"}'
    end
  end
  counter = math.random(#questions)
end

function request()
  if mode == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  return wrk.format("POST", "/v1/ask", {["Content-Type"] = "application/json"},
                    bodies[(counter % #questions) + 1])
end

function delay()
  return pace_ms
end

function done(summary, latency, requests)
  if threads[1] then mode = threads[1]:get("mode") or mode end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"mode":"%s","requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"max_ms":%.3f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_timeout":%d,"errors_status":%d}\n',
    mode, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.timeout, e.status))
end
