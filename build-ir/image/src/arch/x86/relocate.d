build-ir/image/src/arch/x86/relocate.o: src/arch/x86/relocate.S
