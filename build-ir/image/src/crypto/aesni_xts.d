build-ir/image/src/crypto/aesni_xts.o: src/crypto/aesni_xts.S
