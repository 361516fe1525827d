build-ir/image/src/core/guest.o: src/core/guest.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/npt.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/arch/x86/svm_vcpu.h src/platform/palloc.h \
 src/vmm/apic_guard.h src/vmm/irq_policy.h src/iommu/irq_remap.h \
 src/vmm/mmio_emul.h src/vmm/vcpu.h src/vmm/x86_decode.h \
 src/vmm/guest_mem.h src/core/guest.h src/platform/acpi.h \
 src/platform/bootinfo.h src/platform/memmap.h src/core/power.h \
 src/platform/acpi_power.h src/vmm/power.h src/iommu/iommu.h \
 src/iommu/domain.h src/iommu/iopt.h src/lib/error.h src/lib/hal.h \
 src/lib/log.h src/lib/string.h src/vmm/ioapic_virt.h src/vmm/msi_virt.h \
 src/vmm/msix_virt.h src/vmm/pvh.h src/vmm/vmmcall.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/npt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/arch/x86/svm_vcpu.h:
src/platform/palloc.h:
src/vmm/apic_guard.h:
src/vmm/irq_policy.h:
src/iommu/irq_remap.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/guest_mem.h:
src/core/guest.h:
src/platform/acpi.h:
src/platform/bootinfo.h:
src/platform/memmap.h:
src/core/power.h:
src/platform/acpi_power.h:
src/vmm/power.h:
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/string.h:
src/vmm/ioapic_virt.h:
src/vmm/msi_virt.h:
src/vmm/msix_virt.h:
src/vmm/pvh.h:
src/vmm/vmmcall.h:
