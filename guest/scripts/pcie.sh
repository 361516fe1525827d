# pcie: the PCI Express configuration space as the guest's kernel reaches it
# (shoji.script=pcie), the same natively and under shoji, and a BAR moved
# through the ECAM window itself (not the CF8/CFC ports):
#   guest: pcie kernel mmconfig=yes|no extended=yes|no (its boot messages)
#   guest: pcie ecam base=0x... (from /proc/iomem "PCI MMCONFIG")
#   guest: pcie dev=BDF id=VVVV:DDDD cfg_size=N ext_caps=ID@OFF:vV,...|none ext_sum=MD5
#      (extended capability headers, PCI Express Base 4.0 7.6.3: ID 15:0,
#      version 19:16, next offset 31:20 from 0x100; ext_sum: bytes 0x100-0xfff)
#   guest: pcie ports-vs-ecam dev=BDF same=yes|no diff=OFF:ports=..,ecam=..|none
#      (config bytes 0-0xff through sysfs, i.e. the CF8/CFC ports, against the
#      same dwords through the ECAM window)
#   guest: pcie ecam-bar dev=BDF target=0x... before=0x... after=0x...
#      (edu's BAR0 written through the ECAM window with devmem: natively the
#      BAR follows, under shoji the PCI guard refuses a BAR over its region)
#   shoji.pcie=0xADDR   the ecam-bar target (default 0x3be00000, shoji's
#                       region on a 1 GiB machine: under shoji hv_base is used)

mm=$(dmesg | grep -c "MMCONFIG at \|MMCONFIG for domain")
noext=$(dmesg | grep -c "can't access extended PCI configuration space")
echo "guest: pcie kernel mmconfig=$([ "$mm" -gt 0 ] && echo yes || echo no) extended=$([ "$noext" -eq 0 ] && echo yes || echo no)"

# The kernel's early config reads (read_pci_config: CF8, then CFC) as its
# boot messages report them: on QEMU's TCG CPU (AMD family 0Fh) it looks for
# an AGP bridge on every bus, twice. Under shoji those reads are done in the
# exit of their CF8 write (pci_cfg_reads_fused, docs/apic.md).
#   guest: pcie early agp_none=N fused=N|none
fused=none
if shoji-ctl version >/dev/null 2>&1; then
	fused=$(shoji-ctl status | sed -n 's/.*status pci_cfg_reads_fused=//p')
fi
echo "guest: pcie early agp_none=$(dmesg | grep -c 'AGP: No AGP bridge found') fused=${fused:-missing}"

# dword OFFSET FILE: the little-endian dword at OFFSET, as a number.
dword() {
	_h=$(od -An -tx4 -j "$1" -N 4 "$2" 2>/dev/null | tr -d ' ')
	[ -n "$_h" ] && echo $((0x$_h))
}

ext_caps() {
	_off=256 _n=0 _list=
	while [ "$_off" -ge 256 ] && [ "$_n" -lt 64 ]; do
		_v=$(dword "$_off" "$1") || break
		[ -z "$_v" ] || [ "$_v" -eq 0 ] || [ "$_v" -eq 4294967295 ] && break
		_list="$_list${_list:+,}$(printf '%04x@%03x:v%d' $((_v & 0xffff)) "$_off" $(((_v >> 16) & 0xf)))"
		_off=$(((_v >> 20) & 0xffc))
		_n=$((_n + 1))
	done
	echo "${_list:-none}"
}

for d in /sys/bus/pci/devices/*; do
	[ -e "$d/config" ] || continue
	size=$(wc -c <"$d/config")
	sum=none
	[ "$size" -gt 256 ] && sum=$(dd if="$d/config" bs=256 skip=1 2>/dev/null | md5sum | cut -d' ' -f1)
	echo "guest: pcie dev=${d##*/} id=$(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") cfg_size=$size ext_caps=$(ext_caps "$d/config") ext_sum=$sum"
done

# The first 256 bytes of every function as sysfs gives them (the kernel reads
# offsets < 0x100 through the CF8/CFC ports when type 1 works) against the
# same dwords through the ECAM window (guest/src/pcicfg.c ecam-compare).
# Under shoji both paths must give the guest the same view, the MSI
# capability shoji virtualises included (that function's ECAM page traps reads).
ecam=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : PCI MMCONFIG.*/\1/p' /proc/iomem | head -n 1)
if [ -n "$ecam" ]; then
	for d in /sys/bus/pci/devices/*; do
		echo "guest: pcie ports-vs-ecam $(pcicfg ecam-compare "$d" "0x$ecam" | sed 's/^guest: pcicfg ecam-compare //')"
	done
fi

ecam_bar() {
	ecam=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : PCI MMCONFIG.*/\1/p' /proc/iomem | head -n 1)
	[ -n "$ecam" ] || { echo "guest: pcie ecam base=none"; return 1; }
	echo "guest: pcie ecam base=0x$ecam"
	edu=$(pci_find 0x1234 0x11e8) || return 1
	bdf=${edu##*/}	# 0000:BB:DD.F
	bus=$((0x$(echo "$bdf" | cut -d: -f2)))
	dev=$((0x$(echo "$bdf" | cut -d: -f3 | cut -d. -f1)))
	fn=$(echo "$bdf" | cut -d. -f2)
	reg=$((0x$ecam + (bus << 20) + (dev << 15) + (fn << 12) + 0x10))
	target=${SHOJI_PCIE:-0x3be00000}
	if shoji-ctl version >/dev/null 2>&1; then
		target=$(shoji-ctl status | sed -n 's/.*status hv_base=//p')
	fi
	before=$(devmem "$reg" 32)
	devmem "$reg" 32 "$target"
	after=$(devmem "$reg" 32)
	devmem "$reg" 32 "$before"
	echo "guest: pcie ecam-bar dev=$bdf target=$target before=$before after=$after restored=$(devmem "$reg" 32)"
}
if has_edu; then
	check ecam-bar ecam_bar
else
	skip ecam-bar no-edu
fi
checks_done
