build-ir/image/src/iommu/amdvi_cmd.o: src/iommu/amdvi_cmd.c \
 src/iommu/amdvi_cmd.h src/lib/types.h src/iommu/amdvi_regs.h \
 src/lib/error.h src/lib/string.h
src/iommu/amdvi_cmd.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
src/lib/string.h:
