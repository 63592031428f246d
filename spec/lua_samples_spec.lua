-- Continuous (audio) flows from Lua: max lengths, open/commit/cancel, blocking and non-blocking reads, per-channel
-- fragment views across the ring wrap, bulk float conversion, error codes, read-only reader windows.
local H = require "spec.helper"
local mxl = H.mxl

local L = 19456 -- 48 kHz float32, 200 ms history (MXL-FORMAT.md §5.4)

-- value of sample s of channel c in these specs
local function val(s, c)
  return ((s * 7 + c) % 1000) / 1000
end
local function f32(x)
  return (string.unpack("<f", string.pack("<f", x)))
end

describe("samples", function()
  local domain, inst
  before_each(function()
    domain = H.tmpdomain()
    inst = assert(mxl.instance(domain))
  end)
  after_each(function()
    inst:close()
    H.rmrf(domain)
  end)

  -- write `count` samples ending at `index` (slots index-count .. index-1) with val(), commit
  local function put(w, index, count)
    local s = assert(w:open_samples(index, count))
    for c = 0, s:channels() - 1 do
      local t = {}
      for i = 1, count do t[i] = val(index - count + i, c) end
      assert.equal(count, s:write(c, t))
    end
    assert(w:commit_samples())
    return s
  end

  it("reports geometry and max lengths", function()
    local def = H.audio_def()
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local info = r:info()
    assert.equal(2, info.format)
    assert.equal("audio", info.format_name)
    assert.same({ numerator = 48000, denominator = 1 }, info.grainRate)
    assert.equal(2, info.channelCount)
    assert.equal(L, info.bufferLength)
    assert.is_nil(info.grainCount)
    assert.equal(480, info.maxCommitBatchSizeHint)
    assert.equal(L // 2, w:max_samples())
    assert.equal(L // 2, r:max_samples())
    assert.equal("audio", w:format())
  end)

  it("writes and reads samples, across the ring wrap, through views and arrays", function()
    local def = H.audio_def()
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local base = (mxl.current_index(48000) // L) * L
    local index = base + 10 -- window of 48 ends 10 slots after the wrap
    local s = put(w, index, 48)
    assert.is_true(s:writable())
    assert.equal(48, s:count())
    assert.equal(2, s:channels())
    assert.equal(4, s:word_size())
    assert.equal(index, s:index())
    local got = assert(r:get_samples(index, 48, 1000000000))
    assert.is_false(got:writable())
    assert.equal(48, got:count())
    assert.equal(index, got:index())
    for c = 0, 1 do
      local v0, v1 = got:channel(c)
      assert.equal(38 * 4, #v0)
      assert.equal(10 * 4, #v1)
      assert.is_false(v0:writable())
      local t = got:read(c)
      assert.equal(48, #t)
      for i = 1, 48 do
        local sample = index - 48 + i
        assert.equal(f32(val(sample, c)), t[i])
        assert.equal(t[i], got:get(c, i - 1))
      end
      -- the raw bytes match too (bit for bit)
      local bytes = {}
      for i = 1, 48 do bytes[i] = string.pack("<f", val(index - 48 + i, c)) end
      assert.equal(table.concat(bytes), v0:read() .. v1:read())
      assert.same(v0:get_f32_array(0, 38), { table.unpack(t, 1, 38) })
    end
    -- the window object is reused; a reused out table avoids allocation too
    local again = assert(r:get_samples_nonblocking(index, 48))
    assert.is_true(rawequal(got, again))
    local out = {}
    assert.equal(out, again:read(1, out))
    assert.equal(48, #out)
    assert.truthy(tostring(again):find("mxl.samples", 1, true))
  end)

  it("sets single samples and exposes writable channel views", function()
    local def = H.audio_def({ channels = 3 })
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local index = mxl.current_index(48000)
    local s = assert(w:open_samples(index, 4))
    local v0, v1 = s:channel(2)
    assert.is_true(v0:writable())
    v0:fill(0)
    if #v1 > 0 then v1:fill(0) end
    s:set(2, 3, 0.5)
    s:set(0, 0, -0.25)
    assert.equal(0.5, s:get(2, 3))
    assert.is_true(w:commit_samples())
    local g = assert(r:get_samples(index, 4, 0))
    assert.equal(0.5, g:get(2, 3))
    assert.equal(-0.25, g:get(0, 0))
    assert.has_error(function() g:get(3, 0) end)   -- channel out of range
    assert.has_error(function() g:get(0, 4) end)   -- position out of range
    assert.has_error(function() g:set(0, 0, 1) end) -- read-only
    assert.has_error(function() g:write(0, { 1, 2, 3, 4 }) end)
    local rv = g:channel(0)
    assert.has_error(function() rv:fill(1) end)
  end)

  it("handles float64 flows", function()
    local def = H.audio_def({ bit_depth = 64, channels = 1 })
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local index = mxl.current_index(48000)
    local s = assert(w:open_samples(index, 3))
    assert.equal(8, s:word_size())
    s:write(0, { math.pi, 1 / 3, -2 })
    assert(w:commit_samples())
    local g = assert(r:get_samples(index, 3, 0))
    assert.same({ math.pi, 1 / 3, -2 }, g:read(0))
  end)

  it("reports TIMEOUT, TOO_EARLY, TOO_LATE and INVALID_ARG", function()
    local def = H.audio_def()
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local index = mxl.current_index(48000)
    put(w, index, 480)
    local v, msg, code = r:get_samples(index + 480, 480, 10000000)
    assert.is_nil(v)
    assert.is_string(msg)
    assert.equal("TIMEOUT", code)
    v, msg, code = r:get_samples_nonblocking(index + 1, 1)
    assert.is_nil(v)
    assert.equal("TOO_EARLY", code)
    v, msg, code = r:get_samples_nonblocking(index - L, 48)
    assert.is_nil(v)
    assert.equal("TOO_LATE", code)
    assert.equal("TOO_LATE", select(3, r:get_samples(index, L // 2 + 1, 0)))
    v, msg, code = w:open_samples(index + 1000, L // 2 + 1)
    assert.is_nil(v)
    assert.is_string(msg)
    assert.equal("INVALID_ARG", code)
  end)

  it("cancels an open window", function()
    local def = H.audio_def()
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local index = mxl.current_index(48000)
    put(w, index, 48)
    assert(w:open_samples(index + 48, 48))
    assert.is_true(w:cancel_samples())
    assert.equal(index, (r:runtime_info()))
    assert.equal("TOO_EARLY", select(3, r:get_samples_nonblocking(index + 48, 48)))
  end)

  it("wakes a blocking read when another process commits", function()
    local def = H.audio_def()
    local w <close> = assert(inst:writer(def))
    local r <close> = assert(inst:reader(def.id))
    local index = mxl.current_index(48000) + 48000
    local h = H.spawn(domain, ([[
      local mxl = require "mxl"
      local inst <close> = assert(mxl.instance())
      local w <close> = assert(inst:writer(%q))
      mxl.sleep(200000000)
      local s = assert(w:open_samples(%d, 480))
      for c = 0, 1 do local t = {} for i = 1, 480 do t[i] = c + 0.5 end s:write(c, t) end
      assert(w:commit_samples())
    ]]):format(mxl.json_encode(def), index))
    local got, msg = r:get_samples(index, 480, 10000000000)
    local rc = H.wait_rc(h, 10)
    H.cleanup(h)
    assert.equal(0, rc)
    assert.truthy(got, msg)
    assert.equal(1.5, got:get(1, 479))
  end)

  it("raises on wrong types and use after close", function()
    local def = H.audio_def()
    local w = assert(inst:writer(def))
    local r = assert(inst:reader(def.id))
    local index = mxl.current_index(48000)
    local s = put(w, index, 8)
    assert.has_error(function() w:open_samples(index, -1) end)
    assert.has_error(function() w:open_samples("x", 1) end)
    assert.has_error(function() r:get_samples(index, 8) end) -- timeout required
    assert.has_error(function() r:get_samples(index, 8, -5) end)
    assert.has_error(function() s:write(0, "x") end)
    assert.has_error(function() s:write(0, { 1, 2 }) end) -- fewer than count numbers
    assert.has_error(function() s:channel(-1) end)
    local g = assert(r:get_samples(index, 8, 0))
    local v0 = g:channel(0)
    assert.is_true(r:close())
    assert.has_error(function() g:read(0) end)
    assert.has_error(function() v0:read() end)
    assert.has_error(function() r:get_samples(index, 8, 0) end)
    assert.is_true(w:close())
    assert.has_error(function() s:write(0, { 1, 2, 3, 4, 5, 6, 7, 8 }) end)
    assert.has_error(function() w:commit_samples() end)
  end)
end)
