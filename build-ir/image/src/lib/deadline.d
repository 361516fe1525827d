build-ir/image/src/lib/deadline.o: src/lib/deadline.c src/lib/deadline.h \
 src/lib/hal.h src/lib/types.h
src/lib/deadline.h:
src/lib/hal.h:
src/lib/types.h:
