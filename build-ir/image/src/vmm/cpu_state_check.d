build-ir/image/src/vmm/cpu_state_check.o: src/vmm/cpu_state_check.c \
 src/vmm/cpu_state_check.h src/lib/types.h
src/vmm/cpu_state_check.h:
src/lib/types.h:
