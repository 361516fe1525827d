build-ir/image/src/vmm/ept.o: src/vmm/ept.c src/lib/error.h src/lib/hal.h \
 src/lib/types.h src/vmm/ept.h
src/lib/error.h:
src/lib/hal.h:
src/lib/types.h:
src/vmm/ept.h:
