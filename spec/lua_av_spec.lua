-- Audio beside video in a sync group: what g:wait_at(t) guarantees for an audio member (the samples before
-- S(t) = timestampToIndex(sample rate, t)), mxl.sample_window (a video grain's audio window and the timestamp to wait
-- at for it), and the worked A/V example of docs/lua-api.md run as written against scripts/test_pattern.lua.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local function doc_block(first_line)
  local f = assert(io.open(H.root .. "/docs/lua-api.md"))
  local doc = f:read("a")
  f:close()
  local start = doc:find("```lua\n" .. first_line, 1, true)
  assert(start, "docs/lua-api.md has no ```lua block starting with " .. first_line)
  local body = doc:sub(start + 7)
  return body:sub(1, body:find("\n```", 1, true))
end

describe("audio beside video", function()
  it("mxl.sample_window tiles the sample line grain by grain and waits at the next grain's timestamp", function()
    local vrate = { numerator = 30000, denominator = 1001 }
    local k0 = mxl.current_index(vrate)
    local total, prev_end = 0, nil
    for k = k0, k0 + 4 do
      local first, count, wait_ts = mxl.sample_window(vrate, k, 48000)
      assert.equal(mxl.timestamp_to_index(48000, mxl.index_to_timestamp(vrate, k)), first)
      assert.equal(mxl.timestamp_to_index(48000, mxl.index_to_timestamp(vrate, k + 1)), first + count)
      assert.equal(mxl.index_to_timestamp(vrate, k + 1), wait_ts)
      assert.is_true(count == 1601 or count == 1602, tostring(count))
      if prev_end then assert.equal(prev_end, first) end
      prev_end = first + count
      total = total + count
    end
    assert.equal(8008, total) -- five 30000/1001 grains are exactly 8008 samples at 48 kHz
    local first, count, wait_ts = mxl.sample_window("50", 10, { 48000, 1 })
    assert.same({ 9600, 960, 220000000 }, { first, count, wait_ts })
    assert.has_error(function() mxl.sample_window({ 0, 1 }, 1, 48000) end)
    assert.has_error(function() mxl.sample_window(50, 1, { 48000, 0 }) end)
  end)

  describe("with the test pattern", function()
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

    it("wait_at(t_k) guarantees the audio before S(t_k); sample_window's wait_ts the grain's whole window", function()
      local inst <close> = assert(mxl.instance(domain))
      local v <close> = assert(inst:reader(gen.ids.video))
      local a <close> = assert(inst:reader(gen.ids.audio))
      local g <close> = assert(inst:sync_group())
      assert(g:add(v)) assert(g:add(a))
      local vrate, arate = v:info().grainRate, a:info().grainRate
      local k = mxl.current_index(vrate) + 1
      local checked, skipped = 0, 0
      -- a grain the generator skipped (starved by a loaded machine) is TOO_LATE "skipped": catch up and go on
      local function wait(ts)
        local ok, msg, code = g:wait_at(ts, 2000000000)
        if not ok and code == "TOO_LATE" then return false end
        return assert(ok, msg)
      end
      while checked < 20 and skipped < 5 do
        local first, count, wait_ts = mxl.sample_window(vrate, k, arate)
        if wait(mxl.index_to_timestamp(vrate, k)) then
          assert.truthy(v:get_grain_nonblocking(k))
          assert.truthy(a:get_samples_nonblocking(first, 480)) -- the 10 ms before S(t_k)
          if wait(wait_ts) then
            local w = a:get_samples_nonblocking(first + count, count)
            assert.truthy(w, "grain " .. k .. ": its audio window is not there after wait_at(wait_ts)")
            assert.equal(first + count, w:index())
            checked = checked + 1
            k = k + 1
          else
            skipped, k = skipped + 1, mxl.current_index(vrate) + 1
          end
        else
          skipped, k = skipped + 1, mxl.current_index(vrate) + 1
        end
      end
      assert.equal(20, checked, ("%d steps skipped by the generator"):format(skipped))
    end)

    it("runs the worked A/V example of docs/lua-api.md", function()
      local rc, out = H.run(domain, doc_block("-- av.lua"), "mxl-testsrc 40")
      assert.equal(0, rc, out)
      local n, prev_end, prev_k = 0, nil, nil
      for k, counter, first, last, peak in out:gmatch("grain (%d+)  counter (%-?%d+)  samples %[(%d+), (%d+)%)  peak ([%d.]+)") do
        k, counter, first, last = math.tointeger(k), math.tointeger(counter), math.tointeger(first), math.tointeger(last)
        n = n + 1
        assert.equal(k & 0xffffffff, counter)
        assert.is_true(last - first == 1601 or last - first == 1602)
        if prev_k and prev_k + 1 == k then assert.equal(prev_end, first) end -- windows tile the sample line
        prev_end, prev_k = last, k
        assert.is_true(tonumber(peak) > 0.05, out) -- the -20 dBFS tone (0.1), or a -6 dBFS beep
      end
      assert.equal(40, n, out)
    end)
  end)
end)
