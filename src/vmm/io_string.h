/* String port I/O to trapped ports (vmm/io_trap.h): INS and OUTS, with or
 * without REP, as Linux's ioread16_rep/iowrite16_rep (rep insw/outsw) and
 * the 32-bit forms (rep insl/outsl) drive an IDE data port.
 *
 * Decoding (no decode assists on TCG's SVM, none at all on some VT-x
 * exits): legacy prefixes in any order (66 operand size, 67 address size,
 * F2/F3 repeat, segment overrides, LOCK refused: #UD on a CPU), a REX
 * prefix in 64-bit mode (ignored: INS/OUTS have no 64-bit form), then
 * 6C INSB, 6D INSW/INSD, 6E OUTSB, 6F OUTSW/OUTSD (SDM 2B "INS", "OUTS";
 * APM 3). INS stores to ES:rDI (no override, SDM 2B); OUTS loads from
 * DS:rSI or the override; in 64-bit mode only FS/GS overrides change the
 * address. 16-bit code is refused (shoji's guests run in 32/64-bit mode).
 *
 * Running: each element goes through io_trap_in/io_trap_out and is copied
 * to or from the guest by its linear address with the guest's own paging
 * (vmm/guest_mem.h: protected and emulated ranges refused). rSI/rDI move
 * by the element size (backwards with RFLAGS.DF), wrapping at the address
 * size; with REP, rCX counts down and at most IO_STRING_MAX_BYTES move per
 * call: the rest is done when the CPU executes the instruction again, as a
 * REP string instruction may be interrupted between iterations (SDM 2B
 * "REP"). Portable, unit-tested (tests/unit/test_io_trap.c). */
#ifndef SHOJI_VMM_IO_STRING_H
#define SHOJI_VMM_IO_STRING_H

#include "lib/types.h"
#include "vmm/guest_mem.h"
#include "vmm/vcpu.h"
#include "vmm/x86_decode.h"

#define IO_STRING_MAX_BYTES 4096
#define X86_FLAG_DF (1ULL << 10)	/* RFLAGS.DF: string ops go downwards */

struct io_string {
	bool in;		/* INS, else OUTS */
	bool rep;
	uint8_t size;		/* element: 1, 2 or 4 bytes */
	uint8_t addr_size;	/* 2, 4 or 8 bytes */
	enum x86_seg seg;	/* the memory operand's segment */
	uint8_t len;		/* instruction length */
};

/* E_INVAL (not INS/OUTS), E_RANGE (truncated), E_UNSUPPORTED (LOCK,
 * 16-bit code); *why says which. */
int io_string_decode(const uint8_t *bytes, size_t n, enum x86_mode mode, struct io_string *s,
		     const char **why);

/* Runs (part of) the instruction on `port`. seg_base: the base of s->seg
 * (ignored in 64-bit mode unless FS/GS); df: RFLAGS.DF. *done: finished,
 * advance RIP past it (else leave RIP: it runs again). E_FAULT: the
 * element at *fault_lin is not mapped for the access or is protected;
 * nothing of it was done (earlier elements were, and the registers say
 * so). */
int io_string_run(const struct io_string *s, uint16_t port, enum x86_mode mode,
		  struct vcpu_regs *r, const struct guest_paging *pg, uint64_t seg_base, bool df,
		  bool *done, uint64_t *fault_lin);

#endif
