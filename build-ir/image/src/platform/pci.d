build-ir/image/src/platform/pci.o: src/platform/pci.c src/platform/pci.h \
 src/lib/types.h src/platform/pci_cfg.h src/lib/error.h src/lib/log.h \
 src/lib/printf.h src/lib/string.h
src/platform/pci.h:
src/lib/types.h:
src/platform/pci_cfg.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
