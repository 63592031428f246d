-- Inspection is not reading: `info.lua -f` (and any reader opened with mxl.OPTION_INSPECT) leaves the flow's
-- lastReadTime and the atime of its `access` file alone, so "Last read time" shows real consumers only. Before,
-- info -f read the head grain through an ordinary reader, which touched `access` and moved lastReadTime.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local function access_atime(domain, id)
  local _, out = H.sh(("stat -c %%x %s"):format(H.q(domain .. "/" .. id .. ".mxl-flow/access")))
  return out
end

describe("inspection", function()
  local domain, holder, def, inst
  before_each(function()
    domain = H.tmpdomain()
    def = H.video_def()
    holder = S.holder(domain, { def }) -- a writer in another process: its watcher maintains lastReadTime
    inst = assert(mxl.instance(domain))
  end)
  after_each(function()
    inst:close()
    S.stop(holder)
    H.cleanup(holder)
    H.rmrf(domain)
  end)

  local function last_read()
    local r <close> = assert(inst:reader(def.id, { [mxl.OPTION_INSPECT] = true }))
    return select(3, r:runtime_info())
  end

  it("info -f leaves lastReadTime and the access file untouched; an ordinary read moves both", function()
    mxl.sleep(150000000)
    local t0, a0 = last_read(), access_atime(domain, def.id)
    for _ = 1, 3 do
      local rc, out = S.tool("info", "-d " .. H.q(domain) .. " -f " .. def.id)
      assert.equal(0, rc, out)
      assert.truthy(out:find("Head grain: 1/1 slices", 1, true) or out:find("Head grain:", 1, true), out)
      rc, out = S.tool("info", "-d " .. H.q(domain) .. " -f " .. def.id .. " --json")
      assert.equal(0, rc, out)
    end
    mxl.sleep(300000000) -- the writer's watcher would have stored a read by now
    assert.equal(t0, last_read())
    assert.equal(a0, access_atime(domain, def.id))

    -- an inspection reader reads grains without touching either
    local head = select(1, (function()
      local r <close> = assert(inst:reader(def.id, { [mxl.OPTION_INSPECT] = true }))
      local h = r:runtime_info()
      assert.truthy(r:get_grain(h, 100000000))
      assert.truthy(r:get_grain_nonblocking(h))
      return h
    end)())
    mxl.sleep(300000000)
    assert.equal(t0, last_read())
    assert.equal(a0, access_atime(domain, def.id))

    -- control: an ordinary reader's read is seen (so the checks above can fail)
    local r <close> = assert(inst:reader(def.id))
    assert.truthy(r:get_grain(head, 100000000))
    assert.truthy(H.until_true(function() return last_read() > t0 end, 3), "an ordinary read did not move lastReadTime")
    assert.are_not.equal(a0, access_atime(domain, def.id))
  end)

  it("keeps inspection and ordinary readers of one flow apart within an instance", function()
    local a <close> = assert(inst:reader(def.id))
    local b <close> = assert(inst:reader(def.id, { [mxl.OPTION_INSPECT] = true }))
    local c <close> = assert(inst:reader(def.id, mxl.json_encode({ [mxl.OPTION_INSPECT] = true })))
    mxl.sleep(150000000)
    local t0 = last_read()
    local h = b:runtime_info()
    assert.truthy(b:get_grain(h, 100000000))
    assert.truthy(c:get_grain(h, 100000000))
    mxl.sleep(300000000)
    assert.equal(t0, last_read())
    assert.truthy(a:get_grain(h, 100000000))
    assert.truthy(H.until_true(function() return last_read() > t0 end, 3))
    assert.equal("urn:x-mxl:option:inspect/v1.0", mxl.OPTION_INSPECT)
  end)
end)
