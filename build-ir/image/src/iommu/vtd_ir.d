build-ir/image/src/iommu/vtd_ir.o: src/iommu/vtd_ir.c src/iommu/vtd_ir.h \
 src/iommu/irq_remap.h src/lib/types.h src/platform/pci_cfg.h \
 src/iommu/vtd.h src/iommu/vtd_fault.h src/iommu/fault.h \
 src/iommu/vtd_irte.h src/iommu/vtd_regs.h src/lib/error.h src/lib/hal.h \
 src/lib/log.h
src/iommu/vtd_ir.h:
src/iommu/irq_remap.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/iommu/vtd.h:
src/iommu/vtd_fault.h:
src/iommu/fault.h:
src/iommu/vtd_irte.h:
src/iommu/vtd_regs.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
