-- Shared by spec/tools_*_spec.lua: run the tool scripts (scripts/*.lua) under mxlrun, start the test-pattern
-- generator and small writer scripts in the background, parse what they print.
local H = require "spec.helper"
local mxl = H.mxl

local S = {}
S.H = H

-- Run scripts/<name>.lua with an argument string; returns exit code, combined stdout+stderr.
function S.tool(name, args)
  return H.sh(("%s %s %s"):format(H.q(H.mxlrun), H.q(H.root .. "/scripts/" .. name .. ".lua"), args or ""))
end

-- Same, stdout only, decoded as JSON (jansson: integers stay exact). Returns rc, table (or nil), raw text.
function S.tool_json(name, args)
  local errfile = os.tmpname()
  local rc, out = H.sh(("%s %s %s 2>%s"):format(H.q(H.mxlrun), H.q(H.root .. "/scripts/" .. name .. ".lua"),
    args or "", H.q(errfile)))
  local f = io.open(errfile)
  local err = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  local t = mxl.json_decode(out)
  return rc, t, (err ~= "" and (err .. "\n") or "") .. out
end

local function readnum(path)
  local f = io.open(path)
  if not f then return nil end
  local v = tonumber(f:read("a"))
  f:close()
  return v
end

-- Start `mxlrun <script path> args` in the background (like H.spawn, but running a file in place).
function S.spawn_file(domain, path, args)
  local h = { out = os.tmpname(), rcfile = os.tmpname(), pidfile = os.tmpname() }
  os.remove(h.rcfile)
  os.remove(h.pidfile)
  local inner = ("%s -d %s %s %s >%s 2>&1 & echo $! >%s; wait $!; echo $? >%s"):format(H.q(H.mxlrun), H.q(domain),
    H.q(path), args or "", H.q(h.out), H.q(h.pidfile), H.q(h.rcfile))
  os.execute("sh -c " .. H.q(inner) .. " >/dev/null 2>&1 &")
  H.until_true(function() h.pid = readnum(h.pidfile) return h.pid end, 5)
  assert(h.pid, "mxlrun did not start")
  return h
end

-- Start scripts/test_pattern.lua; waits until it printed its flows. Returns handle with h.ids = {video=, audio=,
-- data=} and h.group_uri.
function S.generator(domain, args)
  local h = S.spawn_file(domain, H.root .. "/scripts/test_pattern.lua", args)
  local out = H.until_true(function()
    local o = H.output(h)
    return o:match("group [^\n]*\n") and o
  end, 15)
  assert(out, "test_pattern did not start: " .. H.output(h))
  h.ids = {}
  for kind, id in out:gmatch("(%a+)%s+(%x+%-%x+%-%x+%-%x+%-%x+)  mxl://") do h.ids[kind] = id end
  h.group_uri = out:match("group [^:]*:%s+(mxl://%S+)")
  return h
end

-- Grains the generator skipped because it ran late (its final status line), or nil if it has not printed one.
function S.generator_skips(h)
  local late, skipped = H.output(h):match("late/skipped (%d+)/(%d+)")
  return late and tonumber(skipped) or nil
end

-- Stop a background process (SIGTERM) and wait for it; returns its exit code.
function S.stop(h, sig)
  if h.pid and H.alive(h.pid) then os.execute(("kill -%s %d"):format(sig or "TERM", h.pid)) end
  return H.wait_rc(h, 10)
end

-- A writer script that creates the given flow definitions, writes one grain / a few samples at the current index
-- of each, prints "ready" and then holds the flows until killed.
function S.holder(domain, defs)
  local text = [[
local mxl = require "mxl"
local defs = assert(mxl.json_decode(arg[1]))
local inst = assert(mxl.instance())
local ws = {}
for i, def in ipairs(defs) do
  local w = assert(inst:writer(def))
  ws[i] = w
  local rate = w:info().grainRate
  local now = mxl.current_index(rate)
  if w:format() == "audio" then
    local s = assert(w:open_samples(now, 480))
    assert(w:commit_samples())
  else
    local g = assert(w:open_grain(now))
    g:fill(0x10)
    assert(w:commit_grain())
  end
end
print("ready")
io.stdout:flush()
while true do mxl.sleep(100000000) end
]]
  local h = H.spawn(domain, text, H.q(mxl.json_encode(defs)))
  assert(H.until_true(function() return H.output(h):match("ready") end, 10), H.output(h))
  return h
end

-- Heavy load on the test machine (2 cores shared with other jobs) can starve the generator (it then skips grains and
-- counts them) or the tool (it then falls behind the ring). S.starved(report, gen) is true when the failures of a
-- rig report are all of that kind and the generator's own count or the rig's overrun count confirms it; the specs
-- then note it instead of failing a run that was meant to be clean.
local LOAD = { "missing", "dropped", "skipped", "overwritten", "fell behind", "differ from the tone", "latency",
               "jumps", "discontinuit", "no tone samples", "flash missing", "A/V: no flash" }
function S.starved(rep, gen, expected)
  if type(rep) == "string" then -- a text summary: its FAIL lines and overrun warnings
    local t = { pass = not rep:find("\n  FAIL:\n"), failures = {}, flows = { x = { overruns = 0 } } }
    for line in rep:gmatch("\n  %- ([^\n]+)") do t.failures[#t.failures + 1] = line end
    for n in rep:gmatch("fell behind the ring (%d+) times") do t.flows.x.overruns = t.flows.x.overruns + tonumber(n) end
    for n in rep:gmatch("data of (%d+) steps? overwritten") do t.flows.x.overruns = t.flows.x.overruns + tonumber(n) end
    rep = t
  end
  if type(rep) ~= "table" or rep.pass then return false end
  local skips = gen and S.generator_skips(gen) or 0
  local overruns = 0
  for _, f in pairs(rep.flows or {}) do overruns = overruns + (f.overruns or 0) + (f.torn or 0) end
  if (skips or 0) == 0 and overruns == 0 then return false end
  for _, f in ipairs(rep.failures or {}) do
    local ok = false
    for _, p in ipairs(LOAD) do
      if f:find(p, 1, true) then ok = true end
    end
    for _, p in ipairs(expected or {}) do
      if f:find(p) then ok = true end
    end
    if not ok then return false end
  end
  io.stderr:write(("\n[tools spec] machine overloaded (generator skipped %s grains, rig overruns %d): %s\n"):format(
    tostring(skips), overruns, table.concat(rep.failures, " | ")))
  return true
end

-- Plain 10-bit Y'CbCr (BT.709 narrow range) -> 8-bit RGB, an implementation independent of mxlmedia.
function S.ycbcr_to_rgb(y, cb, cr)
  local yn = (y - 64) / 876
  local pb, pr = (cb - 512) / 896, (cr - 512) / 896
  local function c8(v) return math.max(0, math.min(255, math.floor(v * 255 + 0.5))) end
  return c8(yn + 1.5748 * pr), c8(yn - 0.1873 * pb - 0.4681 * pr), c8(yn + 1.8556 * pb)
end

return S
