build-ir/image/src/iommu/irq_remap.o: src/iommu/irq_remap.c \
 src/iommu/irq_remap.h src/lib/types.h src/platform/pci_cfg.h \
 src/lib/error.h src/lib/log.h src/platform/pci.h
src/iommu/irq_remap.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/lib/error.h:
src/lib/log.h:
src/platform/pci.h:
