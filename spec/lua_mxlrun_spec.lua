-- The mxlrun host: options, arg/..., domain handling, module paths, C modules (cjson), errors, os.exit, two processes
-- exchanging grains, and the orderly stop on SIGINT/SIGTERM.
local H = require "spec.helper"
local mxl = H.mxl

describe("mxlrun", function()
  local domain
  before_each(function() domain = H.tmpdomain() end)
  after_each(function() H.rmrf(domain) end)

  it("prints help (-h) and version (-v), rejects unknown options", function()
    local rc, out = H.sh(H.q(H.mxlrun) .. " -h")
    assert.equal(0, rc)
    assert.truthy(out:find("usage:", 1, true))
    assert.truthy(out:find("--domain", 1, true))
    rc, out = H.sh(H.q(H.mxlrun) .. " --help")
    assert.equal(0, rc)
    rc, out = H.sh(H.q(H.mxlrun) .. " -v")
    assert.equal(0, rc)
    assert.truthy(out:find("libmxl " .. (mxl.version()), 1, true), out)
    assert.truthy(out:find("Lua 5.4", 1, true), out)
    rc, out = H.sh(H.q(H.mxlrun) .. " --version")
    assert.equal(0, rc)
    rc, out = H.sh(H.q(H.mxlrun) .. " --bogus x.lua")
    assert.equal(1, rc)
    assert.truthy(out:find("unrecognized option", 1, true))
    rc, out = H.sh(H.q(H.mxlrun))
    assert.equal(1, rc)
    assert.truthy(out:find("usage:", 1, true))
    rc, out = H.sh(H.q(H.mxlrun) .. " -e")
    assert.equal(1, rc)
  end)

  it("gives the script arg, ... and mxl.default_domain", function()
    local rc, out = H.run(domain, [[
      local mxl = require "mxl"
      print(arg[0]:match("[^/]+$"):sub(1, 4), arg[1], arg[2], #arg, select("#", ...), mxl.default_domain, ...)
      print(arg[-1] ~= nil, os.getenv("MXL_DOMAIN"))
    ]], "one two")
    assert.equal(0, rc, out)
    local first, second = out:match("([^\n]*)\n([^\n]*)")
    assert.equal(("lua_\tone\ttwo\t2\t2\t%s\tone\ttwo"):format(domain), first)
    assert.equal("true\t" .. domain, second)
  end)

  it("runs -e and -l in order, before the script", function()
    local rc, out = H.run(domain, nil, nil,
      "-e " .. H.q("x = 1") .. " -l cjson -e " .. H.q("print(x, cjson.encode({a = x}))"))
    assert.equal(0, rc, out)
    assert.equal('1\t{"a":1}\n', out)
    rc, out = H.run(domain, nil, nil, "-l j=cjson -e " .. H.q("print(type(j.decode))"))
    assert.equal(0, rc, out)
    assert.equal("function\n", out)
    rc, out = H.run(domain, nil, nil, "-l no_such_module_xyz")
    assert.equal(1, rc)
    assert.truthy(out:find("no_such_module_xyz", 1, true))
  end)

  it("loads C modules: require 'cjson' works inside mxlrun", function()
    local rc, out = H.run(domain, [[
      local cjson = require "cjson"
      print(cjson.encode({ 1, 2, 3 }), cjson.decode('{"a":2}').a == 2)
    ]])
    assert.equal(0, rc, out)
    assert.equal("[1,2,3]\ttrue\n", out)
  end)

  it("defaults the domain to $MXL_DOMAIN, never creates it, warns when it is not tmpfs", function()
    local nested = domain .. "/a/b/c"
    local rc, out = H.sh(("MXL_DOMAIN=%s %s -e %s"):format(H.q(nested), H.q(H.mxlrun),
      H.q("print(require('mxl').default_domain)")))
    assert.equal(0, rc, out)
    assert.equal(nested .. "\n", out)
    assert.is_false(H.isdir(domain .. "/a")) -- mxlrun never makes a domain: a writer does (mxl.create_domain)
    local tmp = (select(2, H.sh("mktemp -d /tmp/mxl-spec.XXXXXX")):gsub("%s+$", ""))
    rc, out = H.sh(("%s -d %s -e %s"):format(H.q(H.mxlrun), H.q(tmp), H.q("print(require('mxl').default_domain)")))
    H.rmrf(tmp)
    assert.equal(0, rc, out)
    assert.truthy(out:find("warning", 1, true), out)
    assert.truthy(out:find("not on tmpfs", 1, true), out)
    rc, out = H.run(domain, nil, nil, "-e " .. H.q(([[
      local ok, created = assert(mxl.create_domain(%q))
      local again, created2 = assert(mxl.create_domain(%q))
      print(ok, created, again, created2, select(3, mxl.create_domain("/proc/self/nope/x")))
    ]]):format(nested, nested)))
    assert.equal(0, rc, out)
    assert.equal("true\ttrue\ttrue\tfalse\tUNKNOWN\n", out)
    assert.is_true(H.isdir(nested))
  end)

  it("finds Lua modules relative to its own location (installed layout)", function()
    local tree = (select(2, H.sh("mktemp -d /tmp/mxl-tree.XXXXXX")):gsub("%s+$", ""))
    os.execute(("mkdir -p %s/bin %s/share/lua/5.4/spectest && cp %s %s/bin/"):format(tree, tree, H.q(H.mxlrun), tree))
    local f = assert(io.open(tree .. "/share/lua/5.4/spectest/mod.lua", "w"))
    f:write("return { answer = 42 }\n")
    f:close()
    local rc, out = H.sh(("%s/bin/mxlrun -d %s -e %s"):format(tree, H.q(domain),
      H.q("print(require('spectest.mod').answer)")))
    H.rmrf(tree)
    assert.equal(0, rc, out)
    assert.equal("42\n", out)
    -- the build-tree binary finds the source tree's lua/
    rc, out = H.run(domain, nil, nil, "-e " .. H.q("print(package.path:find(" .. ("%q"):format(H.root .. "/lua/?.lua")
      .. ", 1, true) ~= nil)"))
    assert.equal(0, rc, out)
    assert.equal("true\n", out)
  end)

  it("prints a traceback and exits 1 on an error", function()
    local rc, out = H.run(domain, [[
      local function inner() error("boom here") end
      inner()
    ]])
    assert.equal(1, rc)
    assert.truthy(out:find("boom here", 1, true), out)
    assert.truthy(out:find("stack traceback", 1, true), out)
    rc, out = H.run(domain, "this is not lua")
    assert.equal(1, rc)
    assert.truthy(out:find("syntax error", 1, true) or out:find("expected", 1, true), out)
    rc, out = H.run(domain, "error(setmetatable({}, {__tostring = function() return 'custom' end}))")
    assert.equal(1, rc)
    assert.truthy(out:find("custom", 1, true), out)
  end)

  it("closes the state on os.exit, so writers release their flows", function()
    local def = H.video_def()
    local rc, out = H.run(domain, ([[
      local mxl = require "mxl"
      local inst = assert(mxl.instance())
      local w = assert(inst:writer(%q))
      os.exit(3)
    ]]):format(mxl.json_encode(def)))
    assert.equal(3, rc, out)
    assert.is_false(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"))
  end)

  it("runs a writer and a reader in two processes, payload patterns verified through views", function()
    local def = H.video_def({ rate = { numerator = 100, denominator = 1 } })
    local N = 30
    local writer = H.spawn(domain, ([[
      local mxl = require "mxl"
      local rate = { numerator = 100, denominator = 1 }
      local inst <close> = assert(mxl.instance())
      local w <close> = assert(inst:writer(%q))
      local ready = io.open(%q, "r")
      while not ready do mxl.sleep(5000000) ready = io.open(%q, "r") end
      ready:close()
      local k0 = mxl.current_index(rate) + 2
      io.open(%q, "w"):write(tostring(k0)):close()
      for k = k0, k0 + %d - 1 do
        mxl.sleep(mxl.ns_until_index(k, rate))
        local g = assert(w:open_grain(k))
        local n = #g
        for i = 0, n - 1, 4 do
          local b = (k * 31 + i) & 0xff
          g:set_u32(i, b | ((b + 1) & 0xff) << 8 | ((b + 2) & 0xff) << 16 | ((b + 3) & 0xff) << 24)
        end
        assert(w:commit_grain())
      end
      mxl.sleep(300000000) -- let the reader finish before the flow goes away
    ]]):format(mxl.json_encode(def), domain .. "/reader-ready", domain .. "/reader-ready", domain .. "/k0", N))
    local reader = H.spawn(domain, ([[
      local mxl = require "mxl"
      local inst <close> = assert(mxl.instance())
      local r
      for _ = 1, 500 do
        r = inst:reader(%q)
        if r then break end
        mxl.sleep(10000000)
      end
      assert(r, "flow never appeared")
      io.open(%q, "w"):close()
      local f
      repeat mxl.sleep(5000000) f = io.open(%q) until f
      local k0 = tonumber(f:read("a")) f:close()
      local ok = 0
      for k = k0, k0 + %d - 1 do
        local v, msg, code = r:get_grain(k, 5000000000)
        assert(v, msg)
        local n = #v
        for i = 0, n - 1 do
          if v:get_u8(i) ~= (k * 31 + i) & 0xff then error(("grain %%d byte %%d differs"):format(k, i)) end
        end
        assert(v:valid())
        ok = ok + 1
      end
      print("verified " .. ok)
    ]]):format(def.id, domain .. "/reader-ready", domain .. "/k0", N))
    local rrc = H.wait_rc(reader, 30)
    local wrc = H.wait_rc(writer, 30)
    local rout, wout = H.output(reader), H.output(writer)
    H.cleanup(reader)
    H.cleanup(writer)
    assert.equal(0, wrc, wout)
    assert.equal(0, rrc, rout)
    assert.equal("verified " .. N .. "\n", rout)
  end)

  local function stop_blocked(signal, expect_rc)
    local def = H.video_def()
    local ready = domain .. "/ready"
    local h = H.spawn(domain, ([[
      local mxl = require "mxl"
      local inst <close> = assert(mxl.instance())
      local w <close> = assert(inst:writer(%q))
      local r <close> = assert(inst:reader(w:id()))
      io.open(%q, "w"):close()
      local v, msg, code = r:get_grain(mxl.current_index(50) + 100000, 60000000000)
      print("returned", code, select(2, mxl.interrupted()))
    ]]):format(mxl.json_encode(def), ready))
    assert.truthy(H.until_true(function() return H.exists(ready) end, 10), "script did not start: " .. H.output(h))
    assert.is_true(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"))
    mxl.sleep(100000000) -- inside the 60 s read by now
    local t0 = mxl.now()
    os.execute("kill -" .. signal .. " " .. h.pid)
    local rc = H.wait_rc(h, 5)
    local elapsed = (mxl.now() - t0) / 1e9
    local out = H.output(h)
    local alive = H.alive(h.pid)
    H.cleanup(h)
    assert.equal(expect_rc, rc, out)
    assert.is_false(alive)
    assert.is_true(elapsed < 3, "took " .. elapsed .. " s")
    assert.is_false(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"))
    -- the read returned INTERRUPTED to the script, which finished by itself: nothing else is printed
    assert.equal(("returned\tINTERRUPTED\tSIG%s\n"):format(signal), out)
  end

  it("a 60 s blocking read returns INTERRUPTED on SIGINT, the script finishes: exit 130, flow removed", function()
    stop_blocked("INT", 130)
  end)

  it("a 60 s blocking read returns INTERRUPTED on SIGTERM, the script finishes: exit 143, flow removed", function()
    stop_blocked("TERM", 143)
  end)

  it("exits 130 whatever the script returns or passes to os.exit after SIGINT", function()
    local ready = domain .. "/ready"
    local h = H.spawn(domain, ([[
      io.open(%q, "w"):close()
      while mxl.sleep(10000000) do end
      print("done")
      os.exit(0)
    ]]):format(ready))
    assert.truthy(H.until_true(function() return H.exists(ready) end, 10))
    os.execute("kill -INT " .. h.pid)
    local rc = H.wait_rc(h, 5)
    local out = H.output(h)
    H.cleanup(h)
    assert.equal(130, rc, out)
    assert.equal("done\n", out)
  end)

  it("stops a script that ignores INTERRUPTED at its next blocking call, with one plain line", function()
    local ready = domain .. "/ready"
    local h = H.spawn(domain, ([[
      io.open(%q, "w"):close()
      local ok = pcall(function() while true do mxl.sleep(10000000) end end)
      print("caught", ok, mxl.interrupted())
      while true do mxl.sleep(10000000) end
    ]]):format(ready))
    assert.truthy(H.until_true(function() return H.exists(ready) end, 10))
    os.execute("kill -INT " .. h.pid)
    local rc = H.wait_rc(h, 5)
    local out = H.output(h)
    H.cleanup(h)
    assert.equal(130, rc, out)
    -- the pcall caught the stop error; the next ignored result stopped the script: no file:line, no traceback
    assert.equal("caught\tfalse\ttrue\tSIGINT\nstopped (SIGINT)\n", out)
  end)

  it("a script busy in pure Lua stops at the second SIGINT; an error about the interruption is one plain line", function()
    local ready = domain .. "/ready"
    local h = H.spawn(domain, ([[
      io.open(%q, "w"):close()
      local n = 0
      while true do n = n + 1 end
    ]]):format(ready))
    assert.truthy(H.until_true(function() return H.exists(ready) end, 10))
    os.execute("kill -INT " .. h.pid)
    mxl.sleep(300000000)
    assert.is_true(H.alive(h.pid)) -- the first signal only sets the flag: this script never looks at it
    os.execute("kill -INT " .. h.pid)
    local rc = H.wait_rc(h, 5)
    local out = H.output(h)
    H.cleanup(h)
    assert.equal(130, rc, out)
    assert.equal("stopped (SIGINT)\n", out)
    -- error(msg) of the script's own making, after a blocking call returned INTERRUPTED
    h = H.spawn(domain, ([[
      io.open(%q, "w"):close()
      while true do
        local ok, msg = mxl.sleep(10000000)
        if not ok then error(msg) end
      end
    ]]):format(ready .. "2"))
    assert.truthy(H.until_true(function() return H.exists(ready .. "2") end, 10))
    os.execute("kill -TERM " .. h.pid)
    rc = H.wait_rc(h, 5)
    out = H.output(h)
    H.cleanup(h)
    assert.equal(143, rc, out)
    assert.equal("stopped (SIGTERM)\n", out)
  end)

  it("test_pattern on SIGINT: exit 130, its final status line, nothing else, flows removed", function()
    local h = H.spawn(domain, (function()
      local f = assert(io.open(H.root .. "/scripts/test_pattern.lua"))
      local s = f:read("a")
      f:close()
      return s
    end)(), "--size 320x180")
    local inst <close> = assert(mxl.instance(domain))
    assert.truthy(H.until_true(function() return #inst:list() == 3 end, 10), H.output(h))
    mxl.sleep(300000000)
    os.execute("kill -INT " .. h.pid)
    local rc = H.wait_rc(h, 10)
    local out = H.output(h)
    H.cleanup(h)
    assert.equal(130, rc, out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.truthy(lines[4] and lines[4]:match("^group "), out)
    assert.equal(5, #lines, out) -- 3 flows, the group, the final status line (not a tty: no progress lines)
    assert.truthy(lines[5]:match("^video %d+  audio %d+  anc %d+  late/skipped %d+/%d+  cpu [%d.]+%%$"), out)
    assert.is_nil(out:find("interrupted", 1, true), out)
    assert.is_nil(out:find("stopped", 1, true), out)
    assert.same({}, inst:list())
  end)

  it("ignores SIGPIPE: a writer whose output pipe closed still releases its flows", function()
    local def = H.video_def()
    local ready = domain .. "/ready"
    local script = H.script(([[
      local inst <close> = assert(mxl.instance())
      local w <close> = assert(inst:writer(%q))
      local pid = assert(io.open("/proc/self/stat")):read("n") -- this mxlrun process
      io.open(%q, "w"):write(pid):close()
      while mxl.sleep(5000000) do io.stdout:write(("x"):rep(1000), "\n") io.stdout:flush() end
    ]]):format(mxl.json_encode(def), ready))
    local rcfile = os.tmpname()
    os.remove(rcfile)
    -- `head -c 1` exits at once: every later write gets EPIPE (SIGPIPE ignored); SIGINT then stops the writer
    os.execute(("sh -c %s >/dev/null 2>&1 &"):format(H.q(("%s -d %s %s | head -c 1 >/dev/null; echo done >%s"):format(
      H.q(H.mxlrun), H.q(domain), H.q(script), H.q(rcfile)))))
    assert.truthy(H.until_true(function()
      local r = io.open(ready)
      local v = r and r:read("n")
      if r then r:close() end
      return v
    end, 10))
    mxl.sleep(300000000)
    assert.is_true(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"), "writer died on SIGPIPE")
    local f = assert(io.open(ready))
    local pid = math.tointeger(f:read("n"))
    f:close()
    assert.truthy(pid and H.alive(pid), "writer not running")
    os.execute("kill -INT " .. pid)
    assert.truthy(H.until_true(function() return H.exists(rcfile) end, 10))
    os.remove(rcfile)
    os.remove(script)
    assert.is_false(H.isdir(domain .. "/" .. def.id .. ".mxl-flow"))
  end)

  it("runs a tool by name with -m, lists the tools in --help, rejects unknown names", function()
    local rc, out = H.run(domain, nil, "--json", "-m info")
    assert.equal(0, rc, out)
    assert.equal(0, mxl.json_decode(out).list.count)
    rc, out = H.run(domain, nil, "x y", "-m test_pattern.lua -e " .. H.q("print(arg[0])"))
    assert.equal(2, rc) -- -m ends the options like a script name: -e is the tool's (unknown) option
    assert.truthy(out:find("unknown option -e", 1, true), out)
    rc, out = H.sh(H.q(H.mxlrun) .. " -e " .. H.q("io.write(arg[0] or '-')") .. " -m info --help")
    assert.equal(0, rc, out)
    assert.truthy(out:find("usage: mxlrun scripts/info.lua", 1, true), out)
    rc, out = H.sh(H.q(H.mxlrun) .. " --help")
    assert.equal(0, rc, out)
    local listed = out:match("Tools %(%-m%): ([^\n]+)")
    assert.truthy(listed, out)
    for name in io.popen("ls " .. H.q(H.root .. "/scripts") .. "/*.lua"):lines() do
      assert.truthy(listed:find(name:match("([%w_]+)%.lua$"), 1, true), listed)
    end
    rc, out = H.sh(H.q(H.mxlrun) .. " -m no_such_tool")
    assert.equal(1, rc)
    assert.truthy(out:find("no tool 'no_such_tool'", 1, true), out)
    rc, out = H.sh(H.q(H.mxlrun) .. " -m ../scripts/info")
    assert.equal(1, rc)
    assert.truthy(out:find("takes a tool name", 1, true), out)
  end)

  it("has the module as the global mxl (mxlrun -e 'mxl.instance()')", function()
    local rc, out = H.run(domain, nil, nil, "-e " .. H.q("local i = mxl.instance() print(i:domain(), mxl == require 'mxl')"))
    assert.equal(0, rc, out)
    assert.equal(domain .. "\ttrue\n", out)
  end)
end)
