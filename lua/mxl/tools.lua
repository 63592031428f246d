-- mxl.tools: what the command-line tools (scripts/info, sync_rig, verify, snapshot, data_probe) share: option
-- parsing, exit codes, choosing a domain and flows from `mxl://` URIs (MXL-FORMAT §16) or -d/-f options, JSON
-- output that keeps 64-bit integers exact, statistics (percentiles, histograms) and number formatting.
--
-- Exit codes of every tool: 0 pass / done, 1 check failed or data not available, 2 usage or set-up error (bad
-- option, missing domain, unknown flow, malformed URI, flow of the wrong format).
local mxl = require "mxl"

local T = {}

T.OK, T.FAIL, T.USAGE = 0, 1, 2

T.GROUPHINT = "urn:x-nmos:tag:grouphint/v1.0"

-- ---- messages and exits ----------------------------------------------------------------------------------------

-- T.die(tool, msg [, code=2]): "tool: msg" on stderr, then exit (closing the Lua state: readers are released).
function T.die(tool, msg, code)
  io.stderr:write(tool, ": ", msg, "\n")
  io.stderr:flush()
  os.exit(code or T.USAGE)
end

function T.warn(tool, msg)
  io.stderr:write(tool, ": warning: ", msg, "\n")
end

-- T.sleep(ns) -> true: mxl.sleep for a tool's waiting loops; on Ctrl-C (INTERRUPTED) the tool ends quietly there,
-- nothing half-done to report (mxlrun releases everything and exits 130/143).
function T.sleep(ns)
  if mxl.sleep(ns) then return true end
  os.exit(T.FAIL)
end

-- ---- options -----------------------------------------------------------------------------------------------------

-- T.getopt(argv, spec, tool) -> opts, positional. spec is a list of {short, long, key, arg=nil|"string"|"number"|
-- "integer", multi=bool}. Accepts -x V, -xV, --long V, --long=V, bundled flags (-gl), and "--" ending options.
-- Unknown options and missing or malformed values exit with code 2.
function T.getopt(argv, spec, tool)
  local by = {}
  for _, s in ipairs(spec) do
    if s[1] then by["-" .. s[1]] = s end
    if s[2] then by["--" .. s[2]] = s end
  end
  local opts, pos = {}, {}
  local function store(s, v, name)
    if s.arg then
      if v == nil then T.die(tool, "option " .. name .. " needs a value (--help)") end
      if s.arg == "number" then
        v = tonumber(v) or T.die(tool, ("option %s: number expected, got '%s'"):format(name, v))
      elseif s.arg == "integer" then
        v = math.tointeger(tonumber(v)) or T.die(tool, ("option %s: integer expected, got '%s'"):format(name, v))
      end
    else
      v = true
    end
    if s.multi then
      opts[s[3]] = opts[s[3]] or {}
      table.insert(opts[s[3]], v)
    else
      opts[s[3]] = v
    end
  end
  local i, n = 1, #argv
  while i <= n do
    local a = argv[i]
    if a == "--" then
      for k = i + 1, n do pos[#pos + 1] = argv[k] end
      break
    elseif a:sub(1, 2) == "--" then
      local name, v = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local s = by[name] or T.die(tool, "unknown option " .. name .. " (--help)")
      if s.arg and v == nil then
        i = i + 1
        v = argv[i]
      elseif not s.arg and v ~= nil then
        T.die(tool, "option " .. name .. " takes no value")
      end
      store(s, v, name)
    elseif a:sub(1, 1) == "-" and #a > 1 and not tonumber(a) then
      local k = 2
      while k <= #a do
        local name = "-" .. a:sub(k, k)
        local s = by[name] or T.die(tool, "unknown option " .. name .. " (--help)")
        if s.arg then
          local v = a:sub(k + 1)
          if v == "" then
            i = i + 1
            v = argv[i]
          end
          store(s, v, name)
          break
        end
        store(s, nil, name)
        k = k + 1
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

-- Script arguments as a plain list (mxlrun and lua5.4 put them in the global `arg`).
function T.args(...)
  local t = {}
  if arg then
    for i = 1, #arg do t[i] = arg[i] end
  else
    t = { ... }
  end
  return t
end

-- ---- domains, flows, URIs ----------------------------------------------------------------------------------------

-- T.uri(domain, ids) -> "mxl:///path?id=...&id=..." (no authority: the domain as this host sees it).
function T.uri(domain, ids)
  local u = "mxl://" .. domain
  if ids and #ids > 0 then
    local q = {}
    for i, id in ipairs(ids) do q[i] = "id=" .. id end
    u = u .. "?" .. table.concat(q, "&")
  end
  return u
end

-- T.target(tool, opts, positional) -> domain, ids: the domain and flow ids named by mxl:// URIs (positional) and/or
-- -d/--domain and -f/--flow options (opts.domain, opts.flow = list). URIs and options may be mixed as long as they
-- agree on the domain. Exits 2 on a malformed URI or flow id.
function T.target(tool, opts, positional)
  local domain, ids = opts.domain, {}
  local seen = {}
  local function add(id, where)
    local canon, err = mxl.normalize_flow_id(id)
    if not canon then T.die(tool, ("bad flow id '%s'%s: %s"):format(id, where or "", tostring(err))) end
    if not seen[canon] then
      seen[canon] = true
      ids[#ids + 1] = canon
    end
  end
  for _, p in ipairs(positional or {}) do
    if not p:find("^%a[%w+.-]*:") then
      T.die(tool, ("unexpected argument '%s' (expected an mxl:// URI; --help)"):format(p))
    end
    local u, err = mxl.parse_uri(p)
    if not u then T.die(tool, "malformed URI: " .. tostring(err)) end
    if u.host ~= "" and u.host ~= "localhost" then
      T.warn(tool, ("URI names host '%s': using its domain path %s on this host"):format(u.host, u.path))
    end
    if domain and domain ~= u.path and (domain:gsub("/+$", "")) ~= (u.path:gsub("/+$", "")) then
      T.die(tool, ("URI domain %s differs from domain %s"):format(u.path, domain))
    end
    domain = u.path
    for _, id in ipairs(u.ids) do add(id) end
  end
  for _, id in ipairs(opts.flow or {}) do add(id, " (-f)") end
  return domain or mxl.default_domain, ids
end

-- T.instance(tool, domain) -> instance; exits 2 if the domain is missing or unusable. Never creates the domain.
function T.instance(tool, domain)
  local f = io.open(domain .. "/.", "r")
  if not f then T.die(tool, ("domain %s does not exist (or is not a directory)"):format(domain)) end
  f:close()
  local inst, err = mxl.instance(domain)
  if not inst then T.die(tool, ("cannot open domain %s: %s"):format(domain, tostring(err))) end
  return inst
end

-- T.reader(tool, inst, id [, options]) -> reader; exits 2 for an unknown flow. options as for inst:reader.
function T.reader(tool, inst, id, options)
  local r, err, code = inst:reader(id, options)
  if not r then
    if code == "NOT_FOUND" then
      T.die(tool, ("no flow %s in domain %s"):format(id, inst:domain()))
    end
    T.die(tool, ("cannot open flow %s: %s"):format(id, tostring(err)))
  end
  return r
end

-- T.inspector(tool, inst, id) -> an inspection reader (mxl.OPTION_INSPECT): reads like a reader but never updates
-- the flow's lastReadTime, so looking at a flow does not pass for a consumer reading it. Exits 2 for an unknown flow.
function T.inspector(tool, inst, id)
  return T.reader(tool, inst, id, { [mxl.OPTION_INSPECT] = true })
end

-- T.require_format(tool, reader, allowed..): exits 2 unless the flow is one of the formats ("video", "audio", "data").
function T.require_format(tool, r, ...)
  local f = r:format()
  local allowed = { ... }
  for _, a in ipairs(allowed) do
    if a == f then return f end
  end
  T.die(tool, ("flow %s is a%s %s flow; %s needs a %s flow"):format(r:id(), f == "audio" and "n" or "", f, tool,
    table.concat(allowed, " or ")))
end

-- T.flow_def(inst, id) -> decoded flow definition table or nil, message.
function T.flow_def(inst, id)
  return inst:flow_def_table(id)
end

-- T.group_hints(def) -> list of "<group>:<role>" strings of a flow definition (may be empty).
function T.group_hints(def)
  local out = {}
  local tags = type(def) == "table" and def.tags
  local list = type(tags) == "table" and tags[T.GROUPHINT]
  if type(list) == "table" then
    for _, g in ipairs(list) do
      if type(g) == "string" then out[#out + 1] = g end
    end
  end
  return out
end

-- T.split_hint("name:role") -> name, role (role may be nil).
function T.split_hint(h)
  local name, role = h:match("^(.*):([^:]*)$")
  if not name then return h, nil end
  return name, role
end

-- T.find_flows(inst, selector) -> list of {id=, format_name=, def=, hint=} whose group hint matches: selector is
-- a full hint ("grp:Video") or a group name ("grp", matching every role).
function T.find_flows(inst, selector)
  local out = {}
  for _, e in ipairs(inst:list(true) or {}) do
    local def = inst:flow_def_table(e.id)
    for _, h in ipairs(T.group_hints(def)) do
      local name = T.split_hint(h)
      if h == selector or name == selector then
        out[#out + 1] = { id = e.id, format_name = e.format_name, def = def, hint = h, active = e.active }
        break
      end
    end
  end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

-- ---- rates and time ----------------------------------------------------------------------------------------------

-- T.rate(r) -> {numerator=, denominator=}: "n/d", "n", number, {n, d} or {numerator=, denominator=}; nil if bad.
function T.rate(r)
  if type(r) == "string" then
    local n, d = r:match("^%s*(%d+)%s*/%s*(%d+)%s*$")
    if not n then n, d = r:match("^%s*(%d+)%s*$"), "1" end
    if not n then
      local v = tonumber(r)
      if v and v > 0 and v ~= math.floor(v) then
        local whole = math.floor(v + 0.5)
        if math.abs(v - whole * 1000 / 1001) < 0.01 then return { numerator = whole * 1000, denominator = 1001 } end
      end
      return nil
    end
    n, d = math.tointeger(tonumber(n)), math.tointeger(tonumber(d))
    if not n or not d or n <= 0 or d <= 0 then return nil end
    return { numerator = n, denominator = d }
  elseif type(r) == "number" then
    return T.rate(tostring(math.tointeger(r) or r))
  elseif type(r) == "table" then
    local n, d = r.numerator or r[1], r.denominator or r[2] or 1
    if math.type(n) ~= "integer" or math.type(d) ~= "integer" or n <= 0 or d <= 0 then return nil end
    return { numerator = n, denominator = d }
  end
  return nil
end

function T.rate_text(r)
  if r.denominator == 1 then return tostring(r.numerator) end
  return ("%d/%d"):format(r.numerator, r.denominator)
end

-- Grain (or sample) period in ms as a float.
function T.period_ms(r)
  return 1000.0 * r.denominator / r.numerator
end

function T.ms(ns)
  return ns / 1e6
end

-- "12.345 ms", "1.500 s", "2 h 3 min" ...: a human duration from ns (signed).
function T.duration(ns)
  local a = math.abs(ns)
  local sign = ns < 0 and "-" or ""
  if a < 1e3 then return ("%s%d ns"):format(sign, a) end
  if a < 1e6 then return ("%s%.1f us"):format(sign, a / 1e3) end
  if a < 1e9 then return ("%s%.3f ms"):format(sign, a / 1e6) end
  if a < 120e9 then return ("%s%.3f s"):format(sign, a / 1e9) end
  if a < 7200e9 then return ("%s%.1f min"):format(sign, a / 60e9) end
  if a < 172800e9 then return ("%s%.1f h"):format(sign, a / 3600e9) end
  return ("%s%.1f days"):format(sign, a / 86400e9)
end

-- TAI ns -> "2026-11-26 12:34:56.789 UTC" (TAI minus 37 s, the offset the test signals use).
function T.tai_text(ns)
  if ns <= 0 then return "never" end
  local s = ns // 1000000000 - 37
  return os.date("!%Y-%m-%d %H:%M:%S", s) .. (".%03d UTC"):format((ns % 1000000000) // 1000000)
end

function T.bytes(n)
  if n < 1024 then return n .. " B" end
  if n < 1024 * 1024 then return ("%.1f KiB"):format(n / 1024) end
  if n < 1024 * 1024 * 1024 then return ("%.1f MiB"):format(n / 1048576) end
  return ("%.2f GiB"):format(n / 1073741824)
end

-- ---- statistics --------------------------------------------------------------------------------------------------

-- T.stats(list) -> {n=, min=, max=, mean=, p50=, p90=, p95=, p99=} (nearest-rank percentiles) or {n=0}.
function T.stats(list)
  local n = #list
  if n == 0 then return { n = 0 } end
  local s = table.move(list, 1, n, 1, {})
  table.sort(s)
  local sum = 0
  for i = 1, n do sum = sum + s[i] end
  local function p(q) return s[math.max(1, math.min(n, math.ceil(q * n)))] end
  return { n = n, min = s[1], max = s[n], mean = sum / n, p50 = p(0.50), p90 = p(0.90), p95 = p(0.95), p99 = p(0.99) }
end

-- Histogram bucket edges in ms (values below the first edge and at or above the last fall in open end buckets).
T.EDGES_MS = { -50, -20, -10, -5, -2, -1, 0, 1, 2, 5, 10, 20, 50, 100, 200 }

-- T.histogram(list [, edges]) -> list of {lo=, hi=, count=} (lo/hi nil for open ends), only from the first to the
-- last non-empty bucket.
function T.histogram(list, edges)
  edges = edges or T.EDGES_MS
  local counts = {}
  for i = 1, #edges + 1 do counts[i] = 0 end
  for _, v in ipairs(list) do
    local b = #edges + 1
    for i, e in ipairs(edges) do
      if v < e then
        b = i
        break
      end
    end
    counts[b] = counts[b] + 1
  end
  local first, last
  for i = 1, #counts do
    if counts[i] > 0 then
      first = first or i
      last = i
    end
  end
  local out = {}
  if not first then return out end
  for i = first, last do
    out[#out + 1] = { lo = edges[i - 1], hi = edges[i], count = counts[i] }
  end
  return out
end

-- T.histogram_lines(hist, indent, unit) -> text lines with bars scaled to 40 characters.
function T.histogram_lines(hist, indent, unit)
  local lines, max = {}, 0
  for _, b in ipairs(hist) do max = math.max(max, b.count) end
  for _, b in ipairs(hist) do
    local lo = b.lo and ("%g"):format(b.lo) or "-inf"
    local hi = b.hi and ("%g"):format(b.hi) or "+inf"
    local bar = string.rep("#", max > 0 and math.ceil(40 * b.count / max) or 0)
    if b.count == 0 then bar = "" end
    lines[#lines + 1] = ("%s[%5s, %5s) %s %6d %s"):format(indent or "", lo, hi, unit or "ms", b.count, bar)
  end
  return lines
end

-- ---- JSON --------------------------------------------------------------------------------------------------------

local function is_array(t)
  if mxl.is_array and mxl.is_array(t) then return true end
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n > 0 and n == #t
end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r",
                  ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

-- Shortest text that reads back as the same double.
local function float_text(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  for p = 6, 17 do
    local s = ("%." .. p .. "g"):format(x)
    if tonumber(s) == x then return s end
  end
  return ("%.17g"):format(x)
end

local function encode(v, indent, depth, out)
  local t = type(v)
  if v == nil or v == mxl.null then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = ("%d"):format(v) -- exact: 64-bit indices and timestamps never pass through a double
    else
      out[#out + 1] = float_text(v)
    end
  elseif t == "string" then
    out[#out + 1] = quote(v)
  elseif t == "table" then
    local nl = indent and ("\n" .. string.rep(indent, depth + 1)) or ""
    local close = indent and ("\n" .. string.rep(indent, depth)) or ""
    local sep = indent and ": " or ":"
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" return end
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = nl
        encode(v[i], indent, depth + 1, out)
      end
      out[#out + 1] = close .. "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" and math.type(k) ~= "integer" then error("json: unsupported key type " .. type(k)) end
        keys[#keys + 1] = tostring(k)
      end
      table.sort(keys)
      if #keys == 0 then out[#out + 1] = "{}" return end
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = nl .. quote(k) .. sep
        local val = v[k]
        if val == nil then val = v[math.tointeger(tonumber(k))] end
        encode(val, indent, depth + 1, out)
      end
      out[#out + 1] = close .. "}"
    end
  else
    error("json: cannot encode a " .. t)
  end
end

-- T.json(value [, indent]) -> text. Integers are written exactly with %d (64-bit safe), floats in their shortest
-- round-trip form, keys sorted; mxl.null is null, arrays marked with mxl.array() stay arrays.
function T.json(v, indent)
  local out = {}
  encode(v, indent, 0, out)
  return table.concat(out)
end

-- ---- terminal ----------------------------------------------------------------------------------------------------

function T.isatty()
  return os.execute("test -t 1") == true
end

return T
