-- sync_rig: step through several flows together on one sync group and measure how their data arrives: per-flow
-- arrival skew (commit time - media timestamp), end-to-end latency, missing grains or sample windows, with
-- percentiles and histograms; pass or fail against thresholds. Flows by URI, by id or by NMOS group.
--
--   mxlrun scripts/sync_rig.lua --group mxl-testsrc --duration 10
--   mxlrun scripts/sync_rig.lua 'mxl:///dev/shm/mxl?id=...&id=...' --rate 60000/1001 --json
local mxl = require "mxl"
local tools = require "mxl.tools"
local rig = require "mxl.rig"

local TOOL = "sync_rig"
local USAGE = [[
usage: mxlrun scripts/sync_rig.lua [options] [mxl://[host]/domain?id=FLOW&id=FLOW..]
  -f, --flow ID           a flow to step through (repeatable)
  -g, --group NAME        every flow whose NMOS group hint is NAME:<role> (or exactly NAME:ROLE)
  -p, --partial N         accept grains once N slices are valid (default: complete grains)
]]

local spec = { { "f", "flow", "flow", arg = "string", multi = true }, { "g", "group", "group", arg = "string" },
               { "p", "partial", "partial", arg = "integer" } }
for _, s in ipairs(rig.CLI) do spec[#spec + 1] = s end
local opts, positional = tools.getopt(tools.args(...), spec, TOOL)
if opts.help then
  io.stdout:write(USAGE, rig.CLI_HELP)
  os.exit(0)
end

if opts.rate and not tools.rate(opts.rate) and not opts.rate:match("^[%a_][%w_]*$") then
  tools.die(TOOL, "bad --rate " .. opts.rate .. " (n/d, n, or a flow name)")
end
local domain, ids = tools.target(TOOL, opts, positional)
opts.domain = domain
if #ids == 0 and not opts.group then tools.die(TOOL, "no flows: give -f ID, --group NAME or an mxl:// URI with ids") end

-- Name the members by their role (group hint) or format: video, audio, data, video2, ...
local inst = tools.instance(TOOL, domain)
local flows, order, used = {}, {}, {}
local function add(name, id)
  name = name:lower():gsub("[^%w_]", "_")
  local base, n = name, 1
  while used[name] do
    n = n + 1
    name = base .. n
  end
  used[name] = true
  flows[name] = { id = id, partial = opts.partial }
  order[#order + 1] = name
end
for _, id in ipairs(ids) do
  local r = tools.reader(TOOL, inst, id)
  add(r:format(), id)
  r:close()
end
if opts.group then
  local found = tools.find_flows(inst, opts.group)
  if #found == 0 then tools.die(TOOL, ("no flow with group hint '%s' in %s"):format(opts.group, domain)) end
  table.sort(found, function(a, b)
    local o = { video = 1, audio = 2, data = 3 }
    if a.format_name ~= b.format_name then return (o[a.format_name] or 9) < (o[b.format_name] or 9) end
    return a.id < b.id
  end)
  for _, f in ipairs(found) do
    local _, role = tools.split_hint(f.hint)
    add(role or f.format_name, f.id)
  end
end
inst:close()

local r = rig.new{ tool = TOOL, flows = flows, order = order }

-- Read-then-verify: every grain handed to the checks still holds its index once the step is over (the writer did
-- not reuse the slot while the rig looked at it), and the slot header names the index asked for.
r:check("intact", function(step, fail)
  for _, name in ipairs(order) do
    local m = step[name]
    if m and m.discrete and m.view and m.new then
      local hdr = m.view:info()
      if hdr.index ~= m.index then fail("%s: slot header holds grain %d, asked for %d", name, hdr.index, m.index) end
      local ok, msg = m.view:valid()
      if not ok then fail("%s: grain %d overwritten while in use: %s", name, m.index, tostring(msg)) end
    end
  end
end)

-- Audio windows follow each other without gap or overlap and hold exactly the samples of the step.
r:check("contiguous", function(step, fail)
  for _, name in ipairs(order) do
    local m = step[name]
    if m and not m.discrete then
      local want = mxl.timestamp_to_index(m.rate, step.ts)
      if m.last ~= want then fail("%s: window ends at %d, step time is sample %d", name, m.last, want) end
      if m.prev_last and m.first ~= m.prev_last then
        fail("%s: window starts at %d, previous ended at %d", name, m.first, m.prev_last)
      end
      if m.window and (m.window:index() ~= m.last or m.window:count() ~= m.count) then
        fail("%s: window is [%d, %d), asked for [%d, %d)", name, m.window:index() - m.window:count(), m.window:index(),
          m.first, m.last)
      end
      m.prev_last = m.last
    end
  end
end)

r:apply(opts)
os.exit(r:execute())
