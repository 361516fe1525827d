build-ir/image/src/crypto/pbkdf2.o: src/crypto/pbkdf2.c \
 src/crypto/pbkdf2.h src/lib/types.h src/crypto/sha256.h \
 src/crypto/wipe.h src/lib/error.h src/lib/string.h
src/crypto/pbkdf2.h:
src/lib/types.h:
src/crypto/sha256.h:
src/crypto/wipe.h:
src/lib/error.h:
src/lib/string.h:
