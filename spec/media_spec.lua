-- mxl.media: v210 lines, bars, frame counter, timecode, ANC, tone, PNG, UUIDs (through the Lua module).
local H = require "spec.helper"
local mxl = H.mxl
local media = mxl.media

local function rand10() return math.random(0, 1023) end

describe("mxl.media v210", function()
  it("packs and unpacks random lines of any width, padding zero", function()
    math.randomseed(42)
    for _, w in ipairs({ 1, 2, 3, 5, 6, 7, 47, 48, 49, 721, 1279, 1280, 1920 }) do
      local c = (w + 1) // 2
      local y, cb, cr = {}, {}, {}
      for i = 1, w do y[i] = rand10() end
      for i = 1, c do cb[i], cr[i] = rand10(), rand10() end
      local stride = media.v210_stride(w)
      local buf = mxl.buffer(stride + 16)
      buf:fill(0xff)
      media.v210_pack_line(buf, 8, w, y, cb, cr)
      local y2, cb2, cr2 = media.v210_unpack_line(buf, 8, w)
      assert.same(y, y2)
      assert.same(cb, cb2)
      assert.same(cr, cr2)
      -- words after the line's samples are zero, as are unused fields of the last word and bits 30-31
      local samples = (w % 2 == 1) and 2 * w + 1 or 2 * w
      for wi = 0, stride // 4 - 1 do
        local word = buf:get_u32(8 + wi * 4)
        assert.equal(0, word >> 30)
        for f = 0, 2 do
          if wi * 3 + f >= samples then assert.equal(0, (word >> (10 * f)) & 0x3ff) end
        end
      end
      assert.equal(0xff, buf:get_u8(7)) -- nothing written before the offset
      assert.equal(0xff, buf:get_u8(8 + stride))
    end
  end)

  it("has the MXL strides", function()
    assert.equal(5120, media.v210_stride(1920))
    assert.equal(3456, media.v210_stride(1280))
    assert.equal(2560, media.key_stride(1920))
    assert.equal(1708, media.key_stride(1280))
  end)

  it("round-trips key (v210a alpha) lines", function()
    local a = {}
    for i = 1, 1280 do a[i] = rand10() end
    local buf = mxl.buffer(media.key_stride(1280))
    media.key_pack_line(buf, 0, 1280, a)
    assert.same(a, media.key_unpack_line(buf, 0, 1280))
    assert.equal(a[1] | (a[2] << 10) | (a[3] << 20), buf:get_u32(0))
  end)

  it("refuses read-only views and short views", function()
    local buf = mxl.buffer(100)
    assert.has_error(function() media.v210_pack_line(buf, 0, 48, {}, {}, {}) end)
    local ro = mxl.buffer(128):readonly()
    local y = {} for i = 1, 48 do y[i] = 64 end
    local c = {} for i = 1, 24 do c[i] = 512 end
    assert.has_error(function() media.v210_pack_line(ro, 0, 48, y, c, c) end)
  end)
end)

describe("mxl.media bars", function()
  local t75 = { { 721, 512, 512 }, { 674, 176, 543 }, { 581, 589, 176 }, { 534, 253, 207 },
                { 251, 771, 817 }, { 204, 435, 848 }, { 111, 848, 481 }, { 64, 512, 512 } }
  local t100 = { { 940, 512, 512 }, { 877, 64, 553 }, { 754, 615, 64 }, { 691, 167, 105 },
                 { 313, 857, 919 }, { 250, 409, 960 }, { 127, 960, 471 }, { 64, 512, 512 } }
  for _, case in ipairs({ { "bars75", t75 }, { "bars100", t100 } }) do
    it(case[1] .. " decode to the BT.709 10-bit table within 1", function()
      local w, h = 1280, 720
      local buf = mxl.buffer(media.v210_stride(w) * h)
      media.render_bars(buf, w, h, case[1])
      local y, cb, cr = media.v210_unpack_line(buf, media.v210_stride(w) * 360, w)
      for b = 1, 8 do
        local x = (b - 1) * 160 + 80 -- centre of bar b (0-based even pixel)
        local e = case[2][b]
        assert.is_true(math.abs(y[x + 1] - e[1]) <= 1, case[1] .. " bar " .. b .. " Y " .. y[x + 1])
        assert.is_true(math.abs(cb[x // 2 + 1] - e[2]) <= 1, "Cb " .. cb[x // 2 + 1])
        assert.is_true(math.abs(cr[x // 2 + 1] - e[3]) <= 1, "Cr " .. cr[x // 2 + 1])
      end
    end)
  end

  it("renders the other patterns", function()
    local w, h = 192, 108
    local buf = mxl.buffer(media.v210_stride(w) * h)
    media.render_pattern(buf, w, h, "solid", { colour = "red75" })
    assert.same({ 204, 435, 848 }, { media.get_pixel(buf, w, h, 10, 10) })
    media.render_pattern(buf, w, h, "ramp")
    assert.equal(64, (media.get_pixel(buf, w, h, 0, 50)))
    assert.equal(940, (media.get_pixel(buf, w, h, w - 1, 50)))
    media.render_pattern(buf, w, h, "checker", { size = 12 })
    assert.equal(940, (media.get_pixel(buf, w, h, 1, 1)))
    assert.equal(64, (media.get_pixel(buf, w, h, 13, 1)))
    assert.has_error(function() media.render_pattern(buf, w, h, "nope") end)
  end)
end)

describe("mxl.media frame counter", function()
  it("decodes what it drew, also one line off and in a field", function()
    local w, h = 1920, 1080
    local stride = media.v210_stride(w)
    local buf = mxl.buffer(stride * h)
    for _, v in ipairs({ 0, 1, 0x7fffffff, 0xdeadbeef, 0xffffffff, 86000000 }) do
      media.render_bars(buf, w, h, "bars75")
      media.frame_counter_draw(buf, w, h, v)
      assert.equal(v, (media.frame_counter_decode(buf, w, h)))
      assert.equal(v, (media.frame_counter_decode(buf:sub(stride), w, h - 1)))
    end
    media.render_bars(buf, w, h, "bars75")
    assert.is_nil((media.frame_counter_decode(buf, w, h)))
    media.frame_counter_draw(buf, w, h, 12345, 1)
    assert.equal(12345, (media.frame_counter_decode(buf, w, h, 1)))
  end)
end)

describe("mxl.media timecode", function()
  it("counts drop-frame across minute and ten-minute boundaries", function()
    assert.equal("00:00:59;29", (media.timecode_from_count(1799, 30, true)))
    assert.equal("00:01:00;02", (media.timecode_from_count(1800, 30, true)))
    assert.equal("00:09:59;29", (media.timecode_from_count(17981, 30, true)))
    assert.equal("00:10:00;00", (media.timecode_from_count(17982, 30, true)))
    assert.equal("00:10:00;01", (media.timecode_from_count(17983, 30, true)))
    assert.equal("00:01:00;04", (media.timecode_from_count(3600, 60, true)))
    assert.equal("00:01:00:00", (media.timecode_from_count(1500, 25, false)))
  end)

  it("labels consecutive frames of the TAI timeline with consecutive counts", function()
    local num, den = 30000, 1001
    local start = mxl.current_index({ num, den })
    local _, f0 = media.timecode(start, num, den)
    local prev = media.timecode_to_count(f0)
    local jumps = 0
    for i = start + 1, start + 20000 do
      local s, f = media.timecode(i, num, den)
      local c = media.timecode_to_count(f)
      assert.equal(c, f.frame_of_day)
      if c ~= prev + 1 then jumps = jumps + 1 end -- only at midnight
      assert.is_truthy(s:match("^%d%d:%d%d:%d%d;%d%d$"))
      prev = c
    end
    assert.is_true(jumps <= 1)
  end)

  it("derives the time of day from TAI minus the documented offset", function()
    assert.equal(37, media.tai_utc_offset())
    local day = 20000
    local idx = (day * 86400 + 37) * 25 + 25 * 3723 + 4 -- 01:02:03:04 UTC at 25 fps
    assert.equal("01:02:03:04", (media.timecode(idx, 25, 1)))
    assert.equal("01:02:03:04", (media.timecode(nil, 25, 1, (day * 86400 + 37 + 3723) * 1000000000 + 160000000)))
  end)
end)

describe("mxl.media ANC", function()
  it("builds ATC and CEA-608 packets that parse back with valid parity and checksums", function()
    local buf = mxl.buffer(4096)
    local num, den = 60000, 1001
    local frame = mxl.current_index({ num, den })
    local atc, label = media.anc_timecode_packet(frame, num, den)
    local cc = media.anc_cc608_packet(frame)
    local used = media.anc_build(buf, { atc, cc })
    assert.equal(6 + 32 + 16, used)
    local p = media.anc_parse(buf)
    assert.equal(2, p.count)
    assert.equal(48, p.length)
    assert.is_false(p.truncated)
    for i, pk in ipairs(p.packets) do
      assert.is_true(pk.parity_ok)
      assert.is_true(pk.checksum_ok)
      assert.equal(i == 1 and 0x60 or 0x61, pk.did)
    end
    assert.same(atc.udw, p.packets[1].udw)
    assert.equal(9, p.packets[1].line)
    local s, f = media.atc_decode(p.packets[1], 30)
    -- above 30 fps the ATC carries frame pairs: label frames // 2, field mark on odd frames
    local _, vf = media.timecode(frame, num, den)
    assert.equal(vf.frames // 2, f.frames)
    assert.equal(vf.frames % 2 == 1, f.field_mark)
    assert.equal(label:sub(1, 8), s:sub(1, 8))
    assert.equal(frame & 0xffffffff, f.user)
    -- corrupt one UDW bit: checksum fails
    local b = buf:get_u8(6 + 9)
    buf:set_u8(6 + 9, b ~ 0x10)
    assert.is_false(media.anc_parse(buf).packets[1].checksum_ok)
  end)

  it("parses any bytes without reading outside the view", function()
    math.randomseed(7)
    for _ = 1, 3000 do
      local n = math.random(0, 300)
      local t = {}
      for i = 1, n do t[i] = string.char(math.random(0, 255)) end
      local v = mxl.buffer(table.concat(t))
      local p, err = media.anc_parse(v)
      if n < 6 then assert.is_nil(p) assert.is_string(err) else assert.is_table(p) end
    end
  end)
end)

describe("mxl.media audio", function()
  it("computes the tone phase from (s*f) mod R exactly at 8.6e13 samples", function()
    local s = 86000000000000
    for k = 0, 20 do
      local e = 0.1 * math.sin(2 * math.pi * (((s + k) * 1000) % 48000) / 48000)
      assert.is_true(math.abs(media.tone_sample(s + k, { rate = 48000, freq = 1000, level = -20 }) - e) < 1e-12)
    end
    local e = math.sin(2 * math.pi * ((s * 997) % 48000) / 48000)
    assert.is_true(math.abs(media.tone_sample(s, { rate = 48000, freq = 997, amplitude = 1 }) - e) < 1e-12)
  end)

  it("fills a wrapped window and replaces the tone by the beep on flash grains", function()
    local f0, f1 = mxl.buffer(400), mxl.buffer(240) -- 100 + 60 float32 samples
    local beep = { period = 30, video_rate = { 30000, 1001 }, freq = 2000, level = -6 }
    local first = 48048 - 80 -- grain 30 starts at sample 48048
    assert.equal(160, media.tone_fill(f0, f1, first, 4, { rate = 48000, freq = 1000, level = -20 }, beep))
    for k = 0, 159 do
      local v = k < 100 and f0:get_f32(k * 4) or f1:get_f32((k - 100) * 4)
      local s = first + k
      local want = s >= 48048 and media.tone_sample(s, { rate = 48000, freq = 2000, level = -6 })
        or media.tone_sample(s, { rate = 48000, freq = 1000, level = -20 })
      assert.is_true(math.abs(v - want) < 1e-6)
    end
    assert.same({ true, 49650 }, { media.beep_at(48048, 48000, beep) })
    local d = mxl.buffer(80)
    media.tone_fill(d, nil, 5, 8, { rate = 48000, freq = 1000, silence = true })
    assert.equal(0.0, d:get_f64(8))
  end)
end)

describe("mxl.media snapshots and ids", function()
  it("writes a PNG of a v210 picture", function()
    local w, h = 96, 54
    local buf = mxl.buffer(media.v210_stride(w) * h)
    media.render_bars(buf, w, h, "bars100")
    local rgb = media.v210_to_rgb(buf, w, h)
    assert.equal(w * h * 3, #rgb)
    assert.same({ 255, 255, 255 }, { rgb:byte(1, 3) })
    local path = os.tmpname() .. ".png"
    assert.is_true(media.png_write(path, buf, w, h))
    local f = assert(io.open(path, "rb"))
    assert.equal("\137PNG\r\n\26\n", f:read(8))
    f:close()
    os.remove(path)
    local ok, err = media.png_write("/nonexistent/x.png", buf, w, h)
    assert.is_nil(ok)
    assert.is_string(err)
  end)

  it("makes v4 and v5 UUIDs", function()
    assert.equal("886313e1-3b8a-5372-9b90-0c9aee199e5d",
      media.uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"))
    local a, b = media.uuid4(), media.uuid4()
    assert.is_truthy(a:match("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$"))
    assert.not_equal(a, b)
  end)
end)
