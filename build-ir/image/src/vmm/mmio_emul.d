build-ir/image/src/vmm/mmio_emul.o: src/vmm/mmio_emul.c src/lib/error.h \
 src/lib/printf.h src/lib/types.h src/vmm/mmio_emul.h src/vmm/vcpu.h \
 src/vmm/x86_decode.h
src/lib/error.h:
src/lib/printf.h:
src/lib/types.h:
src/vmm/mmio_emul.h:
src/vmm/vcpu.h:
src/vmm/x86_decode.h:
