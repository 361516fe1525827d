/* The MMIO follow-on interpreter (see mmio_followon.h). Instruction
 * semantics: Intel SDM vol. 2 entries MOV, CMP, TEST, SAL/SAR/SHL/SHR, Jcc
 * (condition codes: vol. 1 Appendix B, Table B-1); encodings: vol. 2 ch. 2
 * and Appendix A (Table A-2, group 1, 2, 3 of Table A-6); canonical
 * addresses: vol. 1 3.3.7.1 (vol. 3A 4.5 with LA57). Memory-operand forms
 * are decoded by vmm/x86_decode.h and carried out by vmm/mmio_emul.h's
 * mmio_emulate, the same code that emulates a trapped access. */
#include "lib/error.h"
#include "vmm/mmio_emul.h"
#include "vmm/mmio_followon.h"

#define REX_W 0x08
#define REX_R 0x04
#define REX_B 0x01

static uint64_t mask_of(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static bool canonical(uint64_t a, bool la57)
{
	unsigned bits = la57 ? 57 : 48;

	return (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits)) == a;
}

/* How many instruction bytes from the canonical address rip on are
 * canonical too: up to the end of the lower half, or in the upper half up
 * to (not including) its last byte, so that RIP never wraps to 0. A fetch
 * past them is the CPU's #GP, but the guest's page walk would find bytes
 * there (it indexes with bits 47:12 or 56:12 only). */
static uint64_t canonical_room(uint64_t rip, bool la57)
{
	return (int64_t)rip < 0 ? ~rip : (1ULL << (la57 ? 56 : 47)) - rip;
}

/* SHL/SHR (SDM vol. 2 "SAL/SAR/SHL/SHR"): CF is the last bit shifted out;
 * OF is defined for a count of 1 only (SHL: MSB(result) XOR CF; SHR: the
 * operand's MSB), SF ZF PF follow the result, AF is undefined; a masked
 * count of 0 changes no flag. The undefined values are those of the AMD
 * EPYC hosts this is tested on (tests/unit/test_mmio_followon.c runs the
 * same shifts natively and reports any difference): OF by the count-1
 * formula for SHL whatever the count, clear after SHR by more than 1 (the
 * result's top two bits, both 0, XORed), AF set. Compiled code never reads
 * an undefined flag; QEMU's TCG, for one, clears AF here. */
uint64_t followon_shift(bool left, uint64_t v, unsigned count, int size, uint64_t *rflags)
{
	unsigned bits = 8 * (unsigned)size;
	uint64_t m = mask_of(size), r, f = 0;
	bool cf;

	count &= size == 8 ? 63 : 31;
	v &= m;
	if (!count)
		return v;
	if (left) {
		r = (v << count) & m;
		cf = (v >> (bits - count)) & 1;
		if (((r >> (bits - 1)) & 1) ^ cf)
			f |= X86_FLAG_OF;
	} else {
		r = v >> count;
		cf = (v >> (count - 1)) & 1;
		if (count == 1 && ((v >> (bits - 1)) & 1))
			f |= X86_FLAG_OF;
	}
	if (cf)
		f |= X86_FLAG_CF;
	f |= X86_FLAG_AF;
	if (!r)
		f |= X86_FLAG_ZF;
	if ((r >> (bits - 1)) & 1)
		f |= X86_FLAG_SF;
	if (mmio_parity_even(r))
		f |= X86_FLAG_PF;
	*rflags = (*rflags & ~X86_FLAGS_ARITH) | f;
	return r;
}

bool followon_cond(unsigned cc, uint64_t fl)
{
	bool cf = fl & X86_FLAG_CF, zf = fl & X86_FLAG_ZF, sf = fl & X86_FLAG_SF,
	     of = fl & X86_FLAG_OF, pf = fl & X86_FLAG_PF, r;

	switch ((cc >> 1) & 7) {
	case 0: r = of; break;			/* O / NO */
	case 1: r = cf; break;			/* B / AE */
	case 2: r = zf; break;			/* E / NE */
	case 3: r = cf || zf; break;		/* BE / A */
	case 4: r = sf; break;			/* S / NS */
	case 5: r = pf; break;			/* P / NP */
	case 6: r = sf != of; break;		/* L / GE */
	default: r = zf || sf != of; break;	/* LE / G */
	}
	return (cc & 1) ? !r : r;
}

/* ---- one instruction ---- */

struct run {
	const struct followon_cpu *cpu;
	struct vcpu_regs *r;
	uint64_t *rip, *rflags;
	const struct followon_ops *ops;
	void *ctx;
	uint64_t start;		/* the first instruction's address */
	struct followon_result *res;
	bool cut;		/* this fetch was cut at the canonical boundary */
};

static enum followon_stop stop(struct run *x, enum followon_stop s, const char *why)
{
	x->res->stop = s;
	x->res->why = why;
	return s;
}

/* The instruction continues past the bytes fetched. */
static enum followon_stop incomplete(struct run *x)
{
	if (x->cut)
		return stop(x, FOLLOWON_CANONICAL, "instruction crosses the canonical boundary (#GP)");
	return stop(x, FOLLOWON_FETCH, "instruction incomplete");
}

/* An instruction done: RIP past it, RF cleared (it completed). */
static void done(struct run *x, uint64_t next)
{
	*x->rip = next;
	*x->rflags &= ~X86_FLAG_RF;
	x->res->insns++;
}

/* Register operands of the register forms: 8-bit (AH..BH without REX),
 * 32-bit writes zero-extend (SDM vol. 1 3.4.1.1). */
static uint64_t reg_get(struct run *x, int reg, int size, bool rex)
{
	if (size == 1 && !rex && reg >= 4 && reg < 8)
		return (x86_reg_get(x->r, reg - 4) >> 8) & 0xff;
	return x86_reg_get(x->r, reg) & mask_of(size);
}

static void reg_put(struct run *x, int reg, int size, uint64_t v)
{
	x86_reg_set(x->r, reg, size == 4 ? v & 0xffffffffULL : v);
}

static uint64_t imm_at(const uint8_t *b, int size)
{
	uint64_t v = 0;

	for (int i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t sext(uint64_t v, int size)
{
	if (size < 8 && ((v >> (8 * size - 1)) & 1))
		v |= ~mask_of(size);
	return v;
}

/* mmio_emulate's accesses, on the value the load callback gave (loads,
 * CMP, TEST) or into a capture (the store). */
struct capture {
	uint64_t v;
	int size;
	bool wrote;
};

static uint64_t cap_read(void *ctx, uint64_t gpa, int size)
{
	(void)gpa;
	(void)size;
	return ((struct capture *)ctx)->v;
}

static void cap_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	struct capture *c = ctx;

	(void)gpa;
	c->v = v;
	c->size = size;
	c->wrote = true;
}

static const struct mmio_ops cap_ops = { .read = cap_read, .write = cap_write };

/* A memory-operand instruction x86_decode accepted. Returns FOLLOWON_STORED
 * after the store, FOLLOWON_LIMIT (used as "go on") after a load or compare,
 * or the stop. */
static enum followon_stop mem_form(struct run *x, const uint8_t *b, size_t n)
{
	struct x86_insn insn;
	struct capture cap = { 0 };
	struct vcpu_regs r2;
	uint64_t lin, rip2, fl2;
	bool store;

	int rc = x86_decode(&insn, b, n, X86_MODE_64);

	if (rc == E_RANGE)
		return incomplete(x);
	if (rc)
		return stop(x, FOLLOWON_UNKNOWN, insn.reason);
	/* 64-bit mode: only FS and GS have a base (their MSRs): not ours. */
	if (insn.mem.seg == X86_SEG_FS || insn.mem.seg == X86_SEG_GS)
		return stop(x, FOLLOWON_UNKNOWN, "FS/GS-relative operand");
	store = insn.access == X86_ACCESS_WRITE && insn.op == X86_OP_MOV;
	if (!store && !(insn.access == X86_ACCESS_READ &&
			(((insn.op == X86_OP_MOV || insn.op == X86_OP_MOVZX ||
			   insn.op == X86_OP_MOVSX) && insn.reg_dst) ||
			 insn.op == X86_OP_CMP || insn.op == X86_OP_TEST)))
		return stop(x, FOLLOWON_UNKNOWN, "not a load, compare or store");
	lin = x86_linear_addr(&insn, x->r, *x->rip, 0);
	if (!canonical(lin, x->cpu->la57))
		return stop(x, FOLLOWON_CANONICAL, "non-canonical operand (#GP)");
	if ((lin & (PAGE_SIZE - 1)) + insn.size > PAGE_SIZE)
		return stop(x, FOLLOWON_BOUNDARY, "operand crosses a page");
	if (!store && x->ops->load(x->ctx, lin, insn.size, &cap.v))
		return stop(x, FOLLOWON_LOAD, "load refused");
	/* On copies: the store's registers are committed only once the device
	 * took it. */
	r2 = *x->r;
	rip2 = *x->rip;
	fl2 = *x->rflags;
	if (mmio_emulate(&insn, lin, &r2, &rip2, &fl2, &cap_ops, &cap, NULL, 0))
		return stop(x, FOLLOWON_UNKNOWN, "not emulated");
	if (store) {
		if (!cap.wrote || x->ops->store(x->ctx, lin, cap.size, cap.v))
			return stop(x, FOLLOWON_STORE, "store refused");
	}
	*x->r = r2;
	*x->rflags = fl2;
	done(x, rip2);
	return store ? stop(x, FOLLOWON_STORED, NULL) : FOLLOWON_LIMIT;
}

/* One instruction at *rip. FOLLOWON_LIMIT means "done, go on". */
static enum followon_stop step(struct run *x)
{
	uint8_t b[X86_MAX_INSN_LEN];
	size_t n, max = sizeof(b), p = 0, len;
	uint8_t rex = 0, op, modrm;
	int size, rm;
	uint64_t v, imm, next, room;

	if (!canonical(*x->rip, x->cpu->la57))
		return stop(x, FOLLOWON_CANONICAL, "non-canonical RIP (#GP)");
	room = canonical_room(*x->rip, x->cpu->la57);
	x->cut = room < max;
	if (x->cut)
		max = (size_t)room;
	n = x->ops->fetch(x->ctx, *x->rip, b, max);
	if (!n)
		return x->cut ? incomplete(x) : stop(x, FOLLOWON_FETCH, "no instruction bytes");
	if ((b[0] & 0xf0) == 0x40) {
		rex = b[0];
		p = 1;
	}
#define NEED(k) do { if (n < (k)) return incomplete(x); } while (0)
	NEED(p + 1);
	op = b[p];
	size = (rex & REX_W) ? 8 : 4;
	/* MOV r32/r64, imm32/imm64 */
	if (op >= 0xb8 && op <= 0xbf) {
		len = p + 1 + (size == 8 ? 8 : 4);
		NEED(len);
		reg_put(x, (op & 7) | ((rex & REX_B) ? 8 : 0), size, imm_at(b + p + 1, size));
		done(x, *x->rip + len);
		return FOLLOWON_LIMIT;
	}
	/* Jcc rel8 / rel32 (no REX: it would mean nothing, refused as unusual) */
	if (!rex && ((op >= 0x70 && op <= 0x7f) || (op == 0x0f && n > 1 && b[1] >= 0x80 &&
						    b[1] <= 0x8f))) {
		unsigned cc = op == 0x0f ? b[1] & 15 : op & 15;
		int64_t rel;

		len = op == 0x0f ? 6 : 2;
		NEED(len);
		rel = op == 0x0f ? (int64_t)sext(imm_at(b + 2, 4), 4) : (int64_t)sext(b[1], 1);
		next = *x->rip + len;
		if (followon_cond(cc, *x->rflags)) {
			if (rel < 0)
				return stop(x, FOLLOWON_JUMP, "backward jump");
			if (next + (uint64_t)rel < next)
				return stop(x, FOLLOWON_JUMP, "jump target wraps past 2^64");
			if (next + (uint64_t)rel - x->start > FOLLOWON_MAX_SPAN)
				return stop(x, FOLLOWON_JUMP, "jump too far");
			next += (uint64_t)rel;
			if (!canonical(next, x->cpu->la57))
				return stop(x, FOLLOWON_CANONICAL, "non-canonical jump target (#GP)");
		}
		done(x, next);
		return FOLLOWON_LIMIT;
	}
	/* CMP AL/eAX, imm; TEST AL/eAX, imm */
	if (op == 0x3c || op == 0x3d || op == 0xa8 || op == 0xa9) {
		int s = (op & 1) ? size : 1, is = s == 8 ? 4 : s;

		len = p + 1 + (size_t)is;
		NEED(len);
		imm = sext(imm_at(b + p + 1, is), is);
		mmio_alu(op <= 0x3d ? X86_OP_CMP : X86_OP_TEST, reg_get(x, X86_RAX, s, rex), imm, s,
			 x->rflags);
		done(x, *x->rip + len);
		return FOLLOWON_LIMIT;
	}
	if (op == 0x80 || op == 0x81 || op == 0x83 || op == 0xf6 || op == 0xf7 || op == 0xc1 ||
	    op == 0xd1 || op == 0xd3) {
		NEED(p + 2);
		modrm = b[p + 1];
		if ((modrm >> 6) != 3)
			return mem_form(x, b, n);
		rm = (modrm & 7) | ((rex & REX_B) ? 8 : 0);
		unsigned sub = (modrm >> 3) & 7;

		if (op == 0xc1 || op == 0xd1 || op == 0xd3) {
			unsigned count;

			if (sub != 4 && sub != 5)
				return stop(x, FOLLOWON_UNKNOWN, "shift or rotate not SHL/SHR");
			len = p + 2 + (op == 0xc1 ? 1 : 0);
			NEED(len);
			count = op == 0xc1 ? b[p + 2] : op == 0xd1 ? 1 : (unsigned)(x->r->rcx & 0xff);
			v = followon_shift(sub == 4, reg_get(x, rm, size, rex), count, size,
					   x->rflags);
			reg_put(x, rm, size, v);
			done(x, *x->rip + len);
			return FOLLOWON_LIMIT;
		}
		if ((op == 0xf6 || op == 0xf7) ? sub != 0 : sub != 7)
			return stop(x, FOLLOWON_UNKNOWN, "register ALU form not CMP/TEST");
		int s = (op == 0x80 || op == 0xf6) ? 1 : size;
		int is = (op == 0x83 || s == 1) ? 1 : 4;

		len = p + 2 + (size_t)is;
		NEED(len);
		imm = sext(imm_at(b + p + 2, is), is);
		mmio_alu(sub == 7 ? X86_OP_CMP : X86_OP_TEST, reg_get(x, rm, s, rex), imm, s,
			 x->rflags);
		done(x, *x->rip + len);
		return FOLLOWON_LIMIT;
	}
#undef NEED
	return mem_form(x, b, n);
}

enum followon_stop mmio_followon_run(const struct followon_cpu *cpu, struct vcpu_regs *r,
				     uint64_t *rip, uint64_t *rflags,
				     const struct followon_ops *ops, void *ctx,
				     struct followon_result *res)
{
	struct run x = { cpu, r, rip, rflags, ops, ctx, *rip, res, false };
	enum followon_stop s;

	res->insns = 0;
	res->why = NULL;
	if (cpu->mode != X86_MODE_64)
		return stop(&x, FOLLOWON_NOT_STARTED, "not 64-bit mode");
	if (cpu->cpl)
		return stop(&x, FOLLOWON_NOT_STARTED, "not kernel code (CPL > 0)");
	if (*rflags & X86_FLAG_TF)
		return stop(&x, FOLLOWON_NOT_STARTED, "single-step (TF)");
	if (cpu->blocked)
		return stop(&x, FOLLOWON_NOT_STARTED, "an event or breakpoint comes first");
	for (unsigned i = 0; i < FOLLOWON_MAX_INSNS; i++) {
		s = step(&x);
		if (s != FOLLOWON_LIMIT)
			return s;
	}
	return stop(&x, FOLLOWON_LIMIT, "instruction limit");
}
