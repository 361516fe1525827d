# disk: data on the intercepted, encrypted disk (shoji.script=disk).
#   shoji.diskmode=write   write a plaintext marker and blkverify patterns
#   shoji.diskmode=read    read them back and verify them
#   shoji.diskmode=verify  verify only the blkverify pattern (e.g. a disk the
#                          host encrypted)
#   shoji.seed=N           blkverify seed (default 5)
# The marker text is "SHOJI-PLAINTEXT-MARKER" repeated over 64 KiB at
# byte offset 4 MiB; the pattern covers 256 KiB at offset 1 MiB.
# Returns non-zero if any check failed.

disk=/dev/${SHOJI_DISK:-sda}
mode=${SHOJI_DISKMODE:-write}
seed=${SHOJI_SEED:-5}
echo "guest: disk start device=$disk mode=$mode uptime=$(uptime_s)"

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

if [ ! -b "$disk" ]; then
	echo "guest: disk error: no block device $disk"
	checks_done
	exit 1
fi
case $mode in
write)
	check disk-write-pattern blkverify write "$disk" --bytes 256K --offset 1M --seed "$seed"
	check disk-write-marker write_marker
	sync
	;;
read)
	echo 3 >/proc/sys/vm/drop_caches
	check disk-read-pattern blkverify verify "$disk" --bytes 256K --offset 1M --seed "$seed"
	check disk-read-marker read_marker
	;;
verify)
	echo 3 >/proc/sys/vm/drop_caches
	check disk-verify-pattern blkverify verify "$disk" --bytes 256K --offset 1M --seed "$seed"
	;;
*)
	echo "guest: disk error: unknown shoji.diskmode=$mode"
	checks_done
	exit 1
	;;
esac
shoji-ctl status | grep disk_ || true
echo "guest: disk end uptime=$(uptime_s)"
checks_done
