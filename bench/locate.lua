-- wrk script: GET <path>?lon=&lat= for points from a fixed list, in a fixed order.
-- Usage: wrk ... -s bench/locate.lua URL -- PATH POINTS_FILE
-- POINTS_FILE is Lua returning { {"lon", "lat"}, ... } (written by bench/loadgen.py), so the
-- bare and the API endpoint are asked about exactly the same points. Each thread walks
-- the list from its own offset, so threads do not ask the same point at the same moment.

local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local path, points, position

function init(args)
  path = args[1]
  points = dofile(args[2])
  position = ((thread_id or 0) * 487) % #points
end

function request()
  position = position % #points + 1
  local point = points[position]
  return wrk.format("GET", path .. "?lon=" .. point[1] .. "&lat=" .. point[2])
end
