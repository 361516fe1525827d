build-ir/image/src/vmm/pci_guard.o: src/vmm/pci_guard.c src/lib/log.h \
 src/lib/types.h src/platform/pci.h src/platform/pci_cfg.h \
 src/vmm/chipset_guard.h src/vmm/pci_guard.h src/vmm/protect.h
src/lib/log.h:
src/lib/types.h:
src/platform/pci.h:
src/platform/pci_cfg.h:
src/vmm/chipset_guard.h:
src/vmm/pci_guard.h:
src/vmm/protect.h:
