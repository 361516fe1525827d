/* XTS-AES (IEEE Std 1619-2007, "XTS-AES"; NIST SP 800-38E) for disk sectors,
 * in the dm-crypt "aes-xts-plain64" format shoji writes:
 *
 *   key       64 bytes = K1 (data key, AES-256) || K2 (tweak key, AES-256)
 *   unit      one 512-byte sector (a data unit may be any length >= 16
 *             bytes up to 2^20 blocks; a tail that is not a whole block is
 *             handled by ciphertext stealing, IEEE 1619 5.3.2 / 5.4.2)
 *   tweak     the sector number as 16 little-endian bytes, encrypted with
 *             K2 (= the data unit sequence number of IEEE 1619)
 *
 * so `cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512
 * --key-file KEY` reads what shoji wrote (sector numbers counted from the
 * start of the encrypted range, as dm-crypt counts them from its start).
 *
 * K1 == K2 is refused: NIST SP 800-38E requires the two keys to differ
 * (IEEE 1619-2018 5.1 too), and with K1 == K2 the tweak leaks through
 * chosen-plaintext queries. A 32-byte key (XTS-AES-128, two AES-128 keys) is
 * accepted by xts_init_key for the IEEE 1619 AES-128 test vectors.
 *
 * Two implementations, chosen once in xts_init: AES-NI (aesni_xts.S; it
 * needs crypto_cpu_init() in the image, crypto/cpu.h) when the CPU has it,
 * otherwise the portable constant-time AES (aes.h). Both give identical
 * output. xts_force_portable(true) makes later xts_init calls choose the
 * portable path (tests, benchmarks, and a way to rule out the asm).
 *
 * dst may equal src (in place); partial overlap is not allowed. Contexts
 * are read-only after xts_init, so several CPUs may share one. */
#ifndef SHOJI_CRYPTO_XTS_H
#define SHOJI_CRYPTO_XTS_H

#include "crypto/aes.h"
#include "lib/types.h"

#define XTS_KEY_SIZE 64			/* bytes: AES-256 K1 || K2 */
#define XTS_SECTOR_SIZE 512		/* the data unit shoji uses */
#define XTS_MAX_UNIT (16u << 20)	/* 2^20 blocks (IEEE 1619 5.1) */

struct xts_ctx {
	struct aes_ctx k1;		/* data */
	struct aes_ctx k2;		/* tweak */
	bool aesni;			/* the AES-NI path is used */
	bool ready;			/* a key is loaded */
};

/* Loads K1 || K2 (64 bytes). Returns 0; E_INVAL when K1 == K2 (ctx is then
 * left without a key and every call on it fails). */
int xts_init(struct xts_ctx *ctx, const uint8_t key[XTS_KEY_SIZE]);
/* The same for a 64-byte (XTS-AES-256) or 32-byte (XTS-AES-128) key. */
int xts_init_key(struct xts_ctx *ctx, const uint8_t *key, size_t key_len);
/* Erases the key schedules (crypto_wipe) and marks ctx unusable. */
void xts_destroy(struct xts_ctx *ctx);

/* One data unit of len bytes (16 <= len <= XTS_MAX_UNIT; normally 512)
 * with data unit number sector. Returns 0, or E_INVAL (bad len, no key). */
int xts_encrypt_sector(const struct xts_ctx *ctx, uint64_t sector, uint8_t *dst,
		       const uint8_t *src, size_t len);
int xts_decrypt_sector(const struct xts_ctx *ctx, uint64_t sector, uint8_t *dst,
		       const uint8_t *src, size_t len);

/* count consecutive 512-byte sectors first, first + 1, ... (count * 512
 * bytes). Returns 0, or E_INVAL (no key, sector numbers would wrap). */
int xts_encrypt_sectors(const struct xts_ctx *ctx, uint64_t first, uint8_t *dst,
			const uint8_t *src, size_t count);
int xts_decrypt_sectors(const struct xts_ctx *ctx, uint64_t first, uint8_t *dst,
			const uint8_t *src, size_t count);

/* Path selection. */
void xts_force_portable(bool on);	/* applies to later xts_init calls */
bool xts_uses_aesni(const struct xts_ctx *ctx);
bool xts_aesni_available(void);		/* crypto_aesni_usable() && !forced */

#endif
