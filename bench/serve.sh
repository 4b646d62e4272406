#!/bin/sh
# The vhost-user transport's cost: 4 KiB random reads from a tmpfs LUN
# through the front-end driver and `vscsi-replay --serve`, against the SCSI
# emulation called directly on the same file, in one run. Queue depth 1 and
# 32 per queue, one and two request queues; each transport row is compared
# with the direct emulation at the same total depth. Goal: >= 0.85 of the
# direct IOPS at QD32.
#   sh bench/serve.sh [BUILD-DIR] [SECONDS] [SIZE-MiB]
set -eu
B=${1:-build}
SECS=${2:-5}
MIB=${3:-512}
BIN=$B/bench/serve_bench
REPLAY=$B/bin/vscsi-replay
for f in "$BIN" "$REPLAY"; do
	[ -x "$f" ] || { echo "serve: $f missing (make tools bench-bin)" >&2; exit 1; }
done
DIR=/dev/shm
T=$(mktemp -d "$DIR/serve-bench.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
dd if=/dev/zero of="$T/lun.img" bs=1M count="$MIB" status=none

"$REPLAY" --serve "$T/sock" --queues 2 --lun "0:0=$T/lun.img" 2>"$T/log" &
PID=$!
n=0
while [ ! -S "$T/sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
[ -S "$T/sock" ] || { echo "serve: the back-end did not start" >&2; cat "$T/log" >&2; exit 1; }

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

echo "serve: $MIB MiB LUN on tmpfs, 4 KiB random reads, ${SECS}s per run, $(nproc) CPUs"
echo "       transport: vfe (driver spins on its rings) -> vscsi-replay --serve;"
echo "       direct: the same emulation called in-process at the same total depth"
printf '%-6s %-4s %10s %9s %9s   %10s %9s %9s   %s\n' queues qd \
	"vfe IOPS" "p50 us" "p99 us" "direct" "p50 us" "p99 us" ratio
for nq in 1 2; do
	for qd in 1 32; do
		tot=$((nq * qd))
		d=$("$BIN" direct "$T/lun.img" "$tot" "$SECS")
		v=$("$BIN" vfe "$T/sock" "$nq" "$qd" "$SECS" spin)
		echo "$d $v" | grep -q 'errors=0.*errors=0' ||
			{ echo "serve: errors: $d / $v" >&2; exit 1; }
		di=$(echo "$d" | field iops); dp50=$(echo "$d" | field p50_us)
		dp99=$(echo "$d" | field p99_us)
		vi=$(echo "$v" | field iops); vp50=$(echo "$v" | field p50_us)
		vp99=$(echo "$v" | field p99_us)
		awk -v nq="$nq" -v qd="$qd" -v vi="$vi" -v vp50="$vp50" \
			-v vp99="$vp99" -v di="$di" -v dp50="$dp50" -v dp99="$dp99" 'BEGIN {
			r = vi / di
			verdict = (qd < 32) ? "" : (r >= 0.85 ? "ok" : "BELOW 0.85")
			printf "%-6d %-4d %10d %9.1f %9.1f   %10d %9.1f %9.1f   %.2f %s\n",
				nq, qd, vi, vp50, vp99, di, dp50, dp99, r, verdict
		}'
	done
done
# For reference: the same at QD32 with interrupts (eventfd calls) instead
# of spinning.
v=$("$BIN" vfe "$T/sock" 1 32 "$SECS" irq)
echo "irq mode, 1 queue qd 32: $(echo "$v" | field iops) IOPS, p50 $(echo "$v" | field p50_us) us, p99 $(echo "$v" | field p99_us) us"
