/* One-instruction x86 decoder for MMIO emulation (see x86_decode.h).
 * References, facts only: Intel SDM vol. 2 ch. 2 (instruction format) and
 * Appendix A (opcode maps); AMD APM vol. 3 ch. 1 and Appendix A. */
#include "lib/error.h"
#include "lib/string.h"
#include "vmm/x86_decode.h"

/* REX bits (SDM 2.2.1.2, Table 2-4). */
#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

struct cursor {
	const uint8_t *b;
	size_t n;		/* bytes available, at most 15 */
	size_t pos;
	struct x86_insn *insn;
};

static int refuse(struct cursor *c, int err, const char *why)
{
	c->insn->reason = why;
	return err;
}

/* The next byte, never past what the caller gave. */
static int next(struct cursor *c, uint8_t *out)
{
	if (c->pos >= X86_MAX_INSN_LEN)
		return refuse(c, E_INVAL, "longer than 15 bytes (#GP on the CPU)");
	if (c->pos >= c->n)
		return refuse(c, E_RANGE, "instruction continues past the bytes available");
	*out = c->b[c->pos++];
	return 0;
}

/* size bytes little-endian, sign-extended to 64 bits. */
static int next_signed(struct cursor *c, int size, int64_t *out)
{
	uint64_t v = 0;
	uint8_t x;
	int err;

	for (int i = 0; i < size; i++) {
		err = next(c, &x);
		if (err)
			return err;
		v |= (uint64_t)x << (8 * i);
	}
	if (size < 8 && (v >> (8 * size - 1)) & 1)
		v |= ~0ULL << (8 * size);
	*out = (int64_t)v;
	return 0;
}

static uint64_t size_mask(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

enum x86_mode x86_mode_of(bool efer_lma, bool cs_l, bool cs_d)
{
	if (efer_lma && cs_l)
		return X86_MODE_64;
	return cs_d ? X86_MODE_32 : X86_MODE_16;
}

/* Operand size for a non-byte operation (SDM 2.2.1.2, Table 2-4; SDM vol. 1
 * 3.6, Table 3-4; APM 1.2.2): REX.W 64 (66 ignored); in a 16-bit code
 * segment 16, with 66 32; else 32, with 66 16. */
static uint8_t operand_size(const struct x86_insn *insn)
{
	if (insn->rex & REX_W)
		return 8;
	if (insn->mode == X86_MODE_16)
		return insn->p66 ? 4 : 2;
	return insn->p66 ? 2 : 4;
}

/* Address size (SDM vol. 1 3.6, Table 3-4; APM 1.2.3): the code segment's
 * default, and the other one with 67 (64-bit code: 32 with 67). */
static uint8_t address_size(enum x86_mode mode, bool p67)
{
	switch (mode) {
	case X86_MODE_64:
		return p67 ? 4 : 8;
	case X86_MODE_32:
		return p67 ? 2 : 4;
	default:
		return p67 ? 4 : 2;
	}
}

/* 16-bit ModRM addressing (SDM vol. 2 Table 2-1, APM vol. 3 Table A-33):
 * rm 0..7 = BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX; mod 00 rm 110 is a
 * disp16 and no register; mod 01 adds a disp8, mod 10 a disp16. No SIB.
 * The default segment is SS when BP is the base (SDM vol. 1 3.7.5), which
 * the caller derives from m->base as in the other modes. */
static int decode_modrm16(struct cursor *c, uint8_t mod, uint8_t rm, int64_t *disp)
{
	static const int8_t base[8] = { X86_RBX, X86_RBX, X86_RBP, X86_RBP,
					X86_RSI, X86_RDI, X86_RBP, X86_RBX };
	static const int8_t index[8] = { X86_RSI, X86_RDI, X86_RSI, X86_RDI,
					 X86_NOREG, X86_NOREG, X86_NOREG, X86_NOREG };
	struct x86_mem *m = &c->insn->mem;

	if (mod == 0 && rm == 6) {
		m->base = X86_NOREG;
		return next_signed(c, 2, disp);
	}
	m->base = base[rm];
	m->index = index[rm];
	if (mod == 1)
		return next_signed(c, 1, disp);
	if (mod == 2)
		return next_signed(c, 2, disp);
	return 0;
}

/* ModRM (+ SIB + displacement) for a memory operand, 32/64-bit addressing
 * (SDM Table 2-2, Table 2-3, Table 2-5; APM 1.4, 1.7). Sets insn->reg from
 * ModRM.reg (+REX.R) and returns ModRM.reg's 3 bits in *regfield (the
 * opcode extension of groups). */
static int decode_modrm(struct cursor *c, int seg_prefix, int *regfield)
{
	struct x86_insn *insn = c->insn;
	struct x86_mem *m = &insn->mem;
	uint8_t modrm, sib, mod, rm;
	int64_t disp = 0;
	int err;

	err = next(c, &modrm);
	if (err)
		return err;
	mod = modrm >> 6;
	rm = modrm & 7;
	*regfield = (modrm >> 3) & 7;
	insn->reg = (int8_t)(*regfield | ((insn->rex & REX_R) ? 8 : 0));
	if (mod == 3)
		return refuse(c, E_INVAL, "register operand, no memory access (ModRM.mod=3)");

	m->index = X86_NOREG;
	m->scale = 1;
	if (m->addr_size == 2) {
		err = decode_modrm16(c, mod, rm, &disp);
		if (err)
			return err;
		m->disp = disp;
		goto segment;
	}
	if (rm == 4) {
		/* SIB follows. index 100b (without REX.X) = none; with REX.X
		 * it is R12. base 101b with mod 00 = none + disp32, whatever
		 * REX.B says (so R13 too). */
		uint8_t idx, base;

		err = next(c, &sib);
		if (err)
			return err;
		idx = ((sib >> 3) & 7) | ((insn->rex & REX_X) ? 8 : 0);
		base = sib & 7;
		if (idx != 4) {
			m->index = (int8_t)idx;
			m->scale = (uint8_t)(1u << (sib >> 6));
		}
		if (base == 5 && mod == 0) {
			m->base = X86_NOREG;
			err = next_signed(c, 4, &disp);
		} else {
			m->base = (int8_t)(base | ((insn->rex & REX_B) ? 8 : 0));
		}
	} else if (rm == 5 && mod == 0) {
		/* disp32: RIP-relative in 64-bit mode (REX.B ignored), an
		 * absolute offset in 32-bit mode. */
		m->base = insn->mode == X86_MODE_64 ? X86_RIP : X86_NOREG;
		err = next_signed(c, 4, &disp);
	} else {
		m->base = (int8_t)(rm | ((insn->rex & REX_B) ? 8 : 0));
	}
	if (err)
		return err;
	if (mod == 1)
		err = next_signed(c, 1, &disp);
	else if (mod == 2)
		err = next_signed(c, 4, &disp);
	if (err)
		return err;
	m->disp = disp;

segment:
	/* Default segment: SS when the base is rSP or rBP, else DS (SDM vol. 1
	 * 3.7.4, Table 3-5). */
	m->seg = (m->base == X86_RSP || m->base == X86_RBP) ? X86_SEG_SS : X86_SEG_DS;
	if (seg_prefix >= 0 && (insn->mode != X86_MODE_64 || seg_prefix == X86_SEG_FS ||
				seg_prefix == X86_SEG_GS)) {
		m->seg = (enum x86_seg)seg_prefix;
		m->seg_override = true;
	}
	return 0;
}

/* An immediate of enc bytes, sign-extended, then truncated to insn->opsize. */
static int decode_imm(struct cursor *c, int enc)
{
	int64_t v;
	int err = next_signed(c, enc, &v);

	if (err)
		return err;
	c->insn->has_imm = true;
	c->insn->imm = (uint64_t)v & size_mask(c->insn->opsize);
	return 0;
}

/* Immediate size of the "iz" forms (C7, 81, F7): 16 bits with a 16-bit
 * operand, else 32 (sign-extended to 64 with REX.W). */
static int imm_z(const struct x86_insn *insn)
{
	return insn->opsize == 2 ? 2 : 4;
}

/* The reason for a one-byte opcode outside the supported set. */
static const char *why_opcode(uint8_t op, enum x86_mode mode)
{
	if ((op >= 0x10 && op <= 0x13) || (op >= 0x18 && op <= 0x1b))
		return "ADC/SBB are not emulated";
	if (op >= 0x40 && op <= 0x4f)
		return "INC/DEC r32 is not emulated";
	if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf))
		return "string instruction (MOVS/CMPS/STOS/LODS/SCAS) is not emulated";
	if (op >= 0x6c && op <= 0x6f)
		return "string I/O instruction is not emulated";
	if (op >= 0xd8 && op <= 0xdf)
		return "x87 instruction is not emulated";
	if ((op >= 0xd0 && op <= 0xd3) || op == 0xc0 || op == 0xc1)
		return "shift/rotate is not emulated";
	switch (op) {
	case 0x62:
		return mode == X86_MODE_64 ? "EVEX prefix (AVX-512) is not emulated"
					   : "BOUND/EVEX is not emulated";
	case 0x63:
		return mode == X86_MODE_64 ? "MOVSXD without REX.W is not emulated"
					   : "ARPL is not emulated";
	case 0xc4:
	case 0xc5:
		return "VEX prefix (AVX) or LES/LDS is not emulated";
	case 0x8f:
		return "XOP prefix or POP r/m is not emulated";
	case 0x86:
	case 0x87:
		return "XCHG is not emulated";
	case 0xfe:
	case 0xff:
		return "group 4/5 (INC/DEC/CALL/JMP/PUSH r/m) is not emulated";
	case 0x82:
		return "opcode 82 (alias of 80, invalid in 64-bit mode) is not emulated";
	default:
		return "opcode is not emulated";
	}
}

/* ALU operation of opcodes 00-3B and ModRM.reg of group 1 (80/81/83):
 * ADD OR ADC SBB AND SUB XOR CMP (SDM Table A-2, Table A-6). Returns -1
 * for ADC/SBB. */
static int alu_op(int n)
{
	static const int8_t ops[8] = {
		X86_OP_ADD, X86_OP_OR, -1, -1, X86_OP_AND, X86_OP_SUB, X86_OP_XOR, X86_OP_CMP,
	};
	return ops[n & 7];
}

static void set_alu(struct x86_insn *insn, enum x86_op op)
{
	insn->op = op;
	insn->writes_flags = true;
}

int x86_decode(struct x86_insn *insn, const uint8_t *bytes, size_t n, enum x86_mode mode)
{
	struct cursor c = { .b = bytes, .n = MIN(n, (size_t)X86_MAX_INSN_LEN), .insn = insn };
	int seg = -1, regfield = 0, err, k;
	bool lock = false, rep = false, byteop = false;
	uint8_t b, op2;

	memset(insn, 0, sizeof(*insn));
	insn->mode = mode;
	insn->reg = X86_NOREG;
	insn->mem.base = X86_NOREG;
	insn->mem.index = X86_NOREG;
	insn->mem.scale = 1;
	insn->nbytes = (uint8_t)c.n;
	if (c.n)
		memcpy(insn->bytes, bytes, c.n);
	if (mode != X86_MODE_64 && mode != X86_MODE_32 && mode != X86_MODE_16)
		return refuse(&c, E_INVAL, "not a code segment mode (16, 32 or 64)");

	/* Prefixes (SDM 2.1.1, APM 1.2). A REX only counts right before the
	 * opcode: a legacy prefix after it makes the CPU ignore it. */
	for (;;) {
		err = next(&c, &b);
		if (err)
			return err;
		switch (b) {
		case 0xf0:
			lock = true;
			break;
		case 0xf2:
		case 0xf3:
			rep = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: {
			int s = b == 0x26 ? X86_SEG_ES : b == 0x2e ? X86_SEG_CS :
				b == 0x36 ? X86_SEG_SS : b == 0x3e ? X86_SEG_DS :
				b == 0x64 ? X86_SEG_FS : X86_SEG_GS;

			if (seg >= 0 && seg != s)
				return refuse(&c, E_UNSUPPORTED, "two different segment override prefixes");
			seg = s;
			break;
		}
		case 0x66:
			insn->p66 = true;
			break;
		case 0x67:
			insn->p67 = true;
			break;
		default:
			if (mode == X86_MODE_64 && (b & 0xf0) == 0x40) {
				insn->rex = b;
				continue;
			}
			goto opcode;
		}
		insn->rex = 0;
	}

opcode:
	insn->mem.addr_size = address_size(mode, insn->p67);

	if (b < 0x40 && b != 0x0f) {
		/* 00-3F: ALU ops in 6 forms each (SDM Table A-2). */
		if ((b & 7) >= 4)
			/* 04/05 OP AL/eAX,imm: no memory; the rest are
			 * prefixes (handled above), PUSH/POP seg, DAA... */
			return refuse(&c, (b & 7) <= 5 ? E_INVAL : E_UNSUPPORTED,
				      (b & 7) <= 5 ? "accumulator-immediate form, no memory operand"
						   : why_opcode(b, mode));
		k = alu_op(b >> 3);
		if (k < 0)
			return refuse(&c, E_UNSUPPORTED, why_opcode(b, mode));
		set_alu(insn, (enum x86_op)k);
		byteop = !(b & 1);
		insn->reg_dst = (b & 2) != 0;
		insn->access = (k == X86_OP_CMP || insn->reg_dst) ? X86_ACCESS_READ : X86_ACCESS_RMW;
		goto modrm;
	}
	switch (b) {
	case 0x63:
		if (mode != X86_MODE_64 || !(insn->rex & REX_W))
			return refuse(&c, E_UNSUPPORTED, why_opcode(b, mode));
		insn->op = X86_OP_MOVSX;	/* MOVSXD r64, r/m32 */
		insn->ext = X86_EXT_SIGN;
		insn->reg_dst = true;
		insn->access = X86_ACCESS_READ;
		insn->size = 4;
		insn->opsize = 8;
		break;
	case 0x80:
	case 0x81:
	case 0x83:
		byteop = b == 0x80;
		break;
	case 0x84:
	case 0x85:
		set_alu(insn, X86_OP_TEST);
		byteop = b == 0x84;
		insn->access = X86_ACCESS_READ;
		break;
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b:
		insn->op = X86_OP_MOV;
		byteop = !(b & 1);
		insn->reg_dst = (b & 2) != 0;
		insn->access = insn->reg_dst ? X86_ACCESS_READ : X86_ACCESS_WRITE;
		break;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3: {
		/* MOV AL/eAX <-> moffs: the offset has the address size. */
		int64_t off;

		insn->op = X86_OP_MOV;
		byteop = !(b & 1);
		insn->reg_dst = !(b & 2);
		insn->access = insn->reg_dst ? X86_ACCESS_READ : X86_ACCESS_WRITE;
		insn->reg = X86_RAX;
		insn->size = insn->opsize = byteop ? 1 : operand_size(insn);
		err = next_signed(&c, insn->mem.addr_size, &off);
		if (err)
			return err;
		insn->mem.moffs = true;
		insn->mem.disp = (int64_t)((uint64_t)off & size_mask(insn->mem.addr_size));
		insn->mem.seg = X86_SEG_DS;
		if (seg >= 0 && (mode != X86_MODE_64 || seg == X86_SEG_FS || seg == X86_SEG_GS)) {
			insn->mem.seg = (enum x86_seg)seg;
			insn->mem.seg_override = true;
		}
		goto prefixes;
	}
	case 0xc6:
	case 0xc7:
	case 0xf6:
	case 0xf7:
		byteop = !(b & 1);
		break;
	case 0x0f:
		err = next(&c, &op2);
		if (err)
			return err;
		switch (op2) {
		case 0xb6: case 0xb7: case 0xbe: case 0xbf:
			insn->op = (op2 & 8) ? X86_OP_MOVSX : X86_OP_MOVZX;
			insn->ext = (op2 & 8) ? X86_EXT_SIGN : X86_EXT_ZERO;
			insn->reg_dst = true;
			insn->access = X86_ACCESS_READ;
			insn->size = (op2 & 1) ? 2 : 1;
			insn->opsize = operand_size(insn);
			break;
		case 0xc3:
			if (insn->p66)
				return refuse(&c, E_UNSUPPORTED,
					      "66 0f c3 is not a defined instruction");
			insn->op = X86_OP_MOV;	/* MOVNTI m32/m64, r */
			insn->access = X86_ACCESS_WRITE;
			insn->size = insn->opsize = (insn->rex & REX_W) ? 8 : 4;
			break;
		default:
			return refuse(&c, E_UNSUPPORTED, "two-byte opcode (0f xx: SSE, "
				      "system, bit ops...) is not emulated");
		}
		break;
	default:
		return refuse(&c, E_UNSUPPORTED, why_opcode(b, mode));
	}

modrm:
	if (!insn->size)
		insn->size = insn->opsize = byteop ? 1 : operand_size(insn);
	err = decode_modrm(&c, seg, &regfield);
	if (err)
		return err;

	/* Opcodes whose ModRM.reg is an extension, and their immediates. */
	switch (b) {
	case 0x80:
	case 0x81:
	case 0x83:
		k = alu_op(regfield);
		if (k < 0)
			return refuse(&c, E_UNSUPPORTED, "ADC/SBB are not emulated");
		set_alu(insn, (enum x86_op)k);
		insn->access = k == X86_OP_CMP ? X86_ACCESS_READ : X86_ACCESS_RMW;
		insn->reg = X86_NOREG;
		err = decode_imm(&c, b == 0x81 ? imm_z(insn) : 1);
		break;
	case 0xc6:
	case 0xc7:
		if (regfield != 0)
			return refuse(&c, E_UNSUPPORTED, "group 11 (c6/c7) other than MOV /0");
		insn->op = X86_OP_MOV;
		insn->access = X86_ACCESS_WRITE;
		insn->reg = X86_NOREG;
		err = decode_imm(&c, b == 0xc7 ? imm_z(insn) : 1);
		break;
	case 0xf6:
	case 0xf7:
		if (regfield != 0)
			return refuse(&c, E_UNSUPPORTED,
				      "group 3 (NOT/NEG/MUL/DIV, f6/f7 /1) is not emulated");
		set_alu(insn, X86_OP_TEST);
		insn->access = X86_ACCESS_READ;
		insn->reg = X86_NOREG;
		err = decode_imm(&c, b == 0xf7 ? imm_z(insn) : 1);
		break;
	default:
		break;
	}
	if (err)
		return err;

prefixes:
	/* Byte registers 4..7 are AH CH DH BH unless a REX is present (then
	 * SPL BPL SIL DIL; SDM 3.4.1.1 / Table 2-4 note). */
	if (byteop && insn->reg >= 4 && insn->reg <= 7 && !insn->rex)
		insn->reg_high8 = true;
	if (lock)
		return refuse(&c, E_UNSUPPORTED,
			      "LOCK prefix: an atomic access to MMIO is not emulated");
	if (rep)
		return refuse(&c, E_UNSUPPORTED, "REP/REPNE prefix (F3/F2) is not emulated");
	insn->len = (uint8_t)c.pos;
	return 0;
}

/* struct vcpu_regs is in its own order, not the encoding's. */
static const uint8_t reg_offset[16] = {
	offsetof(struct vcpu_regs, rax), offsetof(struct vcpu_regs, rcx),
	offsetof(struct vcpu_regs, rdx), offsetof(struct vcpu_regs, rbx),
	offsetof(struct vcpu_regs, rsp), offsetof(struct vcpu_regs, rbp),
	offsetof(struct vcpu_regs, rsi), offsetof(struct vcpu_regs, rdi),
	offsetof(struct vcpu_regs, r8), offsetof(struct vcpu_regs, r9),
	offsetof(struct vcpu_regs, r10), offsetof(struct vcpu_regs, r11),
	offsetof(struct vcpu_regs, r12), offsetof(struct vcpu_regs, r13),
	offsetof(struct vcpu_regs, r14), offsetof(struct vcpu_regs, r15),
};

uint64_t x86_reg_get(const struct vcpu_regs *regs, int r)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)regs + reg_offset[r & 15], sizeof(v));
	return v;
}

void x86_reg_set(struct vcpu_regs *regs, int r, uint64_t v)
{
	memcpy((uint8_t *)regs + reg_offset[r & 15], &v, sizeof(v));
}

uint64_t x86_linear_addr(const struct x86_insn *insn, const struct vcpu_regs *regs,
			 uint64_t rip, uint64_t seg_base)
{
	const struct x86_mem *m = &insn->mem;
	uint64_t a = (uint64_t)m->disp;

	if (m->base == X86_RIP)
		a += rip + insn->len;
	else if (m->base >= 0)
		a += x86_reg_get(regs, m->base);
	if (m->index >= 0)
		a += x86_reg_get(regs, m->index) * m->scale;
	a &= size_mask(m->addr_size);
	if (insn->mode != X86_MODE_64)	/* real, 16- and 32-bit protected mode */
		return (a + seg_base) & 0xffffffffULL;
	if (m->seg == X86_SEG_FS || m->seg == X86_SEG_GS)
		a += seg_base;
	return a;
}

size_t x86_format_bytes(const uint8_t *bytes, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[bytes[i] >> 4];
		buf[2 * i + 1] = hex[bytes[i] & 15];
	}
	if (len)
		buf[2 * i] = 0;
	return 2 * n;
}

const char *x86_op_name(enum x86_op op)
{
	static const char *const names[] = {
		[X86_OP_MOV] = "mov", [X86_OP_MOVZX] = "movzx", [X86_OP_MOVSX] = "movsx",
		[X86_OP_ADD] = "add", [X86_OP_OR] = "or", [X86_OP_AND] = "and",
		[X86_OP_SUB] = "sub", [X86_OP_XOR] = "xor", [X86_OP_CMP] = "cmp",
		[X86_OP_TEST] = "test",
	};
	return (unsigned)op < ARRAY_SIZE(names) ? names[op] : "?";
}
