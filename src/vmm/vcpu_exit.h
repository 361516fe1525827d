/* The back-end-neutral half of exit handling: what an exit means once the
 * back-end has read its exit information (SVM's EXITCODE/EXITINFO, VT-x's
 * exit reason and qualification) and turned it into the neutral terms
 * below. Every CPU back-end (arch/x86/svm.c, arch/x86/vmx_vcpu.c) calls
 * these the same way; what stays in the back-end is its own: the control
 * block, the exit codes and their fields, event injection, instruction
 * lengths, entry and exit. Portable, unit-tested
 * (tests/unit/test_vcpu_exit.c) against a modelled back-end.
 *
 * The back-end gives the guest's state through struct vcpu_exit_ops, read
 * when needed (a VMREAD each on VT-x): registers, RIP and RFLAGS, the code
 * segment's mode, paging, segment bases, its per-CPU exit counters and PCI
 * configuration latch, and how to stop (log the guest's state, then stop
 * shoji: the arch's business). */
#ifndef SHOJI_VMM_VCPU_EXIT_H
#define SHOJI_VMM_VCPU_EXIT_H

#include "lib/types.h"
#include "vmm/guest_mem.h"
#include "vmm/protect.h"
#include "vmm/vcpu.h"
#include "vmm/x86_decode.h"


struct vcpu_exit_ops {
	const char *name;	/* "svm", "vmx": the prefix of the back-end's log lines */
	/* The full register file (on SVM RAX and RSP live in the VMCB, on
	 * VT-x RSP in the VMCS), out of the back-end and back into it. */
	void (*regs_out)(struct vcpu_regs *r);
	void (*regs_in)(const struct vcpu_regs *r);
	uint64_t (*rip)(void);
	/* The instruction that exited is done, the guest goes on at rip
	 * (VT-x: the STI/MOV-SS blocking it was under ends with it). */
	void (*set_rip)(uint64_t rip);
	uint64_t (*rflags)(void);
	void (*set_rflags)(uint64_t rflags);
	/* x86_mode_of(EFER.LMA, CS.L, CS.D) */
	enum x86_mode (*mode)(void);
	/* The guest's paging, for its linear addresses. */
	struct guest_paging (*paging)(void);
	/* The segment's base as the CPU holds it (whatever the mode: the
	 * users ignore it where 64-bit mode does). */
	uint64_t (*seg_base)(enum x86_seg seg);
	/* CR0 as the guest sees it (VT-x: its read shadow for the bits
	 * shoji owns). */
	uint64_t (*cr0)(void);
	uint64_t (*cr4)(void);
	/* EFER as the back-end keeps it for cpu_policy_rdmsr/wrmsr (SVM:
	 * with SVME, which VMRUN needs). */
	uint64_t (*efer)(void);
	void (*set_efer)(uint64_t efer);
	uint16_t (*seg_sel)(enum x86_seg seg);
	/* Real mode: CS = sel, its base sel * 16. */
	void (*set_cs_real)(uint16_t sel);
	/* The instruction that exited raises #GP(0) / #UD instead. */
	void (*inject_gp)(void);
	void (*inject_ud)(void);
	/* The current privilege level (SS.DPL on VT-x, the VMCB's CPL). */
	unsigned (*cpl)(void);
	/* Whether the guest's next instruction may not run inside this exit
	 * (vmm/mmio_followon.h): an event in delivery or to be injected at
	 * the next entry (an NMI waiting for its window included), an
	 * STI/MOV-SS interrupt shadow, or hardware breakpoints enabled in
	 * DR7. NULL: never run. */
	bool (*followon_blocked)(void);
	/* This CPU's exit counters. */
	struct vcpu_stats *(*stats)(void);
	/* Logs "guest stopped: <why>" with the guest's state and stops
	 * shoji. */
	NORETURN void (*stop)(const char *why);
};

/* ---- what core hands the back-end (struct vcpu_backend's setters) ----
 * One of each, whichever back-end runs: core picks one back-end per boot.
 * The back-ends' set_* entries are these. */
void vcpu_set_exit_hook(void (*hook)(void));
void vcpu_set_vmmcall_handler(vmmcall_handler h);
void vcpu_set_realmode_call_handler(realmode_call_handler h);
void vcpu_set_power_ops(const struct power_ops *ops);
/* The power operations (NULL before set_power_ops: setup refuses). */
const struct power_ops *vcpu_power_ops(void);
/* Runs the exit hook, if any (after every exit). */
void vcpu_run_exit_hook(void);

/* The guest's RAM (the machine's memory map): the MMIO follow-on
 * (vmm/mmio_followon.h) loads only from MEM_USABLE memory; without a map
 * it never runs. */
struct memmap;
void vcpu_set_guest_ram(const struct memmap *m);

/* ---- setup ---- */

/* Calls fn(ctx, port) for every port the back-end must intercept, the
 * same for every back-end: PCI configuration mechanism #1 (0xcf8,
 * 0xcfc-0xcff), the reset and power paths (power_ops.io_ports: 0xcf9, the
 * 8042, port 0x92, the FADT's reset register and PM1 blocks), APMC (0xb2:
 * an SMI passes only with SMRAM locked) and every emulated device's ports
 * (vmm/io_trap.h, from the registry). Logs "<name> io intercepts
 * trapped_ports=N". E_INVAL (logged) without power operations: the guest
 * would reset the machine behind shoji's back; E_RANGE when they name more
 * than 64 ports. */
#define VCPU_POWER_PORTS_MAX 64
int vcpu_io_intercepts(const char *name, void (*fn)(void *ctx, uint16_t port), void *ctx);

/* ---- exits ---- */

/* Up to X86_MAX_INSN_LEN instruction bytes at CS:RIP (CS's base counts
 * outside 64-bit mode), each checked by vmm/guest_mem.h (fewer when the
 * next page is not mapped or is protected). Returns how many. */
size_t vcpu_fetch_insn(const struct vcpu_exit_ops *ops, uint8_t *buf);

/* A guest access to h, a range an emulator owns (h->mmio), faulting at
 * gpa (write: the fault's access was a write; fetch: an instruction
 * fetch, refused: device registers are not executable, the guest stops).
 * Counted (mmio, mmio_read/mmio_write, the
 * xAPIC page's classes); a write to the xAPIC page that
 * apic_fast_store() recognises is done at gpa (apic_fast); anything else
 * is fetched, decoded (vmm/x86_decode.h), checked to be the access that
 * faulted (it makes a write when the fault was one, a read when it was
 * one, and its operand is on gpa's page through the guest's paging) and
 * emulated (vmm/mmio_emul.h): registers, RIP and RFLAGS as the CPU would
 * leave them. After a MOV store to a range whose emulator names a follow-on
 * store (mmio_ops.followon), the next instructions run in this exit
 * (vmm/mmio_followon.h) up to that store, if they are what it runs (counted:
 * mmio_followon; docs/ahci.md). What cannot be emulated is logged ("mmio refused <what>
 * gpa=... bytes=... reason=...") and stops the guest. */
void vcpu_exit_mmio(const struct vcpu_exit_ops *ops, const struct protected_range *h,
		    paddr_t gpa, bool write, bool fetch);

/* An IN/OUT/INS/OUTS exit, as the back-end read it (SVM: EXITINFO1 and
 * the next RIP in EXITINFO2; VT-x: the exit qualification and the
 * instruction length). */
struct vcpu_io {
	uint16_t port;
	uint8_t size;		/* 1, 2 or 4 */
	bool in;		/* IN/INS */
	bool string;		/* INS/OUTS */
	bool rep;		/* with a REP prefix */
	uint8_t len;		/* the instruction's length */
};

/* The access, whoever owns the port:
 *  - an emulator's (vmm/io_trap.h): done through it; INS/OUTS decoded from
 *    the instruction bytes (no decode assists) and checked against the
 *    exit (direction, size, REP) before vmm/io_string.h runs them against
 *    the guest's buffer (a REP that is not finished leaves RIP on the
 *    instruction: it runs again); a buffer shoji may not touch, or an
 *    instruction that is not the one that exited, stops the guest;
 *  - string I/O to any other intercepted port stops the guest;
 *  - the reset and power ports (vmm/power.h; may not return);
 *  - APMC (0xb2) writes, by the chipset guard (any width: the intercepts
 *    exit for every byte an access covers); other ports below 0xcf8 go to
 *    the hardware;
 *  - 0xcf8-0xcff: the guest's PCI configuration, vmm/pci_ports.h with
 *    the machine's latch (pci_ports_machine()).
 * IN's result lands in AL or AX (the rest of RAX kept) or EAX (zero-
 * extended, as a 32-bit register write is in 64-bit mode: SDM 1 3.4.1.1);
 * RIP moves past the instruction. */
void vcpu_exit_io(const struct vcpu_exit_ops *ops, const struct vcpu_io *io);

/* CPUID (len bytes): the host's answer (hal_cpuid) as the policy changes
 * it (cpu_policy_cpuid; the bits that mirror CR4 from the guest's CR4,
 * cpu_policy_cpuid_cr4) into EAX, EBX, ECX, EDX; RIP past it. */
void vcpu_exit_cpuid(const struct vcpu_exit_ops *ops, unsigned len);

/* RDMSR / WRMSR (len bytes) of the MSR in ECX, EDX:EAX: the MSR policy
 * (vmm/vcpu.h: cpu_policy_rdmsr/wrmsr; EFER kept by the back-end) decides;
 * IA32_APIC_BASE may not move; INIT and start-up IPIs written to the x2APIC
 * ICR go to vmm/cpu_start.h (apic_startup_ipi) instead of the hardware
 * (counted: msr_icr); what the policy passes is done on the hardware
 * (hal_rdmsr_safe/hal_wrmsr_safe). A refusal, or the CPU's own #GP,
 * becomes #GP for the guest (logged "guest msr 0x... read|write refused
 * (#GP)"), RIP left on the instruction. */
void vcpu_exit_rdmsr(const struct vcpu_exit_ops *ops, unsigned len);
void vcpu_exit_wrmsr(const struct vcpu_exit_ops *ops, unsigned len);

/* A VMMCALL (SVM) or VMCALL (VT-x) of len bytes: made with CR0.PE clear,
 * to the real-mode handler first (vcpu.h: the firmware hooks; it may move
 * CS:IP, or stop the guest); then to core's VMMCALL handler with the
 * guest's registers and paging, RIP past it; without a handler, #UD (as
 * on a CPU without it). */
void vcpu_exit_vmmcall(const struct vcpu_exit_ops *ops, unsigned len);

#endif
