build-ir/image/src/iommu/iommu.o: src/iommu/iommu.c src/iommu/iommu.h \
 src/iommu/domain.h src/iommu/iopt.h src/lib/types.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/platform/memmap.h src/iommu/iommu_backend.h \
 src/iommu/irq_remap.h src/lib/error.h src/lib/log.h src/lib/printf.h \
 src/lib/string.h src/platform/pci.h
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/lib/types.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/platform/memmap.h:
src/iommu/iommu_backend.h:
src/iommu/irq_remap.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
src/platform/pci.h:
