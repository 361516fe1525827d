build-ir/image/src/iommu/ivrs.o: src/iommu/ivrs.c src/iommu/ivrs.h \
 src/lib/types.h src/iommu/amdvi_regs.h src/lib/error.h \
 src/platform/acpi.h src/lib/log.h src/lib/printf.h src/lib/string.h
src/iommu/ivrs.h:
src/lib/types.h:
src/iommu/amdvi_regs.h:
src/lib/error.h:
src/platform/acpi.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
