/* Guest writes to CR0 and CR4, decoded, checked and applied (cr_write.h). */
#include "lib/error.h"
#include "vmm/cr_write.h"

#define CR0_ET (1ULL << 4)
#define CR0_WP (1ULL << 16)
#define CR4_PSE (1ULL << 4)
#define CR4_PGE (1ULL << 7)
#define CR4_LA57 (1ULL << 12)

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:	/* segments */
	case 0x66: case 0x67: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

int cr_insn_decode(const uint8_t *b, size_t n, enum x86_mode mode, struct cr_insn *insn,
		   const char **why)
{
	size_t i = 0;
	uint8_t rex = 0, modrm;

	if (n > X86_MAX_INSN_LEN)
		n = X86_MAX_INSN_LEN;
	for (; i < n; i++) {
		if (b[i] == 0xf0) {
			*why = "LOCK prefix (MOV CR8 alternative encoding)";
			return E_UNSUPPORTED;
		}
		if (legacy_prefix(b[i])) {
			rex = 0;	/* a REX followed by a legacy prefix is ignored */
			continue;
		}
		if (mode == X86_MODE_64 && (b[i] & 0xf0) == 0x40) {
			rex = b[i];
			continue;
		}
		break;
	}
	if (i + 2 <= n && b[i] == 0x0f && b[i + 1] == 0x06) {
		*insn = (struct cr_insn){ .kind = CR_INSN_CLTS, .cr = 0, .len = (uint8_t)(i + 2) };
		return 0;
	}
	if (i + 3 > n) {
		*why = "instruction bytes end early";
		return E_RANGE;
	}
	if (b[i] != 0x0f) {
		*why = "not MOV CRn, LMSW or CLTS";
		return E_UNSUPPORTED;
	}
	modrm = b[i + 2];
	if (b[i + 1] == 0x22) {
		insn->kind = CR_INSN_MOV;
		insn->cr = (uint8_t)(((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
	} else if (b[i + 1] == 0x01 && ((modrm >> 3) & 7) == 6) {
		if ((modrm >> 6) != 3) {
			*why = "LMSW with a memory operand";
			return E_UNSUPPORTED;
		}
		insn->kind = CR_INSN_LMSW;
		insn->cr = 0;
	} else {
		*why = "not MOV CRn, LMSW or CLTS";
		return E_UNSUPPORTED;
	}
	insn->gpr = (uint8_t)((modrm & 7) | ((rex & 1) ? 8 : 0));
	insn->len = (uint8_t)(i + 3);
	return 0;
}

uint64_t cr_insn_value(const struct cr_insn *insn, uint64_t reg, enum x86_mode mode, uint64_t cr0)
{
	if (insn->kind == CR_INSN_CLTS)
		return cr0 & ~(1ULL << 3);	/* TS */
	if (insn->kind == CR_INSN_LMSW)	/* PE can be set, not cleared */
		return (cr0 & ~0xfULL) | (reg & 0xf) | (cr0 & CR0_PE);
	return mode == X86_MODE_64 ? reg : (uint32_t)reg;
}

const char *cr0_write(struct cr_state *s, uint64_t value, bool *flush_tlb)
{
	bool pg_on = (value & CR0_PG) && !(s->cr0 & CR0_PG);
	bool pg_off = !(value & CR0_PG) && (s->cr0 & CR0_PG);
	uint64_t efer = s->efer;
	const char *why;

	/* The static rules: bits 63:32, NW without CD, PG without PE, and
	 * long-mode paging without PAE (APM 14.6.1: setting PG with LME and
	 * PAE clear is #GP). */
	if ((why = x86_cr0_write_check(value, s->cr4, s->efer)))
		return why;
	/* SDM MOV CR: clearing PG in 64-bit mode is #GP (long mode is left
	 * from compatibility mode only, APM 14.7). */
	if (pg_off && (s->efer & EFER_LMA) && s->cs_l)
		return "CR0.PG cleared in 64-bit mode";
	if (pg_on && (s->cr4 & CR4_PCIDE))
		return "CR0.PG set with CR4.PCIDE";
	/* APM 14.6: LMA is set when paging is enabled with LME, cleared when
	 * paging is disabled. */
	if (pg_on && (efer & EFER_LME))
		efer |= EFER_LMA;
	if (pg_off)
		efer &= ~EFER_LMA;
	value |= CR0_ET;	/* hard-wired to 1 (APM 3.1.1) */
	*flush_tlb = ((s->cr0 ^ value) & (CR0_PG | CR0_PE | CR0_WP | CR0_CD | CR0_NW)) != 0;
	s->cr0 = value;
	s->efer = efer;
	return NULL;
}

const char *cr4_write(struct cr_state *s, uint64_t value, const struct x86_features *f,
		      bool *flush_tlb)
{
	const char *why;

	if ((why = x86_cr4_write_check(s->cr4, value, s->cr3, s->efer, f)))
		return why;
	/* SDM MOV CR: changing LA57 with long mode active is #GP. */
	if ((s->efer & EFER_LMA) && ((s->cr4 ^ value) & CR4_LA57))
		return "CR4.LA57 changed in long mode";
	/* PGE, PAE, PSE, PCIDE, SMEP... all change how the TLB is used: a
	 * changed CR4 flushes it (a PGE toggle is how Linux flushes global
	 * entries without INVPCID). */
	*flush_tlb = s->cr4 != value;
	s->cr4 = value;
	return NULL;
}
