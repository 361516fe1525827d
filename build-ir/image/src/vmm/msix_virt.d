build-ir/image/src/vmm/msix_virt.o: src/vmm/msix_virt.c \
 src/iommu/irq_remap.h src/lib/types.h src/platform/pci_cfg.h \
 src/lib/error.h src/lib/hal.h src/lib/log.h src/lib/printf.h \
 src/platform/pci.h src/vmm/apic_guard.h src/vmm/irq_policy.h \
 src/vmm/mmio_emul.h src/vmm/vcpu.h src/vmm/x86_decode.h \
 src/vmm/irq_log.h src/vmm/msix_virt.h src/vmm/protect.h
src/iommu/irq_remap.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/printf.h:
src/platform/pci.h:
src/vmm/apic_guard.h:
src/vmm/irq_policy.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/irq_log.h:
src/vmm/msix_virt.h:
src/vmm/protect.h:
