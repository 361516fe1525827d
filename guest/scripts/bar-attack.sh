# bar-attack: a hostile guest programs PCI address decoders over the hypervisor
# region (shoji.script=bar-attack), the way issue 11 found shoji open:
#   - a 64-bit BAR moved from 0x1_xxxx_xxxx onto the region, low half first
#     (harmless on its own), then the high half; and on a second device the
#     high half first, then the low half; memory decoding stays on;
#   - a bridge's memory window opened over the region;
#   - a device's expansion ROM BAR enabled over the region;
#   - the first attack again through the ECAM window (memory writes), put
#     back afterwards.
# The target is shoji's region (VMMCALL STATUS) or, without shoji, the
# address given as shoji.target=ADDR (the test passes the region a shoji boot
# reported), so the same program shows the attack working natively.
# Decoders are LEFT where the attack put them: the host then reads QEMU's own
# view (monitor 'info pci', 'info mtree') while the VM is held at power-off.
# Needs: two devices with a 64-bit BAR (virtio-rng-pci), a PCI bridge, a
# device with an expansion ROM (e1000). Prints one line per attack:
#   guest: bar-attack NAME dev=... wanted=0x... now=0x... result=moved|refused

echo "guest: bar-attack start uptime=$(uptime_s)"
if shoji-ctl version >/dev/null 2>&1; then
	target=$(shoji-ctl status | sed -n 's/.*status hv_base=//p')
	under=shoji
else
	target=$SHOJI_TARGET
	under=native
fi
if [ -z "$target" ]; then
	echo "guest: bar-attack error: no target (no shoji, no shoji.target=)"
	exit 1
fi
target=$((target))
echo "guest: bar-attack under=$under target=$(printf 0x%x $target)"

hex() { printf 0x%x "$1"; }
# reg DEV OFF SIZE: the register's value.
reg() { pcicfg read "$1" "$2" "$3" | field value; }
# put DEV OFF SIZE VALUE: write (the readback is printed by pcicfg).
put() { pcicfg write "$1" "$2" "$3" "$4"; }

result() {	# NAME DEV WANTED NOW
	if [ $(($3)) -eq $(($4)) ]; then r=moved; else r=refused; fi
	echo "guest: bar-attack $1 dev=${2##*/} wanted=$(hex $(($3))) now=$(hex $(($4))) result=$r"
}

bar64_devs=
for d in /sys/bus/pci/devices/*; do
	pcicfg bar64 "$d" >/dev/null 2>&1 && bar64_devs="$bar64_devs $d"
done
set -- $bar64_devs
if [ $# -lt 2 ]; then
	echo "guest: bar-attack error: need two devices with a 64-bit BAR, have: $bar64_devs"
	exit 1
fi
dev_a=$1 dev_b=$2

# bar_addr DEV OFF: the 64-bit BAR's address, both halves read live.
bar_addr() {
	lo=$(reg "$1" "$2" 4)
	hi=$(reg "$1" $(($2 + 4)) 4)
	hex $(( (hi << 32) | (lo & 0xfffffff0) ))
}

# Low half first: the BAR goes to 0x1_<orig low>, then the low half becomes
# the target's (0x1_<target>: harmless), then the high half 0 (the target).
low_then_high() {
	d=$1
	off=$(pcicfg bar64 "$d" | field off)
	lo=$(reg "$d" $off 4)
	type=$((lo & 0xf))
	put "$d" $(($off + 4)) 4 1
	put "$d" $off 4 $(( (target & 0xfffffff0) | type ))
	put "$d" $(($off + 4)) 4 0
	result bar64-low-then-high "$d" $target "$(bar_addr "$d" $off)"
}

# High half first: 0 (the BAR at its low address below 4 GiB: harmless),
# then the low half: the target.
high_then_low() {
	d=$1
	off=$(pcicfg bar64 "$d" | field off)
	lo=$(reg "$d" $off 4)
	type=$((lo & 0xf))
	put "$d" $(($off + 4)) 4 1
	put "$d" $(($off + 4)) 4 0
	put "$d" $off 4 $(( (target & 0xfffffff0) | type ))
	result bar64-high-then-low "$d" $target "$(bar_addr "$d" $off)"
}

# The same low-then-high move through the ECAM window (the MCFG's, memory
# writes with devmem, not the ports the kernel uses for offsets < 0x100): the
# PCI guard must see it alike. Read back through sysfs (the device), then put
# back through ECAM, so the port attacks below start from the same BAR.
ecam_low_then_high() {
	d=$1
	ecam=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : PCI MMCONFIG.*/\1/p' /proc/iomem | head -n 1)
	if [ -z "$ecam" ]; then
		echo "guest: bar-attack error: no PCI MMCONFIG in /proc/iomem"
		return
	fi
	off=$(pcicfg bar64 "$d" | field off)
	b=${d##*/}	# 0000:BB:DD.F
	bus=$((0x$(echo "$b" | cut -d: -f2)))
	dv=$((0x$(echo "$b" | cut -d: -f3 | cut -d. -f1)))
	fn=$(echo "$b" | cut -d. -f2)
	at=$((0x$ecam + (bus << 20) + (dv << 15) + (fn << 12) + off))
	lo=$(reg "$d" $off 4)
	hi=$(reg "$d" $(($off + 4)) 4)
	devmem $((at + 4)) 32 1
	devmem $at 32 $(( (target & 0xfffffff0) | (lo & 0xf) ))
	devmem $((at + 4)) 32 0
	result ecam-bar64-low-then-high "$d" $target "$(bar_addr "$d" $off)"
	devmem $at 32 $lo
	devmem $((at + 4)) 32 $hi
}

echo "guest: bar-attack devices a=${dev_a##*/} cmd=$(reg "$dev_a" 4 2) b=${dev_b##*/} cmd=$(reg "$dev_b" 4 2)"
ecam_low_then_high "$dev_a"
low_then_high "$dev_a"
high_then_low "$dev_b"

# A bridge's memory window (PCI-to-PCI Bridge 1.2, 3.2.5.8): base and limit
# in 1 MiB units, bits 15:4 of each 16-bit half = address bits 31:20.
bridge=
for d in /sys/bus/pci/devices/*; do
	[ "$(cut -c1-6 "$d/class")" = 0x0604 ] && { bridge=$d; break; }
done
if [ -n "$bridge" ]; then
	w=$(( ((target >> 16) & 0xfff0) | ((((target + 0x100000 - 1) >> 16) & 0xfff0) << 16) ))
	put "$bridge" 0x20 4 $w
	put "$bridge" 4 2 $(( $(reg "$bridge" 4 2) | 2 ))	# memory forwarding on
	result bridge-window "$bridge" $w "$(reg "$bridge" 0x20 4)"
else
	echo "guest: bar-attack error: no PCI bridge"
fi

# An expansion ROM BAR (PCI 3.0 6.2.5.2): address in bits 31:11, bit 0 on.
rom_dev=$(pci_find 0x8086 0x100e)
if [ -n "$rom_dev" ]; then
	off=$(pcicfg rom "$rom_dev" | field off)
	put "$rom_dev" $off 4 $(( (target & 0xfffff800) | 1 ))
	put "$rom_dev" 4 2 $(( $(reg "$rom_dev" 4 2) | 2 ))
	result rom-enable "$rom_dev" $(( (target & 0xfffff800) | 1 )) "$(reg "$rom_dev" $off 4)"
else
	echo "guest: bar-attack error: no e1000 (its expansion ROM is the target)"
fi
[ "$under" = shoji ] && shoji-ctl status | grep -E "pci_refusals"
echo "guest: bar-attack done uptime=$(uptime_s)"
true
