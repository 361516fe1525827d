build-ir/image/src/boot/entry.o: src/boot/entry.S src/boot/layout.h \
 src/boot/multiboot.h
src/boot/layout.h:
src/boot/multiboot.h:
