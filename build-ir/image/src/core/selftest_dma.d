build-ir/image/src/core/selftest_dma.o: src/core/selftest_dma.c \
 src/core/selftest_dma.h src/platform/bootinfo.h src/lib/types.h \
 src/platform/memmap.h src/iommu/iommu.h src/iommu/domain.h \
 src/iommu/iopt.h src/vmm/protect.h src/platform/pci_cfg.h \
 src/iommu/fault.h src/lib/deadline.h src/lib/hal.h src/lib/error.h \
 src/lib/log.h src/lib/string.h src/platform/palloc.h src/platform/pci.h
src/core/selftest_dma.h:
src/platform/bootinfo.h:
src/lib/types.h:
src/platform/memmap.h:
src/iommu/iommu.h:
src/iommu/domain.h:
src/iommu/iopt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/iommu/fault.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
src/platform/palloc.h:
src/platform/pci.h:
