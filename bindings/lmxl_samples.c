/* Continuous (audio) windows: reader:get_samples*, writer:open_samples.
 *
 * Each reader/writer owns ONE samples object (user value 3) that every get/open repoints, so a read loop allocates
 * nothing per window. Channels are numbered from 0 (as in the C API); sample positions inside the window run
 * 0..count-1 across the ring wrap (fragment 0 then fragment 1). A writer's window is writable, a reader's is not. */
#include <string.h>

#include "lmxl_int.h"

static lmxl_samples* checksamples(lua_State* L, int idx)
{
    lmxl_samples* s = (lmxl_samples*)luaL_checkudata(L, idx, LMXL_SAMPLES_MT);
    if (s->alive != NULL && *s->alive == 0)
        luaL_error(L, "attempt to use samples of a closed mxl reader or writer");
    return s;
}

static size_t checkchannel(lua_State* L, lmxl_samples* s, int idx)
{
    lua_Integer c = luaL_checkinteger(L, idx);
    if (c < 0 || (size_t)c >= s->channels)
        luaL_error(L, "channel %I out of range (0..%I)", c, (lua_Integer)s->channels - 1);
    return (size_t)c;
}

int lmxl_push_samples(lua_State* L, int owner_idx, int const* alive, int writable, uint64_t index, size_t count,
                      mxlMutableWrappedMultiBufferSlice const* ms, uint32_t bufferLength)
{
    owner_idx = lua_absindex(L, owner_idx);
    lmxl_samples* s;
    if (lua_getiuservalue(L, owner_idx, 3) == LUA_TUSERDATA)
        s = (lmxl_samples*)lua_touserdata(L, -1);
    else
    {
        lua_pop(L, 1);
        s = (lmxl_samples*)lua_newuserdatauv(L, sizeof *s, 2);
        memset(s, 0, sizeof *s);
        luaL_setmetatable(L, LMXL_SAMPLES_MT);
        lua_pushvalue(L, owner_idx);
        lua_setiuservalue(L, -2, 1);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, owner_idx, 3);
    }
    s->writable = writable;
    s->alive = alive;
    s->index = index;
    s->count = count;
    s->channels = ms->count;
    s->stride = ms->stride;
    s->word = (bufferLength != 0 && ms->stride % bufferLength == 0) ? ms->stride / bufferLength : 4;
    for (int k = 0; k < 2; k++)
    {
        s->frag[k] = (uint8_t*)ms->base.fragments[k].pointer;
        s->fraglen[k] = ms->base.fragments[k].size;
    }
    return 1;
}

/* w:open_samples(index, count) -> writable samples window | nil, msg, code ("INVALID_ARG" when count exceeds
 * max_samples()). */
int lmxl_writer_open_samples(lua_State* L)
{
    lmxl_writer* w = lmxl_checkwriter(L, 1);
    uint64_t index = lmxl_checku64(L, 2);
    lua_Integer count = luaL_checkinteger(L, 3);
    luaL_argcheck(L, count >= 0, 3, "count must be >= 0");
    mxlMutableWrappedMultiBufferSlice ms;
    memset(&ms, 0, sizeof ms);
    mxlStatus st = mxlFlowWriterOpenSamples(w->h, index, (size_t)count, &ms);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    return lmxl_push_samples(L, 1, &w->c.open, 1, index, (size_t)count, &ms, w->f.bufferLength);
}

static int reader_samples(lua_State* L, int blocking)
{
    lmxl_reader* r = lmxl_checkreader(L, 1);
    uint64_t index = lmxl_checku64(L, 2);
    lua_Integer count = luaL_checkinteger(L, 3);
    luaL_argcheck(L, count >= 0, 3, "count must be >= 0");
    uint64_t timeout = 0;
    if (blocking)
    {
        lua_Integer t = luaL_checkinteger(L, 4);
        luaL_argcheck(L, t >= 0, 4, "timeout must be >= 0 ns");
        timeout = (uint64_t)t;
    }
    mxlWrappedMultiBufferSlice s;
    memset(&s, 0, sizeof s);
    mxlStatus st = blocking ? mxlFlowReaderGetSamples(r->h, index, (size_t)count, timeout, &s)
                            : mxlFlowReaderGetSamplesNonBlocking(r->h, index, (size_t)count, &s);
    if (st != MXL_STATUS_OK)
        return blocking ? lmxl_fail_wait(L, st, timeout) : lmxl_fail(L, st, NULL);
    mxlMutableWrappedMultiBufferSlice ms;
    for (int k = 0; k < 2; k++)
    {
        ms.base.fragments[k].pointer = (void*)(uintptr_t)s.base.fragments[k].pointer;
        ms.base.fragments[k].size = s.base.fragments[k].size;
    }
    ms.stride = s.stride;
    ms.count = s.count;
    return lmxl_push_samples(L, 1, &r->c.open, 0, index, (size_t)count, &ms, r->f.bufferLength);
}

/* r:get_samples(index, count, timeout_ns) -> read-only samples window | nil, msg, code. */
int lmxl_reader_get_samples(lua_State* L)
{
    return reader_samples(L, 1);
}

/* r:get_samples_nonblocking(index, count) -> read-only samples window | nil, msg, code. */
int lmxl_reader_get_samples_nb(lua_State* L)
{
    return reader_samples(L, 0);
}

/* ---- window methods ----------------------------------------------------------------------------------------- */

/* s:valid() (alias intact) -> true | false, msg, "TOO_LATE": read-then-verify of a reader's window: the writer has
 * not come close enough to start overwriting it since the get (mxlFlowReaderSamplesIntact). A writer's own window
 * is always valid. */
static int s_valid(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    if (s->writable)
    {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_getiuservalue(L, 1, 1);
    lmxl_reader* r = (lmxl_reader*)luaL_checkudata(L, -1, LMXL_READER_MT);
    mxlStatus st = mxlFlowReaderSamplesIntact(r->h, s->index, s->count);
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

/* s:index(), s:count(), s:channels(), s:word_size() (4 = float32, 8 = float64), s:writable(). */
static int s_index(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)checksamples(L, 1)->index);
    return 1;
}

static int s_count(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)checksamples(L, 1)->count);
    return 1;
}

static int s_channels(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)checksamples(L, 1)->channels);
    return 1;
}

static int s_word_size(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)checksamples(L, 1)->word);
    return 1;
}

static int s_writable(lua_State* L)
{
    lua_pushboolean(L, checksamples(L, 1)->writable);
    return 1;
}

/* s:channel(c) -> view0, view1: the window of channel c as two byte views (view1 is empty unless the window wraps).
 * The two views are reused per channel and describe the window current at the time of the call. */
static int s_channel(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    size_t c = checkchannel(L, s, 2);
    if (lua_getiuservalue(L, 1, 2) != LUA_TTABLE)
    {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 2);
    }
    int t = lua_gettop(L);
    for (int k = 0; k < 2; k++)
    {
        lua_Integer key = (lua_Integer)(2 * c + (size_t)k + 1);
        lmxl_view* v;
        if (lua_rawgeti(L, t, key) == LUA_TUSERDATA)
            v = (lmxl_view*)lua_touserdata(L, -1);
        else
        {
            lua_pop(L, 1);
            v = lmxl_pushview(L, NULL, 0, s->writable, 1, s->alive);
            lua_pushvalue(L, -1);
            lua_rawseti(L, t, key);
        }
        v->ptr = s->fraglen[k] ? s->frag[k] + c * s->stride : s->frag[k];
        v->len = s->fraglen[k];
        v->writable = s->writable;
        v->alive = s->alive;
    }
    return 2;
}

/* Byte address of sample position i (0..count-1) of channel c. */
static uint8_t* sample_at(lua_State* L, lmxl_samples* s, size_t c, lua_Integer i)
{
    size_t n0 = s->fraglen[0] / s->word;
    if (i < 0 || (size_t)i >= n0 + s->fraglen[1] / s->word)
        luaL_error(L, "sample position %I out of range (window of %I samples)", i,
                   (lua_Integer)(n0 + s->fraglen[1] / s->word));
    if ((size_t)i < n0)
        return s->frag[0] + c * s->stride + (size_t)i * s->word;
    return s->frag[1] + c * s->stride + ((size_t)i - n0) * s->word;
}

/* s:get(c, i) -> sample value at position i (0-based) of channel c. */
static int s_get(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    size_t c = checkchannel(L, s, 2);
    uint8_t* p = sample_at(L, s, c, luaL_checkinteger(L, 3));
    if (s->word == 4)
    {
        float f;
        memcpy(&f, p, 4);
        lua_pushnumber(L, f);
    }
    else
    {
        double d;
        memcpy(&d, p, 8);
        lua_pushnumber(L, d);
    }
    return 1;
}

/* s:set(c, i, x): store sample x at position i of channel c (writer windows only). */
static int s_set(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    size_t c = checkchannel(L, s, 2);
    uint8_t* p = sample_at(L, s, c, luaL_checkinteger(L, 3));
    lua_Number x = luaL_checknumber(L, 4);
    if (!s->writable)
        return luaL_error(L, "attempt to write to a read-only mxl samples window");
    if (s->word == 4)
    {
        float f = (float)x;
        memcpy(p, &f, 4);
    }
    else
        memcpy(p, &x, 8);
    return 0;
}

/* s:read(c [, out]) -> out: the channel's count samples as numbers in out[1..count] (new table when absent). */
static int s_read(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    size_t c = checkchannel(L, s, 2);
    size_t n0 = s->fraglen[0] / s->word, n1 = s->fraglen[1] / s->word;
    if (lua_isnoneornil(L, 3))
    {
        lua_settop(L, 2);
        lua_createtable(L, (int)(n0 + n1), 0);
    }
    else
    {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_settop(L, 3);
    }
    if (n0)
        lmxl_floats_to_table(L, 3, 1, s->frag[0] + c * s->stride, n0, s->word);
    if (n1)
        lmxl_floats_to_table(L, 3, 1 + (lua_Integer)n0, s->frag[1] + c * s->stride, n1, s->word);
    return 1;
}

/* s:write(c, t [, first]) -> count: store t[first..first+count-1] (default first = 1) into channel c. */
static int s_write(lua_State* L)
{
    lmxl_samples* s = checksamples(L, 1);
    size_t c = checkchannel(L, s, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer first = luaL_optinteger(L, 4, 1);
    if (!s->writable)
        return luaL_error(L, "attempt to write to a read-only mxl samples window");
    size_t n0 = s->fraglen[0] / s->word, n1 = s->fraglen[1] / s->word;
    if (n0)
        lmxl_table_to_floats(L, 3, first, s->frag[0] + c * s->stride, n0, s->word);
    if (n1)
        lmxl_table_to_floats(L, 3, first + (lua_Integer)n0, s->frag[1] + c * s->stride, n1, s->word);
    lua_pushinteger(L, (lua_Integer)(n0 + n1));
    return 1;
}

static int s_tostring(lua_State* L)
{
    lmxl_samples* s = (lmxl_samples*)luaL_checkudata(L, 1, LMXL_SAMPLES_MT);
    lua_pushfstring(L, "mxl.samples (index %I, %I samples x %I channels, %s)", (lua_Integer)s->index,
                    (lua_Integer)s->count, (lua_Integer)s->channels, s->writable ? "rw" : "ro");
    return 1;
}

void lmxl_samples_open(lua_State* L)
{
    static luaL_Reg const methods[] = {
        {"valid", s_valid},
        {"intact", s_valid},
        {"index", s_index},
        {"count", s_count},
        {"channels", s_channels},
        {"word_size", s_word_size},
        {"writable", s_writable},
        {"channel", s_channel},
        {"get", s_get},
        {"set", s_set},
        {"read", s_read},
        {"write", s_write},
        {NULL, NULL},
    };
    luaL_newmetatable(L, LMXL_SAMPLES_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, s_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
