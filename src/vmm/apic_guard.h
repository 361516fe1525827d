/* The guest's local APIC, with one exception to passthrough: an INIT or
 * start-up IPI that reached the hardware would start (or reset) a CPU
 * outside SVM, running guest code unprotected. shoji traps the guest's
 * writes to the xAPIC page (the nested mapping is read-only: reads go to
 * the real APIC without an exit) and the x2APIC ICR MSR, passes every
 * write on unchanged except INIT and SIPI IPIs, which go to shoji's
 * start-up state machine instead (vmm/cpu_start.h: the CPUs are shoji's,
 * parked until the guest starts them); the base address may not move. The
 * ICR shares its 4 KiB page with EOI and the timer, so those writes exit
 * too: apic_fast_store() keeps them cheap (docs/apic.md). */
#ifndef SHOJI_VMM_APIC_GUARD_H
#define SHOJI_VMM_APIC_GUARD_H

#include "lib/types.h"
#include "vmm/irq_policy.h"
#include "vmm/mmio_emul.h"
#include "vmm/vcpu.h"
#include "vmm/x86_decode.h"

#define APIC_DEFAULT_BASE 0xfee00000ULL
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define X2APIC_MSR_ICR 0x830
#define MSR_IA32_APIC_BASE 0x1b

/* Whether an ICR value (low dword; for x2APIC the whole 64-bit MSR) may go
 * to the hardware as written: false for INIT (delivery mode 101b) and
 * start-up (110b), which shoji's start-up state machine takes instead
 * (apic_startup_ipi, vmm/cpu_start.h). */
bool apic_icr_allowed(uint64_t icr_lo);

/* An INIT or start-up IPI the guest sent from this CPU to APIC id dest:
 * what it means for the guest's CPUs (vmm/cpu_start.h). NULL when done,
 * else why it was refused (logged, counted in apic_ipis_refused). */
const char *apic_startup_ipi(uint64_t icr, uint32_t dest);

/* Records this CPU's APIC id and logical destination for
 * apic_guest_cpus (when it enters the guest; the guard calls it after
 * every LDR/DFR write). */
void apic_note_this_cpu(void);

/* A write of v to IA32_APIC_BASE when it holds cur: the base address (bits
 * 51:12) may not change (shoji traps the APIC page where it is); the
 * enable and x2APIC-mode bits may. */
bool apic_base_write_allowed(uint64_t cur, uint64_t v);

/* xAPIC registers (Intel SDM vol. 3A, table 10-1; AMD APM vol. 2, 16.3):
 * what the exit counters and the write fast path tell apart. */
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_ICR 0x380	/* initial count */
#define APIC_TIMER_CCR 0x390	/* current count (read-only) */
#define APIC_TIMER_DCR 0x3e0	/* divide configuration */

enum apic_reg_class {
	APIC_CLASS_EOI,		/* end of interrupt */
	APIC_CLASS_TPR,		/* task priority */
	APIC_CLASS_TIMER,	/* LVT timer, initial/current count, divide */
	APIC_CLASS_ICR,		/* interrupt command, low or high dword */
	APIC_CLASS_OTHER,
	APIC_CLASS_N
};

/* The class of the register at offset off (0..0xfff) of the xAPIC page. */
enum apic_reg_class apic_reg_class(uint32_t off);

/* The xAPIC write fast path. The page is mapped read-only for the guest
 * (reads reach the APIC, writes fault) and every write exits; most are EOI
 * and timer writes, done by a plain 32-bit MOV. This recognises exactly
 * that store without the general decoder and without walking the guest's
 * page tables for the operand:
 *   [REX without W, 64-bit mode only] 89 /r or C7 /0 id, ModRM.mod != 3,
 *   any SIB/displacement form;
 * every other prefix, opcode or form returns 0 (take the general path).
 * On success returns the instruction length and sets *value: the source
 * register's low 32 bits or the immediate.
 * Why the operand need not be checked: the caller performs the store at
 * the address the fault reports (which the guest wrote), 4 bytes wide, and
 * only for offsets that are not the ICR's low dword (apic_fast_write_ok):
 * a guest that rewrote the instruction bytes between the fault and the
 * fetch (by DMA) gets a value of its own registers written to a register
 * it may write anyway. ICR writes always take the general path, whose
 * decoded value apic_icr_allowed() checks. */
unsigned apic_fast_store(const uint8_t *bytes, size_t n, enum x86_mode mode,
			 const struct vcpu_regs *regs, uint32_t *value);

/* Whether a faulting write at offset off of the APIC window may take the
 * fast path: a dword-aligned EOI, TPR or timer register (never the ICR,
 * register 0 or anything outside the page: those need apic_write_refusal). */
bool apic_fast_write_ok(uint64_t off);

/* The APIC window: the 1 MiB at the APIC base (0xfee00000-0xfeefffff, the
 * range the APIC and MSIs share). Why a write there is refused, or NULL:
 *  - beyond the 4 KiB register page, and register 0 (offsets 0x0-0xf):
 *    real hardware has nothing there, but QEMU sends a CPU's write there as
 *    an MSI with the written data (any delivery mode, INIT included, to any
 *    destination the address names): a path around the ICR check;
 *  - any write touching the ICR's low dword (0x300-0x303) that is not one
 *    aligned dword (a 64-bit write at 0x2fc reaches it as two dwords), and
 *    an INIT or start-up IPI there (apic_icr_allowed).
 * off = gpa - APIC base; size 1, 2, 4, 8. */
const char *apic_write_refusal(uint64_t off, int size, uint64_t v);

/* Writes apic_write_refusal refused (apic_ipis_refused counts the refused
 * start-up IPIs). */
uint64_t apic_writes_refused(void);

#define APIC_WINDOW_SIZE 0x100000ULL

/* The MMIO callbacks for the APIC window; ctx = the APIC base as a
 * pointer-sized integer ((void *)(uintptr_t)base). */
extern const struct mmio_ops apic_mmio_ops;

uint64_t apic_ipis_refused(void);

/* The guest's CPUs that entered the guest, with the APIC id and the logical
 * destination (LDR, DFR) each one's local APIC held when it last changed
 * them (this CPU's read now), for irq_policy_check.
 * xAPIC registers (SDM 3A 10.4.6, 10.6.2.2): ID 0x20 bits 31:24, LDR 0xd0
 * bits 31:24, DFR 0xe0 bits 31:28 (0xF flat, 0x0 cluster). */
void apic_guest_cpus(struct irq_guest_cpus *c);

#endif
