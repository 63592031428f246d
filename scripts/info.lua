-- info: list the flows of an MXL domain grouped by NMOS group hint, or inspect flows; garbage-collect inactive
-- flows. The equivalent of upstream's mxl-info.
--
--   mxlrun scripts/info.lua [-d DOMAIN] [-l]                          list
--   mxlrun scripts/info.lua -d DOMAIN -f FLOW [-f FLOW..]             inspect
--   mxlrun scripts/info.lua 'mxl:///dev/shm/mxl?id=...'               inspect (a URI without ids lists)
--   mxlrun scripts/info.lua -d DOMAIN -g                              garbage-collect, report what was reclaimed
local mxl = require "mxl"
local tools = require "mxl.tools"

local TOOL = "info"
local USAGE = [[
usage: mxlrun scripts/info.lua [options] [mxl://[host]/domain[?id=FLOW&id=FLOW..] ..]
  -d, --domain DIR    MXL domain (default: mxlrun's, $MXL_DOMAIN or /dev/shm/mxl)
  -f, --flow ID       inspect this flow (repeatable); without flows the domain is listed
  -l, --list          list the domain's flows grouped by NMOS group hint (also with -f or -g)
  -g, --gc            garbage-collect inactive flows and abandoned scaffolds, report what was reclaimed
      --json          machine-readable output (64-bit indices and timestamps as exact integers)
      --watch         refresh in place until interrupted (Ctrl-C)
      --interval S    refresh period for --watch (1 s)      --count N   stop --watch after N refreshes
  -h, --help
Exit status: 0 done, 2 usage error, missing domain, unknown flow or malformed URI.
]]

local opts, positional = tools.getopt(tools.args(...), {
  { "d", "domain", "domain", arg = "string" },
  { "f", "flow", "flow", arg = "string", multi = true },
  { "l", "list", "list" },
  { "g", "gc", "gc" },
  { nil, "json", "json" },
  { nil, "watch", "watch" },
  { nil, "interval", "interval", arg = "number" },
  { nil, "count", "count", arg = "integer" },
  { "h", "help", "help" },
}, TOOL)
if opts.help then
  io.stdout:write(USAGE)
  os.exit(0)
end

local domain, ids = tools.target(TOOL, opts, positional)
local inst = tools.instance(TOOL, domain)
domain = inst:domain()

-- ---- helpers -----------------------------------------------------------------------------------------------------

local ROLE_ORDER = { video = 1, audio = 2, data = 3 }

local function def_details(def, format_name)
  if type(def) ~= "table" then return "" end
  if format_name == "video" then
    local il = def.interlace_mode
    local scan = (il == "interlaced_tff" or il == "interlaced_bff") and "i" or "p"
    local r = tools.rate(def.grain_rate or {})
    return ("%sx%s%s %s %s"):format(tostring(def.frame_width), tostring(def.frame_height), scan,
      r and tools.rate_text(r) or "?", tostring(def.media_type))
  elseif format_name == "audio" then
    local sr = type(def.sample_rate) == "table" and def.sample_rate.numerator or "?"
    return ("%s Hz, %s ch, %s bit %s"):format(tostring(sr), tostring(def.channel_count), tostring(def.bit_depth or 32),
      tostring(def.media_type))
  elseif format_name == "data" then
    local r = tools.rate(def.grain_rate or {})
    return ("%s %s"):format(r and tools.rate_text(r) or "?", tostring(def.media_type))
  end
  return tostring(def.media_type or "")
end

local function label_of(def)
  return type(def) == "table" and type(def.label) == "string" and def.label or "?"
end

-- Every flow of the domain with its definition, state and group.
local function collect()
  local flows = {}
  local list, err = inst:list(true)
  if not list then tools.die(TOOL, "cannot list " .. domain .. ": " .. tostring(err), 1) end
  for _, e in ipairs(list) do
    local def = inst:flow_def_table(e.id)
    local hints = tools.group_hints(def)
    local group, role = nil, nil
    if hints[1] then group, role = tools.split_hint(hints[1]) end
    flows[#flows + 1] = {
      id = e.id, format = e.format_name, active = e.active, readable = e.readable, def = def,
      label = label_of(def), group = group, role = role, hints = hints,
      details = def_details(def, e.format_name), uri = tools.uri(domain, { e.id }),
    }
  end
  return flows
end

local function groups_of(flows)
  local by, names = {}, {}
  for _, f in ipairs(flows) do
    local key = f.group or ""
    if not by[key] then
      by[key] = {}
      names[#names + 1] = key
    end
    table.insert(by[key], f)
  end
  table.sort(names, function(a, b)
    if a == "" then return false end
    if b == "" then return true end
    return a < b
  end)
  local out = {}
  for _, name in ipairs(names) do
    local members = by[name]
    table.sort(members, function(a, b)
      local ra, rb = ROLE_ORDER[a.format] or 9, ROLE_ORDER[b.format] or 9
      if ra ~= rb then return ra < rb end
      return a.id < b.id
    end)
    local gids = {}
    for i, f in ipairs(members) do gids[i] = f.id end
    out[#out + 1] = { name = name ~= "" and name or nil, flows = members, uri = tools.uri(domain, gids) }
  end
  return out
end

local function state_text(f)
  if not f.readable then return "UNREADABLE" end
  return f.active and "active" or "INACTIVE"
end

-- ---- listing -----------------------------------------------------------------------------------------------------

local function list_text(flows)
  local lines = {}
  local inactive = 0
  for _, f in ipairs(flows) do
    if not f.active then inactive = inactive + 1 end
  end
  local groups = groups_of(flows)
  local head = ("%s: %d flow%s"):format(tools.uri(domain), #flows, #flows == 1 and "" or "s")
  if inactive > 0 then
    head = head .. (", %d inactive (writer gone: stale on disk, `-g` reclaims)"):format(inactive)
  end
  lines[#lines + 1] = head
  for _, g in ipairs(groups) do
    lines[#lines + 1] = ""
    if g.name then
      lines[#lines + 1] = ("group %s  %s"):format(g.name, g.uri)
    else
      lines[#lines + 1] = ("(no group hint)  %s"):format(g.uri)
    end
    for _, f in ipairs(g.flows) do
      lines[#lines + 1] = ("  %-5s %-36s %-8s %q  %s%s"):format(f.format, f.id, state_text(f), f.label, f.details,
        f.role and (" [" .. f.role .. "]") or "")
      lines[#lines + 1] = ("        %s"):format(f.uri)
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

local function list_json(flows)
  local groups = {}
  for _, g in ipairs(groups_of(flows)) do
    local members = {}
    for i, f in ipairs(g.flows) do
      members[i] = { id = f.id, format = f.format, label = f.label, active = f.active, readable = f.readable,
                     hints = mxl.array(f.hints), role = f.role or mxl.null, details = f.details, uri = f.uri }
    end
    groups[#groups + 1] = { group = g.name or mxl.null, uri = g.uri, flows = mxl.array(members) }
  end
  return { domain = domain, uri = tools.uri(domain), count = #flows, groups = mxl.array(groups) }
end

-- ---- inspecting one flow -----------------------------------------------------------------------------------------

local FORMAT_NAMES = { [0] = "unspecified", "video", "audio", "data" }

local function inspect(id)
  local r = tools.inspector(TOOL, inst, id) -- never touches `access`: Last read time stays the consumers' own
  local info = r:info()
  local now = mxl.now()
  local def = inst:flow_def_table(id)
  local active = inst:is_active(id)
  local rate = info.grainRate
  local cur = mxl.current_index(rate)
  local head = info.headIndex
  local lat = cur - head
  local d = {
    id = info.id, uri = tools.uri(domain, { info.id }), label = label_of(def), hints = mxl.array(tools.group_hints(def)),
    media_type = type(def) == "table" and def.media_type or mxl.null, details = def_details(def, info.format_name),
    active = active, now = now, current_index = cur, latency_grains = lat,
    latency_ms = lat * tools.period_ms(rate),
    last_write_age_ms = (now - info.lastWriteTime) / 1e6, last_read_age_ms = (now - info.lastReadTime) / 1e6,
    header = {
      version = info.version, size = info.size, format = info.format, format_name = info.format_name,
      flags = info.flags, grain_rate = { numerator = rate.numerator, denominator = rate.denominator },
      max_commit_batch_size_hint = info.maxCommitBatchSizeHint, max_sync_batch_size_hint = info.maxSyncBatchSizeHint,
      payload_location = info.payloadLocation, device_index = info.deviceIndex,
      head_index = head, last_write_time = info.lastWriteTime, last_read_time = info.lastReadTime,
    },
  }
  if info.sliceSizes then
    d.header.slice_sizes = mxl.array(info.sliceSizes)
    d.header.grain_count = info.grainCount
    d.history_ms = info.grainCount * tools.period_ms(rate)
    -- the head grain's slot header (and our writer's commit stamp, when present)
    local gi = r:get_grain_nonblocking(head)
    if gi then
      local h = gi:info()
      d.head_grain = { index = head, valid_slices = h.validSlices, total_slices = h.totalSlices, flags = h.flags,
                       grain_size = h.grainSize }
      local ct = r:grain_commit_time(head)
      if ct then
        d.head_grain.commit_time = ct
        d.head_grain.commit_minus_timestamp_ms = (ct - mxl.index_to_timestamp(rate, head)) / 1e6
      end
    end
  else
    d.header.channel_count = info.channelCount
    d.header.buffer_length = info.bufferLength
    d.history_ms = info.bufferLength * tools.period_ms(rate)
  end
  r:close()
  return d
end

local function age(ms)
  return tools.duration(math.floor(ms * 1e6)) .. " ago"
end

local function inspect_text(d)
  local h = d.header
  local L = {}
  local function row(k, v) L[#L + 1] = ("%20s: %s"):format(k, v) end
  L[#L + 1] = ("- Flow [%s] %q"):format(d.id, d.label)
  row("URI", d.uri)
  row("Group hint", #d.hints > 0 and table.concat(d.hints, ", ") or "(none)")
  row("Media", d.details)
  row("State", d.active and "active (a writer holds the flow)"
    or "INACTIVE: no writer holds the flow (stale on disk; `info -g` reclaims it)")
  L[#L + 1] = ""
  row("Version", h.version)
  row("Struct size", h.size)
  row("Format", ("%d (%s)"):format(h.format, FORMAT_NAMES[h.format] or "?"))
  row("Flags", ("0x%08x"):format(h.flags))
  row(h.channel_count and "Sample rate" or "Grain rate", ("%s (%.3f ms per %s)"):format(tools.rate_text(h.grain_rate),
    tools.period_ms(h.grain_rate), h.channel_count and "sample" or "grain"))
  row("Commit batch hint", h.max_commit_batch_size_hint)
  row("Sync batch hint", h.max_sync_batch_size_hint)
  row("Payload location", ("%d (%s)"):format(h.payload_location, h.payload_location == 0 and "host memory" or "device"))
  row("Device index", h.device_index)
  if h.slice_sizes then
    row("Slice sizes", table.concat(h.slice_sizes, " "))
    row("Grain count", ("%d (history %.1f ms)"):format(h.grain_count, d.history_ms))
  else
    row("Channel count", h.channel_count)
    row("Buffer length", ("%d samples (history %.1f ms)"):format(h.buffer_length, d.history_ms))
  end
  L[#L + 1] = ""
  row("Head index", ("%d"):format(h.head_index))
  row("Current index", ("%d"):format(d.current_index))
  row("Latency", ("%d %s%s (%.3f ms)"):format(d.latency_grains, h.channel_count and "sample" or "grain",
    d.latency_grains == 1 and "" or "s", d.latency_ms))
  row("Last write time", ("%d (%s, %s)"):format(h.last_write_time, tools.tai_text(h.last_write_time),
    age(d.last_write_age_ms)))
  row("Last read time", ("%d (%s, %s)"):format(h.last_read_time, tools.tai_text(h.last_read_time),
    age(d.last_read_age_ms)))
  if d.head_grain then
    local g = d.head_grain
    local s = ("%d/%d slices, flags 0x%x"):format(g.valid_slices, g.total_slices, g.flags)
    if g.commit_time then
      s = s .. (", committed %.3f ms %s its timestamp"):format(math.abs(g.commit_minus_timestamp_ms),
        g.commit_minus_timestamp_ms < 0 and "before" or "after")
    end
    row("Head grain", s)
  end
  row("Active", tostring(d.active))
  return table.concat(L, "\n") .. "\n"
end

-- ---- garbage collection ------------------------------------------------------------------------------------------

local function gc()
  local before = collect()
  local rep, err = inst:gc()
  if not rep then tools.die(TOOL, "garbage collection failed: " .. tostring(err), 1) end
  local still = {}
  for _, id in ipairs(inst:list() or {}) do still[id] = true end
  local removed = {}
  for _, f in ipairs(before) do
    if not still[f.id] then
      removed[#removed + 1] = { id = f.id, label = f.label, format = f.format, group = f.group or mxl.null }
    end
  end
  return { flows = rep.flows, scaffolds = rep.scaffolds, bytes = rep.bytes, kept = rep.kept,
           removed = mxl.array(removed) }
end

local function gc_text(g)
  local L = {}
  L[#L + 1] = ("Garbage collected %d stale flow%s and %d abandoned scaffold%s, %s reclaimed; %d active flow%s kept")
    :format(g.flows, g.flows == 1 and "" or "s", g.scaffolds, g.scaffolds == 1 and "" or "s", tools.bytes(g.bytes),
      g.kept, g.kept == 1 and "" or "s")
  for _, f in ipairs(g.removed) do
    L[#L + 1] = ("  removed %-5s %s %q"):format(f.format, f.id, f.label)
  end
  return table.concat(L, "\n") .. "\n"
end

-- ---- main --------------------------------------------------------------------------------------------------------

-- Validate the flows first: an unknown flow is a usage error (2) before anything is printed.
for _, id in ipairs(ids) do tools.inspector(TOOL, inst, id):close() end

local function render()
  local out = {}
  local json = {}
  if opts.gc then
    local g = gc()
    json.gc = g
    out[#out + 1] = gc_text(g)
  end
  if #ids == 0 and (opts.list or not opts.gc) or opts.list then
    local flows = collect()
    json.list = list_json(flows)
    out[#out + 1] = list_text(flows)
  end
  if #ids > 0 then
    local fl = {}
    for _, id in ipairs(ids) do
      local d = inspect(id)
      fl[#fl + 1] = d
      out[#out + 1] = inspect_text(d)
    end
    json.flows = mxl.array(fl)
  end
  if opts.json then return tools.json(json, "  ") .. "\n" end
  return table.concat(out, "\n")
end

if not opts.watch then
  io.stdout:write(render())
  os.exit(0)
end

-- --watch: redraw in place (cursor home + clear) on a terminal; separated frames otherwise.
local tty = tools.isatty()
local period = math.floor((opts.interval or 1) * 1e9)
local n = 0
while true do
  local text = render()
  if tty then
    io.stdout:write("\27[H\27[2J", text)
  else
    io.stdout:write(("---- %s\n"):format(tools.tai_text(mxl.now())), text)
  end
  io.stdout:flush()
  n = n + 1
  if opts.count and n >= opts.count then break end
  local ok = mxl.sleep(period)
  if not ok then break end
end
os.exit(0)
