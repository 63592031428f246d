-- Ctrl-C is a normal way to stop a tool: each one gets SIGINT while it is working, exits 130 with its final status
-- line (the rig's report, the probe's count, the partial WAV) and without an error, a file:line or a traceback.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local function tool_bg(domain, name, args)
  return S.spawn_file(domain, H.root .. "/scripts/" .. name .. ".lua", args)
end

local function interrupt(h, after_s)
  mxl.sleep(math.floor(after_s * 1e9))
  assert.is_true(H.alive(h.pid), "the tool ended before the signal: " .. H.output(h))
  os.execute("kill -INT " .. h.pid)
  local rc = H.wait_rc(h, 15)
  local out = H.output(h)
  H.cleanup(h)
  return rc, out
end

local function quiet(out)
  assert.is_nil(out:find("stack traceback", 1, true), out)
  assert.is_nil(out:find("%.lua:%d+:"), out)
  assert.is_nil(out:find("stopped (SIGINT)", 1, true), out) -- the tool finished by itself
end

describe("tools on SIGINT", function()
  local domain, gen
  setup(function()
    domain = H.tmpdomain()
    gen = S.generator(domain, "--size 320x180 --history 1s")
  end)
  teardown(function()
    S.stop(gen)
    H.cleanup(gen)
    H.rmrf(domain)
  end)

  it("sync_rig prints its report and exits 130", function()
    local rc, out = interrupt(tool_bg(domain, "sync_rig", "--group mxl-testsrc --duration 60 --no-histograms"), 1.5)
    assert.equal(130, rc, out)
    assert.truthy(out:match("sync_rig: 3 flows stepped at 30000/1001 for %d+ steps"), out)
    assert.truthy(out:find("warning: interrupted after", 1, true), out)
    quiet(out)
  end)

  it("verify prints its report and exits 130", function()
    local rc, out = interrupt(tool_bg(domain, "verify", "--duration 60 --no-histograms"), 2)
    assert.equal(130, rc, out)
    assert.truthy(out:match("verify: 3 flows stepped"), out)
    quiet(out)
  end)

  it("data_probe -n 0 prints its count and exits 130", function()
    local rc, out = interrupt(tool_bg(domain, "data_probe", "-f " .. gen.ids.data .. " -n 0"), 1)
    assert.equal(130, rc, out)
    local n = out:match("data_probe: stopped after (%d+) grains?, 0 with errors\n$")
    assert.truthy(n, out)
    local _, grains = out:gsub("\nGrain %d+", "")
    assert.equal(tonumber(n), grains + (out:find("^Grain") and 1 or 0), out)
    quiet(out)
  end)

  it("snapshot keeps the audio captured so far in a valid WAV and exits 130", function()
    local wav = os.tmpname()
    local rc, out = interrupt(tool_bg(domain, "snapshot", "-f " .. gen.ids.audio .. " --seconds 60 -o " .. H.q(wav)), 1)
    local f = assert(io.open(wav, "rb"))
    local data = f:read("a")
    f:close()
    os.remove(wav)
    assert.equal(130, rc, out)
    local samples = tonumber(out:match("wrote %S+ (%d+) samples x 2 channels at 48000 Hz .* %(stopped early: interrupted%)"))
    assert.truthy(samples and samples > 0, out)
    -- RIFF size, fact frames and data size all describe the samples written
    local riff = string.unpack("<I4", data, 5)
    local frames = string.unpack("<I4", data, 47)
    local dsize = string.unpack("<I4", data, 55)
    assert.equal(samples, frames)
    assert.equal(samples * 2 * 4, dsize)
    assert.equal(#data - 8, riff)
    assert.equal(58 + dsize, #data)
    quiet(out)
  end)

  it("info --watch exits 130 without a word", function()
    local rc, out = interrupt(tool_bg(domain, "info", "--watch --interval 0.2"), 1)
    assert.equal(130, rc, out)
    assert.truthy(out:find("group mxl-testsrc", 1, true), out)
    quiet(out)
  end)
end)
