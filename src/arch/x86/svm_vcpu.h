/* The SVM back-end's interface to the rest of shoji. */
#ifndef SHOJI_ARCH_X86_SVM_VCPU_H
#define SHOJI_ARCH_X86_SVM_VCPU_H

#include "lib/types.h"
#include "platform/palloc.h"
#include "vmm/apic_guard.h"
#include "vmm/guest_mem.h"
#include "vmm/vcpu.h"


/* The back-end (vmm/vcpu.h): init checks SVM, nested paging and NX and
 * turns EFER.SVME and NXE on; build_nested builds the NPT (npt.h); setup
 * fills the VMCB, I/O and MSR permission maps and the entry state. */
extern const struct vcpu_backend svm_backend;

const struct vcpu_stats *svm_stats(void);

#endif
