/* Shared declarations of the Lua module's C files (lmxl*.c). Only public libmxl headers are used. */
#ifndef LMXL_H
#define LMXL_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

/* A bounds-checked window over shared memory (or any C memory). Views never own the memory: `owner` is a
 * registry reference to the Lua object (reader, writer, view parent) that keeps the mapping alive, and `alive`
 * points at that owner's open flag so a view over a closed reader raises instead of touching unmapped memory. */
typedef struct lmxl_view
{
    uint8_t* ptr;
    size_t len;
    int writable;
    int owner;         /* LUA_NOREF or a registry reference */
    int const* alive;  /* NULL = always alive; else *alive == 0 means the owner was closed */
} lmxl_view;

#define LMXL_VIEW_MT "mxl.view"

/* Check that argument `idx` is a live view; raises on a wrong type or a closed owner. */
lmxl_view* lmxl_checkview(lua_State* L, int idx);
/* Bounds-checked pointer to [off, off+len) of the view at `idx`; raises when out of bounds, or when `write` is set
 * and the view is read-only. */
uint8_t* lmxl_view_range(lua_State* L, int idx, size_t off, size_t len, int write);
/* Push a new view. `owner_idx` is the stack index of the owning object (0 = none). */
lmxl_view* lmxl_pushview(lua_State* L, void* ptr, size_t len, int writable, int owner_idx, int const* alive);

/* Media helpers (lmxl_media.c): push the `mxl.media` table. */
int lmxl_open_media(lua_State* L);

#endif
