build-ir/image/src/vmm/pvh.o: src/vmm/pvh.c src/lib/error.h src/lib/hal.h \
 src/lib/types.h src/lib/log.h src/lib/string.h src/vmm/pvh.h \
 src/platform/memmap.h
src/lib/error.h:
src/lib/hal.h:
src/lib/types.h:
src/lib/log.h:
src/lib/string.h:
src/vmm/pvh.h:
src/platform/memmap.h:
