-- Interruption: the interrupt flag makes every blocking wait return INTERRUPTED at once; plain lua5.4 scripts can
-- install the SIGINT/SIGTERM handlers with mxl.set_interrupt_handling(true).
local H = require "spec.helper"
local mxl = H.mxl

local VRATE = { numerator = 50, denominator = 1 }

describe("interrupts", function()
  local domain, inst
  before_each(function()
    domain = H.tmpdomain()
    inst = assert(mxl.instance(domain))
  end)
  after_each(function()
    mxl.interrupt(false)
    inst:close()
    H.rmrf(domain)
  end)

  it("makes blocking waits return INTERRUPTED at once while the flag is set", function()
    local vdef, adef = H.video_def(), H.audio_def()
    local vw <close> = assert(inst:writer(vdef))
    local aw <close> = assert(inst:writer(adef))
    local vr <close> = assert(inst:reader(vdef.id))
    local ar <close> = assert(inst:reader(adef.id))
    local g <close> = assert(inst:sync_group())
    assert(g:add(vr))
    local k = mxl.current_index(VRATE)
    assert.is_false(mxl.interrupted())
    mxl.interrupt(true)
    assert.is_true(mxl.interrupted())
    local t0 = mxl.now()
    local v, msg, code = vr:get_grain(k + 100, 60000000000)
    assert.is_nil(v)
    assert.is_string(msg)
    assert.equal("INTERRUPTED", code)
    assert.equal("INTERRUPTED", select(3, vr:get_grain_slice(k + 100, 1, 60000000000)))
    assert.equal("INTERRUPTED", select(3, ar:get_samples(mxl.current_index(48000) + 48000, 48, 60000000000)))
    assert.equal("INTERRUPTED", select(3, g:wait_at(mxl.index_to_timestamp(VRATE, k + 100), 60000000000)))
    assert.equal("INTERRUPTED", select(3, mxl.sleep(60000000000)))
    assert.equal("INTERRUPTED", select(3, mxl.sleep_until(mxl.now() + 60000000000)))
    assert.is_true(mxl.now() - t0 < 5000000000)
    mxl.interrupt(false)
    assert.is_false(mxl.interrupted())
    assert.equal("TIMEOUT", select(3, vr:get_grain(k + 100, 1000000)))
    assert.is_true(mxl.sleep(1000))
  end)

  it("a plain lua5.4 script with handling on sees INTERRUPTED on SIGINT and finishes; its writer's flow is removed", function()
    local def = H.video_def()
    local ready = os.tmpname()
    os.remove(ready)
    local code = ([[
      package.cpath = %q .. "/bindings/?.so;" .. package.cpath
      local mxl = require "mxl"
      mxl.set_interrupt_handling(true)
      local inst <close> = assert(mxl.instance(%q))
      local w <close> = assert(inst:writer(%q))
      local r <close> = assert(inst:reader(w:id()))
      io.open(%q, "w"):close()
      local v, msg, code = r:get_grain(mxl.current_index(50) + 1000, 60000000000)
      print("returned", code)
    ]]):format(H.build, domain, mxl.json_encode(def), ready)
    local script = H.script(code)
    local rcfile, pidfile, out = os.tmpname(), os.tmpname(), os.tmpname()
    os.remove(rcfile)
    os.execute("sh -c " .. H.q(("lua5.4 %s >%s 2>&1 & echo $! >%s; wait $!; echo $? >%s"):format(H.q(script),
      H.q(out), H.q(pidfile), H.q(rcfile))) .. " >/dev/null 2>&1 &")
    assert.truthy(H.until_true(function() return H.exists(ready) end, 10), "script did not start")
    local pid = H.until_true(function()
      local f = io.open(pidfile)
      local p = f and tonumber(f:read("a"))
      if f then f:close() end
      return p
    end, 5)
    local t0 = mxl.now()
    os.execute("kill -INT " .. pid)
    local h = { rcfile = rcfile, out = out, script = script, pidfile = pidfile, pid = pid }
    local rc = H.wait_rc(h, 10)
    local output = H.output(h)
    H.cleanup(h)
    os.remove(ready)
    assert.is_true(mxl.now() - t0 < 3000000000)
    assert.equal(0, rc, output) -- the script returned by itself (lua.c knows nothing of the signal)
    assert.equal("returned\tINTERRUPTED\n", output)
    assert.is_false(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"))
  end)
end)
