-- Test-pattern generator: video bars with frame counter, timecode and label; a tone with a beep on every flash
-- grain; an ANC flow with ST 12-2 timecode and CEA-608 captions. All flows share one group hint and are paced on
-- the TAI timeline (docs/test-signals.md says what every grain and sample holds).
--
--   mxlrun [-d DOMAIN] scripts/test_pattern.lua [options]      (SIGINT / SIGTERM: clean stop, flows removed)
local mxl = require "mxl"
local media = mxl.media
local flowdef = require "mxl.flowdef"
local pattern = require "mxl.pattern"

local USAGE = [[
usage: mxlrun scripts/test_pattern.lua [options]
  --format F         picture format and rate: 1080p29.97 (default), 720p50, 1080i25, 1080p60, 2160p60, ...
  --size WxH         override the picture size          --rate R        override the frame rate (50, 30000/1001)
  --interlace M      progressive | tff | bff            --media-type T  video/v210 (default) | video/v210a
  --pattern P        bars75 | bars100 | hdbars | ramp | solid | checker   --colour C  solid colour
  --text LABEL       burnt-in label                     --group NAME    group hint name (default mxl-testsrc)
  --channels N       audio channels (2)                 --audio-rate R  sample rate (48000)
  --tone HZ[,HZ..]   tone per channel (1000); "distinct": channel n (from 1) plays n x 100 Hz
  --level DB         tone level in dBFS (-20)
  --beep-every S     beep + flash period in seconds (1; 0 = off)         --bit-depth 32|64
  --no-audio  --no-video  --no-anc                      --duration S    stop after S seconds
  --domain DIR       MXL domain (default: mxlrun's)     --history T     ring history (ns, or 200ms / 1s)
  --video-offset N   write grain i with the content of grain i+N (deliberate A/V misalignment)
  --audio-offset N   write sample s with the content of sample s+N
  --slices N         commit each video grain in N partial commits
  --flowdef FILE     JSON flow definition replacing the generated one of the same format
  --skip-every N     (test only) do not write every N-th video grain
  --quiet            no status output                   --help
]]

-- ---- options ------------------------------------------------------------------------------------------------

local function die(msg)
  io.stderr:write("test_pattern: ", msg, "\n")
  os.exit(2)
end

local function parse_args(argv)
  local o = { format = "1080p29.97", pattern = "bars75", group = "mxl-testsrc", channels = 2, audio_rate = 48000,
              tone = { 1000 }, level = -20, beep_every = 1, bit_depth = 32, video_offset = 0, audio_offset = 0,
              slices = 1, skip_every = 0, media_type = "video/v210" }
  local flags = { ["--no-audio"] = "no_audio", ["--no-video"] = "no_video", ["--no-anc"] = "no_anc",
                  ["--quiet"] = "quiet" }
  local ints = { ["--channels"] = "channels", ["--audio-rate"] = "audio_rate", ["--bit-depth"] = "bit_depth",
                 ["--video-offset"] = "video_offset", ["--audio-offset"] = "audio_offset", ["--slices"] = "slices",
                 ["--skip-every"] = "skip_every" }
  local strs = { ["--format"] = "format", ["--size"] = "size", ["--rate"] = "rate", ["--interlace"] = "interlace",
                 ["--pattern"] = "pattern", ["--colour"] = "colour", ["--color"] = "colour", ["--text"] = "text",
                 ["--group"] = "group", ["--domain"] = "domain", ["--history"] = "history",
                 ["--flowdef"] = "flowdef", ["--media-type"] = "media_type" }
  local nums = { ["--level"] = "level", ["--duration"] = "duration", ["--beep-every"] = "beep_every" }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local k, v = a:match("^(%-%-[%w-]+)=(.*)$")
    if not k then k = a end
    local function value()
      if v then return v end
      i = i + 1
      if argv[i] == nil then die("missing value for " .. k) end
      return argv[i]
    end
    if k == "--help" or k == "-h" then io.stdout:write(USAGE) os.exit(0)
    elseif flags[k] then o[flags[k]] = true
    elseif ints[k] then o[ints[k]] = math.tointeger(tonumber(value())) or die("integer expected for " .. k)
    elseif nums[k] then o[nums[k]] = tonumber(value()) or die("number expected for " .. k)
    elseif strs[k] then o[strs[k]] = value()
    elseif k == "--tone" then
      o.tone = {}
      local list = value()
      if list == "distinct" then o.tone_distinct = true list = "1000" end
      for f in list:gmatch("[^,]+") do o.tone[#o.tone + 1] = tonumber(f) or die("bad --tone " .. f) end
    else die("unknown option " .. a .. " (--help)") end
    i = i + 1
  end
  if o.slices < 1 then die("--slices must be >= 1") end
  if o.channels < 1 then die("--channels must be >= 1") end
  return o
end

local function parse_duration_ns(s)
  local n, unit = tostring(s):match("^([%d%.]+)(%a*)$")
  local scale = ({ [""] = 1, ns = 1, us = 1e3, ms = 1e6, s = 1e9 })[unit]
  if not n or not scale then die("bad duration '" .. tostring(s) .. "'") end
  return math.floor(tonumber(n) * scale)
end

local function read_json_file(path)
  local f = io.open(path, "rb") or die("cannot open " .. path)
  local text = f:read("a")
  f:close()
  local t, err = mxl.json_decode(text)
  if not t then die(path .. ": " .. tostring(err)) end
  return t
end

-- ---- set-up -------------------------------------------------------------------------------------------------

local opt = parse_args(arg or { ... })
local fmt = flowdef.video_format(opt.format)
if opt.size then
  local w, h = opt.size:match("^(%d+)x(%d+)$")
  if not w then die("bad --size " .. opt.size) end
  fmt.width, fmt.height = tonumber(w), tonumber(h)
end
if opt.rate then fmt.rate = flowdef.rate(opt.rate) end
if opt.interlace then
  fmt.interlace = ({ progressive = "progressive", tff = "interlaced_tff", bff = "interlaced_bff" })[opt.interlace]
    or die("bad --interlace " .. opt.interlace)
end
local label = opt.text or ("MXL TEST " .. opt.format .. " " .. opt.pattern)

local defs = {}
if not opt.no_video then
  defs.video = flowdef.video{ label = label, group = opt.group, width = fmt.width, height = fmt.height,
                              rate = fmt.rate, interlace = fmt.interlace, media_type = opt.media_type }
end
if not opt.no_audio then
  defs.audio = flowdef.audio{ label = label .. " audio", group = opt.group, channels = opt.channels,
                              rate = opt.audio_rate, bit_depth = opt.bit_depth }
end
if not opt.no_anc then
  defs.data = flowdef.data{ label = label .. " ANC", group = opt.group, rate = fmt.rate }
end
if opt.flowdef then
  local d = read_json_file(opt.flowdef)
  local kind = ({ ["urn:x-nmos:format:video"] = "video", ["urn:x-nmos:format:audio"] = "audio",
                  ["urn:x-nmos:format:data"] = "data" })[d.format] or die("--flowdef: unknown format")
  defs[kind] = d
  if kind == "video" then
    fmt.width, fmt.height = d.frame_width, d.frame_height
    fmt.rate = flowdef.rate(d.grain_rate)
    fmt.interlace = d.interlace_mode or "progressive"
  end
end
if not (defs.video or defs.audio or defs.data) then die("nothing to write") end

local wopts = nil
if opt.history then wopts = { ["urn:x-mxl:option:history_duration/v1.0"] = parse_duration_ns(opt.history) } end

-- A writer may create its domain (readers and tools never do): say so when it did.
local want = opt.domain or mxl.default_domain
local made, created, why = mxl.create_domain(want)
if not made then die(created .. (why == "PERMISSION_DENIED" and " (permission denied)" or "")) end
if created then
  io.stderr:write(("test_pattern: created domain %s%s\n"):format(want,
    mxl.is_tmpfs(want) and "" or " (not on tmpfs: flows will live on disk)"))
end
local inst, ierr = mxl.instance(want)
if not inst then die(tostring(ierr)) end
local domain = inst:domain()
local fnum, fden = fmt.rate.numerator, fmt.rate.denominator -- frame rate
local whole = pattern.whole(fnum, fden)
local period_frames = math.floor(opt.beep_every * whole + 0.5) -- flash / beep period in frames

local pat
local vnum, vden = fnum * ((fmt.interlace ~= "progressive") and 2 or 1), fden
local W = {}
for kind, def in pairs(defs) do
  local w, err = inst:writer(def, wopts)
  if not w then die(("cannot create the %s flow: %s"):format(kind, tostring(err))) end
  W[kind] = w
end
local fields = fmt.interlace ~= "progressive"
-- Video grains per frame (2 for fields): flash on grains whose index is a multiple of the whole grains per second
-- scaled by the period in seconds.
local vflash = period_frames * (fields and 2 or 1)
if W.video then
  pat = pattern.new{ width = fmt.width, height = fmt.height, rate = { fnum, fden }, interlace = fmt.interlace,
                     pattern = opt.pattern, colour = opt.colour, label = label, flash_period = vflash }
  vnum, vden = pat:grain_rate()
end
local vrate = { vnum, vden }
local arate = { opt.audio_rate, 1 }
local drate = { fnum, fden }

if not opt.quiet then
  local ids = {}
  for _, kind in ipairs({ "video", "audio", "data" }) do
    if W[kind] then
      ids[#ids + 1] = "id=" .. W[kind]:id()
      print(("%-5s %s  mxl://%s?id=%s"):format(kind, W[kind]:id(), domain, W[kind]:id()))
    end
  end
  print(("group %s:  mxl://%s?%s"):format(opt.group, domain, table.concat(ids, "&")))
  io.stdout:flush()
end

-- ---- writers ------------------------------------------------------------------------------------------------

local stats = { video = 0, audio = 0, data = 0, late = 0, skipped = 0, test_skipped = 0 }
local tones = {}
for c = 1, opt.channels do
  local f = opt.tone_distinct and c * 100 or opt.tone[math.min(c, #opt.tone)]
  tones[c] = { rate = opt.audio_rate, freq = f, level = opt.level }
end
local beep = period_frames > 0 and { period = vflash, video_rate = vrate, freq = 2000, level = -6 } or nil
local rows = fields and fmt.height // 2 or fmt.height -- video slices (lines) per grain


-- v210a: the key plane follows the fill plane; make it opaque (Y-range 940) once per ring slot.
local keyed = {}
local function write_key(view, slot)
  if keyed[slot] then return end
  local ks, fill = media.key_stride(fmt.width), media.v210_stride(fmt.width) * rows
  local a = {}
  for x = 1, fmt.width do a[x] = 940 end
  media.key_pack_line(view, fill, fmt.width, a)
  local line = view:sub(fill, ks)
  for r = 1, rows - 1 do view:copy(line, fill + r * ks) end
  keyed[slot] = true
end

local grain_count = W.video and W.video:info().grainCount or 1

local function write_video(i)
  if opt.skip_every > 0 and i % opt.skip_every == 0 then
    stats.test_skipped = stats.test_skipped + 1
    return
  end
  local view = assert(W.video:open_grain(i))
  pat:render(view, i + opt.video_offset)
  if opt.media_type == "video/v210a" then write_key(view, i % grain_count) end
  for k = 1, opt.slices - 1 do assert(W.video:commit_grain(rows * k // opt.slices)) end
  assert(W.video:commit_grain())
  stats.video = stats.video + 1
end

local function write_data(i)
  local view = assert(W.data:open_grain(i))
  local frame = i + (fields and opt.video_offset // 2 or opt.video_offset)
  local atc = media.anc_timecode_packet(frame, fnum, fden)
  media.anc_build(view, { atc, media.anc_cc608_packet(frame) })
  assert(W.data:commit_grain())
  stats.data = stats.data + 1
end

local max_samples = W.audio and W.audio:max_samples() or 0
local word = opt.bit_depth // 8

-- Write samples [first, last) (absolute indices), in windows of at most max_samples.
local function write_audio(first, last)
  while first < last do
    local n = math.min(last - first, max_samples)
    local s = assert(W.audio:open_samples(first + n, n))
    for c = 0, opt.channels - 1 do
      local v0, v1 = s:channel(c)
      media.tone_fill(v0, (v1 and #v1 > 0) and v1 or nil, first + opt.audio_offset, word, tones[c + 1], beep)
    end
    assert(W.audio:commit_samples())
    stats.audio = stats.audio + n
    first = first + n
  end
end

-- ---- status -------------------------------------------------------------------------------------------------

local tty = os.execute("test -t 1") == true
local t_start, cpu_start = mxl.now(), os.clock()
local last_status, last_cpu, last_wall = t_start, cpu_start, t_start
local function status(final)
  if opt.quiet then return end
  local now = mxl.now()
  if not final and now - last_status < (tty and 250000000 or 5000000000) then return end
  local cpu = 100 * (os.clock() - last_cpu) / math.max(1e-9, (now - last_wall) / 1e9)
  if final then cpu = 100 * (os.clock() - cpu_start) / math.max(1e-9, (now - t_start) / 1e9) end
  local line = ("video %d  audio %d  anc %d  late/skipped %d/%d%s  cpu %.1f%%"):format(stats.video, stats.audio,
    stats.data, stats.late, stats.skipped, stats.test_skipped > 0 and (" (test-skipped " .. stats.test_skipped .. ")")
    or "", cpu)
  if tty and not final then
    io.stdout:write("\r\27[K", line)
  else
    io.stdout:write(tty and "\r\27[K" or "", line, "\n")
  end
  io.stdout:flush()
  last_status, last_cpu, last_wall = now, os.clock(), now
end

-- The final status line when the loop ends (--duration, or Ctrl-C: the sleep returns INTERRUPTED) and also when an
-- error unwinds the script; mxlrun then closes the writers (flows removed) and exits 130/143 after a signal.
local _ <close> = setmetatable({}, { __close = function() status(true) end })

-- ---- pacing loop --------------------------------------------------------------------------------------------

-- Grain i is written only once its timestamp has passed (commit - indexToTimestamp(i) >= 0), whatever else the loop
-- woke for; an audio window ending at sample index E ([.., E)) is committed once indexToTimestamp(E) has passed, so
-- every flow's head lags its timestamp by a small positive amount (docs/test-signals.md gives the measured figure).
local function ts(rate, i) return mxl.index_to_timestamp(rate, i) end
-- The last index whose timestamp is at or before `now` (timestamp_to_index rounds to the nearest index).
local function passed(rate, now)
  local i = mxl.timestamp_to_index(rate, now)
  if ts(rate, i) > now then i = i - 1 end
  return i
end
local t0 = mxl.now()
local next_v = passed(vrate, t0) + 1
local next_d = passed(drate, t0) + 1
local next_a = mxl.timestamp_to_index(arate, ts(vrate, next_v)) -- audio starts with the first video grain
local batch = math.max(1, opt.audio_rate // 100) -- ~10 ms of samples per audio write
local deadline = opt.duration and (t_start + math.floor(opt.duration * 1e9)) or nil

while true do
  local wake = math.huge
  if W.video then wake = math.min(wake, ts(vrate, next_v)) end
  if W.data then wake = math.min(wake, ts(drate, next_d)) end
  if W.audio then wake = math.min(wake, ts(arate, next_a + batch)) end
  if deadline and wake > deadline then break end
  local ok, _, code = mxl.sleep_until(wake)
  if not ok and code == "INTERRUPTED" then break end -- Ctrl-C: stop writing; the final status line follows
  local now = mxl.now()
  if W.video then
    local due = passed(vrate, now)
    if due >= next_v then
      if due > next_v then -- grains whose time has passed by a whole period: skipped, never queued
        stats.late = stats.late + 1
        stats.skipped = stats.skipped + (due - next_v)
      end
      write_video(due)
      next_v = due + 1
    end
  end
  if W.data then
    local due = passed(drate, now)
    if due >= next_d then
      if due > next_d then stats.skipped = stats.skipped + (due - next_d) end
      write_data(due)
      next_d = due + 1
    end
  end
  if W.audio then
    local upto = passed(arate, mxl.now()) -- window end E with indexToTimestamp(E) <= now
    if upto - next_a > max_samples then -- more than the ring can take: skip ahead, count the gap
      stats.late = stats.late + 1
      stats.skipped = stats.skipped + 1
      next_a = upto - batch
    end
    if upto > next_a then
      write_audio(next_a, upto)
      next_a = upto
    end
  end
  status(false)
end
