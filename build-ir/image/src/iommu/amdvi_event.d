build-ir/image/src/iommu/amdvi_event.o: src/iommu/amdvi_event.c \
 src/iommu/amdvi_event.h src/lib/types.h src/iommu/amdvi_regs.h \
 src/lib/error.h src/lib/string.h
src/iommu/amdvi_event.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
src/lib/string.h:
