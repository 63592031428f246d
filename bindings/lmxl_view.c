/* Views: bounds-checked windows over payload memory, with every operation in C.
 *
 * Offsets and lengths are in bytes and 0-based (like the C API). A view refuses any access outside [0, #view), a
 * write through a read-only view (reader payloads), and any use once its owner (reader/writer) was closed. Typed
 * accessors are little-endian. Grain views (returned by reader:get_grain* and writer:open_grain) are reused per ring
 * slot and carry the grain header of their last get/open. */
#include <math.h>
#include <string.h>

#include <zlib.h>

#include "lmxl_int.h"

/* ---- the contract (lmxl.h) ---------------------------------------------------------------------------------- */

lmxl_view* lmxl_checkview(lua_State* L, int idx)
{
    lmxl_view* v = (lmxl_view*)luaL_checkudata(L, idx, LMXL_VIEW_MT);
    if (v->alive != NULL && *v->alive == 0)
        luaL_error(L, "attempt to use a view of a closed mxl reader or writer");
    return v;
}

uint8_t* lmxl_view_range(lua_State* L, int idx, size_t off, size_t len, int write)
{
    lmxl_view* v = lmxl_checkview(L, idx);
    if (write && !v->writable)
        luaL_error(L, "attempt to write to a read-only mxl view");
    if (off > v->len || len > v->len - off)
        luaL_error(L, "mxl view access out of bounds (offset %I, length %I, view length %I)", (lua_Integer)off,
                   (lua_Integer)len, (lua_Integer)v->len);
    return v->ptr + off;
}

lmxl_view* lmxl_pushview_ex(lua_State* L, void* ptr, size_t len, int writable, int owner_idx, int const* alive,
                            size_t extra)
{
    if (owner_idx != 0)
        owner_idx = lua_absindex(L, owner_idx);
    lmxl_view* v = (lmxl_view*)lua_newuserdatauv(L, sizeof(lmxl_view) + extra, 1);
    memset(v, 0, sizeof(lmxl_view) + extra);
    v->ptr = (uint8_t*)ptr;
    v->len = len;
    v->writable = writable;
    v->owner = LUA_NOREF;
    v->alive = alive;
    v->grain = extra ? (struct lmxl_grainmeta*)(void*)(v + 1) : NULL;
    luaL_setmetatable(L, LMXL_VIEW_MT);
    if (owner_idx != 0)
    {
        lua_pushvalue(L, owner_idx);
        lua_setiuservalue(L, -2, 1);
    }
    return v;
}

lmxl_view* lmxl_pushview(lua_State* L, void* ptr, size_t len, int writable, int owner_idx, int const* alive)
{
    return lmxl_pushview_ex(L, ptr, len, writable, owner_idx, alive, 0);
}

/* ---- argument helpers --------------------------------------------------------------------------------------- */

static size_t checksize(lua_State* L, int idx, char const* what)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    if (n < 0)
        luaL_error(L, "bad %s %I (must be >= 0)", what, n);
    return (size_t)n;
}

static size_t optsize(lua_State* L, int idx, size_t def, char const* what)
{
    return lua_isnoneornil(L, idx) ? def : checksize(L, idx, what);
}

/* Resolve optional (off, len) at idx, idx+1 against the view: defaults are 0 and "to the end". */
static uint8_t* range_args(lua_State* L, int idx, size_t* len, int write)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    size_t off = optsize(L, idx, 0, "offset");
    if (off > v->len)
        luaL_error(L, "mxl view access out of bounds (offset %I, view length %I)", (lua_Integer)off,
                   (lua_Integer)v->len);
    *len = optsize(L, idx + 1, v->len - off, "length");
    return lmxl_view_range(L, 1, off, *len, write);
}

/* ---- basic methods ------------------------------------------------------------------------------------------ */

/* #view, view:len() -> length in bytes. */
static int v_len(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)lmxl_checkview(L, 1)->len);
    return 1;
}

/* view:ptr([off]) -> lightuserdata pointing at byte `off` (valid as long as the view is, see docs). */
static int v_ptr(lua_State* L)
{
    size_t off = optsize(L, 2, 0, "offset");
    lua_pushlightuserdata(L, lmxl_view_range(L, 1, off, 0, 0));
    return 1;
}

/* view:writable() -> bool. */
static int v_writable(lua_State* L)
{
    lua_pushboolean(L, lmxl_checkview(L, 1)->writable);
    return 1;
}

/* view:read([off [, len]]) -> string (copy of the bytes). */
static int v_read(lua_State* L)
{
    size_t len;
    uint8_t* p = range_args(L, 2, &len, 0);
    lua_pushlstring(L, (char const*)p, len);
    return 1;
}

/* view:write(off, s) -> off + #s: copy the string into the view. */
static int v_write(lua_State* L)
{
    size_t off = checksize(L, 2, "offset");
    size_t n;
    char const* s = luaL_checklstring(L, 3, &n);
    memcpy(lmxl_view_range(L, 1, off, n, 1), s, n);
    lua_pushinteger(L, (lua_Integer)(off + n));
    return 1;
}

/* view:fill(byte | pattern [, off [, len]]): fill with one byte value (0..255) or a repeated non-empty string. */
static int v_fill(lua_State* L)
{
    size_t len;
    if (lua_type(L, 2) == LUA_TSTRING)
    {
        size_t pn;
        char const* pat = lua_tolstring(L, 2, &pn);
        luaL_argcheck(L, pn > 0, 2, "empty pattern");
        uint8_t* p = range_args(L, 3, &len, 1);
        if (len == 0)
            return 0;
        size_t first = pn < len ? pn : len;
        memcpy(p, pat, first);
        size_t done = first;
        while (done < len) /* doubling copy of the already written prefix */
        {
            size_t chunk = done < len - done ? done : len - done;
            memcpy(p + done, p, chunk);
            done += chunk;
        }
        return 0;
    }
    lua_Integer b = luaL_checkinteger(L, 2);
    luaL_argcheck(L, b >= 0 && b <= 255, 2, "byte value must be 0..255");
    uint8_t* p = range_args(L, 3, &len, 1);
    memset(p, (int)b, len);
    return 0;
}

/* view:copy(src [, dst_off [, src_off [, len]]]) -> len: copy bytes from another view (overlap allowed). */
static int v_copy(lua_State* L)
{
    lmxl_view* src = lmxl_checkview(L, 2);
    size_t doff = optsize(L, 3, 0, "offset");
    size_t soff = optsize(L, 4, 0, "offset");
    if (soff > src->len)
        luaL_error(L, "mxl view access out of bounds (source offset %I, view length %I)", (lua_Integer)soff,
                   (lua_Integer)src->len);
    size_t n = optsize(L, 5, src->len - soff, "length");
    uint8_t const* s = lmxl_view_range(L, 2, soff, n, 0);
    uint8_t* d = lmxl_view_range(L, 1, doff, n, 1);
    memmove(d, s, n);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* view:compare(other) -> 0 when equal, else -1 / 1 (memcmp order, shorter prefix first) and the offset of the first
 * differing byte. */
static int v_compare(lua_State* L)
{
    lmxl_view* a = lmxl_checkview(L, 1);
    lmxl_view* b = lmxl_checkview(L, 2);
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->ptr, b->ptr, n);
    if (c == 0)
    {
        if (a->len == b->len)
        {
            lua_pushinteger(L, 0);
            return 1;
        }
        lua_pushinteger(L, a->len < b->len ? -1 : 1);
        lua_pushinteger(L, (lua_Integer)n);
        return 2;
    }
    size_t i = 0;
    while (a->ptr[i] == b->ptr[i])
        i++;
    lua_pushinteger(L, c < 0 ? -1 : 1);
    lua_pushinteger(L, (lua_Integer)i);
    return 2;
}

/* view:crc32([off [, len [, crc]]]) -> CRC-32 (zlib) of the range, optionally continuing from `crc`. */
static int v_crc32(lua_State* L)
{
    size_t len;
    uint8_t* p = range_args(L, 2, &len, 0);
    uLong crc = (uLong)luaL_optinteger(L, 4, 0);
    crc = crc32_z(crc, p, len);
    lua_pushinteger(L, (lua_Integer)(crc & 0xffffffffu));
    return 1;
}

/* view:sub(off [, len]) -> new view over part of this one (same owner, same writability). */
static int v_sub(lua_State* L)
{
    size_t len;
    luaL_checkinteger(L, 2);
    uint8_t* p = range_args(L, 2, &len, 0);
    lmxl_view* v = lmxl_checkview(L, 1);
    lmxl_pushview(L, p, len, v->writable, 1, v->alive);
    return 1;
}

/* view:readonly() -> read-only view over the same bytes. */
static int v_readonly(lua_State* L)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    lmxl_pushview(L, v->ptr, v->len, 0, 1, v->alive);
    return 1;
}

static int v_tostring(lua_State* L)
{
    lmxl_view* v = (lmxl_view*)luaL_checkudata(L, 1, LMXL_VIEW_MT);
    if (v->alive != NULL && *v->alive == 0)
        lua_pushliteral(L, "mxl.view (closed owner)");
    else
        lua_pushfstring(L, "mxl.view (%p, %I bytes, %s)", (void*)v->ptr, (lua_Integer)v->len,
                        v->writable ? "rw" : "ro");
    return 1;
}

/* ---- typed little-endian access ----------------------------------------------------------------------------- */

static uint64_t load_le(uint8_t const* p, int n)
{
    uint64_t x = 0;
    for (int i = n - 1; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

static void store_le(uint8_t* p, int n, uint64_t x)
{
    for (int i = 0; i < n; i++, x >>= 8)
        p[i] = (uint8_t)x;
}

#define GETU(name, bytes)                                                                                         \
    static int v_get_##name(lua_State* L)                                                                         \
    {                                                                                                             \
        uint8_t* p = lmxl_view_range(L, 1, checksize(L, 2, "offset"), bytes, 0);                                  \
        lua_pushinteger(L, (lua_Integer)load_le(p, bytes));                                                       \
        return 1;                                                                                                 \
    }                                                                                                             \
    static int v_set_##name(lua_State* L)                                                                         \
    {                                                                                                             \
        size_t off = checksize(L, 2, "offset");                                                                   \
        uint64_t x = (uint64_t)luaL_checkinteger(L, 3);                                                           \
        store_le(lmxl_view_range(L, 1, off, bytes, 1), bytes, x);                                                 \
        return 0;                                                                                                 \
    }
GETU(u8, 1)
GETU(u16, 2)
GETU(u32, 4)
GETU(u64, 8)

static int v_get_f32(lua_State* L)
{
    uint32_t u = (uint32_t)load_le(lmxl_view_range(L, 1, checksize(L, 2, "offset"), 4, 0), 4);
    float f;
    memcpy(&f, &u, 4);
    lua_pushnumber(L, f);
    return 1;
}

static int v_set_f32(lua_State* L)
{
    size_t off = checksize(L, 2, "offset");
    float f = (float)luaL_checknumber(L, 3);
    uint32_t u;
    memcpy(&u, &f, 4);
    store_le(lmxl_view_range(L, 1, off, 4, 1), 4, u);
    return 0;
}

static int v_get_f64(lua_State* L)
{
    uint64_t u = load_le(lmxl_view_range(L, 1, checksize(L, 2, "offset"), 8, 0), 8);
    double d;
    memcpy(&d, &u, 8);
    lua_pushnumber(L, d);
    return 1;
}

static int v_set_f64(lua_State* L)
{
    size_t off = checksize(L, 2, "offset");
    double d = luaL_checknumber(L, 3);
    uint64_t u;
    memcpy(&u, &d, 8);
    store_le(lmxl_view_range(L, 1, off, 8, 1), 8, u);
    return 0;
}

/* ---- bulk float conversion ---------------------------------------------------------------------------------- */

/* Read `n` samples of `word` bytes (4 = float32, 8 = float64) from p into out[first..first+n-1]. */
void lmxl_floats_to_table(lua_State* L, int tidx, lua_Integer first, uint8_t const* p, size_t n, size_t word)
{
    for (size_t i = 0; i < n; i++)
    {
        if (word == 4)
        {
            float f;
            memcpy(&f, p + 4 * i, 4);
            lua_pushnumber(L, f);
        }
        else
        {
            double d;
            memcpy(&d, p + 8 * i, 8);
            lua_pushnumber(L, d);
        }
        lua_rawseti(L, tidx, first + (lua_Integer)i);
    }
}

/* Write t[first..first+n-1] as samples of `word` bytes to p; raises on a non-number element. */
void lmxl_table_to_floats(lua_State* L, int tidx, lua_Integer first, uint8_t* p, size_t n, size_t word)
{
    for (size_t i = 0; i < n; i++)
    {
        lua_rawgeti(L, tidx, first + (lua_Integer)i);
        int ok;
        lua_Number x = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "element %I of the sample array is not a number", first + (lua_Integer)i);
        lua_pop(L, 1);
        if (word == 4)
        {
            float f = (float)x;
            memcpy(p + 4 * i, &f, 4);
        }
        else
            memcpy(p + 8 * i, &x, 8);
    }
}

/* view:get_f32_array(off, n [, out]) / get_f64_array: read n floats into out (new table when absent) -> out. */
static int get_farray(lua_State* L, size_t word)
{
    size_t off = checksize(L, 2, "offset");
    size_t n = checksize(L, 3, "count");
    if (n > (SIZE_MAX / word))
        luaL_error(L, "count too large");
    uint8_t* p = lmxl_view_range(L, 1, off, n * word, 0);
    if (lua_isnoneornil(L, 4))
    {
        lua_settop(L, 3);
        lua_createtable(L, n < (size_t)0x7fffffff ? (int)n : 0, 0);
    }
    else
    {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_settop(L, 4);
    }
    lmxl_floats_to_table(L, 4, 1, p, n, word);
    return 1;
}

/* view:set_f32_array(off, t [, first [, last]]) / set_f64_array -> number of samples written. */
static int set_farray(lua_State* L, size_t word)
{
    size_t off = checksize(L, 2, "offset");
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer first = luaL_optinteger(L, 4, 1);
    lua_Integer last = luaL_optinteger(L, 5, (lua_Integer)lua_rawlen(L, 3));
    luaL_argcheck(L, first >= 1, 4, "first must be >= 1");
    size_t n = last >= first ? (size_t)(last - first + 1) : 0;
    if (n > (SIZE_MAX / word))
        luaL_error(L, "count too large");
    uint8_t* p = lmxl_view_range(L, 1, off, n * word, 1);
    lmxl_table_to_floats(L, 3, first, p, n, word);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int v_get_f32_array(lua_State* L)
{
    return get_farray(L, 4);
}
static int v_get_f64_array(lua_State* L)
{
    return get_farray(L, 8);
}
static int v_set_f32_array(lua_State* L)
{
    return set_farray(L, 4);
}
static int v_set_f64_array(lua_State* L)
{
    return set_farray(L, 8);
}

/* ---- grain views -------------------------------------------------------------------------------------------- */

static lmxl_grainmeta* checkgrain(lua_State* L)
{
    lmxl_view* v = lmxl_checkview(L, 1);
    if (v->grain == NULL)
        luaL_error(L, "not a grain view");
    return v->grain;
}

/* view:index() -> grain index of the last get/open through this slot view. */
static int v_index(lua_State* L)
{
    lua_pushinteger(L, (lua_Integer)checkgrain(L)->index);
    return 1;
}

/* view:flags(), view:valid_slices(), view:total_slices(): grain header fields as read/opened. */
static int v_flags(lua_State* L)
{
    lua_pushinteger(L, checkgrain(L)->flags);
    return 1;
}

static int v_valid_slices(lua_State* L)
{
    lua_pushinteger(L, checkgrain(L)->validSlices);
    return 1;
}

static int v_total_slices(lua_State* L)
{
    lua_pushinteger(L, checkgrain(L)->totalSlices);
    return 1;
}

/* view:info() -> the slot header copy {version=, size=, index= (as in the header), flags=, grainSize=, totalSlices=,
 * validSlices=}. */
static int v_info(lua_State* L)
{
    lmxl_grainmeta* g = checkgrain(L);
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, g->version);
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, g->size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)g->hdr_index);
    lua_setfield(L, -2, "index");
    lua_pushinteger(L, g->flags);
    lua_setfield(L, -2, "flags");
    lua_pushinteger(L, g->grainSize);
    lua_setfield(L, -2, "grainSize");
    lua_pushinteger(L, g->totalSlices);
    lua_setfield(L, -2, "totalSlices");
    lua_pushinteger(L, g->validSlices);
    lua_setfield(L, -2, "validSlices");
    return 1;
}

/* view:valid() (alias intact) -> true | false, msg, "TOO_LATE": read-then-verify of a reader grain view: the slot
 * still holds this index and was not reopened since the get (mxlFlowReaderGrainIntact). */
static int v_valid(lua_State* L)
{
    lmxl_grainmeta* g = checkgrain(L);
    if (g->reader == NULL)
        return luaL_error(L, "valid() needs a reader grain view");
    mxlStatus st = mxlFlowReaderGrainIntact(g->reader->h, g->index);
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

/* view:commit_time() -> TAI ns at which the grain was committed | nil, msg, "NOT_FOUND" (reader grain views). */
static int v_commit_time(lua_State* L)
{
    lmxl_grainmeta* g = checkgrain(L);
    if (g->reader == NULL)
        return luaL_error(L, "commit_time() needs a reader grain view");
    uint64_t t = 0;
    mxlStatus st = mxlFlowReaderGetGrainCommitTime(g->reader->h, g->index, &t);
    if (st != MXL_STATUS_OK)
        return lmxl_fail(L, st, NULL);
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

/* ---- buffers ------------------------------------------------------------------------------------------------ */

/* mxl.buffer(size | string) -> writable view over memory owned by the view itself (zeroed, or a copy of string). */
static int l_buffer(lua_State* L)
{
    size_t n;
    char const* s = NULL;
    if (lua_type(L, 1) == LUA_TSTRING)
        s = lua_tolstring(L, 1, &n);
    else
        n = checksize(L, 1, "size");
    lmxl_view* v = lmxl_pushview_ex(L, NULL, n, 1, 0, NULL, n);
    v->ptr = (uint8_t*)(void*)(v + 1);
    v->grain = NULL;
    if (s != NULL)
        memcpy(v->ptr, s, n);
    return 1;
}

void lmxl_view_open(lua_State* L, int module_idx)
{
    static luaL_Reg const methods[] = {
        {"len", v_len},
        {"ptr", v_ptr},
        {"writable", v_writable},
        {"read", v_read},
        {"write", v_write},
        {"fill", v_fill},
        {"copy", v_copy},
        {"compare", v_compare},
        {"crc32", v_crc32},
        {"sub", v_sub},
        {"readonly", v_readonly},
        {"get_u8", v_get_u8},
        {"get_u16", v_get_u16},
        {"get_u32", v_get_u32},
        {"get_u64", v_get_u64},
        {"get_f32", v_get_f32},
        {"get_f64", v_get_f64},
        {"set_u8", v_set_u8},
        {"set_u16", v_set_u16},
        {"set_u32", v_set_u32},
        {"set_u64", v_set_u64},
        {"set_f32", v_set_f32},
        {"set_f64", v_set_f64},
        {"get_f32_array", v_get_f32_array},
        {"get_f64_array", v_get_f64_array},
        {"set_f32_array", v_set_f32_array},
        {"set_f64_array", v_set_f64_array},
        {"index", v_index},
        {"flags", v_flags},
        {"valid_slices", v_valid_slices},
        {"total_slices", v_total_slices},
        {"info", v_info},
        {"valid", v_valid},
        {"intact", v_valid},
        {"commit_time", v_commit_time},
        {NULL, NULL},
    };
    luaL_newmetatable(L, LMXL_VIEW_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, v_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, v_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_buffer);
    lua_setfield(L, module_idx, "buffer");
}
