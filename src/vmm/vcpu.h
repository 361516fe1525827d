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
struct memmap;

/* VM exits by reason, whichever back-end (the VMMCALL status and the
 * bench's histogram). "npf" counts nested page faults on SVM and EPT
 * violations on VT-x. */
#define VCPU_APIC_CLASSES 5	/* enum apic_reg_class (vmm/apic_guard.h) */
struct vcpu_stats {
	uint64_t exits, cpuid, msr, io, npf, mmio, vmmcall, nmi, fault_nmis;
	uint64_t io_pci_cfg;		/* of io: ports 0xcf8/0xcfc-0xcff */
	uint64_t io_pci_cfg_fused;	/* config data reads done in the exit of
					 * their CONFIG_ADDRESS write (no exit) */
	uint64_t mmio_followon;		/* stores done by the MMIO follow-on in the
					 * exit of the store before (no exit) */
	uint64_t io_trapped;		/* of io: emulated ports (vmm/io_trap.h) */
	uint64_t io_string;		/* of io_trapped: INS/OUTS */
	uint64_t mmio_read, mmio_write;	/* of mmio, by the fault's access */
	uint64_t apic_read;		/* of mmio: the xAPIC page */
	uint64_t apic_write[VCPU_APIC_CLASSES];	/* by register class */
	uint64_t apic_fast;		/* of the APIC writes: the fast path */
	uint64_t npf_forbidden;		/* of npf: forbidden memory touched */
	uint64_t msr_icr;		/* of msr: the x2APIC ICR */
	uint64_t cr0_write, cr4_write;	/* intercepted CR writes */
	uint64_t tsc;			/* TSC ticks in shoji's exit handling */
};

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
 * arch/x86/vcpu_select.h picks the instance for this CPU (SVM on AMD,
 * VT-x on Intel).
 * The nested tables (NPT or EPT) are built from the protected-range
 * registry (vmm/protect.h) by the back-end's own format. */
struct vcpu_backend {
	const char *name;
	/* The guest's hypercall instruction on this back-end, 3 bytes: SVM's
	 * VMMCALL 0f 01 d9 (APM vol. 3), VT-x's VMCALL 0f 01 c1 (SDM vol. 2B;
	 * VMMCALL is #UD on Intel, VMCALL #UD on AMD). Code shoji puts into the
	 * guest (the guest=disk stub, core/fwboot.c) uses it. */
	uint8_t hypercall[3];
	/* Checks the CPU has what the back-end needs and turns it on; logs and
	 * returns E_UNSUPPORTED when it does not. */
	int (*init)(void);
	/* The reset and power paths (vmm/power.h): which ports to intercept and
	 * what to do with them, a triple fault and INIT. Before setup; setup
	 * refuses to start a guest without them. */
	void (*set_power_ops)(const struct power_ops *ops);
	/* The nested page tables for [0, top): their root, 0 when out of memory.
	 * m is the machine's memory map (EPT takes memory types from it; the
	 * NPT leaves them to the guest's PAT and MTRRs). */
	paddr_t (*build_nested)(const struct memmap *m, uint64_t top);
	/* Control block, intercepts, entry state. */
	int (*setup)(paddr_t nested_root, const struct vcpu_entry *e);
	/* Serves the guest's reads of the page at gpa (inside an emulated
	 * range that traps reads) from hypervisor page `page`, writes still
	 * exiting; page == 0: every access exits again. In force before the
	 * guest runs again. E_INVAL for a page that is not such a range or not
	 * hypervisor memory (SVM: npt_set_read_page). */
	int (*set_read_page)(paddr_t gpa, paddr_t page);
	/* Called after every exit (device polling), may be NULL. */
	void (*set_exit_hook)(void (*hook)(void));
	/* Without a handler VMMCALL raises #UD. */
	void (*set_vmmcall_handler)(vmmcall_handler h);
	/* VMMCALLs made in real mode go to this first (may be NULL: none). */
	void (*set_realmode_call_handler)(realmode_call_handler h);
	/* Exit counters, and how many stand-in pages the guest's touches of
	 * protected memory put in. */
	const struct vcpu_stats *(*stats)(void);
	uint64_t (*hole_touches)(void);
	/* Runs the guest on the boot CPU until shoji stops. */
	NORETURN void (*run)(void);
	/* Application processors (docs/smp.md). core starts each one itself
	 * (core/smp.c: trampoline, its own stack, GDT/TSS, IDT, SSE) and calls,
	 * on that CPU: init_ap (enable the back-end on it: its own control
	 * block and host save area; 0 or an error, logged) and then run_ap,
	 * which parks the CPU until the guest's start-up IPI for it is accepted
	 * by vmm/cpu_start.h (cpu_start_take_sipi), loads the real-mode state
	 * cpu_start_sipi_state() gives into a control block with the boot CPU's
	 * intercepts and nested tables, and runs the guest there. On an exit a
	 * notify caused, run_ap's loop asks cpu_start_init_pending() and, for an
	 * INIT, acknowledges it and parks again. The back-end gives
	 * vmm/cpu_start.h its notify function (an NMI, which wakes a parked CPU
	 * and makes a running one exit) before the boot CPU runs the guest. */
	int (*init_ap)(void);
	NORETURN void (*run_ap)(void);
	/* May be NULL: makes every other CPU that runs the guest exit soon
	 * (SVM: shoji's NMI), so that its exit hook helps with work this CPU
	 * published (the disk's cipher work, docs/smp.md). */
	void (*kick_others)(void);
};

/* CPUID as the guest sees it: the host's answer, with virtualization
 * hidden (no SVM/VMX, no nested paging) and the hypervisor bit set;
 * leaves 0x40000000.. name shoji ("shojishojish"). in: eax, ecx; io: the
 * host's result, adjusted in place. */
void cpu_policy_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);

/* The CPUID bits that mirror a control register (SDM vol. 2A CPUID):
 * leaf 1 ECX.OSXSAVE (27) is CR4.OSXSAVE, leaf 7.0 ECX.OSPKE (4) is
 * CR4.PKE. CPUID executed by shoji for the guest reads shoji's CR4, which
 * need not be the guest's: this puts the guest's in (cr4 = the guest's
 * CR4 as it sees it). */
void cpu_policy_cpuid_cr4(uint32_t leaf, uint32_t subleaf, uint32_t r[4], uint64_t cr4);

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

/* The VT-x MSRs (a VT-x back-end intercepts them besides the list above):
 * IA32_FEATURE_CONTROL (0x3A) and the VMX capability MSRs (0x480-0x491).
 * CPUID hides VMX from the guest, so the capability MSRs #GP as on a CPU
 * without it, and IA32_FEATURE_CONTROL reads as locked with VMX off (its
 * other bits the host's: SGX, LMCE) and refuses writes, as a locked one
 * does (SDM vol. 3C 24.7; vol. 4 table 2-2). Returns how many it wrote. The
 * back-end hands the host's IA32_FEATURE_CONTROL to
 * cpu_policy_set_host_msr(). */
unsigned cpu_policy_vmx_msr_intercepts(struct msr_intercept *out, unsigned max);

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
