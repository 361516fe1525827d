build-ir/image/src/arch/x86/fpu.o: src/arch/x86/fpu.c src/arch/x86/cpu.h \
 src/lib/types.h src/crypto/cpu.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/crypto/cpu.h:
