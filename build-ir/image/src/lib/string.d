build-ir/image/src/lib/string.o: src/lib/string.c src/lib/string.h \
 src/lib/types.h
src/lib/string.h:
src/lib/types.h:
