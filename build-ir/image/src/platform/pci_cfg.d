build-ir/image/src/platform/pci_cfg.o: src/platform/pci_cfg.c \
 src/platform/pci_cfg.h src/lib/types.h src/lib/error.h src/lib/hal.h \
 src/lib/log.h
src/platform/pci_cfg.h:
src/lib/types.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
