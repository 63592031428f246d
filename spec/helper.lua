-- Shared set-up for the Lua specs: finds the built mxl.so and mxlrun, makes throw-away domains on tmpfs, builds
-- flow definitions and runs mxlrun subprocesses. Specs run from the repository root:
--   MXL_BUILD_DIR=build busted            (MXL_BUILD_DIR defaults to <repo>/build)
-- A missing build is a hard error, never a silent skip.
local H = {}

local function dirname(p)
  return (p:gsub("/[^/]*$", ""))
end

local here = debug.getinfo(1, "S").source:gsub("^@", "")
if not here:find("^/") then
  here = os.getenv("PWD") .. "/" .. here
end
H.root = dirname(dirname(here)):gsub("/%./?$", "")
if H.root == "" or H.root == "." then H.root = os.getenv("PWD") end

local build = os.getenv("MXL_BUILD_DIR") or "build"
if not build:find("^/") then build = H.root .. "/" .. build end
H.build = build
H.mxlrun = build .. "/bindings/mxlrun"
H.module = build .. "/bindings/mxl.so"
H.fixtures = H.root .. "/tests/fixtures" -- upstream-written fixtures, inside the checkout (tests/fixtures/README.md)

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end
H.exists = exists

if not exists(H.module) or not exists(H.mxlrun) then
  error(("spec/helper.lua: %s or %s not found; build first (cmake -S . -B build && cmake --build build) or set "
    .. "MXL_BUILD_DIR"):format(H.module, H.mxlrun), 0)
end

package.cpath = build .. "/bindings/?.so;" .. package.cpath
package.path = H.root .. "/lua/?.lua;" .. H.root .. "/lua/?/init.lua;" .. package.path

H.mxl = require "mxl"

-- Shell-quote one argument.
function H.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Run a shell command; returns exit code (number), combined stdout+stderr.
function H.sh(cmd)
  local p = io.popen("(" .. cmd .. ") 2>&1; echo \"__rc=$?\"")
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("__rc=(%d+)%s*$"))
  return rc, (out:gsub("__rc=%d+%s*$", ""))
end

function H.uuid()
  local f = assert(io.open("/proc/sys/kernel/random/uuid"))
  local id = f:read("l")
  f:close()
  return id
end

-- A fresh empty domain directory on /dev/shm; H.rmrf it when done.
function H.tmpdomain()
  local rc, out = H.sh("mktemp -d /dev/shm/mxl-spec.XXXXXX")
  assert(rc == 0, out)
  return (out:gsub("%s+$", ""))
end

function H.rmrf(dir)
  assert(dir:find("^/dev/shm/") or dir:find("^/tmp/"), "refusing to remove " .. dir)
  os.execute("rm -rf " .. H.q(dir))
end

function H.isdir(p)
  local rc = H.sh("test -d " .. H.q(p))
  return rc == 0
end

-- NMOS flow definitions as Lua tables.
function H.video_def(opts)
  opts = opts or {}
  return {
    id = opts.id or H.uuid(),
    description = "spec video",
    format = "urn:x-nmos:format:video",
    tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "spec:video" } },
    label = opts.label or "spec video",
    parents = H.mxl.array(),
    media_type = opts.media_type or "video/v210",
    grain_rate = opts.rate or { numerator = 50, denominator = 1 },
    frame_width = opts.width or 96,
    frame_height = opts.height or 4,
    interlace_mode = "progressive",
    colorspace = "BT709",
    components = H.mxl.array(),
  }
end

function H.data_def(opts)
  opts = opts or {}
  return {
    id = opts.id or H.uuid(),
    format = "urn:x-nmos:format:data",
    tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "spec:data" } },
    label = "spec data",
    parents = H.mxl.array(),
    media_type = "video/smpte291",
    grain_rate = opts.rate or { numerator = 50, denominator = 1 },
  }
end

function H.audio_def(opts)
  opts = opts or {}
  return {
    id = opts.id or H.uuid(),
    format = "urn:x-nmos:format:audio",
    tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "spec:audio" } },
    label = "spec audio",
    parents = H.mxl.array(),
    media_type = "audio/float32",
    sample_rate = { numerator = opts.rate or 48000 },
    channel_count = opts.channels or 2,
    bit_depth = opts.bit_depth or 32,
  }
end

-- Expected bytes of the test pattern byte(i) = (k*31 + i) & 0xff for i in [0, n).
function H.pattern(k, n)
  local t = {}
  local base = (k * 31) & 0xff
  for i = 0, n - 1 do
    t[#t + 1] = string.char((base + i) & 0xff)
  end
  return table.concat(t)
end

-- Write a Lua script to a temp file; returns its path.
function H.script(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- Run mxlrun synchronously: H.run(domain, script_text_or_nil, args_string, extra_opts) -> rc, output.
function H.run(domain, text, args, opts)
  local parts = { H.q(H.mxlrun) }
  if domain then parts[#parts + 1] = "-d " .. H.q(domain) end
  if opts then parts[#parts + 1] = opts end
  local path
  if text then
    path = H.script(text)
    parts[#parts + 1] = H.q(path)
  end
  if args then parts[#parts + 1] = args end
  local rc, out = H.sh(table.concat(parts, " "))
  if path then os.remove(path) end
  return rc, out
end

function H.alive(pid)
  local rc = H.sh("kill -0 " .. pid .. " 2>/dev/null")
  return rc == 0
end

local function readnum(path)
  local f = io.open(path)
  if not f then return nil end
  local v = tonumber(f:read("a"))
  f:close()
  return v
end

-- Start mxlrun in the background: H.spawn(domain, script_text, args_string) -> handle {pid=, out=, rcfile=}.
-- A wrapper shell waits for it and records its exit status (128+n when killed by signal n) in rcfile.
function H.spawn(domain, text, args)
  local h = { script = H.script(text), out = os.tmpname(), rcfile = os.tmpname(), pidfile = os.tmpname() }
  os.remove(h.rcfile)
  os.remove(h.pidfile)
  local inner = ("%s -d %s %s %s >%s 2>&1 & echo $! >%s; wait $!; echo $? >%s"):format(H.q(H.mxlrun),
    H.q(domain), H.q(h.script), args or "", H.q(h.out), H.q(h.pidfile), H.q(h.rcfile))
  os.execute("sh -c " .. H.q(inner) .. " >/dev/null 2>&1 &")
  H.until_true(function() h.pid = readnum(h.pidfile) return h.pid end, 5)
  assert(h.pid, "mxlrun did not start")
  return h
end

function H.wait_rc(h, timeout_s)
  local deadline = H.mxl.now() + math.floor(timeout_s * 1e9)
  repeat
    local rc = readnum(h.rcfile)
    if rc then return rc end
    H.mxl.sleep(20000000)
  until H.mxl.now() >= deadline
  return readnum(h.rcfile)
end

function H.output(h)
  local f = io.open(h.out)
  local s = f and f:read("a") or ""
  if f then f:close() end
  return s
end

function H.cleanup(h)
  if h.pid and H.alive(h.pid) then os.execute("kill -9 " .. h.pid .. " 2>/dev/null") end
  for _, p in ipairs({ h.out, h.rcfile, h.script, h.pidfile }) do
    if p then os.remove(p) end
  end
end

-- Wait until pred() is true (bounded); returns the last value.
function H.until_true(pred, timeout_s)
  local deadline = H.mxl.now() + math.floor((timeout_s or 5) * 1e9)
  repeat
    local v = pred()
    if v then return v end
    H.mxl.sleep(10000000)
  until H.mxl.now() >= deadline
  return pred()
end

return H
