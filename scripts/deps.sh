#!/bin/sh
# Install the Debian packages vscsi-trace needs, if any are missing.
# Usage: scripts/deps.sh [build|check|e2e|all]   (default: build)
# Root uses apt-get directly, others sudo when it works; otherwise one clear
# message names the packages and the script fails.
set -eu

build="build-essential pkg-config libpcap-dev libzstd-dev libncurses-dev liburing-dev libxxhash-dev check"
check="clang libclang-rt-14-dev zstd tshark fio mandoc tmux e2fsprogs chromium netpbm"
e2e="qemu-system-x86 busybox-static cpio kmod sg3-utils xz-utils"

case "${1:-build}" in
build) want="$build" ;;
check) want="$build $check" ;;
e2e|all) want="$build $check $e2e" ;;
*) echo "deps.sh: unknown set '$1' (build, check, e2e, all)" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system; install the equivalents of: $want" >&2
	exit 0
fi

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run="sudo -n"
else
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list fails the install; refresh once and retry.
if ! $run apt-get install -y -q --no-install-recommends $missing >/tmp/vscsi-deps.$$.log 2>&1; then
	$run apt-get update -q >/dev/null 2>&1 || true
	if ! $run apt-get install -y -q --no-install-recommends $missing >/tmp/vscsi-deps.$$.log 2>&1; then
		tail -n 20 /tmp/vscsi-deps.$$.log >&2
		echo "deps.sh: apt-get install failed for:$missing" >&2
		rm -f /tmp/vscsi-deps.$$.log
		exit 1
	fi
fi
rm -f /tmp/vscsi-deps.$$.log
