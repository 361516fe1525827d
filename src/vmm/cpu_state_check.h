/* Which values of EFER, CR0, CR3, CR4, DR6 and DR7 are architecturally
 * valid, for a CPU with given features: what the CPU itself checks on WRMSR
 * and MOV to CRn (and raises #GP for), and what VM entry checks of the guest
 * state (AMD APM vol. 2 15.5.1 "VMRUN" consistency checks; Intel SDM vol. 3C
 * 27.3.1.1 "Checks on Guest Control Registers" for the VT-x back-end to
 * come). A back-end validates every value the guest makes it put into the
 * VMCB/VMCS here, so that no guest write can make VM entry fail.
 *
 * Bit positions: APM vol. 2 3.1 (CR0 3.1.1, CR3 3.1.2, CR4 3.1.3, EFER
 * 3.1.7), 13.1 (DR6, DR7); SDM vol. 3A 2.5 and 2.2.1. */
#ifndef SHOJI_VMM_CPU_STATE_CHECK_H
#define SHOJI_VMM_CPU_STATE_CHECK_H

#include "lib/types.h"

/* The CPUID bits that decide which control-register bits exist. */
struct x86_features {
	uint32_t l1_ecx, l1_edx;		/* CPUID 1 */
	uint32_t l7_ebx, l7_ecx, l7_edx;	/* CPUID 7.0 */
	uint32_t e1_ecx, e1_edx;		/* CPUID 0x80000001 */
	uint8_t phys_bits;			/* CPUID 0x80000008 EAX[7:0] */
};

/* This CPU's, read with hal_cpuid (leaf 7 when CPUID.0:EAX >= 7, else
 * zeros; phys_bits 36 when 0x80000008 is missing, SDM 2A CPUID). */
struct x86_features x86_features_of_this_cpu(void);

#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define EFER_SVME (1ULL << 12)
#define EFER_LMSLE (1ULL << 13)
#define EFER_FFXSR (1ULL << 14)
#define EFER_TCE (1ULL << 15)

#define CR0_PE (1ULL << 0)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_PCIDE (1ULL << 17)

/* EFER bits this CPU implements (LMSLE is treated as absent: it is gone
 * from current CPUs and no OS uses it). */
uint64_t x86_efer_valid_bits(const struct x86_features *f);
/* CR4 bits this CPU implements. */
uint64_t x86_cr4_valid_bits(const struct x86_features *f);

/* WRMSR EFER: NULL if the CPU would take `value` while CR0 is `cr0` and
 * EFER `old` (then *out is the new EFER: LMA is the processor's, a write
 * does not change it), else why it raises #GP. */
const char *x86_efer_write_check(uint64_t old, uint64_t value, uint64_t cr0,
				 const struct x86_features *f, uint64_t *out);
/* MOV to CR0 / CR4: NULL if valid with the other registers as given, else
 * why the CPU raises #GP (old: CR4 before the write; vmm/cr_write.h adds
 * the rules on transitions and applies the write). */
const char *x86_cr0_write_check(uint64_t cr0, uint64_t cr4, uint64_t efer);
const char *x86_cr4_write_check(uint64_t old, uint64_t cr4, uint64_t cr3, uint64_t efer,
				const struct x86_features *f);

/* XSETBV (SDM vol. 2 "XSETBV"; vol. 1 13.3 "Enabling the XSAVE feature
 * set"): NULL if the CPU would take `value` for XCR `index`, where
 * `supported` is CPUID.(EAX=0DH,ECX=0):EDX:EAX (the XCR0 bits the CPU
 * has), else why it raises #GP: only XCR0 exists here; x87 (bit 0) must
 * stay set; AVX (2) needs SSE (1); the MPX pair (3, 4) goes together; the
 * AVX-512 trio (5-7) goes together and needs AVX; AMX (17, 18) goes
 * together; no bit the CPU lacks. */
const char *x86_xcr0_write_check(uint32_t index, uint64_t value, uint64_t supported);

/* The guest state VM entry checks (APM 15.5.1). NULL if VMRUN would
 * accept it, else what is wrong. */
struct x86_guest_state {
	uint64_t efer, cr0, cr3, cr4, dr6, dr7;
	uint16_t cs_attrib;	/* VMCB packed: L bit 9, D bit 10 */
};
const char *x86_guest_state_check(const struct x86_guest_state *s, const struct x86_features *f);

#endif
