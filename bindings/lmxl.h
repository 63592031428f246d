/* Shared declarations of the Lua module's C files (lmxl*.c). Only public libmxl headers are used. */
#ifndef LMXL_H
#define LMXL_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

struct lmxl_grainmeta; /* grain metadata of reader/writer grain views (lmxl_int.h); opaque here */

/* A bounds-checked window over shared memory (or any C memory). Views never own the memory: the owning Lua object
 * (reader, writer, view parent) keeps the mapping alive, and `alive` points at that owner's open flag so a view over
 * a closed reader raises instead of touching unmapped memory.
 *
 * Ownership: lmxl_pushview stores the owner in the view's first user value (not in the registry: a registry
 * reference is a GC root, so a reader that caches its slot views would never be collected). `owner` is kept for
 * source compatibility and is always LUA_NOREF. */
typedef struct lmxl_view
{
    uint8_t* ptr;
    size_t len;
    int writable;
    int owner;         /* LUA_NOREF (the owner lives in user value 1) */
    int const* alive;  /* NULL = always alive; else *alive == 0 means the owner was closed */
    /* Extension (bindings only): NULL for plain views; grain views of readers/writers point at their metadata. */
    struct lmxl_grainmeta* grain;
} lmxl_view;

#define LMXL_VIEW_MT "mxl.view"

/* Check that argument `idx` is a live view; raises on a wrong type or a closed owner. */
lmxl_view* lmxl_checkview(lua_State* L, int idx);
/* Bounds-checked pointer to [off, off+len) of the view at `idx`; raises when out of bounds, or when `write` is set
 * and the view is read-only. */
uint8_t* lmxl_view_range(lua_State* L, int idx, size_t off, size_t len, int write);
/* Push a new view. `owner_idx` is the stack index of the owning object (0 = none). */
lmxl_view* lmxl_pushview(lua_State* L, void* ptr, size_t len, int writable, int owner_idx, int const* alive);

/* Media helpers (lmxl_media.c): push the `mxl.media` table. Only called when LMXL_HAVE_MEDIA is defined (the build
 * defines it when bindings/lmxl_media.c exists). */
int lmxl_open_media(lua_State* L);

#endif
