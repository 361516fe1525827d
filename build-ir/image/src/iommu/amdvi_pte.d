build-ir/image/src/iommu/amdvi_pte.o: src/iommu/amdvi_pte.c \
 src/iommu/amdvi_pte.h src/lib/types.h src/iommu/amdvi_regs.h \
 src/lib/error.h src/iommu/iopt.h
src/iommu/amdvi_pte.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
src/iommu/iopt.h:
