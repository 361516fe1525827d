build-ir/image/src/vmm/cpu_policy.o: src/vmm/cpu_policy.c src/lib/log.h \
 src/lib/types.h src/lib/string.h src/vmm/cpu_state_check.h \
 src/vmm/vcpu.h
src/lib/log.h:
src/lib/types.h:
src/lib/string.h:
src/vmm/cpu_state_check.h:
src/vmm/vcpu.h:
