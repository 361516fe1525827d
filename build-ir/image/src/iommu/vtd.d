build-ir/image/src/iommu/vtd.o: src/iommu/vtd.c src/iommu/vtd.h \
 src/iommu/vtd_fault.h src/iommu/fault.h src/lib/types.h \
 src/iommu/vtd_regs.h src/lib/deadline.h src/lib/hal.h src/lib/error.h \
 src/lib/log.h src/lib/printf.h src/lib/string.h
src/iommu/vtd.h:
src/iommu/vtd_fault.h:
src/iommu/fault.h:
src/lib/types.h:
src/iommu/vtd_regs.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
