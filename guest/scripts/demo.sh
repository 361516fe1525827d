# demo: what the guest sees of the machine (shoji.script=demo, the default).
# Returns non-zero if a check failed.

echo "guest: demo kernel=$(uname -r) machine=$(uname -m) cpus=$(nproc)"
echo "guest: demo cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1 | tr ' ' _)"
hv=no
grep -qw hypervisor /proc/cpuinfo && hv=yes
echo "guest: demo cpu-hypervisor-flag=$hv svm=$(grep -qw svm /proc/cpuinfo && echo yes || echo no)"
echo "guest: demo memory total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) free_kb=$(sed -n 's/^MemFree: *\([0-9]*\).*/\1/p' /proc/meminfo)"

# Physical memory map as the guest's kernel sees it (top level of /proc/iomem).
grep -v '^ ' /proc/iomem | while IFS= read -r line; do
	echo "guest: demo iomem ${line%% : *} ${line#* : }" | tr -s ' '
done

# PCI devices.
for d in /sys/bus/pci/devices/*; do
	[ -e "$d" ] || continue
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	echo "guest: demo pci dev=${d##*/} id=$(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") class=$(cat "$d/class") driver=$drv"
done

# Disks.
for b in /sys/block/*; do
	[ -e "$b/device" ] || continue
	name=${b##*/}
	sectors=$(cat "$b/size")
	model=$(cat "$b/device/model" 2>/dev/null | tr -s ' ' _ | sed 's/_$//')
	echo "guest: demo disk dev=/dev/$name size_mb=$((sectors / 2048)) model=${model:-?}"
done

# Network interfaces.
for n in /sys/class/net/*; do
	[ "${n##*/}" = lo ] && continue
	[ -e "$n" ] || continue
	echo "guest: demo net iface=${n##*/} mac=$(cat "$n/address")"
done

# The protection in force, from shoji itself (VMMCALL; see docs/vmmcall.md).
hv=
if shoji-ctl version; then
	status=$(shoji-ctl status)
	echo "$status"
	hv=$(echo "$status" | sed -n 's/.*status hv_base=//p')
else
	echo "guest: demo hypervisor=none"
fi

if has_edu; then
	check edu-selftest edu-dma selftest
	if [ -n "$hv" ]; then
		# A DMA attack on the hypervisor: the device is told to write into
		# shoji's region. The IOMMU blocks it, shoji logs the fault (on the
		# console, as a "shoji: warning: vtd fault" line) and the guest
		# carries on; shoji's fault log then shows it.
		echo "guest: demo dma-attack target=$hv"
		edu-dma write-to $((hv + 0x10000)) 64
		shoji-ctl faults
		attack_blocked() { shoji-ctl faults | grep -q "addr=$(printf '0x%x' $((hv + 0x10000)))"; }
		check dma-attack-blocked attack_blocked
	fi
else
	skip edu-selftest no-edu-device
fi

checks_done
