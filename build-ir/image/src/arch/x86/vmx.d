build-ir/image/src/arch/x86/vmx.o: src/arch/x86/vmx.c src/arch/x86/cpu.h \
 src/lib/types.h src/arch/x86/vmx.h src/vmm/vmx_caps.h src/lib/error.h \
 src/lib/log.h
src/arch/x86/cpu.h:
src/lib/types.h:
src/arch/x86/vmx.h:
src/vmm/vmx_caps.h:
src/lib/error.h:
src/lib/log.h:
