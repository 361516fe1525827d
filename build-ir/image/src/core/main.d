build-ir/image/src/core/main.o: src/core/main.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/paging.h src/arch/x86/serial.h \
 src/arch/x86/time.h src/arch/x86/trap.h src/boot/layout.h \
 src/core/disk.h src/platform/bootinfo.h src/platform/memmap.h \
 src/platform/options.h src/lib/cmdline.h src/crypto/cpu.h \
 src/core/guest.h src/arch/x86/npt.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/platform/acpi.h src/core/power.h \
 src/platform/acpi_power.h src/vmm/mmio_emul.h src/vmm/vcpu.h \
 src/vmm/x86_decode.h src/vmm/power.h src/core/selftest_dma.h \
 src/core/status.h src/arch/x86/stop.h src/iommu/iommu.h \
 src/iommu/domain.h src/iommu/iopt.h src/lib/error.h src/lib/log.h \
 src/lib/printf.h src/platform/palloc.h src/platform/pci.h \
 src/vmm/chipset_guard.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/paging.h:
src/arch/x86/serial.h:
src/arch/x86/time.h:
src/arch/x86/trap.h:
src/boot/layout.h:
src/core/disk.h:
src/platform/bootinfo.h:
src/platform/memmap.h:
src/platform/options.h:
src/lib/cmdline.h:
src/crypto/cpu.h:
src/core/guest.h:
src/arch/x86/npt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/platform/acpi.h:
src/core/power.h:
src/platform/acpi_power.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/power.h:
src/core/selftest_dma.h:
src/core/status.h:
src/arch/x86/stop.h:
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/platform/palloc.h:
src/platform/pci.h:
src/vmm/chipset_guard.h:
