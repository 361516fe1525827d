build-ir/image/src/lib/printf.o: src/lib/printf.c src/lib/printf.h \
 src/lib/types.h src/lib/string.h
src/lib/printf.h:
src/lib/types.h:
src/lib/string.h:
