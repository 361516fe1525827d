/* Architectural validity of control-register values (see cpu_state_check.h).
 * CPUID bit numbers: APM vol. 3 appendix E, SDM vol. 2A CPUID. */
#include "vmm/cpu_state_check.h"

#include "lib/hal.h"

#define BIT(n) (1ULL << (n))

uint64_t x86_efer_valid_bits(const struct x86_features *f)
{
	uint64_t v = 0;

	if (f->e1_edx & (1u << 11))		/* SYSCALL/SYSRET */
		v |= EFER_SCE;
	if (f->e1_edx & (1u << 29))		/* LM */
		v |= EFER_LME | EFER_LMA;
	if (f->e1_edx & (1u << 20))		/* NX */
		v |= EFER_NXE;
	if (f->e1_ecx & (1u << 2))		/* SVM */
		v |= EFER_SVME;
	if (f->e1_edx & (1u << 25))		/* FFXSR */
		v |= EFER_FFXSR;
	if (f->e1_ecx & (1u << 17))		/* TCE */
		v |= EFER_TCE;
	return v;
}

/* CR4 bit -> the CPUID bit that says it exists (bits 0-10 are on every
 * x86-64 CPU; 15 and 26-63 are reserved everywhere). */
uint64_t x86_cr4_valid_bits(const struct x86_features *f)
{
	uint64_t v = 0x7ff;	/* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */

	if (f->l7_ecx & (1u << 2))
		v |= BIT(11);	/* UMIP */
	if (f->l7_ecx & (1u << 16))
		v |= BIT(12);	/* LA57 */
	if (f->l1_ecx & (1u << 5))
		v |= BIT(13);	/* VMXE */
	if (f->l1_ecx & (1u << 6))
		v |= BIT(14);	/* SMXE */
	if (f->l7_ebx & (1u << 0))
		v |= BIT(16);	/* FSGSBASE */
	if (f->l1_ecx & (1u << 17))
		v |= BIT(17);	/* PCIDE */
	if (f->l1_ecx & (1u << 26))
		v |= BIT(18);	/* OSXSAVE */
	if (f->l7_ecx & (1u << 23))
		v |= BIT(19);	/* KL */
	if (f->l7_ebx & (1u << 7))
		v |= BIT(20);	/* SMEP */
	if (f->l7_ebx & (1u << 20))
		v |= BIT(21);	/* SMAP */
	if (f->l7_ecx & (1u << 3))
		v |= BIT(22);	/* PKE */
	if (f->l7_ecx & (1u << 7))
		v |= BIT(23);	/* CET */
	if (f->l7_ecx & (1u << 31))
		v |= BIT(24);	/* PKS */
	if (f->l7_edx & (1u << 5))
		v |= BIT(25);	/* UINTR */
	return v;
}

static bool long_mode_paging(uint64_t efer, uint64_t cr0)
{
	return (efer & EFER_LME) && (cr0 & CR0_PG);
}

const char *x86_efer_write_check(uint64_t old, uint64_t value, uint64_t cr0,
				 const struct x86_features *f, uint64_t *out)
{
	if (value & ~x86_efer_valid_bits(f))
		return "EFER reserved bit set";
	/* APM 3.1.7 / SDM 2.2.1: LME may not change while paging is on. */
	if ((cr0 & CR0_PG) && ((old ^ value) & EFER_LME))
		return "EFER.LME changed with paging on";
	*out = (value & ~EFER_LMA) | (old & EFER_LMA);
	return NULL;
}

const char *x86_cr0_write_check(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	/* Bits 31:0 that are reserved are ignored by the CPU, not refused. */
	if (cr0 >> 32)
		return "CR0 bits 63:32 set";
	if ((cr0 & CR0_NW) && !(cr0 & CR0_CD))
		return "CR0.NW set without CR0.CD";
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return "CR0.PG set without CR0.PE";
	if ((cr0 & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return "long mode paging without CR4.PAE";
	return NULL;
}

const char *x86_cr4_write_check(uint64_t old, uint64_t cr4, uint64_t cr3, uint64_t efer,
				const struct x86_features *f)
{
	bool pcide_on = (cr4 & CR4_PCIDE) && !(old & CR4_PCIDE);

	if (cr4 & ~x86_cr4_valid_bits(f))
		return "CR4 reserved bit set";
	if ((efer & EFER_LMA) && !(cr4 & CR4_PAE))
		return "CR4.PAE cleared in long mode";
	/* Only when PCIDE goes 0 -> 1: with it set, CR3[11:0] is the PCID. */
	if (pcide_on && (cr3 & 0xfff))
		return "CR4.PCIDE set with CR3[11:0] non-zero";
	if (pcide_on && !(efer & EFER_LMA))
		return "CR4.PCIDE set outside long mode";
	return NULL;
}

#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_MPX (3ULL << 3)
#define XCR0_AVX512 (7ULL << 5)
#define XCR0_AMX (3ULL << 17)

const char *x86_xcr0_write_check(uint32_t index, uint64_t value, uint64_t supported)
{
	if (index != 0)
		return "XCR index other than 0";
	if (value & ~supported)
		return "XCR0 bit the CPU does not support";
	if (!(value & XCR0_X87))
		return "XCR0.X87 clear";
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return "XCR0.AVX without XCR0.SSE";
	if ((value & XCR0_MPX) && (value & XCR0_MPX) != XCR0_MPX)
		return "XCR0 BNDREGS and BNDCSR not set together";
	if ((value & XCR0_AVX512) && ((value & XCR0_AVX512) != XCR0_AVX512 || !(value & XCR0_AVX)))
		return "XCR0 AVX-512 state incomplete or without AVX";
	if ((value & XCR0_AMX) && (value & XCR0_AMX) != XCR0_AMX)
		return "XCR0 AMX TILECFG and TILEDATA not set together";
	return NULL;
}

static uint64_t cr3_mbz(uint64_t efer, uint64_t cr0, const struct x86_features *f)
{
	unsigned pa = f->phys_bits ? f->phys_bits : 52;

	if (long_mode_paging(efer, cr0))
		return pa >= 64 ? 0 : ~0ULL << pa;
	return ~0ULL << 32;
}

const char *x86_guest_state_check(const struct x86_guest_state *s, const struct x86_features *f)
{
	const char *why;

	if (!(s->efer & EFER_SVME))
		return "EFER.SVME clear";
	if (s->efer & ~x86_efer_valid_bits(f))
		return "EFER reserved bit set";
	if ((why = x86_cr0_write_check(s->cr0, s->cr4, s->efer)))
		return why;
	if (s->cr3 & cr3_mbz(s->efer, s->cr0, f))
		return "CR3 reserved bit set";
	if (s->cr4 & ~x86_cr4_valid_bits(f))
		return "CR4 reserved bit set";
	if (s->dr6 >> 32 || s->dr7 >> 32)
		return "DR6/DR7 bits 63:32 set";
	if (long_mode_paging(s->efer, s->cr0) && (s->cs_attrib & 0x200) && (s->cs_attrib & 0x400))
		return "CS.L and CS.D both set in long mode";
	return NULL;
}

struct x86_features x86_features_of_this_cpu(void)
{
	uint32_t l0[4], l1[4], l7[4] = { 0 }, e0[4], e1[4], e8[4] = { 0 };

	hal_cpuid(0, 0, l0);
	hal_cpuid(1, 0, l1);
	if (l0[0] >= 7)
		hal_cpuid(7, 0, l7);
	hal_cpuid(0x80000000, 0, e0);
	hal_cpuid(0x80000001, 0, e1);
	if (e0[0] >= 0x80000008)
		hal_cpuid(0x80000008, 0, e8);
	return (struct x86_features){
		.l1_ecx = l1[2], .l1_edx = l1[3], .l7_ebx = l7[1], .l7_ecx = l7[2],
		.l7_edx = l7[3], .e1_ecx = e1[2], .e1_edx = e1[3],
		.phys_bits = (uint8_t)(e0[0] >= 0x80000008 ? e8[0] & 0xff : 36),
	};
}
