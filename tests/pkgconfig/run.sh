#!/bin/sh
# Install into a temporary prefix, build the example program of
# libvscsi-decode(3) with `pkg-config --cflags --libs libvscsi-decode`
# against the shared library, run it, and check the soname and exports.
set -eu
B=$1
MAKE=${2:-make}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# everything under the temporary prefix: the Wireshark plugin folder too
$MAKE --no-print-directory -s install PREFIX="$tmp/usr" \
	WIRESHARK_LUA_DIR="$tmp/usr/lib/wireshark/plugins" >/dev/null
[ -f "$tmp/usr/lib/wireshark/plugins/vscsi.lua" ] ||
	{ echo "pkgconfig: make install did not install the Lua plugin"; exit 1; }
[ -f "$tmp/usr/share/bash-completion/completions/vscsi-dump" ] ||
	{ echo "pkgconfig: make install did not install the completions"; exit 1; }
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libvscsi-decode)
# The example between the markers in the man page, mdoc escapes undone.
sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' man/man3/libvscsi-decode.3 |
	sed -e '/^\./d' -e 's/\\e/\\/g' > "$tmp/example.c"
[ -s "$tmp/example.c" ] || { echo "pkgconfig: no example in libvscsi-decode.3"; exit 1; }
${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/hello" "$tmp/example.c" $flags
out=$(LD_LIBRARY_PATH="$tmp/usr/lib" "$tmp/hello")
soname=$(readelf -d "$tmp/usr/lib/libvscsi-decode.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
needed=$(readelf -d "$tmp/hello" | grep -c 'libvscsi-decode.so.0' || true)
# Only vscsi_ symbols may be exported.
leaked=$(nm -D --defined-only "$tmp/usr/lib/libvscsi-decode.so" | awk '$2 ~ /[TDB]/ && $3 !~ /^vscsi_/ {print $3}' | grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' || true)
echo "pkgconfig: flags '$flags'; program printed '$out'; soname $soname"
[ "$soname" = "libvscsi-decode.so.0" ] || { echo "pkgconfig: wrong soname"; exit 1; }
[ "$needed" -ge 1 ] || { echo "pkgconfig: program not linked to the shared library"; exit 1; }
[ -z "$leaked" ] || { echo "pkgconfig: symbols exported without the vscsi_ prefix: $leaked"; exit 1; }
echo "pkgconfig: 1 passed, 0 failed"
