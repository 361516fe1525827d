build-ir/image/src/crypto/secrets.o: src/crypto/secrets.c \
 src/crypto/secrets.h src/lib/types.h src/crypto/wipe.h src/lib/error.h \
 src/lib/hal.h src/lib/log.h
src/crypto/secrets.h:
src/lib/types.h:
src/crypto/wipe.h:
src/lib/error.h:
src/lib/hal.h:
src/lib/log.h:
