/* SSE for the crypto code (crypto/cpu.h): the AES-NI path needs CR4.OSFXSR
 * (SSE instructions #UD without it), CR4.OSXMMEXCPT (SIMD exceptions as #XM
 * rather than #UD; the AES path raises none), CR0.EM clear (else #UD),
 * CR0.TS clear (else #NM) and CR0.MP set (WAIT/FWAIT honour TS), Intel SDM
 * vol. 3A 2.5 and 13.1; AMD APM vol. 2 3.1. shoji does not save or switch
 * the guest's SSE state: the assembly saves and restores every XMM register
 * it uses. */
#include "arch/x86/cpu.h"
#include "crypto/cpu.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

void crypto_cpu_init(void)
{
	struct cpuid_regs r = cpuid(1, 0);

	if (!(r.edx & CPUID_1_EDX_FXSR) || !(r.edx & CPUID_1_EDX_SSE2))
		return;		/* no SSE2: the portable path it is */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

bool crypto_aesni_usable(void)
{
	struct cpuid_regs r = cpuid(1, 0);

	return (r.ecx & CPUID_1_ECX_AESNI) && (r.edx & CPUID_1_EDX_SSE2) &&
	       (read_cr4() & CR4_OSFXSR) && !(read_cr0() & (CR0_EM | CR0_TS));
}
