-- mxl.flowdef: NMOS flow definitions that the MXL flow-definition parser accepts, with the expected geometry.
local H = require "spec.helper"
local mxl = H.mxl
local flowdef = require "mxl.flowdef"

describe("mxl.flowdef", function()
  it("builds a v210 1080p29.97 video flow", function()
    local def = flowdef.video{ label = "bars", group = "tp", format = "1080p29.97" }
    assert.same({ "tp:Video" }, def.tags[flowdef.GROUPHINT])
    local cfg = assert(mxl.parse_flow_def(def))
    assert.equal(def.id, cfg.id)
    assert.equal("video", cfg.format_name)
    assert.same({ 30000, 1001 }, { cfg.grainRate.numerator, cfg.grainRate.denominator })
    assert.equal(5120, cfg.sliceSizes[1])
  end)

  it("stores interlaced video at the field rate and v210a with a key plane", function()
    local def = flowdef.video{ label = "i", format = "1080i25", media_type = "video/v210a" }
    assert.equal("interlaced_tff", def.interlace_mode)
    local cfg = assert(mxl.parse_flow_def(def))
    assert.same({ 50, 1 }, { cfg.grainRate.numerator, cfg.grainRate.denominator })
    assert.same({ 5120, 2560, 0, 0 }, cfg.sliceSizes)
    assert.same({ 50, 1 }, { flowdef.grain_rate(def) })
    assert.equal(4, #def.components)
  end)

  it("builds audio (float32 and float64) and data flows", function()
    local a = assert(mxl.parse_flow_def(flowdef.audio{ label = "tone", group = "tp", channels = 8 }))
    assert.equal(8, a.channelCount)
    assert.equal(19456, a.bufferLength)
    local a64 = flowdef.audio{ label = "tone64", bit_depth = 64 }
    assert.equal(64, a64.bit_depth)
    assert.is_table(assert(mxl.parse_flow_def(a64)))
    local d = flowdef.data{ label = "atc", group = "tp", rate = "60000/1001" }
    assert.same({ "tp:Data" }, d.tags[flowdef.GROUPHINT])
    local cfg = assert(mxl.parse_flow_def(d))
    assert.equal("data", cfg.format_name)
    assert.equal(1, cfg.sliceSizes[1])
    assert.has_error(function() flowdef.audio{ label = "x", bit_depth = 24 } end)
    assert.has_error(function() flowdef.video{ label = "x", media_type = "video/raw" } end)
  end)

  it("makes deterministic v5 ids from names and fresh v4 ids otherwise", function()
    local a = flowdef.video{ label = "x", name = "studio/bars" }
    local b = flowdef.video{ label = "y", name = "studio/bars" }
    local c = flowdef.video{ label = "x" }
    assert.equal(a.id, b.id)
    assert.equal("5", a.id:sub(15, 15))
    assert.equal("4", c.id:sub(15, 15))
    assert.not_equal(a.id, flowdef.id("studio/tone"))
  end)

  it("parses rates and format names", function()
    assert.same({ numerator = 30000, denominator = 1001 }, flowdef.rate("29.97"))
    assert.same({ numerator = 60000, denominator = 1001 }, flowdef.rate("59.94"))
    assert.same({ numerator = 24000, denominator = 1001 }, flowdef.rate("23.976"))
    assert.same({ numerator = 50, denominator = 1 }, flowdef.rate(50))
    assert.same({ numerator = 25, denominator = 1 }, flowdef.rate({ 25 }))
    assert.same({ numerator = 30000, denominator = 1001 }, flowdef.rate("30000/1001"))
    local f = flowdef.video_format("720p50")
    assert.same({ 1280, 720, "progressive" }, { f.width, f.height, f.interlace })
    assert.equal(3840, flowdef.video_format("2160p60").width)
    assert.has_error(function() flowdef.video_format("999p1") end)
    assert.has_error(function() flowdef.rate("fast") end)
  end)
end)
