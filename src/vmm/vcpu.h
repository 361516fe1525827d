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
/* The CPUID features the guest sees (the back-end passes the host's with
 * SVM hidden), which decide what EFER may hold. */
struct x86_features;
void cpu_policy_set_features(const struct x86_features *guest);

/* MSRs the back-end must intercept: every write, and reads too when
 * `read` (the MTRRs, which are virtualised). mtrrcap is the host's
 * IA32_MTRRCAP. Returns how many it wrote to out. The back-end then hands
 * the host's current value of each read-intercepted MSR and of HWCR
 * (0xC0010015) to cpu_policy_set_host_msr(). */
struct msr_intercept {
	uint32_t msr;
	bool read;
};
unsigned cpu_policy_msr_intercepts(uint64_t mtrrcap, struct msr_intercept *out, unsigned max);
void cpu_policy_set_host_msr(uint32_t msr, uint64_t value);

/* efer is the guest's EFER as the back-end keeps it (with SVME set, as
 * VMRUN requires); reads hide SVME. Writes are validated as the CPU does
 * (reserved bits, LME with paging on: cpu_state_check.h) and SVME is
 * refused. Memory-map and SMM MSRs (SYSCFG, TOP_MEM, TOM2, IORRs,
 * MMIO_CFG_BASE, SMM_BASE/ADDR/MASK) refuse writes; HWCR keeps its
 * SMM/INVD/MCA bits; the MTRRs are virtualised (see cpu_policy.c). On
 * MSR_FAULT, *why says why (for the log). cr0 is the guest's CR0. */
enum msr_verdict cpu_policy_rdmsr(uint32_t msr, uint64_t efer, uint64_t *value);
enum msr_verdict cpu_policy_wrmsr(uint32_t msr, uint64_t value, uint64_t cr0, uint64_t *efer,
				  const char **why);

#define SHOJI_CPUID_BASE 0x40000000u
#define SHOJI_CPUID_SIGNATURE "shojishojish"

#endif
