build-ir/image/src/iommu/domain.o: src/iommu/domain.c src/iommu/domain.h \
 src/iommu/iopt.h src/lib/types.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/lib/error.h src/lib/log.h src/lib/printf.h \
 src/lib/string.h
src/iommu/domain.h:
src/iommu/iopt.h:
src/lib/types.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
