#!/bin/sh
# tshark opens our captures: zstd (several frames) and plain pcap, by file
# and by pipe, every record counted, link type USER5, cut records shown
# with their full length.
# Usage: tests/capture/tshark.sh [BUILD_DIR]   (run from the top of the tree,
# after `make lib`)
set -eu
B=${1:-build}
CC=${CC:-cc}
fail() { echo "tshark.sh: $*" >&2; exit 1; }

command -v tshark >/dev/null 2>&1 || fail "tshark is not installed"
[ -f "$B/lib/libvscsi-decode.a" ] || fail "$B/lib/libvscsi-decode.a missing (make lib)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

$CC -std=c11 -D_GNU_SOURCE -Wall -Ilibvscsi-decode/include \
	-o "$tmp/gen" tests/capture/gen_capture.c "$B/lib/libvscsi-decode.a" \
	$(pkg-config --libs libpcap libzstd libxxhash) ||
	fail "cannot build the generator"

ts() { timeout 60 tshark "$@" 2>"$tmp/err"; }
pass=0

for f in t.pcap.zst t.pcap; do
	n=$("$tmp/gen" "$tmp/$f" 200) || fail "generator failed for $f"
	[ "$n" -eq 803 ] || fail "$f: generator wrote $n records, not 803"
	got=$(ts -r "$tmp/$f" | wc -l) || fail "$f: tshark failed: $(cat "$tmp/err")"
	[ "$got" -eq "$n" ] || fail "$f: tshark read $got records, want $n"
	# the encapsulation is USER5, link type 152 (whether or not the
	# vscsi.lua dissector is installed)
	ts -r "$tmp/$f" -c 1 -V > "$tmp/v" || fail "$f: tshark -V failed"
	grep -q "Encapsulation type: USER 5" "$tmp/v" ||
		fail "$f: not USER 5: $(grep -i encapsulation "$tmp/v")"
	# record 4 is the first request: 64 + 51 + 4096 bytes long, 256 + 64
	# captured (the snap length cut)
	lens=$(ts -r "$tmp/$f" -Y frame.number==4 -T fields -e frame.len -e frame.cap_len)
	[ "$lens" = "$(printf '4211\t320')" ] || fail "$f: record 4 lengths '$lens'"
	pass=$((pass + 1))
done

# pipes: the zstd stream and the decompressed stream on stdin
got=$(timeout 60 tshark -r - < "$tmp/t.pcap.zst" 2>"$tmp/err" | wc -l)
[ "$got" -eq 803 ] || fail "zstd pipe: tshark read $got records: $(cat "$tmp/err")"
got=$(zstd -dc "$tmp/t.pcap.zst" | timeout 60 tshark -r - 2>"$tmp/err" | wc -l)
[ "$got" -eq 803 ] || fail "plain pipe: tshark read $got records: $(cat "$tmp/err")"
pass=$((pass + 1))

# the zstd file decompresses to the plain file (same time stamps)
zstd -dc "$tmp/t.pcap.zst" | cmp -s - "$tmp/t.pcap" ||
	fail "the zstd file does not decompress to the plain file"
pass=$((pass + 1))

echo "tshark.sh: $pass checks passed"
