-- Reading the domain written by the upstream library (tests/fixtures/upstream-v1) from Lua, bit for bit.
-- Patterns (fixture README): discrete byte i of grain k = (k*31 + i) & 0xff; audio sample s of channel c =
-- (float)((s*7 + c) % 1000) / 1000.0f, sample s at element (s - 1) mod 1024.
local H = require "spec.helper"
local mxl = H.mxl

local TARBALL = H.fixtures .. "/upstream-v1/domain.tar.gz"
local RATE = { numerator = 30000, denominator = 1001 }

local VIDEO = {
  { id = "5fbec3b1-1b0f-417d-9059-8b94a47197ed", size = 128, slices = { 128, 0, 0, 0 }, total = 1,
    head = 53815152626, first = 53815152622 },
  { id = "6fbec3b1-1b0f-417d-9059-8b94a47197ed", size = 512, slices = { 128, 0, 0, 0 }, total = 4,
    head = 53815152629, first = 53815152625 },
  { id = "7fbec3b1-1b0f-417d-9059-8b94a47197ed", size = 132, slices = { 128, 4, 0, 0 }, total = 1,
    head = 53815152631, first = 53815152627 },
  { id = "db3bd465-2772-484f-8fac-830b0471258b", size = 4096, slices = { 1, 0, 0, 0 }, total = 4096,
    head = 53815152632, first = 53815152628 },
}
local AUDIO = { id = "b3bb5be7-9fe9-4324-a5bb-4c70e1084449", head = 86190348430357, first = 86190348429206 }

describe("upstream-v1 fixture", function()
  local dir, inst

  setup(function()
    assert(H.exists(TARBALL), "fixture not found at " .. TARBALL)
    dir = H.tmpdomain()
    local rc, out = H.sh(("tar --sparse -xzf %s -C %s"):format(H.q(TARBALL), H.q(dir)))
    assert(rc == 0, out)
    inst = assert(mxl.instance(dir .. "/domain"))
  end)

  teardown(function()
    if inst then inst:close() end
    if dir then H.rmrf(dir) end
  end)

  it("lists the five inactive flows", function()
    local ids = inst:list()
    table.sort(ids)
    local expect = { AUDIO.id }
    for _, f in ipairs(VIDEO) do expect[#expect + 1] = f.id end
    table.sort(expect)
    assert.same(expect, ids)
    for _, e in ipairs(inst:list(true)) do
      assert.is_false(e.active)
      assert.is_true(e.readable)
    end
    for _, id in ipairs(ids) do
      assert.is_false(inst:is_active(id))
    end
  end)

  for _, f in ipairs(VIDEO) do
    it("reads discrete flow " .. f.id .. " bit for bit", function()
      local r <close> = assert(inst:reader(f.id))
      local info = r:info()
      assert.equal(f.id, info.id)
      assert.same(RATE, info.grainRate)
      assert.same(f.slices, info.sliceSizes)
      assert.equal(5, info.grainCount)
      assert.equal(f.head, info.headIndex)
      local def = assert(inst:flow_def_table(f.id))
      assert.equal(f.id, def.id)
      for k = f.first, f.head do
        local v, msg = r:get_grain(k, 0)
        assert.truthy(v, msg)
        assert.equal(f.size, #v)
        assert.equal(f.total, v:valid_slices())
        assert.equal(f.total, v:total_slices())
        assert.equal(0, v:flags())
        assert.equal(k, v:info().index)
        assert.equal(H.pattern(k, f.size), v:read())
        assert.equal(mxl.buffer(H.pattern(k, f.size)):crc32(), v:crc32())
        assert.is_true(v:valid())
      end
      -- older grains were overwritten
      for k = f.first - 2, f.first - 1 do
        assert.equal("TOO_LATE", select(3, r:get_grain_nonblocking(k)))
      end
      -- not yet written: FLOW_INVALID after extraction (the stored inode differs, see README)
      local v, msg, code = r:get_grain_nonblocking(f.head + 1)
      assert.is_nil(v)
      assert.is_string(msg)
      assert.equal("FLOW_INVALID", code)
    end)
  end

  it("reads the audio flow bit for bit, including the window across the ring wrap", function()
    local r <close> = assert(inst:reader(AUDIO.id))
    local info = r:info()
    assert.equal(2, info.channelCount)
    assert.equal(1024, info.bufferLength)
    assert.equal(AUDIO.head, info.headIndex)
    assert.equal(480, info.maxCommitBatchSizeHint)
    assert.equal(480, info.maxSyncBatchSizeHint)
    assert.same({ numerator = 48000, denominator = 1 }, info.grainRate)
    assert.equal(512, r:max_samples())
    local function check(index, count)
      local s, msg = r:get_samples(index, count, 0)
      assert.truthy(s, msg)
      for c = 0, 1 do
        local v0, v1 = s:channel(c)
        local bytes = {}
        for i = 1, count do
          local sample = index - count + i
          bytes[i] = string.pack("<f", ((sample * 7 + c) % 1000) / 1000)
        end
        assert.equal(table.concat(bytes), v0:read() .. v1:read())
        local t = s:read(c)
        for i = 1, count do
          assert.equal(string.unpack("<f", bytes[i]), t[i])
        end
      end
      return s
    end
    local s = check(AUDIO.head, 48)
    local v0, v1 = s:channel(0)
    assert.equal(108, #v0)
    assert.equal(84, #v1)
    check(AUDIO.head, 512)
    for j = 14, 23 do -- the batches that are still wholly inside the readable half of the ring
      check(AUDIO.first + 48 * (j + 1) - 1, 48)
    end
    assert.equal("TOO_LATE", select(3, r:get_samples_nonblocking(AUDIO.head - 512, 48)))
    assert.equal("TOO_LATE", select(3, r:get_samples_nonblocking(AUDIO.head, 513)))
    assert.equal("FLOW_INVALID", select(3, r:get_samples_nonblocking(AUDIO.head + 1, 1)))
  end)
end)
