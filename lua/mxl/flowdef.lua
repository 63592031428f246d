-- mxl.flowdef: NMOS IS-04 flow definitions (as Lua tables, ready for inst:writer(def)) for the formats MXL
-- carries: video (video/v210, video/v210a), audio (float32 / float64 samples) and data (video/smpte291).
--
--   local flowdef = require "mxl.flowdef"
--   local v = flowdef.video{ label = "bars", group = "testsrc", format = "1080p29.97" }
--   local a = flowdef.audio{ label = "tone", group = "testsrc", channels = 2 }
--   local d = flowdef.data{ label = "atc", group = "testsrc", rate = v.grain_rate }
--
-- Ids: `id` as given, else a deterministic UUIDv5 of `name` (in flowdef.NAMESPACE) when `name` is given, else a
-- fresh UUIDv4. Group hints are "<group>:<role>" (role Video / Audio / Data unless given).
local mxl = require "mxl"
local media = mxl.media

local M = {}

M.GROUPHINT = "urn:x-nmos:tag:grouphint/v1.0"
-- Namespace of name-based flow ids (a fixed random UUID of this project).
M.NAMESPACE = "3f1d4c8a-5b7e-4d2a-9c61-0e8b7a2f4d10"

local function array(t)
  if mxl.array then return mxl.array(t or {}) end
  return t or {}
end

-- flowdef.id([name]) -> UUID text: v5 of name in M.NAMESPACE, or a random v4.
function M.id(name)
  if name then return media.uuid5(M.NAMESPACE, name) end
  return media.uuid4()
end

-- flowdef.rate(r) -> {numerator=, denominator=}: accepts {n, d}, {numerator=, denominator=}, "n/d", "29.97"
-- (the 1001 rates by their usual decimal names), or an integer.
function M.rate(r)
  local n, d
  if type(r) == "table" then
    n, d = r.numerator or r[1], r.denominator or r[2] or 1
  elseif type(r) == "number" then
    if math.type(r) == "integer" or r == math.floor(r) then
      n, d = math.tointeger(r), 1
    else
      return M.rate(string.format("%.3f", r))
    end
  elseif type(r) == "string" then
    local a, b = r:match("^(%d+)/(%d+)$")
    if a then
      n, d = tonumber(a), tonumber(b)
    else
      local decimals = { ["23.98"] = 24, ["23.976"] = 24, ["29.97"] = 30, ["47.95"] = 48, ["59.94"] = 60,
                         ["119.88"] = 120 }
      local v = tonumber(r)
      if not v then error("flowdef.rate: cannot parse rate '" .. r .. "'", 2) end
      local key = r:gsub("0+$", ""):gsub("%.$", "")
      for name, whole in pairs(decimals) do
        if key == name or math.abs(v - whole * 1000 / 1001) < 0.005 then return { numerator = whole * 1000, denominator = 1001 } end
      end
      if v ~= math.floor(v) then error("flowdef.rate: not a known rate '" .. r .. "'", 2) end
      n, d = math.tointeger(v), 1
    end
  end
  n, d = math.tointeger(n), math.tointeger(d)
  if not n or not d or n <= 0 or d <= 0 then error("flowdef.rate: bad rate", 2) end
  return { numerator = n, denominator = d }
end

local widths = { [480] = 720, [486] = 720, [576] = 720, [720] = 1280, [1080] = 1920, [2160] = 3840, [4320] = 7680 }

-- flowdef.video_format("1080i25" | "720p50" | "2160p59.94" | "1080p29.97") -> {width=, height=, rate=, interlace=}.
-- The rate is the frame rate as NMOS writes it (1080i25 = 25 frames = 50 fields per second).
function M.video_format(name)
  local h, kind, r = tostring(name):match("^(%d+)([pi])([%d%.]+)$")
  h = tonumber(h)
  if not h or not widths[h] then error("flowdef.video_format: unknown format '" .. tostring(name) .. "'", 2) end
  return {
    width = widths[h],
    height = h,
    rate = M.rate(r),
    interlace = kind == "i" and "interlaced_tff" or "progressive",
  }
end

-- ---- option checking: unknown keys are errors that name the right one ------------------------------------------

local COMMON_KEYS = { "label", "group", "role", "id", "name", "description" }
local KEYS = {
  video = { "format", "width", "height", "rate", "interlace", "media_type", "colorspace" },
  audio = { "channels", "rate", "bit_depth" },
  data = { "rate" },
}
-- Other spellings of a concept (the NMOS JSON names, the C header names, common guesses) -> the option's name.
local ALIASES = {
  channel_count = "channels", channelCount = "channels", channel = "channels", chans = "channels",
  sample_rate = "rate", sampleRate = "rate", grain_rate = "rate", grainRate = "rate", frame_rate = "rate",
  framerate = "rate", fps = "rate",
  frame_width = "width", frame_height = "height", w = "width", h = "height",
  interlace_mode = "interlace", scan = "interlace", media = "media_type", mediaType = "media_type",
  bits = "bit_depth", bitDepth = "bit_depth", depth = "bit_depth",
  group_hint = "group", grouphint = "group", groupHint = "group", tag = "group", tags = "group",
  uuid = "id", flow_id = "id", desc = "description", colour_space = "colorspace", color_space = "colorspace",
}

local function distance(a, b) -- Levenshtein, for "did you mean"
  local la, lb = #a, #b
  local prev = {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = { [0] = i }
    for j = 1, lb do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[lb]
end

local function check_keys(kind, o)
  if type(o) ~= "table" then error(("flowdef.%s: options table expected, got %s"):format(kind, type(o)), 3) end
  local allowed = {}
  for _, k in ipairs(COMMON_KEYS) do allowed[k] = true end
  for _, k in ipairs(KEYS[kind]) do allowed[k] = true end
  for k in pairs(o) do
    if not allowed[k] then
      local key = tostring(k)
      local hint = ALIASES[key]
      if hint and not allowed[hint] then hint = nil end
      if not hint then
        local best, bd = nil, 3
        for name in pairs(allowed) do
          local d = distance(key:lower(), name)
          if d < bd or (d == bd and best and name < best) then best, bd = name, d end
        end
        hint = best
      end
      local names = {}
      for name in pairs(allowed) do names[#names + 1] = name end
      table.sort(names)
      error(("flowdef.%s: unknown key '%s'%s (keys: %s)"):format(kind, key,
        hint and (" - did you mean '" .. hint .. "'?") or "", table.concat(names, ", ")), 3)
    end
  end
end

local function common(o, format, role)
  assert(type(o.label) == "string" and o.label ~= "", "flowdef: label required")
  local group = o.group or o.label
  return {
    id = o.id or M.id(o.name),
    label = o.label,
    description = o.description or o.label,
    format = format,
    tags = { [M.GROUPHINT] = { group .. ":" .. (o.role or role) } },
    parents = array(),
  }
end

-- flowdef.video{label=, group=, format="1080p29.97" | width=, height=, rate=, interlace=("progressive" |
-- "interlaced_tff" | "interlaced_bff"), media_type=("video/v210" | "video/v210a"), id=, name=, role=} -> table
function M.video(o)
  check_keys("video", o)
  local f = o.format and M.video_format(o.format) or {}
  local w, h = o.width or f.width or 1920, o.height or f.height or 1080
  local interlace = o.interlace or f.interlace or "progressive"
  if interlace == true or interlace == "tff" then interlace = "interlaced_tff" end
  if interlace == "bff" then interlace = "interlaced_bff" end
  if interlace == false then interlace = "progressive" end
  local mt = o.media_type or "video/v210"
  assert(mt == "video/v210" or mt == "video/v210a", "flowdef.video: media_type must be video/v210 or video/v210a")
  local def = common(o, "urn:x-nmos:format:video", "Video")
  def.media_type = mt
  def.grain_rate = M.rate(o.rate or f.rate or "30000/1001")
  def.frame_width = w
  def.frame_height = h
  def.interlace_mode = interlace
  def.colorspace = o.colorspace or "BT709"
  def.transfer_characteristic = "SDR"
  local comps = {
    { name = "Y", width = w, height = h, bit_depth = 10 },
    { name = "Cb", width = w // 2, height = h, bit_depth = 10 },
    { name = "Cr", width = w // 2, height = h, bit_depth = 10 },
  }
  if mt == "video/v210a" then comps[4] = { name = "A", width = w, height = h, bit_depth = 10 } end
  def.components = array(comps)
  return def
end

-- flowdef.audio{label=, group=, channels=2, rate=48000, bit_depth=32 | 64, id=, name=, role=} -> table
function M.audio(o)
  check_keys("audio", o)
  local bits = o.bit_depth or 32
  assert(bits == 32 or bits == 64, "flowdef.audio: bit_depth must be 32 or 64")
  local ch = o.channels or 2
  assert(math.type(ch) == "integer" and ch > 0, "flowdef.audio: channels must be a positive integer")
  local def = common(o, "urn:x-nmos:format:audio", "Audio")
  def.media_type = "audio/float32" -- MXL's sample format name; bit_depth 64 selects float64 words
  def.sample_rate = { numerator = math.tointeger(o.rate or 48000) }
  def.channel_count = ch
  def.bit_depth = bits
  return def
end

-- flowdef.data{label=, group=, rate=, id=, name=, role=} -> table (video/smpte291 ANC grains)
function M.data(o)
  check_keys("data", o)
  local def = common(o, "urn:x-nmos:format:data", "Data")
  def.media_type = "video/smpte291"
  def.grain_rate = M.rate(o.rate or "30000/1001")
  return def
end

-- flowdef.grain_rate(def) -> numerator, denominator of the MXL grain rate (the field rate for interlaced video).
function M.grain_rate(def)
  local r = def.grain_rate or def.sample_rate
  local n, d = r.numerator, r.denominator or 1
  if def.interlace_mode == "interlaced_tff" or def.interlace_mode == "interlaced_bff" then n = n * 2 end
  return n, d
end

return M
