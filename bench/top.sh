#!/bin/sh
# vscsi-top under load: top_feed sends steady traffic over a monitor socket
# (the capture format, as the capture proxy will) at RATE records a second
# for SECS seconds; vscsi-top -b reads it. Printed, as ratios against limits
# and peers measured in the same run:
#   - the records a second the viewer counted, against the rate offered;
#   - the viewer's CPU (from /proc/PID/stat), against one core (the issue's
#     limit) and against the feeder's own CPU for the same stream;
#   - how far behind the viewer fell (the worst "behind" of its reports:
#     now minus the time stamp of the record it was reading), against its
#     refresh interval (the limit);
#   - records the feeder dropped (a full send buffer, as the proxy would)
#     against those the viewer counted lost.
# Usage: bench/top.sh [BUILD_DIR]   (RATE=500000 SECS=10 BUF=1048576 by
#        default; BUF is the feeder's send buffer, the proxy's to choose)
set -eu
B=${1:-build}
RATE=${RATE:-500000}
SECS=${SECS:-10}
BUF=${BUF:-1048576}
TOP=$B/bin/vscsi-top
FEED=$B/bench/top_feed
for f in "$TOP" "$FEED"; do
	[ -x "$f" ] || { echo "top.sh: $f missing (make tools bench-bin)"; exit 1; }
done
tmp=$(mktemp -d)
fpid=
tpid=
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
sock=$tmp/mon.sock
hz=$(getconf CLK_TCK)

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo -; }
now() { date +%s.%N; }

"$FEED" serve "$sock" -r "$RATE" -s "$SECS" -b "$BUF" > "$tmp/feed.out" 2> "$tmp/feed.err" &
fpid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] || { echo "top.sh: the feeder did not listen"; cat "$tmp/feed.err"; exit 1; }
"$TOP" -b --monitor "$sock" -d 1 -v luns > "$tmp/top.out" 2>&1 &
tpid=$!

# samples: time, viewer ticks, feeder ticks (the last ones before each
# process ends are kept)
t0=$(now); v0=$(ticks $tpid); f0=$(ticks $fpid)
t1=$t0; v1=$v0; f1=$f0
while kill -0 $tpid 2>/dev/null; do
	v=$(ticks $tpid); f=$(ticks $fpid); t=$(now)
	[ "$v" != - ] && { v1=$v; t1=$t; }
	[ "$f" != - ] && { f1=$f; tf=$t; }
	sleep 0.2
done
wait $tpid || true
tpid=
wait $fpid || true
fpid=

feed=$(cat "$tmp/feed.out")
sent=$(echo "$feed" | sed -n 's/.*sent \([0-9]*\) .*/\1/p')
dropped=$(echo "$feed" | sed -n 's/.* dropped \([0-9]*\) .*/\1/p')
notes=$(echo "$feed" | sed -n 's/.* notes \([0-9]*\) .*/\1/p')

# per report: records/s and behind (in ms); the first report is the start
awk -v rate="$RATE" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v v0="$v0" \
    -v v1="$v1" -v f0="$f0" -v f1="$f1" -v tf="${tf:-$t1}" \
    -v sent="$sent" -v dropped="$dropped" -v notes="$notes" -v secs="$SECS" \
    -v buf="$BUF" '
function ms(s,  v) {
	v = s + 0
	if (s ~ /ns$/) return v / 1e6
	if (s ~ /us$/) return v / 1e3
	if (s ~ /ms$/) return v
	if (s ~ /s$/) return v * 1e3
	return v
}
/^conns / {
	n++
	for (i = 1; i <= NF; i++) {
		if ($i == "records") { rr = $(i + 1); sub(/\/s$/, "", rr); rec[n] = rr + 0 }
		if ($i == "behind") beh[n] = ms($(i + 1))
		if ($i == "lost") lost = $(i + 1)
	}
	if ($0 ~ /monitor closed/) closed = n
}
/monitor closed/ { closed = n + 1 }
END {
	# steady intervals: after the first report, before the feed ended
	m = 0; worst = 0
	for (i = 2; i <= n; i++) {
		if (closed && i >= closed) break
		m++; r[m] = rec[i]; b[m] = beh[i]
		if (beh[i] > worst) worst = beh[i]
	}
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) {
		if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
	}
	medr = m ? r[int((m + 1) / 2)] : 0
	medb = m ? b[int((m + 1) / 2)] : 0
	cpu = (t1 > t0) ? 100 * (v1 - v0) / hz / (t1 - t0) : 0
	fcpu = (tf > t0) ? 100 * (f1 - f0) / hz / (tf - t0) : 0
	printf "top: feed: %d records/s offered for %d s over the monitor socket (send buffer %d bytes): sent %d, dropped %d (%d loss notes)\n", rate, secs, buf, sent, dropped, notes
	vr = rate ? medr / rate : 0
	printf "top: viewer read %.0f records/s (median of %d intervals): %.3f of the offered rate\n", medr, m, vr
	vf = fcpu > 0 ? cpu / fcpu : 0
	printf "top: viewer CPU %.1f%% of one core (limit 100%%): ratio %.3f; feeder CPU %.1f%%: viewer/feeder %.2f\n", cpu, cpu / 100, fcpu, vf
	printf "top: viewer behind: worst %.1f ms, median %.1f ms; refresh interval 1000 ms: worst/interval %.3f\n", worst, medb, worst / 1000
	same = (lost + 0 == dropped + 0) ? "equal" : "DIFFERENT"
	printf "top: lost as the viewer counted %s, dropped by the feeder %d: %s\n", lost, dropped, same
}' "$tmp/top.out"
