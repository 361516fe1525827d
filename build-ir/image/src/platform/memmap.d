build-ir/image/src/platform/memmap.o: src/platform/memmap.c \
 src/platform/memmap.h src/lib/types.h src/lib/error.h src/lib/log.h \
 src/lib/string.h
src/platform/memmap.h:
src/lib/types.h:
src/lib/error.h:
src/lib/log.h:
src/lib/string.h:
