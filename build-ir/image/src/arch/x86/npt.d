build-ir/image/src/arch/x86/npt.o: src/arch/x86/npt.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/npt.h src/vmm/protect.h \
 src/platform/pci_cfg.h src/lib/hal.h src/lib/log.h src/lib/string.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/npt.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/string.h:
