/* A guest's MOV to CR0 or CR4 that the back-end intercepted, done by shoji:
 * decoded from the instruction bytes (TCG's SVM has no decode assists, so
 * EXITINFO1 does not name the register), checked as the CPU checks it, and
 * applied with its side effects (EFER.LMA on a paging change, TLB flush).
 * A value the architecture refuses raises #GP in the guest, as on hardware,
 * instead of reaching the VMCB, where VMRUN would refuse it and shoji stop
 * (issue 9). Portable, unit-tested; the back-end only moves registers.
 *
 * Sources: AMD APM vol. 2 3.1.1 (CR0), 3.1.3 (CR4), 14.6 (enabling and
 * disabling long mode), 15.9 (CR intercepts: MOV to CR0, LMSW and CLTS are
 * all CR0 writes); APM vol. 3 "MOV CRn", "LMSW"; Intel SDM vol. 2B "MOV—Move
 * to/from Control Registers" (the #GP conditions), vol. 3A 2.5. */
#ifndef SHOJI_VMM_CR_WRITE_H
#define SHOJI_VMM_CR_WRITE_H

#include "lib/types.h"
#include "vmm/cpu_state_check.h"
#include "vmm/x86_decode.h"

/* The intercepted instruction. */
enum cr_insn_kind {
	CR_INSN_MOV,	/* 0F 22 /r: MOV CRn, r32/r64 (ModRM.mod is ignored) */
	CR_INSN_LMSW,	/* 0F 01 /6 with a register operand: LMSW r16 */
	CR_INSN_CLTS,	/* 0F 06: clears CR0.TS */
};
struct cr_insn {
	enum cr_insn_kind kind;
	uint8_t cr;	/* 0..15 (REX.R extends ModRM.reg); 0 for LMSW, CLTS */
	uint8_t gpr;	/* the source register, encoded number 0..15 (not CLTS) */
	uint8_t len;
};

/* Decodes a MOV to CRn, a register LMSW or CLTS at bytes[0..n). Prefixes: 66, 67,
 * segment overrides and F2/F3 are ignored (the operand size of MOV CRn is
 * 64 bits in 64-bit mode, 32 otherwise); REX (64-bit mode only) must come
 * last. Refused: LOCK (AMD's alternative CR8 encoding, never intercepted),
 * LMSW with a memory operand (no guest of ours uses it), everything else.
 * Returns 0, or E_UNSUPPORTED / E_RANGE (bytes end early) with *why set. */
int cr_insn_decode(const uint8_t *bytes, size_t n, enum x86_mode mode, struct cr_insn *insn,
		   const char **why);

/* The value the instruction writes: the register, truncated to 32 bits
 * outside 64-bit mode; for LMSW, CR0 with bits 3:0 replaced by the
 * register's (PE can be set, never cleared: APM vol. 3 LMSW); for CLTS,
 * CR0 with TS clear. */
uint64_t cr_insn_value(const struct cr_insn *insn, uint64_t reg, enum x86_mode mode,
		       uint64_t cr0);

/* The guest's control state as the back-end holds it. */
struct cr_state {
	uint64_t cr0, cr3, cr4, efer;	/* efer as the guest sees it (no SVME) */
	bool cs_l;			/* CS.L: in 64-bit mode when LMA */
};

/* MOV to CR0 / CR4 with `value`. NULL: taken, *s updated (CR0.ET reads 1;
 * EFER.LMA follows CR0.PG with EFER.LME), *flush_tlb set when the
 * translation changed. Else why the CPU raises #GP; *s unchanged. f is what
 * CPUID tells the guest (the CR4 bits that exist). */
const char *cr0_write(struct cr_state *s, uint64_t value, bool *flush_tlb);
const char *cr4_write(struct cr_state *s, uint64_t value, const struct x86_features *f,
		      bool *flush_tlb);

#endif
