# cpu: the CPU-side attacks, for a machine without an IOMMU (shoji.script=cpu):
# Bochs' VT-x (docs/platforms.md), where DMA cannot be checked. It runs
# natively too and prints what a guest sees there (VMX in CPUID, the VMX
# capability MSRs readable, IA32_FEATURE_CONTROL as the firmware left it);
# the checks that need shoji run only under it. Boot with iomem=relaxed.
# Returns non-zero if any check failed.

echo "guest: cpu start uptime=$(uptime_s)"
modprobe msr || echo "guest: cpu error: no msr module"
under_shoji=no
shoji-ctl version >/dev/null 2>&1 && under_shoji=yes
vendor=$(sed -n 's/^vendor_id[^:]*: //p' /proc/cpuinfo | head -n 1)
vmx_flag=no; grep -qw vmx /proc/cpuinfo && vmx_flag=yes
hv_flag=no; grep -qw hypervisor /proc/cpuinfo && hv_flag=yes
vmx_basic=$(platform-attack msr-read 0x480)
fc=$(platform-attack msr-read 0x3a)
echo "guest: cpu shoji=$under_shoji vendor=$vendor vmx_flag=$vmx_flag hypervisor_flag=$hv_flag"
echo "$vmx_basic"
echo "$fc"

if [ "$under_shoji" = no ]; then
	echo "guest: cpu end uptime=$(uptime_s)"
	checks_done
	exit 0
fi

status=$(shoji-ctl status)
echo "$status" | grep -E "status (iommu|hv_base|hv_end)="
hv=$(echo "$status" | sed -n 's/.*status hv_base=//p')
hv_end=$(echo "$status" | sed -n 's/.*status hv_end=//p')
before=$(shoji-ctl selfcheck | field checksum)

# CPUID: no VMX for the guest, the hypervisor bit, shoji's leaf (shoji-ctl
# found it, and called it with VMCALL on Intel).
check cpuid-no-vmx [ "$vmx_flag" = no ]
check cpuid-hypervisor [ "$hv_flag" = yes ]
# The VMX capability MSRs do not exist for the guest; IA32_FEATURE_CONTROL
# reads locked with VMX off and cannot be written.
check msr-vmx-basic-faults [ "$(echo "$vmx_basic" | field result)" = fault ]
fc_off() {
	v=$(echo "$fc" | field value)
	[ -n "$v" ] && [ $((v & 1)) -eq 1 ] && [ $((v & 6)) -eq 0 ]
}
check msr-feature-control-vmx-off fc_off
check msr-feature-control-write-refused expect_rc 2 platform-attack msr-write 0x3a 0x5
# The VMX instructions: #UD (SIGILL) each, and the guest goes on.
check vmx-instructions-ud vmx-insn

# The region is reserved in the guest's memory map; reading it returns
# none of its bytes (the zero page), writing it changes nothing of shoji.
region_reserved() {
	grep -i "^ *$(printf '%x' $((hv)))-$(printf '%x' $((hv_end - 1))) : Reserved" /proc/iomem
}
check region-reserved region_reserved
read_zeros() {
	out=$(physmem read "$1" 4096); echo "$out"
	[ "$(echo "$out" | field content)" = zeros ]
}
check cpu-read-hv read_zeros "$hv"
check cpu-write-hv physmem write "$hv" 4096 0x5a
check cpu-read-hv-last-page read_zeros $((hv_end - 4096))

# Waking a CPU the guest was not given: INIT and start-up IPIs through the
# local APIC's ICR are dropped and counted (the APIC guard).
wake_cpu() {
	before_ipi=$(shoji-ctl status | sed -n 's/.*status apic_ipis_refused=//p')
	devmem 0xfee00310 32 0x01000000 || return 1	# destination: APIC id 1
	devmem 0xfee00300 32 0x00004500 || return 1	# INIT, assert
	devmem 0xfee00300 32 0x00004608 || return 1	# start-up, vector 0x08
	after_ipi=$(shoji-ctl status | sed -n 's/.*status apic_ipis_refused=//p')
	echo "guest: cpu apic_ipis_refused before=$before_ipi after=$after_ipi cpus=$(nproc)"
	[ "$after_ipi" -eq $((before_ipi + 2)) ] && [ "$(nproc)" = 1 ]
}
check cpu-wakeup-refused wake_cpu

after=$(shoji-ctl selfcheck | field checksum)
echo "guest: cpu selfcheck before=$before after=$after"
unchanged() { [ -n "$before" ] && [ "$before" = "$after" ]; }
check hypervisor-unchanged unchanged
shoji-ctl status | grep -E "npt_hole|exits="
echo "guest: cpu end uptime=$(uptime_s)"
checks_done
