-- snapshot: grab one video grain (by index, or the latest) to a PNG (v210 -> RGB in C, PNG through libpng), or N
-- seconds of an audio flow to a WAV (float32, WAVE_FORMAT_IEEE_FLOAT); --ascii prints a coarse preview.
--
--   mxlrun scripts/snapshot.lua -d /dev/shm/mxl -f VIDEO_ID -o frame.png [--ascii]
--   mxlrun scripts/snapshot.lua 'mxl:///dev/shm/mxl?id=AUDIO_ID' --seconds 2 -o tone.wav
local mxl = require "mxl"
local media = mxl.media
local tools = require "mxl.tools"

local TOOL = "snapshot"
local USAGE = [[
usage: mxlrun scripts/snapshot.lua [options] [mxl://[host]/domain?id=FLOW]
  -d, --domain DIR      MXL domain                 -f, --flow ID    the flow (video or audio)
  -o, --output FILE     PNG (video) or WAV (audio) to write (default snapshot-<id>-<index>.png / snapshot-<id>.wav)
  -i, --index N         video: the grain to grab (default: the latest complete grain; for interlaced flows the
                        latest complete frame, both fields woven)
  -s, --seconds S       audio: seconds to record from now (default 1)
      --ascii           print a coarse text preview (video: the picture; audio: a level strip per channel)
      --cols N          preview width in characters (80)
      --no-file         only the preview, write no file
      --timeout-ms MS   how long to wait for data (1000)
      --json            print what was written as JSON
  -h, --help
Exit status: 0 written, 1 data not available (grain outside the ring, timeout, flow gone), 2 usage error
(missing domain, unknown flow, malformed URI, a data flow).
]]

local opts, positional = tools.getopt(tools.args(...), {
  { "d", "domain", "domain", arg = "string" }, { "f", "flow", "flow", arg = "string", multi = true },
  { "o", "output", "output", arg = "string" }, { "i", "index", "index", arg = "integer" },
  { "s", "seconds", "seconds", arg = "number" }, { nil, "ascii", "ascii" }, { nil, "cols", "cols", arg = "integer" },
  { nil, "no-file", "no_file" }, { nil, "timeout-ms", "timeout_ms", arg = "number" }, { nil, "json", "json" },
  { "h", "help", "help" },
}, TOOL)
if opts.help then
  io.stdout:write(USAGE)
  os.exit(0)
end
local domain, ids = tools.target(TOOL, opts, positional)
if #ids ~= 1 then tools.die(TOOL, #ids == 0 and "which flow? (-f ID or an mxl:// URI with ?id=)" or "one flow at a time") end
if opts.seconds and not (opts.seconds > 0) then tools.die(TOOL, "--seconds must be positive") end
if opts.cols and opts.cols < 8 then tools.die(TOOL, "--cols must be at least 8") end
local inst = tools.instance(TOOL, domain)
local r = tools.reader(TOOL, inst, ids[1])
local kind = tools.require_format(TOOL, r, "video", "audio")
local timeout = math.floor((opts.timeout_ms or 1000) * 1e6)
local id = r:id()
local cols = opts.cols or 80

local function fail(msg)
  io.stderr:write(TOOL, ": ", msg, "\n")
  os.exit(tools.FAIL)
end

-- A flow nothing was written to yet has head 0: wait (up to the timeout) for its first grain or samples.
do
  local deadline = mxl.now() + timeout
  while r:runtime_info() == 0 do
    if mxl.now() >= deadline or not tools.sleep(5000000) then fail("nothing was written to flow " .. id .. " yet") end
  end
end

-- ---- video ----------------------------------------------------------------------------------------------------------

local SHADES = " .:-=+*#%@"

local function ascii_picture(rgb, w, h)
  local rows = math.max(1, math.floor(cols * h / w / 2 + 0.5))
  local lines = {}
  for ry = 0, rows - 1 do
    local line = {}
    for cx = 0, cols - 1 do
      local sum, n = 0, 0
      for sy = 0, 2 do
        for sx = 0, 2 do
          local x = math.min(w - 1, math.floor((cx + (sx + 0.5) / 3) * w / cols))
          local y = math.min(h - 1, math.floor((ry + (sy + 0.5) / 3) * h / rows))
          local o = (y * w + x) * 3
          local R, G, B = rgb:byte(o + 1, o + 3)
          sum = sum + 0.2126 * R + 0.7152 * G + 0.0722 * B
          n = n + 1
        end
      end
      local l = sum / n / 255
      line[#line + 1] = SHADES:sub(math.floor(l * (#SHADES - 1) + 0.5) + 1, math.floor(l * (#SHADES - 1) + 0.5) + 1)
    end
    lines[#lines + 1] = table.concat(line)
  end
  return table.concat(lines, "\n") .. "\n"
end

local function grab_video()
  local def = inst:flow_def_table(id) or {}
  local w, h = def.frame_width, def.frame_height
  if not (w and h) then fail("flow definition of " .. id .. " has no frame size") end
  local il = def.interlace_mode or "progressive"
  local fields = il == "interlaced_tff" or il == "interlaced_bff"
  local bff = il == "interlaced_bff"
  local head = r:runtime_info()
  local function get(i, wait)
    local v, msg, code
    if wait then v, msg, code = r:get_grain(i, timeout) else v, msg, code = r:get_grain_nonblocking(i) end
    return v, msg, code
  end
  local index = opts.index
  local view, msg, code
  local frame -- woven frame buffer for interlaced flows
  if not fields then
    if index then
      view, msg = get(index, true)
    else
      index = head
      view, msg, code = get(index, false)
      if not view and code == "TOO_EARLY" then -- the head grain is still being written: the one before
        index = head - 1
        view, msg = get(index, false)
      end
    end
    if not view then fail(("cannot grab grain %d: %s"):format(index, tostring(msg))) end
    -- copy it out of the ring first (a PNG encode can outlast the ring), then check the slot was not reused
    local copy = mxl.buffer(#view)
    copy:copy(view)
    if not view:valid() then fail(("grain %d was overwritten while being copied"):format(index)) end
    view = copy
  else
    -- the frame of grain `index` (or the latest frame whose two fields are complete)
    local f1
    if index then
      f1 = index - index % 2
    else
      f1 = head - head % 2
      if not get(f1 + 1, false) then f1 = f1 - 2 end
    end
    local stride = media.v210_stride(w)
    frame = mxl.buffer(stride * h)
    for g = f1, f1 + 1 do
      local v, m = get(g, index ~= nil)
      if not v then fail(("cannot grab field grain %d: %s"):format(g, tostring(m))) end
      local parity = (g % 2) ~ (bff and 1 or 0)
      for row = 0, h // 2 - 1 do frame:copy(v, (2 * row + parity) * stride, row * stride, stride) end
      if not v:valid() then fail(("field grain %d was overwritten while being copied"):format(g)) end
    end
    view = frame
    index = index or f1
  end
  local result = { flow = id, format = "video", index = index, width = w, height = h,
                   timestamp = mxl.index_to_timestamp(r:info().grainRate, index),
                   timecode = (media.timecode(fields and index // 2 or index, def.grain_rate.numerator,
                     def.grain_rate.denominator)) }
  local counter = media.frame_counter_decode(view, w, h)
  result.counter = counter or mxl.null
  if not opts.no_file then
    local out = opts.output or ("snapshot-%s-%d.png"):format(id:sub(1, 8), index)
    local ok, err = media.png_write(out, view, w, h)
    if not ok then fail(err) end
    result.file = out
  end
  local preview = opts.ascii and ascii_picture(media.v210_to_rgb(view, w, h), w, h) or nil
  return result, preview
end

-- ---- audio ----------------------------------------------------------------------------------------------------------

local function wav_header(channels, rate, frames)
  local data = frames * channels * 4
  return "RIFF" .. string.pack("<I4", 4 + 26 + 12 + 8 + data) .. "WAVE"
    .. "fmt " .. string.pack("<I4I2I2I4I4I2I2I2", 18, 3, channels, rate, rate * channels * 4, channels * 4, 32, 0)
    .. "fact" .. string.pack("<I4I4", 4, frames)
    .. "data" .. string.pack("<I4", data)
end

local function grab_audio()
  local info = r:info()
  local rate = info.grainRate.numerator // info.grainRate.denominator
  local channels = info.channelCount
  local total = math.floor((opts.seconds or 1) * rate + 0.5)
  local chunk = math.max(1, math.min(r:max_samples() // 2, rate // 20))
  local start = r:runtime_info()
  local out = not opts.no_file and (opts.output or ("snapshot-%s.wav"):format(id:sub(1, 8))) or nil
  local f
  if out then
    local err
    f, err = io.open(out, "wb")
    if not f then fail("cannot write " .. tostring(err)) end
    f:write(wav_header(channels, rate, total))
  end
  local peaks = {}
  for c = 1, channels do peaks[c] = {} end
  local bins = cols - 8
  local got = 0
  local chans = {}
  local packed = {}
  local fmt = "<" .. string.rep("f", channels)
  local interrupted = false
  while got < total do
    local n = math.min(chunk, total - got)
    local win, msg, code = r:get_samples(start + got + n, n, timeout)
    if not win and code == "INTERRUPTED" then -- Ctrl-C: keep what was captured
      interrupted = true
      break
    end
    if not win then
      if f then f:close() os.remove(out) end
      fail(("cannot read samples [%d, %d): %s"):format(start + got, start + got + n, tostring(msg)))
    end
    for c = 1, channels do chans[c] = win:read(c - 1, chans[c]) end
    for i = 1, n do
      local frame = {}
      for c = 1, channels do
        local x = chans[c][i]
        frame[c] = x
        local b = math.min(bins, (got + i - 1) * bins // total + 1)
        local a = math.abs(x)
        if not peaks[c][b] or a > peaks[c][b] then peaks[c][b] = a end
      end
      packed[i] = string.pack(fmt, table.unpack(frame, 1, channels))
    end
    if f then f:write(table.concat(packed, "", 1, n)) end
    got = got + n
  end
  if f then
    if interrupted then -- the header announced `total` frames: say how many there are
      f:seek("set", 0)
      f:write(wav_header(channels, rate, got))
    end
    f:close()
  end
  total = got
  local result = { flow = id, format = "audio", first_sample = start, samples = total, channels = channels,
                   rate = rate, seconds = total / rate, file = out or mxl.null, interrupted = interrupted }
  local preview
  if opts.ascii then
    local L = {}
    for c = 1, channels do
      local line = {}
      for b = 1, bins do
        local p = peaks[c][b] or 0
        local db = p > 0 and 20 * math.log(p, 10) or -120
        local k = math.max(0, math.min(#SHADES - 1, math.floor((db + 60) / 60 * (#SHADES - 1) + 0.5)))
        line[b] = SHADES:sub(k + 1, k + 1)
      end
      local pk = 0
      for b = 1, bins do pk = math.max(pk, peaks[c][b] or 0) end
      L[#L + 1] = ("ch%-2d %s %6.1f dBFS peak"):format(c, table.concat(line), pk > 0 and 20 * math.log(pk, 10) or -120)
    end
    preview = table.concat(L, "\n") .. "\n"
  end
  return result, preview
end

local result, preview
if kind == "video" then result, preview = grab_video() else result, preview = grab_audio() end
r:close()
if preview then io.stdout:write(preview) end
if opts.json then
  io.stdout:write(tools.json(result, "  "), "\n")
elseif result.file ~= mxl.null and result.file then
  if kind == "video" then
    io.stdout:write(("wrote %s: grain %d of %s, %dx%d, counter %s, timecode %s\n"):format(result.file, result.index,
      id, result.width, result.height, tostring(result.counter ~= mxl.null and result.counter or "-"), result.timecode))
  else
    io.stdout:write(("wrote %s: %d samples x %d channels at %d Hz (%.3f s) from sample %d of %s, float32%s\n"):format(
      result.file, result.samples, result.channels, result.rate, result.seconds, result.first_sample, id,
      result.interrupted and " (stopped early: interrupted)" or ""))
  end
end
os.exit(0)
