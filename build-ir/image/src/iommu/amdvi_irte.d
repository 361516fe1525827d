build-ir/image/src/iommu/amdvi_irte.o: src/iommu/amdvi_irte.c \
 src/iommu/amdvi_irte.h src/iommu/irq_remap.h src/lib/types.h \
 src/platform/pci_cfg.h src/iommu/amdvi_regs.h src/lib/error.h
src/iommu/amdvi_irte.h:
src/iommu/irq_remap.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
