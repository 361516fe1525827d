build-ir/image/src/crypto/xts.o: src/crypto/xts.c src/crypto/xts.h \
 src/crypto/aes.h src/lib/types.h src/crypto/cpu.h src/crypto/wipe.h \
 src/lib/error.h src/lib/string.h
src/crypto/xts.h:
src/crypto/aes.h:
src/lib/types.h:
src/crypto/cpu.h:
src/crypto/wipe.h:
src/lib/error.h:
src/lib/string.h:
