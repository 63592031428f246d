-- Pacing of scripts/test_pattern.lua with audio on: grain i is committed only once its timestamp has passed
-- (commit time - indexToTimestamp(i) >= 0, and small), and an audio window ending at sample E is committed only once
-- indexToTimestamp(E) has passed. Before the fix the video and ANC grains of an audio-enabled run were committed
-- 6 to 17 ms before their timestamp (the loop woke every 10 ms for audio and rounded to the nearest grain).
local H = require "spec.helper"
local S = require "spec.tools_support"
local mxl = H.mxl

local function p50(list)
  local s = table.move(list, 1, #list, 1, {})
  table.sort(s)
  return s[math.max(1, math.ceil(#s / 2))]
end

describe("test_pattern pacing", function()
  local domain, h
  before_each(function() domain = H.tmpdomain() end)
  after_each(function()
    if h then H.cleanup(h) end
    h = nil
    H.rmrf(domain)
  end)

  it("commits every grain and audio window at or after its timestamp, with audio, video and ANC together", function()
    -- a small picture keeps the generator cheap; the pacing loop is the same for every size
    h = S.generator(domain, "--size 320x180 --duration 6 --history 1s")
    local inst <close> = assert(mxl.instance(domain))
    local rv <close> = assert(inst:reader(h.ids.video))
    local rd <close> = assert(inst:reader(h.ids.data))
    local ra <close> = assert(inst:reader(h.ids.audio))
    local vrate, arate = rv:info().grainRate, ra:info().grainRate
    assert.truthy(H.until_true(function() return rv:runtime_info() > 0 and rd:runtime_info() > 0 end, 5))
    local skew = { video = {}, data = {} }
    local audio = {}
    local readers = { video = rv, data = rd }
    local next_i = { video = rv:runtime_info(), data = rd:runtime_info() }
    local deadline = mxl.now() + 3000000000
    while mxl.now() < deadline do
      for kind, r in pairs(readers) do
        local head = r:runtime_info()
        for i = math.max(next_i[kind], head - 3), head do
          local ct = r:grain_commit_time(i)
          if ct and r:grain_commit_time(i) == ct then -- the slot still holds i
            local t = mxl.index_to_timestamp(r:info().grainRate, i)
            table.insert(skew[kind], { i = i, d = ct - t })
          end
        end
        next_i[kind] = head + 1
      end
      -- audio: a stable (head, lastWriteTime) pair, i.e. no commit between the two reads
      local h1, w1 = ra:runtime_info()
      mxl.sleep(200000) -- a commit stores the head, then lastWriteTime: a pair seen twice 200 us apart is whole
      local h2, w2 = ra:runtime_info()
      if h1 == h2 and w1 == w2 and h1 > 0 then audio[#audio + 1] = w1 - mxl.index_to_timestamp(arate, h1) end
      mxl.sleep(7000000)
    end
    local period = 1000000000 * vrate.denominator // vrate.numerator
    for kind, list in pairs(skew) do
      assert.is_true(#list >= 45, ("%s: only %d grains measured"):format(kind, #list))
      local d = {}
      for k, e in ipairs(list) do
        d[k] = e.d
        assert.is_true(e.d >= 0, ("%s grain %d committed %.3f ms before its timestamp"):format(kind, e.i, -e.d / 1e6))
      end
      -- small: the median lateness is well under half a grain period (a few hundred us on an idle machine)
      assert.is_true(p50(d) < period // 2, ("%s: median commit - timestamp %.3f ms"):format(kind, p50(d) / 1e6))
    end
    assert.is_true(#audio >= 20, "audio samples " .. #audio)
    for _, d in ipairs(audio) do
      assert.is_true(d >= 0, ("audio window committed %.3f ms before the timestamp of its end"):format(-d / 1e6))
    end
    assert.is_true(p50(audio) < 20000000, ("audio: median %.3f ms"):format(p50(audio) / 1e6))
    assert.equal(0, H.wait_rc(h, 15), H.output(h))
  end)
end)
