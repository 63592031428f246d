/* TAI time and exact index <-> timestamp conversions (MXL-FORMAT.md §10). All values are Lua integers (ns, indices);
 * an invalid rate gives mxl.UNDEFINED_INDEX (-1). Rates are {numerator=, denominator=}, {n, d}, "n/d" or n. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lmxl_int.h"

static int64_t rate_field(lua_State* L, int idx, char const* name, lua_Integer pos, int64_t def)
{
    int t = lua_getfield(L, idx, name);
    if (t == LUA_TNIL)
    {
        lua_pop(L, 1);
        t = lua_rawgeti(L, idx, pos);
    }
    int64_t v = def;
    if (t != LUA_TNIL)
    {
        int ok;
        v = (int64_t)lua_tointegerx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "rate %s must be an integer", name);
    }
    lua_pop(L, 1);
    return v;
}

void lmxl_checkrate(lua_State* L, int idx, mxlRational* out)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx))
    {
        case LUA_TTABLE:
            out->numerator = rate_field(L, idx, "numerator", 1, INT64_MIN);
            if (out->numerator == INT64_MIN)
                luaL_argerror(L, idx, "rate table needs numerator (or [1])");
            out->denominator = rate_field(L, idx, "denominator", 2, 1);
            return;
        case LUA_TSTRING:
        {
            char const* s = lua_tostring(L, idx);
            char* end;
            errno = 0;
            long long n = strtoll(s, &end, 10);
            long long d = 1;
            if (end != s && *end == '/')
            {
                char const* ds = end + 1;
                d = strtoll(ds, &end, 10);
                if (end == ds)
                    end = (char*)s;
            }
            if (end == s || *end != '\0' || errno != 0)
                luaL_argerror(L, idx, "rate string must look like \"30000/1001\"");
            out->numerator = n;
            out->denominator = d;
            return;
        }
        case LUA_TNUMBER:
            out->numerator = (int64_t)luaL_checkinteger(L, idx);
            out->denominator = 1;
            return;
        default: luaL_typeerror(L, idx, "rate (table, \"n/d\" string or integer)");
    }
}

/* mxl.rate(r) -> {numerator=, denominator=}: normalise any accepted rate form. */
static int l_rate(lua_State* L)
{
    mxlRational r;
    if (lua_gettop(L) >= 2 && lua_isinteger(L, 1) && lua_isinteger(L, 2))
    {
        r.numerator = (int64_t)lua_tointeger(L, 1);
        r.denominator = (int64_t)lua_tointeger(L, 2);
    }
    else
        lmxl_checkrate(L, 1, &r);
    lmxl_pushrate(L, &r);
    return 1;
}

/* mxl.now() -> current TAI time in ns (0 if the clock cannot be read). */
static int l_now(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)mxlGetTime());
    return 1;
}

/* mxl.timestamp_to_index(rate, ts) -> index. */
static int l_timestamp_to_index(lua_State* L)
{
    mxlRational r;
    lmxl_checkrate(L, 1, &r);
    lua_pushinteger(L, (lua_Integer)mxlTimestampToIndex(&r, lmxl_checku64(L, 2)));
    return 1;
}

/* mxl.index_to_timestamp(rate, index) -> TAI ns. */
static int l_index_to_timestamp(lua_State* L)
{
    mxlRational r;
    lmxl_checkrate(L, 1, &r);
    lua_pushinteger(L, (lua_Integer)mxlIndexToTimestamp(&r, lmxl_checku64(L, 2)));
    return 1;
}

/* mxl.current_index(rate) -> index owning the current TAI time. */
static int l_current_index(lua_State* L)
{
    mxlRational r;
    lmxl_checkrate(L, 1, &r);
    lua_pushinteger(L, (lua_Integer)mxlGetCurrentIndex(&r));
    return 1;
}

/* mxl.sample_window(grain_rate, index, sample_rate) -> first, count, wait_ts: the audio samples that belong to grain
 * `index` of a flow at `grain_rate` — [S(t_k), S(t_(k+1))) with t_k = indexToTimestamp(grain_rate, k) and
 * S(t) = timestampToIndex(sample_rate, t) — and the timestamp to wait at for all of them, t_(k+1): a sync group's
 * wait_at(t) guarantees an audio member's samples before S(t) only. Read the window with
 * r:get_samples(first + count, count, ...). Consecutive grains' windows tile the sample line without gap. An invalid
 * rate raises. */
static int l_sample_window(lua_State* L)
{
    mxlRational g, a;
    lmxl_checkrate(L, 1, &g);
    uint64_t k = lmxl_checku64(L, 2);
    lmxl_checkrate(L, 3, &a);
    luaL_argcheck(L, g.numerator > 0 && g.denominator > 0, 1, "grain rate must be positive");
    luaL_argcheck(L, a.numerator > 0 && a.denominator > 0, 3, "sample rate must be positive");
    uint64_t t0 = mxlIndexToTimestamp(&g, k);
    uint64_t t1 = mxlIndexToTimestamp(&g, k + 1);
    luaL_argcheck(L, t0 != MXL_UNDEFINED_INDEX && t1 != MXL_UNDEFINED_INDEX, 2, "index out of range for the rate");
    uint64_t s0 = mxlTimestampToIndex(&a, t0);
    uint64_t s1 = mxlTimestampToIndex(&a, t1);
    lua_pushinteger(L, (lua_Integer)s0);
    lua_pushinteger(L, (lua_Integer)(s1 - s0));
    lua_pushinteger(L, (lua_Integer)t1);
    return 3;
}

/* mxl.ns_until_index(index, rate) -> ns until index starts (0 if started). Argument order as in C. */
static int l_ns_until_index(lua_State* L)
{
    mxlRational r;
    uint64_t index = lmxl_checku64(L, 1);
    lmxl_checkrate(L, 2, &r);
    lua_pushinteger(L, (lua_Integer)mxlGetNsUntilIndex(index, &r));
    return 1;
}

static int sleep_result(lua_State* L)
{
    if (lmxl_is_interrupted())
    {
        lmxl_interrupted_result(L); /* may raise the stop error instead */
        lua_pushnil(L);
        lua_pushliteral(L, "sleep interrupted");
        lua_pushliteral(L, "INTERRUPTED");
        return 3;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* mxl.sleep(ns) -> true | nil, msg, "INTERRUPTED" (a signal ends the sleep early). */
static int l_sleep(lua_State* L)
{
    lua_Integer ns = luaL_checkinteger(L, 1);
    luaL_argcheck(L, ns >= 0, 1, "duration must be >= 0 ns");
    if (!lmxl_is_interrupted())
        mxlSleepForNs((uint64_t)ns);
    return sleep_result(L);
}

/* mxl.sleep_until(ts) -> true | nil, msg, "INTERRUPTED". */
static int l_sleep_until(lua_State* L)
{
    uint64_t ts = lmxl_checku64(L, 1);
    if (!lmxl_is_interrupted())
        mxlSleepUntil(ts);
    return sleep_result(L);
}

void lmxl_time_open(lua_State* L, int module_idx)
{
    static luaL_Reg const funcs[] = {
        {"rate", l_rate},
        {"now", l_now},
        {"timestamp_to_index", l_timestamp_to_index},
        {"index_to_timestamp", l_index_to_timestamp},
        {"current_index", l_current_index},
        {"ns_until_index", l_ns_until_index},
        {"sample_window", l_sample_window},
        {"sleep", l_sleep},
        {"sleep_until", l_sleep_until},
        {NULL, NULL},
    };
    lua_pushvalue(L, module_idx);
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}
