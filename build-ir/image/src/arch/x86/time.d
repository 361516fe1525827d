build-ir/image/src/arch/x86/time.o: src/arch/x86/time.c \
 src/arch/x86/cpu.h src/lib/types.h src/arch/x86/time.h src/lib/hal.h \
 src/lib/log.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/time.h:
src/lib/hal.h:
src/lib/log.h:
