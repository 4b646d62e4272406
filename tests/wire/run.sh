#!/bin/sh
# Wire tests without a guest: the toolkit's front-end driver (tools/common/
# vfe.c, through tests/wire/wire.c) against `vscsi-replay --serve` on
# temporary file-backed LUNs over real unix sockets.
#   sh tests/wire/run.sh [BUILD-DIR] [TEST...]
# WIRE_SERVE_ARGS (environment) is added to the back-end's command line
# (make check runs the suite once more with --poll-us, the polling path).
# Prints one line per test and "wire: N passed, N failed"; exits non-zero
# when anything failed. kill9 runs last, against a back-end of its own.
set -u
B=${1:-build}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.." || exit 1

REPLAY=$B/bin/vscsi-replay
WIRE=$B/wire/wire
CC=${CC:-cc}
passed=0
failed=0

finish() {
	echo "wire: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# The back-end may still be building: wait for it a little.
i=0
while [ ! -x "$REPLAY" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
for f in "$REPLAY" "$B/lib/libvscsi-common.a" "$B/lib/libvscsi-decode.a"; do
	if [ ! -e "$f" ]; then
		echo "FAIL setup: $f missing (make tools)"
		failed=1
		finish
	fi
done

mkdir -p "$B/wire"
if [ ! -x "$WIRE" ] || [ tests/wire/wire.c -nt "$WIRE" ] ||
   [ "$B/lib/libvscsi-common.a" -nt "$WIRE" ] ||
   [ "$B/lib/libvscsi-decode.a" -nt "$WIRE" ]; then
	# shellcheck disable=SC2046
	if ! $CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
		-Ilibvscsi-decode/include -Itools/common \
		$(pkg-config --cflags libxxhash) -o "$WIRE" tests/wire/wire.c \
		"$B/lib/libvscsi-common.a" "$B/lib/libvscsi-decode.a" \
		$(pkg-config --libs libpcap libzstd libxxhash liburing) \
		-lpthread -lm; then
		echo "FAIL setup: cannot build $WIRE"
		failed=1
		finish
	fi
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/vscsi-wire.XXXXXX") || exit 1
PID=
PID2=
cleanup() {
	for p in $PID $PID2; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 16 MiB each; LUN 0:1 with 4096-byte blocks. The files start with
# random bytes so that a read of the wrong place cannot pass for zeros.
head -c $((16 << 20)) /dev/urandom > "$T/lun0.img"
head -c $((16 << 20)) /dev/urandom > "$T/lun1.img"

start() { # SOCKET CTL LOG -> PID in $started
	# shellcheck disable=SC2086
	"$REPLAY" --serve "$1" --ctl "$2" --queues 4 \
		--lun "0:0=$T/lun0.img" --lun "0:1=$T/lun1.img,bs=4096" \
		${WIRE_SERVE_ARGS:-} 2>"$3" &
	started=$!
	n=0
	while [ ! -S "$1" ] && [ $n -lt 100 ]; do
		kill -0 "$started" 2>/dev/null || break
		sleep 0.05
		n=$((n + 1))
	done
	[ -S "$1" ]
}

count() { # the driver's output on stdin
	while IFS= read -r line; do
		echo "$line"
		case $line in
		ok\ *) passed=$((passed + 1)) ;;
		FAIL\ *) failed=$((failed + 1)) ;;
		esac
	done
}

if [ $# -gt 0 ]; then
	TESTS="$*"
else
	TESTS=$("$WIRE" --sock x --lun0 x --lun1 x --list | grep -v '^kill9$' | tr '\n' ' ')
	RUN_KILL=1
fi

if ! start "$T/sock" "$T/ctl" "$T/serve.log"; then
	echo "FAIL setup: vscsi-replay --serve did not start"
	cat "$T/serve.log"
	failed=$((failed + 1))
	finish
fi
PID=$started
# shellcheck disable=SC2086
timeout 300 "$WIRE" --sock "$T/sock" --ctl "$T/ctl" --replay "$REPLAY" \
	--lun0 "$T/lun0.img" --lun1 "$T/lun1.img" --pid "$PID" $TESTS \
	> "$T/out" 2>&1
count < "$T/out"

# The hostile inputs were logged: one line per closed connection (garbage)
# and per broken ring (malformed chains). Only when those tests ran.
if echo " $TESTS " | grep -q ' garbage '; then
	n=$(grep -ci 'clos' "$T/serve.log" || true)
	if [ "$n" -ge 6 ]; then
		echo "ok serve_logged_bad_messages"
		passed=$((passed + 1))
	else
		echo "FAIL serve_logged_bad_messages: $n lines about closing, want >= 6"
		failed=$((failed + 1))
	fi
fi
nbad=$(echo "$TESTS" | tr ' ' '\n' | grep -c '^bad_' || true)
if [ "$nbad" -gt 0 ]; then
	n=$(grep -ci 'broken' "$T/serve.log" || true)
	if [ "$n" -ge "$nbad" ]; then
		echo "ok serve_logged_broken_rings"
		passed=$((passed + 1))
	else
		echo "FAIL serve_logged_broken_rings: $n lines about broken rings, want >= $nbad"
		failed=$((failed + 1))
	fi
fi

# After all that hostility the back-end is still there and exits cleanly
# on SIGTERM.
if kill -0 "$PID" 2>/dev/null; then
	kill -TERM "$PID"
	st=0
	wait "$PID" || st=$?
	if [ "$st" -eq 0 ]; then
		echo "ok serve_alive_and_clean_exit"
		passed=$((passed + 1))
	else
		echo "FAIL serve_alive_and_clean_exit: exit status $st after SIGTERM"
		failed=$((failed + 1))
	fi
else
	echo "FAIL serve_alive_and_clean_exit: the back-end died during the tests"
	failed=$((failed + 1))
fi
PID=

if [ "${RUN_KILL:-0}" = 1 ]; then
	if start "$T/sock2" "$T/ctl2" "$T/serve2.log"; then
		PID2=$started
		timeout 60 "$WIRE" --sock "$T/sock2" --lun0 "$T/lun0.img" \
			--lun1 "$T/lun1.img" --pid "$PID2" kill9 > "$T/out2" 2>&1
		count < "$T/out2"
		wait "$PID2" 2>/dev/null
		PID2=
	else
		echo "FAIL kill9: the second back-end did not start"
		failed=$((failed + 1))
	fi
fi

# --cpus: a list that is not CPUs this process may run on is a usage
# error; a good one puts each connection's thread on the next CPU of the
# list in turn (a polling back-end here, as the benchmark runs it; two
# CPUs when this machine lets us use two).
if [ "${RUN_KILL:-0}" = 1 ]; then
	set -- $(awk '/^Cpus_allowed_list/ { n = split($2, r, ","); for (i = 1; i <= n; i++) { m = split(r[i], b, "-"); for (c = b[1]; c <= b[m]; c++) print c } }' /proc/self/status)
	cpu0=$1
	cpu1=${2:-$1}
	cpus=$cpu0
	[ "$cpu1" != "$cpu0" ] && cpus="$cpu0,$cpu1"
	bad=0
	for list in "" x 1-0 "$cpu0,$cpu0" "$cpu0," 4096 "$cpu0-"; do
		st=0
		"$REPLAY" --serve "$T/sock3" --cpus "$list" --lun "0:0=$T/lun0.img" \
			2>"$T/cpus.err" || st=$?
		if [ "$st" -ne 2 ] || ! grep -q -- "--cpus" "$T/cpus.err"; then
			echo "FAIL cpus_bad_list: --cpus '$list': exit $st, $(cat "$T/cpus.err")"
			bad=1
		fi
	done
	if [ $bad -eq 0 ]; then
		echo "ok cpus_bad_list"
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	saved=${WIRE_SERVE_ARGS:-}
	WIRE_SERVE_ARGS="--cpus $cpus --poll-us 50 -v"
	st=0
	start "$T/sock3" "$T/ctl3" "$T/serve3.log" || st=1
	WIRE_SERVE_ARGS=$saved
	if [ $st -eq 0 ]; then
		PID2=$started
		timeout 60 "$WIRE" --sock "$T/sock3" --lun0 "$T/lun0.img" \
			--lun1 "$T/lun1.img" --pid "$PID2" rw mq2 > "$T/out3" 2>&1
		count < "$T/out3"
		kill -TERM "$PID2"
		wait "$PID2" 2>/dev/null
		PID2=
		if grep -q "connection 1: on CPU $cpu0\$" "$T/serve3.log" &&
		   grep -q "connection 2: on CPU $cpu1\$" "$T/serve3.log"; then
			echo "ok cpus_pinned"
			passed=$((passed + 1))
		else
			echo "FAIL cpus_pinned: want connection 1 on CPU $cpu0 and 2 on CPU $cpu1 (--cpus $cpus)"
			grep "on CPU" "$T/serve3.log"
			failed=$((failed + 1))
		fi
	else
		echo "FAIL cpus_pinned: the back-end did not start with --cpus $cpus"
		failed=$((failed + 1))
	fi
fi

if [ "$failed" -ne 0 ]; then
	echo "--- back-end log (last 40 lines)"
	tail -n 40 "$T/serve.log" 2>/dev/null
fi
finish
