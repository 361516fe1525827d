build-ir/image/src/vmm/guest_mem.o: src/vmm/guest_mem.c src/lib/error.h \
 src/lib/hal.h src/lib/types.h src/lib/string.h src/vmm/guest_mem.h \
 src/vmm/protect.h src/platform/pci_cfg.h
src/lib/error.h:
src/lib/hal.h:
src/lib/types.h:
src/lib/string.h:
src/vmm/guest_mem.h:
src/vmm/protect.h:
src/platform/pci_cfg.h:
