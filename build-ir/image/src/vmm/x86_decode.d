build-ir/image/src/vmm/x86_decode.o: src/vmm/x86_decode.c src/lib/error.h \
 src/lib/string.h src/lib/types.h src/vmm/x86_decode.h src/vmm/vcpu.h
src/lib/error.h:
src/lib/string.h:
src/lib/types.h:
src/vmm/x86_decode.h:
src/vmm/vcpu.h:
