-- mxl.pattern: the composed test picture (background, moving box, counter, timecode, flash).
local H = require "spec.helper"
local mxl = H.mxl
local media = mxl.media
local pattern = require "mxl.pattern"

describe("mxl.pattern", function()
  it("renders counter, timecode and box per grain; partial renders equal full ones", function()
    local p = pattern.new{ width = 1280, height = 720, rate = { 60000, 1001 }, pattern = "hdbars", label = "SPEC" }
    local size = p:grain_size()
    assert.equal(media.v210_stride(1280) * 720, size)
    local ring = { mxl.buffer(size), mxl.buffer(size), mxl.buffer(size) }
    local full = mxl.buffer(size)
    local base = mxl.current_index({ 60000, 1001 })
    for i = base, base + 130 do
      local v = ring[i % 3 + 1]
      local tc = p:render(v, i)
      assert.equal((media.timecode(i, 60000, 1001)), tc)
      assert.equal(i & 0xffffffff, (media.frame_counter_decode(v, 1280, 720)))
      p:render(full, i, true)
      assert.equal(0, v:compare(full))
      local y = media.get_pixel(v, 1280, 720, 1270, 700)
      if p:is_flash(i) then assert.equal(940, y) else assert.not_equal(940, y) end
    end
    local st = p:renderer():stats()
    assert.is_true(st.partial_restores > 100)
    assert.not_equal(p:renderer():box_x(base), p:renderer():box_x(base + 1))
  end)

  it("flashes on grains whose index is a multiple of the whole rate", function()
    local p = pattern.new{ width = 64, height = 36, rate = { 30000, 1001 } }
    assert.is_true(p:is_flash(0))
    assert.is_true(p:is_flash(30))
    assert.is_false(p:is_flash(31))
    local q = pattern.new{ width = 64, height = 36, rate = { 25, 1 }, interlace = "interlaced_tff" }
    assert.same({ 50, 1 }, { q:grain_rate() })
    assert.is_true(q:is_flash(50))
    assert.is_false(q:is_flash(25))
  end)

  it("draws fields of interlaced pictures with the frame's timecode", function()
    local p = pattern.new{ width = 1920, height = 1080, rate = { 25, 1 }, interlace = "interlaced_tff", label = "I" }
    local size = p:grain_size()
    assert.equal(5120 * 540, size)
    local v = mxl.buffer(size)
    local i = 2 * 1000001 + 1 -- second field of frame 1000001
    assert.equal((media.timecode(1000001, 25, 1)), p:render(v, i))
    -- field 2 of a tff picture holds the odd lines
    assert.equal(i & 0xffffffff, (media.frame_counter_decode(v, 1920, 1080, 1)))
    assert.has_error(function() p:render(mxl.buffer(size - 1), i) end)
  end)
end)
