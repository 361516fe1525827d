build-ir/image/src/arch/x86/serial.o: src/arch/x86/serial.c \
 src/arch/x86/cpu.h src/lib/types.h src/arch/x86/serial.h \
 src/lib/deadline.h src/lib/hal.h src/lib/log.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/serial.h:
src/lib/deadline.h:
src/lib/hal.h:
src/lib/log.h:
