-- wrk script: POST a JSON body with a fresh UUID per request.
-- BODY_TEMPLATE holds the body with the text __ID__ where the id goes.
local counter = 0
local thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 1000 + seed)
  template = os.getenv("BODY_TEMPLATE")
  token = os.getenv("BENCH_TOKEN") or ""
end

local function uuid4()
  local hex = "0123456789abcdef"
  local parts = {}
  for i = 1, 32 do
    local n = math.random(1, 16)
    if i == 13 then n = 5 end
    parts[i] = hex:sub(n, n)
  end
  local s = table.concat(parts)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-a" .. s:sub(18, 20) .. "-" .. s:sub(21, 32)
end

function request()
  counter = counter + 1
  local body = template:gsub("__ID__", uuid4())
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f %.0f\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
