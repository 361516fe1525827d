build-ir/image/src/vmm/irq_policy.o: src/vmm/irq_policy.c \
 src/lib/printf.h src/lib/types.h src/vmm/irq_policy.h \
 src/iommu/irq_remap.h src/platform/pci_cfg.h
src/lib/printf.h:
src/lib/types.h:
src/vmm/irq_policy.h:
src/iommu/irq_remap.h:
src/platform/pci_cfg.h:
