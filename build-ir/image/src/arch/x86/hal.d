build-ir/image/src/arch/x86/hal.o: src/arch/x86/hal.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/paging.h src/boot/layout.h src/lib/hal.h \
 src/platform/palloc.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/paging.h:
src/boot/layout.h:
src/lib/hal.h:
src/platform/palloc.h:
