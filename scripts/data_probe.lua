-- data_probe: read ANC grains (video/smpte291, RFC 8331 from the Length field) from a data flow and print each
-- packet: DID/SDID with its name, line, data count, decoded ST 12-2 timecode or CEA-608 caption bytes; parity and
-- checksum errors flagged. Like upstream's mxl-data-probe.
--
--   mxlrun scripts/data_probe.lua -d /dev/shm/mxl -f DATA_ID [-n 10]
--   mxlrun scripts/data_probe.lua 'mxl:///dev/shm/mxl?id=DATA_ID' --json
local mxl = require "mxl"
local media = mxl.media
local tools = require "mxl.tools"

local TOOL = "data_probe"
local USAGE = [[
usage: mxlrun scripts/data_probe.lua [options] [mxl://[host]/domain?id=FLOW]
  -d, --domain DIR      MXL domain                 -f, --flow ID    the data flow
  -n, --count N         grains to print (default 10; 0 = until interrupted)
  -i, --index N         first grain (default: the latest committed grain, then follow the writer)
      --udw             also print every packet's user data words
      --json            one JSON object per grain (JSON lines; indices as exact integers)
      --timeout-ms MS   longest wait for the next grain (1000)
  -h, --help
Exit status: 0 done, 1 a grain could not be read (timeout, flow gone) or carried parity/checksum errors, 2 usage
error (missing domain, unknown flow, malformed URI, not a data flow).
]]

local opts, positional = tools.getopt(tools.args(...), {
  { "d", "domain", "domain", arg = "string" }, { "f", "flow", "flow", arg = "string", multi = true },
  { "n", "count", "count", arg = "integer" }, { "i", "index", "index", arg = "integer" },
  { nil, "udw", "udw" }, { nil, "json", "json" }, { nil, "timeout-ms", "timeout_ms", arg = "number" },
  { "h", "help", "help" },
}, TOOL)
if opts.help then
  io.stdout:write(USAGE)
  os.exit(0)
end
local domain, ids = tools.target(TOOL, opts, positional)
if #ids ~= 1 then tools.die(TOOL, #ids == 0 and "which flow? (-f ID or an mxl:// URI with ?id=)" or "one flow at a time") end
if opts.count and opts.count < 0 then tools.die(TOOL, "--count must be >= 0") end
local inst = tools.instance(TOOL, domain)
local r = tools.reader(TOOL, inst, ids[1])
tools.require_format(TOOL, r, "data")
local def = inst:flow_def_table(r:id()) or {}
if def.media_type and def.media_type ~= "video/smpte291" then
  tools.warn(TOOL, ("media type %s, decoding as video/smpte291 anyway"):format(def.media_type))
end

local rate = r:info().grainRate
local whole = (rate.numerator + rate.denominator - 1) // rate.denominator
local atc_fps = whole > 30 and whole // 2 or whole
local timeout = math.floor((opts.timeout_ms or 1000) * 1e6)
local count = opts.count or 10

-- DID/SDID names (SMPTE ST 291 registry; the same list as upstream's probe)
local NAMES = {
  [0x4101] = "SMPTE ST 352 Video Payload ID", [0x4105] = "SMPTE ST 2016 Active Format Description",
  [0x4107] = "ANSI/SCTE 104 messages", [0x4108] = "SMPTE ST 2031 VBI data",
  [0x410C] = "SMPTE ST 2108-1 HDR/WCG metadata", [0x4302] = "OP-47 Subtitling Distribution Packet",
  [0x4303] = "OP-47 VANC multipacket", [0x5001] = "Wide Screen Signaling",
  [0x6060] = "SMPTE ST 12-2 Ancillary Time Code", [0x6101] = "SMPTE ST 334 Caption Distribution Packet",
  [0x6102] = "SMPTE ST 334 CEA-608 closed captions",
}

-- CEA-608 control codes (second byte) on data channel 1 (0x14) / 2 (0x1C), parity removed
local CC_CONTROL = { [0x20] = "RCL", [0x21] = "BS", [0x24] = "DER", [0x25] = "RU2", [0x26] = "RU3", [0x27] = "RU4",
                     [0x28] = "FON", [0x29] = "RDC", [0x2A] = "TR", [0x2B] = "RTD", [0x2C] = "EDM", [0x2D] = "CR",
                     [0x2E] = "ENM", [0x2F] = "EOC" }

local function odd_parity_ok(b)
  local n = 0
  for i = 0, 7 do n = n + ((b >> i) & 1) end
  return n % 2 == 1
end

local function cc_text(b1, b2)
  local c1, c2 = b1 & 0x7f, b2 & 0x7f
  local par = (odd_parity_ok(b1) and odd_parity_ok(b2)) and "" or " (608 PARITY ERROR)"
  if c1 == 0 and c2 == 0 then return "null padding" .. par end
  if (c1 == 0x14 or c1 == 0x1C) and CC_CONTROL[c2] then
    return ("%s (CC%d)"):format(CC_CONTROL[c2], c1 == 0x14 and 1 or 2) .. par
  end
  if c1 >= 0x20 then
    return string.char(c1) .. (c2 >= 0x20 and string.char(c2) or "") .. par
  end
  return ("control 0x%02X 0x%02X"):format(c1, c2) .. par
end

-- A 10-bit ANC word: b8 = even parity of b0..b7, b9 = NOT b8.
local function word_ok(w)
  local n = 0
  for i = 0, 7 do n = n + ((w >> i) & 1) end
  local b8 = (w >> 8) & 1
  return b8 == n % 2 and ((w >> 9) & 1) == 1 - b8
end

local function describe(pk)
  local d = { did = pk.did, sdid = pk.sdid, name = NAMES[(pk.did << 8) | pk.sdid] or "Unknown ancillary data",
              line = pk.line, hoffset = pk.hoffset, c = pk.c, dc = pk.dc, udw = mxl.array(pk.udw),
              parity_ok = pk.parity_ok, checksum_ok = pk.checksum_ok, checksum_word = pk.checksum }
  local errors = {}
  if not pk.parity_ok then
    local bad = {}
    if not word_ok(pk.did_word) then bad[#bad + 1] = ("DID 0x%03X"):format(pk.did_word) end
    if not word_ok(pk.sdid_word) then bad[#bad + 1] = ("SDID 0x%03X"):format(pk.sdid_word) end
    if not word_ok(pk.dc_word) then bad[#bad + 1] = ("DC 0x%03X"):format(pk.dc_word) end
    errors[#errors + 1] = "PARITY ERROR" .. (#bad > 0 and (" in " .. table.concat(bad, ", ")) or "")
  end
  local udw_bad = {}
  for i, w in ipairs(pk.udw_words) do
    if not word_ok(w) then udw_bad[#udw_bad + 1] = ("UDW%d 0x%03X"):format(i, w) end
  end
  if #udw_bad > 0 then errors[#errors + 1] = "PARITY ERROR in " .. table.concat(udw_bad, ", ", 1, math.min(4, #udw_bad)) end
  if not pk.checksum_ok then errors[#errors + 1] = ("CHECKSUM ERROR (stored 0x%03X)"):format(pk.checksum) end
  d.errors = mxl.array(errors)
  local text
  if pk.did == 0x60 and pk.sdid == 0x60 then
    local label, f = media.atc_decode(pk, atc_fps)
    if label then
      d.timecode = label
      d.field_mark = f.field_mark
      d.binary_groups = f.user
      text = ("timecode %s%s  binary groups 0x%08X (%d)"):format(label, f.field_mark and " (field mark)" or "",
        f.user, f.user)
    else
      text = "timecode undecodable"
    end
  elseif pk.did == 0x61 and pk.sdid == 0x02 and pk.dc >= 3 then
    local b0, b1, b2 = pk.udw[1], pk.udw[2], pk.udw[3]
    d.cc_field = (b0 & 0x80) ~= 0 and 1 or 2
    d.cc_bytes = mxl.array({ b1, b2 })
    d.caption = cc_text(b1, b2)
    text = ("608 field %d: 0x%02X 0x%02X  %s"):format(d.cc_field, b1, b2,
      (b1 & 0x7f) >= 0x20 and ("'" .. d.caption .. "'") or d.caption)
  end
  return d, text
end

local function udw_lines(pk)
  local out = {}
  for i = 1, #pk.udw, 16 do
    local t = {}
    for k = i, math.min(#pk.udw, i + 15) do t[#t + 1] = ("%02X"):format(pk.udw[k]) end
    out[#out + 1] = "      UDW " .. table.concat(t, " ")
  end
  return out
end

local F_TEXT = { [0] = "progressive", [1] = "invalid F", [2] = "field 1", [3] = "field 2" }

local status = tools.OK
local index = opts.index
if not index then
  -- nothing written yet (head 0): wait for the first grain
  local deadline = mxl.now() + timeout
  while r:runtime_info() == 0 do
    if mxl.now() >= deadline or not tools.sleep(5000000) then
      tools.die(TOOL, "nothing was written to flow " .. r:id() .. " yet", tools.FAIL)
    end
  end
  index = r:runtime_info()
  if not r:get_grain_nonblocking(index) then index = index + 1 end
end
local printed, with_errors, interrupted = 0, 0, false
while count == 0 or printed < count do
  local v, msg, code = r:get_grain(index, timeout)
  if not v then
    if code == "INTERRUPTED" then -- Ctrl-C: a normal way to stop (-n 0 runs until then)
      interrupted = true
      break
    elseif code == "TOO_LATE" and not opts.index then
      -- fell behind the writer: resume at its head
      io.stderr:write(TOOL, ": ", msg, "; resuming at the head\n")
      index = r:runtime_info()
    else
      io.stderr:write(TOOL, ": grain ", index, ": ", tostring(msg), "\n")
      status = tools.FAIL
      break
    end
  else
    local g = v:info()
    local p, err = media.anc_parse(v)
    local rec = { index = index, flags = g.flags, grain_size = g.grainSize, valid_slices = g.validSlices,
                  total_slices = g.totalSlices }
    local lines = {}
    if not p then
      rec.error = err
      lines[1] = ("Grain %d: %s"):format(index, err)
      status = tools.FAIL
    else
      rec.length, rec.count, rec.f, rec.truncated = p.length, p.count, p.f, p.truncated
      lines[1] = ("Grain %d  flags 0x%X, %d/%d slices; RFC 8331 length %d, %d packet%s, %s%s"):format(index, g.flags,
        g.validSlices, g.totalSlices, p.length, p.count, p.count == 1 and "" or "s", F_TEXT[p.f] or "?",
        p.truncated and ", TRUNCATED" or "")
      local pk_out = {}
      for k, pk in ipairs(p.packets) do
        local d, text = describe(pk)
        pk_out[k] = d
        lines[#lines + 1] = ("  [%d] line %-4d DID/SDID 0x%02X/0x%02X %-40s DC %-3d%s"):format(k - 1, pk.line, pk.did,
          pk.sdid, d.name, pk.dc, text and ("  " .. text) or "")
        for _, e in ipairs(d.errors) do
          lines[#lines + 1] = "      ! " .. e
          status = tools.FAIL
        end
        if opts.udw then
          for _, l in ipairs(udw_lines(pk)) do lines[#lines + 1] = l end
        end
      end
      if #p.packets == 0 then lines[#lines + 1] = "  no ANC packets" end
      rec.packets = mxl.array(pk_out)
      if p.truncated then status = tools.FAIL end
    end
    if opts.json then
      io.stdout:write(tools.json(rec), "\n")
    else
      io.stdout:write(table.concat(lines, "\n"), "\n")
    end
    io.stdout:flush()
    printed = printed + 1
    if rec.error or (p and p.truncated) then with_errors = with_errors + 1 end
    for _, pk in ipairs(rec.packets or {}) do
      if #pk.errors > 0 then with_errors = with_errors + 1 break end
    end
    index = index + 1
  end
end
r:close()
if interrupted then -- the final status line (stderr: --json output stays one record per line)
  io.stderr:write(("%s: stopped after %d grain%s, %d with errors\n"):format(TOOL, printed, printed == 1 and "" or "s",
    with_errors))
end
os.exit(status)
