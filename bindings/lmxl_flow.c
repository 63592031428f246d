/* Flow writers and readers: creation, info tables, discrete grains.
 *
 * Grain views are reused: each reader/writer keeps one view per ring slot (user value 2) and every get/open of an
 * index in that slot repoints it and refreshes its grain header fields, so a read loop allocates nothing per grain.
 * A view stays usable while its reader/writer is open; its bytes belong to the grain only until the writer reopens
 * that slot (grainCount indices later) -- view:valid() tells whether that happened. */
#include <string.h>

#include "lmxl_int.h"

/* ---- shared helpers ----------------------------------------------------------------------------------------- */

static void format_id(uint8_t const id[16], char out[37])
{
    static char const hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++)
    {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

static void fill_flowinfo(lmxl_flowinfo* f, mxlFlowConfigInfo const* c)
{
    format_id(c->common.id, f->id);
    f->format = c->common.format;
    if (mxlIsContinuousDataFormat(c->common.format))
    {
        f->channelCount = c->continuous.channelCount;
        f->bufferLength = c->continuous.bufferLength;
    }
    else
        f->grainCount = c->discrete.grainCount;
}

void lmxl_pushrate(lua_State* L, mxlRational const* r)
{
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, r->numerator);
    lua_setfield(L, -2, "numerator");
    lua_pushinteger(L, r->denominator);
    lua_setfield(L, -2, "denominator");
}

static void setint(lua_State* L, char const* k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* Push the configuration part of a flow header as a table (field names as in the C structs). */
void lmxl_pushconfiginfo(lua_State* L, mxlFlowConfigInfo const* c)
{
    char id[37];
    format_id(c->common.id, id);
    lua_createtable(L, 0, 20);
    lua_pushstring(L, id);
    lua_setfield(L, -2, "id");
    setint(L, "format", c->common.format);
    lua_pushstring(L, lmxl_formatname(c->common.format));
    lua_setfield(L, -2, "format_name");
    setint(L, "flags", c->common.flags);
    lmxl_pushrate(L, &c->common.grainRate);
    lua_setfield(L, -2, "grainRate");
    setint(L, "maxCommitBatchSizeHint", c->common.maxCommitBatchSizeHint);
    setint(L, "maxSyncBatchSizeHint", c->common.maxSyncBatchSizeHint);
    setint(L, "payloadLocation", c->common.payloadLocation);
    setint(L, "deviceIndex", c->common.deviceIndex);
    if (mxlIsContinuousDataFormat(c->common.format))
    {
        setint(L, "channelCount", c->continuous.channelCount);
        setint(L, "bufferLength", c->continuous.bufferLength);
    }
    else
    {
        lua_createtable(L, MXL_MAX_PLANES_PER_GRAIN, 0);
        for (int i = 0; i < MXL_MAX_PLANES_PER_GRAIN; i++)
        {
            lua_pushinteger(L, c->discrete.sliceSizes[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "sliceSizes");
        setint(L, "grainCount", c->discrete.grainCount);
    }
}

/* Push the whole header: configuration fields plus version, size, headIndex, lastWriteTime, lastReadTime. */
void lmxl_pushflowinfo(lua_State* L, mxlFlowInfo const* info)
{
    lmxl_pushconfiginfo(L, &info->config);
    setint(L, "version", info->version);
    setint(L, "size", info->size);
    setint(L, "headIndex", (lua_Integer)info->runtime.headIndex);
    setint(L, "lastWriteTime", (lua_Integer)info->runtime.lastWriteTime);
    setint(L, "lastReadTime", (lua_Integer)info->runtime.lastReadTime);
}

/* Return the reusable view of `slot` of the object at obj_idx (created on first use), on top of the stack. */
static lmxl_view* slot_view(lua_State* L, int obj_idx, uint32_t slot, int writable, int const* alive)
{
    if (lua_getiuservalue(L, obj_idx, 2) != LUA_TTABLE)
    {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, obj_idx, 2);
    }
    lmxl_view* v;
    if (lua_rawgeti(L, -1, (lua_Integer)slot + 1) == LUA_TUSERDATA)
        v = (lmxl_view*)lua_touserdata(L, -1);
    else
    {
        lua_pop(L, 1);
        v = lmxl_pushview_ex(L, NULL, 0, writable, obj_idx, alive, sizeof(lmxl_grainmeta));
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (lua_Integer)slot + 1);
    }
    lua_remove(L, -2);
    return v;
}

static void set_grainmeta(lmxl_view* v, lmxl_reader* r, mxlGrainInfo const* g, uint8_t* payload)
{
    v->ptr = payload;
    v->len = g->grainSize;
    v->grain->reader = r;
    v->grain->index = g->index;
    v->grain->hdr_index = g->index;
    v->grain->version = g->version;
    v->grain->size = g->size;
    v->grain->flags = g->flags;
    v->grain->grainSize = g->grainSize;
    v->grain->totalSlices = g->totalSlices;
    v->grain->validSlices = g->validSlices;
}

static void push_grain_info(lua_State* L, mxlGrainInfo const* g)
{
    lua_createtable(L, 0, 7);
    setint(L, "version", g->version);
    setint(L, "size", g->size);
    setint(L, "index", (lua_Integer)g->index);
    setint(L, "flags", g->flags);
    setint(L, "grainSize", g->grainSize);
    setint(L, "totalSlices", g->totalSlices);
    setint(L, "validSlices", g->validSlices);
}

static uint64_t check_timeout(lua_State* L, int idx)
{
    lua_Integer t = luaL_checkinteger(L, idx);
    luaL_argcheck(L, t >= 0, idx, "timeout must be >= 0 ns");
    return (uint64_t)t;
}

static uint16_t check_slices(lua_State* L, int idx)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 0 && n <= UINT16_MAX, idx, "slice count must be 0..65535");
    return (uint16_t)n;
}

static int push_ok_or_fail(lua_State* L, mxlStatus st)
{
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- writer ------------------------------------------------------------------------------------------------- */

lmxl_writer* lmxl_checkwriter(lua_State* L, int idx)
{
    lmxl_writer* w = (lmxl_writer*)luaL_checkudata(L, idx, LMXL_WRITER_MT);
    if (!w->c.open)
        luaL_error(L, "attempt to use a closed mxl writer");
    return w;
}

static mxlStatus writer_release(lmxl_child* c)
{
    lmxl_writer* w = (lmxl_writer*)c;
    mxlStatus st = mxlReleaseFlowWriter(c->inst->h, w->h);
    w->h = NULL;
    return st;
}

/* inst:writer(flow_def [, options]) -> writer, created | nil, msg, code. flow_def and options are JSON text or
 * tables; created tells whether the flow was created (false: attached to an existing flow). */
int lmxl_instance_writer(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    lua_settop(L, 3);
    char const* def = lmxl_tojsonarg(L, 2, 0);
    char const* opts = lmxl_tojsonarg(L, 3, 1);
    lmxl_writer* w = (lmxl_writer*)lmxl_newchild(L, sizeof *w, 3, LMXL_WRITER_MT, 1);
    w->c.release = writer_release;
    w->grain.index = MXL_UNDEFINED_INDEX;
    mxlFlowConfigInfo cfg;
    memset(&cfg, 0, sizeof cfg);
    bool created = false;
    mxlStatus st = mxlCreateFlowWriter(in->h, def, opts, &w->h, &cfg, &created);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    w->c.open = 1;
    fill_flowinfo(&w->f, &cfg);
    lua_pushboolean(L, created);
    return 2;
}

/* w:close() -> true | nil, msg, code; also __gc and __close. Releases the writer (the last one deletes the flow). */
static int w_close(lua_State* L)
{
    lmxl_writer* w = (lmxl_writer*)luaL_checkudata(L, 1, LMXL_WRITER_MT);
    return push_ok_or_fail(L, lmxl_closechild(&w->c));
}

static int w_gc(lua_State* L)
{
    lmxl_closechild((lmxl_child*)luaL_checkudata(L, 1, LMXL_WRITER_MT));
    return 0;
}

static int w_tostring(lua_State* L)
{
    lmxl_writer* w = (lmxl_writer*)luaL_checkudata(L, 1, LMXL_WRITER_MT);
    if (w->c.open)
        lua_pushfstring(L, "mxl.writer (%s, %s)", w->f.id, lmxl_formatname(w->f.format));
    else
        lua_pushliteral(L, "mxl.writer (closed)");
    return 1;
}

/* w:id() -> canonical flow id. w:format() -> "video" | "audio" | "data". */
static int w_id(lua_State* L)
{
    lua_pushstring(L, lmxl_checkwriter(L, 1)->f.id);
    return 1;
}

static int w_format(lua_State* L)
{
    lua_pushstring(L, lmxl_formatname(lmxl_checkwriter(L, 1)->f.format));
    return 1;
}

/* w:info() -> table with every flow header field | nil, msg, code. */
static int w_info(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    mxlFlowInfo info;
    mxlStatus st = mxlFlowWriterGetInfo(w->h, &info);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lmxl_pushflowinfo(L, &info);
    return 1;
}

/* w:open_grain(index) -> writable grain view | nil, msg, code. The view is this slot's reusable view; its header
 * fields (view:info()) are those the slot had (upstream: open does not reset validSlices/flags). */
static int w_open_grain(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    uint64_t index = lmxl_checku64(L, 2);
    mxlGrainInfo g;
    uint8_t* payload = NULL;
    mxlStatus st = mxlFlowWriterOpenGrain(w->h, index, &g, &payload);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    w->grain = g;
    w->grain.index = index;
    w->grain_open = 1;
    uint32_t slot = w->f.grainCount ? (uint32_t)(index % w->f.grainCount) : 0;
    lmxl_view* v = slot_view(L, 1, slot, 1, &w->c.open);
    set_grainmeta(v, NULL, &w->grain, payload);
    return 1;
}

/* w:commit_grain([valid_slices [, flags]]) or w:commit_grain{index=, valid_slices=, flags=} -> true | nil, msg,
 * code. Commits the open grain's header with validSlices (default: totalSlices, i.e. complete) and flags (default
 * 0, or mxl.GRAIN_FLAG_INVALID); `index` (default: the opened index) exists to exercise the core's check. */
static int w_commit_grain(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    mxlGrainInfo g = w->grain;
    lua_Integer vs = g.totalSlices, flags = 0;
    if (lua_istable(L, 2))
    {
        if (lua_getfield(L, 2, "index") != LUA_TNIL)
            g.index = (uint64_t)luaL_checkinteger(L, -1);
        if (lua_getfield(L, 2, "valid_slices") != LUA_TNIL)
            vs = luaL_checkinteger(L, -1);
        if (lua_getfield(L, 2, "flags") != LUA_TNIL)
            flags = luaL_checkinteger(L, -1);
        lua_pop(L, 3);
    }
    else
    {
        vs = luaL_optinteger(L, 2, vs);
        flags = luaL_optinteger(L, 3, 0);
    }
    luaL_argcheck(L, vs >= 0 && vs <= UINT16_MAX, 2, "valid_slices must be 0..65535");
    luaL_argcheck(L, flags >= 0 && flags <= (lua_Integer)UINT32_MAX, 3, "flags must be a 32-bit value");
    g.validSlices = (uint16_t)vs;
    g.flags = (uint32_t)flags;
    mxlStatus st = mxlFlowWriterCommitGrain(w->h, &g);
    if (st == MXL_STATUS_OK)
    {
        w->grain.validSlices = g.validSlices;
        w->grain.flags = g.flags;
        if (g.validSlices >= g.totalSlices)
            w->grain_open = 0;
    }
    return push_ok_or_fail(L, st);
}

/* w:cancel_grain() -> true | nil, msg, code. */
static int w_cancel_grain(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    mxlStatus st = mxlFlowWriterCancelGrain(w->h);
    if (st == MXL_STATUS_OK)
        w->grain_open = 0;
    return push_ok_or_fail(L, st);
}

/* w:grain_info(index) -> copy of the slot header {version=, size=, index=, flags=, grainSize=, totalSlices=,
 * validSlices=} | nil, msg, code. */
static int w_grain_info(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    mxlGrainInfo g;
    mxlStatus st = mxlFlowWriterGetGrainInfo(w->h, lmxl_checku64(L, 2), &g);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    push_grain_info(L, &g);
    return 1;
}

/* w:max_samples() -> largest count open_samples accepts (bufferLength / 2) | nil, msg, code. */
static int w_max_samples(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    size_t n = 0;
    mxlStatus st = mxlFlowWriterGetMaxWriteLengthSamples(w->h, &n);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* w:commit_samples() / w:cancel_samples() -> true | nil, msg, code. */
static int w_commit_samples(lua_State* L)
{
    return push_ok_or_fail(L, mxlFlowWriterCommitSamples(lmxl_checkwriter(L, 1)->h));
}

static int w_cancel_samples(lua_State* L)
{
    return push_ok_or_fail(L, mxlFlowWriterCancelSamples(lmxl_checkwriter(L, 1)->h));
}

/* ---- reader ------------------------------------------------------------------------------------------------- */

lmxl_reader* lmxl_checkreader(lua_State* L, int idx)
{
    lmxl_reader* r = (lmxl_reader*)luaL_checkudata(L, idx, LMXL_READER_MT);
    if (!r->c.open)
        luaL_error(L, "attempt to use a closed mxl reader");
    return r;
}

static mxlStatus reader_release(lmxl_child* c)
{
    lmxl_reader* r = (lmxl_reader*)c;
    mxlStatus st = mxlReleaseFlowReader(c->inst->h, r->h);
    r->h = NULL;
    return st;
}

/* inst:reader(flow_id [, options]) -> reader | nil, msg, code ("NOT_FOUND" when the flow does not exist). */
int lmxl_instance_reader(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    char const* id = luaL_checkstring(L, 2);
    lua_settop(L, 3);
    char const* opts = lmxl_tojsonarg(L, 3, 1);
    lmxl_reader* r = (lmxl_reader*)lmxl_newchild(L, sizeof *r, 3, LMXL_READER_MT, 1);
    r->c.release = reader_release;
    mxlStatus st = mxlCreateFlowReader(in->h, id, opts, &r->h);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    r->c.open = 1;
    mxlFlowConfigInfo cfg;
    st = mxlFlowReaderGetConfigInfo(r->h, &cfg);
    if (st != MXL_STATUS_OK)
    {
        int n = lmxl_fail(L, st, NULL);
        lmxl_closechild(&r->c);
        return n;
    }
    fill_flowinfo(&r->f, &cfg);
    return 1;
}

static int r_close(lua_State* L)
{
    lmxl_reader* r = (lmxl_reader*)luaL_checkudata(L, 1, LMXL_READER_MT);
    return push_ok_or_fail(L, lmxl_closechild(&r->c));
}

static int r_gc(lua_State* L)
{
    lmxl_closechild((lmxl_child*)luaL_checkudata(L, 1, LMXL_READER_MT));
    return 0;
}

static int r_tostring(lua_State* L)
{
    lmxl_reader* r = (lmxl_reader*)luaL_checkudata(L, 1, LMXL_READER_MT);
    if (r->c.open)
        lua_pushfstring(L, "mxl.reader (%s, %s)", r->f.id, lmxl_formatname(r->f.format));
    else
        lua_pushliteral(L, "mxl.reader (closed)");
    return 1;
}

static int r_id(lua_State* L)
{
    lua_pushstring(L, lmxl_checkreader(L, 1)->f.id);
    return 1;
}

static int r_format(lua_State* L)
{
    lua_pushstring(L, lmxl_formatname(lmxl_checkreader(L, 1)->f.format));
    return 1;
}

/* r:info() -> table with every flow header field | nil, msg, code. */
static int r_info(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    mxlFlowInfo info;
    mxlStatus st = mxlFlowReaderGetInfo(r->h, &info);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lmxl_pushflowinfo(L, &info);
    return 1;
}

/* r:config_info() -> the configuration fields only (mxlFlowReaderGetConfigInfo). */
static int r_config_info(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    mxlFlowConfigInfo c;
    mxlStatus st = mxlFlowReaderGetConfigInfo(r->h, &c);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lmxl_pushconfiginfo(L, &c);
    return 1;
}

/* r:runtime_info() -> headIndex, lastWriteTime, lastReadTime (three integers, no table) | nil, msg, code. */
static int r_runtime_info(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    mxlFlowRuntimeInfo rt;
    mxlStatus st = mxlFlowReaderGetRuntimeInfo(r->h, &rt);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushinteger(L, (lua_Integer)rt.headIndex);
    lua_pushinteger(L, (lua_Integer)rt.lastWriteTime);
    lua_pushinteger(L, (lua_Integer)rt.lastReadTime);
    return 3;
}

/* Shared body of the four grain getters. Blocking forms report a reached deadline as "TIMEOUT". */
static int reader_get(lua_State* L, int blocking, int slice)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    uint64_t index = lmxl_checku64(L, 2);
    int a = 3;
    uint16_t minv = MXL_GRAIN_VALID_SLICES_ALL;
    if (slice)
        minv = check_slices(L, a++);
    uint64_t timeout = blocking ? check_timeout(L, a) : 0;
    mxlGrainInfo g;
    uint8_t* payload = NULL;
    mxlStatus st;
    if (blocking)
        st = slice ? mxlFlowReaderGetGrainSlice(r->h, index, minv, timeout, &g, &payload)
                   : mxlFlowReaderGetGrain(r->h, index, timeout, &g, &payload);
    else
        st = slice ? mxlFlowReaderGetGrainSliceNonBlocking(r->h, index, minv, &g, &payload)
                   : mxlFlowReaderGetGrainNonBlocking(r->h, index, &g, &payload);
    if (st != MXL_STATUS_OK)
        return blocking ? lmxl_fail_wait(L, st, timeout) : lmxl_fail(L, st, NULL);
    uint32_t slot = r->f.grainCount ? (uint32_t)(index % r->f.grainCount) : 0;
    lmxl_view* v = slot_view(L, 1, slot, 0, &r->c.open);
    set_grainmeta(v, r, &g, payload);
    v->grain->index = index; /* the requested index (upstream copies the header as is) */
    return 1;
}

/* r:get_grain(index, timeout_ns) -> read-only grain view | nil, msg, code. */
static int r_get_grain(lua_State* L)
{
    return reader_get(L, 1, 0);
}
/* r:get_grain_slice(index, min_valid_slices, timeout_ns) -> view | nil, msg, code. */
static int r_get_grain_slice(lua_State* L)
{
    return reader_get(L, 1, 1);
}
/* r:get_grain_nonblocking(index) -> view | nil, msg, code ("TOO_EARLY" when not yet there). */
static int r_get_grain_nb(lua_State* L)
{
    return reader_get(L, 0, 0);
}
/* r:get_grain_slice_nonblocking(index, min_valid_slices) -> view | nil, msg, code. */
static int r_get_grain_slice_nb(lua_State* L)
{
    return reader_get(L, 0, 1);
}

/* r:grain_intact(index) -> true | false, msg, code (mxlFlowReaderGrainIntact; see view:valid()). */
static int r_grain_intact(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    mxlStatus st = mxlFlowReaderGrainIntact(r->h, lmxl_checku64(L, 2));
    if (st == MXL_STATUS_OK)
    {
        lua_pushboolean(L, 1);
        return 1;
    }
    lmxl_fail(L, st, NULL);
    lua_pushboolean(L, 0);
    lua_replace(L, -4);
    return 3;
}

/* r:grain_commit_time(index) -> TAI ns | nil, msg, "NOT_FOUND". */
static int r_grain_commit_time(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    uint64_t t = 0;
    mxlStatus st = mxlFlowReaderGetGrainCommitTime(r->h, lmxl_checku64(L, 2), &t);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

/* r:copy_grain(index) -> string | nil, msg, code: a guarded, non-blocking copy of the complete grain
 * (mxlFlowReaderCopyGrain): never faults on a file truncated by another process, and the read-then-verify check
 * is built in. Costs one copy (and a Lua string of grainSize bytes): for readers that cannot trust their peers. */
static int r_copy_grain(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    uint64_t index = lmxl_checku64(L, 2);
    mxlFlowConfigInfo cfg;
    mxlStatus st = mxlFlowReaderGetConfigInfo(r->h, &cfg);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    if (!mxlIsDiscreteDataFormat(cfg.common.format))
        return luaL_error(L, "copy_grain needs a video or data reader");
    mxlGrainInfo g;
    luaL_Buffer b;
    char probe;
    /* a too-small destination makes the core report the grain size (it never touches the mapping for that) */
    st = mxlFlowReaderCopyGrain(r->h, index, &g, &probe, 0);
    if (st != MXL_ERR_INVALID_ARG)
        return lmxl_fail(L, st, NULL);
    size_t cap = g.grainSize;
    char* dst = luaL_buffinitsize(L, &b, cap);
    st = mxlFlowReaderCopyGrain(r->h, index, &g, dst, cap);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    luaL_pushresultsize(&b, g.grainSize);
    return 1;
}

/* r:max_samples() -> largest readable count (bufferLength / 2) | nil, msg, code. */
static int r_max_samples(lua_State* L)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    size_t n = 0;
    mxlStatus st = mxlFlowReaderGetMaxReadLengthSamples(r->h, &n);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static void newclass(lua_State* L, char const* name, luaL_Reg const* methods, lua_CFunction gc,
                     lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

void lmxl_flow_open(lua_State* L)
{
    static luaL_Reg const wm[] = {
        {"close", w_close},
        {"id", w_id},
        {"format", w_format},
        {"info", w_info},
        {"open_grain", w_open_grain},
        {"commit_grain", w_commit_grain},
        {"cancel_grain", w_cancel_grain},
        {"grain_info", w_grain_info},
        {"max_samples", w_max_samples},
        {"open_samples", lmxl_writer_open_samples},
        {"commit_samples", w_commit_samples},
        {"cancel_samples", w_cancel_samples},
        {NULL, NULL},
    };
    static luaL_Reg const rm[] = {
        {"close", r_close},
        {"id", r_id},
        {"format", r_format},
        {"info", r_info},
        {"config_info", r_config_info},
        {"runtime_info", r_runtime_info},
        {"get_grain", r_get_grain},
        {"get_grain_slice", r_get_grain_slice},
        {"get_grain_nonblocking", r_get_grain_nb},
        {"get_grain_slice_nonblocking", r_get_grain_slice_nb},
        {"grain_intact", r_grain_intact},
        {"grain_commit_time", r_grain_commit_time},
        {"copy_grain", r_copy_grain},
        {"max_samples", r_max_samples},
        {"get_samples", lmxl_reader_get_samples},
        {"get_samples_nonblocking", lmxl_reader_get_samples_nb},
        {NULL, NULL},
    };
    newclass(L, LMXL_WRITER_MT, wm, w_gc, w_tostring);
    newclass(L, LMXL_READER_MT, rm, r_gc, r_tostring);
}
