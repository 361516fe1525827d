build-ir/image/src/iommu/amdvi_dte.o: src/iommu/amdvi_dte.c \
 src/iommu/amdvi_dte.h src/lib/types.h src/iommu/amdvi_regs.h \
 src/lib/error.h src/lib/string.h
src/iommu/amdvi_dte.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
src/lib/string.h:
