-- Tools don't invent domains: given a missing domain (by mxlrun -d, by the tool's -d, or by a URI), every reader tool
-- exits 2 with "domain ... does not exist" and leaves nothing behind; only a writer (test_pattern.lua) creates one,
-- and says so. Before, `mxlrun -d /dev/shm/typo scripts/info.lua` made the directory and listed 0 flows.
local S = require "spec.tools_support"
local H = S.H

local ID = "5fbec3b1-1b0f-417d-9059-8b94a47197ed"

describe("a missing domain", function()
  local parent
  before_each(function() parent = H.tmpdomain() end)
  after_each(function() H.rmrf(parent) end)

  local cases = {
    { "info", "" }, { "info", "-f " .. ID }, { "verify", "--duration 1" }, { "sync_rig", "--group x --duration 1" },
    { "snapshot", "-f " .. ID }, { "data_probe", "-f " .. ID },
  }
  for _, c in ipairs(cases) do
    it(("is reported by %s %s, never created"):format(c[1], c[2]), function()
      local typo = parent .. "/typo/nested"
      for _, how in ipairs({ "mxlrun", "tool", "uri" }) do
        local cmd
        if how == "mxlrun" then
          cmd = ("%s -d %s -m %s %s"):format(H.q(H.mxlrun), H.q(typo), c[1], c[2])
        elseif how == "tool" then
          cmd = ("%s -m %s -d %s %s"):format(H.q(H.mxlrun), c[1], H.q(typo), c[2])
        else
          local args = c[2]:gsub("%-f " .. ID, "")
          cmd = ("%s -m %s %s %s"):format(H.q(H.mxlrun), c[1], H.q("mxl://" .. typo .. (c[2]:find(ID) and
            ("?id=" .. ID) or "")), args)
        end
        local rc, out = H.sh(cmd)
        assert.equal(2, rc, how .. ": " .. out)
        assert.truthy(out:find("domain " .. typo .. " does not exist", 1, true), how .. ": " .. out)
        assert.is_false(H.isdir(parent .. "/typo"), how .. ": the domain was created")
      end
    end)
  end

  it("is created by test_pattern, which says so", function()
    local typo = parent .. "/new/domain"
    local rc, out = H.sh(("%s -d %s -m test_pattern --size 320x180 --duration 0.3 --quiet"):format(H.q(H.mxlrun),
      H.q(typo)))
    assert.equal(0, rc, out)
    assert.equal("test_pattern: created domain " .. typo .. "\n", out)
    assert.is_true(H.isdir(typo))
    rc, out = H.sh(("%s -d %s -m test_pattern --size 320x180 --duration 0.3 --quiet"):format(H.q(H.mxlrun), H.q(typo)))
    assert.equal(0, rc, out)
    assert.equal("", out) -- it existed: nothing to say
  end)
end)
