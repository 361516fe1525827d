build-ir/image/src/crypto/aes.o: src/crypto/aes.c src/crypto/aes.h \
 src/lib/types.h src/crypto/wipe.h src/lib/error.h
src/crypto/aes.h:
src/lib/types.h:
src/crypto/wipe.h:
src/lib/error.h:
