/* AES (FIPS-197): key expansion for 128-, 192- and 256-bit keys and a
 * portable, constant-time block cipher.
 *
 * Constant time: no table lookup and no branch depends on a key or data
 * byte. SubBytes is computed, not looked up: the bytes of four blocks (64
 * bytes) are transposed into eight 64-bit bit-planes (plane i holds bit i of
 * every byte), the multiplicative inverse in GF(2^8) (FIPS-197 5.1.1, with
 * 0 -> 0) is evaluated on all 64 lanes at once as x^254 (4 multiplications
 * and 7 squarings of bit-planes), the affine map is applied plane-wise, and
 * the planes are transposed back. ShiftRows is a fixed byte permutation and
 * MixColumns / InvMixColumns are SWAR arithmetic on 32-bit columns (xtime by
 * mask and multiply, InvMixColumns = MixColumns after the {05,00,04,00}
 * circulant). Cost: about 1,100 64-bit operations per round for four blocks:
 * XTS-AES-256 runs at ~9 MB/s (encrypt) / ~7 MB/s (decrypt) at -O2 on the
 * build machine, several times slower than a table-driven AES and ~500x
 * slower than AES-NI there (tools/xts-bench). It is the fallback when AES-NI
 * is absent. Fewer than four blocks cost as much as four.
 *
 * Round keys are stored as FIPS-197's w[] words, each as a little-endian
 * uint32_t of its four bytes (byte 0 of the word in bits 0..7), so on x86
 * the memory layout of round key r (ek[4r..4r+3]) is exactly what AESENC
 * takes; dk[] is the equivalent inverse cipher's schedule (FIPS-197 5.3.5)
 * that AESDEC takes. Both are 16-byte aligned for SSE memory operands. */
#ifndef SHOJI_CRYPTO_AES_H
#define SHOJI_CRYPTO_AES_H

#include "lib/types.h"

#define AES_BLOCK_SIZE 16
#define AES_MAX_ROUNDS 14

struct aes_ctx {
	_Alignas(16) uint32_t ek[4 * (AES_MAX_ROUNDS + 1)];	/* w[0..4Nr+3] */
	_Alignas(16) uint32_t dk[4 * (AES_MAX_ROUNDS + 1)];	/* for AESDEC */
	unsigned rounds;					/* 10, 12 or 14 */
};

/* key_len 16, 24 or 32 bytes. Returns 0, or E_INVAL for another length
 * (ctx then holds no key: rounds == 0). */
int aes_set_key(struct aes_ctx *ctx, const uint8_t *key, size_t key_len);

/* n blocks, 16 bytes each; out may equal in (in place), must not overlap it
 * otherwise. Processed four at a time. */
void aes_encrypt_blocks(const struct aes_ctx *ctx, uint8_t *out, const uint8_t *in, size_t n);
void aes_decrypt_blocks(const struct aes_ctx *ctx, uint8_t *out, const uint8_t *in, size_t n);

/* Exactly four blocks (64 bytes) in place: the unit the cipher works in. */
void aes_encrypt_x4(const struct aes_ctx *ctx, uint8_t blocks[64]);
void aes_decrypt_x4(const struct aes_ctx *ctx, uint8_t blocks[64]);

/* The S-box and its inverse for one byte, computed the same constant-time
 * way (for tests; not a fast path). */
uint8_t aes_sbox(uint8_t x);
uint8_t aes_inv_sbox(uint8_t x);

/* Erases the key schedules (crypto_wipe). */
void aes_wipe(struct aes_ctx *ctx);

#endif
