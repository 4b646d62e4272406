# Real-guest test harness: the kernel, the initramfs, one boot of QEMU.
# Sourced by tests/e2e/run.sh (POSIX sh). Facts: ../../shared/TESTING.md.
#
# Needs: B (build dir), E2E_DIR (scratch dir), E2E_BACKEND (vscsi|qemu).
# Everything it fails on goes through e2e_die with a sentence.

E2E_SRC=tests/e2e
E2E_CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/vscsi-trace}
E2E_TIMEOUT=${E2E_TIMEOUT:-300}	# seconds for one boot, boot to power-off
E2E_MEM=512M

e2e_die() {
	echo "e2e: FATAL: $*" >&2
	echo "e2e: FATAL: $*"
	echo "e2e: 0 passed, 1 failed"
	exit 1
}

e2e_now() { date +%s.%N | cut -c1-14; }
e2e_since() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- kernel
# Sets E2E_KVER, E2E_KROOT (the unpacked package), E2E_VMLINUZ. Cached in
# $E2E_CACHE/kernel/VERSION/ (complete when it holds .ok); the newest cached
# version is used without asking the archive.
e2e_kernel() {
	kc=$E2E_CACHE/kernel
	mkdir -p "$kc" || e2e_die "cannot create $kc"
	E2E_KVER=$(ls "$kc" 2>/dev/null | while read -r v; do
		[ -f "$kc/$v/.ok" ] && echo "$v"; done | sort -V | tail -n 1)
	if [ -z "$E2E_KVER" ]; then
		e2e_kernel_fetch "$kc"
	fi
	E2E_KROOT=$kc/$E2E_KVER
	E2E_VMLINUZ=$E2E_KROOT/boot/vmlinuz-$E2E_KVER
	[ -f "$E2E_VMLINUZ" ] || e2e_die "no $E2E_VMLINUZ in the kernel cache (remove $E2E_KROOT)"
	# Under TCG the bzImage spends ~5 s decompressing itself. A kernel built
	# with CONFIG_PVH boots from its uncompressed ELF image directly
	# (QEMU's PVH entry), so unpack that once and boot it instead.
	E2E_KERNEL=$E2E_VMLINUZ
	pvh=$E2E_KROOT/vmlinux-pvh
	if [ ! -f "$pvh" ] && [ -z "${E2E_NO_PVH:-}" ] &&
	    grep -q '^CONFIG_PVH=y' "$E2E_KROOT/boot/config-$E2E_KVER" 2>/dev/null &&
	    command -v xz >/dev/null 2>&1; then
		off=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$E2E_VMLINUZ" | head -n 1 | cut -d: -f1)
		if [ -n "$off" ]; then
			tail -c +$((off + 1)) "$E2E_VMLINUZ" | xz -dcq >"$pvh.$$" 2>/dev/null
			if [ "$(head -c 4 "$pvh.$$" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv "$pvh.$$" "$pvh"
			else
				rm -f "$pvh.$$"
			fi
		fi
	fi
	[ -f "$pvh" ] && [ -z "${E2E_NO_PVH:-}" ] && E2E_KERNEL=$pvh
	if [ "$E2E_KERNEL" = "$E2E_VMLINUZ" ] && [ -z "${E2E_NO_PVH:-}" ]; then
		echo "e2e: note: booting the compressed kernel, ~5 s slower a boot under TCG (no xz to unpack a PVH vmlinux: install xz-utils)" >&2
	fi
}

e2e_apt_download() {
	# apt-get download writes into the current directory; as root it warns
	# that _apt cannot write there, which is harmless.
	apt-get download "$1" >"$2/apt.log" 2>&1 && return 0
	# empty or stale package lists: refresh once and retry
	if [ -z "${e2e_apt_updated:-}" ]; then
		e2e_apt_updated=1
		echo "e2e: apt-get download $1 failed; running apt-get update" >&2
		apt-get update -q >"$2/apt-update.log" 2>&1 ||
			echo "e2e: apt-get update failed: $(tail -n 3 "$2/apt-update.log")" >&2
		apt-get download "$1" >"$2/apt.log" 2>&1 && return 0
	fi
	cat "$2/apt.log" >&2
	e2e_die "cannot download the Debian package $1 (is the Debian archive reachable?)"
}

e2e_kernel_fetch() {
	command -v apt-get >/dev/null 2>&1 || e2e_die "apt-get not found: the kernel comes from the Debian archive"
	command -v dpkg-deb >/dev/null 2>&1 || e2e_die "dpkg-deb not found"
	command -v depmod >/dev/null 2>&1 || e2e_die "depmod not found (package kmod)"
	dl=$(mktemp -d "$1/dl.XXXXXX") || e2e_die "mktemp in $1 failed"
	tk=$(e2e_now)
	(cd "$dl" && e2e_apt_download linux-image-amd64 "$dl") || exit 1
	meta=$(ls "$dl"/linux-image-amd64_*.deb)
	# Depends: linux-image-6.1.0-NN-amd64 (= ...)
	pkg=$(dpkg-deb -f "$meta" Depends | tr ',|' '\n\n' |
		sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
	[ -n "$pkg" ] || e2e_die "cannot find the versioned kernel in the Depends of $meta"
	E2E_KVER=${pkg#linux-image-}
	(cd "$dl" && e2e_apt_download "$pkg" "$dl") || exit 1
	# another run may be unpacking the same version: one at a time
	exec 8>"$1/.lock"
	flock 8
	if [ -f "$1/$E2E_KVER/.ok" ]; then
		exec 8>&-
		rm -rf "$dl"
		return 0
	fi
	rm -rf "${1:?}/${E2E_KVER:?}"
	dpkg -x "$dl/${pkg}"_*.deb "$1/$E2E_KVER" || e2e_die "dpkg -x of $pkg failed"
	depmod -b "$1/$E2E_KVER" "$E2E_KVER" || e2e_die "depmod -b $1/$E2E_KVER failed"
	touch "$1/$E2E_KVER/.ok"
	exec 8>&-
	rm -rf "$dl"
	echo "e2e: kernel $E2E_KVER fetched into $1 in $(e2e_since "$tk") s" >&2
}

# ---------------------------------------------------------------- QEMU
# A QEMU that reconnects vhost-user-scsi (reconnect= on the chardev came to
# vhost-user-scsi-pci in QEMU 8.2; Debian 12 ships 7.2). Sets E2E_RQEMU to
# the command: the system's qemu-system-x86_64 when it is new enough, else
# the one of the release's backports (the Debian archive), unpacked into
# $E2E_CACHE/qemu/VERSION/ (complete when it holds .ok) with apt-get's
# lists kept there too: the system's apt configuration is not touched.
e2e_qemu_version() { # COMMAND -> MAJOR*100+MINOR
	"$@" --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' |
		awk '{ print $1 * 100 + $2 }'
}
e2e_reconnect_qemu() {
	v=$(e2e_qemu_version qemu-system-x86_64)
	if [ "${v:-0}" -ge 802 ]; then
		E2E_RQEMU=qemu-system-x86_64
		return 0
	fi
	qc=$E2E_CACHE/qemu
	mkdir -p "$qc" || e2e_die "cannot create $qc"
	E2E_RQEMU=$(ls "$qc" 2>/dev/null | while read -r d; do
		[ -f "$qc/$d/.ok" ] && echo "$qc/$d/qemu"; done | sort -V | tail -n 1)
	[ -n "$E2E_RQEMU" ] && return 0
	command -v apt-get >/dev/null 2>&1 || { E2E_BOOT_ERR="no apt-get to fetch a QEMU >= 8.2"; return 1; }
	code=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null)
	[ -n "$code" ] || { E2E_BOOT_ERR="no VERSION_CODENAME in /etc/os-release"; return 1; }
	a=$qc/apt
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/dl"
	echo "deb http://deb.debian.org/debian $code-backports main" >"$a/sources.list"
	set -- -o Dir::Etc::sourcelist="$a/sources.list" \
		-o Dir::Etc::sourceparts=/nonexistent -o Dir::State::Lists="$a/lists" \
		-o Dir::Cache="$a/cache" -o APT::Sandbox::User=root
	tq=$(e2e_now)
	apt-get "$@" update -q >"$a/update.log" 2>&1 ||
		{ E2E_BOOT_ERR="apt-get update of $code-backports failed: $(tail -n 2 "$a/update.log" | tr '\n' ' ')"; return 1; }
	rm -f "$a/dl/"*.deb
	(cd "$a/dl" && apt-get "$@" download qemu-system-x86/"$code"-backports \
		qemu-system-common/"$code"-backports qemu-system-data/"$code"-backports \
		>"$a/download.log" 2>&1) ||
		{ E2E_BOOT_ERR="no QEMU in $code-backports: $(tail -n 2 "$a/download.log" | tr '\n' ' ')"; return 1; }
	ver=$(dpkg-deb -f "$a"/dl/qemu-system-x86_*.deb Version | tr ':~+' '___')
	d=$qc/$ver
	rm -rf "$d"
	mkdir -p "$d/root"
	for deb in "$a"/dl/*.deb; do
		dpkg -x "$deb" "$d/root" || { E2E_BOOT_ERR="dpkg -x $deb failed"; return 1; }
	done
	# its own modules and data; the system's firmware (seabios) for the
	# rest; no audio (it would look for the system QEMU's modules)
	{
		echo '#!/bin/sh'
		echo "QEMU_MODULE_DIR=$d/root/usr/lib/x86_64-linux-gnu/qemu"
		echo 'export QEMU_MODULE_DIR'
		echo "exec $d/root/usr/bin/qemu-system-x86_64 -L $d/root/usr/share/qemu -L /usr/share/qemu -audio none \"\$@\""
	} >"$d/qemu"
	chmod +x "$d/qemu"
	v=$(e2e_qemu_version "$d/qemu")
	[ "${v:-0}" -ge 802 ] || { E2E_BOOT_ERR="$d/qemu does not run or is older than 8.2"; return 1; }
	touch "$d/.ok"
	E2E_RQEMU=$d/qemu
	echo "e2e: QEMU $ver from $code-backports unpacked into $d in $(e2e_since "$tq") s" >&2
}

# ---------------------------------------------------------------- initramfs
# The modules the guest loads, in load order: each wanted module's
# dependencies (modules.dep) and soft dependencies (modules.softdep) as
# modprobe resolves them, each path once.
E2E_MODULES="virtio_pci virtio_scsi sd_mod sg cdrom sr_mod ext4"

e2e_module_paths() {
	for m in $E2E_MODULES; do
		modprobe -d "$E2E_KROOT" -S "$E2E_KVER" --show-depends "$m" ||
			e2e_die "modprobe cannot resolve module $m in $E2E_KROOT"
	done | sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++'
}

# The dynamic programs copied in, with their libraries.
E2E_SG_TOOLS="sg_inq sg_vpd sg_readcap sg_luns sg_modes sg_turs sg_sync sg_unmap sg_write_same sg_opcodes"

e2e_path_of() {
	p=$(command -v "$1" 2>/dev/null) || p=""
	[ -z "$p" ] && for d in /usr/sbin /sbin; do
		[ -x "$d/$1" ] && p=$d/$1 && break
	done
	[ -n "$p" ] || return 1
	readlink -f "$p"
}

# Copy a file to the same path under the staging root.
e2e_stage_file() {
	mkdir -p "$1$(dirname "$2")" && cp -L "$2" "$1$2" || e2e_die "cannot stage $2"
}

# Copy program $2 to $1/$3 with the libraries and the loader ldd names.
e2e_stage_prog() {
	mkdir -p "$1$(dirname "$3")"
	cp -L "$2" "$1$3" || e2e_die "cannot stage $2"
	ldd "$2" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		[ -e "$1$lib" ] || e2e_stage_file "$1" "$lib"
	done
}

# Builds the guest workload program (static, also run on the host): sets
# E2E_GUEST_BIN.
e2e_guest_bin() {
	E2E_GUEST_BIN=$E2E_DIR/vscsi-guest
	if [ ! -x "$E2E_GUEST_BIN" ] || [ -n "$(find "$E2E_SRC/guest/vscsi-guest.c" -newer "$E2E_GUEST_BIN")" ]; then
		gcc -static -O2 -std=c11 -Wall -Wextra -o "$E2E_GUEST_BIN" \
			"$E2E_SRC/guest/vscsi-guest.c" ||
			e2e_die "cannot build the guest program (gcc -static needs libc6-dev)"
	fi
}

# The inputs of the initramfs, hashed: any change builds a new one.
e2e_initramfs_key() {
	{
		echo "$E2E_KVER $E2E_MODULES $E2E_SG_TOOLS"
		cat "$E2E_SRC/guest/init" "$E2E_SRC/guest/scenarios.sh" "$E2E_SRC/lib.sh"
		sha256sum "$E2E_GUEST_BIN" /bin/busybox
		for t in $E2E_SG_TOOLS mke2fs; do sha256sum "$(e2e_path_of "$t")"; done
	} | sha256sum | cut -c1-16
}

# Sets E2E_INITRD (an uncompressed newc cpio; the kernel unpacks it faster
# under TCG than a gzip one).
e2e_initramfs() {
	e2e_guest_bin
	[ -x /bin/busybox ] || e2e_die "/bin/busybox missing (package busybox-static)"
	ldd /bin/busybox >/dev/null 2>&1 &&
		e2e_die "/bin/busybox is dynamic: install busybox-static"
	command -v cpio >/dev/null 2>&1 || e2e_die "cpio not found (package cpio)"
	for t in $E2E_SG_TOOLS mke2fs; do
		e2e_path_of "$t" >/dev/null ||
			e2e_die "$t not found on the host (packages sg3-utils, e2fsprogs)"
	done
	command -v modprobe >/dev/null 2>&1 || e2e_die "modprobe not found (package kmod)"
	key=$(e2e_initramfs_key)
	E2E_INITRD=$E2E_DIR/initramfs-$key.cpio
	[ -f "$E2E_INITRD" ] && return 0
	ti=$(e2e_now)
	rm -f "$E2E_DIR"/initramfs-*.cpio
	st=$(mktemp -d "$E2E_DIR/stage.XXXXXX") || e2e_die "mktemp failed"
	mkdir -p "$st/bin" "$st/sbin" "$st/usr/bin" "$st/usr/sbin" "$st/lib/modules" \
		"$st/etc" "$st/e2e" "$st/proc" "$st/sys" "$st/dev" "$st/tmp" "$st/mnt" ||
		e2e_die "cannot create $st"
	cp /bin/busybox "$st/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$st/bin/$a"
	done
	# the host's mke2fs makes a real ext4 (busybox's makes ext2 only)
	e2e_stage_prog "$st" "$(e2e_path_of mke2fs)" /usr/sbin/mke2fs
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$st/etc/"
	for t in $E2E_SG_TOOLS; do
		e2e_stage_prog "$st" "$(e2e_path_of "$t")" "/usr/bin/$t"
	done
	cp "$E2E_GUEST_BIN" "$st/usr/bin/vscsi-guest"
	: >"$st/lib/modules/load.list"
	for p in $(e2e_module_paths); do
		n=$(basename "$p")
		case $n in
		*.ko) cp "$p" "$st/lib/modules/$n" ;;
		*.ko.xz) n=${n%.xz}; xz -dc "$p" >"$st/lib/modules/$n" ;;
		*.ko.zst) n=${n%.zst}; zstd -qdc "$p" >"$st/lib/modules/$n" ;;
		*) e2e_die "unknown module file $p" ;;
		esac || e2e_die "cannot copy module $p"
		echo "$n" >>"$st/lib/modules/load.list"
	done
	cp "$E2E_SRC/guest/init" "$st/init"
	chmod 755 "$st/init"
	cp "$E2E_SRC/guest/scenarios.sh" "$st/e2e/scenarios.sh"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
		>"$E2E_INITRD.tmp" || e2e_die "cpio failed"
	mv "$E2E_INITRD.tmp" "$E2E_INITRD"
	rm -rf "$st"
	echo "e2e: initramfs built in $(e2e_since "$ti") s ($(du -k "$E2E_INITRD" | cut -f1) KiB)" >&2
}

# ---------------------------------------------------------------- one boot
# e2e_boot NAME SMP NQ SCENARIOS LUN...
#   SCENARIOS: ';'-separated, each NAME,ARG,... (given to the guest as
#   e2e.scn=...); LUN: T:L=PATH[,ro][,bs=N] (the back-end's syntax).
# Leaves in $E2E_DIR/NAME/: console.log, backend.log, qemu.log, result
# (the @@E2E lines, \r stripped). Returns 0 when QEMU ran to power-off and
# the guest printed DONE; otherwise prints why and returns 1.
# Requests from the guest (@@E2E REQ WORD ARGS) call e2e_req_WORD ARGS
# while it runs.
e2e_boot() {
	bname=$1 smp=$2 nq=$3 scns=$4
	shift 4
	bdir=$E2E_DIR/$bname
	con=$bdir/console.log
	mkdir -p "$bdir"
	rm -f "$con" "$bdir/backend.log" "$bdir/qemu.log" "$bdir/result"
	: >"$bdir/result"
	E2E_BOOT_DIR=$bdir
	E2E_BOOT_ERR=""
	set -- "$@"
	qargs=""
	bpid=""
	xpid=""
	case $E2E_BACKEND in
	vscsi)
		sock=$bdir/vhost.sock
		E2E_CTL=$bdir/ctl.sock
		rm -f "$sock" "$E2E_CTL"
		lunargs=""
		for l in "$@"; do lunargs="$lunargs --lun $l"; done
		if ! e2e_start_backend; then
			e2e_boot_fail
			return 1
		fi
		qargs="-chardev socket,id=c0,path=$sock${E2E_RECONNECT:+,reconnect=1} -device vhost-user-scsi-pci,id=s0,chardev=c0,num_queues=$nq${E2E_PACKED:+,packed=on}"
		;;
	qemu)
		qargs="-device virtio-scsi-pci,id=s0,num_queues=$nq"
		n=0
		for l in "$@"; do
			tl=${l%%=*}
			rest=${l#*=}
			path=${rest%%,*}
			opts=,${rest#"$path"}
			ro="" bs=512
			case $opts in *,ro*|*,cdrom*) ro=,readonly=on ;; esac
			case $opts in *,bs=4096*) bs=4096 ;; esac
			qargs="$qargs -drive file=$path,if=none,id=d$n,format=raw,cache=none,aio=threads,discard=unmap$ro"
			dev="scsi-hd,drive=d$n,logical_block_size=$bs,physical_block_size=$bs"
			case $opts in *,cdrom*) dev="scsi-cd,drive=d$n" ;; esac
			qargs="$qargs -device $dev,bus=s0.0,channel=0,scsi-id=${tl%%:*},lun=${tl#*:},serial=e2e-$n"
			n=$((n + 1))
		done
		# the monitor, for hotplug: a pair of FIFOs
		E2E_MON=$bdir/mon
		rm -f "$E2E_MON.in" "$E2E_MON.out"
		mkfifo "$E2E_MON.in" "$E2E_MON.out"
		qargs="$qargs -chardev pipe,id=m0,path=$E2E_MON -mon chardev=m0,mode=readline"
		;;
	*) e2e_die "E2E_BACKEND must be vscsi or qemu, not '$E2E_BACKEND'" ;;
	esac
	# shellcheck disable=SC2086
	timeout -k 5 "$E2E_TIMEOUT" ${E2E_QEMU:-qemu-system-x86_64} -accel tcg -smp "$smp" \
		-m $E2E_MEM -object memory-backend-memfd,id=mem,size=$E2E_MEM,share=on \
		-machine pc,memory-backend=mem \
		-kernel "$E2E_KERNEL" -initrd "$E2E_INITRD" \
		-append "console=ttyS0 quiet panic=-1 e2e.backend=$E2E_BACKEND e2e.scn=$scns" \
		-nographic -serial "file:$con" -monitor none -no-reboot -net none \
		$qargs </dev/null >"$bdir/qemu.log" 2>&1 &
	qpid=$!
	if [ "$E2E_BACKEND" = qemu ]; then
		# keep the monitor's output drained and its input open
		cat "$E2E_MON.out" >"$bdir/monitor.log" &
		E2E_MONCAT=$!
		exec 7>"$E2E_MON.in"
	fi
	handled=0
	while kill -0 "$qpid" 2>/dev/null; do
		e2e_requests
		if [ -n "$bpid" ] && ! kill -0 "$bpid" 2>/dev/null; then
			# the guest would hang on its I/O until the timeout
			wait "$bpid"
			E2E_BACKEND_RC=$?
			bpid=""
			if [ "$E2E_BACKEND_RC" -ne 0 ] || ! grep -q "@@E2E DONE" "$con"; then
				E2E_BOOT_ERR="vscsi-replay exited with status $E2E_BACKEND_RC while the guest ran"
				sleep 1
				kill "$qpid" 2>/dev/null
			fi
		fi
		if [ -n "$xpid" ] && ! kill -0 "$xpid" 2>/dev/null; then
			wait "$xpid"
			E2E_BOOT_ERR="vscsi-capture exited with status $? while the guest ran"
			xpid=""
			kill "$qpid" 2>/dev/null
		fi
		sleep 0.2
	done
	wait "$qpid"
	qrc=$?
	e2e_requests
	if [ "$E2E_BACKEND" = qemu ]; then
		exec 7>&-
		kill "$E2E_MONCAT" 2>/dev/null
		wait "$E2E_MONCAT" 2>/dev/null
	fi
	[ -n "$xpid" ] && e2e_stop_proxy
	[ -n "$bpid" ] && e2e_stop_backend
	[ -f "$con" ] && tr -d '\r' <"$con" | sed -n 's/^.*\(@@E2E .*\)$/\1/p' >"$bdir/result"
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		E2E_BOOT_ERR="QEMU timed out after $E2E_TIMEOUT s${E2E_BOOT_ERR:+; $E2E_BOOT_ERR}"
	elif [ "$qrc" -ne 0 ]; then
		E2E_BOOT_ERR="QEMU exited with status $qrc: $(tail -n 3 "$bdir/qemu.log" | tr '\n' ' ')${E2E_BOOT_ERR:+; $E2E_BOOT_ERR}"
	elif ! grep -q '^@@E2E DONE' "$bdir/result"; then
		E2E_BOOT_ERR="the guest did not finish (no @@E2E DONE)${E2E_BOOT_ERR:+; $E2E_BOOT_ERR}"
	fi
	if [ -n "$E2E_BOOT_ERR" ]; then
		e2e_boot_fail
		return 1
	fi
	return 0
}

# Start vscsi-replay --serve on $sock with $lunargs; wait for its socket.
# With E2E_PROXY=1 the back-end listens on $bdir/backend.sock and
# vscsi-capture (started once a boot) on $sock, recording into
# $bdir/capture.pcap.zst.
# Sets bpid; on failure sets E2E_BOOT_ERR and returns 1.
e2e_start_backend() {
	bsock=$sock
	[ -n "${E2E_PROXY:-}" ] && bsock=$bdir/backend.sock
	rm -f "$bsock" "$E2E_CTL"
	# shellcheck disable=SC2086
	"$E2E_REPLAY" --serve "$bsock" --ctl "$E2E_CTL" $lunargs ${E2E_SERVE_ARGS:-} \
		>>"$bdir/backend.log" 2>&1 &
	bpid=$!
	i=0
	while [ ! -S "$bsock" ]; do
		if ! kill -0 "$bpid" 2>/dev/null; then
			wait "$bpid"
			E2E_BOOT_ERR="vscsi-replay --serve exited ($?) before creating $sock"
			bpid=""
			return 1
		fi
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			E2E_BOOT_ERR="vscsi-replay --serve did not create $bsock in 10 s"
			e2e_stop_backend
			return 1
		fi
		sleep 0.1
	done
	if [ -n "${E2E_PROXY:-}" ] && [ -z "${xpid:-}" ]; then
		e2e_start_proxy || return 1
	fi
	return 0
}

# vscsi-capture between QEMU ($sock) and the back-end; sets xpid.
e2e_start_proxy() {
	rm -f "$sock" "$bdir/capture.pcap.zst"
	# shellcheck disable=SC2086
	# the checks count every record: the writer gets its share of the
	# CPUs TCG keeps busy (by default it only takes what is idle)
	"$E2E_CAPTURE" -l "$sock" -c "$bdir/backend.sock" \
		-w "$bdir/capture.pcap.zst" --writer-priority normal \
		${E2E_CAPTURE_ARGS:-} \
		>>"$bdir/proxy.log" 2>&1 &
	xpid=$!
	i=0
	while [ ! -S "$sock" ]; do
		if ! kill -0 "$xpid" 2>/dev/null || [ $i -gt 100 ]; then
			E2E_BOOT_ERR="vscsi-capture did not create $sock: $(tail -n 2 "$bdir/proxy.log" | tr '\n' ' ')"
			kill "$xpid" 2>/dev/null
			xpid=""
			return 1
		fi
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# SIGTERM: the capture is finished and the proxy exits 0.
e2e_stop_proxy() {
	kill -TERM "$xpid" 2>/dev/null
	i=0
	while kill -0 "$xpid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$xpid" 2>/dev/null && kill -KILL "$xpid" 2>/dev/null
	wait "$xpid"
	E2E_PROXY_RC=$?
	[ "$E2E_PROXY_RC" -eq 0 ] ||
		E2E_BOOT_ERR="${E2E_BOOT_ERR:+$E2E_BOOT_ERR; }vscsi-capture exited with status $E2E_PROXY_RC after SIGTERM"
	xpid=""
}

# Stop the back-end: SIGTERM, then (after 10 s) SIGKILL. Records its exit
# status in E2E_BACKEND_RC; a crash or a hang is a boot error.
e2e_stop_backend() {
	kill -TERM "$bpid" 2>/dev/null
	i=0
	while kill -0 "$bpid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$bpid" 2>/dev/null; then
		kill -KILL "$bpid" 2>/dev/null
		E2E_BOOT_ERR="${E2E_BOOT_ERR:+$E2E_BOOT_ERR; }vscsi-replay did not exit 10 s after SIGTERM"
	fi
	wait "$bpid"
	E2E_BACKEND_RC=$?
	if [ "$E2E_BACKEND_RC" -ne 0 ] && [ "$E2E_BACKEND_RC" -ne 143 ]; then
		E2E_BOOT_ERR="${E2E_BOOT_ERR:+$E2E_BOOT_ERR; }vscsi-replay exited with status $E2E_BACKEND_RC after SIGTERM"
	fi
	bpid=""
}

e2e_boot_fail() {
	echo "e2e: boot $bname failed: $E2E_BOOT_ERR"
	e2e_tail
}

# The last 40 lines of the console (and of the back-end's log).
e2e_tail() {
	if [ -s "$E2E_BOOT_DIR/console.log" ]; then
		echo "---- last 40 lines of $E2E_BOOT_DIR/console.log"
		# without the firmware's terminal escapes
		tr -d '\r' <"$E2E_BOOT_DIR/console.log" |
			sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | tail -n 40
	else
		echo "---- no console output"
	fi
	if [ -s "$E2E_BOOT_DIR/backend.log" ]; then
		echo "---- last 15 lines of $E2E_BOOT_DIR/backend.log"
		tail -n 15 "$E2E_BOOT_DIR/backend.log"
	fi
	if [ -s "$E2E_BOOT_DIR/proxy.log" ]; then
		echo "---- last 15 lines of $E2E_BOOT_DIR/proxy.log"
		tail -n 15 "$E2E_BOOT_DIR/proxy.log"
	fi
	if [ -s "$E2E_BOOT_DIR/qemu.log" ]; then
		echo "---- $E2E_BOOT_DIR/qemu.log"
		tail -n 10 "$E2E_BOOT_DIR/qemu.log"
	fi
	echo "----"
}

# Serve the guest's new requests, in order.
e2e_requests() {
	tr -d '\r' 2>/dev/null <"$con" | sed -n 's/^.*@@E2E REQ \(.*\)$/\1/p' >"$bdir/req"
	total=$(wc -l <"$bdir/req")
	while [ "$handled" -lt "$total" ]; do
		handled=$((handled + 1))
		req=$(sed -n "${handled}p" "$bdir/req")
		# shellcheck disable=SC2086
		set -- $req
		w=$1
		shift
		case $w in
		*[!a-z0-9_]*) echo "e2e: bad request '$req'" >>"$bdir/host.log"; continue ;;
		esac
		echo "$(e2e_now) request: $req" >>"$bdir/host.log"
		"e2e_req_$w" "$@" >>"$bdir/host.log" 2>&1 ||
			echo "e2e: request '$req' failed" >>"$bdir/host.log"
	done
}

# ---------------------------------------------------------------- LUN control
# e2e_lun_add T:L PATH  /  e2e_lun_remove T:L, on the running boot.
e2e_lun_add() {
	case $E2E_BACKEND in
	vscsi) "$E2E_REPLAY" --ctl "$E2E_CTL" add "$1=$2" ;;
	qemu)
		id=hp$(echo "$1" | tr : _)
		echo "drive_add 0 if=none,id=$id,file=$2,format=raw,cache=none,aio=threads,discard=unmap" >&7
		echo "device_add scsi-hd,drive=$id,id=dev$id,bus=s0.0,channel=0,scsi-id=${1%%:*},lun=${1#*:},serial=e2e-$id" >&7
		;;
	esac
}

e2e_lun_remove() {
	case $E2E_BACKEND in
	vscsi) "$E2E_REPLAY" --ctl "$E2E_CTL" remove "$1" ;;
	qemu) echo "device_del devhp$(echo "$1" | tr : _)" >&7 ;;
	esac
}

# e2e_lun_resize T:L PATH BYTES: grow or shrink the LUN's file and tell the
# back-end.
e2e_lun_resize() {
	case $E2E_BACKEND in
	vscsi) truncate -s "$3" "$2" && "$E2E_REPLAY" --ctl "$E2E_CTL" resize "$1" ;;
	# HMP reads a bare size as MiB
	qemu) echo "block_resize hp$(echo "$1" | tr : _) $(($3 / 1048576))M" >&7 ;;
	esac
}

# ---------------------------------------------------------------- results
# e2e_kv BOOT SCENARIO KEY [SELECT]: the value of KEY on the first KV line
# of SCENARIO whose text contains SELECT.
e2e_kv() {
	sed -n "s/^@@E2E KV $2 //p" "$E2E_DIR/$1/result" | grep -e "${4:-$3=}" |
		head -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n 1
}

# The guest's verdict: "PASS ..." / "FAIL ..." / empty.
e2e_verdict() {
	sed -n "s/^@@E2E RESULT $2 //p" "$E2E_DIR/$1/result" | head -n 1
}
