-- mxl.rig and scripts/sync_rig.lua end to end: stepping 59.94 Hz video, 48 kHz audio and ANC together on one sync
-- group against a live generator (every step complete, contiguous audio windows, no early return), the 15-line
-- custom rig of docs/tools.md, thresholds, and bad input.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local GEN = "--size 320x180 "

-- The ```lua block after the rig-example marker in docs/tools.md.
local function rig_example()
  local f = assert(io.open(H.root .. "/docs/tools.md"))
  local doc = f:read("a")
  f:close()
  local code = doc:match("<!%-%- rig%-example[^\n]*\n```lua\n(.-)```")
  assert(code, "docs/tools.md: no rig example")
  return code
end

describe("mxl.rig / scripts/sync_rig.lua", function()
  local domain, gen
  before_each(function() domain = H.tmpdomain() end)
  after_each(function()
    if gen then
      S.stop(gen)
      H.cleanup(gen)
    end
    gen = nil
    H.rmrf(domain)
  end)

  it("waits correctly across 60000/1001 video, 48 kHz audio and ANC: every step complete, never early", function()
    gen = S.generator(domain, GEN .. "--format 720p59.94")
    local rc, j, raw = S.tool_json("sync_rig", "-d " .. H.q(domain) .. " --group mxl-testsrc --duration 2 --json "
      .. "--max-latency-ms 1000")
    S.stop(gen)
    assert.is_table(j, raw)
    assert.same({ numerator = 60000, denominator = 1001 }, j.rate)
    assert.equal(120, j.steps_planned) -- 2 s at 59.94
    if rc ~= 0 and S.starved(j, gen) then return end
    assert.equal(0, rc, raw)
    assert.equal(120, j.steps)
    for _, kind in ipairs({ "video", "audio", "data" }) do
      local f = j.flows[kind]
      assert.equal(gen.ids[kind], f.id)
      assert.equal(0, f.missing, kind)
      assert.equal(0, f.early, kind) -- the group never returned before a member's data was readable
      assert.equal(120, f.fetched, kind)
      assert.is_true(f.skew_ms.n > 0, kind)
    end
    assert.same({ numerator = 48000, denominator = 1 }, j.flows.audio.rate)
    assert.equal("commit", j.flows.video.skew_source) -- our writer's stamp in the grain header
    assert.equal("lastWriteTime", j.flows.audio.skew_source)
    -- audio windows tile the timeline (800 or 801 samples per 59.94 Hz step) and hold exactly the step's samples
    assert.equal(0, j.checks.contiguous.failures, raw)
    assert.equal(0, j.checks.intact.failures, raw)
    -- the group waited for the audio of each step's time: never returned before that time (minus a sample)
    assert.equal(120, j.latency_ms.n)
    assert.is_true(j.latency_ms.min > -0.05, raw)
  end)

  it("runs the 15-line custom rig of docs/tools.md (text and JSON)", function()
    gen = S.generator(domain, GEN)
    local path = os.tmpname() .. ".lua"
    local f = assert(io.open(path, "w"))
    local code = rig_example()
    local n = 0
    for _ in code:gmatch("[^\n]*\n") do n = n + 1 end
    assert.equal(15, n)
    f:write(code)
    f:close()
    local rc, out = H.sh(("%s %s -d %s --duration 1.5 --max-latency-ms 1000"):format(H.q(H.mxlrun), H.q(path), H.q(domain)))
    local rc2, raw = H.sh(("%s %s -d %s --duration 0.5 --json --max-latency-ms 1000 2>/dev/null"):format(H.q(H.mxlrun), H.q(path),
      H.q(domain)))
    local j = mxl.json_decode(raw)
    S.stop(gen)
    os.remove(path)
    assert.truthy(out:match("^rig: 2 flows stepped at 30000/1001 for 45 steps .-: %u+\n"), out)
    assert.truthy(out:match("check counter%s+ok"), out)
    assert.truthy(out:match("check not silent%s+ok"), out)
    if rc ~= 0 then assert.is_true(S.starved(out, gen), out) end
    assert.is_table(j, raw)
    assert.equal(15, j.steps)
    assert.equal(0, j.checks.counter.failures)
    assert.equal(gen.ids.video, j.flows.v.id)
    assert.equal(gen.ids.audio, j.flows.a.id)
    if rc2 ~= 0 then assert.is_true(S.starved(j, gen), raw) end
  end)

  it("fails on thresholds with the reason, and on a flow that is not there with exit 2", function()
    gen = S.generator(domain, GEN .. "--no-anc")
    local rc, out = S.tool("sync_rig", H.q(gen.group_uri) .. " --duration 0.5 --max-latency-ms 0 --no-histograms")
    assert.equal(1, rc, out)
    assert.truthy(out:match("%- end%-to%-end latency p99 [%d.]+ ms exceeds 0%.000 ms"), out)
    assert.truthy(out:match("sync_rig: 2 flows stepped at 30000/1001 for 15 steps"), out)
    -- a group that is not in the domain
    local lib = H.script(([[
local rig = require "mxl.rig"
local r = rig.new{ domain = %q, flows = { v = "mxl-testsrc:Video", k = "mxl-testsrc:Key" }, duration = 0.2 }
os.exit(r:main({}))
]]):format(domain))
    local rc2, out2 = H.sh(H.q(H.mxlrun) .. " " .. H.q(lib))
    os.remove(lib)
    assert.equal(2, rc2, out2)
    assert.truthy(out2:match("^rig: flow 'k': no flow with group hint 'mxl%-testsrc:Key' in "), out2)
    -- a flow of the wrong format for its declaration
    lib = H.script(([[
local rig = require "mxl.rig"
local r = rig.new{ domain = %q, flows = { v = { id = %q, format = "video" } }, duration = 0.2 }
os.exit(r:main({}))
]]):format(domain, gen.ids.audio))
    local rc3, out3 = H.sh(H.q(H.mxlrun) .. " " .. H.q(lib))
    os.remove(lib)
    assert.equal(2, rc3, out3)
    assert.truthy(out3:match("^rig: flow 'v': " .. gen.ids.audio:gsub("%-", "%%-") .. " is an audio flow, video expected"), out3)
  end)

  it("rejects bad input with exit code 2", function()
    local cases = {
      { "-d /dev/shm/mxl-spec-no-such-domain -g x", "domain /dev/shm/mxl%-spec%-no%-such%-domain does not exist" },
      { "-d " .. H.q(domain) .. " -f " .. H.uuid(), "no flow %x+%-.- in domain" },
      { H.q("mxl://" .. domain .. "?id=nope"), "malformed URI" },
      { "-d " .. H.q(domain), "no flows: give %-f ID, %-%-group NAME or an mxl:// URI with ids" },
      { "-d " .. H.q(domain) .. " -g nothing", "no flow with group hint 'nothing'" },
      { "--rate 0/0 -g x", "bad %-%-rate 0/0" },
      { "--frobnicate", "unknown option %-%-frobnicate" },
    }
    for _, c in ipairs(cases) do
      local rc, out = S.tool("sync_rig", c[1])
      assert.equal(2, rc, c[1] .. ": " .. out)
      assert.truthy(out:match("^sync_rig: " .. c[2]), c[1] .. ": " .. out)
    end
  end)
end)
