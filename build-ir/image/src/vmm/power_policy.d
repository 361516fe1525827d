build-ir/image/src/vmm/power_policy.o: src/vmm/power_policy.c \
 src/lib/string.h src/lib/types.h src/vmm/power_policy.h \
 src/platform/acpi_power.h src/platform/acpi.h
src/lib/string.h:
src/lib/types.h:
src/vmm/power_policy.h:
src/platform/acpi_power.h:
src/platform/acpi.h:
