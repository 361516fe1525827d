build-ir/image/src/vmm/chipset_guard.o: src/vmm/chipset_guard.c \
 src/lib/error.h src/lib/log.h src/lib/types.h src/platform/pci.h \
 src/platform/pci_cfg.h src/vmm/chipset_guard.h
src/lib/error.h:
src/lib/log.h:
src/lib/types.h:
src/platform/pci.h:
src/platform/pci_cfg.h:
src/vmm/chipset_guard.h:
