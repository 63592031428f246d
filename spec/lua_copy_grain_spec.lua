-- r:copy_grain(index): the guarded copy (mxlFlowReaderCopyGrain) from Lua.
local H = require "spec.helper"
local mxl = H.mxl

describe("reader:copy_grain", function()
  local domain
  before_each(function() domain = H.tmpdomain() end)
  after_each(function() H.rmrf(domain) end)

  it("copies a complete grain into a string, and reports TOO_EARLY / TOO_LATE like a get", function()
    local inst <close> = assert(mxl.instance(domain))
    local w <close> = assert(inst:writer({
      id = "7c1e2d3c-4b5a-4968-8776-a5b4c3d2e779", label = "copy", format = "urn:x-nmos:format:video",
      media_type = "video/v210", frame_width = 64, frame_height = 4, interlace_mode = "progressive",
      tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "t:Video" } },
      grain_rate = { numerator = 50, denominator = 1 },
    }))
    local r <close> = assert(inst:reader(w:id()))
    local G = w:info().grainCount
    local base = 5000
    for i = base, base + G do
      local g = assert(w:open_grain(i))
      g:fill(i & 0xff)
      g:set_u64(0, i)
      assert(w:commit_grain())
    end
    local s = assert(r:copy_grain(base + G))
    assert.equal(4 * 256, #s)                       -- 4 lines of 256 bytes (64 px: two 48-px v210 groups)
    assert.equal(base + G, (string.unpack("<I8", s)))
    assert.equal((base + G) & 0xff, s:byte(#s))
    local ok, msg, code = r:copy_grain(base + G + 1)
    assert.is_nil(ok)
    assert.equal("TOO_EARLY", code)
    assert.truthy(msg:match("not written yet"))
    ok, msg, code = r:copy_grain(base)
    assert.is_nil(ok)
    assert.equal("TOO_LATE", code)
  end)
end)
