build-ir/image/src/arch/x86/trap.o: src/arch/x86/trap.c \
 src/arch/x86/cpu.h src/lib/types.h src/arch/x86/trap.h \
 src/arch/x86/stop.h src/platform/options.h src/lib/cmdline.h \
 src/lib/log.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/trap.h:
src/arch/x86/stop.h:
src/platform/options.h:
src/lib/cmdline.h:
src/lib/log.h:
