/* What a CPU-virtualization back-end (AMD SVM now; Intel VT-x later) shares
 * with the rest of shoji: the back-end interface core drives (struct
 * vcpu_backend), the guest's registers, and the policies that do not depend
 * on the back-end. The back-end owns entry/exit, its control block and
 * instruction lengths; these functions decide what the guest sees. */
#ifndef SHOJI_VMM_VCPU_H
#define SHOJI_VMM_VCPU_H

#include "lib/types.h"

struct vcpu_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct guest_paging;
struct power_ops;

/* Where the guest starts:
 * - VCPU_ENTRY_PVH32: 32-bit protected mode, paging off, flat segments (the
 *   PVH entry state, Xen docs/misc/pvh.pandoc); rip = EIP, rbx = EBX;
 * - VCPU_ENTRY_REAL: real mode as the BIOS runs a boot sector (guest=disk,
 *   docs/firmware-boot.md): CS:IP = cs:rip, DS = ES = SS = 0, IDTR the real-mode
 *   vector table (base 0, limit 0x3ff), interrupts off, rdx = EDX (DL = the
 *   BIOS boot drive). With nested paging a real-mode guest runs as it is:
 *   paged real mode is needed only without it (APM vol. 2 ch. 15, "Paged
 *   Real Mode"). */
enum vcpu_entry_mode { VCPU_ENTRY_PVH32, VCPU_ENTRY_REAL };
struct vcpu_entry {
	enum vcpu_entry_mode mode;
	uint32_t rip;
	uint32_t rbx;	/* EBX at entry (PVH: start info) */
	uint32_t rdx;	/* EDX at entry (real mode: DL = boot drive) */
	uint16_t cs;	/* real mode: CS (its base is cs * 16) */
};

/* The guest's real-mode segments and IP around a VMMCALL it made with
 * CR0.PE clear: the firmware hooks of guest=disk (vmm/bios_hook.h) are
 * called that way. ip is the IP after the VMMCALL; a handler that answers
 * may set cs:ip to where the guest goes on (the back-end loads CS with base
 * cs * 16). */
struct vcpu_realmode {
	uint16_t cs, ip, ss, sp, ds, es;
};
enum realmode_verdict {
	REALMODE_NOT_OURS,	/* not a hook: the VMMCALL is handled as any other */
	REALMODE_DONE,		/* registers and cs:ip updated: resume the guest */
	REALMODE_STOP,		/* the guest cannot go on (logged): stop shoji */
};
typedef enum realmode_verdict (*realmode_call_handler)(struct vcpu_regs *r,
							 struct vcpu_realmode *rm);

/* Answers the guest's VMMCALLs: registers in and out, the guest's paging
 * for its buffers. */
typedef void (*vmmcall_handler)(struct vcpu_regs *r, const struct guest_paging *pg);

/* The CPU back-end interface: one instance per back-end (arch/x86/svm.c:
 * svm_backend; VT-x later), driven by core/guest.c in this order:
 * init, set_power_ops, build_nested, setup, set_exit_hook,
 * set_vmmcall_handler, set_realmode_call_handler (guest=disk), run.
 * The nested tables (NPT or EPT) are built from the protected-range
 * registry (vmm/protect.h) by the back-end's own format. */
struct vcpu_backend {
	const char *name;
	/* Checks the CPU has what the back-end needs and turns it on; logs and
	 * returns E_UNSUPPORTED when it does not. */
	int (*init)(void);
	/* The reset and power paths (vmm/power.h): which ports to intercept and
	 * what to do with them, a triple fault and INIT. Before setup; setup
	 * refuses to start a guest without them. */
	void (*set_power_ops)(const struct power_ops *ops);
	/* The nested page tables for [0, top): their root, 0 when out of memory. */
	paddr_t (*build_nested)(uint64_t top);
	/* Control block, intercepts, entry state. */
	int (*setup)(paddr_t nested_root, const struct vcpu_entry *e);
	/* Called after every exit (device polling), may be NULL. */
	void (*set_exit_hook)(void (*hook)(void));
	/* Without a handler VMMCALL raises #UD. */
	void (*set_vmmcall_handler)(vmmcall_handler h);
	/* VMMCALLs made in real mode go to this first (may be NULL: none). */
	void (*set_realmode_call_handler)(realmode_call_handler h);
	/* Runs the guest until shoji stops. */
	NORETURN void (*run)(void);
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
