build-ir/image/src/core/vmmcall.o: src/core/vmmcall.c src/arch/x86/npt.h \
 src/lib/types.h src/vmm/protect.h src/platform/pci_cfg.h \
 src/arch/x86/svm_vcpu.h src/platform/palloc.h src/vmm/apic_guard.h \
 src/vmm/irq_policy.h src/iommu/irq_remap.h src/vmm/mmio_emul.h \
 src/vmm/vcpu.h src/vmm/x86_decode.h src/vmm/guest_mem.h \
 src/arch/x86/time.h src/core/disk.h src/platform/bootinfo.h \
 src/platform/memmap.h src/platform/options.h src/lib/cmdline.h \
 src/core/status.h src/iommu/iommu.h src/iommu/domain.h src/iommu/iopt.h \
 src/iommu/fault.h src/vmm/irq_log.h src/lib/printf.h src/lib/string.h \
 src/vmm/pci_guard.h src/vmm/vmmcall.h
src/arch/x86/npt.h:
src/lib/types.h:
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
src/arch/x86/time.h:
src/core/disk.h:
src/platform/bootinfo.h:
src/platform/memmap.h:
src/platform/options.h:
src/lib/cmdline.h:
src/core/status.h:
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/iommu/fault.h:
src/vmm/irq_log.h:
src/lib/printf.h:
src/lib/string.h:
src/vmm/pci_guard.h:
src/vmm/vmmcall.h:
