build-ir/image/src/arch/x86/paging.o: src/arch/x86/paging.c \
 src/arch/x86/cpu.h src/lib/types.h src/arch/x86/paging.h \
 src/boot/layout.h src/lib/error.h src/lib/hal.h src/lib/log.h \
 src/platform/palloc.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/paging.h:
src/boot/layout.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/platform/palloc.h:
