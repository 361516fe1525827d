build-ir/image/src/iommu/amdvi_evlog.o: src/iommu/amdvi_evlog.c \
 src/iommu/amdvi_evlog.h src/iommu/amdvi_event.h src/lib/types.h \
 src/iommu/amdvi_regs.h src/lib/deadline.h src/lib/hal.h src/lib/error.h \
 src/lib/log.h src/lib/string.h
src/iommu/amdvi_evlog.h:
src/iommu/amdvi_event.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
