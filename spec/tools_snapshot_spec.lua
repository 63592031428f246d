-- scripts/snapshot.lua end to end: a PNG of a test_pattern grain decoded back (media.png_read, libpng) matches the
-- documented 75 % bar colours and carries the grain's frame counter; interlaced fields are woven; a WAV of the tone
-- holds the generator's samples at their absolute indices; --ascii; data not available; bad input.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl
local media = mxl.media

local BARS75 = { { 721, 512, 512 }, { 674, 176, 543 }, { 581, 589, 176 }, { 534, 253, 207 }, { 251, 771, 817 },
                 { 204, 435, 848 }, { 111, 848, 481 }, { 64, 512, 512 } }

local function pixel(rgb, w, x, y)
  local o = (y * w + x) * 3
  return rgb:byte(o + 1, o + 3)
end

local function check_bars(rgb, w, h)
  local y = math.floor(h * 0.9)
  for i, c in ipairs(BARS75) do
    local x = math.floor((i - 0.5) * w / 8)
    local r, g, b = pixel(rgb, w, x, y)
    local er, eg, eb = S.ycbcr_to_rgb(c[1], c[2], c[3])
    assert.is_true(math.abs(r - er) <= 2 and math.abs(g - eg) <= 2 and math.abs(b - eb) <= 2,
      ("bar %d at (%d,%d): %d,%d,%d expected %d,%d,%d"):format(i, x, y, r, g, b, er, eg, eb))
  end
end

describe("scripts/snapshot.lua", function()
  local domain, gen
  local tmp = {}
  before_each(function() domain = H.tmpdomain() end)
  after_each(function()
    if gen then
      S.stop(gen)
      H.cleanup(gen)
    end
    gen = nil
    for _, p in ipairs(tmp) do os.remove(p) end
    tmp = {}
    H.rmrf(domain)
  end)

  local function tmpfile(ext)
    local p = os.tmpname() .. ext
    tmp[#tmp + 1] = p
    return p
  end

  it("writes a PNG whose decoded pixels are the bars and the grain's frame counter", function()
    -- a 2 s ring keeps the chosen grain readable while a slow (sanitizer, loaded) mxlrun starts the tool
    gen = S.generator(domain, "--size 320x180 --no-audio --no-anc --history 2s")
    local inst = assert(mxl.instance(domain))
    local r = assert(inst:reader(gen.ids.video))
    local h0 = H.until_true(function() return r:runtime_info() > 0 and r:runtime_info() end, 5)
    assert.truthy(H.until_true(function() return r:runtime_info() > h0 + 2 end, 5))
    local index = r:runtime_info()
    while index % 30 == 0 or not r:get_grain_nonblocking(index) do index = index - 1 end -- written, not a flash
    local png = tmpfile(".png")
    local rc, j, raw = S.tool_json("snapshot", ("-d %s -f %s --index %d -o %s --json"):format(H.q(domain),
      gen.ids.video, index, H.q(png)))
    assert.equal(0, rc, raw)
    assert.equal(index, j.index)
    assert.equal(png, j.file)
    assert.equal(index & 0xffffffff, j.counter)
    local w, h, rgb = media.png_read(png)
    assert.equal(320, w)
    assert.equal(180, h)
    check_bars(rgb, w, h)
    -- the counter band: 32 cells, MSB first, white = 1
    local band = media.counter_band(180)
    for k = 0, 31 do
      local bit = (j.counter >> (31 - k)) & 1
      local r8 = pixel(rgb, w, math.floor((k + 0.5) * w / 32), band // 2)
      if bit == 1 then assert.is_true(r8 > 240, "cell " .. k) else assert.is_true(r8 < 15, "cell " .. k) end
    end
    -- the latest grain, text report
    local png2 = tmpfile(".png")
    local rc2, out2 = S.tool("snapshot", ("%s -o %s"):format(H.q("mxl://" .. domain .. "?id=" .. gen.ids.video), H.q(png2)))
    assert.equal(0, rc2, out2)
    assert.truthy(out2:match("^wrote " .. png2:gsub("%p", "%%%0") .. ": grain %d+ of %S+, 320x180, counter %d+, timecode %d%d:%d%d:%d%d;%d%d\n"), out2)
    -- a grain that left the ring: data not available (1)
    local rc3, out3 = S.tool("snapshot", ("-d %s -f %s --index %d --no-file"):format(H.q(domain), gen.ids.video, index - 100))
    assert.equal(1, rc3, out3)
    assert.truthy(out3:match("^snapshot: cannot grab grain %d+: .*older than the ring window"), out3)
    r:close()
    inst:close()
  end)

  it("--ascii prints a coarse preview (and --no-file writes nothing)", function()
    gen = S.generator(domain, "--size 320x180 --no-audio --no-anc")
    local rc, out
    for _ = 1, 3 do -- a flash grain is all white: take another one
      rc, out = S.tool("snapshot", ("-d %s -f %s --ascii --no-file --cols 64"):format(H.q(domain), gen.ids.video))
      assert.equal(0, rc, out)
      if not out:find(string.rep("@", 64) .. "\n" .. string.rep("@", 64)) then break end
      mxl.sleep(40000000)
    end
    local lines = {}
    for l in out:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    assert.equal(18, #lines) -- 64 * 180 / 320 / 2
    for _, l in ipairs(lines) do assert.equal(64, #l) end
    -- bottom rows: the bars from bright (left) to dark (right)
    local row = lines[17]
    local shades = " .:-=+*#%@"
    assert.is_true(shades:find(row:sub(4, 4), 1, true) > shades:find(row:sub(61, 61), 1, true), row)
  end)

  it("weaves the two fields of an interlaced frame", function()
    gen = S.generator(domain, "--format 1080i25 --size 320x180 --no-audio --no-anc --history 2s")
    local png = tmpfile(".png")
    local inst = assert(mxl.instance(domain))
    local r = assert(inst:reader(gen.ids.video))
    local h0 = H.until_true(function() return r:runtime_info() > 0 and r:runtime_info() end, 5)
    assert.truthy(H.until_true(function() return r:runtime_info() > h0 + 4 end, 5))
    local index = r:runtime_info() - 2
    index = index - index % 2
    while index % 50 == 0 or not (r:get_grain_nonblocking(index) and r:get_grain_nonblocking(index + 1)) do
      index = index - 2 -- a frame whose two fields were written, not a flash
    end
    local rc, j, raw = S.tool_json("snapshot", ("-d %s -f %s --index %d -o %s --json"):format(H.q(domain),
      gen.ids.video, index, H.q(png)))
    assert.equal(0, rc, raw)
    local w, h, rgb = media.png_read(png)
    assert.equal(320, w)
    assert.equal(180, h)
    check_bars(rgb, w, h)
    local y = math.floor(h * 0.9)
    check_bars(rgb:sub(1, (y + 2) * w * 3):sub(w * 3 + 1) .. rgb:sub((y + 2) * w * 3 + 1), w, h) -- the other field
    r:close()
    inst:close()
  end)

  it("records N seconds of audio to a float32 WAV holding the tone at its absolute sample indices", function()
    gen = S.generator(domain, "--size 320x180 --no-anc")
    local wav = tmpfile(".wav")
    local rc, j, raw = S.tool_json("snapshot", ("-d %s -f %s --seconds 0.5 -o %s --json"):format(H.q(domain),
      gen.ids.audio, H.q(wav)))
    assert.equal(0, rc, raw)
    assert.equal(24000, j.samples)
    local f = assert(io.open(wav, "rb"))
    local data = f:read("a")
    f:close()
    assert.equal("RIFF", data:sub(1, 4))
    assert.equal(#data - 8, string.unpack("<I4", data, 5))
    assert.equal("WAVE", data:sub(9, 12))
    assert.equal("fmt ", data:sub(13, 16))
    local size, tag, ch, rate, brate, align, bits = string.unpack("<I4I2I2I4I4I2I2", data, 17)
    assert.same({ 18, 3, 2, 48000, 384000, 8, 32 }, { size, tag, ch, rate, brate, align, bits })
    assert.equal("fact", data:sub(39, 42))
    assert.equal(24000, string.unpack("<I4", data, 47))
    assert.equal("data", data:sub(51, 54))
    assert.equal(24000 * 8, string.unpack("<I4", data, 55))
    assert.equal(58 + 24000 * 8, #data)
    local tone = { rate = 48000, freq = 1000, level = -20 }
    local btone = { rate = 48000, freq = 2000, level = -6 }
    local beep = { period = 30, video_rate = { 30000, 1001 }, freq = 2000, level = -6 }
    local bad = 0
    for k = 0, 23999 do
      local s = j.first_sample + k
      local want = media.beep_at(s, 48000, beep) and media.tone_sample(s, btone) or media.tone_sample(s, tone)
      local l, r = string.unpack("<ff", data, 59 + k * 8)
      if math.abs(l - want) > 1e-6 or math.abs(r - want) > 1e-6 then bad = bad + 1 end
    end
    assert.equal(0, bad)
    local rc2, out2 = S.tool("snapshot", ("-d %s -f %s -s 0.1 --ascii --no-file --cols 40"):format(H.q(domain),
      gen.ids.audio))
    assert.equal(0, rc2, out2)
    assert.truthy(out2:match("^ch1  [ .:%-=+*#%%@]+ +%-[%d.]+ dBFS peak\nch2 "), out2)
  end)

  it("rejects bad input with exit code 2: missing domain, unknown flow, malformed URI, a data flow", function()
    local inst = assert(mxl.instance(domain))
    local d = H.data_def()
    local w = assert(inst:writer(d))
    local cases = {
      { "-d /dev/shm/mxl-spec-no-such-domain -f " .. d.id, "domain /dev/shm/mxl%-spec%-no%-such%-domain does not exist" },
      { "-d " .. H.q(domain) .. " -f " .. H.uuid(), "no flow %x+%-.- in domain" },
      { H.q("mxl://" .. domain .. "?id=" .. d.id .. "x"), "malformed URI" },
      { "-d " .. H.q(domain) .. " -f " .. d.id, "flow " .. d.id:gsub("%-", "%%-") .. " is a data flow; snapshot needs a video or audio flow" },
      { "-d " .. H.q(domain), "which flow%?" },
      { "-d " .. H.q(domain) .. " -f " .. d.id .. " --seconds -1", "%-%-seconds must be positive" },
    }
    for _, c in ipairs(cases) do
      local rc, out = S.tool("snapshot", c[1])
      assert.equal(2, rc, c[1] .. ": " .. out)
      assert.truthy(out:match("^snapshot: " .. c[2]), c[1] .. ": " .. out)
    end
    w:close()
    inst:close()
  end)
end)
