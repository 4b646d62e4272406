#!/bin/sh
# The SCSI emulation against fio on the same tmpfs file, in one run:
# 4 KiB random reads and writes at queue depth 1 and 32. fio gets the
# better of its psync and io_uring engines at each depth. Prints IOPS and
# the ratio (goal: emu >= 0.8 of fio).
# The machine's CPUs are shared: each figure is the best of REPS runs,
# fio and emu interleaved, so that a busy moment does not decide a ratio.
#   sh bench/emu_vs_fio.sh [BUILD-DIR] [SECONDS] [SIZE-MiB] [REPS]
set -eu
B=${1:-build}
SECS=${2:-5}
MIB=${3:-512}
REPS=${4:-2}
BIN=$B/bench/emu_bench
[ -x "$BIN" ] || { echo "emu_vs_fio: $BIN missing (make bench-bin)" >&2; exit 1; }
command -v fio >/dev/null 2>&1 || { echo "emu_vs_fio: fio not installed" >&2; exit 1; }
DIR=/dev/shm
FILE=$DIR/emu-bench.$$
trap 'rm -f "$FILE"' EXIT INT TERM
dd if=/dev/zero of="$FILE" bs=1M count="$MIB" status=none

# fio IOPS for one engine: terse v3 field 8 is read IOPS, 49 write IOPS
fio_iops() { # engine rw qd
	fio --name=b --filename="$FILE" --rw="$2" --bs=4k --ioengine="$1" \
		--iodepth="$3" --time_based --runtime="$SECS" --norandommap \
		--randrepeat=0 --output-format=terse --terse-version=3 2>/dev/null |
	awk -F';' -v rw="$2" '{ print (rw == "randread") ? $8 : $49 }'
}

max() { [ "$1" -ge "$2" ] && echo "$1" || echo "$2"; }

echo "emu_vs_fio: $MIB MiB file on tmpfs, ${SECS}s per run, best of $REPS, $(nproc) CPUs"
for rw in randread randwrite; do
	for qd in 1 32; do
		ps=0; ur=0; emu=0; i=0
		while [ "$i" -lt "$REPS" ]; do
			ps=$(max "$ps" "$(fio_iops psync "$rw" "$qd")")
			emu=$(max "$emu" "$("$BIN" "$FILE" "$rw" "$qd" "$SECS" | sed -n 's/.*iops=\([0-9]*\).*/\1/p')")
			ur=$(max "$ur" "$(fio_iops io_uring "$rw" "$qd")")
			i=$((i + 1))
		done
		if [ "$ps" -ge "$ur" ]; then best=$ps; eng=psync; else best=$ur; eng=io_uring; fi
		awk -v rw="$rw" -v qd="$qd" -v e="$emu" -v f="$best" -v eng="$eng" \
			-v ps="$ps" -v ur="$ur" 'BEGIN {
			printf "%-9s qd=%-2d emu %8d IOPS  fio %8d IOPS (%s; psync %d, io_uring %d)  ratio %.2f %s\n",
				rw, qd, e, f, eng, ps, ur, e / f, (e / f >= 0.8) ? "ok" : "BELOW 0.8"
		}'
	done
done
