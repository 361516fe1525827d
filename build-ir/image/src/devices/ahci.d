build-ir/image/src/devices/ahci.o: src/devices/ahci.c src/devices/ahci.h \
 src/devices/ahci_regs.h src/lib/types.h src/devices/ahci_ata.h \
 src/lib/deadline.h src/lib/hal.h src/lib/error.h src/lib/log.h \
 src/lib/string.h
src/devices/ahci.h:
src/devices/ahci_regs.h:
src/lib/types.h:
src/devices/ahci_ata.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
