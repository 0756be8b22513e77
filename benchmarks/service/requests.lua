-- wrk script for benchmarks/service.py: requests from a plan file, a different one per
-- request where the plan says so, and one machine-readable line when the run ends.
--
--   wrk -t2 -c16 -d3s -s requests.lua http://127.0.0.1:PORT -- PLAN THREADS OFFSET1 ...
--
-- The plan file holds lists and a pattern:
--
--   @list <mode> <method> <accept> <base>    then one request a line: the path, or for POST
--   <path>[\t<form body>]                    the path, a tab and the url-encoded form body
--   @pattern 1 2 1 2 3 ...            which list each request takes from, in turn
--
-- Modes: "cycle" and "plain" take request number k of the list as item k mod n ("cycle":
-- a few texts, repeated; "plain": many, repeated only after n requests); "limit"
-- appends base + k div n to item k mod n (each item's path ends in "LIMIT%20"), so every
-- request's text differs and no answer cache can serve it. Every thread draws its own
-- numbers k = offset + thread + threads * i, so no two requests of a run share a number;
-- the offsets (one per list) continue where the previous run on the same server stopped,
-- and done() prints the next offsets with the results.

local threads = {}  -- in the main state: every thread, for done()
local thread_count = 0  -- in each thread's state: how many threads draw numbers

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local lists = {}
local pattern = {}
local turn = 0

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "[^" .. separator .. "]+") do
    table.insert(parts, part)
  end
  return parts
end

local function read_plan(file)
  local current = nil
  for line in io.lines(file) do
    if string.sub(line, 1, 6) == "@list " then
      local words = split(string.sub(line, 7), " ")
      current = {mode = words[1], method = words[2], accept = words[3],
                 base = tonumber(words[4] or "1000"), items = {}, drawn = 0}
      table.insert(lists, current)
    elseif string.sub(line, 1, 9) == "@pattern " then
      for _, word in ipairs(split(string.sub(line, 10), " ")) do
        table.insert(pattern, tonumber(word))
      end
    elseif line ~= "" then
      local tab = string.find(line, "\t", 1, true)
      if tab then
        table.insert(current.items, {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)})
      else
        table.insert(current.items, {line, nil})
      end
    end
  end
  if #pattern == 0 then
    pattern = {1}
  end
end

function init(args)
  read_plan(args[1])
  thread_count = tonumber(args[2])
  for index, list in ipairs(lists) do
    list.offset = tonumber(args[index + 2] or "0")
  end
  for index = 1, #lists do
    _G["next_" .. index] = 0
  end
end

local function draw(index)
  local list = lists[index]
  local k = list.offset + id + thread_count * list.drawn
  list.drawn = list.drawn + 1
  _G["next_" .. index] = k + 1
  local n = #list.items
  local item = list.items[k % n + 1]
  if list.mode == "limit" then
    return {item[1] .. tostring(list.base + math.floor(k / n)), item[2]}, list
  end
  return item, list
end

function request()
  turn = turn + 1
  local item, list = draw(pattern[(turn - 1) % #pattern + 1])
  local headers = {Accept = list.accept}
  if item[2] then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format(list.method, item[1], headers, item[2])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local offsets = {}
  local count = 0
  for _, thread in ipairs(threads) do
    local index = 1
    while true do
      local value = thread:get("next_" .. index)
      if value == nil then
        break
      end
      offsets[index] = math.max(offsets[index] or 0, value)
      count = math.max(count, index)
      index = index + 1
    end
  end
  local parts = {}
  for index = 1, count do
    table.insert(parts, tostring(offsets[index] or 0))
  end
  io.write(string.format(
    "\nWRK-JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
    "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"connect\": %d, \"read\": %d, " ..
    "\"write\": %d, \"status\": %d, \"timeout\": %d, \"next\": [%s]}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    table.concat(parts, ", ")))
end
