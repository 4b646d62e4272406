#!/bin/sh
# vscsi-dump --stats over a capture of one million requests (4 KiB at random
# LBAs, 70% reads, queue depth 32, data cut at a snap length of 256), against
# the cost of just reading the file, zstd -dc FILE > /dev/null, measured side
# by side in the same run: best of RUNS, the two alternating, both pinned to
# one CPU when taskset is there. Prints requests/s and the ratio.
# Goals (issue 3): at least 2 million requests/s, and at least 0.5 of the
# rate of zstd -dc.
# Usage: sh bench/dump.sh [BUILD_DIR]      (make bench runs it)
# Environment: N (requests, 1000000), SNAPLEN (256), RUNS (5).
set -eu
B=${1:-build}
N=${N:-1000000}
SNAP=${SNAPLEN:-256}
RUNS=${RUNS:-5}
DUMP=$B/bin/vscsi-dump
GEN=$B/bench/dump_gen
for x in "$DUMP" "$GEN"; do
	[ -x "$x" ] || { echo "dump.sh: $x missing (make bench)" >&2; exit 1; }
done
command -v zstd >/dev/null 2>&1 || { echo "dump.sh: zstd missing" >&2; exit 1; }

# the capture is made once and kept in the build directory
cap=$B/bench/dump-$N-s$SNAP.pcap.zst
if [ ! -s "$cap" ]; then
	echo "dump.sh: writing $cap ($N requests)..." >&2
	"$GEN" "$cap.tmp" "$N" "$SNAP"
	mv "$cap.tmp" "$cap"
fi
cat "$cap" >/dev/null	# into the page cache

pin=""
if command -v taskset >/dev/null 2>&1; then
	cpu=$(($(nproc) - 1))
	pin="taskset -c $cpu"
fi
now() { date +%s%N; }
tmp=$(mktemp)
tf=$(mktemp)
trap 'rm -f "$tmp" "$tf"' EXIT
# cpu CMD...: run it, print its CPU time (user + system) in ns, or 0
# when /usr/bin/time is not there
cpu() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S" -o "$tf" "$@" || return 1
		awk '{ printf "%d\n", ($1 + $2) * 1e9 }' "$tf"
	else
		"$@" || return 1
		echo 0
	fi
}
min() { if [ "$1" -eq 0 ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

wz=0; wd=0; cz=0; cd=0
i=0
while [ "$i" -lt "$RUNS" ]; do
	t0=$(now)
	c=$(cpu $pin sh -c 'zstd -q -dc "$0" >/dev/null' "$cap")
	t1=$(now)
	cz=$(min "$cz" "$c")
	c=$(cpu $pin sh -c '"$0" --stats "$1" >/dev/null' "$DUMP" "$cap")
	t2=$(now)
	cd=$(min "$cd" "$c")
	wz=$(min "$wz" $((t1 - t0)))
	wd=$(min "$wd" $((t2 - t1)))
	i=$((i + 1))
done

# the tables must have counted every request
"$DUMP" --stats "$cap" >"$tmp"
ios=$(awk '$1 == "all" { print $2; exit }' "$tmp")
if [ "$ios" != "$N" ]; then
	echo "dump.sh: vscsi-dump counted '$ios' requests, not $N" >&2
	exit 1
fi

awk -v n="$N" -v wz="$wz" -v wd="$wd" -v cz="$cz" -v cd="$cd" \
    -v snap="$SNAP" -v runs="$RUNS" -v size="$(wc -c <"$cap")" \
    -v pin="${pin:-not pinned}" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
BEGIN {
	printf "dump bench: %d requests of 4 KiB at random LBAs, QD 32, snap length %d;\n", n, snap
	printf "  capture %.1f MB (zstd); best of %d runs each, alternating; %s; load average %s\n", size / 1e6, runs, pin, load
	printf "  %-27s %9s %9s %14s\n", "", "wall s", "CPU s", "M requests/s"
	line("zstd -dc FILE > /dev/null", wz, cz)
	line("vscsi-dump --stats FILE", wd, cd)
	# CPU time when it was measured: other loads inflate wall time
	z = cz > 0 ? cz : wz; d = cd > 0 ? cd : wd
	r1 = (z / d >= 0.5) ? "met" : "NOT met"
	r2 = (n / (d / 1e9) >= 2e6) ? "met" : "NOT met"
	by = (cz > 0) ? "CPU" : "wall"
	printf "  vscsi-dump runs at %.2f of the rate of reading (goal 0.5: %s),\n", z / d, r1
	printf "  %.2f M requests/s (goal 2: %s), by %s time\n", n / (d / 1e9) / 1e6, r2, by
}
function line(name, w, c) {
	if (c > 0)
		printf "  %-27s %9.3f %9.3f %14.2f\n", name, w / 1e9, c / 1e9, n / (c / 1e9) / 1e6
	else
		printf "  %-27s %9.3f %9s %14.2f\n", name, w / 1e9, "-", n / (w / 1e9) / 1e6
}'
