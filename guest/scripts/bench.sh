# bench: guest-side figures (shoji.script=bench), read by scripts/bench on the
# host. The boot-to-/init time is the "guest: init uptime=" line that /init
# prints before any script. Every figure is timed here, inside the guest, with
# CLOCK_MONOTONIC (blkverify) or /proc/uptime.
#   shoji.disk=sdX|none    the scratch disk (default: first blank SATA disk)
#   shoji.bench=T:SPAN:IDLE  seconds per disk test (default 2), range of the
#                          disk the tests use (default 64M), idle seconds for
#                          the VM-exits-per-second figure (default 2; 0: none;
#                          only under shoji). One short word: under shoji the
#                          whole guest command line must fit in 1023 bytes
#                          with the kernel's path (shoji's module strings;
#                          scripts/bench checks before it boots).
#   shoji.benchsecs=T      seconds per disk test (overrides shoji.bench)
#   shoji.storm=edu        a DMA fault storm during the disk tests: every edu
#                          device reads shoji's region, over and over (only
#                          under shoji, which blocks it)
#   shoji.storm=edu-ok     the control: the same loop, but the devices read
#                          guest memory (at 1 MiB), which they may: no faults
#   shoji.dmcrypt=CIPHER   run the disk tests through dm-crypt with CIPHER
#                          (e.g. aes-xts-plain64) on the scratch disk
#   shoji.xtsmem=CIPHER    also: the same tests on dm-crypt over a RAM disk
#                          (brd), i.e. the guest's own AES-XTS speed over memory
# dm-crypt needs dm_crypt, brd and a dmsetup in the initramfs: scripts/bench
# builds such an initramfs (the default one has none of them).
#
# The four disk tests run one after the other (one blkverify for all four;
# with shoji.benchjobs=N, N at once per test: blkverify bench --test NAME),
# each inside its own pair of per-test counters lines; the whole run inside
# disk-start/disk-end.
#
# Lines (besides blkverify's "guest: bench name=.. mbps=.. iops=.. ops=.."):
#   guest: bench counters at=idle-start|idle-end|disk-start|disk-end uptime=S
#          (idle-*: from shoji-ctl idle, one process around its sleep)
#          [KEY=N ...] (shoji's VMMCALL counters) [disk_reads=N disk_writes=N
#          disk_flushes=N disk_sectors_read=N disk_sectors_written=N] (the
#          disk's completed requests and 512-byte sectors, /sys/block/X/stat;
#          under dm-crypt the scratch disk beneath the mapping)
#          disk-start..disk-end: the whole run of the four disk tests, as
#          before the per-test lines (the figures over all of them: exits
#          per command, the exit histogram, the profile); with one job the
#          same program starts as before (one blkverify) plus the per-test
#          samples' 8 VMMCALLs; with N jobs 4 x N blkverify starts, not N.
#   guest: bench counters [job=K] at=test-start|test-end test=NAME uptime=S
#          [KEY=N ...] disk_reads=N ... disk_sectors_written=N
#          per disk test, the same fields, taken by blkverify itself right
#          before the test's first I/O and right after its last (writes: its
#          fdatasync), so the window holds that test's commands and no
#          program start or console output (blkverify bench --counters).
#          NAME as in the test's name= line (seq-write-1m, seq-read-1m,
#          rand-write-4k, rand-read-4k; xtsmem-* over the RAM disk, its disk
#          /dev/ram0). The pair comes right before the test's name= line.
#          job=K with shoji.benchjobs=N: every job's own pair; the test's
#          window is the earliest start to the latest end.
#   guest: bench exitcost insn=cpuid|vmmcall|pcicfg|touch256|cpuid+touch256 n=N
#          guest_us=.. mean_us=..
#          min_us=.. [exits=N per_insn=E shoji_us=.. world_us=..]|shoji=absent
#          (shoji-ctl exitcost: what one VM exit costs, timed from inside)
#   guest: bench storm mode=edu|edu-ok devices=N dmas=N target=0x..
#          faults_before=N faults_after=N
#   guest: bench unavailable what=NAME reason=WORD

# 512 bits: AES-256-XTS, as shoji's intercepted disk (docs/disk.md); the
# same bytes as the key module scripts/bench gives shoji (0x00, 0x01, ..).
BENCH_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
_ifs=$IFS
IFS=:
set -- ${SHOJI_BENCH:-}
IFS=$_ifs
BENCH_SECS=${SHOJI_BENCHSECS:-${1:-2}}
BENCH_SPAN=${2:-64M}
IDLE_SECS=${3:-2}
echo "guest: bench params secs=$BENCH_SECS span=$BENCH_SPAN idle=$IDLE_SECS storm=${SHOJI_STORM:-none} dmcrypt=${SHOJI_DMCRYPT:-none} xtsmem=${SHOJI_XTSMEM:-none}"

under_shoji() { shoji-ctl version >/dev/null 2>&1; }

# counters AT DEV: one "guest: bench counters" line.
counters() {
	_line="guest: bench counters at=$1 uptime=$(uptime_s)"
	if under_shoji; then
		# Every decimal counter of shoji's status (exits, exits_io, ..., iommu_faults).
		_line="$_line $(shoji-ctl status | sed -n -E 's/^guest: shoji-ctl status ([a-z0-9_]+=[0-9]+)$/\1/p' | tr '\n' ' ')"
	fi
	if [ -n "$2" ] && [ -r "/sys/block/${2##*/}/stat" ]; then
		# Fields: reads completed (1), sectors read (3), writes completed (5),
		# sectors written (7), flushes completed (15).
		set -- $(cat "/sys/block/${2##*/}/stat")
		_line="$_line disk_reads=$1 disk_writes=$5 disk_flushes=${15:-0} disk_sectors_read=$3 disk_sectors_written=$7"
	fi
	echo "$_line" | tr -s ' ' | sed 's/ $//'
}

# The disk tests in blkverify's order. With shoji.benchjobs=N each runs as
# its own N programs at once (blkverify bench --test NAME), so that the
# jobs run the same test at the same time.
BENCH_TESTS="seq-write seq-read rand-write rand-read"

# disk_bench_jobs DEV STAT N TEST: one test as N jobs at once, job k pinned
# to CPU k % nproc on the k-th of N equal parts of the range; prints one line
# with the summed mbps, iops and ops (shoji.benchjobs=N) and every job's
# per-test counters lines, tagged job=k (each job samples around its own
# I/O; scripts/bench takes the earliest start and the latest end).
disk_bench_jobs() {
	_n=$3
	_part=$(( $(echo "$BENCH_SPAN" | sed 's/M$//') / _n ))
	_k=0
	_pids=
	rm -f /tmp/bench.*
	while [ "$_k" -lt "$_n" ]; do
		( taskset -c $((_k % $(nproc))) blkverify bench "$1" --test "$4" --counters "$2" \
			--offset $((1 + _k * _part))M --span "${_part}M" --seconds "$BENCH_SECS" \
			>/tmp/bench.$_k 2>&1 ) &
		_pids="$_pids $!"
		_k=$((_k + 1))
	done
	wait $_pids
	_k=0
	while [ "$_k" -lt "$_n" ]; do
		sed -n -e "s/^guest: bench counters /&job=$_k /p" -e '/^guest: blkverify /p' /tmp/bench.$_k
		_k=$((_k + 1))
	done
	cat /tmp/bench.* | sed -n 's/^guest: bench name=\([^ ]*\) .*mbps=\([0-9.]*\) iops=\([0-9.]*\) ops=\([0-9]*\).*/\1 \2 \3 \4/p' |
		awk -v n="$_n" '{ m[$1] += $2; i[$1] += $3; o[$1] += $4; c[$1]++ }
			END { for (k in m) printf "guest: bench name=%s mbps=%.1f iops=%.0f ops=%d jobs=%d\n", k, m[k], i[k], o[k], c[k];
			      for (k in c) if (c[k] != n) exit 1 }'
}

# disk_bench DEV STAT JOBS [PREFIX]: blkverify's four tests on DEV, one after
# the other, each inside its pair of per-test counters lines (STAT: the disk
# whose requests count, DEV itself or the disk under its dm-crypt mapping).
# JOBS 1: one blkverify runs all four, as before the per-test lines, so the
# whole run (disk-start..disk-end) holds the same program starts as then;
# JOBS > 1: that many jobs at once per test. PREFIX renames the tests in the
# name= and test= fields. Stops at the first test that fails.
disk_bench() {
	if [ "$3" -gt 1 ]; then
		for _t in $BENCH_TESTS; do
			_out=$(disk_bench_jobs "$1" "$2" "$3" "$_t")
			_rc=$?
			echo "$_out" | bench_rename "$4"
			[ "$_rc" -eq 0 ] || return $_rc
		done
		return 0
	fi
	_out=$(blkverify bench "$1" --counters "$2" --offset 1M --span "$BENCH_SPAN" \
		--seconds "$BENCH_SECS")
	_rc=$?
	echo "$_out" | bench_rename "$4"
	return $_rc
}

# bench_rename PREFIX: stdin to stdout, PREFIX before the test names.
bench_rename() {
	sed -e "s/^guest: bench name=/&$1/" -e "s/^\(guest: bench counters .*\) test=/\1 test=$1/"
}

storm_pids=
storm_start() {
	if [ "$1" = edu ]; then
		hv=$(shoji-ctl status | sed -n 's/.*status hv_base=//p')
		storm_target=$((hv + 0x80000))
	else
		storm_target=$((0x100000))
	fi
	storm_faults=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
	storm_devices=0
	rm -f /tmp/storm.*
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
		# edu-dma turns on memory decoding and bus mastering.
		edu-dma --device "${d##*/}" info >/dev/null || continue
		bar=$(($(head -n 1 "$d/resource" | cut -d' ' -f1)))
		# The DMA: 64 bytes from the target into the device's buffer (0x40000).
		devmem $((bar + 0x80)) 32 $storm_target
		devmem $((bar + 0x88)) 32 0x40000
		devmem $((bar + 0x90)) 32 64
		n=$storm_devices
		# Start (bit 0), direction RAM -> device (bit 1 clear): the device
		# reads memory. edu's DMA takes 100 ms and a start while one runs is
		# ignored, so this keeps the engine busy.
		( i=0; while :; do
			devmem $((bar + 0x98)) 32 1
			i=$((i + 1)); echo $i >/tmp/storm.$n
			usleep 100000
		done ) &
		storm_pids="$storm_pids $!"
		storm_devices=$((storm_devices + 1))
	done
	[ "$storm_devices" -gt 0 ]
}

storm_stop() {
	[ -n "$storm_pids" ] && kill $storm_pids 2>/dev/null
	wait $storm_pids 2>/dev/null
	dmas=0
	for f in /tmp/storm.*; do
		[ -f "$f" ] && dmas=$((dmas + $(cat "$f")))
	done
	echo "guest: bench storm mode=$SHOJI_STORM devices=$storm_devices dmas=$dmas target=$(printf '0x%x' $storm_target) faults_before=$storm_faults faults_after=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')"
}

# dm_map NAME DEV: dm-crypt with $SHOJI_DMCRYPT/$SHOJI_XTSMEM's cipher over DEV;
# prints the mapped device.
dm_map() {
	_sectors=$(blockdev --getsz "$2") || return 1
	echo "0 $_sectors crypt $3 $BENCH_KEY 0 $2 0" | dmsetup create "$1" >&2 || return 1
	dmsetup mknodes "$1" >/dev/null 2>&1
	[ -b "/dev/mapper/$1" ] && { echo "/dev/mapper/$1"; return 0; }
	_dm=$(ls -d /sys/block/dm-*/dm 2>/dev/null | while read -r _d; do
		[ "$(cat "$_d/name")" = "$1" ] && echo "${_d%/dm}"; done)
	[ -n "$_dm" ] && [ -b "/dev/${_dm##*/}" ] && echo "/dev/${_dm##*/}"
}

dm_ready() {
	if ! command -v dmsetup >/dev/null; then
		echo "guest: bench unavailable what=dmcrypt reason=no-dmsetup-in-initramfs"
		return 1
	fi
	for m in dm_crypt aesni_intel xts; do
		modprobe -q "$m" 2>/dev/null && continue
		echo "guest: bench unavailable what=dmcrypt reason=no-module-$m"
		return 1
	done
}

disk=$(scratch_disk)
if [ -z "$disk" ]; then
	skip disk-bench no-scratch-disk
	checks_done
	exit
fi

# The guest's own IOMMU, if it runs one: the translation type of the disk
# controller's group (DMA = strict, DMA-FQ = lazy, identity = passthrough).
_p=$(readlink -f "/sys/block/${disk##*/}/device")
while [ -n "$_p" ] && [ "$_p" != /sys ] && [ ! -e "$_p/iommu_group" ]; do _p=${_p%/*}; done
if [ -e "$_p/iommu_group/type" ]; then
	echo "guest: bench iommu device=${_p##*/} type=$(cat "$_p/iommu_group/type") units=$(ls /sys/class/iommu | wc -l)"
else
	echo "guest: bench iommu device=none type=none units=$(ls /sys/class/iommu 2>/dev/null | wc -l)"
fi

# Idle: VM exits while the guest does nothing. Both samples are taken by
# one process around its own sleep (shoji-ctl idle): no program starts in
# the window (each busybox applet started costs ~35 CPUID exits, its static
# C library's start-up), only the kernel's idle and its timer.
if under_shoji && [ "$IDLE_SECS" != 0 ]; then
	shoji-ctl idle "$IDLE_SECS" | sed -n -E 's/^guest: shoji-ctl idle at=(start|end) /guest: bench counters at=idle-\1 /p'
fi

# One VM exit's price: the guest's time per CPUID/VMMCALL/config read
# against shoji's own exit_tsc_ticks per exit; natively the same loops time
# the instructions themselves (docs/apic.md, "What one exit costs").
shoji-ctl exitcost 5000 | sed -n 's/^guest: shoji-ctl exitcost /guest: bench exitcost /p'

target=$disk
if [ -n "${SHOJI_DMCRYPT:-}" ]; then
	if dm_ready && target=$(dm_map shoji-bench "$disk" "$SHOJI_DMCRYPT"); then
		echo "guest: bench dmcrypt cipher=$SHOJI_DMCRYPT device=$target over=$disk driver=$(sed -n '/^name *: xts(aes)$/,/^$/s/^driver *: //p' /proc/crypto | head -n 1)"
	else
		echo "guest: bench unavailable what=dmcrypt reason=dmsetup-create-failed"
		target=
	fi
fi

if [ -n "$target" ]; then
	storming=
	if [ -n "${SHOJI_STORM:-}" ]; then
		if ! under_shoji; then
			echo "guest: bench unavailable what=storm reason=no-shoji"
		elif storm_start "$SHOJI_STORM"; then
			storming=1
		else
			echo "guest: bench unavailable what=storm reason=no-edu-device"
		fi
	fi
	# The disk's requests count where its commands are: under dm-crypt the
	# scratch disk beneath the mapping (the mapping's own /dev/mapper node
	# has no /sys/block entry of that name).
	counters disk-start "$disk"
	check disk-bench disk_bench "$target" "$disk" "${SHOJI_BENCHJOBS:-1}"
	counters disk-end "$disk"
	[ -n "$storming" ] && storm_stop
	if [ -n "${SHOJI_DMCRYPT:-}" ]; then
		dmsetup remove shoji-bench
	fi
else
	skip disk-bench no-target
fi

# AES-XTS over memory: dm-crypt on a RAM disk, the guest's own crypto speed
# (AES-NI, emulated by QEMU TCG), read against the encrypted-disk figures.
if [ -n "${SHOJI_XTSMEM:-}" ]; then
	if dm_ready && modprobe -q brd rd_nr=1 rd_size=$((96 * 1024)) &&
		mem=$(dm_map shoji-xtsmem /dev/ram0 "$SHOJI_XTSMEM"); then
		check xtsmem-bench disk_bench "$mem" /dev/ram0 1 xtsmem-
		dmsetup remove shoji-xtsmem
	else
		echo "guest: bench unavailable what=xtsmem reason=setup-failed"
	fi
fi

checks_done
