/* Decoding ONE x86 instruction that touched memory, so that shoji can
 * emulate a guest's access to an emulated or intercepted MMIO page (nested
 * page fault). SVM under QEMU TCG has no decode assists and no NRIP save:
 * shoji fetches the bytes at the guest's RIP itself and decodes them here.
 *
 * Scope: exactly the instructions Linux's MMIO accessors (readb..readq,
 * writeb..writeq: MOV) and compiled driver code use on device registers;
 * everything else is REFUSED with a reason, never guessed:
 *   MOV    88 /r, 89 /r (store reg), 8A /r, 8B /r (load reg),
 *          C6 /0 ib, C7 /0 iw/id (store imm; C7 with REX.W sign-extends
 *          imm32 to 64), A0-A3 (AL/eAX <-> moffs)
 *   MOVZX  0F B6 /r, 0F B7 /r;   MOVSX 0F BE /r, 0F BF /r;
 *   MOVSXD 63 /r with REX.W (64-bit mode only)
 *   MOVNTI 0F C3 /r (a store; the non-temporal hint means nothing to MMIO)
 *   ALU    ADD OR AND SUB XOR CMP with memory: 00-03 08-0B 20-23 28-2B
 *          30-33 38-3B (r/m,reg and reg,r/m), 80 /n ib, 81 /n iz,
 *          83 /n ib (sign-extended) for n = 0 1 4 5 6 7;
 *          TEST 84 /r, 85 /r, F6 /0 ib, F7 /0 iz
 * Opcode maps: Intel SDM vol. 2 Appendix A (Table A-2 one-byte, A-3
 * two-byte, A-6 ModRM.reg opcode groups 1, 3, 11); AMD APM vol. 3
 * Appendix A. Instruction format and prefixes: SDM vol. 2 ch. 2 (2.1.1
 * legacy prefixes, 2.2.1 REX, Tables 2-2/2-3 32-bit ModRM and SIB, Table
 * 2-5 REX special cases, 2.2.1.6 RIP-relative), APM vol. 3 ch. 1.
 *
 * Refused, with E_UNSUPPORTED: LOCK (an atomic access cannot be emulated
 * on a device register), REP/REPNE (F3/F2: string ops, HLE hints and
 * mandatory prefixes alike), string ops (MOVS, STOS...), VEX/EVEX/XOP
 * (AVX), SSE/x87 moves, XCHG, ADC/SBB, INC/DEC, NOT/NEG, BT*, CMPXCHG,
 * every other opcode. E_INVAL: register-only forms (ModRM.mod = 3: no memory operand,
 * so this instruction cannot be the one that faulted) and instructions
 * longer than 15 bytes (#GP on the CPU). E_RANGE: the bytes given end
 * before the instruction does (an instruction crossing into an unmapped
 * page: fetch more, or give up). The decoder never reads past n bytes.
 *
 * Prefix rules applied (SDM 2.1.1, 2.2.1; APM 1.2): legacy prefixes in any
 * order, a repeated prefix counts once, two DIFFERENT segment overrides are
 * refused; a REX must immediately precede the opcode (one followed by a
 * legacy prefix is ignored, as the CPU does; of several REX the last
 * counts); 66 is ignored for byte operations and by REX.W; in 64-bit mode
 * CS/DS/ES/SS overrides are ignored and only FS/GS change the address. */
#ifndef SHOJI_VMM_X86_DECODE_H
#define SHOJI_VMM_X86_DECODE_H

#include "lib/types.h"
#include "vmm/vcpu.h"

#define X86_MAX_INSN_LEN 15

/* The code segment's default sizes (SDM 3A 5.2.1, APM 2 4.8): 64 when
 * EFER.LMA and CS.L; 32 when CS.D; 16 otherwise (real mode, 16-bit
 * protected mode: 16-bit operands and addresses by default, 66 and 67 give
 * 32; the 16-bit ModRM forms of SDM vol. 2 Table 2-1 are decoded into the
 * same base + index + disp, with addresses wrapping at 16 bits). */
enum x86_mode {
	X86_MODE_16 = 16,
	X86_MODE_32 = 32,
	X86_MODE_64 = 64,
};
enum x86_mode x86_mode_of(bool efer_lma, bool cs_l, bool cs_d);

/* Register numbers as encoded (ModRM.reg/rm, SIB, plus REX bits): NOT the
 * order of struct vcpu_regs. */
enum {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_RIP = 16,		/* only as a memory base: RIP-relative */
	X86_NOREG = -1,
};

/* Segment registers, in the order of their encoding (Sreg). */
enum x86_seg { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS };

enum x86_op {
	X86_OP_MOV,	/* load (reg_dst) or store */
	X86_OP_MOVZX,	/* load, zero-extended to opsize */
	X86_OP_MOVSX,	/* load, sign-extended to opsize (MOVSX, MOVSXD) */
	X86_OP_ADD,
	X86_OP_OR,
	X86_OP_AND,
	X86_OP_SUB,
	X86_OP_XOR,
	X86_OP_CMP,	/* flags only */
	X86_OP_TEST,	/* flags only */
};

/* What happens to the memory operand. */
enum x86_access {
	X86_ACCESS_READ = 1,	/* loads, ALU into a register, CMP, TEST */
	X86_ACCESS_WRITE = 2,	/* stores (MOV, MOVNTI) */
	X86_ACCESS_RMW = 3,	/* ALU with memory destination: read, then write */
};

enum x86_ext { X86_EXT_NONE, X86_EXT_ZERO, X86_EXT_SIGN };

struct x86_mem {
	int8_t base;		/* X86_RAX..X86_R15, X86_RIP, or X86_NOREG */
	int8_t index;		/* X86_RAX..X86_R15 or X86_NOREG */
	uint8_t scale;		/* 1, 2, 4, 8 (1 when no index) */
	int64_t disp;		/* sign-extended; for moffs the full offset */
	uint8_t addr_size;	/* 2, 4 or 8: the address wraps at this size */
	enum x86_seg seg;	/* the segment the CPU uses (default DS, or SS
				 * for an RSP/RBP base; or the override) */
	bool seg_override;	/* a segment prefix was given and counts */
	bool moffs;		/* A0-A3: address in the instruction */
};

struct x86_insn {
	uint8_t len;		/* instruction length (valid on success) */
	enum x86_mode mode;
	enum x86_op op;
	enum x86_access access;
	uint8_t size;		/* bytes of memory accessed: 1, 2, 4, 8 */
	uint8_t opsize;		/* operand size: the register's (the
				 * destination's for MOVZX/MOVSX); == size
				 * for everything else */
	enum x86_ext ext;	/* MOVZX / MOVSX(D) */
	bool reg_dst;		/* the register is the destination / first
				 * operand (loads, "OP reg, mem"); else memory
				 * is (stores, "OP mem, reg/imm") */
	int8_t reg;		/* register operand, 0..15, or X86_NOREG with
				 * an immediate */
	bool reg_high8;		/* byte register AH CH DH BH (reg is then
				 * 4..7 and names bits 15:8 of reg - 4); only
				 * without any REX prefix */
	bool has_imm;
	uint64_t imm;		/* the immediate as the operation uses it:
				 * sign-extended as the opcode says, then
				 * truncated to opsize bytes */
	bool writes_flags;	/* ALU ops: CF PF AF ZF SF OF */
	struct x86_mem mem;
	uint8_t rex;		/* the REX byte that counts, 0 if none */
	bool p66, p67;		/* operand-/address-size prefixes seen */
	/* For log lines: the bytes looked at (all of them on success; up to
	 * where decoding stopped otherwise), and why it was refused. */
	uint8_t bytes[X86_MAX_INSN_LEN];
	uint8_t nbytes;
	const char *reason;	/* NULL on success */
};

/* Decodes the instruction at bytes[0..n) (n may exceed 15: only 15 are
 * looked at; n may be less: E_RANGE when the instruction is longer).
 * Returns 0, E_RANGE, E_UNSUPPORTED or E_INVAL (see above); on error
 * insn->reason says why. */
int x86_decode(struct x86_insn *insn, const uint8_t *bytes, size_t n, enum x86_mode mode);

/* The guest register with encoded number r (0..15), and setting it whole. */
uint64_t x86_reg_get(const struct vcpu_regs *regs, int r);
void x86_reg_set(struct vcpu_regs *regs, int r, uint64_t v);

/* The linear (guest-virtual) address of the memory operand: base + index *
 * scale + disp (RIP-relative: from the NEXT instruction, rip + len),
 * wrapped at the address size, plus seg_base, the base of insn->mem.seg.
 * seg_base is ignored in 64-bit mode unless the segment is FS or GS (give
 * the FS/GS base MSR value); in 32-bit mode it is added for every segment
 * and the result wraps at 4 GiB. Segment limits and rights are not checked:
 * the faulting access already passed them. rip is the instruction's own
 * address (offset in CS). */
uint64_t x86_linear_addr(const struct x86_insn *insn, const struct vcpu_regs *regs,
			 uint64_t rip, uint64_t seg_base);

/* Writes the bytes as contiguous hex ("8b0425f0ff1f00") into buf (always
 * NUL-terminated when len > 0); returns the length it needed. */
size_t x86_format_bytes(const uint8_t *bytes, size_t n, char *buf, size_t len);

const char *x86_op_name(enum x86_op op);

#endif
