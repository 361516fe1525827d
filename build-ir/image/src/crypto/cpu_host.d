build-ir/image/src/crypto/cpu_host.o: src/crypto/cpu_host.c \
 src/crypto/cpu.h src/lib/types.h
src/crypto/cpu.h:
src/lib/types.h:
