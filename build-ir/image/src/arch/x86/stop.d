build-ir/image/src/arch/x86/stop.o: src/arch/x86/stop.c \
 src/arch/x86/cpu.h src/lib/types.h src/arch/x86/stop.h \
 src/platform/options.h src/lib/cmdline.h src/crypto/secrets.h \
 src/lib/log.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/stop.h:
src/platform/options.h:
src/lib/cmdline.h:
src/crypto/secrets.h:
src/lib/log.h:
