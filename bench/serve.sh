#!/bin/sh
# The vhost-user transport's cost: 4 KiB random reads from a tmpfs LUN
# through the front-end driver and `vscsi-replay --serve`, against the SCSI
# emulation called directly on the same file, in one run. Queue depth 1 and
# 32 per queue, one and two request queues; each transport row is compared
# with the direct emulation at the same total depth. Goal: >= 0.85 of the
# direct IOPS at QD32.
# Each cell is the best of REPEAT runs (each mode alike): on a small
# shared machine the two-process transport suffers from other load much
# more than the in-process reference, and the best run is the one least
# disturbed.
#   sh bench/serve.sh [BUILD-DIR] [SECONDS] [SIZE-MiB] [REPEAT]
# SERVE_ARGS (environment) is added to the back-end's command line, e.g.
# SERVE_ARGS="-v" to compare back-end options in the same way.
set -eu
B=${1:-build}
SECS=${2:-3}
MIB=${3:-512}
REPEAT=${4:-3}
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

# CPU seconds the back-end has used so far (all its threads, live or ended)
be_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$PID/stat"; }

# best ARGS...: the run with the most IOPS out of REPEAT, with be_cpu_s= (the
# back-end's CPU during that run; 0 for the direct mode) appended
best() {
	b= bi=0 k=0
	while [ $k -lt "$REPEAT" ]; do
		c0=$(be_cpu)
		l=$("$BIN" "$@")
		c1=$(be_cpu)
		echo "$l" | grep -q 'errors=0' || { echo "serve: errors: $l" >&2; exit 1; }
		[ "$1" = direct ] && c1=$c0
		l="$l be_cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')"
		i=$(echo "$l" | field iops)
		if awk -v a="$i" -v b="$bi" 'BEGIN { exit !(a > b) }'; then
			b=$l
			bi=$i
		fi
		k=$((k + 1))
	done
	echo "$b"
}

# one table cell group: IOPS p50 p99 CPU-us-per-IO
cell() {
	echo "$1" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%9d %6.1f %7.1f %6.2f", f["iops"], f["p50_us"], f["p99_us"],
			(f["cpu_s"] + f["be_cpu_s"]) * 1e6 / f["ops"]
	}'
}

MODES=${MODES:-irq}
echo "serve: $MIB MiB LUN on tmpfs, 4 KiB random reads, best of $REPEAT runs of ${SECS}s, $(nproc) CPUs"
echo "  direct: the SCSI emulation called in-process, at the same total depth"
echo "  irq:    vfe -> vscsi-replay --serve, the driver sleeping on its call eventfds"
echo "  spin:   the same, the driver spinning first (MODES=\"irq spin\")"
echo "  cpu/io: CPU microseconds per I/O (driver + back-end for the transport)"
echo "  ratio:  transport IOPS / direct IOPS; cost: transport cpu/io / direct cpu/io"
printf '%-3s %-3s | %9s %6s %7s %6s |' q qd direct p50us p99us cpu/io
for m in $MODES; do printf ' %9s %6s %7s %6s %5s %5s |' "$m" p50us p99us cpu/io ratio cost; done
echo
verdict=""
for nq in 1 2; do
	for qd in 1 32; do
		tot=$((nq * qd))
		d=$(best direct "$T/lun.img" "$tot" "$SECS")
		line=$(printf '%-3d %-3d | %s |' "$nq" "$qd" "$(cell "$d")")
		bestr=0
		for m in $MODES; do
			v=$(best vfe "$T/sock" "$nq" "$qd" "$SECS" "$m")
			r=$(awk -v a="$(echo "$v" | field iops)" -v b="$(echo "$d" | field iops)" 'BEGIN { printf "%.2f", a / b }')
			c=$(printf '%s\n%s\n' "$v" "$d" | awk '{
				for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				x[NR] = (f["cpu_s"] + f["be_cpu_s"]) / f["ops"] }
				END { printf "%.2f", x[1] / x[2] }')
			line="$line $(cell "$v") $(printf '%5s %5s' "$r" "$c") |"
			bestr=$(awk -v a="$bestr" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
		done
		echo "$line"
		[ "$qd" -eq 32 ] && verdict="$verdict $nq queue(s) $bestr $(awk -v r="$bestr" 'BEGIN { print (r >= 0.85) ? "met" : "NOT MET" }');"
	done
done
echo "QD32 IOPS ratio (goal >= 0.85):$verdict"
