#!/bin/sh
# The vhost-user transport's cost: 4 KiB random reads from a tmpfs LUN
# through the front-end driver and `vscsi-replay --serve`, against the SCSI
# emulation called directly on the same file, in one run. Queue depth 1 and
# 32 per queue, one and two request queues; each transport row is compared
# with the direct emulation at the same total depth. Goal: >= 0.85 of the
# direct IOPS at QD32.
# Two back-ends run side by side: one as started by default (the driver
# sleeping on its call eventfds: "irq"), one with --poll-us POLL_US (the
# driver polling its used rings as long: "poll", both ends busy-polling as
# SPDK's vhost target does). Each cell is the best of REPEAT runs, the
# modes interleaved run by run: on a small shared machine the two-process
# transport suffers from other load much more than the in-process
# reference, and the best run is the one least disturbed. The summary
# pairs each round's transport run with the direct run just before it and
# gives the median, quartiles and extremes of those ratios over the rounds;
# the goal is judged on that median (best against best beside it).
#   sh bench/serve.sh [BUILD-DIR] [SECONDS] [SIZE-MiB] [REPEAT]
# MODES (environment, default "irq poll") picks the transport modes;
# POLL_US (default 200) the polling window of both ends in "poll";
# SERVE_ARGS is added to both back-ends' command lines; DESC (default
# "indirect") is how the driver lays out each command: one indirect
# descriptor, as Linux guests send them when INDIRECT_DESC is negotiated,
# or "direct": three descriptors in the ring. PIN (default "auto") places
# the processes on 2 CPUs or more: the back-ends' connection threads on
# the last CPU (vscsi-replay --cpus), the driver on the one before, the
# direct reference on the back-ends' CPU, so each side has a CPU of its
# own as SPDK's pinned reactors do, and the reference runs where the
# back-end does; "off" leaves placement to the kernel. To tell whether a
# change to the back-end helps, compare the two builds with
# bench/ab/serve-ab.sh (paired rounds, alternating order).
set -eu
B=${1:-build}
SECS=${2:-3}
MIB=${3:-512}
REPEAT=${4:-5}
POLL_US=${POLL_US:-200}
MODES=${MODES:-irq poll}
DESC=${DESC:-indirect}
PIN=${PIN:-auto}
BIN=$B/bench/serve_bench
REPLAY=$B/bin/vscsi-replay
for f in "$BIN" "$REPLAY"; do
	[ -x "$f" ] || { echo "serve: $f missing (make tools bench-bin)" >&2; exit 1; }
done
DIR=/dev/shm
T=$(mktemp -d "$DIR/serve-bench.XXXXXX")
PIDS=
trap '[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; rm -rf "$T"' EXIT INT TERM
dd if=/dev/zero of="$T/lun.img" bs=1M count="$MIB" status=none

# placement: BE_ARGS for the back-ends, DRV/REF run the driver and the
# direct reference
BE_ARGS=
DRV=
REF=
NCPU=$(nproc)
if [ "$PIN" != off ] && [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
	be=$((NCPU - 1))
	BE_ARGS="--cpus $be"
	DRV="taskset -c $((NCPU - 2))"
	REF="taskset -c $be"
	PLACE="back-end on CPU $be, driver on CPU $((NCPU - 2)), direct on CPU $be"
else
	PLACE="not pinned"
fi

# start NAME ARGS...: a back-end on $T/NAME.sock; its pid in $T/NAME.pid
start() {
	name=$1
	shift
	# shellcheck disable=SC2086
	"$REPLAY" --serve "$T/$name.sock" --queues 2 --lun "0:0=$T/lun.img" \
		$BE_ARGS "$@" ${SERVE_ARGS:-} 2>"$T/$name.log" &
	echo $! >"$T/$name.pid"
	PIDS="$PIDS $!"
	n=0
	while [ ! -S "$T/$name.sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	[ -S "$T/$name.sock" ] || { echo "serve: the back-end did not start" >&2; cat "$T/$name.log" >&2; exit 1; }
}
start irq
start poll --poll-us "$POLL_US"

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

# CPU seconds back-end NAME has used so far (all its threads)
be_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$(cat "$T/$1.pid")/stat"; }

# run MODE NQ QD: one run; prints serve_bench's line with be_cpu_s= (the
# back-end's CPU during the run; 0 for direct) appended
run() {
	case $1 in
	direct)
		l=$($REF "$BIN" direct "$T/lun.img" $(($2 * $3)) "$SECS")
		c=0 ;;
	irq|poll)
		if [ "$1" = irq ]; then how=irq; else how=spin=$POLL_US; fi
		c0=$(be_cpu "$1")
		l=$($DRV "$BIN" vfe "$T/$1.sock" "$2" "$3" "$SECS" "$how" "$DESC")
		c1=$(be_cpu "$1")
		c=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }') ;;
	*)
		echo "serve: unknown mode $1" >&2
		exit 1 ;;
	esac
	echo "$l" | grep -q 'errors=0' || { echo "serve: errors: $l" >&2; exit 1; }
	echo "$l be_cpu_s=$c"
}

# one table cell group: IOPS p50 p99 CPU-us-per-IO
cell() {
	echo "$1" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%9d %6.1f %7.1f %6.2f", f["iops"], f["p50_us"], f["p99_us"],
			(f["cpu_s"] + f["be_cpu_s"]) * 1e6 / f["ops"]
	}'
}

echo "serve: $MIB MiB LUN on tmpfs, 4 KiB random reads, best of $REPEAT interleaved runs of ${SECS}s, $NCPU CPUs ($PLACE)"
echo "  direct: the SCSI emulation called in-process, at the same total depth"
echo "  irq:    vfe -> vscsi-replay --serve, the driver sleeping on its call eventfds"
echo "  poll:   vfe -> vscsi-replay --serve --poll-us $POLL_US, the driver polling as long"
echo "          (each command $DESC: $([ "$DESC" = indirect ] && echo "one indirect descriptor, as Linux sends it" || echo "three descriptors in the ring"))"
echo "  cpu/io: CPU microseconds per I/O (driver + back-end for the transport;"
echo "          polling ends burn CPU while they wait, so it is an upper bound)"
echo "  ratio:  transport IOPS / direct IOPS; cost: transport cpu/io / direct cpu/io"
printf '%-3s %-3s | %9s %6s %7s %6s |' q qd direct p50us p99us cpu/io
for m in $MODES; do printf ' %9s %6s %7s %6s %5s %5s |' "$m" p50us p99us cpu/io ratio cost; done
echo
verdict=""
pairs=""
for nq in 1 2; do
	for qd in 1 32; do
		# best of REPEAT per mode, the modes taking turns
		for m in direct $MODES; do echo "iops=0" >"$T/best.$m"; : >"$T/pair.$m"; done
		k=0
		while [ "$k" -lt "$REPEAT" ]; do
			for m in direct $MODES; do
				l=$(run "$m" "$nq" "$qd")
				if awk -v a="$(echo "$l" | field iops)" -v b="$(field iops <"$T/best.$m")" \
					'BEGIN { exit !(a > b) }'; then
					echo "$l" >"$T/best.$m"
				fi
				# this round's ratio against the direct run just before
				if [ "$m" = direct ]; then
					dround=$(echo "$l" | field iops)
				else
					awk -v a="$(echo "$l" | field iops)" -v b="$dround" \
						'BEGIN { printf "%.3f\n", a / b }' >>"$T/pair.$m"
				fi
			done
			k=$((k + 1))
		done
		d=$(cat "$T/best.direct")
		line=$(printf '%-3d %-3d | %s |' "$nq" "$qd" "$(cell "$d")")
		bestr=0
		bestm=0
		bestok=0
		for m in $MODES; do
			v=$(cat "$T/best.$m")
			r=$(awk -v a="$(echo "$v" | field iops)" -v b="$(echo "$d" | field iops)" 'BEGIN { printf "%.2f", a / b }')
			c=$(printf '%s\n%s\n' "$v" "$d" | awk '{
				for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				x[NR] = (f["cpu_s"] + f["be_cpu_s"]) / f["ops"] }
				END { printf "%.2f", x[1] / x[2] }')
			line="$line $(cell "$v") $(printf '%5s %5s' "$r" "$c") |"
			bestr=$(awk -v a="$bestr" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
			if [ "$qd" -eq 32 ]; then
				# median, quartiles and extremes of the rounds
				st=$(sort -n "$T/pair.$m" | awk '
					function q(p,  i, f) { i = 1 + p * (NR - 1); f = int(i)
						return x[f] + (i - f) * (x[f + 1] - x[f]) }
					{ x[NR] = $1 }
					END { x[NR + 1] = x[NR]
						m = q(0.5)
						printf "%.3f %.2f %.2f %.2f %.2f %d",
							m, q(0.25), q(0.75), x[1], x[NR],
							(m >= 0.85) }')
				# shellcheck disable=SC2086
				set -- $st
				pairs="$pairs $nq queue(s) $m $1 ($2-$3, $4-$5);"
				# the verdict on the median itself, not its rounding
				if awk -v a="$bestm" -v b="$1" 'BEGIN { exit !(b > a) }'; then
					bestm=$1
					bestok=$6
				fi
			fi
		done
		echo "$line"
		if [ "$qd" -eq 32 ]; then
			if [ "$bestok" -eq 1 ]; then ok=met; else ok="NOT MET"; fi
			verdict="$verdict $nq queue(s) $bestm $ok (best against best: $bestr);"
		fi
	done
done
echo "QD32 IOPS ratio of each round's transport run to the direct run before it,"
echo "  median (quartiles, extremes) over $REPEAT rounds:$pairs"
echo "QD32 goal >= 0.85, on the median of the best mode:$verdict"
