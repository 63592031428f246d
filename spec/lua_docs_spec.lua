-- The runnable example of docs/lua-api.md: its writer and reader blocks, run as written in two mxlrun processes.
local H = require "spec.helper"

local function block(doc, first_line)
  local code = doc:match("```lua\n(" .. first_line:gsub("%p", "%%%0") .. ".-)```")
  assert(code, "docs/lua-api.md has no ```lua block starting with " .. first_line)
  return code
end

describe("docs/lua-api.md example", function()
  local domain
  before_each(function() domain = H.tmpdomain() end)
  after_each(function() H.rmrf(domain) end)

  it("runs the writer and the reader scripts against each other", function()
    local f = assert(io.open(H.root .. "/docs/lua-api.md"))
    local doc = f:read("a")
    f:close()
    local writer = H.spawn(domain, block(doc, "-- writer.lua"), "3")
    local reader = H.spawn(domain, block(doc, "-- reader.lua"), "2f1e0a3c-4b5d-4e6f-8a7b-9c0d1e2f3a4b 40")
    local rrc = H.wait_rc(reader, 20)
    local wrc = H.wait_rc(writer, 20)
    local rout, wout = H.output(reader), H.output(writer)
    H.cleanup(reader)
    H.cleanup(writer)
    assert.equal(0, wrc, wout)
    assert.equal(0, rrc, rout)
    assert.truthy(wout:find("writing flow 2f1e0a3c-4b5d-4e6f-8a7b-9c0d1e2f3a4b", 1, true), wout)
    assert.equal("read 40 grains of flow 2f1e0a3c-4b5d-4e6f-8a7b-9c0d1e2f3a4b\n", rout)
    assert.is_false(H.isdir(domain .. "/2f1e0a3c-4b5d-4e6f-8a7b-9c0d1e2f3a4b.mxl-flow"))
  end)
end)
