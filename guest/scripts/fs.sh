# fs: a filesystem on the (intercepted, encrypted) disk (shoji.script=fs).
#   shoji.fsmode=write   mke2fs, mount, write two files, sync, unmount
#   shoji.fsmode=read    mount and check both files
# File contents are deterministic, so the host can look for them:
#   a.txt  "SHOJI-FILE-MARKER line N" for N = 1..4000
#   b.bin  the bytes 0..255 repeated 512 times (128 KiB)
# Returns non-zero if any check failed.

disk=$(disk_named "${SHOJI_DISK:-sda}")
mode=${SHOJI_FSMODE:-write}
echo "guest: fs start device=$disk mode=$mode uptime=$(uptime_s)"

make_files() {
	i=1
	while [ $i -le 4000 ]; do
		echo "SHOJI-FILE-MARKER line $i"
		i=$((i + 1))
	done >/tmp/a.txt
	: >/tmp/b.bin
	printf "$(i=0; while [ $i -lt 256 ]; do printf '\\%03o' $i; i=$((i + 1)); done)" >/tmp/b1
	i=0
	while [ $i -lt 512 ]; do cat /tmp/b1; i=$((i + 1)); done >/tmp/b.bin
}

fs_write() {
	mke2fs -q "$disk" || return 1
	mount -t ext4 "$disk" /mnt || return 1
	cp /tmp/a.txt /tmp/b.bin /mnt/ && sync && umount /mnt
}

fs_read() {
	mount -t ext4 -o ro "$disk" /mnt || return 1
	cmp /mnt/a.txt /tmp/a.txt && cmp /mnt/b.bin /tmp/b.bin
	rc=$?
	umount /mnt
	return $rc
}

modprobe ext4 2>/dev/null
mkdir -p /mnt
make_files
echo "guest: fs files a.txt=$(md5sum </tmp/a.txt | cut -d' ' -f1) b.bin=$(md5sum </tmp/b.bin | cut -d' ' -f1)"
case $mode in
write) check fs-write fs_write ;;
read) check fs-read fs_read ;;
*) echo "guest: fs error: unknown shoji.fsmode=$mode" ;;
esac
echo "guest: fs end uptime=$(uptime_s)"
checks_done
