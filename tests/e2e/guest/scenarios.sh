# Guest-side scenarios of the real-guest tests (busybox sh, sourced by
# /init). Each scn_TYPE LABEL ARGS... prints
#   @@E2E KV LABEL key=value ...     facts the host asserts on
#   @@E2E RESULT LABEL PASS|FAIL why the guest's own verdict
# and may ask the host for something with
#   @@E2E REQ WORD ARGS              (the host runs e2e_req_WORD ARGS)
# A LUN is named T:L (target:lun); the guest's address is H:0:T:L.

backend=${backend:-vscsi}

kv() { l=$1; shift; echo "@@E2E KV $l $*"; }
result() { l=$1 v=$2; shift 2; echo "@@E2E RESULT $l $v $*"; }
note() { echo "@@E2E NOTE $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The sysfs directory of LUN T:L ("" when absent).
scsi_dir() {
	for d in /sys/bus/scsi/devices/*:0:"${1%%:*}":"${1#*:}"; do
		[ -e "$d" ] && echo "$d" && return 0
	done
	return 1
}
blk_of() { d=$(scsi_dir "$1") && ls "$d/block" 2>/dev/null | head -n 1; }
sg_of() { d=$(scsi_dir "$1") && ls "$d/scsi_generic" 2>/dev/null | head -n 1; }

# wait_lun T:L present|absent SECONDS: a disk is present once its block
# device node exists.
wait_lun() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		b=$(blk_of "$1")
		if [ "$2" = present ]; then
			[ -n "$b" ] && [ -b "/dev/$b" ] && [ -n "$(sg_of "$1")" ] && return 0
		else
			[ -z "$(scsi_dir "$1")" ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Collect failures of a scenario in $fails.
check() {
	what=$1
	shift
	c0=$(uptime_s)
	"$@" >/tmp/check.out 2>&1
	crc=$?
	kv "$l" "step=$(echo "$what" | tr " " _) rc=$crc secs=$(awk -v a="$c0" -v b="$(uptime_s)" "BEGIN{print b-a}")"
	if [ $crc -ne 0 ]; then
		fails="$fails; $what failed: $(tail -n 2 /tmp/check.out | tr '\n' ' ')"
		return 1
	fi
	return 0
}
finish() {
	if [ -z "$fails" ]; then
		result "$1" PASS "${2:-}"
	else
		result "$1" FAIL "${fails#; }"
		dmesg | tail -n 12 | sed 's/^/@@E2E DMESG /'
	fi
}

# luns LABEL T:L...: every LUN is there; its size, block sizes, read-only
# flag, queue count and identity.
scn_luns() {
	l=$1
	shift
	fails=""
	for t in "$@"; do
		if ! wait_lun "$t" present 30; then
			fails="$fails; LUN $t not found"
			continue
		fi
		b=$(blk_of "$t")
		d=$(scsi_dir "$t")
		info=$(vscsi-guest info "/dev/$b") || fails="$fails; info $b failed"
		nq=$(ls "/sys/block/$b/mq" | wc -l)
		kv "$l" "lun=$t dev=$b sg=$(sg_of "$t") $info nq=$nq" \
			"vendor=$(tr -d ' ' <"$d/vendor") model=$(tr ' ' _ <"$d/model" | sed 's/_*$//')"
	done
	kv "$l" "cpus=$(nproc) scsi_devices=$(ls -d /sys/bus/scsi/devices/[0-9]*:*:*:* | wc -l)"
	finish "$l"
}

# hctx_runs DEV [BEFORE]: how often each blk-mq hardware queue (one per
# virtqueue) was run, from debugfs, as "hctx0=N hctx1=N"; with BEFORE (an
# earlier output) the difference.
hctx_runs() {
	for h in /sys/kernel/debug/block/"$1"/hctx*; do
		[ -f "$h/run" ] || continue
		n=$(cat "$h/run")
		k=${h##*/}
		for p in ${2:-}; do
			[ "${p%%=*}" = "$k" ] && n=$((n - ${p#*=}))
		done
		printf " %s=%s" "$k" "$n"
	done
}

# randio LABEL T:L SEED WORKERS OPS MAXBLKS REGION
scn_randio() {
	l=$1 t=$2
	shift 2
	fails=""
	b=$(blk_of "$t")
	[ -n "$b" ] || { result "$l" FAIL "LUN $t not found"; return; }
	q0=$(hctx_runs "$b")
	t0=$(uptime_s)
	vscsi-guest randio "/dev/$b" "$@" >/tmp/randio.out 2>&1 ||
		fails="randio exited $?: $(grep -v '^worker=.*sum=' /tmp/randio.out | head -n 3 | tr '\n' ' ')"
	sed "s/^/@@E2E KV $l /" /tmp/randio.out
	kv "$l" "queues:$(hctx_runs "$b" "$q0")"
	kv "$l" "secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN{print b-a}')"
	finish "$l"
}

# sg LABEL T:L: the sg3_utils list against the LUN's /dev/sgN.
sg_run() {
	# sg_run NAME CMD...: run, keep the output in /tmp/sg.NAME, record rc
	n=$1
	shift
	"$@" >"/tmp/sg.$n" 2>&1
	rc=$?
	kv "$l" "tool=$n rc=$rc"
	sed "s/^/@@E2E OUT $l $n: /" "/tmp/sg.$n" | head -n 60
	return $rc
}
scn_sg() {
	l=$1 t=$2
	fails=""
	s=$(sg_of "$t")
	[ -n "$s" ] || { result "$l" FAIL "no sg device for $t"; return; }
	g=/dev/$s
	# a unit attention (power on, LUN inventory changed) may be pending
	i=0
	while ! sg_turs "$g" >/dev/null 2>&1 && [ $i -lt 3 ]; do i=$((i + 1)); done
	sg_run turs sg_turs "$g" || fails="$fails; sg_turs"
	sg_run inq sg_inq "$g" || fails="$fails; sg_inq"
	sg_run vpd00 sg_vpd -p 0x00 "$g" || fails="$fails; sg_vpd 0x00"
	sg_run vpd83 sg_vpd -p 0x83 "$g" || fails="$fails; sg_vpd 0x83"
	sg_run vpdb0 sg_vpd -p 0xb0 "$g" || fails="$fails; sg_vpd 0xb0"
	sg_run vpdb2 sg_vpd -p 0xb2 "$g" || fails="$fails; sg_vpd 0xb2"
	sg_run readcap sg_readcap -l "$g" || fails="$fails; sg_readcap -l"
	# REPORT LUNS is a target command: ask LUN 0, as initiators do
	sg0=$(sg_of "${t%%:*}:0")
	sg_run luns sg_luns "/dev/${sg0:-$s}" || fails="$fails; sg_luns"
	sg_run modes sg_modes -a "$g" || fails="$fails; sg_modes"
	sg_run sync sg_sync "$g" || fails="$fails; sg_sync"
	if ! sg_run opcodes sg_opcodes "$g"; then
		# QEMU's scsi-hd has no REPORT SUPPORTED OPERATION CODES
		[ "$backend" = qemu ] && note "sg_opcodes unsupported by QEMU" ||
			fails="$fails; sg_opcodes"
	fi
	# what the LUN is, in one line
	kv "$l" "vendor=$(sed -n 's/^ *Vendor identification: *//p' /tmp/sg.inq | sed 's/ *$//' | tr ' ' _)" \
		"product=$(sed -n 's/^ *Product identification: *//p' /tmp/sg.inq | sed 's/ *$//' | tr ' ' _)" \
		"serial=$(sed -n 's/^ *Unit serial number: *//p' /tmp/sg.inq | tr ' ' _)"
	kv "$l" "lastlba=$(sed -n 's/.*Last LBA=\([0-9]*\).*/\1/p' /tmp/sg.readcap)" \
		"blocklen=$(sed -n 's/.*Logical block length=\([0-9]*\).*/\1/p' /tmp/sg.readcap)"
	kv "$l" "nluns=$(grep -c '^ *[0-9a-f]\{16\}' /tmp/sg.luns)" \
		"opcodes=$(grep -c '^ *[0-9a-f][0-9a-f] ' /tmp/sg.opcodes)"
	finish "$l"
}

# ro LABEL T:L: a read-only LUN reads, refuses writes with DATA PROTECT.
scn_ro() {
	l=$1 t=$2
	fails=""
	b=$(blk_of "$t")
	s=$(sg_of "$t")
	[ -n "$b" ] && [ -n "$s" ] || { result "$l" FAIL "LUN $t not found"; return; }
	ro=$(cat "/sys/block/$b/ro")
	[ "$ro" = 1 ] || fails="$fails; /sys/block/$b/ro is $ro"
	dmesg | grep -q "\[$b\] Write Protect is on" || fails="$fails; no 'Write Protect is on' for $b in the kernel log"
	kv "$l" "dmesg=$(dmesg | grep "\[$b\] Write Protect" | head -n 1 | sed 's/.*\] \[/[/' | tr ' ' _)"
	kv "$l" "sha256=$(sha256sum <"/dev/$b" | cut -d' ' -f1)"
	if dd if=/dev/zero of="/dev/$b" bs=4096 count=1 oflag=direct 2>/tmp/dd.err; then
		fails="$fails; dd oflag=direct to the read-only LUN succeeded"
	fi
	kv "$l" "dd_error=$(tail -n 1 /tmp/dd.err | tr ' ' _)"
	bs=$(cat "/sys/block/$b/queue/logical_block_size")
	# the block layer refuses writes to a write-protected disk itself, so
	# the command goes through SG_IO to reach the LUN
	w=$(vscsi-guest sgwrite "/dev/$s" 1 "$bs") || fails="$fails; sgwrite failed"
	kv "$l" "$w"
	case $w in
	*"status=0x02 "*"key=0x7 asc=0x27"*) ;;
	*) fails="$fails; WRITE(10) did not get DATA PROTECT/WRITE PROTECTED: $w" ;;
	esac
	sg_write_same --lba=2 --num=1 "/dev/$s" >/tmp/ws.out 2>&1
	rc=$?
	kv "$l" "write_same_rc=$rc"
	sed "s/^/@@E2E OUT $l write_same: /" /tmp/ws.out
	# sg3_utils' exit status 7 is DATA PROTECT
	[ $rc = 7 ] || fails="$fails; sg_write_same exit $rc, want 7 (data protect)"
	grep -qi "data protect" /tmp/ws.out || fails="$fails; sg_write_same did not say data protect"
	kv "$l" "sha256_after=$(sha256sum <"/dev/$b" | cut -d' ' -f1)"
	finish "$l"
}

# discard LABEL T:L: blkdiscard 4-8 MiB, UNMAP 8-9 MiB, WRITE SAME with
# UNMAP 9-10 MiB, BLKZEROOUT 10-11 MiB, WRITE SAME of 0xff over 0-64 KiB.
# The host checks holes, zeros and the untouched bytes.
scn_discard() {
	l=$1 t=$2
	fails=""
	b=$(blk_of "$t")
	s=$(sg_of "$t")
	[ -n "$b" ] && [ -n "$s" ] || { result "$l" FAIL "LUN $t not found"; return; }
	bs=$(cat "/sys/block/$b/queue/logical_block_size")
	M=1048576
	kv "$l" "discard_max=$(cat "/sys/block/$b/queue/discard_max_bytes")" \
		"granularity=$(cat "/sys/block/$b/queue/discard_granularity")" \
		"zeroes_max=$(cat "/sys/block/$b/queue/write_zeroes_max_bytes")" \
		"mode=$(cat /sys/bus/scsi/devices/*:0:"${t%%:*}":"${t#*:}"/scsi_disk/*/provisioning_mode)"
	check blkdiscard blkdiscard -o $((4 * M)) -l $((4 * M)) "/dev/$b"
	check sg_unmap sg_unmap --force --lba=$((8 * M / bs)) --num=$((M / bs)) "/dev/$s"
	check "sg_write_same --unmap" sg_write_same --16 --unmap --lba=$((9 * M / bs)) --num=$((M / bs)) "/dev/$s"
	check BLKZEROOUT vscsi-guest zeroout "/dev/$b" $((10 * M)) $M
	check "sg_write_same --ff" sg_write_same --ff --lba=0 --num=$((65536 / bs)) "/dev/$s"
	check sg_sync sg_sync "/dev/$s"
	# what the guest reads back, past its page cache
	z=$(dd if=/dev/zero bs=$M count=7 2>/dev/null | sha256sum | cut -d' ' -f1)
	r=$(dd if="/dev/$b" bs=$M skip=4 count=7 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$r" = "$z" ] || fails="$fails; 4-11 MiB does not read back as zeros"
	f=$(dd if="/dev/$b" bs=65536 count=1 iflag=direct 2>/dev/null | tr -d '\377' | wc -c)
	[ "$f" = 0 ] || fails="$fails; 0-64 KiB is not all 0xff ($f other bytes)"
	finish "$l"
}

# ext4 LABEL T:L SEED: mke2fs, mount, files, sync, delete one, fstrim,
# umount. The host runs e2fsck -fn and reads the files back with debugfs.
scn_ext4() {
	l=$1 t=$2 seed=$3
	fails=""
	b=$(blk_of "$t")
	[ -n "$b" ] || { result "$l" FAIL "LUN $t not found"; return; }
	check mke2fs /usr/sbin/mke2fs -F -q -t ext4 -E nodiscard "/dev/$b" || { finish "$l"; return; }
	check mount mount -t ext4 "/dev/$b" /mnt || { finish "$l"; return; }
	mkdir -p /mnt/dir/sub
	vscsi-guest gen "$seed" 1048576 >/mnt/f1 || fails="$fails; write f1"
	vscsi-guest gen $((seed + 1)) 3000001 >/mnt/dir/f2 || fails="$fails; write f2"
	vscsi-guest gen $((seed + 2)) 100 >/mnt/dir/sub/f3 || fails="$fails; write f3"
	vscsi-guest gen $((seed + 3)) 16777216 >/mnt/big || fails="$fails; write big"
	check sync sync
	for f in f1 dir/f2 dir/sub/f3; do
		kv "$l" "file=/$f sha256=$(sha256sum </mnt/$f | cut -d' ' -f1)"
	done
	rm /mnt/big
	check sync2 sync
	fstrim -v /mnt >/tmp/fstrim.out 2>&1 || fails="$fails; fstrim: $(cat /tmp/fstrim.out)"
	kv "$l" "fstrim=$(tr ' ' _ </tmp/fstrim.out)"
	check umount umount /mnt
	finish "$l"
}

# hotplug LABEL T:L BYTES BYTES2: the host adds the LUN, the guest sees it
# with its size and writes to it; the host resizes it to BYTES2, the guest
# sees the new capacity; the host removes it, the guest sees it go.
scn_hotplug() {
	l=$1 t=$2 bytes=$3 bytes2=$4
	fails=""
	if [ -n "$(scsi_dir "$t")" ]; then
		result "$l" FAIL "LUN $t present before it was added"
		return
	fi
	t0=$(uptime_s)
	echo "@@E2E REQ hotplug_add $t $bytes"
	if wait_lun "$t" present 60; then
		b=$(blk_of "$t")
		kv "$l" "added=$b after=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN{print b-a}')" \
			"$(vscsi-guest info "/dev/$b")"
		check "write to the new LUN" vscsi-guest randio "/dev/$b" 5 1 20 8 $((bytes / 2))
		t0=$(uptime_s)
		echo "@@E2E REQ hotplug_resize $t $bytes2"
		i=0
		while [ $(($(cat "/sys/block/$b/size") * 512)) != "$bytes2" ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		now=$(($(cat "/sys/block/$b/size") * 512))
		[ "$now" = "$bytes2" ] || fails="$fails; after the resize the disk has $now bytes, want $bytes2"
		kv "$l" "resized=$now resize_after=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN{print b-a}')"
		lsscsi 2>/dev/null | sed "s/^/@@E2E OUT $l lsscsi: /"
	else
		fails="$fails; LUN $t did not appear within 60 s"
	fi
	t0=$(uptime_s)
	echo "@@E2E REQ hotplug_remove $t"
	if wait_lun "$t" absent 60; then
		kv "$l" "removed_after=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN{print b-a}')"
	else
		fails="$fails; LUN $t still there 60 s after removal"
	fi
	finish "$l"
}

# cdrom LABEL T:L: an MMC LUN: sr_mod attaches it, reads give the image.
scn_cdrom() {
	l=$1 t=$2
	fails=""
	b=$(blk_of "$t")
	[ -n "$b" ] || { result "$l" FAIL "LUN $t not found"; return; }
	d=$(scsi_dir "$t")
	kv "$l" "dev=$b type=$(cat "$d/type") $(vscsi-guest info "/dev/$b")"
	case $b in sr*) ;; *) fails="$fails; $t attached as $b, not as a CD-ROM (sr)" ;; esac
	kv "$l" "sha256=$(dd if="/dev/$b" bs=65536 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
	finish "$l"
}

# restart LABEL T:L SEED WORKERS OPS MAXBLKS REGION: random I/O while the
# host kills the back-end and starts it again (QEMU reconnects); the I/O
# must complete without an error.
scn_restart() {
	l=$1 t=$2
	shift 2
	fails=""
	b=$(blk_of "$t")
	[ -n "$b" ] || { result "$l" FAIL "LUN $t not found"; return; }
	vscsi-guest randio "/dev/$b" "$@" >/tmp/randio.out 2>&1 &
	p=$!
	sleep 0.3
	echo "@@E2E REQ backend_restart"
	wait $p || fails="randio exited $?: $(grep -v '^worker=.*sum=' /tmp/randio.out | head -n 3 | tr '\n' ' ')"
	sed "s/^/@@E2E KV $l /" /tmp/randio.out
	dmesg | grep -i "\[$b\].*\(error\|fail\|abort\|reset\)" | head -n 5 | sed "s/^/@@E2E OUT $l dmesg: /"
	dmesg | grep -qi "\[$b\].*\(error\|fail\)" && fails="$fails; the kernel logged I/O errors"
	finish "$l"
}
