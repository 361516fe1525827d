/* crypto/cpu.h for host builds (unit tests, tools): the OS has enabled SSE,
 * so only CPUID decides. The image's versions are in src/arch/x86/fpu.c. */
#include "crypto/cpu.h"

#ifdef SHOJI_HOST
void crypto_cpu_init(void)
{
}

bool crypto_aesni_usable(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c & CPUID_1_ECX_AESNI) && (d & CPUID_1_EDX_SSE2);
}
#endif
