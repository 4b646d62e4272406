#!/bin/sh
# vscsi-top tests:
#   batch   the cases of tests/top/cases.list against tests/top/expected/
#           (golden; a zstd copy of the capture must print the same);
#   live    --follow on a file being written, --monitor on a socket fed by
#           top_feed (the counts must equal those of the file; records the
#           feeder drops must be counted as lost, once);
#   screen  the interactive screen in tmux: open a capture, every view,
#           help, sort and reverse, a filter and a bad one (its error in
#           place), pause, LUN selection, totals, the refresh interval, a
#           resize to 80x24, quit; a monitor closing and a quit while the
#           reader waits on the socket.
# Usage: tests/top/run.sh [BUILD_DIR]   (from the top of the tree, after
#        `make tools` and `make BUILD_DIR/bench/top_feed`; UPDATE=1 rewrites
#        the golden files: review the diff)
# Ends with "top: N passed, N failed".
set -u
B=${1:-build}
TOPDIR=$PWD
TOP=$TOPDIR/$B/bin/vscsi-top
FEED=$TOPDIR/$B/bench/top_feed
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "top: FAIL: $*"; }

if [ ! -x "$TOP" ] || [ ! -x "$FEED" ]; then
	echo "top: $TOP or $FEED missing (make tools $B/bench/top_feed)"
	echo "top: 0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d)
TM="tmux -L vscsitop$$ -f /dev/null"
cleanup() {
	$TM kill-server 2>/dev/null
	[ -n "${feedpid:-}" ] && kill "$feedpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# ------------------------------------------------------------ captures
CAP=$tmp/t.pcap
CUT=$tmp/cut.pcap
n=$("$FEED" gen "$CAP" -s 3 -i 1000) || { bad "top_feed gen failed"; n=0; }
[ "$n" = 6006 ] && ok || bad "top_feed gen wrote $n records, not 6006"
"$FEED" gen "$tmp/t.pcap.zst" -s 3 -i 1000 >/dev/null
head -c 700000 "$CAP" > "$CUT"
export CAP CUT

# ------------------------------------------------------------ batch
run_case() {	# NAME COMMAND
	(cd "$TOPDIR" && PATH="$TOPDIR/$B/bin:$PATH" TZ=UTC &&
		export PATH TZ && eval "$2" 2>&1; echo "# exit $?") |
		sed "s|$tmp/|TMP/|g"
}
while read -r name cmd; do
	case $name in ''|'#'*) continue ;; esac
	exp=tests/top/expected/$name.out
	run_case "$name" "$cmd" > "$tmp/out"
	if [ "${UPDATE:-}" = 1 ]; then
		mkdir -p tests/top/expected
		cp "$tmp/out" "$exp"
		ok
	elif [ -f "$exp" ] && cmp -s "$tmp/out" "$exp"; then
		ok
	else
		bad "batch $name differs"
		if [ -f "$exp" ]; then diff -u "$exp" "$tmp/out" | head -n 30
		else echo "  (no $exp)"; fi
	fi
done < tests/top/cases.list

# captures/ files with a golden output of their own
for f in captures/*.pcap.zst captures/*.pcap; do
	[ -f "$f" ] || continue
	name=capture_$(basename "$f" | sed 's/\.pcap.*$//')
	exp=tests/top/expected/$name.out
	cmd="vscsi-top -b -r '$f' --speed 0 -v all --rows 20"
	run_case "$name" "$cmd" > "$tmp/out"
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$tmp/out" "$exp"
		ok
	elif [ -f "$exp" ]; then
		cmp -s "$tmp/out" "$exp" && ok ||
			{ bad "batch $name differs"; diff -u "$exp" "$tmp/out" | head -n 30; }
	else
		echo "top: note: $f has no $exp yet (UPDATE=1 makes it)"
	fi
done

# zstd or plain: the same figures
(cd "$TOPDIR" && TZ=UTC "$TOP" -b -r "$CAP" --speed 0 -v all) > "$tmp/plain" 2>&1
(cd "$TOPDIR" && TZ=UTC "$TOP" -b -r "$tmp/t.pcap.zst" --speed 0 -v all) > "$tmp/zst" 2>&1
sed 's/t\.pcap\.zst/t.pcap/' "$tmp/zst" | cmp -s - "$tmp/plain" && ok ||
	bad "the zstd capture prints differently from the plain one"

# ------------------------------------------------------------ live
# The COUNT column of the opcodes view, totals, from the last report.
counts() {
	awk '/^OPCODE / { n = 1; out = ""; next }
	     n && /^$/ { n = 0 }
	     n { name = substr($0, 1, 24); sub(/ +$/, "", name)
		 split(substr($0, 25), f, " "); out = out name " " f[1] "\n" }
	     END { printf "%s", out }' "$1" | sort
}
lastreport() {	# the lines of the last report (from the last header line)
	awk '/^vscsi-top  / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1"
}
(cd "$TOPDIR" && TZ=UTC "$TOP" -b -r "$CAP" --speed 0 -t -d 100 -v opcodes) > "$tmp/ref" 2>&1
counts "$tmp/ref" > "$tmp/ref.counts"
[ "$(wc -l < "$tmp/ref.counts")" -ge 6 ] && ok || bad "no opcode counts in the reference"

# --follow: a file that is empty at first, then written
: > "$tmp/f.pcap"
"$TOP" -b -r "$tmp/f.pcap" --follow -t -d 0.5 -n 8 -v opcodes > "$tmp/follow" 2>&1 &
tpid=$!
sleep 0.7
cat "$CAP" >> "$tmp/f.pcap"
wait $tpid
rc=$?
lastreport "$tmp/follow" > "$tmp/follow.last"
[ $rc -eq 0 ] && grep -q "follow $tmp/f.pcap" "$tmp/follow.last" &&
	counts "$tmp/follow.last" | cmp -s - "$tmp/ref.counts" && ok ||
	{ bad "--follow counts differ from the file's (exit $rc)"; tail -n 15 "$tmp/follow"; }

# --monitor: the file through the socket at once; the same counts and
# the file's own losses (5 by a note, 3 by a sequence gap)
sock=$tmp/mon.sock
"$FEED" serve "$sock" -f "$CAP" -x 0 -s 30 > "$tmp/feed.out" 2>"$tmp/feed.err" &
feedpid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$TOP" -b --monitor "$sock" -t -d 0.5 -n 40 -v opcodes > "$tmp/mon" 2>&1
rc=$?
wait $feedpid
feedpid=
lastreport "$tmp/mon" > "$tmp/mon.last"
[ $rc -eq 0 ] && grep -q "monitor closed" "$tmp/mon.last" &&
	grep -q "lost 8 (notes 5, gaps 3)" "$tmp/mon.last" &&
	counts "$tmp/mon.last" | cmp -s - "$tmp/ref.counts" && ok ||
	{ bad "--monitor differs from the file (exit $rc)"; tail -n 15 "$tmp/mon"; }

# --monitor under overload: every record the feeder drops is counted lost,
# once (its loss notes tell them; their sequence gaps are not counted again)
"$FEED" serve "$sock" -r 2000000 -s 2 -b 65536 > "$tmp/feed.out" 2>"$tmp/feed.err" &
feedpid=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$TOP" -b --monitor "$sock" -d 0.5 -n 40 -v luns > "$tmp/mon" 2>&1
wait $feedpid
feedpid=
dropped=$(sed -n 's/.* dropped \([0-9]*\) .*/\1/p' "$tmp/feed.out")
lastreport "$tmp/mon" > "$tmp/mon.last"
lost=$(sed -n 's/.*  lost \([0-9]*\) (notes \([0-9]*\), gaps \([0-9]*\)).*/\1 \2 \3/p' "$tmp/mon.last")
[ -n "$dropped" ] && [ "$lost" = "$dropped $dropped 0" ] && ok ||
	bad "overload: the feeder dropped '$dropped', the viewer counted '$lost'"
echo "top: overload: the feeder dropped ${dropped:-?} records; the viewer counted lost/notes/gaps ${lost:-?}"

# ------------------------------------------------------------ screen
S=scr
screen() { $TM capture-pane -p -t $S 2>/dev/null; }
keys() { $TM send-keys -t $S "$@"; }
# expect PATTERN [SECONDS]: the screen shows a line matching PATTERN
expect() {
	t=$(( ${2:-5} * 10 ))
	while [ $t -gt 0 ]; do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
check() {	# WHAT PATTERN [SECONDS]
	if expect "$2" "${3:-5}"; then ok; else bad "screen: $1: no '$2'"; screen | sed 's/^/  | /'; fi
}
check_not() {	# WHAT PATTERN: not on the screen (after a moment)
	sleep 0.3
	if screen | grep -q -- "$2"; then bad "screen: $1: '$2' shown"; screen | sed 's/^/  | /'; else ok; fi
}
# The first data row of a table: the line after the one matching PATTERN.
first_row() { screen | awk -v p="$1" 'f { print; exit } $0 ~ p { f = 1 }'; }
check_first() {	# WHAT HEADER-PATTERN ROW-PATTERN
	t=30
	while [ $t -gt 0 ]; do
		first_row "$2" | grep -q -- "$3" && { ok; return; }
		sleep 0.1
		t=$((t - 1))
	done
	bad "screen: $1: first row '$(first_row "$2")', not '$3'"
}

if ! command -v tmux >/dev/null 2>&1; then
	bad "tmux is not installed"
else
	$TM new-session -d -s $S -x 100 -y 30 \
		"cd '$TOPDIR' && TZ=UTC '$TOP' -r '$CAP' --speed 0; echo EXITED \$?; sleep 60"
	check "open" "file TMP\|file $CAP"
	check "end of the file" "end of input"
	check "LUNs view" "\[1 LUNs\]"
	check "LUN rows" "^0:2 "
	keys 2; check "Queues view" "\[2 Queues\]"; check "queue rows" "^c1/q3 "
	keys 3; check "Opcodes view" "\[3 Opcodes\]"; check "opcode rows" "^WRITE(10) "
	keys 4; check "In flight view" "\[4 In flight\]"
	check "the hung request" "READ(10) *777216 "
	check "in flight count" "^7 in flight"
	keys 5; check "Errors view" "\[5 Errors\]"
	check "sense decoded" "CHECK CONDITION MEDIUM ERROR 11/00 UNRECOVERED"
	check "loss note" "LOSS *5 records dropped (queue-full)"
	keys 6; check "Latency view" "\[6 Latency\]"; check "histogram" "usecs .*count"
	keys h; check "help" "vscsi-top keys"; check "help: filter fields" "Filter fields"
	keys x; check "help closes" "\[6 Latency\]"
	keys Tab; check "Tab wraps to the LUNs view" "\[1 LUNs\]"

	# sort by IOPS (largest first), then reversed
	keys '>'; check "sort column" "sort IOPS desc"
	check_first "sorted by IOPS" "^LUN  " "^0:2 "
	keys r; check "reverse" "sort IOPS asc"
	check_first "reversed" "^LUN  " "^0:5 "
	keys '<'; check "back to the LUN column" "sort LUN asc"

	# a filter: the file is read again with it
	keys 3 f C-u 'op == read10' Enter
	check "filter set" "filter op == read10"
	check_first "filtered opcodes" "^OPCODE" "^READ(10) "
	check_not "filtered out" "^WRITE(10) "
	# a bad one: the error in place, under its column; Esc keeps the old
	keys f C-u 'op == raed10' Enter
	check "bad filter: prompt stays" "^filter> op == raed10"
	check "bad filter: message" "\^ column 7: unknown opcode 'raed10'"
	col=$(screen | awk '/^filter> / { p = index($0, "raed10") } /\^ column 7/ { c = index($0, "^") } END { print p "," c }')
	[ "${col%,*}" = "${col#*,}" ] && ok || bad "bad filter: caret at ${col#*,}, text at ${col%,*}"
	keys Escape
	check_not "prompt closed" "^filter> "
	check "old filter kept" "filter op == read10"
	keys f C-u Enter; check "filter cleared" "filter none"

	# pause and resume
	keys p; check "pause" "PAUSED"
	keys p; check_not "resume" "PAUSED"

	# a LUN for the other views
	keys L C-u 0:1 Enter; check "LUN selected" "lun 0:1"
	keys 1; check "selected LUN marked" "^\*0:1 "
	keys 5; check "errors of the LUN" "MEDIUM ERROR"
	check_not "other LUNs' errors" "^[0-9:.]* *0:2 "
	keys a; check "all LUNs" "lun all"

	# totals, refresh interval
	keys t; check "totals" "totals, every 1s"
	keys t; check "per interval" "^interval 1s"
	keys d C-u 2 Enter; check "refresh interval" "^interval 2s"
	keys d C-u x Enter; check "bad interval" "a number of seconds"
	keys Escape

	# 80x24
	$TM resize-window -t $S -x 80 -y 24 2>/dev/null ||
		$TM resize-pane -t $S -x 80 -y 24
	keys 1
	check "80x24: tabs" "\[1 LUNs\]"
	check "80x24: rows" "^0:1 "
	w=$(screen | awk '{ if (length > m) m = length } END { print m + 0 }')
	h=$(screen | wc -l)
	[ "$w" -le 80 ] && [ "$h" -le 24 ] && ok || bad "80x24: the screen is ${w}x$h"

	keys q; check "quit" "EXITED 0"
	$TM kill-session -t $S 2>/dev/null

	# the monitor: rows while it feeds, its end shown, quit
	"$FEED" serve "$sock" -f "$CAP" -x 1 -s 30 > "$tmp/feed.out" 2>"$tmp/feed.err" &
	feedpid=$!
	i=0; while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	$TM new-session -d -s $S -x 100 -y 30 \
		"TZ=UTC '$TOP' --monitor '$sock'; echo EXITED \$?; sleep 60"
	check "monitor" "monitor $sock\|monitor TMP"
	check "monitor rows" "^0:1 " 5
	check "monitor closed" "monitor closed" 10
	keys q; check "monitor quit" "EXITED 0"
	$TM kill-session -t $S 2>/dev/null
	wait $feedpid
	feedpid=

	# quit while the reader waits on a quiet socket
	"$FEED" serve "$sock" -f "$CAP" -x 0.001 -s 30 > "$tmp/feed.out" 2>"$tmp/feed.err" &
	feedpid=$!
	i=0; while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	$TM new-session -d -s $S -x 100 -y 30 \
		"TZ=UTC '$TOP' --monitor '$sock'; echo EXITED \$?; sleep 60"
	check "quiet monitor" "monitor "
	sleep 1
	keys q; check "quit while waiting" "EXITED 0" 2
	$TM kill-session -t $S 2>/dev/null
	kill $feedpid 2>/dev/null
	wait $feedpid 2>/dev/null
	feedpid=
fi

echo "top: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
