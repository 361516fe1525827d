build-ir/image/src/vmm/protect.o: src/vmm/protect.c src/lib/error.h \
 src/lib/log.h src/lib/types.h src/lib/printf.h src/platform/pci.h \
 src/platform/pci_cfg.h src/vmm/protect.h
src/lib/error.h:
src/lib/log.h:
src/lib/types.h:
src/lib/printf.h:
src/platform/pci.h:
src/platform/pci_cfg.h:
src/vmm/protect.h:
