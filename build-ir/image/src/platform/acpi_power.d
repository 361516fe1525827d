build-ir/image/src/platform/acpi_power.o: src/platform/acpi_power.c \
 src/lib/error.h src/lib/hal.h src/lib/types.h src/lib/log.h \
 src/lib/printf.h src/lib/string.h src/platform/acpi_power.h \
 src/platform/acpi.h
src/lib/error.h:
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
src/platform/acpi_power.h:
src/platform/acpi.h:
