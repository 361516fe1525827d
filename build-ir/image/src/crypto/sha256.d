build-ir/image/src/crypto/sha256.o: src/crypto/sha256.c \
 src/crypto/sha256.h src/lib/types.h src/crypto/wipe.h src/lib/string.h
src/crypto/sha256.h:
src/lib/types.h:
src/crypto/wipe.h:
src/lib/string.h:
