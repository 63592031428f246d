#!/bin/sh
# pkg-config link check (upstream lib/tests/test_pkgconfig_c_link.sh): install the build into a temporary prefix,
# then compile, link and run a C program that only knows `pkg-config --cflags --libs libmxl`, against the shared
# library and (with --static) against libmxl.a.
#
# usage: test_pkgconfig.sh <build-dir> <c-compiler> [extra compiler flags, e.g. -fsanitize=...]
set -eu
build=$1
cc=$2
shift 2

tmp=$(mktemp -d /tmp/mxl-pkgconfig-XXXXXX)
domain=/dev/shm/mxl_link_test_domain_$$
trap 'rm -rf "$tmp" "$domain"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"
    echo "FAIL: cmake --install"
    exit 1
}
pc=$(find "$prefix" -name libmxl.pc | head -n 1)
if [ -z "$pc" ]; then
    echo "FAIL: no libmxl.pc installed under $prefix"
    exit 1
fi
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH

# The installed .pc must describe the prefix it was installed into, or a program built with it uses whatever is
# (or is not) at the configure-time prefix.
pc_prefix=$(realpath -m "$(pkg-config --variable=prefix libmxl)")
libdir=$(pkg-config --variable=libdir libmxl)
includedir=$(pkg-config --variable=includedir libmxl)
status=0
if [ "$pc_prefix" != "$prefix" ]; then
    echo "FAIL: $pc says prefix=$pc_prefix, but it was installed under $prefix (the .pc is not relocatable)"
    status=1
fi
if [ ! -f "$includedir/mxl/mxl.h" ] || [ ! -e "$libdir/libmxl.so" ]; then
    echo "FAIL: pkg-config points at includedir=$includedir libdir=$libdir, which do not hold the installed files"
    status=1
fi
[ "$status" -eq 0 ] || exit 1

cat >"$tmp/main.c" <<'EOF'
#include <stdio.h>
#include <sys/stat.h>
#include <mxl/mxl.h>
#include <mxl/flow.h>
#include <mxl/time.h>

int main(int argc, char** argv)
{
    if (argc < 2)
        return 2;
    mkdir(argv[1], 0755);
    mxlInstance inst = mxlCreateInstance(argv[1], NULL);
    if (inst == NULL) {
        fprintf(stderr, "mxlCreateInstance(%s) failed\n", argv[1]);
        return 1;
    }
    mxlRational rate = {30000, 1001};
    if (mxlIndexToTimestamp(&rate, 1) != 33366667)
        return 1;
    if (mxlDestroyInstance(inst) != MXL_STATUS_OK)
        return 1;
    printf("linked and ran\n");
    return 0;
}
EOF

cflags=$(pkg-config --cflags libmxl)
libs=$(pkg-config --libs libmxl)
echo "shared: $cc $cflags ... $libs"
# shellcheck disable=SC2086
"$cc" "$@" $cflags -o "$tmp/app" "$tmp/main.c" $libs
LD_LIBRARY_PATH=$libdir "$tmp/app" "$domain"
# The program must have used the installed library, not another copy.
LD_LIBRARY_PATH=$libdir ldd "$tmp/app" | grep -q "$libdir/libmxl.so" || {
    echo "FAIL: the program did not resolve libmxl.so from $libdir"
    exit 1
}

slibs=$(pkg-config --static --libs libmxl)
echo "static: $cc $cflags ... $libdir/libmxl.a $slibs"
# shellcheck disable=SC2086
"$cc" "$@" $cflags -o "$tmp/app-static" "$tmp/main.c" -Wl,--as-needed "$libdir/libmxl.a" $slibs
if ldd "$tmp/app-static" | grep -q libmxl; then
    echo "FAIL: the static build still needs libmxl.so"
    exit 1
fi
"$tmp/app-static" "$domain"
echo "PASS"
