#!/bin/sh
# The vhost-user transport's cost: 4 KiB random reads from a tmpfs LUN
# through the front-end driver and `vscsi-replay --serve`, against the SCSI
# emulation called directly on the same file, in one run. Queue depth 1 and
# 32 per queue, one and two request queues; each transport row is compared
# with the direct emulation at the same total depth. Goal: >= 0.85 of the
# direct IOPS at QD32.
#   sh bench/serve.sh [BUILD-DIR] [SECONDS] [SIZE-MiB]
# SERVE_ARGS (environment) is added to the back-end's command line, e.g.
# SERVE_ARGS="-v" to compare back-end options in the same way.
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

# shellcheck disable=SC2086
"$REPLAY" --serve "$T/sock" --queues 2 --lun "0:0=$T/lun.img" ${SERVE_ARGS:-} \
	2>"$T/log" &
PID=$!
n=0
while [ ! -S "$T/sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
[ -S "$T/sock" ] || { echo "serve: the back-end did not start" >&2; cat "$T/log" >&2; exit 1; }

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

echo "serve: $MIB MiB LUN on tmpfs, 4 KiB random reads, ${SECS}s per run, $(nproc) CPUs"
echo "  direct: the SCSI emulation called in-process, at the same total depth"
echo "  spin:   vfe -> vscsi-replay --serve, the driver spinning on its rings"
echo "  irq:    the same, the driver sleeping on its call eventfds"
printf '%-3s %-3s | %9s %6s %7s | %9s %6s %7s %5s | %9s %6s %7s %5s\n' \
	q qd direct p50us p99us spin p50us p99us ratio irq p50us p99us ratio
verdict=""
for nq in 1 2; do
	for qd in 1 32; do
		tot=$((nq * qd))
		d=$("$BIN" direct "$T/lun.img" "$tot" "$SECS")
		s=$("$BIN" vfe "$T/sock" "$nq" "$qd" "$SECS" spin)
		i=$("$BIN" vfe "$T/sock" "$nq" "$qd" "$SECS" irq)
		for l in "$d" "$s" "$i"; do
			echo "$l" | grep -q 'errors=0' ||
				{ echo "serve: errors: $l" >&2; exit 1; }
		done
		line=$(awk -v nq="$nq" -v qd="$qd" \
			-v di="$(echo "$d" | field iops)" -v d5="$(echo "$d" | field p50_us)" -v d9="$(echo "$d" | field p99_us)" \
			-v si="$(echo "$s" | field iops)" -v s5="$(echo "$s" | field p50_us)" -v s9="$(echo "$s" | field p99_us)" \
			-v ii="$(echo "$i" | field iops)" -v i5="$(echo "$i" | field p50_us)" -v i9="$(echo "$i" | field p99_us)" 'BEGIN {
			printf "%-3d %-3d | %9d %6.1f %7.1f | %9d %6.1f %7.1f %5.2f | %9d %6.1f %7.1f %5.2f\n",
				nq, qd, di, d5, d9, si, s5, s9, si / di, ii, i5, i9, ii / di
		}')
		echo "$line"
		if [ "$qd" -eq 32 ]; then
			verdict="$verdict $(echo "$line" | awk -v nq="$nq" '{
				a = $(NF - 5); b = $NF; r = (a > b) ? a : b
				printf "%d queue(s) %.2f %s;", nq, r, (r >= 0.85) ? "met" : "NOT MET" }')"
		fi
	done
done
echo "QD32, better of spin/irq against direct (goal >= 0.85):$verdict"
