# tests: self-tests of the guest programs and of the devices the guest has
# (shoji.script=tests). Returns non-zero if any check failed.
#
# Command-line knobs (kernel command line):
#   shoji.disk=sdX|none       the scratch disk (default: first blank SATA disk)
#   shoji.blkbytes=N          bytes blkverify writes (default 4M)
#   shoji.physmem=ADDR:LEN    a physical range /dev/mem may read and write
#                             (e.g. one reserved with memmap=LEN$ADDR): fill,
#                             read back, and cross-check with edu DMA
#   shoji.net=0               skip the network check

echo "guest: tests start uptime=$(uptime_s)"

check physmem-selftest physmem selftest

# Linux refuses /dev/mem access to System RAM above 1 MiB: that must come
# back as a clean 'status=denied' (exit status 2), not a crash.
ram=$(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1 \2/p' /proc/iomem |
	while read -r s e; do
		[ $((0x$e - 0x$s)) -gt $((4 << 20)) ] && [ $((0x$s)) -ge $((1 << 20)) ] && { printf '0x%x\n' $((0x$s + (2 << 20))); break; }
	done)
if [ -n "$ram" ]; then
	check physmem-ram-denied expect_rc 2 physmem read "$ram" 4096
else
	skip physmem-ram-denied no-system-ram-range
fi

if [ -n "${SHOJI_PHYSMEM:-}" ]; then
	pa=${SHOJI_PHYSMEM%%:*}
	plen=${SHOJI_PHYSMEM#*:}
	check physmem-fill physmem fill-check "$pa" "$plen" 0xa5
	check physmem-read physmem read "$pa" "$plen"
fi

if has_edu; then
	check edu-selftest edu-dma selftest
	if [ -n "${SHOJI_PHYSMEM:-}" ]; then
		# The device writes a pattern into the reserved range; /dev/mem must
		# see exactly those bytes (same FNV-1a checksum), and the device must
		# read back what /dev/mem wrote.
		edu_dma_cross() {
			a=$(edu-dma --seed 7 write-to "$pa" 4095); echo "$a"
			b=$(physmem read "$pa" 4095); echo "$b"
			[ -n "$(echo "$a" | field fnv1a)" ] &&
				[ "$(echo "$a" | field fnv1a)" = "$(echo "$b" | field fnv1a)" ] || return 1
			physmem write "$pa" 4095 0x3c || return 1
			c=$(edu-dma read-from "$pa" 4095); echo "$c"
			d=$(physmem read "$pa" 4095); echo "$d"
			[ -n "$(echo "$c" | field fnv1a)" ] &&
				[ "$(echo "$c" | field fnv1a)" = "$(echo "$d" | field fnv1a)" ]
		}
		check edu-physmem-cross edu_dma_cross
	fi
else
	skip edu-selftest no-edu-device
fi

disk=$(scratch_disk)
if [ -n "$disk" ]; then
	check blkverify blkverify "$disk" --bytes "${SHOJI_BLKBYTES:-4M}" --offset 1M --seed "${SHOJI_SEED:-1}"
else
	skip blkverify no-scratch-disk
fi

if [ "${SHOJI_NET:-1}" != 0 ] && [ -e /sys/class/net/eth0 ]; then
	check net-dhcp udhcpc -i eth0 -n -q -f -t 5 -T 1 -s /lib/shoji/udhcpc.script
else
	skip net-dhcp no-nic
fi

echo "guest: tests end uptime=$(uptime_s)"
checks_done
