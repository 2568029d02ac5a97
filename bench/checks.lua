-- wrk script: POST a new field check (a fresh id each time) to <path>.
-- Usage: wrk ... -s bench/checks.lua URL -- PATH DATA_FILE
-- DATA_FILE is Lua returning { template = "...", facilities = { {"id", lon, lat}, ... } }
-- (written by bench/checks_bench.py), so the floor and the API receive the same bodies.

local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local path, data, results, sent

local function hex(digits)
  local out = ""
  for _ = 1, digits do out = out .. string.format("%x", math.random(0, 15)) end
  return out
end

function init(args)
  path = args[1]
  data = dofile(args[2])
  math.randomseed(os.time() * 100 + (thread_id or 0))
  sent = 0
  local items = {}
  for n = 1, 10 do items[#items + 1] = string.format('{"item":"I%d","result":"pass"}', n) end
  results = "[" .. table.concat(items, ",") .. "]"
  -- added to wrk.headers (which hold -H Authorization): wrk.format drops them if given a table
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  -- random, then thread and counter: unique within a run whatever the generator does
  local id = string.format("%s-%s-4%s-a%s-%02x%010x", hex(8), hex(4), hex(3), hex(3), thread_id or 0, sent)
  local facility = data.facilities[sent % #data.facilities + 1]
  local body = string.format(
    '{"id":"%s","facility_id":"%s","template_code":"%s","template_version":1,"results":%s,' ..
    '"started_at":"2026-11-25T08:00:00+08:00","finished_at":"2026-11-25T08:20:00+08:00",' ..
    '"location":{"type":"Point","coordinates":[%s,%s]},"location_accuracy_m":8}',
    id, facility[1], data.template, results, facility[2], facility[3])
  return wrk.format("POST", path, nil, body)
end
