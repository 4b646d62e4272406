#!/bin/sh
# vscsi-dump over bad input and live input: standard input, missing and
# non-capture files, truncated and damaged captures, a file still being
# written (--follow, stopped by SIGINT), filter errors, and tshark opening
# every capture in captures/.
# Usage: sh tests/dump/run.sh [BUILD_DIR]   (from the top of the tree, after
# `make`); ends with "dump: N passed, N failed".
set -u
B=${1:-build}
DUMP=$PWD/$B/bin/vscsi-dump
CC=${CC:-cc}
pass=0
fail=0
tmp=$(mktemp -d)
bgpids=""
cleanup() {
	for p in $bgpids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $1${T:+ ($(date +%s.%N | cut -c7-14))}"; }
no() { fail=$((fail + 1)); echo "FAIL - $1"; }
# check NAME CONDITION...: the condition is a command
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else no "$name"; fi
}

if [ ! -x "$DUMP" ]; then
	echo "dump: $DUMP missing (make)"
	echo "dump: 0 passed, 1 failed"
	exit 1
fi

# The generator of the sample captures (its --slow mode writes a file that
# grows), built here against the static library.
# (a sanitizer build's library needs the sanitizers at link time)
GEN=$tmp/gen_captures
build_gen() {
	$CC -std=c11 -D_GNU_SOURCE -O1 "$@" -Ilibvscsi-decode/include \
		-o "$GEN" bench/gen_captures.c "$B/lib/libvscsi-decode.a" \
		$(pkg-config --libs libpcap libzstd libxxhash) 2>"$tmp/cc.err"
}
if ! build_gen && ! build_gen -fsanitize=address,undefined; then
	cat "$tmp/cc.err"
	no "build the capture generator"
	GEN=""
fi

# run ARGS...: stdout to $tmp/out, stderr to $tmp/err, status in $rc
run() {
	"$DUMP" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
lines() { wc -l <"$1" | tr -d ' '; }
# one line on stderr that contains TEXT, nothing on stdout, exit 2
refused() {
	[ "$rc" -eq 2 ] && [ "$(lines "$tmp/err")" -eq 1 ] &&
		[ ! -s "$tmp/out" ] && grep -q -- "$1" "$tmp/err"
}

# ---------------------------------------------------------------- stdin
"$DUMP" captures/mixed.pcap.zst >"$tmp/file.out" 2>/dev/null
run - <captures/mixed.pcap.zst
check "stdin (zstd) reads as the file does" cmp -s "$tmp/out" "$tmp/file.out"
cat captures/mixed.pcap.zst | "$DUMP" - >"$tmp/out" 2>/dev/null
check "a pipe (zstd) reads as the file does" cmp -s "$tmp/out" "$tmp/file.out"
zstd -dc captures/mixed.pcap.zst | "$DUMP" - >"$tmp/out" 2>/dev/null
check "a pipe (plain pcap) reads as the file does" cmp -s "$tmp/out" "$tmp/file.out"
"$DUMP" --stats captures/mixed.pcap.zst >"$tmp/stats.file" 2>/dev/null
"$DUMP" --stats - <captures/mixed.pcap.zst >"$tmp/stats.stdin" 2>/dev/null
sed 1d "$tmp/stats.file" >"$tmp/a"
sed 1d "$tmp/stats.stdin" >"$tmp/b"
check "--stats on stdin: the same tables" cmp -s "$tmp/a" "$tmp/b"

# ---------------------------------------------------------------- not captures
run "$tmp/no-such-file.pcap.zst"
check "missing file: one line, exit 2" refused "No such file or directory"
run "$tmp"
check "a directory: one line, exit 2" refused "Is a directory"
: >"$tmp/empty.pcap"
run "$tmp/empty.pcap"
check "empty file: one line, exit 2" refused "not a vscsi-trace capture (empty file)"
printf 'this is a text file, not a capture\n' >"$tmp/text"
run "$tmp/text"
check "text file: one line, exit 2" refused "not a vscsi-trace capture (not a pcap file)"
head -c 4096 /dev/urandom >"$tmp/random"
run "$tmp/random"
check "random bytes: one line, exit 2" refused "not a vscsi-trace capture"
# a pcap file of link type 1 (Ethernet), written by hand: the file header
# (little-endian, microseconds) and one 14-byte frame
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000' >"$tmp/eth.pcap"
printf '\377\377\000\000\001\000\000\000' >>"$tmp/eth.pcap"
printf '\000\000\000\000\000\000\000\000\016\000\000\000\016\000\000\000' >>"$tmp/eth.pcap"
printf '\377\377\377\377\377\377\000\021\042\063\104\125\010\000' >>"$tmp/eth.pcap"
run "$tmp/eth.pcap"
check "pcap of link type 1: named in the line, exit 2" \
	refused "not a vscsi-trace capture (link type 1)"
zstd -q -c "$tmp/eth.pcap" >"$tmp/eth.pcap.zst"
run "$tmp/eth.pcap.zst"
check "zstd pcap of link type 1: the same" \
	refused "not a vscsi-trace capture (link type 1)"
run - <"$tmp/eth.pcap"
check "link type 1 on stdin: one line, exit 2" refused "not a vscsi-trace capture"
if command -v text2pcap >/dev/null 2>&1; then
	printf '0000  ff ff ff ff ff ff 00 11 22 33 44 55 08 06 00 01\n' |
		text2pcap -q -l 1 - "$tmp/t2p.pcap" 2>/dev/null
	run "$tmp/t2p.pcap"
	check "text2pcap's Ethernet pcap: refused, exit 2" \
		refused "not a vscsi-trace capture"
fi
head -c 10 "$tmp/eth.pcap" >"$tmp/short.pcap"
run "$tmp/short.pcap"
check "a cut pcap header: one line, exit 2" refused "not a vscsi-trace capture"

# ---------------------------------------------------------------- truncated
run captures/mixed-truncated.pcap.zst
n_trunc=$(lines "$tmp/out")
check "truncated: exit 0 with the records before the cut" \
	[ "$rc" -eq 0 -a "$n_trunc" -gt 300 ]
check "truncated: one line on stderr names the truncation" \
	sh -c "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q 'truncated at record' '$tmp/err'"
head -n "$n_trunc" "$tmp/file.out" >"$tmp/prefix"
check "truncated: the output is a prefix of the whole file's" \
	cmp -s "$tmp/out" "$tmp/prefix"
run --strict captures/mixed-truncated.pcap.zst
check "truncated with --strict: exit 1" [ "$rc" -eq 1 ]
# cut at several places, through a pipe too
size=$(wc -c <captures/mixed.pcap.zst)
for cut in 100 1000 5000 11000; do
	head -c $((size - cut)) captures/mixed.pcap.zst >"$tmp/cut.zst"
	run "$tmp/cut.zst"
	r1=$rc
	head -c $((size - cut)) captures/mixed.pcap.zst | "$DUMP" - >"$tmp/out2" 2>"$tmp/err2"
	r2=$?
	check "cut $cut bytes short: exit 0, stdin the same" \
		sh -c "[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s '$tmp/out' '$tmp/out2' && grep -q truncated '$tmp/err'"
done

# ---------------------------------------------------------------- damaged
# set the version byte of record 20 of edge.pcap to 0 (damage); the offset
# comes from the dump itself (-j -v)
"$DUMP" -j -v captures/edge.pcap >"$tmp/edge.json" 2>/dev/null
off=$(grep '"recno":20,' "$tmp/edge.json" | sed 's/.*"offset":\([0-9]*\).*/\1/')
cp captures/edge.pcap "$tmp/damaged.pcap"
printf '\000' | dd of="$tmp/damaged.pcap" bs=1 seek=$((off + 16)) conv=notrunc 2>/dev/null
"$DUMP" captures/edge.pcap >"$tmp/edge.out" 2>/dev/null
run "$tmp/damaged.pcap"
check "damaged record: reported with its number on stderr" \
	grep -q "damaged record 20 at offset $off" "$tmp/err"
# its sequence number is missing now: a gap line stands where it was
grep -v '[*][*][*] LOST' "$tmp/out" >"$tmp/a"
grep -v '[*][*][*] LOST' "$tmp/edge.out" >"$tmp/b"
check "damaged record: skipped, the rest read, exit 0" \
	[ "$rc" -eq 0 -a "$(lines "$tmp/a")" -eq $(($(lines "$tmp/b") - 1)) ]
check "damaged record: its sequence number reported missing" \
	grep -q 'LOST 1 record of this connection before record 21' "$tmp/out"
run --strict "$tmp/damaged.pcap"
check "damaged record with --strict: exit 1" [ "$rc" -eq 1 ]
# the same inside a zstd stream
zstd -q -c "$tmp/damaged.pcap" >"$tmp/damaged.pcap.zst"
run "$tmp/damaged.pcap.zst"
check "damaged record in a zstd file: reported and skipped" \
	sh -c "[ $rc -eq 0 ] && grep -q 'damaged record 20' '$tmp/err'"
# a caplen libpcap cannot pass: reading stops there, cleanly
cp captures/edge.pcap "$tmp/stop.pcap"
printf '\377\377\377\000' | dd of="$tmp/stop.pcap" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
run "$tmp/stop.pcap"
check "a record libpcap cannot pass: reported, earlier records kept" \
	sh -c "[ $rc -eq 0 ] && grep -q 'record 20' '$tmp/err' && [ \$(wc -l <'$tmp/out') -ge 15 ]"

# ---------------------------------------------------------------- filters
run -f 'lat > ' captures/mixed.pcap.zst
check "filter syntax error: exit 2, the column named" \
	sh -c "[ $rc -eq 2 ] && grep -q 'column 7' '$tmp/err' && [ ! -s '$tmp/out' ]"
run -f 'lbx == 3' captures/mixed.pcap.zst
check "unknown filter field: exit 2" \
	sh -c "[ $rc -eq 2 ] && grep -q \"column 1: unknown field 'lbx'\" '$tmp/err'"
run -c 0 captures/mixed.pcap.zst
check "-c 0: refused, exit 2" [ "$rc" -eq 2 ]
run --interval -1 captures/mixed.pcap.zst
check "--interval -1: refused, exit 2" [ "$rc" -eq 2 ]
"$DUMP" captures/mixed.pcap.zst >/dev/full 2>"$tmp/err"
rc=$?
check "a full standard output: exit 2" \
	sh -c "[ $rc -eq 2 ] && grep -q 'standard output' '$tmp/err'"

# ---------------------------------------------------------------- follow
# wait_for FILE PATTERN COUNT: up to 10 s for COUNT lines matching PATTERN
wait_for() {
	i=0
	while [ "$i" -lt 100 ]; do
		n=$(grep -c -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if [ -n "$GEN" ]; then
	# the reader starts on an empty file; the writer fills it, a frame
	# every 50 ms; SIGINT stops the reader
	f=$tmp/live.pcap.zst
	: >"$f"
	"$DUMP" --follow "$f" >"$tmp/follow.out" 2>"$tmp/follow.err" &
	dpid=$!
	bgpids="$dpid"
	sleep 0.3
	"$GEN" --slow "$f" 20 50 >/dev/null
	check "--follow: every record appended is printed" \
		wait_for "$tmp/follow.out" '< READ(10)' 20
	kill -INT "$dpid"
	wait "$dpid"
	rc=$?
	bgpids=""
	check "--follow: SIGINT stops it, exit 0" [ "$rc" -eq 0 ]
	check "--follow: nothing on stderr" [ ! -s "$tmp/follow.err" ]
	check "--follow: the output equals a read of the whole file" \
		sh -c "'$DUMP' '$f' 2>/dev/null | cmp -s - '$tmp/follow.out'"

	# --follow --stats: the tables come out at SIGINT
	f=$tmp/live2.pcap.zst
	"$GEN" --slow "$f" 200 20 >/dev/null &
	gpid=$!
	bgpids="$gpid"
	sleep 0.5
	"$DUMP" --follow --stats "$f" >"$tmp/fs.out" 2>"$tmp/fs.err" &
	dpid=$!
	bgpids="$gpid $dpid"
	sleep 1
	kill -INT "$dpid"
	wait "$dpid"
	rc=$?
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	bgpids=""
	check "--follow --stats: SIGINT prints the tables, exit 0" \
		sh -c "[ $rc -eq 0 ] && grep -q '^  READ(10) ' '$tmp/fs.out' && grep -q 'records lost' '$tmp/fs.out'"

	# SIGINT while blocked on a pipe that stays open
	mkfifo "$tmp/fifo"
	"$DUMP" - <"$tmp/fifo" >"$tmp/pipe.out" 2>"$tmp/pipe.err" &
	dpid=$!
	(cat captures/mixed.pcap.zst; exec sleep 30) >"$tmp/fifo" &
	wpid=$!
	bgpids="$dpid $wpid"
	# its output is buffered until it ends: give it a second to read
	sleep 1
	kill -INT "$dpid"
	wait "$dpid"
	rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	bgpids=""
	check "SIGINT while reading a pipe: stops, exit 0, output kept" \
		sh -c "[ $rc -eq 0 ] && cmp -s '$tmp/pipe.out' '$tmp/file.out'"
fi

# ---------------------------------------------------------------- tshark
if command -v tshark >/dev/null 2>&1; then
	for f in captures/*.pcap captures/*.pcap.zst; do
		[ -f "$f" ] || continue
		n=$(timeout 60 tshark -r "$f" 2>"$tmp/ts.err" | wc -l)
		case $f in
		*truncated*)
			# tshark reads up to the cut and complains about it
			check "tshark -r $f: reads the records before the cut" \
				[ "$n" -ge "$n_trunc" ]
			;;
		*)
			# every pcap record: the dump's, the ones it skips, and
			# the data continuations it puts back
			"$DUMP" --stats -j "$f" >"$tmp/sj" 2>/dev/null
			recs=$(sed -n 's/.*"table":"capture".*"records":\([0-9]*\).*/\1/p' "$tmp/sj")
			skip=$(sed -n 's/.*"unknown":\([0-9]*\),"newer":\([0-9]*\).*/\1 \2/p' "$tmp/sj")
			# and the data continuation records put back
			pieces=$(sed -n 's/.*"table":"capture".*"pieces":\([0-9]*\).*/\1/p' "$tmp/sj")
			want=$((recs + ${skip% *} + ${skip#* } + pieces))
			how="tshark -r $f"
			# Debian 12's tshark 4.0 misreads zstd files of several
			# frames past about a megabyte (see tests/wireshark/run.sh):
			# those go through zstd -dc
			if [ "$n" -ne "$want" ] && [ "${f%.zst}" != "$f" ]; then
				n=$(zstd -dc "$f" | timeout 60 tshark -r - 2>/dev/null | wc -l)
				how="zstd -dc $f | tshark -r - (tshark 4.0 multi-frame zstd)"
			fi
			check "$how: opens it, $want records" \
				[ "$n" -eq "$want" -a "$n" -gt 0 ]
			;;
		esac
	done
else
	echo "skip - tshark is not installed"
fi

echo "dump: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
