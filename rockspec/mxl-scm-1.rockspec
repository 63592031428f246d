-- LuaRocks package of the mxl Lua runtime: the `mxl` module (mxl.so), the lua/mxl/*.lua modules, the mxlrun host and
-- the tools (scripts/*.lua, installed as the modules mxl.scripts.*: `mxlrun -m info`, `mxlrun -m test_pattern`, ...).
-- Builds the whole repository with CMake (libmxl is linked in statically), offline.
--   luarocks --lua-version 5.4 make rockspec/mxl-scm-1.rockspec          (from a checkout: builds it as it is)
--   scripts/pack-rock.sh                                                  (-> ./mxl-scm-1.src.rock of this working tree)
--   luarocks --lua-version 5.4 install ./mxl-scm-1.src.rock              (what `luarocks install mxl` does)
-- scripts/ci-luarocks.sh exercises both routes into temporary trees.
rockspec_format = "3.0"
package = "mxl"
version = "scm-1"

source = {
  -- `luarocks make` builds the current checkout and never fetches. A rockspec cannot name the checkout it lives in,
  -- so packing goes through scripts/pack-rock.sh, which points a copy of this file at a snapshot of the working tree;
  -- `luarocks pack` on this file itself fails (there is nothing at this URL) instead of packing some other tree.
  url = "git+file:///nonexistent/pack-this-checkout-with-scripts/pack-rock.sh",
}

description = {
  summary = "Media eXchange Layer (MXL) for Lua 5.4: zero-copy media flows in shared memory",
  detailed = [[
    Lua binding of a C11 implementation of the Media eXchange Layer: flow writers and readers, grains and
    audio samples as bounds-checked views over shared memory, sync groups, TAI time, and the mxlrun host.
  ]],
  license = "Apache-2.0",
  labels = { "media", "shared-memory", "video", "audio" },
}

dependencies = {
  "lua >= 5.4, < 5.5",
}

external_dependencies = {
  JANSSON = { header = "jansson.h" },
  PNG = { header = "png.h" }, -- the mxlmedia helpers behind mxl.media
  UUID = { header = "uuid/uuid.h" },
  ZLIB = { header = "zlib.h" },
}

build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    MXL_BUILD_LUA = "ON",
    MXL_BUILD_TESTS = "OFF",
    MXL_BUILD_BENCH = "OFF",
    MXL_BUILD_FUZZ = "OFF",
    -- the module, the Lua files and mxlrun go where LuaRocks deploys them from
    LMXL_INSTALL_CMOD = "$(LIBDIR)",
    LMXL_INSTALL_LMOD = "$(LUADIR)",
    LMXL_INSTALL_BIN = "$(BINDIR)",
    -- libmxl's own files (static/shared library, headers, pkg-config, CMake package) stay inside the rock
    -- directory, away from lib/ (which LuaRocks treats as Lua C modules)
    CMAKE_INSTALL_LIBDIR = "libmxl/lib",
    CMAKE_INSTALL_INCLUDEDIR = "libmxl/include",
  },
}
