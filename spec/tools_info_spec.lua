-- scripts/info.lua end to end: listing grouped by NMOS group hint with URIs, inspecting every header field (text,
-- URI and JSON), an inactive flow after its writer was SIGKILLed and its garbage collection, --watch, bad input.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl

local function defs()
  local v = H.video_def{ label = "info video" }
  v.tags = { [ "urn:x-nmos:tag:grouphint/v1.0" ] = { "studio-a:Video" } }
  local a = H.audio_def()
  a.label = "info audio"
  a.tags = { [ "urn:x-nmos:tag:grouphint/v1.0" ] = { "studio-a:Audio" } }
  local d = H.data_def()
  d.label = "info data"
  d.tags = { [ "urn:x-nmos:tag:grouphint/v1.0" ] = { "studio-b:Data" } }
  local v2 = H.video_def{ label = "info video 2" }
  v2.tags = { [ "urn:x-nmos:tag:grouphint/v1.0" ] = { "studio-b:Key", "other:Video" } }
  return { v, a, d, v2 }
end

local function plain(s)
  return (s:gsub("%p", "%%%0"))
end

describe("scripts/info.lua", function()
  local domain, holder
  before_each(function() domain = H.tmpdomain() end)
  after_each(function()
    if holder then H.cleanup(holder) end
    holder = nil
    H.rmrf(domain)
  end)

  it("lists the flows grouped by group hint, with a URI per flow and one per group", function()
    local d = defs()
    holder = S.holder(domain, d)
    local rc, out = S.tool("info", "-d " .. H.q(domain))
    assert.equal(0, rc, out)
    assert.truthy(out:find("mxl://" .. domain .. ": 4 flows", 1, true), out)
    -- group lines name all the group's flows
    local g1 = out:match("group studio%-a  (mxl://%S+)")
    local g2 = out:match("group studio%-b  (mxl://%S+)")
    assert.is_string(g1, out)
    local u1 = assert(mxl.parse_uri(g1))
    assert.equal(domain, u1.path)
    table.sort(u1.ids)
    local want = { d[1].id, d[2].id }
    table.sort(want)
    assert.same(want, u1.ids)
    -- a flow with several hints is listed under its first
    local u2 = assert(mxl.parse_uri(g2))
    table.sort(u2.ids)
    want = { d[3].id, d[4].id }
    table.sort(want)
    assert.same(want, u2.ids)
    assert.falsy(out:find("group other", 1, true))
    -- one line per flow: format, id, state, label, media details; then its URI
    assert.truthy(out:match("video " .. plain(d[1].id) .. " active%s+\"info video\"%s+96x4p 50 video/v210 %[Video%]"), out)
    assert.truthy(out:match("audio " .. plain(d[2].id) .. " active%s+\"info audio\"%s+48000 Hz, 2 ch, 32 bit"), out)
    assert.truthy(out:match("data  " .. plain(d[3].id) .. " active%s+\"info data\""), out)
    for _, def in ipairs(d) do
      assert.truthy(out:find("mxl://" .. domain .. "?id=" .. def.id .. "\n", 1, true), def.id)
    end
    -- the same through a domain URI, and as JSON
    local rc2, out2 = S.tool("info", H.q("mxl://" .. domain))
    assert.equal(0, rc2)
    assert.equal(out, out2)
    local rc3, j = S.tool_json("info", "-l --json -d " .. H.q(domain))
    assert.equal(0, rc3)
    assert.equal(4, j.list.count)
    assert.equal("studio-a", j.list.groups[1].group)
    assert.equal(2, #j.list.groups[1].flows)
    assert.equal("video", j.list.groups[1].flows[1].format)
    assert.equal("studio-b", j.list.groups[2].group)
    assert.equal("Key", j.list.groups[2].flows[1].role)
  end)

  it("inspects a flow: every header field, latency against the current index, active, read/write ages", function()
    local d = defs()
    holder = S.holder(domain, d)
    local inst = assert(mxl.instance(domain))
    local r = assert(inst:reader(d[1].id))
    local info = r:info()
    local rc, out = S.tool("info", "-d " .. H.q(domain) .. " -f " .. d[1].id)
    assert.equal(0, rc, out)
    for _, pat in ipairs({ "Version: 1\n", "Struct size: 2048\n", "Format: 1 %(video%)", "Flags: 0x00000000",
                           "Grain rate: 50 %(20%.000 ms per grain%)", "Commit batch hint: 4\n",
                           "Sync batch hint: 4\n", "Payload location: 0 %(host memory%)", "Device index: %-1\n",
                           "Slice sizes: 256 0 0 0\n", "Grain count: %d+ %(history", "Current index: %d+",
                           "Latency: %d+ grains? %(", "Last write time: %d+ %(", "Last read time: %d+ %(",
                           "Active: true", "State: active", "Group hint: studio%-a:Video",
                           "Media: 96x4p 50 video/v210", "committed" }) do
      assert.truthy(out:match(pat), pat .. "\n" .. out)
    end
    assert.truthy(out:find(("Head index: %d\n"):format(info.headIndex), 1, true), out)
    -- the URI form names the same flow; JSON keeps 64-bit values exact
    local rc2, out2 = S.tool("info", H.q("mxl://" .. domain .. "?id=" .. d[1].id))
    assert.equal(0, rc2)
    assert.truthy(out2:find(("Head index: %d\n"):format(info.headIndex), 1, true))
    local rc3, j, raw = S.tool_json("info", "--json " .. H.q("mxl://" .. domain .. "?id=" .. d[1].id .. "&id=" .. d[2].id))
    assert.equal(0, rc3, raw)
    assert.equal(2, #j.flows)
    local f = j.flows[1]
    assert.equal(info.headIndex, f.header.head_index)
    assert.truthy(raw:find(('"head_index": %d'):format(info.headIndex), 1, true))
    assert.equal(info.lastWriteTime, f.header.last_write_time)
    assert.equal(info.grainCount, f.header.grain_count)
    assert.same({ numerator = 50, denominator = 1 }, f.header.grain_rate)
    assert.equal(f.current_index - f.header.head_index, f.latency_grains)
    assert.is_true(f.latency_grains >= 0 and f.latency_grains < 50 * 10)
    assert.near(f.latency_grains * 20, f.latency_ms, 1e-9)
    assert.is_true(f.active)
    assert.is_true(f.last_write_age_ms >= 0)
    local fa = j.flows[2]
    assert.equal("audio", fa.header.format_name)
    assert.equal(2, fa.header.channel_count)
    assert.is_number(fa.header.buffer_length)
    r:close()
    inst:close()
  end)

  it("shows flows whose writer was SIGKILLed as inactive, and -g reclaims them with a report", function()
    local d = defs()
    holder = S.holder(domain, d)
    os.execute("kill -9 " .. holder.pid)
    assert.truthy(H.until_true(function() return not H.alive(holder.pid) end, 5))
    local rc, out = S.tool("info", "-d " .. H.q(domain))
    assert.equal(0, rc, out)
    assert.truthy(out:find("4 inactive (writer gone: stale on disk", 1, true), out)
    assert.truthy(out:match("video " .. plain(d[1].id) .. " INACTIVE"), out)
    local rc2, out2 = S.tool("info", "-d " .. H.q(domain) .. " -f " .. d[1].id)
    assert.equal(0, rc2)
    assert.truthy(out2:find("State: INACTIVE: no writer holds the flow", 1, true), out2)
    assert.truthy(out2:find("Active: false", 1, true))
    -- an active flow next to them is kept
    local inst = assert(mxl.instance(domain))
    local keep = H.video_def{ label = "live" }
    local w = assert(inst:writer(keep))
    local rc3, j = S.tool_json("info", "-g --json -d " .. H.q(domain))
    assert.equal(0, rc3)
    assert.equal(4, j.gc.flows)
    assert.equal(1, j.gc.kept)
    assert.is_true(j.gc.bytes > 0)
    local removed = {}
    for _, f in ipairs(j.gc.removed) do removed[f.id] = f.label end
    for _, def in ipairs(d) do assert.equal(def.label, removed[def.id]) end
    assert.same({ keep.id }, inst:list())
    w:close()
    -- text report; nothing left to collect
    local rc4, out4 = S.tool("info", "-g -d " .. H.q(domain))
    assert.equal(0, rc4)
    assert.truthy(out4:find("Garbage collected 0 stale flows", 1, true), out4)
    inst:close()
  end)

  it("--watch refreshes until stopped (--count), one frame per interval", function()
    holder = S.holder(domain, { H.video_def{ label = "watched" } })
    local rc, out = S.tool("info", "-d " .. H.q(domain) .. " --watch --interval 0.1 --count 3")
    assert.equal(0, rc, out)
    local frames = 0
    for _ in out:gmatch("%-%-%-%- %d+%-%d+%-%d+ [%d:.]+ UTC\n") do frames = frames + 1 end
    assert.equal(3, frames, out)
    local n = 0
    for _ in out:gmatch("\"watched\"") do n = n + 1 end
    assert.equal(3, n)
  end)

  it("rejects bad input with a clear message and exit code 2", function()
    local cases = {
      { "-d /dev/shm/mxl-spec-no-such-domain", "domain /dev/shm/mxl%-spec%-no%-such%-domain does not exist" },
      { "-d " .. H.q(domain) .. " -f " .. H.uuid(), "no flow %x+%-.- in domain" },
      { "-d " .. H.q(domain) .. " -f not-a-uuid", "bad flow id 'not%-a%-uuid'" },
      { H.q("mxl://" .. domain .. "?id=zzz"), "malformed URI" },
      { H.q("http://" .. domain), "malformed URI: .*must start with \"mxl://\"" },
      { "--bogus", "unknown option %-%-bogus" },
      { "-d", "option %-d needs a value" },
      { "stray", "unexpected argument 'stray'" },
    }
    for _, c in ipairs(cases) do
      local rc, out = S.tool("info", c[1])
      assert.equal(2, rc, c[1] .. ": " .. out)
      assert.truthy(out:match("^info: " .. c[2]), c[1] .. ": " .. out)
    end
    local rc, out = S.tool("info", "--help")
    assert.equal(0, rc)
    assert.truthy(out:match("^usage: mxlrun scripts/info.lua"))
  end)
end)
