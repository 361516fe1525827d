/* XTS-AES, IEEE 1619-2007 section 5, see xts.h.
 *
 * For data unit j (the sector) and block i of it:
 *   T_0     = AES-enc(K2, j as 16 little-endian bytes)
 *   T_i+1   = T_i * alpha  (GF(2^128), x^128 + x^7 + x^2 + x + 1, 5.2)
 *   C_i     = AES-enc(K1, P_i ^ T_i) ^ T_i     (decryption: AES-dec)
 * plus ciphertext stealing for a last partial block (5.3.2, 5.4.2). */
#include "crypto/xts.h"
#include "crypto/cpu.h"
#include "crypto/wipe.h"
#include "lib/error.h"
#include "lib/string.h"

static bool force_portable;

static inline uint64_t load64le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* t *= alpha: shift the little-endian 128-bit value left by one, fold the
 * bit shifted out (x^128) back in as 0x87. No branch on the value. */
static void mul_alpha(uint8_t t[16])
{
	uint64_t lo = load64le(t), hi = load64le(t + 8);
	uint64_t carry = hi >> 63;

	hi = hi << 1 | lo >> 63;
	lo = lo << 1 ^ (0x87 & (0 - carry));
	store64le(t, lo);
	store64le(t + 8, hi);
}

/* n whole blocks, running tweak t (in: block 0's, out: the next one's). */
static void xts_blocks(const struct xts_ctx *c, bool enc, uint8_t t[16], uint8_t *dst,
		       const uint8_t *src, size_t n)
{
	uint8_t buf[64], tw[64];

	if (c->aesni) {
		if (enc)
			shoji_aesni_xts_encrypt(c->k1.ek, c->k1.rounds, t, dst, src, n);
		else
			shoji_aesni_xts_decrypt(c->k1.dk, c->k1.rounds, t, dst, src, n);
		return;
	}
	while (n) {
		size_t k = MIN(n, 4), bytes = 16 * k;

		for (size_t j = 0; j < k; j++) {
			memcpy(tw + 16 * j, t, 16);
			mul_alpha(t);
		}
		for (size_t i = 0; i < bytes; i++)
			buf[i] = src[i] ^ tw[i];
		if (enc)
			aes_encrypt_blocks(&c->k1, buf, buf, k);
		else
			aes_decrypt_blocks(&c->k1, buf, buf, k);
		for (size_t i = 0; i < bytes; i++)
			dst[i] = buf[i] ^ tw[i];
		src += bytes;
		dst += bytes;
		n -= k;
	}
	crypto_wipe(buf, sizeof(buf));
	crypto_wipe(tw, sizeof(tw));
}

/* T_0 of sectors first .. first + n - 1 (n <= 4) into t[16 n]. */
static void sector_tweaks(const struct xts_ctx *c, uint64_t first, uint8_t *t, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		store64le(t + 16 * j, first + j);
		store64le(t + 16 * j + 8, 0);
		if (c->aesni)
			shoji_aesni_encrypt_block(c->k2.ek, c->k2.rounds, t + 16 * j,
						  t + 16 * j);
	}
	if (!c->aesni)
		aes_encrypt_blocks(&c->k2, t, t, n);
}

/* One data unit of len >= 16 bytes; t is its T_0 (clobbered). */
static void xts_unit(const struct xts_ctx *c, bool enc, uint8_t t[16], uint8_t *dst,
		     const uint8_t *src, size_t len)
{
	size_t m = len / 16, b = len % 16;
	uint8_t cc[16], pp[16], t2[16];

	if (b == 0) {
		xts_blocks(c, enc, t, dst, src, m);
		return;
	}
	/* Ciphertext stealing. Blocks 0 .. m-2 as usual; then, with
	 * P_m / C_m the b-byte tail: */
	xts_blocks(c, enc, t, dst, src, m - 1);		/* t = T_m-1 */
	src += 16 * (m - 1);
	dst += 16 * (m - 1);
	memcpy(t2, t, 16);
	if (enc) {
		/* CC = enc(P_m-1, T_m-1); C_m = CC[0..b);
		 * C_m-1 = enc(P_m || CC[b..16), T_m) */
		xts_blocks(c, true, t2, cc, src, 1);		/* t2 = T_m */
		memcpy(pp, src + 16, b);
		memcpy(pp + b, cc + b, 16 - b);
		memcpy(dst + 16, cc, b);
		xts_blocks(c, true, t2, dst, pp, 1);
	} else {
		/* PP = dec(C_m-1, T_m); P_m = PP[0..b);
		 * P_m-1 = dec(C_m || PP[b..16), T_m-1) */
		mul_alpha(t2);					/* T_m */
		xts_blocks(c, false, t2, pp, src, 1);
		memcpy(cc, src + 16, b);
		memcpy(cc + b, pp + b, 16 - b);
		memcpy(dst + 16, pp, b);
		xts_blocks(c, false, t, dst, cc, 1);
	}
	crypto_wipe(cc, sizeof(cc));
	crypto_wipe(pp, sizeof(pp));
	crypto_wipe(t2, sizeof(t2));
}

static int xts_sector(const struct xts_ctx *c, bool enc, uint64_t sector, uint8_t *dst,
		      const uint8_t *src, size_t len)
{
	uint8_t t[16];

	if (!c->ready || len < 16 || len > XTS_MAX_UNIT)
		return E_INVAL;
	sector_tweaks(c, sector, t, 1);
	xts_unit(c, enc, t, dst, src, len);
	crypto_wipe(t, sizeof(t));
	return 0;
}

static int xts_sectors(const struct xts_ctx *c, bool enc, uint64_t first, uint8_t *dst,
		       const uint8_t *src, size_t count)
{
	uint8_t t[64];

	if (!c->ready || (count && first + (count - 1) < first))
		return E_INVAL;
	for (size_t i = 0; i < count; i += 4) {
		size_t k = MIN(count - i, 4);

		sector_tweaks(c, first + i, t, k);
		for (size_t j = 0; j < k; j++) {
			size_t off = (i + j) * XTS_SECTOR_SIZE;

			xts_blocks(c, enc, t + 16 * j, dst + off, src + off,
				   XTS_SECTOR_SIZE / 16);
		}
	}
	crypto_wipe(t, sizeof(t));
	return 0;
}

int xts_encrypt_sector(const struct xts_ctx *ctx, uint64_t sector, uint8_t *dst,
		       const uint8_t *src, size_t len)
{
	return xts_sector(ctx, true, sector, dst, src, len);
}

int xts_decrypt_sector(const struct xts_ctx *ctx, uint64_t sector, uint8_t *dst,
		       const uint8_t *src, size_t len)
{
	return xts_sector(ctx, false, sector, dst, src, len);
}

int xts_encrypt_sectors(const struct xts_ctx *ctx, uint64_t first, uint8_t *dst,
			const uint8_t *src, size_t count)
{
	return xts_sectors(ctx, true, first, dst, src, count);
}

int xts_decrypt_sectors(const struct xts_ctx *ctx, uint64_t first, uint8_t *dst,
			const uint8_t *src, size_t count)
{
	return xts_sectors(ctx, false, first, dst, src, count);
}

int xts_init_key(struct xts_ctx *ctx, const uint8_t *key, size_t key_len)
{
	size_t half = key_len / 2;

	crypto_wipe(ctx, sizeof(*ctx));
	if (key_len != 32 && key_len != 64)
		return E_INVAL;
	if (!crypto_memneq(key, key + half, half))
		return E_INVAL;		/* K1 == K2: SP 800-38E forbids it */
	if (aes_set_key(&ctx->k1, key, half) || aes_set_key(&ctx->k2, key + half, half)) {
		xts_destroy(ctx);
		return E_INVAL;
	}
	ctx->aesni = xts_aesni_available();
	ctx->ready = true;
	return 0;
}

int xts_init(struct xts_ctx *ctx, const uint8_t key[XTS_KEY_SIZE])
{
	return xts_init_key(ctx, key, XTS_KEY_SIZE);
}

void xts_destroy(struct xts_ctx *ctx)
{
	crypto_wipe(ctx, sizeof(*ctx));
}

void xts_force_portable(bool on)
{
	force_portable = on;
}

bool xts_uses_aesni(const struct xts_ctx *ctx)
{
	return ctx->ready && ctx->aesni;
}

bool xts_aesni_available(void)
{
	return !force_portable && crypto_aesni_usable();
}
