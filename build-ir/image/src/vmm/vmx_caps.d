build-ir/image/src/vmm/vmx_caps.o: src/vmm/vmx_caps.c src/lib/error.h \
 src/lib/printf.h src/lib/types.h src/vmm/vmx_caps.h
src/lib/error.h:
src/lib/printf.h:
src/lib/types.h:
src/vmm/vmx_caps.h:
