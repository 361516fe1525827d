/* MMIO instruction emulation (see mmio_emul.h). Register and flag
 * semantics: Intel SDM vol. 1 3.4.1.1 (32-bit results zero-extend in
 * 64-bit mode; 8/16-bit ones leave the rest), 3.4.3.1 and Appendix A
 * (status flags); vol. 2 entries ADD, SUB, CMP, AND, OR, XOR, TEST, MOV,
 * MOVZX, MOVSX/MOVSXD, MOVNTI. AMD APM vol. 1 3.1.2.3, 3.1.6. */
#include "lib/error.h"
#include "lib/printf.h"
#include "vmm/mmio_emul.h"

static uint64_t mask_of(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t sign_bit(int size)
{
	return 1ULL << (8 * size - 1);
}

/* The register operand's value at size bytes (AH..BH: bits 15:8). */
static uint64_t reg_read(const struct x86_insn *insn, const struct vcpu_regs *regs, int size)
{
	if (insn->reg_high8)
		return (x86_reg_get(regs, insn->reg - 4) >> 8) & 0xff;
	return x86_reg_get(regs, insn->reg) & mask_of(size);
}

/* Writes a size-byte result into the register operand as the CPU does. */
static void reg_write(const struct x86_insn *insn, struct vcpu_regs *regs, int size, uint64_t v)
{
	uint64_t old;

	if (insn->reg_high8) {
		old = x86_reg_get(regs, insn->reg - 4);
		x86_reg_set(regs, insn->reg - 4, (old & ~0xff00ULL) | ((v & 0xff) << 8));
		return;
	}
	old = x86_reg_get(regs, insn->reg);
	switch (size) {
	case 1:
	case 2:
		v = (old & ~mask_of(size)) | (v & mask_of(size));
		break;
	case 4:
		v &= 0xffffffffULL;	/* zero-extends to 64 bits */
		break;
	default:
		break;
	}
	x86_reg_set(regs, insn->reg, v);
}

bool mmio_parity_even(uint64_t v)
{
	uint8_t b = (uint8_t)v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

uint64_t mmio_alu(enum x86_op op, uint64_t a, uint64_t b, int size, uint64_t *rflags)
{
	uint64_t m = mask_of(size), sb = sign_bit(size), r, f = 0;

	a &= m;
	b &= m;
	switch (op) {
	case X86_OP_ADD:
		r = (a + b) & m;
		if (r < a)
			f |= X86_FLAG_CF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= X86_FLAG_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= X86_FLAG_AF;
		break;
	case X86_OP_SUB:
	case X86_OP_CMP:
		r = (a - b) & m;
		if (a < b)
			f |= X86_FLAG_CF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= X86_FLAG_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= X86_FLAG_AF;
		break;
	case X86_OP_OR:
		r = a | b;
		break;
	case X86_OP_XOR:
		r = a ^ b;
		break;
	case X86_OP_AND:
	case X86_OP_TEST:
	default:
		r = a & b;
		break;
	}
	if (!r)
		f |= X86_FLAG_ZF;
	if (r & sb)
		f |= X86_FLAG_SF;
	if (mmio_parity_even(r))
		f |= X86_FLAG_PF;
	*rflags = (*rflags & ~X86_FLAGS_ARITH) | f;
	return r;
}

size_t mmio_explain(const struct x86_insn *insn, const char *reason, char *buf, size_t len)
{
	char hex[2 * X86_MAX_INSN_LEN + 1];
	size_t n = insn->len ? insn->len : insn->nbytes;

	x86_format_bytes(insn->bytes, MIN(n, (size_t)X86_MAX_INSN_LEN), hex, sizeof(hex));
	return (size_t)shoji_snprintf(buf, len, "bytes=%s reason=\"%s\"", hex[0] ? hex : "none",
				      reason ? reason : "unknown");
}

static int fail(const struct x86_insn *insn, int err, const char *reason, char *why, size_t whylen)
{
	if (why && whylen)
		mmio_explain(insn, reason, why, whylen);
	return err;
}

static bool size_ok(int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

int mmio_emulate(const struct x86_insn *insn, uint64_t gpa, struct vcpu_regs *regs,
		 uint64_t *rip, uint64_t *rflags, const struct mmio_ops *ops, void *ctx,
		 char *why, size_t whylen)
{
	int size = insn->size;
	uint64_t v, src, res;

	if (insn->reason || !insn->len || !size_ok(size) || !size_ok(insn->opsize) ||
	    insn->reg < X86_NOREG || insn->reg > X86_R15 ||
	    (insn->mode != X86_MODE_64 && insn->mode != X86_MODE_32 &&
	     insn->mode != X86_MODE_16))
		return fail(insn, E_INVAL, insn->reason ? insn->reason : "not a decoded instruction",
			    why, whylen);
	if ((gpa & (PAGE_SIZE - 1)) + (uint64_t)size > PAGE_SIZE)
		return fail(insn, E_UNSUPPORTED, "access crosses a page boundary", why, whylen);
	if (insn->reg == X86_NOREG && !insn->has_imm)
		return fail(insn, E_INVAL, "no source operand", why, whylen);

	switch (insn->op) {
	case X86_OP_MOV:
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
		if (insn->access == X86_ACCESS_READ && insn->reg_dst) {
			v = ops->read(ctx, gpa, size) & mask_of(size);
			if (insn->ext == X86_EXT_SIGN && (v & sign_bit(size)))
				v |= ~mask_of(size);
			reg_write(insn, regs, insn->opsize, v & mask_of(insn->opsize));
		} else if (insn->access == X86_ACCESS_WRITE && !insn->reg_dst &&
			   insn->op == X86_OP_MOV) {
			src = insn->has_imm ? insn->imm : reg_read(insn, regs, size);
			ops->write(ctx, gpa, size, src & mask_of(size));
		} else {
			return fail(insn, E_INVAL, "inconsistent move", why, whylen);
		}
		break;
	case X86_OP_ADD:
	case X86_OP_OR:
	case X86_OP_AND:
	case X86_OP_SUB:
	case X86_OP_XOR:
	case X86_OP_CMP:
	case X86_OP_TEST:
		if (insn->opsize != size)
			return fail(insn, E_INVAL, "inconsistent ALU operand sizes", why, whylen);
		v = ops->read(ctx, gpa, size) & mask_of(size);
		src = insn->has_imm ? insn->imm : reg_read(insn, regs, size);
		if (insn->reg_dst && !insn->has_imm)
			res = mmio_alu(insn->op, src, v, size, rflags);
		else
			res = mmio_alu(insn->op, v, src, size, rflags);
		if (insn->op == X86_OP_CMP || insn->op == X86_OP_TEST)
			break;
		if (insn->reg_dst)
			reg_write(insn, regs, size, res);
		else
			ops->write(ctx, gpa, size, res);
		break;
	default:
		return fail(insn, E_INVAL, "unknown operation", why, whylen);
	}
	/* The instruction pointer has the code segment's size: EIP in 32-bit
	 * code, IP in 16-bit code (real mode included; SDM vol. 1 3.6). */
	*rip += insn->len;
	if (insn->mode == X86_MODE_32)
		*rip &= 0xffffffffULL;
	else if (insn->mode == X86_MODE_16)
		*rip &= 0xffffULL;
	*rflags &= ~X86_FLAG_RF;
	return 0;
}
