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

struct pci_ports;

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
	uint16_t (*seg_sel)(enum x86_seg seg);
	/* Real mode: CS = sel, its base sel * 16. */
	void (*set_cs_real)(uint16_t sel);
	/* The instruction that exited raises #GP(0) / #UD instead. */
	void (*inject_gp)(void);
	void (*inject_ud)(void);
	/* This CPU's exit counters and CONFIG_ADDRESS latch. */
	struct vcpu_stats *(*stats)(void);
	struct pci_ports *(*pci)(void);
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

/* ---- exits ---- */

/* Up to X86_MAX_INSN_LEN instruction bytes at CS:RIP (CS's base counts
 * outside 64-bit mode), each checked by vmm/guest_mem.h (fewer when the
 * next page is not mapped or is protected). Returns how many. */
size_t vcpu_fetch_insn(const struct vcpu_exit_ops *ops, uint8_t *buf);

/* A guest access to h, a range an emulator owns (h->mmio), faulting at
 * gpa (write: the fault's access was a write; an instruction fetch there
 * is the back-end's to refuse). Counted (mmio, mmio_read/mmio_write, the
 * xAPIC page's classes); a write to the xAPIC page that
 * apic_fast_store() recognises is done at gpa (apic_fast); anything else
 * is fetched, decoded (vmm/x86_decode.h), checked to be the access that
 * faulted (it makes a write when the fault was one, a read when it was
 * one, and its operand is on gpa's page through the guest's paging) and
 * emulated (vmm/mmio_emul.h): registers, RIP and RFLAGS as the CPU would
 * leave them. What cannot be emulated is logged ("mmio refused <what>
 * gpa=... bytes=... reason=...") and stops the guest. */
void vcpu_exit_mmio(const struct vcpu_exit_ops *ops, const struct protected_range *h,
		    paddr_t gpa, bool write);

/* A VMMCALL (SVM) or VMCALL (VT-x) of len bytes: made with CR0.PE clear,
 * to the real-mode handler first (vcpu.h: the firmware hooks; it may move
 * CS:IP, or stop the guest); then to core's VMMCALL handler with the
 * guest's registers and paging, RIP past it; without a handler, #UD (as
 * on a CPU without it). */
void vcpu_exit_vmmcall(const struct vcpu_exit_ops *ops, unsigned len);

#endif
