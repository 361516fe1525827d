build-ir/image/src/crypto/selftest.o: src/crypto/selftest.c \
 src/crypto/selftest.h src/lib/types.h src/crypto/aes.h \
 src/crypto/pbkdf2.h src/crypto/sha256.h src/crypto/wipe.h \
 src/crypto/xts.h src/lib/error.h src/lib/string.h
src/crypto/selftest.h:
src/lib/types.h:
src/crypto/aes.h:
src/crypto/pbkdf2.h:
src/crypto/sha256.h:
src/crypto/wipe.h:
src/crypto/xts.h:
src/lib/error.h:
src/lib/string.h:
