#!/bin/sh
# vscsi-replay: replays of captures with verification (issue 7).
#
#  - every file in captures/ replayed onto images prepared as
#    captures/images.list says: no difference, and the final images have
#    the digests the list records;
#  - the same capture onto two copies of an image: byte-identical images;
#  - divergences found and attributed to the right request: a corrupted
#    block, a smaller LUN, a read-only LUN;
#  - safety: writes refused without --write, --skip-writes, the lock
#    against a running --serve (both ways);
#  - the vhost-user target: into --serve directly, and through
#    vscsi-capture (when it is built): the new capture decodes to the same
#    requests, queue by queue, and replays with no difference;
#  - --jobs: the same results on one and on several threads;
#  - --record, --map, the selection, the dry run, the reports, timing, the
#    usage errors.
#
# Usage: sh tests/replay/run.sh [BUILD_DIR]      (from the top of the tree)
# Ends with "replay: N passed, N failed".
set -u
B=${1:-build}
R=$B/bin/vscsi-replay
D=$B/bin/vscsi-dump
C=$B/bin/vscsi-capture
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
check() {	# NAME COMMAND...
	_name=$1
	shift
	if "$@"; then ok "$_name"; else no "$_name"; fi
}

if [ ! -x "$R" ] || [ ! -x "$D" ]; then
	echo "replay: $R or $D missing (make tools)"
	echo "replay: 0 passed, 1 failed"
	exit 1
fi
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/replay-test.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

LIST=captures/images.list

# prep CAPTURE DIR: the images CAPTURE was recorded on, as sparse files in
# DIR; writes DIR/luns (the --lun arguments) and DIR/expect ("T:L DIGEST"
# lines, sorted)
prep() {
	name=$(basename "$1")
	case $name in *-truncated.pcap.zst) name=${name%-truncated.pcap.zst}.pcap.zst ;; esac
	mkdir -p "$2"
	: >"$2/luns"
	: >"$2/expect"
	grep -v '^#' "$LIST" | while read -r cap lun size opts digest; do
		[ "$cap" = "$name" ] || continue
		f=$2/$(echo "$lun" | tr : _).img
		rm -f "$f"
		truncate -s "$size" "$f"
		printf ' --lun %s=%s,%s' "$lun" "$f" "$opts" >>"$2/luns"
		echo "$lun $digest" >>"$2/expect"
	done
	sort -o "$2/expect" "$2/expect"
}
# the digests a replay printed ("image T:L: digest D (...)"), sorted
digests() {
	sed -n 's/^image \([0-9:]*\): digest \([0-9a-f]*\) .*/\1 \2/p' "$1" | sort
}
# replay ARGS...: stdout to $tmp/out, stderr to $tmp/err, status in $rc
replay() {
	"$R" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
has() { grep -q -- "$1" "$2"; }

# ---------------------------------------------------------------- captures
if [ ! -f "$LIST" ]; then
	no "captures/images.list is missing (sh captures/remake.sh)"
fi
for f in captures/*.pcap captures/*.pcap.zst; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	d=$tmp/cap-$n
	prep "$f" "$d"
	if [ ! -s "$d/luns" ]; then
		no "$n: no images in $LIST"
		continue
	fi
	# shellcheck disable=SC2046
	replay --write --digest-images --report-json "$d/r.json" $(cat "$d/luns") "$f"
	check "$n: replayed onto the images recorded, no difference (exit 0)" \
		sh -c "[ $rc -eq 0 ] && grep -q '^result: no difference' '$tmp/out'"
	[ "$rc" -eq 0 ] || sed -n '/^differences/,$p' "$tmp/out" | head -20 | sed 's/^/#   /'
	check "$n: the JSON report says 0 differ" \
		grep -q '"differ":0,' "$d/r.json"
	case $n in
	*-truncated*)
		check "$n: the report says the file is cut short" \
			has "the file is cut short" "$tmp/out"
		;;
	*)
		digests "$tmp/out" >"$d/got"
		check "$n: final images equal the digests recorded with the capture" \
			cmp -s "$d/got" "$d/expect"
		;;
	esac
done

# ---------------------------------------------------------------- reproducible
prep captures/mixed.pcap.zst "$tmp/rep1"
prep captures/mixed.pcap.zst "$tmp/rep2"
"$R" -q --write $(cat "$tmp/rep1/luns") captures/mixed.pcap.zst >/dev/null 2>&1
"$R" -q --write $(cat "$tmp/rep2/luns") captures/mixed.pcap.zst >/dev/null 2>&1
check "the same capture onto two copies of the same images: byte-identical images" \
	sh -c "cmp -s '$tmp/rep1/0_0.img' '$tmp/rep2/0_0.img' && cmp -s '$tmp/rep1/0_1.img' '$tmp/rep2/0_1.img'"
# and the images did change
check "... and the capture did write to them" \
	sh -c "! cmp -s '$tmp/rep1/0_0.img' /dev/zero 2>/dev/null || [ \$(wc -c < '$tmp/rep1/0_0.img') -eq 0 ]"

# ---------------------------------------------------------------- divergences
# index of the first request whose dry-run line matches PATTERN
plan_index() {	# CAPTURE PATTERN
	"$R" -n "$1" | grep -e "$2" | head -1 | sed 's/.* #\([0-9]*\) +.*/\1/'
}
# the requests listed under "differences:" (their #index), sorted
diff_index() {
	sed -n '/^differences/,$p' "$1" | sed -n 's/^  #\([0-9]*\) +.*/\1/p' | sort -n
}

# one corrupted block: the read of it, and only it
prep captures/boot.pcap.zst "$tmp/bad"
printf 'not what was recorded' | dd of="$tmp/bad/0_0.img" bs=1 seek=0 conv=notrunc 2>/dev/null
replay --write -v --report-json "$tmp/bad/r.json" --report-junit "$tmp/bad/j.xml" \
	$(cat "$tmp/bad/luns") captures/boot.pcap.zst
want=$(plan_index captures/boot.pcap.zst 'READ(10) lba=0 len=8')
check "corrupted block: exit 1" [ "$rc" -eq 1 ]
check "corrupted block: one difference, data-in" has "^differences: 1 (data-in 1)" "$tmp/out"
check "corrupted block: attributed to READ(10) lba=0 (#$want)" \
	sh -c "[ '$(diff_index "$tmp/out")' = '$want' ] && grep -q '^  #$want .*READ(10) lba=0 len=8' '$tmp/out'"
check "corrupted block: said to be data older than the capture" \
	has "older than the capture" "$tmp/out"
check "corrupted block: JSON names the request" \
	has "\"differences\":\[{\"index\":$want,.*\"kinds\":\[\"data-in\"\].*\"note\":\"older_than_capture\"" "$tmp/bad/r.json"
check "corrupted block: JUnit has the READ(10) case failed" \
	sh -c "grep -q '<testcase .*name=\"READ(10)\"' '$tmp/bad/j.xml' && grep -q '<failure type=\"divergence\" message=\"1 of ' '$tmp/bad/j.xml' && grep -q 'testsuites name=\"vscsi-replay\" tests=\"[0-9]*\" failures=\"1\"' '$tmp/bad/j.xml'"

# a smaller LUN: READ CAPACITY's data, and the read past its end
prep captures/boot.pcap.zst "$tmp/small"
truncate -s 512M "$tmp/small/0_0.img"
replay --write -v $(cat "$tmp/small/luns") captures/boot.pcap.zst
rc16=$(plan_index captures/boot.pcap.zst 'READ CAPACITY(16)')
end=$(plan_index captures/boot.pcap.zst 'READ(10) lba=2097144')
check "smaller LUN: exit 1" [ "$rc" -eq 1 ]
got=$(diff_index "$tmp/out" | tr '\n' ' ')
check "smaller LUN: exactly READ CAPACITY(16) (#$rc16) and the read past the end (#$end) differ" \
	[ "$got" = "$rc16 $end " ]
check "smaller LUN: the read past the end: ILLEGAL REQUEST 21/00" \
	has "replayed CHECK CONDITION (ILLEGAL REQUEST 21/00" "$tmp/out"

# a read-only LUN: every write to it differs; and nothing else but reads of
# what those writes would have written, and READ CAPACITY (no thin
# provisioning on a read-only LUN)
prep captures/mixed.pcap.zst "$tmp/ro"
sed 's/\(0:0=[^,]*\),/\1,ro,/' "$tmp/ro/luns" >"$tmp/ro/luns2"
replay --write -v $(cat "$tmp/ro/luns2") captures/mixed.pcap.zst
check "read-only LUN: exit 1" [ "$rc" -eq 1 ]
sed -n '/^differences/,$p' "$tmp/out" >"$tmp/ro/diffs"
# the writes that differ, as the dry run names them
grep '^  #.* > ' "$tmp/ro/diffs" | grep -e 'WRITE' -e 'UNMAP' | sed 's/^  //' |
	sed 's/ +[0-9.]*s / /' >"$tmp/ro/got"
# the writes to 0:0 of the recording
"$D" -f 'lun == 0:0 and (class == write or class == unmap)' \
	captures/mixed.pcap.zst 2>/dev/null | grep ' < ' | sed 's/^[0-9.]* //; s/ < .*//' | sort >"$tmp/ro/all"
sed 's/^#[0-9]* //; s/ > .*//' "$tmp/ro/got" | sort >"$tmp/ro/gotk"
check "read-only LUN: the differing writes are exactly the writes to 0:0 ($(wc -l <"$tmp/ro/all"))" \
	sh -c "[ -s '$tmp/ro/all' ] && cmp -s '$tmp/ro/gotk' '$tmp/ro/all'"
check "read-only LUN: each replayed as DATA PROTECT 27/00" \
	[ "$(grep -c 'replayed CHECK CONDITION (DATA PROTECT 27/00' "$tmp/ro/diffs")" -eq "$(wc -l <"$tmp/ro/all")" ]
grep '^  #' "$tmp/ro/diffs" | grep -v -e ' > WRITE' -e ' > UNMAP' >"$tmp/ro/other"
check "read-only LUN: the other differences: READ CAPACITY(16), and reads of blocks a differing write wrote ($(wc -l <"$tmp/ro/other"))" \
	sh -c "! grep -v -e 'READ CAPACITY(16)' -e 'READ(10)' '$tmp/ro/other' | grep -q . &&
		[ \$(grep -c 'data-in: [0-9]* bytes, digest' '$tmp/ro/diffs') -eq \$((\$(grep -c 'written by #' '$tmp/ro/diffs') + \$(grep -c 'READ CAPACITY(16)' '$tmp/ro/other'))) ]"

# ---------------------------------------------------------------- threads
# --jobs: the captures whose requests can be dealt out to threads replay
# the same on 1 and 3 of them: the same verification figures, the same
# differences (none; then the corrupted block's one), byte-identical
# images; the others say why they run on one thread
# verif JSON: the verification object of a JSON report
verif() { sed -n 's/.*"verification":\({[^}]*}\).*/\1/p' "$1"; }
for n in boot guest-fs guest-randio; do
	f=captures/$n.pcap.zst
	for j in 1 3; do
		prep "$f" "$tmp/j$j-$n"
		"$R" --write -j $j --report-json "$tmp/j$j-$n/r.json" \
			$(cat "$tmp/j$j-$n/luns") "$f" >"$tmp/j$j-$n/out" 2>&1
	done
	check "$n: --jobs 3 replays on 3 threads, --jobs 1 on one" \
		sh -c "grep -q '^vscsi-replay: .*, 3 threads\$' '$tmp/j3-$n/out' && ! grep -q 'threads' '$tmp/j1-$n/out'"
	v1=$(verif "$tmp/j1-$n/r.json")
	v3=$(verif "$tmp/j3-$n/r.json")
	check "$n: --jobs 1 and 3: the same verification ($v3)" \
		sh -c "[ -n '$v1' ] && [ '$v1' = '$v3' ]"
	same=1
	for img in "$tmp/j1-$n"/*.img; do
		cmp -s "$img" "$tmp/j3-$n/$(basename "$img")" || same=0
	done
	check "$n: --jobs 1 and 3: byte-identical images" [ "$same" -eq 1 ]
done
for j in 1 3; do
	prep captures/guest-randio.pcap.zst "$tmp/jbad$j"
	# blocks 0-7 and the first 4 KiB of chunk 1 (LBA 2048): both lanes'
	printf 'not what was recorded' | dd of="$tmp/jbad$j/0_0.img" bs=1 seek=0 conv=notrunc 2>/dev/null
	printf 'not what was recorded' | dd of="$tmp/jbad$j/0_0.img" bs=1 seek=1048576 conv=notrunc 2>/dev/null
	"$R" --write -v -j $j $(cat "$tmp/jbad$j/luns") captures/guest-randio.pcap.zst >"$tmp/jbad$j/out" 2>&1
	sed -n '/^differences/,$p' "$tmp/jbad$j/out" | grep -v 'latency' >"$tmp/jbad$j/diffs"
done
check "a corrupted image: --jobs 1 and 3 find the same differences ($(grep -c '^  #' "$tmp/jbad1/diffs"))" \
	sh -c "grep -q '^  #' '$tmp/jbad1/diffs' && cmp -s '$tmp/jbad1/diffs' '$tmp/jbad3/diffs'"
# the first command to the LUN a read (the TEST UNIT READY left out): the
# power-on unit attention answers it on one thread; on three, every lane's
# emulation has one, and still only that read differs
for j in 1 3; do
	prep captures/boot.pcap.zst "$tmp/jua$j"
	"$R" --write -v -j $j -f 'op == read10 or op == write10' \
		$(cat "$tmp/jua$j/luns") captures/boot.pcap.zst >"$tmp/jua$j/out" 2>&1
	sed -n '/^differences/,$p' "$tmp/jua$j/out" | grep -v 'latency' >"$tmp/jua$j/diffs"
done
check "a read first: the unit attention answers it alone, on 1 and on 3 threads" \
	sh -c "grep -q '^differences: 1 ' '$tmp/jua1/diffs' && grep -q 'UNIT ATTENTION 29/00' '$tmp/jua1/diffs' && cmp -s '$tmp/jua1/diffs' '$tmp/jua3/diffs'"
prep captures/mixed.pcap.zst "$tmp/jtmf"
replay --write -j 2 $(cat "$tmp/jtmf/luns") captures/mixed.pcap.zst
check "TMFs in the selection: one thread, and the report says why" \
	sh -c "[ $rc -eq 0 ] && grep -q 'one thread (the selection has task management or AN requests)' '$tmp/out'"
prep captures/boot.pcap.zst "$tmp/jtim"
replay --write -j 2 --timing scale=0.01 $(cat "$tmp/jtim/luns") captures/boot.pcap.zst
check "a timed replay with --jobs 2: one thread, and the report says why" \
	sh -c "[ $rc -eq 0 ] && grep -q 'one thread (timed replays run on one thread)' '$tmp/out'"
replay -j 0 --lun "0:0=$tmp/jtim/0_0.img" captures/boot.pcap.zst
check "--jobs 0: a usage error (exit 2)" \
	sh -c "[ $rc -eq 2 ] && grep -q -- '--jobs 0: want 1 to 16 or auto' '$tmp/err'"

# ---------------------------------------------------------------- safety
prep captures/mixed.pcap.zst "$tmp/safe"
replay $(cat "$tmp/safe/luns") captures/mixed.pcap.zst
check "no --write: refused (exit 2), the first writes listed" \
	sh -c "[ $rc -eq 2 ] && grep -q 'would change the medium; give --write' '$tmp/err' && grep -q 'WRITE(10)' '$tmp/err'"
replay --digest-images --skip-writes $(cat "$tmp/safe/luns") captures/mixed.pcap.zst
check "--skip-writes: the rest replays with no difference" \
	sh -c "[ $rc -eq 0 ] && grep -q 'skipped (writes)' '$tmp/out'"
digests "$tmp/out" >"$tmp/safe/got"
prep captures/mixed.pcap.zst "$tmp/safe0"
"$R" -f 'lun == 200:0' --digest-images $(cat "$tmp/safe0/luns") captures/mixed.pcap.zst >"$tmp/safe0/out" 2>&1
digests "$tmp/safe0/out" >"$tmp/safe0/got"
check "--skip-writes: the images are untouched" \
	sh -c "[ -s '$tmp/safe/got' ] && cmp -s '$tmp/safe/got' '$tmp/safe0/got'"
# the lock: a running --serve holds its files
prep captures/mixed.pcap.zst "$tmp/lock"
"$R" --serve "$tmp/lock/s.sock" --lun "0:0=$tmp/lock/0_0.img" >"$tmp/lock/serve.log" 2>&1 &
sp=$!
pids="$pids $sp"
i=0
while [ ! -S "$tmp/lock/s.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
replay --write $(cat "$tmp/lock/luns") captures/mixed.pcap.zst
check "a LUN file a running --serve holds: refused (exit 2)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'in use by another program' '$tmp/err'"
kill "$sp" 2>/dev/null
wait "$sp" 2>/dev/null
# ... and a --serve is refused a file a replay holds
"$R" -q --write --timing scale=6 $(cat "$tmp/lock/luns") captures/mixed.pcap.zst >/dev/null 2>&1 &
rp=$!
pids="$pids $rp"
sleep 1
"$R" --serve "$tmp/lock/s2.sock" --lun "0:0=$tmp/lock/0_0.img" >"$tmp/lock/serve2.log" 2>&1 &
sp=$!
pids="$pids $sp"
i=0
while kill -0 "$sp" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$sp" 2>/dev/null; then
	kill "$sp"
	wait "$sp" 2>/dev/null
	no "--serve on a file a replay holds: it started anyway"
else
	wait "$sp"
	src=$?
	check "--serve on a file a replay holds: refused (exit 1, 'in use')" \
		sh -c "[ $src -eq 1 ] && grep -q 'in use' '$tmp/lock/serve2.log'"
fi
wait "$rp" 2>/dev/null

# ---------------------------------------------------------------- vhost-user
# serve FILE DIR: a --serve on DIR's images; socket DIR/be.sock
serve() {
	rm -f "$2/be.sock"
	# shellcheck disable=SC2046
	"$R" --serve "$2/be.sock" $(cat "$2/luns") >"$2/serve.log" 2>&1 &
	sp=$!
	pids="$pids $sp"
	i=0
	while [ ! -S "$2/be.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
for f in captures/mixed.pcap.zst captures/edge.pcap; do
	n=$(basename "$f")
	d=$tmp/vu-$n
	prep "$f" "$d"
	serve "$f" "$d"
	replay --write --vhost-user "$d/be.sock" "$f"
	check "$n into --serve over vhost-user: no difference" \
		sh -c "[ $rc -eq 0 ] && grep -q 'onto the vhost-user back-end' '$tmp/out'"
	[ "$rc" -eq 0 ] || { head -5 "$tmp/err"; sed -n '/^differences/,$p' "$tmp/out" | head; }
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	# the images --serve wrote: a replay that selects nothing digests them
	replay -f 'lun == 200:0' --digest-images $(cat "$d/luns") "$f"
	digests "$tmp/out" >"$d/got"
	check "$n into --serve: the images end as recorded" cmp -s "$d/got" "$d/expect"
done
replay --vhost-user "$tmp/no-such.sock" --skip-writes captures/mixed.pcap.zst
check "--vhost-user to nothing: exit 2 with the reason" \
	sh -c "[ $rc -eq 2 ] && grep -q 'vhost-user' '$tmp/err'"

# through vscsi-capture: the new capture holds the same requests, queue by
# queue, and replays onto fresh images with no difference
if [ -x "$C" ]; then
	d=$tmp/proxy
	prep captures/mixed.pcap.zst "$d"
	serve captures/mixed.pcap.zst "$d"
	"$C" -l "$d/fe.sock" -c "$d/be.sock" -w "$d/new.pcap.zst" --once >"$d/cap.log" 2>&1 &
	cp_=$!
	pids="$pids $cp_"
	i=0
	while [ ! -S "$d/fe.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	replay --write --vhost-user "$d/fe.sock" captures/mixed.pcap.zst
	check "through vscsi-capture into --serve: no difference" [ "$rc" -eq 0 ]
	i=0
	while kill -0 "$cp_" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill "$cp_" "$sp" 2>/dev/null
	wait "$cp_" 2>/dev/null
	wait "$sp" 2>/dev/null
	# requests, queue by queue (the proxy interleaves queues its own way)
	reqs() { "$D" "$1" 2>/dev/null | grep ' > ' | grep -v ' q0 ' |
		sed 's/^[0-9.]* //; s/^c[0-9]* //' | sort -s -k1,1; }
	reqs captures/mixed.pcap.zst >"$d/a"
	reqs "$d/new.pcap.zst" >"$d/b"
	check "the second capture decodes to the same requests as the first ($(wc -l <"$d/a"), queue by queue)" \
		sh -c "[ -s '$d/a' ] && cmp -s '$d/a' '$d/b'"
	prep captures/mixed.pcap.zst "$d/fresh"
	replay --write --digest-images $(cat "$d/fresh/luns") "$d/new.pcap.zst"
	digests "$tmp/out" >"$d/got"
	check "the second capture replays onto fresh images: no difference, same final images" \
		sh -c "[ $rc -eq 0 ] && cmp -s '$d/got' '$d/fresh/expect'"
else
	echo "skip - through vscsi-capture: $C is not built"
fi

# ---------------------------------------------------------------- --record
d=$tmp/rec
prep captures/mixed.pcap.zst "$d"
replay --write --record "$d/rec.pcap.zst" $(cat "$d/luns") captures/mixed.pcap.zst
check "--record: the replay goes on (exit 0)" [ "$rc" -eq 0 ]
reqs2() { "$D" "$1" 2>/dev/null | grep ' > ' | sed 's/^[0-9.]* //; s/ q[0-9]* / /'; }
reqs2 captures/mixed.pcap.zst >"$d/a"
reqs2 "$d/rec.pcap.zst" >"$d/b"
check "--record: the recording holds the requests sent, in order" cmp -s "$d/a" "$d/b"
prep captures/mixed.pcap.zst "$d/fresh"
replay --write --digest-images $(cat "$d/fresh/luns") "$d/rec.pcap.zst"
digests "$tmp/out" >"$d/got"
check "--record: the recording replays with no difference, same final images" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$d/got' '$d/fresh/expect'"

# ---------------------------------------------------------------- selection
n=$("$R" -n captures/mixed.pcap.zst | grep -c '^issue ')
check "dry run: one line per request and TMF ($n)" [ "$n" -eq 183 ]
n=$("$R" -n --skip-writes captures/mixed.pcap.zst | grep -c '^skip:wr ')
w=$("$D" -f 'type == request and (class == write or class == unmap)' captures/mixed.pcap.zst 2>/dev/null | grep -c ' > ')
check "dry run --skip-writes: the writes skipped ($n of $w)" [ "$n" -eq "$w" -a "$n" -gt 0 ]
"$R" -n -f 'op == read10' captures/mixed.pcap.zst >"$tmp/plan"
check "dry run -f 'op == read10': only READ(10) issued" \
	sh -c "[ \$(grep '^issue ' '$tmp/plan' | grep -vc 'READ(10)') -eq 0 ] && grep -q '^issue .*READ(10)' '$tmp/plan'"
"$R" -n -f 'lat > 1ms' captures/mixed.pcap.zst >"$tmp/plan"
check "-f 'lat > 1ms' selects by the recorded completion" \
	sh -c "[ \$(grep -c '^issue ' '$tmp/plan') -gt 0 ] && [ \$(grep -c '^issue ' '$tmp/plan') -lt 100 ]"
d=$tmp/win
prep captures/mixed.pcap.zst "$d"
replay --write --start 0.3 --end 0.5 $(cat "$d/luns") captures/mixed.pcap.zst
check "a window (--start 0.3 --end 0.5): exit 0, the rest skipped" \
	sh -c "[ $rc -eq 0 ] && grep -q 'skipped (window)' '$tmp/out'"
# --map: boot's LUN 0:0 onto 0:1: only REPORT LUNS tells
d=$tmp/map
prep captures/boot.pcap.zst "$d"
sed 's/ --lun 0:0=/ --lun 0:1=/' "$d/luns" >"$d/luns2"
replay --write -v --map 0:0=0:1 $(cat "$d/luns2") captures/boot.pcap.zst
rl=$(plan_index captures/boot.pcap.zst 'REPORT LUNS')
got=$(diff_index "$tmp/out")
check "--map 0:0=0:1: only REPORT LUNS (#$rl) differs" \
	sh -c "[ $rc -eq 1 ] && [ '$got' = '$rl' ]"
replay --write $(cat "$d/luns2") captures/boot.pcap.zst
check "without --map: the capture's LUN is missing, and said so" \
	sh -c "[ $rc -eq 1 ] && grep -q 'LUN 0:0 is in the capture but not given' '$tmp/out'"

# ---------------------------------------------------------------- timing
d=$tmp/time
prep captures/boot.pcap.zst "$d"
replay --write --timing original --report-json "$d/r.json" $(cat "$d/luns") captures/boot.pcap.zst
check "--timing original: exit 0, issue-time error reported" \
	sh -c "[ $rc -eq 0 ] && grep -q '^timing: issue-time error p50' '$tmp/out'"
echo "# $(grep '^timing:' "$tmp/out")"
el=$(sed -n 's/.*"elapsed_ns":\([0-9]*\).*/\1/p' "$d/r.json")
span=$("$R" -n captures/boot.pcap.zst | grep '^issue' | tail -1 | sed 's/.* +\([0-9.]*\)s .*/\1/')
first=$("$R" -n captures/boot.pcap.zst | grep '^issue' | head -1 | sed 's/.* +\([0-9.]*\)s .*/\1/')
check "--timing original takes the recorded span (${el}ns for $span - $first s)" \
	awk -v e="$el" -v s="$span" -v f="$first" 'BEGIN { d = (s - f) * 1e9; exit !(e >= d && e < d + 200e6) }'
prep captures/boot.pcap.zst "$d"
replay --write --timing scale=2 --report-json "$d/r2.json" $(cat "$d/luns") captures/boot.pcap.zst
el2=$(sed -n 's/.*"elapsed_ns":\([0-9]*\).*/\1/p' "$d/r2.json")
check "--timing scale=2 takes twice as long" \
	awk -v e="$el2" -v s="$span" -v f="$first" 'BEGIN { d = 2 * (s - f) * 1e9; exit !(e >= d && e < d + 200e6) }'

# ---------------------------------------------------------------- reports
if command -v python3 >/dev/null 2>&1; then
	check "the JSON report parses" python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$tmp/bad/r.json"
	check "the JUnit report parses" python3 -c "import xml.dom.minidom, sys; xml.dom.minidom.parse(sys.argv[1])" "$tmp/bad/j.xml"
fi
replay -q --write --report-json - $(cat "$tmp/time/luns") captures/boot.pcap.zst
check "--report-json -: the JSON alone on stdout, the text on stderr" \
	sh -c "[ $rc -eq 0 ] && head -1 '$tmp/out' | grep -q '^{\"tool\":\"vscsi-replay\"' && [ \$(wc -l < '$tmp/out') -eq 1 ] && grep -q '^result: no difference' '$tmp/err'"

# ---------------------------------------------------------------- usage
replay --lun "0:0=$tmp/x.img" "$tmp/no-such.pcap.zst"
check "a missing capture: exit 2" sh -c "[ $rc -eq 2 ] && [ -s '$tmp/err' ]"
replay --timing sometimes -n captures/boot.pcap.zst
check "--timing sometimes: exit 2" [ "$rc" -eq 2 ]
replay --map 0:0=0:99999 -n captures/boot.pcap.zst
check "--map out of range: exit 2" [ "$rc" -eq 2 ]
replay --lun "0:0=$tmp/x.img" --vhost-user "$tmp/s" captures/boot.pcap.zst
check "--lun with --vhost-user: exit 2" [ "$rc" -eq 2 ]
replay captures/boot.pcap.zst
check "no target: exit 2" [ "$rc" -eq 2 ]
replay --lun "0:0=$tmp/no-such.img" captures/boot.pcap.zst
check "a LUN that does not open: exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'no-such.img' '$tmp/err'"
replay -f 'lat >' -n captures/boot.pcap.zst
check "a bad filter: exit 2 with the column" sh -c "[ $rc -eq 2 ] && grep -q 'column' '$tmp/err'"

echo "replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
