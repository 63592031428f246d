-- bench/lua_loop.lua - the Lua side of the lua_loop benchmark case (bench_video.c starts it under mxlrun):
--   mxlrun lua_loop.lua writer domain=D id=ID seconds=S base=B w=1920 h=1080 ... ctl=N res=M
--   mxlrun lua_loop.lua reader domain=D id=ID base=B ... ctl=N res=M
-- Same work as the C loop of bench_grain.h. Writer: open grain, fill the payload in C (view:fill), stamp
-- {time, index, last} as three little-endian u64 at offset 0, commit. Reader: non-blocking get, blocking get if
-- that was TOO_EARLY, CRC-32 of the first 64 bytes. It talks to the orchestrator through the two inherited pipes
-- named by ctl= and res=: "ready", one command byte ('g' go, 'x' exit), result lines "name<TAB>unit<TAB>value", "end".
-- Times are mxl.now() (TAI ns) on both sides, so the wake latencies it reports are self-consistent.
local mxl = require "mxl"

local role = arg[1]
local kv = {}
for i = 2, #arg do
  local k, v = arg[i]:match("^([%w_]+)=(.*)$")
  if k then kv[k] = v end
end
local ctl = assert(io.open("/proc/self/fd/" .. kv.ctl, "rb"))
local res = assert(io.open("/proc/self/fd/" .. kv.res, "wb"))
res:setvbuf("line")
local function put(name, unit, value) res:write(("%s\t%s\t%.9g\n"):format(name, unit, value)) end

local base = math.tointeger(tonumber(kv.base or "1000"))
local inst <close> = assert(mxl.instance(kv.domain))

if role == "writer" then
  local w <close> = assert(inst:writer({
    id = kv.id, label = "bench lua", description = "mxl bench",
    format = "urn:x-nmos:format:video", media_type = "video/v210",
    grain_rate = { numerator = 30000, denominator = 1001 },
    frame_width = math.tointeger(tonumber(kv.w or "1920")), frame_height = math.tointeger(tonumber(kv.h or "1080")),
    interlace_mode = "progressive", colorspace = "BT709",
    tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "bench:video" } },
  }))
  res:write("ready\n")
  if ctl:read(1) ~= "g" then os.exit(1) end
  mxl.sleep(50000000) -- let the reader block first
  local dur = math.tointeger(tonumber(kv.seconds or "1") * 1e9 // 1)
  local now = mxl.now
  local t0, n = now(), 0
  while true do
    local index = base + n
    local g = assert(w:open_grain(index))
    g:fill(index & 0xff)
    local last = (now() - t0 >= dur) and 1 or 0
    g:set_u64(8, index)
    g:set_u64(16, last)
    g:set_u64(0, now())
    assert(w:commit_grain())
    n = n + 1
    if last == 1 then break end
  end
  put("writer rate", "grains/s", n / ((now() - t0) / 1e9))
  res:write("end\n")
  ctl:read(1) -- keep the flow until the reader is done
  w:close()
elseif role == "reader" then
  local r <close> = assert(inst:reader(kv.id))
  res:write("ready\n")
  if ctl:read(1) ~= "g" then os.exit(1) end
  local now = mxl.now
  local index, got, missed, first, last_t = base, 0, 0, 0, 0
  local lat, crc = {}, 0
  while true do
    local waited = false
    local v, err, code = r:get_grain_nonblocking(index)
    if not v and code == "TOO_EARLY" then
      v, err, code = r:get_grain(index, 5000000000)
      waited = true
    end
    local t = now()
    if v then
      crc = v:crc32(0, 64, crc)
      local stamp, idx, last = v:get_u64(0), v:get_u64(8), v:get_u64(16)
      if idx == index and waited then lat[#lat + 1] = t - stamp end
      got = got + 1
      if got == 1 then first = t end
      last_t = t
      if idx == index and last == 1 then break end
      index = index + 1
    elseif code == "TOO_LATE" then
      local head = r:runtime_info()
      if head > index then missed, index = missed + (head - index), head end
    else
      error(err)
    end
  end
  put("reader rate", "grains/s", got > 1 and (got - 1) / ((last_t - first) / 1e9) or 0)
  put("grains missed", "count", missed)
  if kv.samples and #lat > 0 then -- raw little-endian u64 ns, as the C reader writes them
    local f = assert(io.open(kv.samples, "wb"))
    for i = 1, #lat do f:write(string.pack("<I8", lat[i])) end
    f:close()
  end
  res:write("end\n")
  r:close()
else
  error("usage: mxlrun lua_loop.lua writer|reader key=value...")
end
