build-ir/image/src/iommu/amdvi_ir.o: src/iommu/amdvi_ir.c \
 src/iommu/amdvi.h src/iommu/amdvi_cmdbuf.h src/iommu/amdvi_cmd.h \
 src/lib/types.h src/iommu/amdvi_evlog.h src/iommu/amdvi_event.h \
 src/iommu/fault.h src/iommu/ivrs.h src/iommu/amdvi_irte.h \
 src/iommu/irq_remap.h src/platform/pci_cfg.h src/lib/error.h \
 src/lib/hal.h src/lib/log.h
src/iommu/amdvi.h:
src/iommu/amdvi_cmdbuf.h:
src/iommu/amdvi_cmd.h:
src/lib/types.h:
src/iommu/amdvi_evlog.h:
src/iommu/amdvi_event.h:
src/iommu/fault.h:
src/iommu/ivrs.h:
src/iommu/amdvi_irte.h:
src/iommu/irq_remap.h:
src/platform/pci_cfg.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
