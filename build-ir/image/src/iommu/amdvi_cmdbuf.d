build-ir/image/src/iommu/amdvi_cmdbuf.o: src/iommu/amdvi_cmdbuf.c \
 src/iommu/amdvi_cmdbuf.h src/iommu/amdvi_cmd.h src/lib/types.h \
 src/iommu/amdvi_regs.h src/lib/deadline.h src/lib/hal.h src/lib/error.h \
 src/lib/log.h src/lib/string.h
src/iommu/amdvi_cmdbuf.h:
src/iommu/amdvi_cmd.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
