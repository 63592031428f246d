-- mxl.pattern: the test picture of a flow, composed from the C renderers of mxl.media: a static background
-- (bars / ramp / solid / checker + label) prepared once, then per grain the moving box, the frame counter (low 32
-- bits of the grain index), the time-of-day timecode and, on flash grains, a white picture.
--
--   local pattern = require "mxl.pattern"
--   local p = pattern.new{ width = 1920, height = 1080, rate = {30000, 1001}, pattern = "bars75", label = "..." }
--   local view = writer:open_grain(i); local tc = p:render(view, i); writer:commit_grain()
--
-- `rate` is the frame rate (NMOS grain_rate); for interlaced pictures the grain index counts fields (field rate =
-- 2 x rate), even indices carry field 1, and the timecode is that of frame index // 2.
local mxl = require "mxl"
local media = mxl.media

local P = {}
P.__index = P

local function rate_of(r)
  if type(r) == "table" then return r.numerator or r[1], r.denominator or r[2] or 1 end
  return r, 1
end

-- Whole grains per second of a grain rate (30 for 30000/1001): flash and beep period.
function P.whole(num, den)
  return (num + den - 1) // den
end

-- pattern.new{width=, height=, rate=, interlace=, pattern=, colour=, checker=, label=, text_scale=, box=true,
-- counter=true, timecode=true, flash=true, flash_period=(grains; default whole grains per second)} -> object with :render(view, index), :grain_rate(), :grain_size(),
-- :is_flash(index), :renderer()
function P.new(o)
  local self = setmetatable({}, P)
  self.width, self.height = o.width or 1920, o.height or 1080
  self.num, self.den = rate_of(o.rate or { 30000, 1001 })
  local il = o.interlace
  if il == "interlaced_tff" then il = "tff" elseif il == "interlaced_bff" then il = "bff" end
  if il == true then il = "tff" end
  if il == false or il == nil then il = "progressive" end
  self.interlace = il
  self.fields = il ~= "progressive"
  self.gnum = self.fields and self.num * 2 or self.num
  self.gden = self.den
  self.flash_period = o.flash_period or ((o.flash == false) and 0 or P.whole(self.gnum, self.gden))
  self.timecode = o.timecode ~= false
  self.r = media.renderer{
    width = self.width, height = self.height, interlace = il, pattern = o.pattern or "bars75",
    colour = o.colour, checker = o.checker, label = o.label, text_scale = o.text_scale,
    box = o.box ~= false, counter = o.counter ~= false, flash_period = self.flash_period,
  }
  return self
end

-- p:grain_rate() -> numerator, denominator of the grain (field) rate.
function P:grain_rate()
  return self.gnum, self.gden
end

function P:grain_size()
  return self.r:grain_size()
end

function P:renderer()
  return self.r
end

-- p:is_flash(index) -> whether grain `index` is a flash grain (index % whole grains per second == 0).
function P:is_flash(index)
  return self.flash_period > 0 and index % self.flash_period == 0
end

-- p:frame_of(index) -> the video frame index of a grain (index // 2 for fields).
function P:frame_of(index)
  return self.fields and index // 2 or index
end

-- p:timecode(index) -> "HH:MM:SS:FF" (";" for drop-frame), fields: time of day of the grain's frame.
function P:timecode_of(index)
  return media.timecode(self:frame_of(index), self.num, self.den)
end

-- p:render(view, index [, force_full]) -> timecode text (or nil when timecode is off): draw grain `index`.
function P:render(view, index, force_full)
  local tc = self.timecode and self:timecode_of(index) or nil
  self.r:render(view, index, tc, force_full)
  return tc
end

return P
