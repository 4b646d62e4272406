#!/bin/sh
# vscsi-capture over real sockets, no guest: the toolkit's front-end driver
# (tools/common/vfe.c), then vscsi-capture, then `vscsi-replay --serve`.
#   sh tests/capture-proxy/run.sh [BUILD-DIR] [TEST...]
# Two parts:
#   - cap_test.c: the proxy's own tests (recording, malformed chains, a
#     back-end killed under I/O, the proxy killed, a full disk, a monitor
#     client that never reads, connections, options, rotation);
#   - the wire tests (tests/wire/wire.c) with the proxy between the driver
#     and the back-end: what the driver sees through the proxy is what it
#     sees without it, packed rings included (the inflight test is left
#     out: the proxy offers no inflight region).
# Prints one line per test and "capture: N passed, N failed".
set -u
B=${1:-build}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.." || exit 1

CAPTURE=$B/bin/vscsi-capture
REPLAY=$B/bin/vscsi-replay
TEST=$B/capture-proxy/cap_test
WIRE=$B/capture-proxy/wire
CC=${CC:-cc}
passed=0
failed=0

finish() {
	echo "capture: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

for f in "$CAPTURE" "$REPLAY" "$B/lib/libvscsi-common.a" "$B/lib/libvscsi-decode.a"; do
	if [ ! -e "$f" ]; then
		echo "FAIL setup: $f missing (make tools)"
		failed=1
		finish
	fi
done

mkdir -p "$B/capture-proxy"
build() { # OUT SRC
	if [ ! -x "$1" ] || [ "$2" -nt "$1" ] ||
	   [ "$B/lib/libvscsi-common.a" -nt "$1" ] ||
	   [ "$B/lib/libvscsi-decode.a" -nt "$1" ]; then
		# shellcheck disable=SC2046
		$CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
			-Ilibvscsi-decode/include -Itools/common \
			$(pkg-config --cflags libxxhash) -o "$1" "$2" \
			"$B/lib/libvscsi-common.a" "$B/lib/libvscsi-decode.a" \
			$(pkg-config --libs libpcap libzstd libxxhash liburing) \
			-lpthread -lm
	fi
}
if ! build "$TEST" tests/capture-proxy/cap_test.c; then
	echo "FAIL setup: cannot build $TEST"
	failed=1
	finish
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/vscsi-capture.XXXXXX") || exit 1
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	# a disk_full tmpfs left by an interrupted run
	[ -d "$T/disk_full/full" ] && umount -l "$T/disk_full/full" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 16 MiB LUNs of random bytes (incompressible, and a wrong read shows)
head -c $((16 << 20)) /dev/urandom > "$T/lun0.img"
head -c $((16 << 20)) /dev/urandom > "$T/lun1.img"

count() {
	while IFS= read -r line; do
		echo "$line"
		case $line in
		ok\ *) passed=$((passed + 1)) ;;
		FAIL\ *) failed=$((failed + 1)) ;;
		esac
	done
}

CAP_TESTS=$("$TEST" --list | tr '\n' ' ')
WIRE_TESTS="inquiry readcap report_luns rw rw_shapes rw_regions rw_packed mq2 mq4 mq4_packed two_conn tmf an no_inout raw_good bad_loop bad_next bad_indirect_len bad_indirect_next bad_outside bad_gap bad_order bad_short_hdr bad_short_resp bad_ctrl bad_packed_long bad_packed_order garbage stop hotplug"
if [ $# -gt 0 ]; then
	CAP_SEL="" WIRE_SEL=""
	for t in "$@"; do
		case " $CAP_TESTS " in
		*" $t "*) CAP_SEL="$CAP_SEL $t" ;;
		*) case $t in wire/*) WIRE_SEL="$WIRE_SEL ${t#wire/}" ;;
		   *) echo "FAIL $t: no such test"; failed=$((failed + 1)) ;;
		   esac ;;
		esac
	done
else
	CAP_SEL=$CAP_TESTS WIRE_SEL=$WIRE_TESTS
fi

if [ -n "$CAP_SEL" ]; then
	# shellcheck disable=SC2086
	timeout 600 "$TEST" --capture "$CAPTURE" --replay "$REPLAY" --dir "$T" \
		$CAP_SEL > "$T/out" 2>&1
	count < "$T/out"
fi

# ---------------------------------------------------------------- wire
if [ -n "$WIRE_SEL" ]; then
	if ! build "$WIRE" tests/wire/wire.c; then
		echo "FAIL setup: cannot build $WIRE"
		failed=$((failed + 1))
		finish
	fi
	W=$T/wire
	mkdir -p "$W"
	"$REPLAY" --serve "$W/be.sock" --ctl "$W/ctl" --queues 4 \
		--lun "0:0=$T/lun0.img" --lun "0:1=$T/lun1.img,bs=4096" \
		2>"$W/backend.log" &
	BE=$!
	PIDS="$PIDS $BE"
	n=0
	while [ ! -S "$W/be.sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	"$CAPTURE" -l "$W/px.sock" -c "$W/be.sock" -w "$W/wire.pcap.zst" \
		--writer-priority normal 2>"$W/proxy.log" &
	PX=$!
	PIDS="$PIDS $PX"
	n=0
	while [ ! -S "$W/px.sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	# shellcheck disable=SC2086
	timeout 300 "$WIRE" --sock "$W/px.sock" --ctl "$W/ctl" \
		--replay "$REPLAY" --lun0 "$T/lun0.img" --lun1 "$T/lun1.img" \
		--pid "$BE" $WIRE_SEL > "$W/out" 2>&1
	sed 's/^ok /ok wire\//; s/^FAIL /FAIL wire\//' "$W/out" > "$W/out2"
	count < "$W/out2"
	kill -TERM "$PX" 2>/dev/null
	st=0
	wait "$PX" || st=$?
	if [ "$st" -eq 0 ] &&
	   "$B/bin/vscsi-dump" --stats "$W/wire.pcap.zst" > "$W/stats" 2>&1 &&
	   grep -q 'damaged          0 records' "$W/stats"; then
		echo "ok wire/capture_readable"
		passed=$((passed + 1))
	else
		echo "FAIL wire/capture_readable: proxy status $st; $(tail -n 3 "$W/stats" 2>/dev/null | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
	kill -TERM "$BE" 2>/dev/null
	wait "$BE" 2>/dev/null
	if [ "$failed" -ne 0 ]; then
		echo "--- proxy log (last 20 lines)"
		tail -n 20 "$W/proxy.log"
	fi
fi
finish
