#!/bin/sh
# vscsi-dump --report (the HTML page, rendered by headless Chromium and its
# screenshot checked plot by plot), --export csv (parsed back) and
# --export fio (replayed by fio on a file in tmpfs).
# Usage: sh tests/report/run.sh [BUILD_DIR]   (from the top of the tree,
# after `make`); ends with "report: N passed, N failed".
# Needs: chromium, netpbm (pngtopnm) or imagemagick (convert), fio, a C
# compiler; builds tests/report/pixels.c and bench/dump_gen.c with $CC.
set -u
B=${1:-build}
DUMP=$PWD/$B/bin/vscsi-dump
CC=${CC:-cc}
CAP=captures
pass=0
fail=0
tmp=$(mktemp -d)
# fio's files go to tmpfs when there is one
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/vscsi-report.XXXXXX)
else
	shm=$tmp/shm
	mkdir -p "$shm"
fi
trap 'rm -rf "$tmp" "$shm"' EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else no "$name"; fi
}
finish() {
	echo "report: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

if [ ! -x "$DUMP" ]; then
	no "$DUMP missing (make tools)"
	finish
fi

# ---------------------------------------------------------------- tools
CHROME=""
for c in chromium chromium-browser google-chrome; do
	if command -v "$c" >/dev/null 2>&1; then
		CHROME=$c
		break
	fi
done
# PNG to PPM: ImageMagick, else netpbm
topnm() {
	# netpbm first: a machine may carry a `convert` that is not
	# ImageMagick's
	if command -v pngtopnm >/dev/null 2>&1; then
		pngtopnm "$1" > "$2" 2>/dev/null
	elif command -v convert >/dev/null 2>&1; then
		convert "$1" -depth 8 ppm:"$2" 2>/dev/null
	else
		return 1
	fi
}
PIX=$tmp/pixels
if ! $CC -std=c11 -O1 -Wall -Werror -o "$PIX" tests/report/pixels.c; then
	no "tests/report/pixels.c does not build"
	PIX=""
fi

# ---------------------------------------------------------------- html

# No script, no style sheet, font or image from elsewhere, no link out.
self_contained() {
	! grep -Eiq '<script|https?:|src=|href=|@import|url\(|<link|<iframe|<img' "$1"
}

# Figure geometry (html.c): header 100 px, figures 360 px high at x = 20,
# plot area x 80..1220, y 52..310 in each. The screenshot is 1280 wide.
HEAD_H=100
FIG_H=360
NFIG=7
FIGS="iops mbps latency histogram qd lba errors"
# The plot areas (3 px inside the frame) and the band of axis labels below
# each (no data colour may fall there).
area() { echo "103 $((HEAD_H + $1 * FIG_H + 55)) 1237 $((HEAD_H + $1 * FIG_H + 307))"; }
band() { echo "103 $((HEAD_H + $1 * FIG_H + 313)) 1237 $((HEAD_H + $1 * FIG_H + 358))"; }

# shoot HTML PNG: the page at 1280 px wide, as a PPM in PNG.ppm
shoot() {
	rm -f "$2" "$2.ppm"
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --hide-scrollbars \
		--user-data-dir="$(mktemp -d "$tmp/chrome.XXXXXX")" \
		--screenshot="$2" --window-size=1280,4000 "file://$1" \
		>"$tmp/chrome.log" 2>&1
	[ -s "$2" ] && topnm "$2" "$2.ppm" && [ -s "$2.ppm" ]
}

# figs_drawn PPM MIN WHICH...: each listed figure's plot area has at least
# MIN pixels of a data colour and its label band none; prints why not
figs_drawn() {
	fd_ppm=$1
	fd_min=$2
	shift 2
	fd_rc=0
	for fd_fig in "$@"; do
		fd_i=0
		for fd_f in $FIGS; do
			[ "$fd_f" = "$fd_fig" ] && break
			fd_i=$((fd_i + 1))
		done
		fd_n=$("$PIX" "$fd_ppm" $(area $fd_i) $(band $fd_i) | awk '{ printf "%s ", $1 }')
		fd_in=${fd_n%% *}
		fd_out=$(echo "$fd_n" | cut -d' ' -f2)
		if [ "$fd_in" -lt "$fd_min" ] || [ "$fd_out" -ne 0 ]; then
			echo "  figure $fd_fig: $fd_in data pixels (want >= $fd_min), $fd_out in the label band"
			fd_rc=1
		fi
	done
	return $fd_rc
}

# figs_blank PPM: no figure's plot area has more than a few data pixels
figs_blank() {
	fb_rc=0
	fb_i=0
	for fb_f in $FIGS; do
		fb_n=$("$PIX" "$1" $(area $fb_i) | cut -d' ' -f1)
		if [ "$fb_n" -gt 10 ]; then
			echo "  figure $fb_f: $fb_n data pixels where there is no data"
			fb_rc=1
		fi
		fb_i=$((fb_i + 1))
	done
	return $fb_rc
}

for c in mixed boot; do
	out=$tmp/$c.html
	"$DUMP" --report "$out" "$CAP/$c.pcap.zst" 2>"$tmp/err"
	check "report $c: exit 0" [ $? -eq 0 ]
	check "report $c: a whole page" grep -q '</html>' "$out"
	check "report $c: self-contained" self_contained "$out"
	check "report $c: $NFIG figures" [ "$(grep -c '^<svg id=' "$out")" -eq $NFIG ]
	check "report $c: summary tables" grep -q '<th>READ(10)</th>' "$out"
done
check "report mixed: the errors table" grep -q 'ILLEGAL REQUEST 21/00' "$tmp/mixed.html"
check "report mixed: the loss marker" grep -q '>5 lost</text>' "$tmp/mixed.html"

if [ -z "$CHROME" ]; then
	no "chromium missing: the page is not rendered"
elif [ -z "$PIX" ]; then
	no "no pixel counter: the page is not rendered"
elif ! command -v convert >/dev/null 2>&1 && ! command -v pngtopnm >/dev/null 2>&1; then
	no "neither convert (imagemagick) nor pngtopnm (netpbm): the screenshot is not read"
else
	for c in mixed boot; do
		if ! shoot "$tmp/$c.html" "$tmp/$c.png"; then
			no "render $c: no screenshot"
			sed 's/^/  /' "$tmp/chrome.log" | tail -5
			continue
		fi
		check "render $c: 1280 px wide" [ "$("$PIX" "$tmp/$c.png.ppm" | cut -d' ' -f1)" -eq 1280 ]
		# the header's text
		set -- $("$PIX" "$tmp/$c.png.ppm" 0 0 1280 $HEAD_H)
		check "render $c: header text" [ "$2" -gt 300 ]
		# boot has few commands: its plots have less ink
		min=150
		[ $c = boot ] && min=10
		check "render $c: every plot drawn" figs_drawn "$tmp/$c.png.ppm" $min $FIGS
	done
	# the check can fail: a filter that matches nothing leaves the plots
	# empty (boot has no loss marker)
	"$DUMP" --report "$tmp/none.html" -f 'lun == 7:7' "$CAP/boot.pcap.zst"
	if shoot "$tmp/none.html" "$tmp/none.png"; then
		check "render, nothing matches: empty plots" figs_blank "$tmp/none.png.ppm"
		check "render, nothing matches: says so" grep -q 'no commands completed' "$tmp/none.html"
	else
		no "render, nothing matches: no screenshot"
	fi
fi

# unusual records, a truncated file
"$DUMP" --report "$tmp/edge.html" "$CAP/edge.pcap" 2>/dev/null
check "report edge: exit 0" [ $? -eq 0 ]
check "report edge: a whole page" grep -q '</html>' "$tmp/edge.html"
"$DUMP" --report "$tmp/trunc.html" "$CAP/mixed-truncated.pcap.zst" 2>/dev/null
check "report truncated: exit 0" [ $? -eq 0 ]
check "report truncated: says so" grep -q 'The file is truncated' "$tmp/trunc.html"
"$DUMP" --strict --report "$tmp/strict.html" "$CAP/mixed-truncated.pcap.zst" 2>/dev/null
check "report truncated --strict: exit 1" [ $? -eq 1 ]
# errors: no page is left behind
"$DUMP" --report "$tmp/missing.html" "$tmp/no-such.pcap" 2>/dev/null
check "report of a missing capture: exit 2" [ $? -eq 2 ]
check "report of a missing capture: no page" [ ! -e "$tmp/missing.html" ]
"$DUMP" --report "$tmp/no-dir/x.html" "$CAP/boot.pcap.zst" 2>/dev/null
check "report into a missing folder: exit 2" [ $? -eq 2 ]
check "report: no temporary file left" [ -z "$(ls "$tmp" | grep tmp)" ]
"$DUMP" --report - "$CAP/boot.pcap.zst" > "$tmp/stdout.html"
check "report to standard output" cmp -s "$tmp/stdout.html" "$tmp/boot.html"
"$DUMP" --report "$tmp/x.html" --export csv "$CAP/boot.pcap.zst" 2>/dev/null
check "report with export: exit 2" [ $? -eq 2 ]
"$DUMP" --report "$tmp/x.html" --stats "$CAP/boot.pcap.zst" 2>/dev/null
check "report with stats: exit 2" [ $? -eq 2 ]
# the same capture gives the same page
"$DUMP" --report "$tmp/again.html" "$CAP/mixed.pcap.zst"
check "report: the same page twice" cmp -s "$tmp/again.html" "$tmp/mixed.html"

# a large capture: the page stays small, the plots' points bounded
GEN=$tmp/dump_gen
LIBS="$B/lib/libvscsi-decode.a $(pkg-config --libs libpcap libzstd libxxhash 2>/dev/null) -luring"
if $CC -std=c11 -D_GNU_SOURCE -O1 -Ilibvscsi-decode/include -o "$GEN" bench/dump_gen.c $LIBS 2>"$tmp/gen.log"; then
	"$GEN" "$tmp/big.pcap.zst" 100000 64
	"$DUMP" --report "$tmp/big.html" "$tmp/big.pcap.zst"
	check "report big: exit 0" [ $? -eq 0 ]
	size=$(wc -c < "$tmp/big.html")
	check "report big: under 400 kB ($size)" [ "$size" -lt 400000 ]
	# points are "M x yh0": 3000 latency points, 1500 per LBA panel
	pts=$(grep -o 'h0' "$tmp/big.html" | wc -l)
	check "report big: 4500 points drawn ($pts)" [ "$pts" -eq 4500 ]
	check "report big: counts every command" grep -q '100000 commands completed' "$tmp/big.html"
	if [ -n "$CHROME" ] && [ -n "$PIX" ] && shoot "$tmp/big.html" "$tmp/big.png"; then
		check "render big: the plots with data drawn" figs_drawn "$tmp/big.png.ppm" 150 iops mbps latency histogram qd lba
	fi
	n=$("$DUMP" --export fio "$tmp/big.pcap.zst" 2>/dev/null | grep -c ' \(read\|write\) ')
	check "export fio big: a line per command ($n)" [ "$n" -eq 100000 ]
else
	no "bench/dump_gen.c does not build"
	sed 's/^/  /' "$tmp/gen.log" | head -5
fi

# ---------------------------------------------------------------- csv

HEAD='time,conn,queue,lun,tag,opcode,lba,blocks,bytes,latency_us,response,status,sense_key,asc,ascq'
# csv_cols FILE: every row has 15 fields (quoted fields taken as one)
csv_cols() {
	awk '{ gsub(/"([^"]|"")*"/, "x"); if (split($0, a, ",") != 15) { print "  line " NR ": " $0; bad = 1 } }
	     END { exit bad }' "$1"
}
# completions of commands in vscsi-dump's lines
completions() {
	"$DUMP" "$@" 2>/dev/null | grep -cE '^[0-9.]+ (c[0-9]+ )?q([2-9]|[1-9][0-9]+) .*< '
}

for c in mixed.pcap.zst boot.pcap.zst edge.pcap; do
	"$DUMP" --export csv "$CAP/$c" > "$tmp/$c.csv" 2>/dev/null
	check "csv $c: exit 0" [ $? -eq 0 ]
	check "csv $c: header" [ "$(head -1 "$tmp/$c.csv")" = "$HEAD" ]
	check "csv $c: 15 fields a row" csv_cols "$tmp/$c.csv"
	want=$(completions "$CAP/$c")
	got=$(($(wc -l < "$tmp/$c.csv") - 1))
	check "csv $c: a row per completion ($got, want $want)" [ "$got" -eq "$want" ]
done
m=$tmp/mixed.pcap.zst.csv
check "csv: the last completion" grep -qx '0.663682226,0,2,0:0,0xffff888104a80000,READ(10),8208,8,4096,91.800,OK,GOOD,,,' "$m"
check "csv: the read past the end" grep -q ',0:0,0xffff888104a809c0,READ(10),4294901760,32,0,[0-9.]*,OK,CHECK CONDITION,ILLEGAL REQUEST,0x21,0x00$' "$m"
check "csv: the aborted read" grep -q ',READ(10),777216,8,0,300085.000,ABORTED,,,,$' "$m"
check "csv: LUN 0:1 appears" grep -q '^0.568775188,0,2,0:1,0xffff888104a80000,TEST UNIT READY,,,0,24.000,OK,CHECK CONDITION,UNIT ATTENTION,0x29,0x00$' "$m"
# per command counts agree with --stats
for op in 'READ(10)' 'WRITE(10)' 'SYNCHRONIZE CACHE(10)' 'UNMAP'; do
	want=$("$DUMP" --stats "$CAP/mixed.pcap.zst" 2>/dev/null | awk -v op="$op" \
		'index($0, "  " op " ") == 1 { s = substr($0, length(op) + 3); split(s, a, " "); print a[1]; exit }')
	got=$(awk -F, -v op="$op" '$6 == op' "$m" | wc -l)
	check "csv: $op rows agree with --stats ($got, want $want)" [ "$got" -eq "${want:-0}" ]
done
"$DUMP" --export csv -f 'status == check_condition' "$CAP/mixed.pcap.zst" > "$tmp/f.csv"
want=$(completions -f 'status == check_condition' "$CAP/mixed.pcap.zst")
check "csv -f: the filter applies ($want rows)" [ "$(($(wc -l < "$tmp/f.csv") - 1))" -eq "$want" ]
check "csv -f: some rows match" [ "$want" -gt 0 ]
"$DUMP" --export csv -c 5 "$CAP/mixed.pcap.zst" > "$tmp/c.csv"
check "csv -c 5: five rows" [ "$(wc -l < "$tmp/c.csv")" -eq 6 ]
"$DUMP" --export xml "$CAP/mixed.pcap.zst" >/dev/null 2>&1
check "export xml: exit 2" [ $? -eq 2 ]
"$DUMP" --export csv tests/report/run.sh > "$tmp/not.csv" 2>"$tmp/not.err"
check "csv of a file that is no capture: exit 2" [ $? -eq 2 ]
check "csv of a file that is no capture: nothing out" [ ! -s "$tmp/not.csv" ]
check "csv of a file that is no capture: says so" grep -q 'not a vscsi-trace capture' "$tmp/not.err"

# ---------------------------------------------------------------- fio

# iolog_ok FILE: version 3 lines, times never going back
iolog_ok() {
	awk 'NR == 1 { if ($0 != "fio version 3 iolog") bad = 1; next }
	     /^[0-9]+ lun[0-9]+-[0-9]+\.img (add|open|close)$/ ||
	     /^[0-9]+ lun[0-9]+-[0-9]+\.img (read|write|trim|sync) [0-9]+ [0-9]+$/ {
		if ($1 + 0 < last) { print "  line " NR ": time goes back"; bad = 1 }
		last = $1 + 0; next }
	     { print "  line " NR ": " $0; bad = 1 }
	     END { exit bad }' "$1"
}
lines() { grep -c " $1 " "$2"; }

log=$tmp/mixed.iolog
"$DUMP" --export fio "$CAP/mixed.pcap.zst" > "$log" 2>"$tmp/fio.err"
check "fio: exit 0" [ $? -eq 0 ]
check "fio: a version 3 iolog" iolog_ok "$log"
check "fio: a file per LUN added" [ "$(grep -c ' add$' "$log")" -eq 2 ]
check "fio: a file per LUN closed" [ "$(grep -c ' close$' "$log")" -eq 2 ]
# reads, writes and flushes that completed GOOD, from the csv
good() { awk -F, -v re="$1" '$6 ~ re && $11 == "OK" && $12 == "GOOD"' "$m" | wc -l; }
R=$(lines read "$log")
W=$(lines write "$log")
T=$(lines trim "$log")
S=$(lines sync "$log")
check "fio: the good reads ($R)" [ "$R" -eq "$(good '^READ\\(')" ]
check "fio: the good flushes ($S)" [ "$S" -eq "$(good '^SYNCHRONIZE CACHE')" ]
check "fio: the good writes ($W)" [ "$W" -ge "$(good '^WRITE\\(10\\)')" ]
check "fio: UNMAP and WRITE SAME with UNMAP as trims ($T)" [ "$T" -gt 0 ]
check "fio: offsets in bytes" grep -q '^[0-9]* lun0-0.img read 4202496 4096$' "$log"
check "fio: says what it left out" grep -q 'left out: 4 failed, 1 never completed' "$tmp/fio.err"

if command -v fio >/dev/null 2>&1; then
	img=$shm/lun.img
	truncate -s 2G "$img"
	timeout 120 fio --name=replay --read_iolog="$log" --replay_redirect="$img" \
		--ioengine=psync --output-format=normal,json --output="$tmp/fio.out" \
		>"$tmp/fio.log" 2>&1
	check "fio replays the iolog" [ $? -eq 0 ]
	issued=$(sed -n 's/.*issued rwts: total=\([0-9,]*\).*/\1/p' "$tmp/fio.out" | head -1)
	ir=$(echo "$issued" | cut -d, -f1)
	iw=$(echo "$issued" | cut -d, -f2)
	it=$(echo "$issued" | cut -d, -f3)
	is=$(echo "$issued" | cut -d, -f4)
	check "fio: every read issued ($issued; want $R,$W,$T,$S)" [ "${ir:-x}" = "$R" ]
	check "fio: every write issued" [ "${iw:-x}" = "$W" ]
	check "fio: every sync issued" [ "${is:-x}" = "$S" ]
	# fio before 3.34 does not replay trims from an iolog ("bad ddir: 2")
	if grep -q 'bad ddir: 2' "$tmp/fio.log" "$tmp/fio.out"; then
		check "fio: trims (not replayed by this fio)" [ "${it:-x}" = 0 ]
	else
		check "fio: every trim issued" [ "${it:-x}" = "$T" ]
	fi
	# the times are µs: the replay takes the capture's time (0.46 s)
	last=$(awk 'END { print $1 }' "$log")
	ms=$(sed -n 's/.*"job_runtime" *: *\([0-9]*\).*/\1/p' "$tmp/fio.out" | head -1)
	check "fio: paced by the capture (${ms:-?} ms for $((last / 1000)) ms)" [ "${ms:-0}" -ge $((last * 9 / 10000)) ]
	check "fio: not slower than it" [ "${ms:-0}" -lt $((last / 1000 + 5000)) ]
	check "fio: data written" [ "$(du -k "$img" | cut -f1)" -gt 1000 ]
else
	no "fio missing: the iolog is not replayed"
fi
"$DUMP" --export fio -f 'lun == 0:1' "$CAP/mixed.pcap.zst" > "$tmp/l1.iolog" 2>/dev/null
check "fio -f: one LUN" [ "$(grep -c ' add$' "$tmp/l1.iolog")" -eq 1 ]
check "fio -f: the LUN asked for" grep -q 'lun0-1.img add' "$tmp/l1.iolog"
"$DUMP" --export fio "$CAP/edge.pcap" > "$tmp/edge.iolog" 2>/dev/null
check "fio edge: a version 3 iolog" iolog_ok "$tmp/edge.iolog"

# ---------------------------------------------------------------- walk-through

# vscsi-trace(7)'s walk-through without a guest: a back-end, the recorder in
# front of it, a sample capture replayed through the recorder as the
# front-end; then the new capture read, plotted, exported and replayed onto
# the images as they were before, with no difference.
REPLAY=$PWD/$B/bin/vscsi-replay
CAPTURE=$PWD/$B/bin/vscsi-capture
walk=$shm/walk
mkdir -p "$walk"
# stop PID: SIGINT, then SIGKILL after 5 s
stop() {
	[ -n "$1" ] || return 0
	kill -INT "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# wait_sock PATH: until the socket exists (5 s at most)
wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$1" ]
}
if [ -x "$REPLAY" ] && [ -x "$CAPTURE" ]; then
	truncate -s 2G "$walk/lun0.img" "$walk/lun1.img"
	cp --sparse=always "$walk/lun0.img" "$walk/lun0.orig"
	cp --sparse=always "$walk/lun1.img" "$walk/lun1.orig"
	"$REPLAY" --serve "$walk/backend.sock" --lun 0:0="$walk/lun0.img",serial=lun0 \
		--lun 0:1="$walk/lun1.img",serial=lun1 >"$walk/serve.log" 2>&1 &
	serve_pid=$!
	wait_sock "$walk/backend.sock"
	"$CAPTURE" -l "$walk/capture.sock" -c "$walk/backend.sock" \
		-w "$walk/first.pcap.zst" >"$walk/capture.log" 2>&1 &
	cap_pid=$!
	wait_sock "$walk/capture.sock"
	timeout 60 "$REPLAY" --write --vhost-user "$walk/capture.sock" \
		"$CAP/mixed.pcap.zst" >"$walk/front.log" 2>&1
	check "walk-through: a replay through the recorder" [ $? -eq 0 ]
	stop "$cap_pid"
	stop "$serve_pid"
	check "walk-through: the recorder dropped nothing" \
		grep -q 'dropped_queue=0 dropped_disk=0' "$walk/capture.log"
	"$DUMP" --stats "$walk/first.pcap.zst" >"$walk/stats" 2>&1
	check "walk-through: --stats reads the capture" grep -q '^  all *182 ' "$walk/stats"
	"$DUMP" --report "$walk/first.html" "$walk/first.pcap.zst"
	check "walk-through: --report" grep -q '182 commands completed' "$walk/first.html"
	"$DUMP" --export fio "$walk/first.pcap.zst" >"$walk/first.iolog" 2>/dev/null
	check "walk-through: --export fio" iolog_ok "$walk/first.iolog"
	cp --sparse=always "$walk/lun0.orig" "$walk/r0.img"
	cp --sparse=always "$walk/lun1.orig" "$walk/r1.img"
	timeout 60 "$REPLAY" --write --lun 0:0="$walk/r0.img",serial=lun0 \
		--lun 0:1="$walk/r1.img",serial=lun1 "$walk/first.pcap.zst" \
		>"$walk/replay.log" 2>&1
	check "walk-through: the replay verifies (exit 0)" [ $? -eq 0 ]
	check "walk-through: no difference" grep -q '^result: no difference in [0-9]* compared' "$walk/replay.log"
	check "walk-through: LUN 0:0 ends as recorded" cmp -s "$walk/r0.img" "$walk/lun0.img"
	check "walk-through: LUN 0:1 ends as recorded" cmp -s "$walk/r1.img" "$walk/lun1.img"
else
	no "walk-through: vscsi-replay or vscsi-capture missing"
fi

finish
