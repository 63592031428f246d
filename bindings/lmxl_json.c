/* JSON <-> Lua with jansson, so that integers stay integers both ways (64-bit indices and TAI timestamps never go
 * through doubles), an empty array can be told from an empty object (mxl.array), and JSON null has a value
 * (mxl.null, a light userdata NULL).
 *
 * Encoding rules: Lua integer -> JSON integer; float -> JSON real (NaN/inf raise); string -> JSON string (must be
 * UTF-8); boolean; mxl.null -> null; a table marked by mxl.array(t) -> array of t[1..#t]; an unmarked table whose
 * keys are exactly 1..n (n > 0) -> array; an empty unmarked table -> {}; a table with only string keys -> object;
 * anything else (mixed or sparse keys, functions, cycles) raises with the path of the offending value. Objects are
 * written with sorted keys, so the text is deterministic. Decoding marks arrays with the array metatable, so that
 * decode(encode(x)) keeps "[]". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lmxl_int.h"

#define ARRAY_MT "mxl.json.array"
#define MAX_DEPTH 200

typedef struct enc
{
    lua_State* L;
    char err[768];
    char path[512];
} enc;

static json_t* encode(enc* e, int idx, int depth);

static int is_array_marked(lua_State* L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    luaL_getmetatable(L, ARRAY_MT);
    int yes = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return yes;
}

static json_t* fail(enc* e, char const* what)
{
    if (e->err[0] == '\0')
        snprintf(e->err, sizeof e->err, "%s at %s", what, e->path[0] ? e->path : "$");
    return NULL;
}

/* Append a path component; returns the previous length for restore. */
static size_t path_push_index(enc* e, lua_Integer i)
{
    size_t n = strlen(e->path);
    snprintf(e->path + n, sizeof e->path - n, "[%lld]", (long long)i);
    return n;
}

static size_t path_push_key(enc* e, char const* k)
{
    size_t n = strlen(e->path);
    snprintf(e->path + n, sizeof e->path - n, ".%s", k);
    return n;
}

static json_t* encode_array(enc* e, int idx, lua_Integer n, int depth)
{
    lua_State* L = e->L;
    json_t* arr = json_array();
    if (arr == NULL)
        return fail(e, "out of memory");
    for (lua_Integer i = 1; i <= n; i++)
    {
        lua_rawgeti(L, idx, i);
        size_t mark = path_push_index(e, i);
        json_t* v = encode(e, lua_gettop(L), depth + 1);
        e->path[mark] = '\0';
        lua_pop(L, 1);
        if (v == NULL || json_array_append_new(arr, v) != 0)
        {
            json_decref(arr);
            return fail(e, "cannot append array element");
        }
    }
    return arr;
}

static json_t* encode_table(enc* e, int idx, int depth)
{
    lua_State* L = e->L;
    if (is_array_marked(L, idx))
        return encode_array(e, idx, (lua_Integer)lua_rawlen(L, idx), depth);
    /* Classify the keys: all strings -> object; exactly 1..n -> array. */
    lua_Integer count = 0, maxint = 0;
    int strings = 0, ints = 0;
    lua_pushnil(L);
    while (lua_next(L, idx))
    {
        lua_pop(L, 1);
        count++;
        if (lua_type(L, -1) == LUA_TSTRING)
            strings = 1;
        else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1)
        {
            ints = 1;
            if (lua_tointeger(L, -1) > maxint)
                maxint = lua_tointeger(L, -1);
        }
        else
        {
            lua_pop(L, 1);
            return fail(e, "table key is neither a string nor a positive integer");
        }
    }
    if (strings && ints)
        return fail(e, "table mixes string and integer keys");
    if (ints)
    {
        if (maxint != count)
            return fail(e, "sparse array (use mxl.null for holes)");
        return encode_array(e, idx, count, depth);
    }
    json_t* obj = json_object();
    if (obj == NULL)
        return fail(e, "out of memory");
    lua_pushnil(L);
    while (lua_next(L, idx))
    {
        char const* k = lua_tostring(L, -2);
        size_t mark = path_push_key(e, k);
        json_t* v = encode(e, lua_gettop(L), depth + 1);
        e->path[mark] = '\0';
        lua_pop(L, 1);
        if (v == NULL || json_object_set_new(obj, k, v) != 0)
        {
            lua_pop(L, 1);
            json_decref(obj);
            return fail(e, "invalid object key (not UTF-8?)");
        }
    }
    return obj;
}

static json_t* encode(enc* e, int idx, int depth)
{
    lua_State* L = e->L;
    if (depth > MAX_DEPTH)
        return fail(e, "nesting too deep (cycle?)");
    if (!lua_checkstack(L, 6))
        return fail(e, "Lua stack overflow");
    switch (lua_type(L, idx))
    {
        case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx))
                return json_integer((json_int_t)lua_tointeger(L, idx));
            else
            {
                double d = lua_tonumber(L, idx);
                if (!isfinite(d))
                    return fail(e, "NaN or infinite number");
                return json_real(d);
            }
        case LUA_TSTRING:
        {
            size_t len;
            char const* s = lua_tolstring(L, idx, &len);
            json_t* v = json_stringn(s, len);
            return v ? v : fail(e, "string is not valid UTF-8");
        }
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(L, idx) == NULL)
                return json_null();
            return fail(e, "cannot encode a light userdata");
        case LUA_TTABLE: return encode_table(e, idx, depth);
        default:
        {
            char what[64];
            snprintf(what, sizeof what, "cannot encode a %s", luaL_typename(L, idx));
            return fail(e, what);
        }
    }
}

/* Encode the value at `idx` and push the text; raises with a path on unencodable values. */
static void push_encoded(lua_State* L, int idx, size_t flags)
{
    enc e;
    e.L = L;
    e.err[0] = '\0';
    e.path[0] = '\0';
    idx = lua_absindex(L, idx);
    json_t* j = encode(&e, idx, 0);
    if (j == NULL)
        luaL_error(L, "cannot encode JSON: %s", e.err);
    char* text = json_dumps(j, flags | JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(j);
    if (text == NULL)
        luaL_error(L, "cannot encode JSON: out of memory");
    lua_pushstring(L, text);
    free(text);
}

char const* lmxl_tojsonarg(lua_State* L, int idx, int allow_nil)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx))
    {
        case LUA_TSTRING: return lua_tostring(L, idx);
        case LUA_TTABLE:
            push_encoded(L, idx, JSON_COMPACT);
            lua_replace(L, idx);
            return lua_tostring(L, idx);
        case LUA_TNIL:
        case LUA_TNONE:
            if (allow_nil)
                return NULL;
            /* fall through */
        default: luaL_typeerror(L, idx, allow_nil ? "JSON string, table or nil" : "JSON string or table");
    }
    return NULL;
}

static void push_decoded(lua_State* L, json_t* j, int depth)
{
    luaL_checkstack(L, 4, "JSON too deep");
    switch (json_typeof(j))
    {
        case JSON_OBJECT:
        {
            lua_createtable(L, 0, (int)json_object_size(j));
            char const* k;
            json_t* v;
            json_object_foreach(j, k, v)
            {
                lua_pushstring(L, k);
                push_decoded(L, v, depth + 1);
                lua_rawset(L, -3);
            }
            break;
        }
        case JSON_ARRAY:
        {
            size_t n = json_array_size(j);
            lua_createtable(L, (int)n, 0);
            for (size_t i = 0; i < n; i++)
            {
                push_decoded(L, json_array_get(j, i), depth + 1);
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
            luaL_setmetatable(L, ARRAY_MT);
            break;
        }
        case JSON_STRING: lua_pushlstring(L, json_string_value(j), json_string_length(j)); break;
        case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(j)); break;
        case JSON_REAL: lua_pushnumber(L, json_real_value(j)); break;
        case JSON_TRUE: lua_pushboolean(L, 1); break;
        case JSON_FALSE: lua_pushboolean(L, 0); break;
        case JSON_NULL: lua_pushlightuserdata(L, NULL); break;
    }
}

int lmxl_pushjson(lua_State* L, char const* text, size_t len)
{
    json_error_t err;
    json_t* j = json_loadb(text, len, JSON_DECODE_ANY, &err);
    if (j == NULL)
    {
        lua_pushnil(L);
        lua_pushfstring(L, "JSON error at line %d, column %d: %s", err.line, err.column, err.text);
        lua_pushliteral(L, "INVALID_ARG");
        return 3;
    }
    /* A Lua error (out of memory) while pushing would leak `j`: anchor it in a userdata with __gc first. */
    json_t** box = (json_t**)lua_newuserdatauv(L, sizeof *box, 0);
    *box = j;
    luaL_setmetatable(L, "mxl.json.box");
    push_decoded(L, j, 0);
    json_decref(j);
    *box = NULL;
    lua_remove(L, -2);
    return 1;
}

static int box_gc(lua_State* L)
{
    json_t** box = (json_t**)lua_touserdata(L, 1);
    if (*box)
        json_decref(*box);
    *box = NULL;
    return 0;
}

/* mxl.json_encode(value [, indent]) -> text. Raises on values JSON cannot hold. */
static int l_json_encode(lua_State* L)
{
    luaL_checkany(L, 1);
    lua_Integer indent = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, indent >= 0 && indent <= 31, 2, "indent must be 0..31");
    push_encoded(L, 1, indent > 0 ? JSON_INDENT((size_t)indent) : JSON_COMPACT);
    return 1;
}

/* mxl.json_decode(text) -> value | nil, msg, "INVALID_ARG". Integers stay integers; arrays are marked. */
static int l_json_decode(lua_State* L)
{
    size_t len;
    char const* text = luaL_checklstring(L, 1, &len);
    return lmxl_pushjson(L, text, len);
}

/* mxl.array([t]) -> t: mark a table (new one when absent) so it encodes as a JSON array, even when empty. */
static int l_array(lua_State* L)
{
    if (lua_isnoneornil(L, 1))
    {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, ARRAY_MT);
    return 1;
}

/* mxl.is_array(t) -> bool: whether t carries the array mark. */
static int l_is_array(lua_State* L)
{
    lua_pushboolean(L, lua_istable(L, 1) && is_array_marked(L, 1));
    return 1;
}

void lmxl_json_open(lua_State* L, int module_idx)
{
    luaL_newmetatable(L, ARRAY_MT);
    lua_pushliteral(L, "mxl.array");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    luaL_newmetatable(L, "mxl.json.box");
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    static luaL_Reg const funcs[] = {
        {"json_encode", l_json_encode},
        {"json_decode", l_json_decode},
        {"array", l_array},
        {"is_array", l_is_array},
        {NULL, NULL},
    };
    lua_pushvalue(L, module_idx);
    luaL_setfuncs(L, funcs, 0);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pop(L, 1);
}
