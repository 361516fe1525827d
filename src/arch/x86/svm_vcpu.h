/* The SVM back-end's interface to the rest of shoji. */
#ifndef SHOJI_ARCH_X86_SVM_VCPU_H
#define SHOJI_ARCH_X86_SVM_VCPU_H

#include "lib/types.h"
#include "platform/palloc.h"

struct svm_entry {
	uint32_t rip;	/* 32-bit protected-mode entry */
	uint32_t rbx;	/* EBX at entry (PVH: start info) */
};

struct svm_stats {
	uint64_t exits, cpuid, msr, io, npf, mmio, vmmcall, nmi, fault_nmis;
};

/* Checks SVM and nested paging, turns EFER.SVME on. */
int svm_init(void);
/* VMCB, I/O and MSR permission maps, entry state; ncr3 = nested root. */
int svm_setup_guest(paddr_t ncr3, const struct svm_entry *e);
/* Runs the guest until it stops (never returns). */
NORETURN void svm_run(void);
const struct svm_stats *svm_stats(void);
/* Called after every exit has been handled (device polling). */
void svm_set_exit_hook(void (*hook)(void));

#endif
