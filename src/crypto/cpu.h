/* What the crypto code needs from the CPU.
 *
 * The AES-NI path (aesni_xts.S) uses SSE registers. The hypervisor image
 * must enable SSE once per CPU before that path can be chosen:
 * crypto_cpu_init() (src/arch/x86/fpu.c) sets CR4.OSFXSR and CR4.OSXMMEXCPT,
 * clears CR0.EM and CR0.TS and sets CR0.MP. Call it at boot before the
 * first xts_init(); an xts context created earlier keeps the portable path.
 * On the host (unit tests, tools) it does nothing: the OS enabled SSE.
 *
 * crypto_aesni_usable() is true when CPUID.1:ECX.AESNI[25] and
 * CPUID.1:EDX.SSE2[26] are set and (image) SSE is enabled in CR0/CR4. */
#ifndef SHOJI_CRYPTO_CPU_H
#define SHOJI_CRYPTO_CPU_H

#include "lib/types.h"

#define CPUID_1_ECX_AESNI (1u << 25)
#define CPUID_1_EDX_FXSR (1u << 24)
#define CPUID_1_EDX_SSE2 (1u << 26)

void crypto_cpu_init(void);
bool crypto_aesni_usable(void);

/* The assembly entry points (aesni_xts.S); only call them when
 * crypto_aesni_usable(). rk is an aes_ctx's ek (dk for decryption). */
void shoji_aesni_xts_encrypt(const uint32_t *rk, unsigned rounds, uint8_t tweak[16],
			     uint8_t *dst, const uint8_t *src, size_t nblocks);
void shoji_aesni_xts_decrypt(const uint32_t *dk, unsigned rounds, uint8_t tweak[16],
			     uint8_t *dst, const uint8_t *src, size_t nblocks);
void shoji_aesni_encrypt_block(const uint32_t *rk, unsigned rounds, uint8_t dst[16],
			       const uint8_t src[16]);

#endif
