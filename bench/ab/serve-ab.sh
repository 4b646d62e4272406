#!/bin/sh
# Paired A/B of two vscsi-replay builds as --serve back-ends: the same
# workload as bench/serve.sh's QD32 poll rows (4 KiB random reads from a
# tmpfs LUN, both ends polling), alternating which build goes first in each
# round, so that a change of a few percent can be told from a shared
# machine's noise (bench/serve.sh's ratio moves more than that from run to
# run). Prints each round's B/A, then the median, quartiles and how many
# rounds B won.
#   sh bench/ab/serve-ab.sh REPLAY_A REPLAY_B [ROUNDS] [QUEUES] [SECONDS]
# SERVE_BENCH (environment, default build/bench/serve_bench) is the driver;
# PIN=off leaves placement to the kernel (by default the back-ends run on
# the last CPU and the driver on the one before, as bench/serve.sh does).
set -eu
[ $# -ge 2 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
RA=$1
RB=$2
N=${3:-20}
NQ=${4:-1}
SECS=${5:-1}
BIN=${SERVE_BENCH:-build/bench/serve_bench}
PIN=${PIN:-auto}
for f in "$RA" "$RB" "$BIN"; do
	[ -x "$f" ] || { echo "serve-ab: $f missing" >&2; exit 2; }
done
BE_ARGS=
DRV=
NCPU=$(nproc)
if [ "$PIN" != off ] && [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
	BE_ARGS="--cpus $((NCPU - 1))"
	DRV="taskset -c $((NCPU - 2))"
fi
T=$(mktemp -d /dev/shm/serve-ab.XXXXXX)
PIDS=
trap '[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; rm -rf "$T"' EXIT INT TERM
dd if=/dev/zero of="$T/lun.img" bs=1M count=512 status=none
for x in a b; do
	if [ $x = a ]; then r=$RA; else r=$RB; fi
	# shellcheck disable=SC2086
	"$r" --serve "$T/$x.sock" --queues 2 --lun "0:0=$T/lun.img" \
		--poll-us 200 $BE_ARGS 2>"$T/$x.log" &
	PIDS="$PIDS $!"
	n=0
	while [ ! -S "$T/$x.sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	[ -S "$T/$x.sock" ] || { echo "serve-ab: back-end $x did not start" >&2; cat "$T/$x.log" >&2; exit 1; }
done
run() {
	$DRV "$BIN" vfe "$T/$1.sock" "$NQ" 32 "$SECS" spin=200 indirect |
		sed -n 's/.* iops=\([0-9]*\).*/\1/p'
}
# a first run on each warms the LUN's pages, the rings and the CPUs up
run a >/dev/null
run b >/dev/null
i=0
while [ $i -lt "$N" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		a=$(run a)
		b=$(run b)
	else
		b=$(run b)
		a=$(run a)
	fi
	echo "$a $b" >>"$T/res"
	awk -v a="$a" -v b="$b" -v i=$((i + 1)) \
		'BEGIN { printf "round %d: A %d B %d IOPS, B/A %.3f\n", i, a, b, b / a }'
	i=$((i + 1))
done
awk '{ print $2 / $1 }' "$T/res" | sort -n | awk '
	{ x[NR] = $1 }
	END {
		hi = int(3 * NR / 4) + 1
		if (hi > NR) hi = NR
		printf "B/A median %.3f, quartiles %.3f-%.3f, extremes %.3f-%.3f over %d rounds\n",
			(x[int((NR + 1) / 2)] + x[int(NR / 2) + 1]) / 2,
			x[int(NR / 4) + 1], x[hi], x[1], x[NR], NR
	}'
awk '{ if ($2 > $1) w++ } END { printf "B faster in %d of %d rounds\n", w, NR }' "$T/res"
