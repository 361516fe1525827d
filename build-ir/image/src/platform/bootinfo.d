build-ir/image/src/platform/bootinfo.o: src/platform/bootinfo.c \
 src/boot/multiboot.h src/lib/error.h src/lib/hal.h src/lib/types.h \
 src/lib/log.h src/lib/string.h src/platform/bootinfo.h \
 src/platform/memmap.h
src/boot/multiboot.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/lib/string.h:
src/platform/bootinfo.h:
src/platform/memmap.h:
