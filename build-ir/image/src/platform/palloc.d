build-ir/image/src/platform/palloc.o: src/platform/palloc.c \
 src/platform/palloc.h src/lib/types.h src/lib/error.h src/lib/hal.h \
 src/lib/log.h src/lib/string.h
src/platform/palloc.h:
src/lib/types.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
src/lib/string.h:
