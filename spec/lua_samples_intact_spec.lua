-- samples:valid() / samples:intact(): read-then-verify of an audio window (mxlFlowReaderSamplesIntact).
local H = require "spec.helper"
local mxl = H.mxl

describe("audio window read-then-verify", function()
  local domain
  before_each(function() domain = H.tmpdomain() end)
  after_each(function() H.rmrf(domain) end)

  it("stays valid until the writer comes within half a ring, then reports TOO_LATE", function()
    local inst <close> = assert(mxl.instance(domain))
    local w <close> = assert(inst:writer({
      id = "7c1e2d3c-4b5a-4968-8776-a5b4c3d2e778", label = "intact", format = "urn:x-nmos:format:audio",
      media_type = "audio/float32", bit_depth = 32, channel_count = 1,
      tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "t:Audio" } },
      sample_rate = { numerator = 48000, denominator = 1 },
    }))
    local r <close> = assert(inst:reader(w:id()))
    local L = w:info().bufferLength
    local half = L // 2
    local base = 1000000
    local ws = assert(w:open_samples(base, 480))
    assert.is_true(ws:valid())                      -- a writer's own window
    assert(w:commit_samples())
    local s = assert(r:get_samples_nonblocking(base, 480))
    assert.is_true(s:valid())
    local head, safe = base, base - 480 + L - half - 1
    while head < safe do
      local n = math.min(480, safe - head)
      assert(w:open_samples(head + n, n))
      assert(w:commit_samples())
      head = head + n
    end
    assert.is_true(s:intact())
    assert(w:open_samples(head + 1, 1))
    assert(w:commit_samples())
    local ok, msg, code = s:valid()
    assert.is_false(ok)
    assert.equal("TOO_LATE", code)
    assert.truthy(msg:match("overwritten while in use"))
  end)
end)
