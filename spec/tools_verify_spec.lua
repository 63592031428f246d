-- scripts/verify.lua end to end against scripts/test_pattern.lua runs made in the test: a clean run passes every
-- check; skipped grains, a 10 ms audio offset and a flow that disappears fail with the right reason; bad input is
-- a usage error. Small pictures (320x180) keep the generator cheap on a 2-core machine.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local GEN = "--size 320x180 "

local function has(list, pat)
  for _, s in ipairs(list) do
    if s:find(pat) then return s end
  end
  return nil
end

describe("scripts/verify.lua", function()
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

  it("passes on a clean test_pattern run: counter, bars, ANC, tone and A/V all exact", function()
    gen = S.generator(domain, GEN)
    local rc, j, raw = S.tool_json("verify", "-d " .. H.q(domain) .. " --duration 2.5 --json")
    S.stop(gen)
    assert.is_table(j, raw)
    if rc ~= 0 and S.starved(j, gen) then return end
    assert.equal(0, rc, raw)
    assert.is_true(j.pass)
    assert.same({}, j.failures)
    assert.equal(75, j.steps)
    for _, kind in ipairs({ "video", "audio", "data" }) do
      assert.equal(gen.ids[kind], j.flows[kind].id)
      assert.equal(0, j.flows[kind].missing)
    end
    local c = j.checks
    assert.equal(75, c.counter.summary.grains)
    assert.equal(0, c.counter.summary.dropped)
    assert.equal("bars75", c.bars.summary.pattern)
    assert.equal(0, c.bars.summary.max_deviation)
    assert.is_true(c.bars.summary.flashes >= 2)
    assert.equal(75, c.anc.summary.grains)
    assert.equal(0, c.anc.summary.parity_errors + c.anc.summary.checksum_errors + c.anc.summary.discontinuities)
    for ch = 1, 2 do
      local t = c.tone.summary[ch]
      assert.equal(0, t.mismatches)
      assert.is_true(t.compared > 100000)
      assert.near(1000, t.freq_hz, 0.01)
      assert.near(-20, t.level_dbfs, 0.01)
      assert.near(0, t.phase_deg, 0.01)
    end
    local av = c.av.summary
    assert.is_true(av.measured)
    assert.is_true(#av.pairs >= 2)
    assert.equal(0, av.offset_samples)
    assert.is_true(av.exact)
    -- the human summary says the same
    local rc2, out = S.tool("verify", "-d " .. H.q(domain) .. " --duration 0.2")
    assert.equal(2, rc2) -- the generator is gone now: nothing to verify
    assert.truthy(out:match("no flow with group hint 'mxl%-testsrc:%*'"), out)
  end)

  it("fails when the generator skips grains, naming the dropped grains", function()
    gen = S.generator(domain, GEN .. "--skip-every 7 --no-audio")
    local rc, j, raw = S.tool_json("verify", "-d " .. H.q(domain) .. " --duration 2 --json")
    assert.equal(1, rc, raw)
    assert.is_false(j.pass)
    local miss = assert(has(j.failures, "^video: %d+ of 60 grains missing"), raw)
    assert.truthy(miss:find("skipped"), miss)
    assert.truthy(j.flows.video.missing_by.skipped >= 8, raw)
    assert.truthy(has(j.failures, "^check counter: %d+ failures %(first: grain %d+ dropped %(grain %d+ was skipped by the writer"), raw)
    assert.equal(j.flows.video.missing_by.skipped, j.checks.counter.summary.dropped)
    S.stop(gen)
    local late = S.generator_skips(gen)
    assert.truthy(H.output(gen):match("test%-skipped %d+"), H.output(gen))
    -- the dropped grains are the multiples of 7 (and, on an overloaded machine, those the generator reports late)
    local sevens, others = 0, 0
    for _, msg in ipairs(j.checks.counter.messages) do
      local idx = tonumber(msg:match("^grain (%d+) dropped"))
      if idx and idx % 7 == 0 then sevens = sevens + 1 elseif idx then others = others + 1 end
    end
    assert.is_true(sevens >= 6, raw)
    if late == 0 then
      assert.equal(0, others, raw)
      assert.equal(0, j.flows.data.missing) -- the ANC flow is complete
    end
  end)

  it("fails on a 10 ms audio offset and reports it as 10 +/- 1 ms (here: exactly 480 samples)", function()
    gen = S.generator(domain, GEN .. "--audio-offset 480")
    local rc, j, raw = S.tool_json("verify", "-d " .. H.q(domain) .. " --duration 2.5 --json")
    S.stop(gen)
    assert.equal(1, rc, raw)
    local av = j.checks.av.summary
    assert.is_true(av.measured, raw)
    assert.is_true(math.abs(math.abs(av.offset_ms) - 10) <= 1, raw)
    assert.equal(-480, av.offset_samples) -- audio ahead: sample s carries the content of s + 480
    assert.truthy(has(j.failures, "^check av: 1 failure %(first: A/V offset %-10%.000 ms %(%-480 samples%): audio leads video"), raw)
    -- the tone itself is still right at every absolute index (1 kHz repeats every 48 samples)
    if not S.starved(j, gen, { "^check av:" }) then
      assert.equal(1, #j.failures, raw)
      assert.equal(0, j.checks.tone.failures)
    end
  end)

  it("fails when a flow disappears in the middle of the run", function()
    gen = S.generator(domain, GEN .. "--duration 1.5")
    local t0 = mxl.now()
    local rc, out = S.tool("verify", "-d " .. H.q(domain) .. " --duration 5 --no-histograms")
    assert.equal(1, rc, out)
    assert.truthy(out:match("%- video: flow " .. gen.ids.video:gsub("%-", "%%-") .. " disappeared at step %d+"), out)
    assert.truthy(out:match("%- audio: flow %S+ disappeared at step"), out)
    assert.truthy(out:match("%- data: flow %S+ disappeared at step"), out)
    assert.truthy(out:match("verify: 3 flows stepped at 30000/1001 for %d+ steps.-: FAIL"), out)
    assert.is_true(mxl.now() - t0 < 4e9, "verify kept running after the flows were gone")
  end)

  it("rejects bad input with exit code 2: missing domain, unknown flow, malformed URI, wrong format", function()
    local inst = assert(mxl.instance(domain))
    local a = H.audio_def()
    local w = assert(inst:writer(a))
    local cases = {
      { "-d /dev/shm/mxl-spec-no-such-domain", "domain /dev/shm/mxl%-spec%-no%-such%-domain does not exist" },
      { "-d " .. H.q(domain) .. " -f " .. H.uuid(), "no flow %x+%-.- in domain" },
      { "-d " .. H.q(domain) .. " --video " .. H.uuid(), "no flow %x+%-.- in domain" },
      { H.q("mxl://" .. domain .. "?id=1234"), "malformed URI" },
      { "-d " .. H.q(domain) .. " --video " .. a.id, "flow " .. a.id:gsub("%-", "%%-") .. " is an audio flow; %-%-video needs a video flow" },
      { "-d " .. H.q(domain) .. " --group nobody", "no flow with group hint 'nobody:%*'" },
      { "-d " .. H.q(domain) .. " --pattern plaid", "unknown %-%-pattern plaid" },
      { "--duration", "option %-%-duration needs a value" },
      { "--duration x", "option %-%-duration: number expected" },
    }
    for _, c in ipairs(cases) do
      local rc, out = S.tool("verify", c[1])
      assert.equal(2, rc, c[1] .. ": " .. out)
      assert.truthy(out:match("^verify: " .. c[2]), c[1] .. ": " .. out)
    end
    w:close()
    inst:close()
  end)
end)
