/* Which CPU back-end (vmm/vcpu.h) runs the guest on this CPU. */
#ifndef SHOJI_ARCH_X86_VCPU_SELECT_H
#define SHOJI_ARCH_X86_VCPU_SELECT_H

#include "vmm/vcpu.h"

/* AMD SVM when CPUID.80000001h:ECX.SVM is set, Intel VT-x when
 * CPUID.1:ECX.VMX is set, else SVM (whose init then says the CPU has
 * neither). The same answer on every call; logs the choice once. */
const struct vcpu_backend *vcpu_backend_for_this_cpu(void);

#endif
