#!/usr/bin/env bash
# Build and run every test suite, then print one closing line "N passed, N failed" that adds them all up:
# ctest (normal build), ctest (ASan+UBSan build), busted specs (normal build), busted specs against the ASan-built
# mxl.so, the fuzz smoke, the LuaRocks install routes and the benchmark smoke. Called by `./dev test`.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${MXL_BUILD_DIR:-$ROOT/build}
ASAN_BUILD=${MXL_ASAN_BUILD_DIR:-$ROOT/build-asan}
JOBS=$(nproc 2>/dev/null || echo 2)
PASSED=0
FAILED=0
LOG=$(mktemp -d /tmp/mxl-tests.XXXXXX)

log() { printf '\033[1m== %s\033[0m\n' "$*"; }

# A clone stands alone: no tracked file may read the fixtures or anything else from a folder beside the checkout
# (they live in tests/fixtures). Checked before anything is built, and fatal.
OUTSIDE='(\.\./+[s]hared|/work/[s]hared)([^[:alnum:]_-]|$)'
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    hits=$(git -C "$ROOT" grep -nIE "$OUTSIDE" -- . 2>/dev/null)
else
    hits=$(grep -rnIE --exclude-dir='build*' --exclude-dir=.git "$OUTSIDE" "$ROOT" 2>/dev/null)
fi
if [ -n "$hits" ]; then
    printf '%s\n' "$hits" >&2
    printf 'run-tests: ERROR: the files above refer to a folder outside the checkout; use tests/fixtures\n' >&2
    echo "0 passed, 1 failed"
    exit 1
fi
count() { # count NAME PASSED FAILED
    log "$1: $2 passed, $3 failed"
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
}

build() { # build NAME DIR [cmake args...]
    local name=$1 dir=$2; shift 2
    log "building $name"
    if cmake -S "$ROOT" -B "$dir" -DMXL_WERROR=ON "$@" >"$LOG/$name-configure.log" 2>&1 &&
        cmake --build "$dir" -j"$JOBS" >"$LOG/$name-build.log" 2>&1; then
        count "build $name" 1 0
        return 0
    fi
    cat "$LOG/$name-configure.log" "$LOG/$name-build.log" | tail -40
    count "build $name" 0 1
    return 1
}

run_ctest() { # run_ctest NAME DIR
    local name=$1 dir=$2 out="$LOG/$1-ctest.log"
    log "ctest $name"
    (cd "$dir" && ctest --output-on-failure -j"$JOBS" --timeout 600) >"$out" 2>&1
    tail -n 30 "$out"
    local line total failed
    line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$out" | tail -1)
    if [ -z "$line" ]; then
        count "ctest $name" 0 1
        return
    fi
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    count "ctest $name" $((total - failed)) "$failed"
}

run_busted() { # run_busted NAME BUILD_DIR [env...]
    local name=$1 dir=$2 out="$LOG/$1-busted.log"; shift 2
    ls spec/*_spec.lua >/dev/null 2>&1 || { log "busted $name: no specs"; return; }
    log "busted $name"
    env MXL_BUILD_DIR="$dir" "$@" busted --lua=lua5.4 -o TAP spec >"$out" 2>&1
    local rc=$?
    grep -E "^not ok" "$out" | head -40
    local ok nok
    ok=$(grep -cE "^ok " "$out")
    nok=$(grep -cE "^not ok " "$out")
    if [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ] || { [ $rc -ne 0 ] && [ "$nok" -eq 0 ]; }; then
        tail -n 30 "$out"
        nok=$((nok + 1)) # busted itself failed (load error, crash)
    fi
    count "busted $name" "$ok" "$nok"
}

run_step() { # run_step NAME COMMAND...: one pass or one failure
    local name=$1; shift
    log "$name"
    if "$@" >"$LOG/$name.log" 2>&1; then
        tail -n 5 "$LOG/$name.log"
        count "$name" 1 0
    else
        tail -n 40 "$LOG/$name.log"
        count "$name" 0 1
    fi
}

if build release "$BUILD" -DCMAKE_BUILD_TYPE=Release; then
    run_ctest release "$BUILD"
    run_busted release "$BUILD"
    [ -x scripts/ci-luarocks.sh ] && run_step luarocks-install scripts/ci-luarocks.sh
    [ -x bench/run ] && run_step bench-smoke env MXL_BUILD_DIR="$BUILD" bench/run --quick
fi
if build asan "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DMXL_SANITIZE=ON -DMXL_BUILD_BENCH=OFF; then
    run_ctest asan "$ASAN_BUILD"
    ASAN_LIB=$(gcc -print-file-name=libasan.so)
    run_busted asan "$ASAN_BUILD" LD_PRELOAD="$ASAN_LIB" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
if [ -x tests/fuzz/run ]; then
    run_step fuzz-smoke tests/fuzz/run --smoke
fi

echo "logs: $LOG"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
