/* What a CPU-virtualization back-end (AMD SVM now; Intel VT-x later) shares
 * with the rest of shoji: the guest's registers and the policies that do
 * not depend on the back-end. The back-end owns entry/exit and instruction
 * lengths; these functions decide what the guest sees. */
#ifndef SHOJI_VMM_VCPU_H
#define SHOJI_VMM_VCPU_H

#include "lib/types.h"

struct vcpu_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* CPUID as the guest sees it: the host's answer, with virtualization
 * hidden (no SVM/VMX, no nested paging) and the hypervisor bit set;
 * leaves 0x40000000.. name shoji ("shojishojish"). in: eax, ecx; io: the
 * host's result, adjusted in place. */
void cpu_policy_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);

/* MSRs the guest must not see or change as they are. */
enum msr_verdict {
	MSR_PASSTHROUGH,	/* not ours: do it on the hardware */
	MSR_HANDLED,		/* *value read/written by the policy */
	MSR_FAULT,		/* inject #GP */
};
/* efer is the guest's EFER as the back-end keeps it (with SVME set, as
 * VMRUN requires); reads hide SVME, writes that set it are refused. */
enum msr_verdict cpu_policy_rdmsr(uint32_t msr, uint64_t efer, uint64_t *value);
enum msr_verdict cpu_policy_wrmsr(uint32_t msr, uint64_t value, uint64_t *efer);

#define SHOJI_CPUID_BASE 0x40000000u
#define SHOJI_CPUID_SIGNATURE "shojishojish"

#endif
