build-ir/image/src/iommu/iopt.o: src/iommu/iopt.c src/iommu/iopt.h \
 src/lib/types.h src/lib/error.h src/lib/hal.h src/lib/string.h
src/iommu/iopt.h:
src/lib/types.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/string.h:
