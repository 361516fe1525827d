build-ir/image/src/iommu/vtd_backend.o: src/iommu/vtd_backend.c \
 src/iommu/dmar.h src/lib/types.h src/iommu/iommu_backend.h \
 src/iommu/domain.h src/iommu/iopt.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/iommu/iommu.h src/platform/memmap.h \
 src/iommu/irq_remap.h src/iommu/vtd.h src/iommu/vtd_fault.h \
 src/iommu/fault.h src/iommu/vtd_ir.h src/iommu/vtd_regs.h \
 src/lib/error.h src/lib/log.h src/platform/pci.h
src/iommu/dmar.h:
src/lib/types.h:
src/iommu/iommu_backend.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/iommu/iommu.h:
src/platform/memmap.h:
src/iommu/irq_remap.h:
src/iommu/vtd.h:
src/iommu/vtd_fault.h:
src/iommu/fault.h:
src/iommu/vtd_ir.h:
src/iommu/vtd_regs.h:
src/lib/error.h:
src/lib/log.h:
src/platform/pci.h:
