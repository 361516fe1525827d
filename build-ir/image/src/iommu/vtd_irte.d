build-ir/image/src/iommu/vtd_irte.o: src/iommu/vtd_irte.c \
 src/iommu/vtd_irte.h src/iommu/irq_remap.h src/lib/types.h \
 src/platform/pci_cfg.h src/iommu/vtd_regs.h
src/iommu/vtd_irte.h:
src/iommu/irq_remap.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/iommu/vtd_regs.h:
