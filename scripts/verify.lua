-- verify: check flows produced by scripts/test_pattern.lua against docs/test-signals.md, on top of mxl.rig (so it
-- also measures arrival skew, latency and missing data):
--   counter  frame counter = grain index: drops, repeats, out-of-order grains, content offsets
--   bars     bar colours within tolerance (documented 10-bit values for bars75/bars100; the reference render else)
--   anc      RFC 8331 parity/checksums, ST 12-2 timecode continuity and agreement with the video counter, captions
--   tone     every tone sample against the tone at its absolute sample index; frequency, level, phase
--   av       flash frame against beep onset, in samples and ms (the flash/beep schedule too)
--
--   mxlrun scripts/verify.lua [--group mxl-testsrc] [--duration 5] [--json]
local mxl = require "mxl"
local media = mxl.media
local tools = require "mxl.tools"
local rig = require "mxl.rig"

local TOOL = "verify"
local USAGE = [[
usage: mxlrun scripts/verify.lua [options] [mxl://[host]/domain?id=FLOW&id=FLOW..]
  -g, --group NAME        the generator's group (default mxl-testsrc): its Video, Audio and Data flows
  -f, --flow ID           a flow to verify (repeatable; its format says what it is)
      --video ID  --audio ID  --data ID        name the flows explicitly (the format must match)
      --pattern P         background (default: the last word of the video label if it names one, else bars75)
      --tone HZ[,HZ..]    tone per channel (1000) or "distinct" (channel n plays n x 100 Hz)
      --level DB          tone level in dBFS (-20)                --beep-every S   beep/flash period (1)
      --bar-tolerance N   10-bit code values a bar may be off (4)
      --tone-tolerance X  largest sample error against the tone (1e-5)
      --av-tolerance-ms X largest A/V offset that passes (1)
]]

local PATTERNS = { bars75 = true, bars100 = true, hdbars = true, smpte = true, ramp = true, solid = true,
                   checker = true }

local spec = {
  { "g", "group", "group", arg = "string" }, { "f", "flow", "flow", arg = "string", multi = true },
  { nil, "video", "video", arg = "string" }, { nil, "audio", "audio", arg = "string" },
  { nil, "data", "data", arg = "string" }, { nil, "pattern", "pattern", arg = "string" },
  { nil, "tone", "tone", arg = "string" }, { nil, "level", "level", arg = "number" },
  { nil, "beep-every", "beep_every", arg = "number" }, { nil, "bar-tolerance", "bar_tolerance", arg = "integer" },
  { nil, "tone-tolerance", "tone_tolerance", arg = "number" },
  { nil, "av-tolerance-ms", "av_tolerance_ms", arg = "number" },
}
for _, s in ipairs(rig.CLI) do spec[#spec + 1] = s end
local opts, positional = tools.getopt(tools.args(...), spec, TOOL)
if opts.help then
  io.stdout:write(USAGE, rig.CLI_HELP)
  os.exit(0)
end
if opts.pattern and not PATTERNS[opts.pattern] then tools.die(TOOL, "unknown --pattern " .. opts.pattern) end

-- ---- which flows ------------------------------------------------------------------------------------------------

local domain, ids = tools.target(TOOL, opts, positional)
opts.domain = domain
local inst = tools.instance(TOOL, domain)
local chosen = {} -- kind -> id
local function take(kind, id, how)
  if chosen[kind] and chosen[kind] ~= id then
    tools.die(TOOL, ("two %s flows (%s, %s): name one with --%s"):format(kind, chosen[kind], id, kind))
  end
  chosen[kind] = id
end
for _, kind in ipairs({ "video", "audio", "data" }) do
  if opts[kind] then
    local id = mxl.normalize_flow_id(opts[kind]) or tools.die(TOOL, ("bad flow id '%s' (--%s)"):format(opts[kind], kind))
    local r = tools.reader(TOOL, inst, id)
    if r:format() ~= kind then
      tools.die(TOOL, ("flow %s is a%s %s flow; --%s needs a %s flow"):format(id, r:format() == "audio" and "n" or "",
        r:format(), kind, kind))
    end
    r:close()
    take(kind, id)
  end
end
for _, id in ipairs(ids) do
  local r = tools.reader(TOOL, inst, id)
  take(r:format(), id)
  r:close()
end
if not next(chosen) then
  local group = opts.group or "mxl-testsrc"
  local deadline = mxl.now() + math.floor((opts.wait or 0) * 1e9)
  local found
  repeat
    found = tools.find_flows(inst, group)
    if #found > 0 or mxl.now() >= deadline then break end
  until not tools.sleep(50000000)
  if #found == 0 then tools.die(TOOL, ("no flow with group hint '%s:*' in %s"):format(group, domain)) end
  for _, f in ipairs(found) do take(f.format_name, f.id) end
end

-- ---- what the generator must have written ---------------------------------------------------------------------

local V, A, D = {}, {}, {}
if chosen.video then
  local def = inst:flow_def_table(chosen.video)
  local r = tools.reader(TOOL, inst, chosen.video)
  V.rate = r:info().grainRate
  r:close()
  V.w, V.h = def.frame_width, def.frame_height
  V.interlace = def.interlace_mode or "progressive"
  V.fields = V.interlace == "interlaced_tff" or V.interlace == "interlaced_bff"
  V.bff = V.interlace == "interlaced_bff"
  V.frame_rate = tools.rate(def.grain_rate)
  V.label = def.label or ""
  V.media_type = def.media_type
  local last = V.label:match("(%S+)$")
  V.pattern = opts.pattern or (last and PATTERNS[last] and last) or "bars75"
end
if chosen.data then
  local r = tools.reader(TOOL, inst, chosen.data)
  D.rate = r:info().grainRate
  r:close()
end
if chosen.audio then
  local r = tools.reader(TOOL, inst, chosen.audio)
  local info = r:info()
  A.rate = info.grainRate.numerator // info.grainRate.denominator
  A.channels = info.channelCount
  r:close()
end
inst:close()

local frame_rate = V.frame_rate or D.rate
local whole = frame_rate and (frame_rate.numerator + frame_rate.denominator - 1) // frame_rate.denominator
local vrate = V.rate or frame_rate -- video grain rate (fields for interlace)
local beep_every = opts.beep_every or 1
local vflash = whole and math.floor(beep_every * whole + 0.5) * (V.fields and 2 or 1) or 0
local beep = (vflash > 0 and vrate) and { period = vflash, video_rate = { vrate.numerator, vrate.denominator },
                                          freq = 2000, level = -6 } or nil
local level = opts.level or -20
local tones = {}
if A.channels then
  local list, distinct = {}, false
  if opts.tone == "distinct" then distinct = true
  elseif opts.tone then
    for f in opts.tone:gmatch("[^,]+") do list[#list + 1] = tonumber(f) or tools.die(TOOL, "bad --tone " .. f) end
  end
  if #list == 0 then list = { 1000 } end
  for c = 1, A.channels do
    tones[c] = { rate = A.rate, freq = distinct and c * 100 or list[math.min(c, #list)], level = level }
  end
end

local function signed32(x)
  x = x & 0xffffffff
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end

-- ---- the rig ----------------------------------------------------------------------------------------------------

local order = {}
local flows = {}
for _, kind in ipairs({ "video", "audio", "data" }) do
  if chosen[kind] then
    order[#order + 1] = kind
    flows[kind] = { id = chosen[kind], format = kind }
  end
end
local r = rig.new{ tool = TOOL, flows = flows, order = order,
                   rate = chosen.video and "video" or chosen.data and "data" or { 50, 1 } }

-- parity of the lines a video grain holds (nil for frames)
local function field_of(index)
  if not V.fields then return nil end
  return (index % 2) ~ (V.bff and 1 or 0)
end

-- ---- counter ------------------------------------------------------------------------------------------------------

local C = { grains = 0, dropped = 0, repeated = 0, out_of_order = 0, jumps = 0, offsets = {}, undecoded = 0,
            unverified = 0, content = {} } -- content[video index] = decoded content index, for the ANC check
r:check{
  name = "counter",
  step = function(step, fail)
    local m = step.video
    if not m then return end
    m.content = nil
    if not m.view then
      if m.missing ~= "overrun" and m.missing ~= "disappeared" then
        C.dropped = C.dropped + 1
        fail("grain %d dropped (%s)", m.index, m.missing_msg or m.missing)
      end
      C.prev_c = nil
      return
    end
    local c = media.frame_counter_decode(m.view, V.w, V.h, field_of(m.index))
    if not rig.intact(m) then -- the slot was reused while we decoded: no verdict on this grain
      C.unverified = C.unverified + 1
      C.prev_c = nil
      return
    end
    if not c then
      C.undecoded = C.undecoded + 1
      C.prev_c = nil
      fail("grain %d: no frame counter in the picture", m.index)
      return
    end
    C.grains = C.grains + 1
    local off = signed32(c - m.index)
    m.content = m.index + off
    C.content[m.index] = m.content
    C.content[m.index - 64] = nil
    if off ~= 0 then
      C.offsets[off] = (C.offsets[off] or 0) + 1
      fail("grain %d carries counter %d: the content of grain %d (offset %+d)", m.index, c, m.content, off)
    end
    if C.prev_c and C.prev_index == m.index - 1 then
      local d = signed32(c - C.prev_c)
      if d == 0 then
        C.repeated = C.repeated + 1
        fail("grain %d repeats counter %d of grain %d", m.index, c, C.prev_index)
      elseif d < 0 then
        C.out_of_order = C.out_of_order + 1
        fail("grain %d out of order: counter %d after %d", m.index, c, C.prev_c)
      elseif d > 1 then
        C.jumps = C.jumps + 1
        fail("counter jumps from %d to %d at grain %d (%d grains of content missing)", C.prev_c, c, m.index, d - 1)
      end
    end
    C.prev_c, C.prev_index = c, m.index
  end,
  finish = function()
    local offs = {}
    for off, n in pairs(C.offsets) do offs[#offs + 1] = ("%+d x%d"):format(off, n) end
    table.sort(offs)
    return { grains = C.grains, dropped = C.dropped, repeated = C.repeated, out_of_order = C.out_of_order,
             jumps = C.jumps, undecoded = C.undecoded, unverified = C.unverified, offsets = mxl.array(offs) },
      { ("%d counters decoded: %d dropped, %d repeated, %d out of order, %d jumps%s"):format(C.grains, C.dropped,
          C.repeated, C.out_of_order, C.jumps, #offs > 0 and (", content offsets " .. table.concat(offs, " ")) or "") }
  end,
}

-- ---- bars and flash -----------------------------------------------------------------------------------------------

local BARS = {
  bars75 = { { 721, 512, 512 }, { 674, 176, 543 }, { 581, 589, 176 }, { 534, 253, 207 }, { 251, 771, 817 },
             { 204, 435, 848 }, { 111, 848, 481 }, { 64, 512, 512 } },
  bars100 = { { 940, 512, 512 }, { 877, 64, 553 }, { 754, 615, 64 }, { 691, 167, 105 }, { 313, 857, 919 },
              { 250, 409, 960 }, { 127, 960, 471 }, { 64, 512, 512 } },
}
local BAR_NAMES = { "white", "yellow", "cyan", "green", "magenta", "red", "blue", "black" }

local probe = {} -- sample points: {x=, y0=, want={y, cb, cr}, name=}
if chosen.video then
  local y0 = math.floor(V.h * 0.9)
  local ref
  if not BARS[V.pattern] then
    ref = mxl.buffer(media.v210_stride(V.w) * V.h)
    media.render_pattern(ref, V.w, V.h, V.pattern)
  end
  for i = 0, 7 do
    local x = math.floor((i + 0.5) * V.w / 8) & ~1
    local want
    if ref then
      want = { media.get_pixel(ref, V.w, V.h, x, y0) }
    else
      want = BARS[V.pattern][i + 1]
    end
    probe[#probe + 1] = { x = x, y0 = y0, want = want, name = ref and ("x=" .. x) or BAR_NAMES[i + 1] }
  end
end
local all_white = true
for _, p in ipairs(probe) do
  if p.want[1] < 900 then all_white = false end
end

-- Sampled row of a grain: list of {y, cb, cr}, and whether it is a flash (every point 100 % white).
local function sample_row(m)
  local field = field_of(m.index)
  local pts, flash = {}, not all_white
  for i, p in ipairs(probe) do
    local y = p.y0
    if field and y % 2 ~= field then y = y - 1 end
    local yy, cb, cr = media.get_pixel(m.view, V.w, V.h, p.x, y, field)
    pts[i] = { yy or 0, cb or 0, cr or 0 }
    if not yy or yy < 900 or math.abs(cb - 512) > 16 or math.abs(cr - 512) > 16 then flash = false end
  end
  return pts, flash
end

local B = { grains = 0, flashes = 0, max_dev = 0, unverified = 0 }
local bar_tol = opts.bar_tolerance or 4
r:check{
  name = "bars",
  step = function(step, fail)
    local m = step.video
    if not m or not m.view then return end
    local pts, flash = sample_row(m)
    if not rig.intact(m) then
      B.unverified = B.unverified + 1
      m.flash = nil
      return
    end
    m.flash = flash
    if flash then
      B.flashes = B.flashes + 1
      return
    end
    B.grains = B.grains + 1
    for i, p in ipairs(probe) do
      local got, want = pts[i], p.want
      local dev = math.max(math.abs(got[1] - want[1]), math.abs(got[2] - want[2]), math.abs(got[3] - want[3]))
      if dev > B.max_dev then B.max_dev = dev end
      if dev > bar_tol then
        fail("grain %d %s at (%d,%d): Y/Cb/Cr %d/%d/%d, expected %d/%d/%d (off by %d)", m.index, p.name, p.x, p.y0,
          got[1], got[2], got[3], want[1], want[2], want[3], dev)
      end
    end
  end,
  finish = function()
    return { pattern = V.pattern or mxl.null, grains = B.grains, flashes = B.flashes, max_deviation = B.max_dev,
             tolerance = bar_tol, unverified = B.unverified },
      chosen.video and { ("%s: %d grains checked at %d points, largest deviation %d code values (tolerance %d)")
        :format(V.pattern, B.grains, #probe, B.max_dev, bar_tol) } or { "no video flow" }
  end,
}

-- ---- ANC ------------------------------------------------------------------------------------------------------------

local N = { grains = 0, packets = 0, parity = 0, checksum = 0, atc = 0, cc = 0, jumps = 0, first = nil, last = nil,
            unverified = 0, pending = {}, agreed = 0 }
local atc_fps = whole and (whole > 30 and whole // 2 or whole)
r:check{
  name = "anc",
  step = function(step, fail)
    local keep = {}
    for _, q in ipairs(N.pending) do
      local content = C.content[q.video]
      if content then
        local vframe = V.fields and content // 2 or content
        if (vframe & 0xffffffff) ~= q.user then
          fail("ANC grain %d: timecode frame %d disagrees with the video counter (frame %d of grain %d)", q.index,
            q.user, vframe & 0xffffffff, q.video)
        end
        N.agreed = N.agreed + 1
      elseif step.video and step.video.index < q.video + 4 then
        keep[#keep + 1] = q
      end
    end
    N.pending = keep
    local m = step.data
    if not m or not m.view or not m.new then return end
    local p = media.anc_parse(m.view)
    if not rig.intact(m) then
      N.unverified = N.unverified + 1
      N.prev_index = nil
      return
    end
    if not p then
      fail("grain %d: not an RFC 8331 payload", m.index)
      return
    end
    N.grains = N.grains + 1
    if p.truncated then fail("grain %d: truncated ANC payload (length %d, count %d)", m.index, p.length, p.count) end
    local atc, cc
    for k, pk in ipairs(p.packets) do
      N.packets = N.packets + 1
      if not pk.parity_ok then
        N.parity = N.parity + 1
        fail("grain %d packet %d (DID/SDID 0x%02X/0x%02X): parity error", m.index, k, pk.did, pk.sdid)
      end
      if not pk.checksum_ok then
        N.checksum = N.checksum + 1
        fail("grain %d packet %d (DID/SDID 0x%02X/0x%02X): checksum error", m.index, k, pk.did, pk.sdid)
      end
      if pk.did == 0x60 and pk.sdid == 0x60 then atc = pk end
      if pk.did == 0x61 and pk.sdid == 0x02 then cc = pk end
    end
    if not atc then
      fail("grain %d: no ST 12-2 timecode packet", m.index)
      return
    end
    local label, f = media.atc_decode(atc, atc_fps)
    if not label then
      fail("grain %d: undecodable ST 12-2 timecode", m.index)
      return
    end
    N.atc = N.atc + 1
    local frame = m.index + signed32(f.user - m.index)
    if frame ~= m.index then
      fail("ANC grain %d carries the timecode of frame %d (offset %+d)", m.index, frame, frame - m.index)
    end
    -- label = the frame's time of day (frame pairs above 30 fps)
    local want_pkt = media.anc_timecode_packet(frame, frame_rate.numerator, frame_rate.denominator)
    local want_label, wf = media.atc_decode(want_pkt, atc_fps)
    if want_label ~= label or wf.field_mark ~= f.field_mark then
      fail("ANC grain %d: timecode %s%s, expected %s%s for frame %d", m.index, label, f.field_mark and "*" or "",
        want_label, wf.field_mark and "*" or "", frame)
    end
    -- continuity from the previous ANC grain
    if N.prev_index == m.index - 1 and N.prev_user and ((f.user - N.prev_user) & 0xffffffff) ~= 1 then
      N.jumps = N.jumps + 1
      fail("timecode discontinuity at ANC grain %d: %s after %s (binary groups %d after %d)", m.index, label,
        N.prev_label, f.user, N.prev_user)
    end
    N.prev_index, N.prev_user, N.prev_label = m.index, f.user, label
    N.first = N.first or label
    N.last = label
    -- agreement with the video frame counter of the grain at this ANC grain's time (for interlaced video its first
    -- field, which may come a step later: checked then)
    if step.video then
      N.pending[#N.pending + 1] = { index = m.index, user = f.user,
                                    video = mxl.timestamp_to_index(vrate, mxl.index_to_timestamp(D.rate, m.index)) }
    end
    if cc then
      N.cc = N.cc + 1
      local want = media.anc_cc608_packet(frame).udw
      for i = 1, 3 do
        if cc.udw[i] ~= want[i] then
          fail("ANC grain %d: caption bytes %02X %02X %02X, expected %02X %02X %02X", m.index, cc.udw[1], cc.udw[2],
            cc.udw[3], want[1], want[2], want[3])
          break
        end
      end
    end
  end,
  finish = function()
    return { grains = N.grains, packets = N.packets, parity_errors = N.parity, checksum_errors = N.checksum,
             timecodes = N.atc, captions = N.cc, discontinuities = N.jumps, first = N.first or mxl.null,
             last = N.last or mxl.null, unverified = N.unverified, agreed_with_counter = N.agreed },
      chosen.data and { ("%d grains, %d packets (%d parity, %d checksum errors), timecode %s .. %s, %d discontinuities, "
        .. "%d agree with the video counter"):format(N.grains, N.packets, N.parity, N.checksum, N.first or "-",
          N.last or "-", N.jumps, N.agreed) } or { "no data flow" }
  end,
}

-- ---- audio: tone and beep onsets ----------------------------------------------------------------------------------

local AU = { ch = {}, onsets = {}, last_loud = nil, pending = {}, unverified = 0 }
local a_beep = 10 ^ (-6 / 20)
local a_tone = 10 ^ (level / 20)
local loud = (a_tone + a_beep) / 2
local guard = beep and math.ceil(2 * (A.rate or 48000) / 2000) or 48 -- two beep periods
local tone_tol = opts.tone_tolerance or 1e-5
local word

local function model(c)
  -- the generator's sample for content index c on channel 0
  if beep and media.beep_at(c, A.rate, beep) then
    return media.tone_sample(c, { rate = A.rate, freq = 2000, level = -6 })
  end
  return media.tone_sample(c, tones[1])
end

-- Exact onset of a beep seen loud at absolute sample m: the content shift N that makes the samples around m equal
-- the model; onset = beep start of the content - N.
local function refine(ch, m)
  if not beep then return { sample = m, exact = false } end
  local g = m * vrate.numerator / (A.rate * vrate.denominator)
  local gnear = math.floor(g / vflash + 0.5) * vflash
  local bc = mxl.timestamp_to_index({ A.rate, 1 }, mxl.index_to_timestamp(vrate, gnear))
  local n0 = bc - m
  local lo, hi = m - 40, m + 24
  local vals = word == 4 and ch.buf:get_f32_array((lo - ch.first) * 4, hi - lo + 1)
    or ch.buf:get_f64_array((lo - ch.first) * 8, hi - lo + 1)
  local best, bestn = math.huge, n0
  for n = n0 - 16, n0 + 16 do
    local e = 0
    for k = 1, #vals do
      e = e + math.abs(vals[k] - model(lo + k - 1 + n))
      if e >= best then break end
    end
    if e < best then best, bestn = e, n end
  end
  if best / (hi - lo + 1) < 1e-4 then return { sample = bc - bestn, exact = true, shift = bestn } end
  return { sample = m, exact = false }
end

local function new_channel(c, m)
  local cap = 4 * math.max(m.count, 4800) + 4 * guard
  local ch = { buf = mxl.buffer(cap * word), cap = cap, keep = 2 * math.max(m.count, 4800) + 2 * guard, first = -1,
               n = 0, done = 0, used = 0, mismatches = 0, max_err = 0, sxs = 0, sxc = 0, sss = 0, scc = 0, ssc = 0,
               zp = 0, zs = 0, excluded = 0 }
  AU.ch[c] = ch
  return ch
end

local function append(ch, win, c)
  local v0, v1 = win:channel(c)
  local count = win:count()
  local first = win:index() - count
  if ch.first + ch.n ~= first or count > ch.cap - ch.keep then -- gap (or an oversized window): start over
    ch.first, ch.n, ch.done = first, 0, first
    if count > ch.cap then
      ch.cap = count + ch.keep
      ch.buf = mxl.buffer(ch.cap * word)
    end
  end
  if ch.n + count > ch.cap then
    local keep = math.min(ch.n, ch.cap - count, ch.keep)
    ch.buf:copy(ch.buf, 0, (ch.n - keep) * word, keep * word)
    ch.first = ch.first + (ch.n - keep)
    ch.n = keep
  end
  local off = ch.n * word
  off = off + ch.buf:copy(v0, off)
  if v1 and #v1 > 0 then ch.buf:copy(v1, off) end
  ch.n = ch.n + count
end

r:check{
  name = "tone",
  step = function(step, fail)
    local m = step.audio
    if not m then return end
    if not m.window then
      for _, ch in pairs(AU.ch) do ch.n, ch.first = 0, -1 end
      return
    end
    word = word or m.window:word_size()
    for c = 0, A.channels - 1 do append(AU.ch[c] or new_channel(c, m), m.window, c) end
    if not rig.intact(m) then -- the writer went round the ring while we copied: drop this window
      AU.unverified = AU.unverified + 1
      for _, ch in pairs(AU.ch) do ch.first, ch.n = -1, 0 end
      AU.pending = {}
      return
    end
    for c = 0, A.channels - 1 do
      local ch = AU.ch[c]
      -- analyse up to `guard` samples before the end (the rest needs the next window as context)
      local from, to = math.max(0, ch.done - ch.first), ch.n - guard
      if to > from then
        local st = media.tone_analyze(ch.buf:sub(0, ch.n * word), ch.first, word, tones[c + 1],
          { beep = beep, from = from, to = to, loud = loud, guard = guard, tol = tone_tol })
        ch.used = ch.used + st.used
        ch.excluded = ch.excluded + st.excluded_expected + st.excluded_loud
        if st.max_err > ch.max_err then ch.max_err, ch.worst = st.max_err, ch.first + st.worst end
        if st.mismatches > 0 then
          ch.mismatches = ch.mismatches + st.mismatches
          fail("channel %d: %d samples differ from the tone at their absolute index (first at sample %d)", c + 1,
            st.mismatches, ch.first + st.first_mismatch)
        end
        ch.sxs, ch.sxc = ch.sxs + st.sxs, ch.sxc + st.sxc
        ch.sss, ch.scc, ch.ssc = ch.sss + st.sss, ch.scc + st.scc, ch.ssc + st.ssc
        ch.zp, ch.zs = ch.zp + st.zc_periods, ch.zs + st.zc_span
        -- beep onsets on channel 0: a loud sample after a quiet stretch
        if c == 0 then
          local vals = word == 4 and ch.buf:get_f32_array(from * 4, to - from)
            or ch.buf:get_f64_array(from * 8, to - from)
          for k = 1, #vals do
            if math.abs(vals[k]) > loud then
              local s = ch.first + from + k - 1
              if not AU.last_loud or s - AU.last_loud > 4 * guard then AU.pending[#AU.pending + 1] = s end
              AU.last_loud = s
            end
          end
        end
        ch.done = ch.first + to
      end
      if c == 0 then
        -- refine onsets once the samples around them are in the buffer
        local keep = {}
        for _, s in ipairs(AU.pending) do
          if s - 40 >= ch.first and s + 24 < ch.first + ch.n then
            AU.onsets[#AU.onsets + 1] = refine(ch, s)
          elseif s - 40 >= ch.first then
            keep[#keep + 1] = s
          end
        end
        AU.pending = keep
      end
    end
  end,
  finish = function(_, fail)
    local summary, lines = {}, {}
    for c = 0, (A.channels or 0) - 1 do
      local ch = AU.ch[c]
      local t = tones[c + 1]
      if ch and ch.used > 0 then
        local det = ch.sss * ch.scc - ch.ssc * ch.ssc
        local a = (ch.sxs * ch.scc - ch.sxc * ch.ssc) / det
        local b = (ch.sxc * ch.sss - ch.sxs * ch.ssc) / det
        local amp = math.sqrt(a * a + b * b)
        local lvl = amp > 0 and 20 * math.log(amp, 10) or -math.huge
        local phase = math.deg(math.atan(b, a))
        local freq = ch.zs > 0 and ch.zp / ch.zs * A.rate or 0
        local s = { channel = c + 1, freq_hz = freq, expected_freq_hz = t.freq, level_dbfs = lvl,
                    expected_level_dbfs = t.level, phase_deg = phase, compared = ch.used, mismatches = ch.mismatches,
                    max_error = ch.max_err, worst_sample = ch.worst or mxl.null }
        summary[#summary + 1] = s
        lines[#lines + 1] = ("ch%d: %.3f Hz, %.2f dBFS, phase %+.2f deg vs the absolute index; %d samples compared, %d differ (max error %.2g)")
          :format(c + 1, freq, lvl, phase, ch.used, ch.mismatches, ch.max_err)
        if math.abs(freq - t.freq) > math.max(0.05, t.freq * 1e-4) then
          fail("channel %d: frequency %.3f Hz, expected %g Hz", c + 1, freq, t.freq)
        end
        if math.abs(lvl - t.level) > 0.1 then fail("channel %d: level %.2f dBFS, expected %g dBFS", c + 1, lvl, t.level) end
        if math.abs(phase) > 0.5 then
          fail("channel %d: phase %+.2f deg against the absolute sample index (%.2f samples)", c + 1, phase,
            phase / 360 * A.rate / t.freq)
        end
      elseif A.channels then
        fail("channel %d: no tone samples analysed", c + 1)
      end
    end
    if not A.channels then lines[1] = "no audio flow" end
    if AU.unverified > 0 then
      lines[#lines + 1] = ("%d window%s dropped unverified (overwritten while being copied)"):format(AU.unverified,
        AU.unverified == 1 and "" or "s")
    end
    return mxl.array(summary), lines
  end,
}

-- ---- A/V alignment --------------------------------------------------------------------------------------------------

local FL = { flashes = {}, expected = 0, wrong = 0, first_index = nil, last_index = nil }
local av_tol = opts.av_tolerance_ms or 1
r:check{
  name = "av",
  step = function(step, fail)
    local m = step.video
    if not m or not m.view then return end
    FL.first_index = FL.first_index or m.index
    FL.last_index = m.index
    if m.flash == nil then return end -- not verified (see bars)
    local content = m.content or m.index
    local want = vflash > 0 and content % vflash == 0
    if m.flash then FL.flashes[#FL.flashes + 1] = m.index end
    if want then FL.expected = FL.expected + 1 end
    if vflash > 0 and not all_white and m.flash ~= want then
      FL.wrong = FL.wrong + 1
      fail("grain %d (content grain %d): %s", m.index, content, want and "flash missing" or "unexpected flash")
    end
  end,
  finish = function(rep, fail)
    if not (chosen.video and chosen.audio) then
      return { measured = false }, { "not measured: needs a video and an audio flow" }
    end
    local R_ = A.rate
    local function beep_start(g) return mxl.timestamp_to_index({ R_, 1 }, mxl.index_to_timestamp(vrate, g)) end
    local half = vflash > 0 and (vflash * vrate.denominator * R_ // vrate.numerator) // 2 or R_ // 2
    local pairs_, offsets = {}, {}
    for _, o in ipairs(AU.onsets) do
      local best
      for _, g in ipairs(FL.flashes) do
        local d = o.sample - beep_start(g)
        if math.abs(d) < half and (not best or math.abs(d) < math.abs(best.offset_samples)) then
          best = { flash_index = g, flash_sample = beep_start(g), onset_sample = o.sample, offset_samples = d,
                   offset_ms = d * 1000 / R_, exact = o.exact }
        end
      end
      if best then
        pairs_[#pairs_ + 1] = best
        offsets[#offsets + 1] = best.offset_samples
      end
    end
    local lines = {}
    if #pairs_ == 0 then
      local why = ("no flash/beep pair (%d flashes, %d beep onsets seen)"):format(#FL.flashes, #AU.onsets)
      if #FL.flashes > 0 and #AU.onsets > 0 then fail("A/V: %s within half a beep period", why) end
      return { measured = false, flashes = #FL.flashes, onsets = #AU.onsets }, { "not measured: " .. why }
    end
    table.sort(offsets)
    local med = offsets[(#offsets + 1) // 2]
    local ms = med * 1000 / R_
    local exact = true
    for _, p in ipairs(pairs_) do exact = exact and p.exact end
    local rel = med == 0 and "aligned" or (med < 0 and "audio leads video" or "audio lags video")
    lines[#lines + 1] = ("%d flash/beep pair%s: %s by %.3f ms (%d samples%s)"):format(#pairs_, #pairs_ == 1 and "" or "s",
      rel, math.abs(ms), math.abs(med), exact and ", sample exact" or ", +/- 0.25 ms")
    for i = 1, math.min(3, #pairs_) do
      local p = pairs_[i]
      lines[#lines + 1] = ("  flash grain %d (sample %d) / beep onset sample %d: %+d samples = %+.3f ms"):format(
        p.flash_index, p.flash_sample, p.onset_sample, p.offset_samples, p.offset_ms)
    end
    for _, p in ipairs(pairs_) do
      if math.abs(p.offset_ms) > av_tol then
        fail("A/V offset %+.3f ms (%+d samples): %s at flash grain %d (tolerance %g ms)", p.offset_ms, p.offset_samples,
          p.offset_samples < 0 and "audio leads video" or "audio lags video", p.flash_index, av_tol)
        break
      end
    end
    return { measured = true, pairs = mxl.array(pairs_), offset_samples = med, offset_ms = ms, exact = exact,
             tolerance_ms = av_tol, flashes = #FL.flashes, onsets = #AU.onsets }, lines
  end,
}

r:apply(opts)
os.exit(r:execute())
