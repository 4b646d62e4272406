#!/bin/sh
# make demo: the whole toolkit on this machine, with no guest and no manual
# step, in well under a minute:
#   1. the decoder on built-in descriptor chains (vscsi-dump --demo)
#   2. a live back-end: vscsi-replay --serve on two temporary disk images
#   3. the recorder in front of it: vscsi-capture (when it is built; if not,
#      the workload's own --record)
#   4. a workload from the toolkit's front-end driver: the sample capture
#      captures/mixed.pcap.zst replayed into the socket, verified as it goes
#   5. vscsi-dump --stats of the new capture
#   6. the new capture replayed onto fresh copies of the images, verified,
#      and the images compared
#   7. what a difference looks like: one corrupted block
# Usage: scripts/demo.sh BUILD_DIR
set -eu
B=${1:-build}
bin=$B/bin
say() { printf '\n== %s\n' "$*"; }
for t in vscsi-dump vscsi-replay; do
	[ -x "$bin/$t" ] || { echo "demo: $bin/$t missing (make)" >&2; exit 1; }
done
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/vscsi-demo.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
waitsock() { i=0; while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; }
start=$(date +%s)

say "1. Decoding: a simulated guest posts virtio-scsi chains; the library walks, parses and decodes them"
"$bin/vscsi-dump" --demo

say "2. A live back-end: vscsi-replay --serve on two 2 GiB disk images (sparse files)"
truncate -s 2G "$tmp/lun0.img" "$tmp/lun1.img"
"$bin/vscsi-replay" --serve "$tmp/backend.sock" --ctl "$tmp/ctl.sock" \
	--lun "0:0=$tmp/lun0.img,serial=lun0" --lun "0:1=$tmp/lun1.img,serial=lun1" \
	>"$tmp/serve.log" 2>&1 &
spid=$!
pids="$pids $spid"
waitsock "$tmp/ctl.sock"
"$bin/vscsi-replay" --ctl "$tmp/ctl.sock" list
echo "(a QEMU guest would connect with: -chardev socket,id=c0,path=SOCKET -device vhost-user-scsi-pci,chardev=c0)"

sock=$tmp/backend.sock
rec=""
if [ -x "$bin/vscsi-capture" ]; then
	say "3. The recorder in front of it: vscsi-capture, a vhost-user man-in-the-middle"
	"$bin/vscsi-capture" -l "$tmp/front.sock" -c "$tmp/backend.sock" \
		-w "$tmp/new.pcap.zst" --once >"$tmp/capture.log" 2>&1 &
	cpid=$!
	pids="$pids $cpid"
	waitsock "$tmp/front.sock"
	sock=$tmp/front.sock
	echo "front-ends now connect to $sock; every request and completion goes into new.pcap.zst"
else
	say "3. The recorder: $bin/vscsi-capture is not built, so the workload records what it sends (--record)"
	rec="--record $tmp/new.pcap.zst"
fi

say "4. A workload: the toolkit's front-end driver replays captures/mixed.pcap.zst into the socket, checking every answer"
# shellcheck disable=SC2086
"$bin/vscsi-replay" --write --vhost-user "$sock" $rec captures/mixed.pcap.zst |
	grep -e '^vscsi-replay:' -e '^replayed:' -e '^verified:' -e '^result:'
if [ -z "$rec" ]; then
	i=0
	while kill -0 "$cpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
fi
"$bin/vscsi-replay" --ctl "$tmp/ctl.sock" list >/dev/null	# still up

say "5. What was recorded: vscsi-dump --stats new.pcap.zst"
"$bin/vscsi-dump" --stats "$tmp/new.pcap.zst" 2>&1 | head -32

say "6. The new capture replayed onto fresh copies of the images (the built-in emulation), verified"
kill "$spid" 2>/dev/null || true	# the back-end lets go of its images
wait "$spid" 2>/dev/null || true
truncate -s 2G "$tmp/fresh0.img" "$tmp/fresh1.img"
"$bin/vscsi-replay" --write --digest-images \
	--lun "0:0=$tmp/fresh0.img,serial=lun0" --lun "0:1=$tmp/fresh1.img,serial=lun1" \
	"$tmp/new.pcap.zst" >"$tmp/replay.out" 2>&1 || true
grep -e '^vscsi-replay:' -e '^replayed:' -e '^verified:' -e '^data-out:' -e '^image' -e '^result:' "$tmp/replay.out"
same=no
if cmp -s "$tmp/lun0.img" "$tmp/fresh0.img" && cmp -s "$tmp/lun1.img" "$tmp/fresh1.img"; then
	same=yes
	echo "the replayed images are byte for byte the images the live back-end wrote"
else
	echo "the replayed images DIFFER from the images the live back-end wrote"
fi

say "7. What a difference looks like: the boot capture onto a disk with one corrupted block"
truncate -s 1G "$tmp/boot.img"
printf 'not what was recorded' | dd of="$tmp/boot.img" conv=notrunc 2>/dev/null
"$bin/vscsi-replay" --write --lun "0:0=$tmp/boot.img,serial=lun0" captures/boot.pcap.zst |
	sed -n '/^differences/,$p' || true

end=$(date +%s)
n=$(sed -n 's/^verified: \([0-9]*\) compared.*/\1/p' "$tmp/replay.out")
d=$(sed -n 's/.*: [0-9]* match, \([0-9]*\) differ/\1/p' "$tmp/replay.out")
say "Summary ($((end - start)) s)"
cat <<EOF
- A virtual disk back-end (vscsi-replay --serve) ran on two image files.
- $( [ -z "$rec" ] && echo "vscsi-capture sat between it and its front-end and recorded every request and answer." || echo "The front-end recorded what it sent and got (vscsi-capture was not built).")
- The front-end replayed a sample recording of a guest's disk traffic into it and
  checked every answer against the recording.
- vscsi-dump summarised the new recording: commands, latencies, errors per LUN.
- That recording, replayed onto fresh images, gave ${d:-?} differences in ${n:-?} answers,
  and the images came out identical: $same.
- A corrupted block is found, named by the request that read it.
Next: man -l man/man1/vscsi-replay.1, man -l man/man7/vscsi-trace.7, make check
EOF
