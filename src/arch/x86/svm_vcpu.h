/* The SVM back-end's interface to the rest of shoji. */
#ifndef SHOJI_ARCH_X86_SVM_VCPU_H
#define SHOJI_ARCH_X86_SVM_VCPU_H

#include "lib/types.h"
#include "platform/palloc.h"
#include "vmm/apic_guard.h"
#include "vmm/guest_mem.h"
#include "vmm/vcpu.h"

/* VM exits by reason (the VMMCALL status and the bench's histogram). */
struct svm_stats {
	uint64_t exits, cpuid, msr, io, npf, mmio, vmmcall, nmi, fault_nmis;
	uint64_t io_pci_cfg;		/* of io: ports 0xcf8/0xcfc-0xcff */
	uint64_t io_trapped;		/* of io: emulated ports (vmm/io_trap.h) */
	uint64_t io_string;		/* of io_trapped: INS/OUTS */
	uint64_t mmio_read, mmio_write;	/* of mmio, by the fault's access */
	uint64_t apic_read;		/* of mmio: the xAPIC page */
	uint64_t apic_write[APIC_CLASS_N];	/* by register class */
	uint64_t apic_fast;		/* of the APIC writes: the fast path */
	uint64_t npf_forbidden;		/* of npf: forbidden memory touched */
	uint64_t msr_icr;		/* of msr: the x2APIC ICR */
	uint64_t cr0_write, cr4_write;	/* intercepted CR writes */
	uint64_t tsc;			/* TSC ticks in shoji's exit handling */
};

/* The back-end (vmm/vcpu.h): init checks SVM, nested paging and NX and
 * turns EFER.SVME and NXE on; build_nested builds the NPT (npt.h); setup
 * fills the VMCB, I/O and MSR permission maps and the entry state. */
extern const struct vcpu_backend svm_backend;

const struct svm_stats *svm_stats(void);

#endif
