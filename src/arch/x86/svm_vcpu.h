/* The SVM back-end's interface to the rest of shoji. */
#ifndef SHOJI_ARCH_X86_SVM_VCPU_H
#define SHOJI_ARCH_X86_SVM_VCPU_H

#include "lib/types.h"
#include "platform/palloc.h"
#include "vmm/apic_guard.h"
#include "vmm/guest_mem.h"
#include "vmm/vcpu.h"

struct svm_entry {
	uint32_t rip;	/* 32-bit protected-mode entry */
	uint32_t rbx;	/* EBX at entry (PVH: start info) */
};

/* VM exits by reason (the VMMCALL status and the bench's histogram). */
struct svm_stats {
	uint64_t exits, cpuid, msr, io, npf, mmio, vmmcall, nmi, fault_nmis;
	uint64_t io_pci_cfg;		/* of io: ports 0xcf8/0xcfc-0xcff */
	uint64_t mmio_read, mmio_write;	/* of mmio, by the fault's access */
	uint64_t apic_read;		/* of mmio: the xAPIC page */
	uint64_t apic_write[APIC_CLASS_N];	/* by register class */
	uint64_t apic_fast;		/* of the APIC writes: the fast path */
	uint64_t npf_forbidden;		/* of npf: forbidden memory touched */
	uint64_t msr_icr;		/* of msr: the x2APIC ICR */
	uint64_t tsc;			/* TSC ticks in shoji's exit handling */
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
/* Answers the guest's VMMCALLs (registers in and out, its paging for
 * buffers); without one VMMCALL raises #UD. Set by core, so that the
 * back-end calls no core code directly. */
typedef void (*vmmcall_handler)(struct vcpu_regs *r, const struct guest_paging *pg);
void svm_set_vmmcall_handler(vmmcall_handler h);

#endif
