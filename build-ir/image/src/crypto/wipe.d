build-ir/image/src/crypto/wipe.o: src/crypto/wipe.c src/crypto/wipe.h \
 src/lib/types.h src/lib/string.h
src/crypto/wipe.h:
src/lib/types.h:
src/lib/string.h:
