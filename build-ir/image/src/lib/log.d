build-ir/image/src/lib/log.o: src/lib/log.c src/lib/log.h src/lib/types.h \
 src/lib/printf.h
src/lib/log.h:
src/lib/types.h:
src/lib/printf.h:
