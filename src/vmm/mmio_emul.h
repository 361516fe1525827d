/* Emulating one guest instruction's access to an MMIO page (after a nested
 * page fault on a page shoji emulates or intercepts): perform the access
 * through the caller's callbacks and change the guest's registers exactly
 * as the CPU would, then step RIP over the instruction. Portable, unit-
 * tested (tests/unit/test_x86_decode.c).
 *
 * What the NPF handler does (SVM on TCG: no decode assists, no NRIP):
 *   1. fetch up to 15 bytes at CS.base + RIP (fewer at the end of a page
 *      whose successor is not mapped) and x86_decode() them in the mode
 *      x86_mode_of(EFER.LMA, CS.L, CS.D) gives;
 *   2. lin = x86_linear_addr(&insn, &regs, rip, base of insn.mem.seg);
 *      gpa = guest_virt_to_phys(lin, write = insn.access != READ);
 *   3. cross-check: gpa must be on the page EXITINFO2 reports (else the
 *      bytes are not the instruction that faulted: stop, do not emulate);
 *   4. mmio_emulate(); on any error, log "mmio refused ... <why>" and stop
 *      the guest: the why text carries bytes=<hex> and reason="...".
 * regs must hold the complete GPR state: on SVM, RAX and RSP live in the
 * VMCB and must be copied in and back out. */
#ifndef SHOJI_VMM_MMIO_EMUL_H
#define SHOJI_VMM_MMIO_EMUL_H

#include "lib/types.h"
#include "vmm/vcpu.h"
#include "vmm/x86_decode.h"

struct mmio_ops {
	/* size is 1, 2, 4 or 8; reads return the value in the low bytes. */
	uint64_t (*read)(void *ctx, uint64_t gpa, int size);
	void (*write)(void *ctx, uint64_t gpa, int size, uint64_t v);
	/* Optional, for a range whose reads pass (read-only mapping): whether
	 * some page of [start, end) must trap reads too (the nested tables
	 * then leave those pages unmapped); asked when the tables are built. */
	bool (*reads_trapped)(void *ctx, uint64_t start, uint64_t end);
	/* Optional: after the trapped store of size bytes at gpa, the one
	 * device register a store may go to in the same exit (its address, its
	 * size in *store_size), run by vmm/mmio_followon.h; 0: none. The store
	 * then comes to write() exactly as a trapped one would. */
	uint64_t (*followon)(void *ctx, uint64_t gpa, int size, int *store_size);
};

/* RFLAGS bits ALU instructions change. */
#define X86_FLAG_CF (1ULL << 0)
#define X86_FLAG_PF (1ULL << 2)
#define X86_FLAG_AF (1ULL << 4)
#define X86_FLAG_ZF (1ULL << 6)
#define X86_FLAG_SF (1ULL << 7)
#define X86_FLAG_OF (1ULL << 11)
#define X86_FLAG_TF (1ULL << 8)	/* single-step */
#define X86_FLAG_RF (1ULL << 16)
#define X86_FLAGS_ARITH (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | \
			 X86_FLAG_SF | X86_FLAG_OF)

/* Performs insn (decoded successfully by x86_decode) whose memory operand is
 * at guest-physical gpa:
 *   loads      read size bytes, write the register: 8/16-bit results
 *              merge into it (AH..BH: bits 15:8), 32-bit results zero-extend
 *              to 64 bits, MOVZX/MOVSX(D) extend to opsize first;
 *   stores     write the register's low size bytes (AH..BH: bits 15:8) or
 *              the immediate;
 *   ALU        read, compute, write the result back (memory destination)
 *              or into the register (register destination); CMP/TEST write
 *              nothing; CF PF AF ZF SF OF are set as the SDM says for the
 *              operation (AF, undefined after AND/OR/XOR/TEST, is cleared);
 * then *rip += len (wrapping at 4 GiB in 32-bit mode, at 64 KiB in 16-bit
 * mode) and RFLAGS.RF is cleared (the instruction completed). RFLAGS.TF is the caller's business
 * (a #DB after the emulated instruction).
 * Refused, with nothing read, written or changed: an access that crosses a
 * page boundary (it would touch two pages, one maybe not MMIO) and an insn
 * that is not a successful decode. Returns 0, or E_UNSUPPORTED / E_INVAL
 * with why (if not NULL) set to "bytes=<hex> reason=\"...\"". */
int mmio_emulate(const struct x86_insn *insn, uint64_t gpa, struct vcpu_regs *regs,
		 uint64_t *rip, uint64_t *rflags, const struct mmio_ops *ops, void *ctx,
		 char *why, size_t whylen);

/* The same "bytes=<hex> reason=\"...\"" text for an instruction x86_decode
 * refused (its insn->bytes / nbytes and insn->reason), or for any reason
 * the caller has; on success the bytes are those of the instruction only.
 * Returns the length needed (like snprintf). */
size_t mmio_explain(const struct x86_insn *insn, const char *reason, char *buf, size_t len);

/* The value the ALU instruction's computation gives and the flags it sets
 * (exposed for tests): op is X86_OP_ADD..X86_OP_TEST, size 1/2/4/8;
 * *rflags: only X86_FLAGS_ARITH change. */
uint64_t mmio_alu(enum x86_op op, uint64_t a, uint64_t b, int size, uint64_t *rflags);

/* PF as the CPU sets it: whether the low byte of a result has an even
 * number of set bits (SDM vol. 1, 3.4.3.1). */
bool mmio_parity_even(uint64_t v);

#endif
