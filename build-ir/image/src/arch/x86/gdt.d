build-ir/image/src/arch/x86/gdt.o: src/arch/x86/gdt.c src/arch/x86/trap.h \
 src/lib/types.h src/boot/layout.h src/lib/string.h
src/arch/x86/trap.h:
src/lib/types.h:
src/boot/layout.h:
src/lib/string.h:
