# attacks: a hostile guest tries to reach the hypervisor (shoji.script=attacks).
# Every check must hold under shoji; most of them fail on purpose without it.
# Needs: the edu device, and (for the bridge check) a PCI-to-PCI bridge.
# Returns non-zero if any check failed.

echo "guest: attacks start uptime=$(uptime_s)"

if ! shoji-ctl version; then
	echo "guest: attacks no shoji underneath"
	checks_done
	exit 1
fi
status=$(shoji-ctl status)
echo "$status"
hv=$(echo "$status" | sed -n 's/.*status hv_base=//p')
hv_end=$(echo "$status" | sed -n 's/.*status hv_end=//p')
echo "guest: attacks hv_base=$hv hv_end=$hv_end"
before=$(shoji-ctl selfcheck | field checksum)

# The region is reserved in the guest's memory map.
region_reserved() {
	grep -i "^ *$(printf '%x' $((hv)))-$(printf '%x' $((hv_end - 1))) : Reserved" /proc/iomem
}
check region-reserved region_reserved

# Reading the region returns none of its bytes (the zero page), writing it
# changes nothing of shoji (checked by shoji's own checksum below).
read_nothing() {
	out=$(physmem read "$hv" 4096); echo "$out"
	[ "$(echo "$out" | field content)" = zeros ]
}
check cpu-read-hv read_nothing
check cpu-write-hv physmem write "$hv" 4096 0x5a
read_last() {
	out=$(physmem read $((hv_end - 4096)) 4096); echo "$out"
	[ "$(echo "$out" | field content)" = zeros ]
}
check cpu-read-hv-last-page read_last

# The IOMMU's registers are out of reach (they read as zeros, writes vanish):
# VT-d's unit or the AMD-Vi IOMMU, whichever shoji drives (its status says).
iommu=$(echo "$status" | sed -n 's/.*status iommu_backend=//p')
regs=$(echo "$status" | sed -n 's/.*status iommu_regs=//p')
echo "guest: attacks iommu=$iommu regs=$regs"
iommu_unreachable() {
	out=$(physmem read "$regs" 16); echo "$out"
	[ "$(echo "$out" | field content)" = zeros ]
}
check "$iommu-registers-unreachable" iommu_unreachable
check "$iommu-registers-write" physmem write "$regs" 64 0xff
if [ "$iommu" = amdvi ]; then
	# The AMD IOMMU is a PCI function (the IVRS names it): absent for the
	# guest, read through the configuration ports themselves.
	fn_absent() {
		# Three processes, and the kernel may move CF8 in between (Linux's
		# own type-1 accesses; the latch is one per machine, as on
		# hardware): a read counts only if CF8 still holds this address
		# after it.
		for try in 1 2 3 4 5 6 7 8; do
			taskset -c 0 ioport out32 0xcf8 0x80000800 >/dev/null
			out=$(taskset -c 0 ioport in32 0xcfc)
			[ "$(taskset -c 0 ioport in32 0xcf8 | field value)" = 0x80000800 ] && break
		done
		echo "$out try=$try"
		[ "$(echo "$out" | field value)" = 0xffffffff ] && [ ! -e /sys/bus/pci/devices/0000:00:01.0 ]
	}
	check amdvi-function-hidden fn_absent
	check no-ivrs-table [ ! -e /sys/firmware/acpi/tables/IVRS ]
fi
faults_reported=$(echo "$status" | sed -n 's/.*status iommu_faults_reported=//p')

if has_edu; then
	faults_before=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
	# The device writes into the hypervisor: blocked. The guest cannot read
	# the region to check, so shoji's checksum and fault log tell.
	check edu-write-hv edu-dma write-to $((hv + 0x80000)) 256
	check edu-read-hv edu-dma read-from $((hv + 0x1000)) 256
	fault_logged() {
		shoji-ctl faults
		n=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
		echo "guest: attacks iommu_faults before=$faults_before after=$n"
		[ "$n" -gt "$faults_before" ]
	}
	if [ "$faults_reported" = no ]; then
		skip edu-fault-logged iommu-reports-no-faults
	else
		check edu-fault-logged fault_logged
	fi
	check edu-own-buffer edu-dma selftest

	# Moving edu's BAR over the hypervisor region is refused: it reads back
	# unchanged.
	edu=$(pci_find 0x1234 0x11e8)
	bar_move() {
		old=$(od -An -tx4 -j16 -N4 "$edu/config" | tr -d ' ')
		printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((hv & 0xff)) $(((hv >> 8) & 0xff)) $(((hv >> 16) & 0xff)) $(((hv >> 24) & 0xff)))" |
			dd of="$edu/config" bs=4 seek=4 count=1 conv=notrunc 2>/dev/null
		new=$(od -An -tx4 -j16 -N4 "$edu/config" | tr -d ' ')
		echo "guest: attacks bar0 before=0x$old after=0x$new"
		[ "$old" = "$new" ]
	}
	check bar-over-hv-refused bar_move
else
	skip edu-write-hv no-edu-device
fi

bridge=
for d in /sys/bus/pci/devices/*; do
	[ "$(cut -c1-6 "$d/class")" = 0x0604 ] && { bridge=$d; break; }
done
if [ -n "$bridge" ]; then
	renumber() {
		old=$(od -An -tx1 -j25 -N1 "$bridge/config" | tr -d ' ')
		printf '\007' | dd of="$bridge/config" bs=1 seek=25 count=1 conv=notrunc 2>/dev/null
		new=$(od -An -tx1 -j25 -N1 "$bridge/config" | tr -d ' ')
		echo "guest: attacks bridge=${bridge##*/} secondary before=$old after=$new"
		[ "$old" = "$new" ]
	}
	check bridge-renumber-refused renumber
else
	skip bridge-renumber-refused no-bridge
fi

# INIT and start-up IPIs never reach the hardware: shoji's start-up state
# machine takes them, and refuses (counts) those it must not pass: an INIT
# to the sending CPU itself (shorthand self: natively it resets that CPU)
# and a start-up IPI to every CPU including the sender (shorthand all).
# Shorthands, because user space cannot write the ICR's two halves
# atomically: the kernel's own IPIs rewrite the destination dword between
# two devmem runs (a physical destination is checked in the unit tests).
wake_cpu() {
	before_ipi=$(shoji-ctl status | sed -n 's/.*status apic_ipis_refused=//p')
	devmem 0xfee00300 32 0x00044500 || return 1	# INIT, assert, to self
	devmem 0xfee00300 32 0x00084608 || return 1	# start-up, vector 0x08, to all
	after_ipi=$(shoji-ctl status | sed -n 's/.*status apic_ipis_refused=//p')
	echo "guest: attacks apic_ipis_refused before=$before_ipi after=$after_ipi cpus=$(nproc)"
	[ "$after_ipi" -eq $((before_ipi + 2)) ] && [ "$(nproc)" = "${SHOJI_CPUS:-1}" ]
}
check cpu-wakeup-refused wake_cpu

# The same IPIs around the ICR: QEMU sends a CPU write to the APIC window
# outside the registers (0xfee01000: destination APIC id 1 in address bits
# 19:12; register 0 at 0xfee00000) as an MSI with the written data, and a
# 64-bit write at 0x2fc reaches the ICR as its second dword. All dropped.
wake_cpu_around_icr() {
	before_w=$(shoji-ctl status | sed -n 's/.*status apic_writes_refused=//p')
	devmem 0xfee01000 32 0x00004500 || return 1	# MSI: INIT to APIC 1
	devmem 0xfee01000 32 0x00004608 || return 1	# MSI: start-up, vector 0x08
	devmem 0xfee00000 32 0x00004500 || return 1	# register 0: MSI INIT to APIC 0
	devmem 0xfee002fc 64 0x0000450000000000 || return 1	# ICR as a second dword
	after_w=$(shoji-ctl status | sed -n 's/.*status apic_writes_refused=//p')
	echo "guest: attacks apic_writes_refused before=$before_w after=$after_w cpus=$(nproc)"
	[ "$after_w" -eq $((before_w + 4)) ] && [ "$(nproc)" = "${SHOJI_CPUS:-1}" ]
}
check cpu-wakeup-around-icr-refused wake_cpu_around_icr

after=$(shoji-ctl selfcheck | field checksum)
echo "guest: attacks selfcheck before=$before after=$after"
unchanged() { [ -n "$before" ] && [ "$before" = "$after" ]; }
check hypervisor-unchanged unchanged
check no-dmar-table [ ! -e /sys/firmware/acpi/tables/DMAR ]
# Every CPU of the machine is the guest's (shoji.cpus=N says how many).
check guest-cpus [ "$(nproc)" = "${SHOJI_CPUS:-1}" ]

disk=$(scratch_disk)
if [ -n "$disk" ]; then
	check blkverify blkverify "$disk" --bytes 2M --offset 1M --seed 3
fi
if [ -e /sys/class/net/eth0 ]; then
	check net-dhcp udhcpc -i eth0 -n -q -f -t 5 -T 1 -s /lib/shoji/udhcpc.script
fi
shoji-ctl status | grep -E "pci_refusals|npt_hole|exits="
echo "guest: attacks end uptime=$(uptime_s)"
checks_done
