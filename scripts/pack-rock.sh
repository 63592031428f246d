#!/usr/bin/env bash
# Pack the working tree of this checkout as a LuaRocks source rock: what is committed *and* what is not (tracked
# changes, untracked files that are not ignored), so `luarocks install` of the result builds exactly this tree.
#   scripts/pack-rock.sh [OUTDIR]          -> OUTDIR/mxl-scm-1.src.rock (default: the current directory)
# A rockspec cannot name "the checkout it is in" (LuaRocks clones source.url from a temporary directory), so this
# script snapshots the tree into a temporary git repository, points a copy of rockspec/mxl-scm-1.rockspec at it and
# runs `luarocks pack` on that copy. Then: luarocks --lua-version 5.4 install ./mxl-scm-1.src.rock
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "${1:-.}" && pwd)
ROCKSPEC=mxl-scm-1.rockspec
WORK=$(mktemp -d /tmp/mxl-pack.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
die() { printf 'pack-rock: ERROR: %s\n' "$*" >&2; exit 1; }

command -v luarocks >/dev/null || die "luarocks is not installed (apt-get install luarocks)"
git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$ROOT is not a git checkout"
mkdir -p "$WORK/src"
# every file git would track (deleted ones skipped), copied as it is in the working tree
git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
    (cd "$ROOT" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$ROOT" --null -T - -cf - | tar -C "$WORK/src" -xf - || die "cannot copy the working tree"
(cd "$WORK/src" && git init -q && git add -A &&
    git -c user.name=pack -c user.email=pack@localhost commit -qm "working tree of $ROOT") ||
    die "cannot snapshot the working tree"
sed -E "s#^([[:space:]]*url = )\"[^\"]*\"#\\1\"git+file://$WORK/src\"#" "$ROOT/rockspec/$ROCKSPEC" >"$WORK/$ROCKSPEC"
grep -q "git+file://$WORK/src\"" "$WORK/$ROCKSPEC" || die "cannot point source.url of the rockspec at the snapshot"
(cd "$WORK" && luarocks --lua-version 5.4 pack "$WORK/$ROCKSPEC" >"$WORK/pack.log" 2>&1) ||
    { cat "$WORK/pack.log" >&2; die "luarocks pack failed"; }
[ -f "$WORK/mxl-scm-1.src.rock" ] || die "luarocks pack produced no mxl-scm-1.src.rock"
mv -f "$WORK/mxl-scm-1.src.rock" "$OUT/"
echo "packed $OUT/mxl-scm-1.src.rock from $ROOT ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo ?))"
