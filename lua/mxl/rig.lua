-- mxl.rig: declare a multi-flow sync test rig — which flows to open (by id or NMOS group hint), which rate to step
-- at, how long to run, which checks to run on every step — and get arrival skew, end-to-end latency, missing data,
-- histograms, percentiles and a pass/fail verdict.
--
--   local rig = require "mxl.rig"
--   local r = rig.new{ flows = { v = "mxl-testsrc:Video", a = "mxl-testsrc:Audio" }, rate = "v", duration = 5,
--                      thresholds = { missing = 0, latency_ms = 40 } }
--   r:check("counter", function(step, fail) ... end)      -- step.v.view, step.a.window, ...
--   os.exit(r:main(arg))                                   -- -d, --duration, --json ...; exit 0 pass, 1 fail, 2 setup
--
-- Every step k waits on one sync group at the step's TAI timestamp t_k = indexToTimestamp(rate, first + k), then
-- hands each member's data to the checks: for a grain flow the grain at timestampToIndex(flow rate, t_k), for an
-- audio flow the samples [timestampToIndex(t_(k-1)), timestampToIndex(t_k)) (contiguous from step to step).
--
-- Measured per flow: arrival skew = commit time - media timestamp of the data (the commit time our writers stamp in
-- the grain's user-data block, r:grain_commit_time; for audio and for other writers' grain flows the sampled
-- lastWriteTime against the head's timestamp); missing data (skipped, late, overwritten); per step: end-to-end
-- latency = time the rig had every member's data - t_k, and the spread of the members' arrival skews.
local mxl = require "mxl"
local tools = require "mxl.tools"

local R = {}
R.__index = R

local DEFAULT_THRESHOLDS = { missing = 0, latency_ms = 100, skew_ms = nil, spread_ms = nil, overruns = nil }

-- A set-up error (bad flow, missing domain, ...): main() turns it into exit code 2.
local function setup_error(msg)
  error(setmetatable({ msg = msg }, { __tostring = function(e) return e.msg end }), 0)
end
R.setup_error = setup_error

local function is_uuid(s)
  return type(s) == "string" and mxl.normalize_flow_id(s) ~= nil
end

-- rig.new{flows=, rate=, duration=, steps=, timeout=, thresholds=, domain=, order=, wait=, tool=} -> rig
--   flows: name -> flow id | group hint ("grp:Video") | group name with format ({group="grp", format="audio"}) |
--          {id=} ; add partial=N to a grain flow to accept grains with N valid slices; optional=true to drop a
--          flow that is not there.
--   rate: "n/d" | integer | {n, d} | the name of a member (its grain rate). Default: the first grain member's rate.
--   duration: seconds (default 5) or steps: count. timeout: ns one step may wait (default max(200 ms, 4 steps)).
--   thresholds: missing (per flow, default 0), latency_ms (p99, default 100), skew_ms (p99 of |skew|, per flow),
--               spread_ms (p99 of the per-step spread of skews), overruns (rig too slow; default: warning only).
function R.new(o)
  o = o or {}
  local self = setmetatable({}, R)
  self.o = o
  self.tool = o.tool or "rig"
  self.checks = {}
  self.thresholds = {}
  for k, v in pairs(DEFAULT_THRESHOLDS) do self.thresholds[k] = v end
  for k, v in pairs(o.thresholds or {}) do self.thresholds[k] = v end
  return self
end

-- r:check(name, fn) or r:check{name=, step=fn, finish=fn}: fn(step, fail) runs on every step; fail(fmt, ...)
-- records a failure of this check. finish(report, fail) runs once at the end and may return a summary table (put in
-- the JSON report) and a list of text lines (printed in the human summary).
function R:check(name, fn)
  local c
  if type(name) == "table" then
    c = name
  else
    c = { name = name, step = fn }
  end
  assert(type(c.name) == "string", "rig:check: name required")
  c.failures, c.messages = 0, {}
  self.checks[#self.checks + 1] = c
  return self
end

-- ---- opening ------------------------------------------------------------------------------------------------------

local function resolve(self, inst, name, spec)
  if type(spec) == "string" then
    if is_uuid(spec) then spec = { id = spec } else spec = { group = spec } end
  end
  if type(spec) ~= "table" then setup_error(("flow '%s': bad declaration"):format(name)) end
  local id = spec.id
  if id then
    local canon = mxl.normalize_flow_id(id)
    if not canon then setup_error(("flow '%s': bad flow id '%s'"):format(name, tostring(id))) end
    id = canon
  else
    local sel = spec.group or setup_error(("flow '%s': give an id or a group hint"):format(name))
    local found = {}
    for _, f in ipairs(tools.find_flows(inst, sel)) do
      if not spec.format or f.format_name == spec.format then found[#found + 1] = f end
    end
    if #found == 0 then
      if spec.optional then return nil end
      return nil, ("flow '%s': no %sflow with group hint '%s' in %s"):format(name,
        spec.format and (spec.format .. " ") or "", sel, inst:domain())
    end
    if #found > 1 then
      local l = {}
      for _, f in ipairs(found) do l[#l + 1] = f.id .. " (" .. f.hint .. ")" end
      setup_error(("flow '%s': group hint '%s' matches %d flows: %s"):format(name, sel, #found, table.concat(l, ", ")))
    end
    id = found[1].id
  end
  local r, err, code = inst:reader(id)
  if not r then
    if code == "NOT_FOUND" then
      if spec.optional then return nil end
      return nil, ("flow '%s': no flow %s in domain %s"):format(name, id, inst:domain())
    end
    setup_error(("flow '%s': cannot open %s: %s"):format(name, id, tostring(err)))
  end
  if spec.format and r:format() ~= spec.format then
    setup_error(("flow '%s': %s is a%s %s flow, %s expected"):format(name, id, r:format() == "audio" and "n" or "",
      r:format(), spec.format))
  end
  return r, nil, spec
end

local function member(name, r, inst, spec)
  local info = r:info()
  local def = inst:flow_def_table(r:id()) or {}
  local m = {
    name = name, id = r:id(), reader = r, format = r:format(), rate = info.grainRate, def = def, info = info,
    discrete = r:format() ~= "audio", partial = spec and spec.partial,
    -- statistics
    skew = {}, missing = 0, missing_by = {}, overruns = 0, early = 0, steps = 0, fetched = 0,
    skew_sources = {},
  }
  if m.format == "video" then
    m.width, m.height = def.frame_width, def.frame_height
    m.interlace = def.interlace_mode or "progressive"
    m.fields = m.interlace == "interlaced_tff" or m.interlace == "interlaced_bff"
  end
  if m.discrete then
    m.grain_count = info.grainCount
    m.history_ns = info.grainCount * 1000000000 * m.rate.denominator // m.rate.numerator
  else
    m.channels = info.channelCount
    m.max_samples = r:max_samples()
    m.history_ns = m.max_samples * 1000000000 * m.rate.denominator // m.rate.numerator
  end
  return m
end

-- r:open() -> self: opens the instance, resolves and opens every flow (waiting up to o.wait seconds for them to
-- appear), builds the sync group. Raises a set-up error (see main) on failure.
function R:open()
  local o = self.o
  local domain = o.domain or mxl.default_domain
  local f = io.open(domain .. "/.", "r")
  if not f then setup_error(("domain %s does not exist (or is not a directory)"):format(domain)) end
  f:close()
  local inst, err = mxl.instance(domain)
  if not inst then setup_error(("cannot open domain %s: %s"):format(domain, tostring(err))) end
  self.inst = inst
  self.domain = inst:domain()
  local names = o.order
  if not names then
    names = {}
    for name in pairs(o.flows or {}) do names[#names + 1] = name end
    table.sort(names)
  end
  if #names == 0 then setup_error("no flows declared") end
  local deadline = mxl.now() + math.floor((o.wait or 0) * 1e9)
  self.members, self.by_name = {}, {}
  for _, name in ipairs(names) do
    local r, msg, spec
    while true do
      r, msg, spec = resolve(self, inst, name, o.flows[name])
      if r or not msg or mxl.now() >= deadline then break end
      if not mxl.sleep(50000000) then break end
    end
    if mxl.interrupted() then error("interrupted while waiting for the flows", 0) end -- Ctrl-C: "stopped (SIGINT)"
    if msg then setup_error(msg) end
    if r then
      local m = member(name, r, inst, spec)
      self.members[#self.members + 1] = m
      self.by_name[name] = m
    end
  end
  if #self.members == 0 then setup_error("none of the declared flows is present") end
  -- step rate
  local rate = o.rate
  if type(rate) == "string" and self.by_name[rate] then
    rate = self.by_name[rate].rate
  elseif rate == nil then
    for _, m in ipairs(self.members) do
      if m.discrete then rate = m.rate break end
    end
    rate = rate or { numerator = 100, denominator = 1 }
  end
  self.rate = tools.rate(rate) or setup_error(("bad step rate '%s' (not a rate nor a declared flow)"):format(
    type(rate) == "table" and tools.json(rate) or tostring(rate)))
  self.period_ns = 1000000000 * self.rate.denominator // self.rate.numerator
  self.timeout = o.timeout or math.max(200000000, 4 * self.period_ns)
  self.group = inst:sync_group()
  for _, m in ipairs(self.members) do
    if m.partial then self.group:add(m.reader, m.partial) else self.group:add(m.reader) end
  end
  return self
end

-- ---- one step -----------------------------------------------------------------------------------------------------

local function classify(m, code, msg)
  if code == "FLOW_INVALID" then return "disappeared" end
  if code == "TOO_LATE" then
    -- only "skipped" is the writer's doing; overwritten / out of the ring window means the rig came too late
    if msg and msg:find("skipped") then return "skipped" end
    return "overrun"
  end
  if code == "TIMEOUT" or code == "TOO_EARLY" then return "late" end
  return (code or "error"):lower()
end

-- Fetch one member's data for the step (nonblocking after a successful wait; blocking up to the deadline
-- otherwise). Fills m.view / m.window, or m.missing with a reason.
local function fetch(self, m, t, group_ok, deadline)
  local r = m.reader
  m.view, m.window, m.missing, m.missing_msg = nil, nil, nil, nil
  local data, msg, code
  local now = mxl.now()
  local remaining = math.max(0, deadline - now)
  if m.discrete then
    local idx = mxl.timestamp_to_index(m.rate, t)
    m.new = idx ~= m.index
    m.index, m.ts = idx, mxl.index_to_timestamp(m.rate, idx)
    if not m.new and m.index_fetched == idx then -- same grain as the previous step (e.g. 25 Hz ANC at 50 Hz)
      m.view, m.missing, m.missing_msg = m.last_view, m.last_missing, m.last_missing_msg
      return "same"
    end
    m.index_fetched = idx
    if group_ok then
      if m.partial then data, msg, code = r:get_grain_slice_nonblocking(idx, m.partial)
      else data, msg, code = r:get_grain_nonblocking(idx) end
      if not data and code == "TOO_EARLY" then m.early = m.early + 1 end
    else
      if m.partial then data, msg, code = r:get_grain_slice(idx, m.partial, remaining)
      else data, msg, code = r:get_grain(idx, remaining) end
    end
    m.view = data
    m.last_view = data
  else
    local s = mxl.timestamp_to_index(m.rate, t)
    local first = m.next_first or s
    m.new = true
    m.first, m.last, m.count, m.index, m.ts = first, s, s - first, s, mxl.index_to_timestamp(m.rate, s)
    m.next_first = s
    if m.count <= 0 then
      m.window = nil
      return true
    end
    if m.count > m.max_samples then
      data, msg, code = nil, ("window of %d samples exceeds the readable %d"):format(m.count, m.max_samples), "TOO_LATE"
    elseif group_ok then
      data, msg, code = r:get_samples_nonblocking(s, m.count)
      if not data and code == "TOO_EARLY" then m.early = m.early + 1 end
    else
      data, msg, code = r:get_samples(s, m.count, remaining)
    end
    m.window = data
  end
  if data then
    m.last_missing, m.last_missing_msg = nil, nil
    return true
  end
  m.missing = classify(m, code, msg)
  m.missing_msg = msg
  if m.missing == "late" and not self.inst:is_active(m.id) then m.missing = "writer gone" end
  m.last_missing, m.last_missing_msg = m.missing, m.missing_msg
  return false, code
end

-- Arrival skew of the member's data for this step (ns), or nil.
local function measure_skew(m)
  local r = m.reader
  if m.discrete then
    if not m.view or not m.new then return nil end
    local ct = r:grain_commit_time(m.index)
    if ct then
      m.skew_sources.commit = (m.skew_sources.commit or 0) + 1
      return ct - m.ts
    end
    local head, lwt = r:runtime_info()
    if head == m.index then
      m.skew_sources.lastWriteTime = (m.skew_sources.lastWriteTime or 0) + 1
      return lwt - m.ts
    end
    return nil
  end
  if not m.window then return nil end
  local head, lwt = r:runtime_info()
  if lwt == m.last_lwt then return nil end
  m.last_lwt = lwt
  m.skew_sources.lastWriteTime = (m.skew_sources.lastWriteTime or 0) + 1
  return lwt - mxl.index_to_timestamp(m.rate, head)
end

-- rig.intact(m) -> whether the member's data of this step is still what was fetched (read-then-verify): for a
-- grain the slot was not reopened (view:valid()); for audio the window's oldest sample is still further from the
-- writer than a whole writer batch can reach (first > head - max_samples). Checks call it after they extracted what
-- they need and discard their result when it is false (the rig was descheduled while the writer went round the ring).
function R.intact(m)
  if m.discrete then
    return m.view ~= nil and m.view:valid() == true
  end
  if not m.window then return false end
  local head = m.reader:runtime_info()
  return m.first > head - m.max_samples
end

local function run_checks(self, step)
  for _, c in ipairs(self.checks) do
    if c.step then
      local function fail(fmt, ...)
        c.failures = c.failures + 1
        if #c.messages < 10 then c.messages[#c.messages + 1] = select("#", ...) > 0 and fmt:format(...) or fmt end
      end
      local ok, err = pcall(c.step, step, fail)
      if not ok then
        if type(err) == "string" and err:find("interrupted") then error(err, 0) end
        fail("check raised: %s", tostring(err))
      end
    end
  end
end

-- ---- the run ------------------------------------------------------------------------------------------------------

-- r:run() -> report (see r:summary / tools.json). Opens the rig first if needed.
function R:run()
  if not self.inst then self:open() end
  local o = self.o
  local rate = self.rate
  local nsteps = o.steps or math.max(1, math.floor((o.duration or 5) * rate.numerator / rate.denominator + 0.5))
  -- Start on data written after the rig began to look: wait (a little) for flows never written yet, and begin
  -- audio windows at or after the head seen now — a ring cannot tell samples never written from old ones.
  local wait_until = mxl.now() + self.timeout + math.floor((o.wait or 0) * 1e9)
  for _, m in ipairs(self.members) do
    while m.reader:runtime_info() == 0 and mxl.now() < wait_until do
      if not mxl.sleep(5000000) then break end
    end
  end
  local first = mxl.current_index(rate) + 1 + (o.start_offset or 0)
  for _, m in ipairs(self.members) do
    if not m.discrete then
      local head = m.reader:runtime_info()
      while mxl.timestamp_to_index(m.rate, mxl.index_to_timestamp(rate, first - 1)) < head do first = first + 1 end
    end
  end
  self.first, self.nsteps = first, nsteps
  local latency, spread = {}, {}
  local started = mxl.now()
  local done, skipped_steps = 0, 0
  local disappeared = {}
  local interrupted = false
  -- audio windows start at the timestamp of the step before the first
  for _, m in ipairs(self.members) do
    if not m.discrete then m.next_first = mxl.timestamp_to_index(m.rate, mxl.index_to_timestamp(rate, first - 1)) end
  end
  local k = 0
  local ok_run, err_run = pcall(function()
    while k < nsteps do
      local idx = first + k
      local t = mxl.index_to_timestamp(rate, idx)
      local wait_start = mxl.now()
      local deadline = wait_start + self.timeout
      local ok, _, code = self.group:wait_at(t, self.timeout)
      if code == "INTERRUPTED" then
        interrupted = true
        break
      end
      local got = mxl.now()
      local step = { k = k, index = idx, ts = t, ok = ok == true, members = self.by_name }
      local all, lost = true, false
      local skews = {}
      for _, m in ipairs(self.members) do
        m.steps = m.steps + 1
        local have, fcode = fetch(self, m, t, ok, deadline)
        if fcode == "INTERRUPTED" then
          interrupted = true
          break
        end
        if have == "same" then
          m.steps = m.steps - 1 -- nothing new to count: the previous step's grain again
          m.skew_ns = nil
          if not m.view then all = false end
        elseif have then
          m.fetched = m.fetched + 1
          local sk = measure_skew(m)
          m.skew_ns = sk
          if sk then
            m.skew[#m.skew + 1] = sk / 1e6
            skews[#skews + 1] = sk
          end
        else
          all = false
          m.skew_ns = nil
          if m.missing == "overrun" then
            m.overruns = m.overruns + 1
          elseif m.missing == "disappeared" then
            m.gone = true
          else
            m.missing = m.missing or "missing"
            m.missing_by[m.missing] = (m.missing_by[m.missing] or 0) + 1
            m.missing_total = (m.missing_total or 0) + 1
            if not m.first_missing then
              m.first_missing = { index = m.index, reason = m.missing, message = m.missing_msg or "" }
            end
          end
          if m.missing == "disappeared" then
            lost = true
            disappeared[#disappeared + 1] = { name = m.name, id = m.id, step = k, index = m.index }
          end
        end
        step[m.name] = m
      end
      if interrupted then break end
      if all then
        latency[#latency + 1] = (mxl.now() - t) / 1e6
        step.latency_ns = got - t
      end
      if #skews >= 2 then
        local lo, hi = math.huge, -math.huge
        for _, s in ipairs(skews) do
          lo, hi = math.min(lo, s), math.max(hi, s)
        end
        spread[#spread + 1] = (hi - lo) / 1e6
      end
      run_checks(self, step)
      for _, m in ipairs(self.members) do
        if (m.view or m.window) and m.new and not R.intact(m) then m.torn = (m.torn or 0) + 1 end
      end
      done = done + 1
      if lost then
        -- the other members may be gone too: a reader notices at its next read past the head
        for _, m in ipairs(self.members) do
          if not m.gone then
            local _, _, c
            if m.discrete then _, _, c = m.reader:get_grain_nonblocking(m.index + 1000000)
            else _, _, c = m.reader:get_samples_nonblocking(m.index + 1000000, 1) end
            if c == "FLOW_INVALID" then
              m.gone = true
              disappeared[#disappeared + 1] = { name = m.name, id = m.id, step = k, index = m.index }
            end
          end
        end
        break
      end
      k = k + 1
      -- fallen behind (a member timed out, or the machine stalled): skip the steps whose time has passed by more
      -- than the timeout; members missing now are counted missing for them too.
      if not all and k < nsteps then
        local behind = mxl.current_index(rate) - (first + k)
        local keep = self.timeout // self.period_ns
        if behind > keep then
          local skip = math.min(behind - keep, nsteps - k)
          skipped_steps = skipped_steps + skip
          for _, m in ipairs(self.members) do
            if m.missing and m.missing ~= "overrun" then
              m.missing_by[m.missing] = (m.missing_by[m.missing] or 0) + skip
              m.missing_total = (m.missing_total or 0) + skip
              m.steps = m.steps + skip
            end
            if not m.discrete then m.next_first = nil end
          end
          k = k + skip
          for _, m in ipairs(self.members) do
            if not m.discrete then
              m.next_first = mxl.timestamp_to_index(m.rate, mxl.index_to_timestamp(rate, first + k - 1))
            end
          end
        end
      end
    end
  end)
  if not ok_run then
    if type(err_run) == "string" and err_run:find("interrupted") then
      interrupted = true
    else
      error(err_run, 0)
    end
  end
  local elapsed = mxl.now() - started
  return self:report{ latency = latency, spread = spread, steps = done, skipped = skipped_steps, elapsed = elapsed,
                      disappeared = disappeared, interrupted = interrupted }
end

-- ---- report -------------------------------------------------------------------------------------------------------

local function hist_json(list)
  local out = {}
  for i, b in ipairs(tools.histogram(list)) do
    out[i] = { lo = b.lo or mxl.null, hi = b.hi or mxl.null, count = b.count }
  end
  return mxl.array(out)
end

local function abs_list(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = math.abs(v) end
  return out
end

function R:report(run)
  local th = self.thresholds
  local rep = {
    tool = self.tool, domain = self.domain, uri = nil,
    rate = { numerator = self.rate.numerator, denominator = self.rate.denominator },
    first_index = self.first, steps_planned = self.nsteps, steps = run.steps, steps_skipped = run.skipped,
    elapsed_ms = run.elapsed / 1e6, interrupted = run.interrupted,
    latency_ms = tools.stats(run.latency), spread_ms = tools.stats(run.spread),
    flows = {}, checks = {}, failures = {}, warnings = {},
    thresholds = {},
  }
  for k, v in pairs(th) do rep.thresholds[k] = v end
  rep.latency_ms.histogram = hist_json(run.latency)
  rep.spread_ms.histogram = hist_json(run.spread)
  local ids = {}
  local function fail(fmt, ...) rep.failures[#rep.failures + 1] = fmt:format(...) end
  local function warn(fmt, ...) rep.warnings[#rep.warnings + 1] = fmt:format(...) end
  for _, m in ipairs(self.members) do
    ids[#ids + 1] = m.id
    local sk = tools.stats(m.skew)
    sk.histogram = hist_json(m.skew)
    local abs = tools.stats(abs_list(m.skew))
    local src = {}
    for s in pairs(m.skew_sources) do src[#src + 1] = s end
    table.sort(src)
    local f = {
      id = m.id, format = m.format, rate = { numerator = m.rate.numerator, denominator = m.rate.denominator },
      steps = m.steps, fetched = m.fetched, missing = m.missing_total or 0, missing_by = m.missing_by,
      overruns = m.overruns, early = m.early, skew_ms = sk, skew_abs_p99_ms = abs.p99 or mxl.null,
      skew_source = #src > 0 and table.concat(src, "+") or mxl.null, first_missing = m.first_missing or mxl.null,
      uri = tools.uri(self.domain, { m.id }),
    }
    rep.flows[m.name] = f
    if f.missing > (th.missing or 0) then
      local reasons = {}
      for why, n in pairs(m.missing_by) do reasons[#reasons + 1] = ("%d %s"):format(n, why) end
      table.sort(reasons)
      fail("%s: %d of %d %s missing (%s; first at index %d: %s)", m.name, f.missing, m.steps,
        m.discrete and "grains" or "sample windows", table.concat(reasons, ", "), m.first_missing.index,
        m.first_missing.message ~= "" and m.first_missing.message or m.first_missing.reason)
    end
    if m.early > 0 then
      fail("%s: the sync group returned %d time%s before this flow's data was readable", m.name, m.early,
        m.early == 1 and "" or "s")
    end
    if m.overruns > 0 then
      if th.overruns and m.overruns > th.overruns then
        fail("%s: the rig fell behind the ring %d times (data overwritten before it was read)", m.name, m.overruns)
      else
        warn("%s: the rig fell behind the ring %d times (data overwritten before it was read)", m.name, m.overruns)
      end
    end
    f.torn = m.torn or 0
    if f.torn > 0 then
      warn("%s: data of %d step%s overwritten while the checks used it (the rig was descheduled); their results "
        .. "were discarded where the checks could tell", m.name, f.torn, f.torn == 1 and "" or "s")
    end
    if th.skew_ms and abs.n > 0 and abs.p99 > th.skew_ms then
      fail("%s: arrival skew p99 |%.3f| ms exceeds %.3f ms", m.name, abs.p99, th.skew_ms)
    end
  end
  rep.uri = tools.uri(self.domain, ids)
  for _, d in ipairs(run.disappeared) do
    fail("%s: flow %s disappeared at step %d (index %d): deleted or recreated under the rig", d.name, d.id, d.step,
      d.index)
  end
  if run.steps == 0 and not run.interrupted then fail("no step completed") end
  if th.latency_ms and rep.latency_ms.n > 0 and rep.latency_ms.p99 > th.latency_ms then
    fail("end-to-end latency p99 %.3f ms exceeds %.3f ms", rep.latency_ms.p99, th.latency_ms)
  end
  if th.spread_ms and rep.spread_ms.n > 0 and rep.spread_ms.p99 > th.spread_ms then
    fail("inter-flow arrival spread p99 %.3f ms exceeds %.3f ms", rep.spread_ms.p99, th.spread_ms)
  end
  if run.interrupted then warn("interrupted after %d steps", run.steps) end
  for _, c in ipairs(self.checks) do
    local function cfail(fmt, ...)
      c.failures = c.failures + 1
      if #c.messages < 10 then c.messages[#c.messages + 1] = select("#", ...) > 0 and fmt:format(...) or fmt end
    end
    local summary, lines
    if c.finish then
      local ok, s, l = pcall(c.finish, rep, cfail)
      if ok then summary, lines = s, l else cfail("finish raised: %s", tostring(s)) end
    end
    rep.checks[c.name] = { failures = c.failures, messages = mxl.array(c.messages), summary = summary or mxl.null }
    c.lines = lines
    if c.failures > 0 then
      fail("check %s: %d failure%s (first: %s)", c.name, c.failures, c.failures == 1 and "" or "s", c.messages[1])
    end
  end
  rep.failures = mxl.array(rep.failures)
  rep.warnings = mxl.array(rep.warnings)
  rep.pass = #rep.failures == 0
  self.last_report = rep
  return rep
end

local function fmt_stats(s, keys)
  if not s or s.n == 0 then return "-" end
  local parts = {}
  for _, k in ipairs(keys or { "p50", "p99", "max" }) do parts[#parts + 1] = ("%.3f"):format(s[k]) end
  return table.concat(parts, " / ")
end

-- r:summary(report [, opts]) -> text: the human summary. opts.histograms=false leaves out the histograms.
function R:summary(rep, opts)
  opts = opts or {}
  local L = {}
  L[#L + 1] = ("%s: %d flow%s stepped at %s for %d steps (%.3f s) from index %d: %s"):format(self.tool,
    #self.members, #self.members == 1 and "" or "s", tools.rate_text(rep.rate), rep.steps, rep.elapsed_ms / 1000,
    rep.first_index, rep.pass and "PASS" or "FAIL")
  L[#L + 1] = ""
  L[#L + 1] = ("  %-8s %-5s %-36s %9s  %-28s %s"):format("flow", "kind", "id", "missing", "skew p50 / p99 / max ms",
    "skew from")
  for _, m in ipairs(self.members) do
    local f = rep.flows[m.name]
    L[#L + 1] = ("  %-8s %-5s %-36s %4d/%-4d  %-28s %s"):format(m.name, f.format, f.id, f.missing, f.steps,
      fmt_stats(f.skew_ms), f.skew_source ~= mxl.null and f.skew_source or "-")
  end
  L[#L + 1] = ""
  L[#L + 1] = ("  end-to-end latency ms  p50 / p90 / p99 / max: %s"):format(fmt_stats(rep.latency_ms,
    { "p50", "p90", "p99", "max" }))
  if rep.spread_ms.n > 0 then
    L[#L + 1] = ("  arrival spread ms      p50 / p90 / p99 / max: %s"):format(fmt_stats(rep.spread_ms,
      { "p50", "p90", "p99", "max" }))
  end
  if opts.histograms ~= false then
    local lat = {}
    for _, b in ipairs(rep.latency_ms.histogram) do
      lat[#lat + 1] = { lo = b.lo ~= mxl.null and b.lo or nil, hi = b.hi ~= mxl.null and b.hi or nil, count = b.count }
    end
    if #lat > 0 then
      L[#L + 1] = "  latency histogram:"
      for _, l in ipairs(tools.histogram_lines(lat, "    ")) do L[#L + 1] = l end
    end
    for _, m in ipairs(self.members) do
      local h = {}
      for _, b in ipairs(rep.flows[m.name].skew_ms.histogram) do
        h[#h + 1] = { lo = b.lo ~= mxl.null and b.lo or nil, hi = b.hi ~= mxl.null and b.hi or nil, count = b.count }
      end
      if #h > 0 then
        L[#L + 1] = ("  %s arrival skew histogram:"):format(m.name)
        for _, l in ipairs(tools.histogram_lines(h, "    ")) do L[#L + 1] = l end
      end
    end
  end
  if #self.checks > 0 then
    L[#L + 1] = ""
    for _, c in ipairs(self.checks) do
      L[#L + 1] = ("  check %-12s %s"):format(c.name, c.failures == 0 and "ok" or (c.failures .. " failures"))
      for _, l in ipairs(c.lines or {}) do L[#L + 1] = "    " .. l end
      for i = 1, math.min(3, #c.messages) do L[#L + 1] = "    ! " .. c.messages[i] end
    end
  end
  for _, w in ipairs(rep.warnings) do L[#L + 1] = "  warning: " .. w end
  if #rep.failures > 0 then
    L[#L + 1] = ""
    L[#L + 1] = "  FAIL:"
    for _, f in ipairs(rep.failures) do L[#L + 1] = "  - " .. f end
  end
  return table.concat(L, "\n") .. "\n"
end

function R:close()
  if self.group then self.group:close() end
  for _, m in ipairs(self.members or {}) do m.reader:close() end
  if self.inst then self.inst:close() end
  self.group, self.inst = nil, nil
end

-- ---- command line -------------------------------------------------------------------------------------------------

-- Options every rig script understands (scripts add their own with extra specs).
R.CLI = {
  { "d", "domain", "domain", arg = "string" },
  { nil, "duration", "duration", arg = "number" },
  { nil, "steps", "steps", arg = "integer" },
  { nil, "rate", "rate", arg = "string" },
  { nil, "timeout-ms", "timeout_ms", arg = "number" },
  { nil, "wait", "wait", arg = "number" },
  { nil, "max-missing", "max_missing", arg = "integer" },
  { nil, "max-latency-ms", "max_latency_ms", arg = "number" },
  { nil, "max-skew-ms", "max_skew_ms", arg = "number" },
  { nil, "max-spread-ms", "max_spread_ms", arg = "number" },
  { nil, "json", "json" },
  { nil, "no-histograms", "no_histograms" },
  { "h", "help", "help" },
}

R.CLI_HELP = [[
  -d, --domain DIR        MXL domain (default: mxlrun's, $MXL_DOMAIN or /dev/shm/mxl)
      --duration S        run for S seconds (default 5)         --steps N       or for N steps
      --rate R            step rate (n/d, n, or a flow name; default: the first grain flow's rate)
      --timeout-ms MS     longest wait for one step (default max(200 ms, 4 steps))
      --wait S            wait up to S seconds for the flows to appear
      --max-missing N     missing grains / sample windows allowed per flow (0)
      --max-latency-ms X  p99 end-to-end latency allowed (100)   --max-skew-ms X   p99 |arrival skew| per flow
      --max-spread-ms X   p99 spread of the flows' arrival skews within one step
      --json              JSON report on stdout (exact 64-bit integers)   --no-histograms
Exit status: 0 pass, 1 fail, 2 usage or set-up error (missing domain, unknown flow, bad URI, wrong format).
]]

-- Apply the common options to the rig's settings.
function R:apply(opts)
  local o = self.o
  if opts.domain then o.domain = opts.domain end
  if opts.duration then o.duration = opts.duration end
  if opts.steps then o.steps = opts.steps end
  if opts.rate then o.rate = opts.rate end
  if opts.timeout_ms then o.timeout = math.floor(opts.timeout_ms * 1e6) end
  if opts.wait then o.wait = opts.wait end
  if opts.max_missing then self.thresholds.missing = opts.max_missing end
  if opts.max_latency_ms then self.thresholds.latency_ms = opts.max_latency_ms end
  if opts.max_skew_ms then self.thresholds.skew_ms = opts.max_skew_ms end
  if opts.max_spread_ms then self.thresholds.spread_ms = opts.max_spread_ms end
  if opts.rate and not (self.o.flows and self.o.flows[opts.rate]) and not tools.rate(opts.rate)
    and not opts.rate:match("^[%a_][%w_]*$") then
    tools.die(self.tool, "bad --rate " .. opts.rate .. " (n/d, n, or a flow name)")
  end
  self.json = opts.json
  self.histograms = not opts.no_histograms
end

-- r:execute() -> exit code: run (set-up errors: message on stderr, 2), print the summary or the JSON report.
function R:execute()
  local ok, rep = pcall(self.run, self)
  if not ok then
    if type(rep) == "table" and rep.msg then
      io.stderr:write(self.tool, ": ", rep.msg, "\n")
      return tools.USAGE
    end
    error(rep, 0)
  end
  if self.json then
    io.stdout:write(tools.json(rep, "  "), "\n")
  else
    io.stdout:write(self:summary(rep, { histograms = self.histograms }))
  end
  io.stdout:flush()
  return rep.pass and tools.OK or tools.FAIL
end

-- r:main(argv [, usage]) -> exit code: parse the common options (R.CLI), run, report.
function R:main(argv, usage)
  local opts, positional = tools.getopt(argv or {}, R.CLI, self.tool)
  if opts.help then
    io.stdout:write(usage or ("usage: mxlrun " .. (arg and arg[0] or "rig.lua") .. " [options]\n"), R.CLI_HELP)
    return tools.OK
  end
  if #positional > 0 then tools.die(self.tool, "unexpected argument " .. positional[1] .. " (--help)") end
  self:apply(opts)
  return self:execute()
end

return R
