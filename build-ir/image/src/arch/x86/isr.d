build-ir/image/src/arch/x86/isr.o: src/arch/x86/isr.S
