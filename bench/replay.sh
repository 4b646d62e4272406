#!/bin/sh
# vscsi-replay against fio, the same workload in the same run.
#
# 1. Throughput: vscsi-replay --timing asap of a capture of N requests
#    (bench/replay_gen.c: 4 KiB at random offsets of a 1 GiB LUN, 70%
#    reads, 30% writes, 32 in flight, data cut at a snap length of 256 and
#    rebuilt by the fill, every completion verified) onto a tmpfs file,
#    against fio replaying the same requests from an iolog
#    (--read_iolog, --replay_no_stall, iodepth 32) onto a tmpfs file, with
#    its psync and io_uring engines. vscsi-replay runs as by default (on
#    one thread per CPU, up to 4: --jobs) and on one thread (-j 1). Each
#    figure is the best of RUNS, the four alternating (the machine's CPUs
#    are shared). Goal (issue 7): at least 1.0 of fio's best rate.
# 2. Timing: --timing original of a paced capture (one request at a time,
#    about 100 us apart): the issue-time error p50/p99/max. Goal: p99 at
#    most 100 us on an idle machine (the load average is printed with it).
#
# Usage: sh bench/replay.sh [BUILD_DIR]          (make bench runs it)
# Environment: N (1000000), RUNS (3), MIB (1024).
set -eu
B=${1:-build}
N=${N:-1000000}
RUNS=${RUNS:-3}
MIB=${MIB:-1024}
R=$B/bin/vscsi-replay
G=$B/bench/replay_gen
for x in "$R" "$G"; do
	[ -x "$x" ] || { echo "replay.sh: $x missing (make bench-bin tools)" >&2; exit 1; }
done
command -v fio >/dev/null 2>&1 || { echo "replay.sh: fio is not installed" >&2; exit 1; }
dir=/dev/shm
[ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}

# the captures are made once and kept in the build directory
cap=$B/bench/replay-$N-m$MIB.pcap.zst
log=$cap.iolog
if [ ! -s "$cap" ] || [ ! -s "$log" ]; then
	echo "replay.sh: writing $cap and its fio iolog ($N requests)..." >&2
	"$G" "$cap.tmp" "$N" "$MIB" 256 "$log.tmp"
	mv "$log.tmp" "$log"
	mv "$cap.tmp" "$cap"
fi
paced=$B/bench/replay-paced-20000.pcap.zst
if [ ! -s "$paced" ]; then
	"$G" "$paced.tmp" 20000 64 256 - 100
	mv "$paced.tmp" "$paced"
fi
cat "$cap" "$log" >/dev/null	# into the page cache

img=$dir/replay-bench.$$.img
tmp=$(mktemp)
trap 'rm -f "$img" "$tmp"' EXIT INT TERM
fresh() { rm -f "$img"; truncate -s "${MIB}M" "$img"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }

# fio ENGINE: IOPS (terse v3: field 8 read IOPS, 49 write IOPS)
fio_rate() {
	fio --name=replay --read_iolog="$log" --replay_redirect="$img" \
		--replay_no_stall=1 --ioengine="$1" --iodepth=32 \
		--output-format=terse --terse-version=3 2>/dev/null |
		awk -F';' 'NF > 50 { print $8 + $49 }'
}

rr=0; r1=0; fp=0; fu=0; res=""; thr=1; i=0
while [ "$i" -lt "$RUNS" ]; do
	fresh
	"$R" -q --write --lun "0:0=$img" --report-json "$tmp" "$cap" >/dev/null 2>&1 || true
	r=$(sed -n 's/.*"rate":\([0-9.]*\).*/\1/p' "$tmp")
	res=$(sed -n 's/.*"verification":{"compared":\([0-9]*\),"match":\([0-9]*\),"differ":\([0-9]*\).*/\1 compared, \2 match, \3 differ/p' "$tmp")
	thr=$(sed -n 's/.*"threads":\([0-9]*\).*/\1/p' "$tmp")
	rr=$(max "$rr" "${r:-0}")
	fresh
	"$R" -q --write -j 1 --lun "0:0=$img" --report-json "$tmp" "$cap" >/dev/null 2>&1 || true
	r=$(sed -n 's/.*"rate":\([0-9.]*\).*/\1/p' "$tmp")
	r1=$(max "$r1" "${r:-0}")
	fresh
	fp=$(max "$fp" "$(fio_rate psync)")
	fresh
	fu=$(max "$fu" "$(fio_rate io_uring)")
	i=$((i + 1))
done
best=$(max "$fp" "$fu")
eng=psync
[ "$(max "$fp" "$fu")" = "$fp" ] || eng=io_uring
echo "replay.sh: $N requests (4 KiB random, 70% reads, QD32) onto a $MIB MiB file in $dir, best of $RUNS, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v r="$rr" -v r1="$r1" -v t="${thr:-1}" -v f="$best" -v e="$eng" -v p="$fp" -v u="$fu" -v v="$res" 'BEGIN {
	printf "  vscsi-replay --timing asap %9.0f requests/s on %d threads (the default; verified: %s)\n", r, t, v
	printf "  vscsi-replay -j 1          %9.0f requests/s (one thread; ratio %.2f)\n", r1, r1 / f
	printf "  fio iolog replay           %9.0f IOPS (%s; psync %.0f, io_uring %.0f)\n", f, e, p, u
	printf "  ratio %.2f %s\n", r / f, (r / f >= 1.0) ? "ok" : "BELOW 1.0"
}'

# timing fidelity
bp99=""; line=""; i=0
while [ "$i" -lt "$RUNS" ]; do
	rm -f "$img"
	truncate -s 64M "$img"
	out=$("$R" --write --timing original --lun "0:0=$img" "$paced" 2>&1 | grep '^timing:' || true)
	p99=$(echo "$out" | sed -n 's/.*p99 \([^,]*\),.*/\1/p')
	ns=$(echo "$p99" | awk '/ns$/ { print $1 + 0; next } /us$/ { print $1 * 1e3; next } /ms$/ { print $1 * 1e6; next } /s$/ { print $1 * 1e9 }')
	if [ -z "$bp99" ] || awk -v a="$ns" -v b="$bp99" 'BEGIN { exit !(a < b) }'; then
		bp99=$ns
		line=$out
	fi
	i=$((i + 1))
done
echo "replay.sh: --timing original of 20000 paced requests (~100 us apart), best of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $line"
awk -v p="${bp99:-0}" 'BEGIN { printf "  p99 %s 100 us %s\n", (p <= 100000) ? "<=" : ">", (p <= 100000) ? "ok" : "ABOVE the goal (busy machine?)" }'
