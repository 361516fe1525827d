build-ir/image/src/iommu/dmar.o: src/iommu/dmar.c src/iommu/dmar.h \
 src/lib/types.h src/lib/error.h src/platform/acpi.h src/lib/log.h \
 src/lib/printf.h src/lib/string.h
src/iommu/dmar.h:
src/lib/types.h:
src/lib/error.h:
src/platform/acpi.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
