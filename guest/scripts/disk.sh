# disk: data on the intercepted, encrypted disk (shoji.script=disk).
#   shoji.diskmode=write   write a plaintext marker and blkverify patterns
#   shoji.diskmode=read    read them back and verify them
#   shoji.diskmode=verify  verify only the blkverify pattern (e.g. a disk the
#                          host encrypted)
#   shoji.seed=N           blkverify seed (default 5)
#   shoji.disk=NAME[+NAME] the disk(s), see disk_named (default sda); with
#                          two, every check name gets -1 / -2 appended
# The marker text is "SHOJI-PLAINTEXT-MARKER" repeated over 64 KiB at
# byte offset 4 MiB; the pattern covers 256 KiB at offset 1 MiB.
# Returns non-zero if any check failed.

mode=${SHOJI_DISKMODE:-write}
seed=${SHOJI_SEED:-5}
names=$(echo "${SHOJI_DISK:-sda}" | tr + ' ')

marker_file() {
	yes SHOJI-PLAINTEXT-MARKER | head -c 65536 >/tmp/marker
}

write_marker() {
	marker_file
	dd if=/tmp/marker of="$disk" bs=4096 seek=1024 conv=fsync 2>/dev/null
}

read_marker() {
	marker_file
	dd if="$disk" of=/tmp/back bs=4096 skip=1024 count=16 2>/dev/null
	cmp /tmp/marker /tmp/back
}

# one_disk SUFFIX: the checks of $mode on $disk.
one_disk() {
	echo "guest: disk start device=$disk mode=$mode uptime=$(uptime_s)"
	if [ ! -b "$disk" ]; then
		echo "guest: disk error: no block device $disk"
		return 1
	fi
	case $mode in
	write)
		check disk-write-pattern$1 blkverify write "$disk" --bytes 256K --offset 1M --seed "$seed"
		check disk-write-marker$1 write_marker
		sync
		;;
	read)
		echo 3 >/proc/sys/vm/drop_caches
		check disk-read-pattern$1 blkverify verify "$disk" --bytes 256K --offset 1M --seed "$seed"
		check disk-read-marker$1 read_marker
		;;
	verify)
		echo 3 >/proc/sys/vm/drop_caches
		check disk-verify-pattern$1 blkverify verify "$disk" --bytes 256K --offset 1M --seed "$seed"
		;;
	*)
		echo "guest: disk error: unknown shoji.diskmode=$mode"
		return 1
		;;
	esac
}

n=0
many=
[ "$(echo $names | wc -w)" -gt 1 ] && many=yes
for name in $names; do
	n=$((n + 1))
	disk=$(disk_named "$name")
	if ! one_disk ${many:+-$n}; then
		checks_done
		exit 1
	fi
done
shoji-ctl status | grep -E 'disk_|ide_|exits_io_' || true
echo "guest: disk end uptime=$(uptime_s)"
checks_done
