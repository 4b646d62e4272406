#!/bin/sh
# make demo: what vscsi-trace does, on this machine, with no guest.
# Usage: scripts/demo.sh BUILD_DIR
set -eu
B=${1:-build}
bin=$B/bin
say() { printf '\n== %s\n' "$*"; }

say "1. Decoding: a simulated guest posts virtio-scsi chains; the library walks, parses and decodes them"
"$bin/vscsi-dump" --demo

say "2. A capture file (captures/mixed.pcap.zst): the first requests and completions"
"$bin/vscsi-dump" -c 12 captures/mixed.pcap.zst

say "3. The same capture summarised per LUN and per command"
"$bin/vscsi-dump" --stats captures/mixed.pcap.zst

say "4. Only the failed commands (filter: error)"
"$bin/vscsi-dump" -f error captures/mixed.pcap.zst

tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT
say "5. A live back-end: vscsi-replay --serve on a 64 MiB file-backed LUN"
truncate -s 64M "$tmp/disk.img"
"$bin/vscsi-replay" --serve "$tmp/vhost.sock" --ctl "$tmp/ctl.sock" \
	--lun "0:0=$tmp/disk.img" >"$tmp/serve.log" 2>&1 &
srv=$!
i=0
while [ ! -S "$tmp/ctl.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$bin/vscsi-replay" --ctl "$tmp/ctl.sock" list
echo "(QEMU connects with: -chardev socket,id=c0,path=$tmp/vhost.sock -device vhost-user-scsi-pci,chardev=c0)"
kill "$srv"
wait "$srv" 2>/dev/null || true

say "Done. Next: man vscsi-trace (man -l man/man7/vscsi-trace.7), make check"
