#!/usr/bin/env bash
# Both LuaRocks routes, offline, each into its own temporary tree, each followed by a smoke script run with the
# installed mxlrun (no environment set-up: it must find its modules relative to itself):
#   1. luarocks make rockspec/mxl-scm-1.rockspec          (build from a checkout)
#   2. luarocks pack <rockspec> -> mxl-scm-1.src.rock, then luarocks install ./mxl-scm-1.src.rock
# The tree under test is a snapshot of this checkout (tracked and untracked, not ignored, files), so both routes
# build exactly what is in the working tree. Exit 0 only if everything passed; errors say which step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/mxl-luarocks.XXXXXX)
DOMAIN=$(mktemp -d /dev/shm/mxl-luarocks.XXXXXX)
trap 'rm -rf "$WORK" "$DOMAIN"' EXIT
LR=(luarocks --lua-version 5.4)

step() { printf '== ci-luarocks: %s\n' "$*"; }
die() { printf 'ci-luarocks: ERROR: %s\n' "$*" >&2; exit 1; }
run_logged() { # run_logged LOGNAME COMMAND...: run quietly, show the log tail on failure
    local log="$WORK/$1.log"; shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        return 1
    fi
}

command -v luarocks >/dev/null || die "luarocks is not installed (apt-get install luarocks)"
command -v cmake >/dev/null || die "cmake is not installed"
command -v git >/dev/null || die "git is not installed"

step "snapshot of the checkout in $WORK/src"
mkdir -p "$WORK/src"
git ls-files -z --cached --others --exclude-standard | tar -C "$ROOT" --null -T - -cf - | tar -C "$WORK/src" -xf - ||
    die "cannot copy the checkout"
(cd "$WORK/src" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot) ||
    die "cannot make a git snapshot for luarocks pack"

cat >"$WORK/smoke.lua" <<'LUA'
-- smoke test of an installed rock: module, Lua files, a grain written and read back through views
local mxl = require "mxl"
local tree = assert(arg[1], "tree argument")
local function under_tree(p) return p and p:sub(1, #tree) == tree end
assert(under_tree(package.searchpath("mxl", package.cpath)) or package.preload.mxl, "mxl not preloaded")
for _, m in ipairs({ "mxl.flowdef", "mxl.pattern", "mxl.rig" }) do
  local p = package.searchpath(m, package.path)
  if p then assert(under_tree(p), m .. " found outside the tree: " .. p) end
end
local inst <close> = assert(mxl.instance())
local id = "0c5e9f3c-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
local w <close> = assert(inst:writer {
  id = id, format = "urn:x-nmos:format:video", label = "smoke", parents = mxl.array(),
  tags = { ["urn:x-nmos:tag:grouphint/v1.0"] = { "smoke:video" } }, media_type = "video/v210",
  grain_rate = { numerator = 50, denominator = 1 }, frame_width = 96, frame_height = 4,
})
local r <close> = assert(inst:reader(id))
local k = mxl.current_index({ 50, 1 })
local g = assert(w:open_grain(k))
g:fill("smoke")
assert(w:commit_grain())
local v = assert(r:get_grain(k, 1000000000))
assert(v:compare(g) == 0 and v:read(0, 5) == "smoke" and v:valid(), "payload mismatch")
print("smoke ok: " .. mxl.version() .. ", flow " .. id)
LUA

smoke() { # smoke TREE
    local tree=$1
    [ -x "$tree/bin/mxlrun" ] || die "$tree/bin/mxlrun was not installed"
    [ -f "$tree/lib/lua/5.4/mxl.so" ] || die "$tree/lib/lua/5.4/mxl.so was not installed"
    env -i PATH=/usr/bin:/bin "$tree/bin/mxlrun" -d "$DOMAIN" "$WORK/smoke.lua" "$tree" ||
        die "smoke script failed with the mxlrun installed in $tree"
    env -i PATH=/usr/bin:/bin LUA_CPATH="$tree/lib/lua/5.4/?.so" lua5.4 -e \
        'local m = require "mxl"; assert(m.version())' || die "plain lua5.4 cannot load $tree/lib/lua/5.4/mxl.so"
}

step "route 1: luarocks make rockspec/mxl-scm-1.rockspec"
(cd "$WORK/src" && run_logged make "${LR[@]}" --tree "$WORK/tree-make" make rockspec/mxl-scm-1.rockspec) ||
    die "luarocks make failed (log above)"
smoke "$WORK/tree-make"

step "route 2: luarocks pack, then luarocks install ./mxl-scm-1.src.rock"
sed -E "s#^([[:space:]]*url = )\"[^\"]*\"#\\1\"git+file://$WORK/src\"#" "$ROOT/rockspec/mxl-scm-1.rockspec" \
    >"$WORK/mxl-scm-1.rockspec"
grep -q "git+file://$WORK/src" "$WORK/mxl-scm-1.rockspec" || die "cannot point the rockspec's source.url at the snapshot"
(cd "$WORK" && run_logged pack "${LR[@]}" pack "$WORK/mxl-scm-1.rockspec") || die "luarocks pack failed (log above)"
[ -f "$WORK/mxl-scm-1.src.rock" ] || die "luarocks pack produced no mxl-scm-1.src.rock"
(cd "$WORK" && run_logged install "${LR[@]}" --tree "$WORK/tree-rock" install ./mxl-scm-1.src.rock) ||
    die "luarocks install ./mxl-scm-1.src.rock failed (log above)"
smoke "$WORK/tree-rock"

echo "ci-luarocks: both routes installed and passed the smoke test"
