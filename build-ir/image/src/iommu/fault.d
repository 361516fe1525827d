build-ir/image/src/iommu/fault.o: src/iommu/fault.c src/iommu/fault.h \
 src/lib/types.h
src/iommu/fault.h:
src/lib/types.h:
