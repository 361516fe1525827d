build-ir/image/src/platform/acpi.o: src/platform/acpi.c \
 src/platform/acpi.h src/lib/types.h src/lib/error.h src/lib/hal.h \
 src/lib/log.h src/lib/string.h
src/platform/acpi.h:
src/lib/types.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/string.h:
