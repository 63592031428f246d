#!/usr/bin/env bash
# Both LuaRocks routes, offline, each into its own temporary tree, each followed by a smoke script run with the
# installed mxlrun (no environment set-up: it must find its modules relative to itself):
#   1. luarocks make rockspec/mxl-scm-1.rockspec          (build from a checkout)
#   2. scripts/pack-rock.sh -> mxl-scm-1.src.rock, then luarocks install ./mxl-scm-1.src.rock
# The installed rock of route 2 then runs the tools from outside any checkout: the test pattern (mxlrun -m
# test_pattern), info listing its flows, and --help of every tool in scripts/. Both routes build exactly what is in
# the working tree. Exit 0 only if everything passed; errors say which step failed.
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

step "route 2: scripts/pack-rock.sh, then luarocks install ./mxl-scm-1.src.rock"
run_logged pack "$ROOT/scripts/pack-rock.sh" "$WORK" || die "scripts/pack-rock.sh failed (log above)"
[ -f "$WORK/mxl-scm-1.src.rock" ] || die "scripts/pack-rock.sh produced no mxl-scm-1.src.rock"
(cd "$WORK" && run_logged install "${LR[@]}" --tree "$WORK/tree-rock" install ./mxl-scm-1.src.rock) ||
    die "luarocks install ./mxl-scm-1.src.rock failed (log above)"
smoke "$WORK/tree-rock"

step "the installed rock runs the tools without a checkout (from $WORK/elsewhere)"
tools_smoke() { # tools_smoke TREE
    local tree=$1
    local run=(env -i PATH=/usr/bin:/bin "$tree/bin/mxlrun" -d "$DOMAIN")
    mkdir -p "$WORK/elsewhere" && cd "$WORK/elsewhere" || die "cannot enter $WORK/elsewhere"
    for s in "$ROOT"/scripts/*.lua; do
        local name
        name=$(basename "$s" .lua)
        [ -f "$tree/share/lua/5.4/mxl/scripts/$name.lua" ] || die "scripts/$name.lua was not installed"
        "${run[@]}" -m "$name" --help >"$WORK/help-$name.log" 2>&1 ||
            { cat "$WORK/help-$name.log" >&2; die "installed: mxlrun -m $name --help failed"; }
    done
    "${run[@]}" -m test_pattern --size 320x180 --duration 4 >"$WORK/tp.log" 2>&1 &
    local tp=$! n=0
    while ! grep -q '^group ' "$WORK/tp.log" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    "${run[@]}" -m info >"$WORK/info.log" 2>&1 || { cat "$WORK/tp.log" "$WORK/info.log" >&2; die "installed: mxlrun -m info failed"; }
    grep -q '3 flows' "$WORK/info.log" && grep -q 'group mxl-testsrc' "$WORK/info.log" ||
        { cat "$WORK/tp.log" "$WORK/info.log" >&2; die "installed: info does not list the test pattern's 3 flows"; }
    wait $tp || { cat "$WORK/tp.log" >&2; die "installed: mxlrun -m test_pattern failed"; }
    grep -qE '^video [0-9]+  audio [0-9]+  anc [0-9]+' "$WORK/tp.log" ||
        { cat "$WORK/tp.log" >&2; die "installed: test_pattern printed no final status line"; }
    cd "$ROOT" || die "cannot return to $ROOT"
}
tools_smoke "$WORK/tree-rock"

echo "ci-luarocks: both routes installed and passed the smoke test; the installed rock ran test_pattern and info"
