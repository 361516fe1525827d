# amdvi: what a guest sees of QEMU's AMD IOMMU (shoji.script=amdvi; boot with
# iomem=relaxed): its PCI function 00:01.0 read through the configuration
# ports themselves, the IVRS table, its registers at 0xfed80000 (the
# Extended Feature Register at +0x30), and whether the guest's kernel took
# the IOMMU. Natively (QEMU -device amd-iommu) all of it is there; under
# shoji none of it is. The integration tests decide from the line.
ioport out32 0xcf8 0x80000800 >/dev/null
fn=$(ioport in32 0xcfc | field value)
cmd_before=$(ioport out32 0xcf8 0x80000804 >/dev/null; ioport in32 0xcfc | field value)
# Try to turn the function's bus mastering and MSI off as a hostile guest
# would (command register, bits 2 and 10 written).
ioport out32 0xcf8 0x80000804 >/dev/null
ioport out16 0xcfc 0x0400 >/dev/null
cmd_after=$(ioport out32 0xcf8 0x80000804 >/dev/null; ioport in32 0xcfc | field value)
ivrs=no
[ -e /sys/firmware/acpi/tables/IVRS ] && ivrs=yes
regs=$(physmem read 0xfed80030 8 | field content)
taken=$(dmesg | grep -c "AMD-Vi: Interrupt remapping enabled\|AMD-Vi: Found IOMMU")
echo "guest: amdvi function=$fn command_before=$cmd_before command_after=$cmd_after ivrs=$ivrs efr_content=$regs kernel_amdvi_lines=$taken"
true
