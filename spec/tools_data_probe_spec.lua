-- scripts/data_probe.lua end to end: decodes the generator's ST 12-2 timecode (= the frame's time of day, binary
-- groups = frame index) and CEA-608 captions grain by grain; flags parity and checksum errors in a corrupted
-- packet; bad input.
local S = require "spec.tools_support"
local H = S.H
local mxl = H.mxl
local media = mxl.media

describe("scripts/data_probe.lua", function()
  local domain, gen, holder
  before_each(function() domain = H.tmpdomain() end)
  after_each(function()
    if gen then
      S.stop(gen)
      H.cleanup(gen)
    end
    if holder then H.cleanup(holder) end
    gen, holder = nil, nil
    H.rmrf(domain)
  end)

  it("decodes the generator's timecode and captions, grain after grain", function()
    gen = S.generator(domain, "--no-video --no-audio")
    local rc, out = S.tool("data_probe", ("-d %s -f %s -n 6 --json"):format(H.q(domain), gen.ids.data))
    assert.equal(0, rc, out)
    local prev
    local n = 0
    for line in out:gmatch("[^\n]+") do
      local g = assert(mxl.json_decode(line), line)
      n = n + 1
      if prev then assert.equal(prev + 1, g.index) end
      prev = g.index
      assert.equal(2, g.count)
      local atc, cc = g.packets[1], g.packets[2]
      assert.equal(0x60, atc.did)
      assert.equal("SMPTE ST 12-2 Ancillary Time Code", atc.name)
      assert.equal(9, atc.line)
      assert.equal(16, atc.dc)
      assert.equal((media.timecode(g.index, 30000, 1001)), atc.timecode)
      assert.equal(g.index & 0xffffffff, atc.binary_groups)
      assert.same({}, atc.errors)
      assert.equal("SMPTE ST 334 CEA-608 closed captions", cc.name)
      assert.equal(21, cc.line)
      local want = media.anc_cc608_packet(g.index).udw
      assert.same({ want[2], want[3] }, cc.cc_bytes)
      assert.is_true(cc.parity_ok and cc.checksum_ok)
    end
    assert.equal(6, n)
    -- the text form
    local rc2, out2 = S.tool("data_probe", H.q("mxl://" .. domain .. "?id=" .. gen.ids.data) .. " -n 2 --udw")
    assert.equal(0, rc2, out2)
    local idx, tc = out2:match("Grain (%d+)  flags 0x0, 4096/4096 slices; RFC 8331 length 48, 2 packets, progressive\n"
      .. "  %[0%] line 9    DID/SDID 0x60/0x60 SMPTE ST 12%-2 Ancillary Time Code%s+DC 16%s+timecode (%S+)")
    assert.truthy(idx, out2)
    assert.equal((media.timecode(tonumber(idx), 30000, 1001)), tc)
    assert.truthy(out2:match("%[1%] line 21   DID/SDID 0x61/0x02 SMPTE ST 334 CEA%-608 closed captions%s+DC 3%s+608 field 1: 0x%x%x 0x%x%x"), out2)
    assert.truthy(out2:match("\n      UDW 80 %x%x %x%x\n"), out2)
  end)

  it("flags parity and checksum errors (exit 1)", function()
    local def = H.data_def{ rate = { numerator = 25, denominator = 1 } }
    holder = H.spawn(domain, [[
local mxl = require "mxl"
local media = mxl.media
local def = assert(mxl.json_decode(arg[1]))
local inst = assert(mxl.instance())
local w = assert(inst:writer(def))
local i = mxl.current_index({ 25, 1 })
local v = assert(w:open_grain(i))
media.anc_build(v, { media.anc_timecode_packet(i, 25, 1), { did = 0x41, sdid = 0x05, udw = { 1, 2, 3, 4 }, line = 12 } })
-- flip one bit inside the second packet's user data: its UDW parity and its checksum break
v:set_u8(6 + 32 + 9, v:get_u8(6 + 32 + 9) ~ 0x04) -- packet 2 starts at byte 38; UDW 2 covers its bits 72..81
assert(w:commit_grain())
io.write("index ", i, "\n")
io.stdout:flush()
while true do mxl.sleep(100000000) end
]], H.q(mxl.json_encode(def)))
    local idx = H.until_true(function() return H.output(holder):match("index (%d+)") end, 10)
    assert.truthy(idx, H.output(holder))
    local rc, out = S.tool("data_probe", ("-d %s -f %s --index %s -n 1"):format(H.q(domain), def.id, idx))
    assert.equal(1, rc, out)
    assert.truthy(out:match("%[0%] line 9 .- timecode %d%d:%d%d:%d%d:%d%d"), out)
    assert.truthy(out:match("%[1%] line 12   DID/SDID 0x41/0x05 SMPTE ST 2016 Active Format Description"), out)
    assert.truthy(out:match("! PARITY ERROR in UDW%d 0x%x+"), out)
    assert.truthy(out:match("! CHECKSUM ERROR %(stored 0x%x+%)"), out)
    local rc2, j = S.tool_json("data_probe", ("-d %s -f %s --index %s -n 1 --json"):format(H.q(domain), def.id, idx))
    assert.equal(1, rc2)
    assert.is_true(j.packets[1].checksum_ok)
    assert.is_false(j.packets[2].checksum_ok)
    assert.equal(2, #j.packets[2].errors)
  end)

  it("rejects bad input with exit code 2: missing domain, unknown flow, malformed URI, a video flow", function()
    local inst = assert(mxl.instance(domain))
    local v = H.video_def()
    local w = assert(inst:writer(v))
    local cases = {
      { "-d /dev/shm/mxl-spec-no-such-domain -f " .. v.id, "domain /dev/shm/mxl%-spec%-no%-such%-domain does not exist" },
      { "-d " .. H.q(domain) .. " -f " .. H.uuid(), "no flow %x+%-.- in domain" },
      { H.q("mxl://" .. domain .. "?flow=" .. v.id), "malformed URI" },
      { "-d " .. H.q(domain) .. " -f " .. v.id, "flow " .. v.id:gsub("%-", "%%-") .. " is a video flow; data_probe needs a data flow" },
      { "-d " .. H.q(domain) .. " -f " .. v.id .. " -n -1", "%-%-count must be >= 0" },
      { "-d " .. H.q(domain) .. " -f " .. v.id .. " -n many", "option %-n: integer expected, got 'many'" },
    }
    for _, c in ipairs(cases) do
      local rc, out = S.tool("data_probe", c[1])
      assert.equal(2, rc, c[1] .. ": " .. out)
      assert.truthy(out:match("^data_probe: " .. c[2]), c[1] .. ": " .. out)
    end
    w:close()
    inst:close()
  end)
end)
