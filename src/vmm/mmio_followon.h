/* The MMIO follow-on: after shoji emulated a guest's store to a device
 * register (an MMIO exit), it runs the guest's next few instructions in the
 * same exit, up to and including ONE store to the register the device names
 * (its doorbell), so that the guest does not exit a second time for it.
 *
 * Why: Linux's libahci ahci_qc_issue() (Debian 6.1.0-57, libahci.ko)
 * writes PxSACT and, five instructions later, PxCI:
 *     +0x49  89 7a 34        mov  %edi,0x34(%rdx)     PxSACT (trapped)
 *     +0x4c  80 7e 45 00     cmpb $0x0,0x45(%rsi)     pp->fbs_enabled
 *     +0x50  74 3b           je   +0x8d
 *     +0x8d  8b 48 5c        mov  0x5c(%rax),%ecx     qc->hw_tag
 *     +0x90  be 01 00 00 00  mov  $0x1,%esi
 *     +0x95  d3 e6           shl  %cl,%esi
 *     +0x97  89 72 38        mov  %esi,0x38(%rdx)     PxCI (the doorbell)
 * Each trapped store is one VM exit; running the five in between here saves
 * one exit per queued (NCQ) command (docs/ahci.md, "The doorbell follow-on").
 *
 * A bounded forward interpreter over a whitelist, in 64-bit mode only, on
 * the guest's registers (SDM vol. 2 for every instruction's semantics):
 *   MOV  r32/r64, imm         B8+r (imm32 zero-extended; REX.W: imm64)
 *   MOV  reg, [mem]           8A 8B, MOVZX 0F B6/B7, MOVSX 0F BE/BF,
 *                             MOVSXD 63: a load from ordinary guest RAM
 *   CMP  r/m, imm             80 /7, 81 /7, 83 /7, 3C, 3D
 *   TEST r/m, imm             F6 /0, F7 /0, A8, A9
 *   CMP/TEST mem, reg         38-3B, 84, 85 (memory operand read)
 *   SHL/SHR r32/r64           D1 /4 /5 (by 1), C1 /4 /5 ib, D3 /4 /5 (by CL)
 *   Jcc rel8 / rel32          70-7F, 0F 80-8F: forward only, the target at
 *                             most FOLLOWON_MAX_SPAN bytes past the first
 *                             instruction
 *   MOV  [mem], reg / imm     89, C7 /0: the LAST instruction, only when the
 *                             store callback accepts it (the doorbell)
 * Flags: CF PF AF ZF SF OF as the SDM defines them (vmm/mmio_emul.h's
 * mmio_alu for CMP/TEST; shifts below), the values the SDM leaves undefined
 * as Intel and AMD hardware produce them (tested against the host CPU).
 *
 * It stops, with every instruction before the stop done completely and the
 * one it stops at not started (RIP on it: the guest runs it itself, natively
 * or through its own exit), at: anything not in the list (a register form
 * with any prefix but one REX before the opcode; a memory form x86_decode
 * refuses: LOCK, REP, VEX...; FS/GS overrides; register-register forms not
 * listed; memory destinations other than the final store), a load that
 * the load callback refuses (not mapped for a supervisor read, a user page,
 * not plain RAM, protected), an access crossing a page, a non-canonical
 * address, jump target or instruction byte (the code never runs past the
 * end of its canonical half, nor wraps past 2^64: the guest's page walk
 * would find bytes there where the CPU raises #GP), an instruction the
 * fetch callback cannot deliver whole, a backward jump or one too far (or
 * wrapping), FOLLOWON_MAX_INSNS instructions,
 * and a store the store callback refuses. It does not start at all outside
 * 64-bit mode, at CPL > 0, with RFLAGS.TF set, or when the caller says an
 * event must come first (blocked: an event in delivery or to be injected,
 * an STI/MOV-SS shadow, hardware breakpoints armed).
 *
 * Security: the interpreter only does what the guest's kernel would do by
 * running the same instructions itself, never more: it runs kernel code
 * (CPL 0: a user process that mapped device registers never gets it), reads
 * only what that code could read (supervisor data reads through the
 * guest's own page tables, user pages refused outright, which is stricter
 * than SMAP; fetches checked for NX and refused from user pages, stricter
 * than SMEP), only from guest RAM that protect.h lets the guest's CPU read
 * (never the hypervisor, never a device register: a read there could have
 * side effects shoji would cause out of order), at canonical addresses (a
 * non-canonical one is the CPU's #GP: it stops), with no segment base (64-
 * bit mode: none but FS/GS, refused). Its one store is handed to the
 * device's emulator exactly as the trapped store would be, so every
 * decision (the AHCI engine's copy of the command at the PxCI write, its
 * checks) is made at the same point as without it. Executing fewer
 * instructions than the CPU would is always safe; delaying an interrupt by
 * at most FOLLOWON_MAX_INSNS instructions is indistinguishable from the
 * interrupt arriving that much later.
 *
 * Portable; the machine only through the callbacks; unit-tested
 * (tests/unit/test_mmio_followon.c: every form against the host CPU's own
 * execution, every stop; tests/unit/test_ahci.c: the doorbell race). */
#ifndef SHOJI_VMM_MMIO_FOLLOWON_H
#define SHOJI_VMM_MMIO_FOLLOWON_H

#include "lib/types.h"
#include "vmm/vcpu.h"
#include "vmm/x86_decode.h"

#define FOLLOWON_MAX_INSNS 8	/* the libahci path needs 6 (the store included) */
#define FOLLOWON_MAX_SPAN 256	/* bytes past the first instruction a jump may reach */

struct followon_ops {
	/* Up to max instruction bytes at linear address lin (64-bit mode: no
	 * CS base), fewer where a page is not executable kernel code. */
	size_t (*fetch)(void *ctx, uint64_t lin, uint8_t *buf, size_t max);
	/* A size-byte (1, 2, 4, 8) supervisor data read at canonical linear
	 * address lin, inside one page: 0 with *v, or non-zero (refused). */
	int (*load)(void *ctx, uint64_t lin, int size, uint64_t *v);
	/* The final store: 0 when lin is the doorbell and the store was done
	 * (handed to the device), non-zero when refused (nothing done). */
	int (*store)(void *ctx, uint64_t lin, int size, uint64_t v);
};

/* The CPU's state around the instruction that trapped. */
struct followon_cpu {
	enum x86_mode mode;
	unsigned cpl;
	bool la57;		/* CR4.LA57: 57-bit canonical addresses */
	bool blocked;		/* an event first, a shadow, breakpoints */
};

enum followon_stop {
	FOLLOWON_STORED,	/* the doorbell store was done */
	FOLLOWON_NOT_STARTED,	/* mode, CPL, TF, blocked */
	FOLLOWON_UNKNOWN,	/* not in the whitelist */
	FOLLOWON_FETCH,		/* instruction bytes not all there */
	FOLLOWON_LOAD,		/* load refused */
	FOLLOWON_BOUNDARY,	/* access crosses a page */
	FOLLOWON_CANONICAL,	/* non-canonical address or target */
	FOLLOWON_JUMP,		/* backward or too far */
	FOLLOWON_LIMIT,		/* FOLLOWON_MAX_INSNS done */
	FOLLOWON_STORE,		/* store refused */
};

struct followon_result {
	enum followon_stop stop;
	unsigned insns;		/* instructions done (the store included) */
	const char *why;	/* for the log / tests */
};

/* Runs from *rip with registers r and *rflags (changed as the CPU would:
 * RIP past every instruction done, RF cleared once one is). Returns
 * res->stop. */
enum followon_stop mmio_followon_run(const struct followon_cpu *cpu, struct vcpu_regs *r,
				     uint64_t *rip, uint64_t *rflags,
				     const struct followon_ops *ops, void *ctx,
				     struct followon_result *res);

/* SHL (left) / SHR of v (size 4 or 8 bytes) by count (masked as the CPU
 * masks it: 5 bits, 6 with a 64-bit operand); the result, flags in
 * *rflags (unchanged for a masked count of 0). Exposed for tests. */
uint64_t followon_shift(bool left, uint64_t v, unsigned count, int size, uint64_t *rflags);

/* Whether condition code cc (0..15, the low nibble of Jcc) holds. */
bool followon_cond(unsigned cc, uint64_t rflags);

#endif
