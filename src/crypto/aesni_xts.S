/* AES-NI block loops for XTS (IEEE 1619-2007 / NIST SP 800-38E) and one
 * plain AES block encryption, for src/crypto/xts.c. x86-64 System V calling
 * convention; only caller-saved general registers are used.
 *
 * These run inside VM exits while the guest's SSE state is still live in
 * the registers (shoji does not switch FPU/SSE state): every XMM register an
 * entry point touches (xmm0..xmm10) is saved to the stack on entry and
 * restored before returning, so the caller sees all XMM registers unchanged
 * and no key material is left in them. MXCSR is neither read nor changed
 * (AES, PXOR, PSHUFD, PSRAD, PAND, PADDQ and moves raise no SIMD floating-
 * point exceptions). Memory operands are loaded with MOVDQU, so neither the
 * round keys nor the data need any alignment. Legacy SSE encodings only: no
 * AVX state (upper YMM halves) is touched.
 *
 * Round keys: FIPS-197 w[] as bytes, round r at rk + 16 r, r = 0..rounds
 * (aes.h). For decryption, the equivalent inverse cipher's schedule (dk[]). */

#define SAVE_BYTES (11 * 16)

.macro SAVE_XMM
	subq $SAVE_BYTES, %rsp
	movdqu %xmm0, 0(%rsp)
	movdqu %xmm1, 16(%rsp)
	movdqu %xmm2, 32(%rsp)
	movdqu %xmm3, 48(%rsp)
	movdqu %xmm4, 64(%rsp)
	movdqu %xmm5, 80(%rsp)
	movdqu %xmm6, 96(%rsp)
	movdqu %xmm7, 112(%rsp)
	movdqu %xmm8, 128(%rsp)
	movdqu %xmm9, 144(%rsp)
	movdqu %xmm10, 160(%rsp)
.endm

.macro RESTORE_XMM
	movdqu 0(%rsp), %xmm0
	movdqu 16(%rsp), %xmm1
	movdqu 32(%rsp), %xmm2
	movdqu 48(%rsp), %xmm3
	movdqu 64(%rsp), %xmm4
	movdqu 80(%rsp), %xmm5
	movdqu 96(%rsp), %xmm6
	movdqu 112(%rsp), %xmm7
	movdqu 128(%rsp), %xmm8
	movdqu 144(%rsp), %xmm9
	movdqu 160(%rsp), %xmm10
	addq $SAVE_BYTES, %rsp
.endm

/* \dst = \src * alpha in GF(2^128), IEEE 1619 5.2: the 128-bit little-endian
 * value shifted left by one, 0x87 folded into byte 0 when bit 127 was set.
 * PADDQ shifts each 64-bit half; the sign bits of dwords 1 and 3 (bits 63
 * and 127), spread by PSRAD and moved by PSHUFD into dwords 2 and 0, select
 * the carry into bit 64 and the reduction constant (xmm10 = .Lxts_poly).
 * Clobbers xmm9. \src and \dst may be the same register. */
.macro MUL_ALPHA src, dst
	movdqa \src, %xmm9
	psrad $31, %xmm9
	pshufd $0x13, %xmm9, %xmm9
	pand %xmm10, %xmm9
	movdqa \src, \dst
	paddq \dst, \dst
	pxor %xmm9, \dst
.endm

/* One XTS pass over %r9 blocks: rdi round keys, esi rounds, rdx tweak
 * (in: this block's, out: the next one's), rcx dst, r8 src. \op / \oplast
 * are aesenc/aesenclast or aesdec/aesdeclast. Four blocks at a time (the
 * AES units are pipelined), then one at a time. dst may equal src. */
.macro XTS_BODY op, oplast
	SAVE_XMM
	movdqa .Lxts_poly(%rip), %xmm10
	movdqu (%rdx), %xmm4
	movl %esi, %esi
	shlq $4, %rsi
	leaq (%rdi,%rsi), %r10		/* the last round key */
1:	cmpq $4, %r9
	jb 3f
	MUL_ALPHA %xmm4, %xmm5
	MUL_ALPHA %xmm5, %xmm6
	MUL_ALPHA %xmm6, %xmm7
	movdqu 0(%r8), %xmm0
	movdqu 16(%r8), %xmm1
	movdqu 32(%r8), %xmm2
	movdqu 48(%r8), %xmm3
	pxor %xmm4, %xmm0
	pxor %xmm5, %xmm1
	pxor %xmm6, %xmm2
	pxor %xmm7, %xmm3
	movdqu (%rdi), %xmm8
	pxor %xmm8, %xmm0
	pxor %xmm8, %xmm1
	pxor %xmm8, %xmm2
	pxor %xmm8, %xmm3
	leaq 16(%rdi), %rax
2:	movdqu (%rax), %xmm8
	\op %xmm8, %xmm0
	\op %xmm8, %xmm1
	\op %xmm8, %xmm2
	\op %xmm8, %xmm3
	addq $16, %rax
	cmpq %r10, %rax
	jb 2b
	movdqu (%r10), %xmm8
	\oplast %xmm8, %xmm0
	\oplast %xmm8, %xmm1
	\oplast %xmm8, %xmm2
	\oplast %xmm8, %xmm3
	pxor %xmm4, %xmm0
	pxor %xmm5, %xmm1
	pxor %xmm6, %xmm2
	pxor %xmm7, %xmm3
	movdqu %xmm0, 0(%rcx)
	movdqu %xmm1, 16(%rcx)
	movdqu %xmm2, 32(%rcx)
	movdqu %xmm3, 48(%rcx)
	MUL_ALPHA %xmm7, %xmm4
	addq $64, %r8
	addq $64, %rcx
	subq $4, %r9
	jmp 1b
3:	testq %r9, %r9
	jz 6f
4:	movdqu (%r8), %xmm0
	pxor %xmm4, %xmm0
	movdqu (%rdi), %xmm8
	pxor %xmm8, %xmm0
	leaq 16(%rdi), %rax
5:	movdqu (%rax), %xmm8
	\op %xmm8, %xmm0
	addq $16, %rax
	cmpq %r10, %rax
	jb 5b
	movdqu (%r10), %xmm8
	\oplast %xmm8, %xmm0
	pxor %xmm4, %xmm0
	movdqu %xmm0, (%rcx)
	MUL_ALPHA %xmm4, %xmm4
	addq $16, %r8
	addq $16, %rcx
	decq %r9
	jnz 4b
6:	movdqu %xmm4, (%rdx)
	RESTORE_XMM
	ret
.endm

	.section .rodata
	.balign 16
.Lxts_poly:
	.long 0x87, 0, 1, 0

	.text

/* void shoji_aesni_xts_encrypt(const uint32_t *rk, unsigned rounds,
 *	uint8_t tweak[16], uint8_t *dst, const uint8_t *src, size_t nblocks) */
	.globl shoji_aesni_xts_encrypt
	.type shoji_aesni_xts_encrypt, @function
shoji_aesni_xts_encrypt:
	XTS_BODY aesenc, aesenclast
	.size shoji_aesni_xts_encrypt, . - shoji_aesni_xts_encrypt

/* void shoji_aesni_xts_decrypt(const uint32_t *dk, unsigned rounds,
 *	uint8_t tweak[16], uint8_t *dst, const uint8_t *src, size_t nblocks) */
	.globl shoji_aesni_xts_decrypt
	.type shoji_aesni_xts_decrypt, @function
shoji_aesni_xts_decrypt:
	XTS_BODY aesdec, aesdeclast
	.size shoji_aesni_xts_decrypt, . - shoji_aesni_xts_decrypt

/* void shoji_aesni_encrypt_block(const uint32_t *rk, unsigned rounds,
 *	uint8_t dst[16], const uint8_t src[16])	(dst may equal src) */
	.globl shoji_aesni_encrypt_block
	.type shoji_aesni_encrypt_block, @function
shoji_aesni_encrypt_block:
	SAVE_XMM
	movl %esi, %esi
	shlq $4, %rsi
	leaq (%rdi,%rsi), %r10
	movdqu (%rcx), %xmm0
	movdqu (%rdi), %xmm8
	pxor %xmm8, %xmm0
	leaq 16(%rdi), %rax
1:	movdqu (%rax), %xmm8
	aesenc %xmm8, %xmm0
	addq $16, %rax
	cmpq %r10, %rax
	jb 1b
	movdqu (%r10), %xmm8
	aesenclast %xmm8, %xmm0
	movdqu %xmm0, (%rdx)
	RESTORE_XMM
	ret
	.size shoji_aesni_encrypt_block, . - shoji_aesni_encrypt_block

	.section .note.GNU-stack, "", @progbits
