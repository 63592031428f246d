-- docs/lua-api.md documents every Lua module: every function and constant that mxl, mxl.media, mxl.flowdef,
-- mxl.pattern, mxl.rig and mxl.tools export is named there; mxl.flowdef rejects unknown keys naming the right one.
local H = require "spec.helper"
local mxl = H.mxl

local function doc()
  local f = assert(io.open(H.root .. "/docs/lua-api.md"))
  local s = f:read("a")
  f:close()
  return s
end

describe("docs/lua-api.md", function()
  local text = doc()
  local modules = {
    { "mxl", mxl, { "mxl.", "`" } },
    { "mxl.media", mxl.media, { "media.", "`", "r:" } },
    { "mxl.flowdef", require "mxl.flowdef", { "flowdef." } },
    { "mxl.pattern", require "mxl.pattern", { "pattern.", "p:" } },
    { "mxl.rig", require "mxl.rig", { "rig.", "r:" } },
    { "mxl.tools", require "mxl.tools", { "tools." } },
  }
  for _, m in ipairs(modules) do
    it("names every export of " .. m[1], function()
      local missing = {}
      for k in pairs(m[2]) do
        if type(k) == "string" and k ~= "__index" then
          local found = false
          for _, prefix in ipairs(m[3]) do
            if text:find(prefix .. k, 1, true) then found = true break end
          end
          if not found then missing[#missing + 1] = k end
        end
      end
      table.sort(missing)
      assert.same({}, missing)
    end)
  end
end)

describe("mxl.flowdef", function()
  local flowdef = require "mxl.flowdef"
  local function err(f, o)
    local ok, e = pcall(f, o)
    assert.is_false(ok)
    return e
  end

  it("rejects unknown keys and names the right one", function()
    -- before: channel_count was ignored and the flow got 2 channels
    local e = err(flowdef.audio, { label = "x", channel_count = 8 })
    assert.truthy(e:find("unknown key 'channel_count' - did you mean 'channels'?", 1, true), e)
    e = err(flowdef.audio, { label = "x", sample_rate = 96000 })
    assert.truthy(e:find("did you mean 'rate'?", 1, true), e)
    e = err(flowdef.video, { label = "x", frame_width = 1280 })
    assert.truthy(e:find("did you mean 'width'?", 1, true), e)
    e = err(flowdef.video, { label = "x", widht = 1280 })
    assert.truthy(e:find("unknown key 'widht' - did you mean 'width'?", 1, true), e)
    e = err(flowdef.video, { label = "x", interlace_mode = "tff" })
    assert.truthy(e:find("did you mean 'interlace'?", 1, true), e)
    e = err(flowdef.data, { label = "x", grain_rate = "50" })
    assert.truthy(e:find("did you mean 'rate'?", 1, true), e)
    e = err(flowdef.data, { label = "x", channels = 2 }) -- a key of another kind: not a data key
    assert.truthy(e:find("flowdef.data: unknown key 'channels'", 1, true), e)
    e = err(flowdef.video, { label = "x", zzzzzz = 1 })
    assert.truthy(e:find("unknown key 'zzzzzz' (keys: colorspace, description", 1, true), e)
    -- the right spelling works and gives what was asked
    local a = flowdef.audio{ label = "x", channels = 8 }
    assert.equal(8, a.channel_count)
    assert.equal(8, assert(mxl.parse_flow_def(a)).channelCount)
  end)

  it("always writes the group hint MXL requires", function()
    local d = flowdef.data{ label = "anc" }
    assert.same({ "anc:Data" }, d.tags[flowdef.GROUPHINT])
    local v = flowdef.video{ label = "x", group = "studio", role = "Key" }
    assert.same({ "studio:Key" }, v.tags[flowdef.GROUPHINT])
    -- without the tag MXL refuses the definition
    v.tags = {}
    assert.is_nil((mxl.parse_flow_def(v)))
  end)
end)
