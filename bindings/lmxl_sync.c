/* Flow synchronisation groups: wait until every member reader has data at one TAI timestamp.
 *
 * A group keeps its member readers alive (user value 2, strong); the core drops a reader from every group when the
 * reader's last reference is released, so closing a member reader is safe. Groups close before readers when their
 * instance closes. */
#include <string.h>

#include "lmxl_int.h"

lmxl_group* lmxl_checkgroup(lua_State* L, int idx)
{
    lmxl_group* g = (lmxl_group*)luaL_checkudata(L, idx, LMXL_GROUP_MT);
    if (!g->c.open)
        luaL_error(L, "attempt to use a closed mxl sync group");
    return g;
}

static mxlStatus group_release(lmxl_child* c)
{
    lmxl_group* g = (lmxl_group*)c;
    mxlStatus st = mxlReleaseFlowSynchronizationGroup(c->inst->h, g->h);
    g->h = NULL;
    return st;
}

/* inst:sync_group() -> group | nil, msg, code. */
int lmxl_instance_sync_group(lua_State* L)
{
    lmxl_instance* in = lmxl_checkinstance(L, 1);
    lmxl_group* g = (lmxl_group*)lmxl_newchild(L, sizeof *g, 2, LMXL_GROUP_MT, 1);
    g->c.is_group = 1;
    g->c.release = group_release;
    mxlStatus st = mxlCreateFlowSynchronizationGroup(in->h, &g->h);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    g->c.open = 1;
    lua_newtable(L);
    lua_setiuservalue(L, -2, 2);
    return 1;
}

static int ok_or_fail(lua_State* L, mxlStatus st)
{
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushboolean(L, 1);
    return 1;
}

/* Record/forget reader (stack idx) in the group's member table. */
static void members_set(lua_State* L, int reader_idx, int present)
{
    lua_getiuservalue(L, 1, 2);
    lua_pushvalue(L, reader_idx);
    if (present)
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* g:add(reader [, min_valid_slices]) -> true | nil, msg, code. With min_valid_slices the reader counts as ready once
 * that many slices of the grain are valid (discrete readers only: "INVALID_FLOW_READER" otherwise). */
static int g_add(lua_State* L)
{
    lmxl_group* g = lmxl_checkgroup(L, 1);
    lmxl_reader* r = lmxl_checkreader(L, 2);
    mxlStatus st;
    if (lua_isnoneornil(L, 3))
        st = mxlFlowSynchronizationGroupAddReader(g->h, r->h);
    else
    {
        lua_Integer n = luaL_checkinteger(L, 3);
        luaL_argcheck(L, n >= 0 && n <= UINT16_MAX, 3, "slice count must be 0..65535");
        st = mxlFlowSynchronizationGroupAddPartialGrainReader(g->h, r->h, (uint16_t)n);
    }
    if (st == MXL_STATUS_OK)
        members_set(L, 2, 1);
    return ok_or_fail(L, st);
}

/* g:remove(reader) -> true | nil, msg, code. Removing a closed reader is a no-op (the core already dropped it). */
static int g_remove(lua_State* L)
{
    lmxl_group* g = lmxl_checkgroup(L, 1);
    lmxl_reader* r = (lmxl_reader*)luaL_checkudata(L, 2, LMXL_READER_MT);
    mxlStatus st = MXL_STATUS_OK;
    if (r->c.open)
        st = mxlFlowSynchronizationGroupRemoveReader(g->h, r->h);
    if (st == MXL_STATUS_OK)
        members_set(L, 2, 0);
    return ok_or_fail(L, st);
}

/* g:wait_at(timestamp_ns, timeout_ns) -> true | nil, msg, code ("TIMEOUT" at the deadline, "TOO_LATE",
 * "FLOW_INVALID", "INTERRUPTED"). */
static int g_wait_at(lua_State* L)
{
    lmxl_group* g = lmxl_checkgroup(L, 1);
    uint64_t ts = lmxl_checku64(L, 2);
    lua_Integer t = luaL_checkinteger(L, 3);
    luaL_argcheck(L, t >= 0, 3, "timeout must be >= 0 ns");
    mxlStatus st = mxlFlowSynchronizationGroupWaitForDataAt(g->h, ts, (uint64_t)t);
    if (st != MXL_STATUS_OK)
        return lmxl_fail_wait(L, st, (uint64_t)t);
    lua_pushboolean(L, 1);
    return 1;
}

/* g:close() -> true | nil, msg, code; also __gc, __close. */
static int g_close(lua_State* L)
{
    lmxl_group* g = (lmxl_group*)luaL_checkudata(L, 1, LMXL_GROUP_MT);
    mxlStatus st = lmxl_closechild(&g->c);
    lua_pushnil(L);
    lua_setiuservalue(L, 1, 2);
    return ok_or_fail(L, st);
}

static int g_gc(lua_State* L)
{
    lmxl_closechild((lmxl_child*)luaL_checkudata(L, 1, LMXL_GROUP_MT));
    return 0;
}

static int g_tostring(lua_State* L)
{
    lmxl_group* g = (lmxl_group*)luaL_checkudata(L, 1, LMXL_GROUP_MT);
    lua_pushstring(L, g->c.open ? "mxl.syncgroup" : "mxl.syncgroup (closed)");
    return 1;
}

void lmxl_sync_open(lua_State* L)
{
    static luaL_Reg const methods[] = {
        {"add", g_add},
        {"remove", g_remove},
        {"wait_at", g_wait_at},
        {"close", g_close},
        {NULL, NULL},
    };
    luaL_newmetatable(L, LMXL_GROUP_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, g_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, g_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, g_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
