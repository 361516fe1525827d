build-ir/image/src/vmm/apic_guard.o: src/vmm/apic_guard.c src/lib/hal.h \
 src/lib/types.h src/lib/log.h src/vmm/apic_guard.h src/vmm/irq_policy.h \
 src/iommu/irq_remap.h src/platform/pci_cfg.h src/vmm/mmio_emul.h \
 src/vmm/vcpu.h src/vmm/x86_decode.h
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/vmm/apic_guard.h:
src/vmm/irq_policy.h:
src/iommu/irq_remap.h:
src/platform/pci_cfg.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
