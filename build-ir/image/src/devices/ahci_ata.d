build-ir/image/src/devices/ahci_ata.o: src/devices/ahci_ata.c \
 src/devices/ahci_ata.h src/lib/types.h src/devices/ahci_regs.h \
 src/lib/string.h
src/devices/ahci_ata.h:
src/lib/types.h:
src/devices/ahci_regs.h:
src/lib/string.h:
