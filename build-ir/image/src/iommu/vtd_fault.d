build-ir/image/src/iommu/vtd_fault.o: src/iommu/vtd_fault.c \
 src/iommu/vtd_fault.h src/iommu/fault.h src/lib/types.h \
 src/iommu/vtd_regs.h src/lib/log.h src/lib/string.h
src/iommu/vtd_fault.h:
src/iommu/fault.h:
src/lib/types.h:
src/iommu/vtd_regs.h:
src/lib/log.h:
src/lib/string.h:
