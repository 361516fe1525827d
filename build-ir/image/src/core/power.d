build-ir/image/src/core/power.o: src/core/power.c src/arch/x86/cpu.h \
 src/lib/types.h src/core/power.h src/platform/acpi_power.h \
 src/platform/acpi.h src/vmm/mmio_emul.h src/vmm/vcpu.h \
 src/vmm/x86_decode.h src/vmm/power.h src/arch/x86/stop.h \
 src/platform/options.h src/lib/cmdline.h src/lib/deadline.h \
 src/lib/hal.h src/lib/log.h src/vmm/power_policy.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/core/power.h:
src/platform/acpi_power.h:
src/platform/acpi.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
src/vmm/power.h:
src/arch/x86/stop.h:
src/platform/options.h:
src/lib/cmdline.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/log.h:
src/vmm/power_policy.h:
