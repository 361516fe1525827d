# platform: a hostile guest against the chipset registers, SMM and the MSRs
# that shape the memory map (shoji.script=platform). Boot with iomem=relaxed.
#
# Every attack runs natively and under shoji alike and prints what it saw
# ('guest: platform-attack ... result=...'); the integration tests decide:
# natively the attacks work (the registers change, the SMI handler runs,
# RCBA overlays the target), under shoji none does and the guest goes on.
# Knobs: shoji.rcba_target=ADDR (default: shoji's region, or 0x30000000),
# shoji.smm_marker=ADDR (reserved RAM the SMI handler increments, 0x30000100),
# shoji.hold=SECONDS (sleep at the end so the host can look at the machine).

echo "guest: platform start uptime=$(uptime_s)"
under_shoji=no
target=${SHOJI_RCBA_TARGET:-0x30000000}
if shoji-ctl version >/dev/null 2>&1; then
	under_shoji=yes
	status=$(shoji-ctl status)
	hv=$(echo "$status" | sed -n 's/.*status hv_base=//p')
	[ -n "$SHOJI_RCBA_TARGET" ] || target=$hv
	before=$(shoji-ctl selfcheck | field checksum)
fi
echo "guest: platform shoji=$under_shoji rcba_target=$target"
modprobe msr || echo "guest: platform error: no msr module"

# SMM first, while the ACPI block is as the firmware left it: SMRAM D_OPEN,
# an SMI handler of ours, APMC. SMI_EN (PMBASE + 0x30) bit 5 is APMC_EN.
pmbase=$(( $(platform-attack cfg-read 00:1f.0 0x40 4 | field value) & 0xff80 ))
echo "guest: platform pmbase=$pmbase $(platform-attack io-read $((pmbase + 0x30)) 4 | sed 's/.*io-read //')"
echo "guest: platform attack=smm"
platform-attack smm "${SHOJI_SMM_MARKER:-0x30000100}"

cfg() { platform-attack cfg-read "$1" "$2" "$3" | field value; }

# The firmware's ECAM window, as the guest's kernel got it from the MCFG.
ecam=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : PCI MMCONFIG.*/\1/p' /proc/iomem | head -n 1)
echo "guest: platform ecam=${ecam:+0x}${ecam:-none}"

# attack NAME BDF OFF SIZE VALUE: one configuration write (restored at once),
# through the CF8/CFC ports, then the same through the ECAM window
# (attack=ecam-NAME): both paths must be guarded alike.
attack() {
	echo "guest: platform attack=$1"
	platform-attack cfg-write "$2" "$3" "$4" "$5"
	if [ -n "$ecam" ]; then
		echo "guest: platform attack=ecam-$1"
		platform-attack ecam-write "0x$ecam" "$2" "$3" "$4" "$5"
	fi
}

# Host bridge (Q35 MCH): the memory map and SMRAM.
pam0=$(cfg 00:00.0 0x90 1)
attack pam0 00:00.0 0x90 1 $((pam0 ^ 0x30))
pam5=$(cfg 00:00.0 0x95 1)
attack pam5-word 00:00.0 0x94 2 $(( ($(cfg 00:00.0 0x94 2) ^ 0x3300) ))
smram=$(cfg 00:00.0 0x9d 1)
echo "guest: platform smram=$smram pam0=$pam0 pam5=$pam5"
attack smram-dopen 00:00.0 0x9d 1 $((smram | 0x40))
attack smram-dword-at-9c 00:00.0 0x9c 4 $(( $(cfg 00:00.0 0x9c 4) | 0x4000 ))
attack tseg-enable 00:00.0 0x9e 1 $(( $(cfg 00:00.0 0x9e 1) | 0x01 ))
attack pciexbar-high 00:00.0 0x64 4 1
attack pciexbar-disable 00:00.0 0x60 1 $(( $(cfg 00:00.0 0x60 1) & ~1 ))
attack mchbar 00:00.0 0x48 4 0x3ff00001
attack tolud 00:00.0 0xb0 2 0x1000
attack remapbase 00:00.0 0x98 2 0x0010
# LPC bridge (ICH9): its base and decode registers.
attack pmbase 00:1f.0 0x40 4 0x0c01
attack acpi-cntl 00:1f.0 0x44 1 $(( $(cfg 00:1f.0 0x44 1) ^ 0x80 ))
attack gpiobase 00:1f.0 0x48 4 0x0d01
attack gpio-cntl 00:1f.0 0x4c 1 $(( $(cfg 00:1f.0 0x4c 1) ^ 0x10 ))
attack lpc-en 00:1f.0 0x82 2 $(( $(cfg 00:1f.0 0x82 2) ^ 0x0001 ))
attack gen1-dec 00:1f.0 0x84 4 0x00fc0e01
attack rcba-byte 00:1f.0 0xf1 1 $(( ($(cfg 00:1f.0 0xf1 1) ^ 0x40) ))

# The compound attacks.
echo "guest: platform attack=rcba"
platform-attack rcba "$target"
echo "guest: platform attack=ecam"
# PCIEXBAR to 0x60000000 (above the guest's 1 GiB, below the PCI hole), then
# the edu device's BAR0 (00:03.0 on the tests' machine) through the moved window.
edu=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && basename "$d"; done | head -n 1)
if [ -n "$edu" ]; then
	platform-attack ecam 0x60000000 "${edu#0000:}" 0x10 0x50000000
else
	echo "guest: platform-attack ecam result=skipped reason=no-edu"
fi
# MSRs (AMD): the memory map, SMM and the memory types.
msr() {
	echo "guest: platform attack=msr-$1"
	platform-attack msr-write "$2" "$3"
}
msr syscfg 0xc0010010 $(( (1 << 21) | (1 << 20) | (1 << 18) ))
msr top-mem 0xc001001a 0x20000000
msr tom2 0xc001001d 0x100000000
msr smm-addr 0xc0010112 0x3f000000
msr smm-mask 0xc0010113 0xffff000003
msr smm-base 0xc0010111 0x3f000000
msr hwcr-smmlock 0xc0010015 1
msr mmio-cfg-base 0xc0010058 0x60000021
msr efer-reserved-bit9 0xc0000080 $(( $(platform-attack msr-read 0xc0000080 | field value) | (1 << 9) ))
msr efer-reserved-bit62 0xc0000080 $(( $(platform-attack msr-read 0xc0000080 | field value) | 0x4000000000000000 ))
msr efer-lme-off 0xc0000080 $(( $(platform-attack msr-read 0xc0000080 | field value) & ~(1 << 8) ))

if [ "$under_shoji" = yes ]; then
	after=$(shoji-ctl selfcheck | field checksum)
	echo "guest: platform selfcheck before=$before after=$after"
fi
echo "guest: platform done uptime=$(uptime_s)"
if [ -n "$SHOJI_HOLD" ]; then
	sleep "$SHOJI_HOLD"
fi
true
