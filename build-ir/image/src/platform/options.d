build-ir/image/src/platform/options.o: src/platform/options.c \
 src/platform/options.h src/lib/cmdline.h src/lib/types.h src/lib/error.h \
 src/lib/log.h src/lib/printf.h src/lib/string.h
src/platform/options.h:
src/lib/cmdline.h:
src/lib/types.h:
src/lib/error.h:
src/lib/log.h:
src/lib/printf.h:
src/lib/string.h:
