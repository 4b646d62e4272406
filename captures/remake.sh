#!/bin/sh
# Remake the sample captures from the scripted guest in bench/gen_captures.c
# (see captures/README.md). The output is deterministic: running this again
# gives the same bytes, and the golden tests' expected output stays right.
# Usage: sh captures/remake.sh [BUILD_DIR]    (from the top of the tree)
set -eu
B=${1:-build}
cd "$(dirname "$0")/.."
make --no-print-directory CI=true B="$B" "$B/bench/gen_captures" >&2
# gen_captures writes images.list anew: keep the real-guest recordings'
# lines (captures/record-guest.sh owns them)
guest=$(sed -n '/^# Real-guest recordings/,$p' captures/images.list)
"$B/bench/gen_captures" captures
[ -z "$guest" ] || printf '%s\n' "$guest" >> captures/images.list
# a copy cut 300 bytes before the end, inside the last zstd frame
size=$(wc -c < captures/mixed.pcap.zst)
head -c $((size - 300)) captures/mixed.pcap.zst > captures/mixed-truncated.pcap.zst
ls -l captures/*.pcap*
