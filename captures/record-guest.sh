#!/bin/sh
# Record real Linux guests through vscsi-capture: the sample captures
# guest-fs.pcap.zst and guest-randio.pcap.zst (see captures/README.md).
#
# The real-guest harness of tests/e2e (a Debian kernel under QEMU TCG, an
# initramfs with busybox, e2fsprogs and the vscsi-guest workload) boots
# twice with vscsi-capture between QEMU and `vscsi-replay --serve`:
#   guest-fs      one vCPU, one request queue, LUN 0:0 (64 MiB, blank) and
#                 0:1 (16 MiB, blank): the boot-time scan of both, then on
#                 0:0 mke2fs (with its discard), mount, three files written,
#                 sync, one deleted, fstrim (UNMAP), umount;
#   guest-randio  two vCPUs, two request queues, LUN 0:0 (32 MiB, blank):
#                 the scan, then four workers of O_DIRECT random writes of
#                 1 to 16 blocks (512 bytes), read back and checked.
# Payloads are kept whole, so a replay onto blank images reproduces the
# guest's final images exactly. Beside each capture, NAME.sha256
# gives, for each LUN, the size of the blank image the guest started from,
# the image's SHA-256 when the guest had powered off, and the back-end's
# LUN options (the serial numbers that VPD pages 80h and 83h report, so that
# a replay answers INQUIRY the same).
#
# A real guest is not deterministic (times, tags, the order of requests on
# two queues): recording again changes the bytes, so the golden outputs made
# from these files must be made again too.
#
# Usage: sh captures/record-guest.sh [BUILD_DIR [NAME...]]   (from the top
# of the tree; needs qemu-system-x86_64 and the packages tests/e2e/run.sh
# names). NAMEs (guest-fs, guest-randio) record only those; default both.
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
WANT=${*:-guest-fs guest-randio}
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"
make --no-print-directory CI=true B="$B" "$B/bin/vscsi-replay" \
	"$B/bin/vscsi-capture" >&2
E2E_BACKEND=vscsi
E2E_PROXY=1
E2E_DIR=$(pwd)/$B/guest-captures
E2E_REPLAY=$(pwd)/$B/bin/vscsi-replay
E2E_CAPTURE=$(pwd)/$B/bin/vscsi-capture
E2E_CAPTURE_ARGS=""
mkdir -p "$E2E_DIR"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
e2e_kernel
e2e_initramfs

# record NAME SMP NQ SCENARIOS IMAGE:MIB...: one boot; the capture and the
# checksums go to captures/
record() {
	name=$1 smp=$2 nq=$3 scns=$4
	shift 4
	case " $WANT " in
	*" $name "*) ;;
	*) return 0 ;;
	esac
	d=$E2E_DIR/$name
	rm -rf "$d"
	mkdir -p "$d"
	luns="" n=0
	for spec in "$@"; do
		img=$d/${spec%%:*}.img
		truncate -s $((${spec#*:} * 1048576)) "$img"
		luns="$luns 0:$n=$img,serial=$name-$n"
		n=$((n + 1))
	done
	# shellcheck disable=SC2086
	if ! e2e_boot "$name" "$smp" "$nq" "$scns" $luns; then
		echo "record-guest: the $name boot failed" >&2
		exit 1
	fi
	if grep -q "RESULT .* FAIL" "$d/result"; then
		grep "RESULT .* FAIL" "$d/result" >&2
		echo "record-guest: a scenario of $name failed" >&2
		exit 1
	fi
	cp "$d/capture.pcap.zst" "captures/$name.pcap.zst"
	{
		echo "# LUN size-bytes sha256-after back-end-options"
		n=0
		for spec in "$@"; do
			img=$d/${spec%%:*}.img
			echo "0:$n $(stat -c %s "$img") $(sha256sum <"$img" | cut -d' ' -f1) serial=$name-$n"
			n=$((n + 1))
		done
	} >"captures/$name.sha256"
	"$B/bin/vscsi-dump" --stats "captures/$name.pcap.zst" |
		sed -n '1,3p' >&2
}

record guest-fs 1 1 "luns,scan,0:0,0:1;ext4,fs,0:0,41" disk:64 spare:16
record guest-randio 2 2 "luns,scan,0:0;randio,randio,0:0,51,4,60,16,16777216" disk:32
ls -l captures/guest-*
