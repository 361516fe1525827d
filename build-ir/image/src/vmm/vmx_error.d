build-ir/image/src/vmm/vmx_error.o: src/vmm/vmx_error.c \
 src/vmm/vmx_error.h src/lib/types.h
src/vmm/vmx_error.h:
src/lib/types.h:
