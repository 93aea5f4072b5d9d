-- Shared by every scenario. Each wrk thread runs its own copy of this script; `setup` and
-- `done` run in the main one. A scenario sets `expected` (the status a good answer has) or
-- defines its own `response`, and counts what went wrong in `bad`.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

bad = 0
units = 0
sample = ""

-- A header by name, whatever case the server used.
function header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then return v end
  end
  return nil
end

-- Counts an unexpected answer, keeping the first one for the report.
function fail(status, body)
  bad = bad + 1
  if sample == "" then
    sample = tostring(status) .. " " .. string.sub(body or "", 1, 160):gsub('[^%w %.:/_=-]', ' ')
  end
end

-- Each request comes through the harness (a proxy the server trusts) from a client address
-- of its own, as real users do: per-address limits then count clients, not the harness.
clients = 0
function client_address()
  clients = clients + 1
  return string.format("10.%d.%d.%d", 100 + tid, math.floor(clients / 256) % 256, clients % 256)
end

function form_headers(cookie)
  local h = { ["Content-Type"] = "application/x-www-form-urlencoded",
              ["X-Forwarded-For"] = client_address() }
  if cookie then h["Cookie"] = cookie end
  return h
end

-- A redirect (303) whose Location contains `needle` is the good answer.
function expect_redirect(status, headers, body, needle)
  local loc = header(headers, "location")
  if status == 303 and loc and string.find(loc, needle, 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end

-- The default check: one expected status, and `units` counts the good answers.
function response(status, headers, body)
  if status == expected then
    units = units + 1
  else
    fail(status, body)
  end
end

function done(summary, latency, requests)
  local total_bad, total_units, first = 0, 0, ""
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_units = total_units + t:get("units")
    if first == "" then first = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    'COGNATE_BENCH {"requests":%d,"duration_us":%d,"bad":%d,"units":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p99_us":%d,"sample":"%s"}\n',
    summary.requests, summary.duration, total_bad, total_units,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), first))
end
