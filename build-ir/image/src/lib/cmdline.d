build-ir/image/src/lib/cmdline.o: src/lib/cmdline.c src/lib/cmdline.h \
 src/lib/types.h src/lib/error.h src/lib/log.h src/lib/printf.h \
 src/lib/string.h
src/lib/cmdline.h:
src/lib/types.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
