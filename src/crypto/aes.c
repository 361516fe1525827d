/* AES, FIPS-197, portable and constant-time: see aes.h for the method.
 *
 * State representation: a block is four 32-bit columns; column c holds the
 * state bytes s[0..3][c] (input bytes 4c..4c+3, FIPS-197 3.4) with row r in
 * bits 8r..8r+7. Four blocks are processed together as w[16], block b's
 * column c in w[4b + c]. */
#include "crypto/aes.h"
#include "crypto/wipe.h"
#include "lib/error.h"

static inline uint32_t load32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void store32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t ror32(uint32_t v, unsigned n)
{
	return (v >> n) | (v << (32 - n));
}

/* ---- SubBytes on 64 bytes, bitsliced -------------------------------------- */

/* Exchanges the bits of a selected by mask << n with the bits of b selected
 * by mask. */
#define SWAPMOVE(a, b, mask, n)                                   \
	do {                                                      \
		uint64_t t_ = (((a) >> (n)) ^ (b)) & (mask);      \
		(b) ^= t_;                                        \
		(a) ^= t_ << (n);                                 \
	} while (0)

/* Eight words of eight bytes each: word w, bit 8B + i is bit i of byte B of
 * word w. The three layers exchange index bits (w0 <-> i0), (w1 <-> i1),
 * (w2 <-> i2), so afterwards word i holds bit i of all 64 bytes (lane
 * 8B + w). Each layer is an involution and the layers commute: the same
 * call transposes back. */
static void transpose(uint64_t x[8])
{
	SWAPMOVE(x[0], x[1], 0x5555555555555555ULL, 1);
	SWAPMOVE(x[2], x[3], 0x5555555555555555ULL, 1);
	SWAPMOVE(x[4], x[5], 0x5555555555555555ULL, 1);
	SWAPMOVE(x[6], x[7], 0x5555555555555555ULL, 1);
	SWAPMOVE(x[0], x[2], 0x3333333333333333ULL, 2);
	SWAPMOVE(x[1], x[3], 0x3333333333333333ULL, 2);
	SWAPMOVE(x[4], x[6], 0x3333333333333333ULL, 2);
	SWAPMOVE(x[5], x[7], 0x3333333333333333ULL, 2);
	SWAPMOVE(x[0], x[4], 0x0f0f0f0f0f0f0f0fULL, 4);
	SWAPMOVE(x[1], x[5], 0x0f0f0f0f0f0f0f0fULL, 4);
	SWAPMOVE(x[2], x[6], 0x0f0f0f0f0f0f0f0fULL, 4);
	SWAPMOVE(x[3], x[7], 0x0f0f0f0f0f0f0f0fULL, 4);
}

/* r = a * b in GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2), 64 lanes.
 * r may be a or b. */
static void gf_mul(uint64_t r[8], const uint64_t a[8], const uint64_t b[8])
{
	uint64_t c[15] = { 0 };

	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			c[i + j] ^= a[i] & b[j];
	/* x^k = x^(k-8) (x^4 + x^3 + x + 1), highest degree first */
	for (int k = 14; k >= 8; k--) {
		c[k - 4] ^= c[k];
		c[k - 5] ^= c[k];
		c[k - 7] ^= c[k];
		c[k - 8] ^= c[k];
	}
	for (int i = 0; i < 8; i++)
		r[i] = c[i];
}

/* r = a^2: squaring is linear; bit k of a^2 collects the a_i whose x^(2i)
 * reduces to a polynomial containing x^k (x^8 = 11b, x^10 = 16c,
 * x^12 = 1ab, x^14 = 19a in hex coefficient notation). r may be a. */
static void gf_sq(uint64_t r[8], const uint64_t a[8])
{
	uint64_t t[8];

	t[0] = a[0] ^ a[4] ^ a[6];
	t[1] = a[4] ^ a[6] ^ a[7];
	t[2] = a[1] ^ a[5];
	t[3] = a[4] ^ a[5] ^ a[6] ^ a[7];
	t[4] = a[2] ^ a[4] ^ a[7];
	t[5] = a[5] ^ a[6];
	t[6] = a[3] ^ a[5];
	t[7] = a[6] ^ a[7];
	for (int i = 0; i < 8; i++)
		r[i] = t[i];
}

/* r = a^254 = a^-1 (0 for 0): a^2, a^3, a^12, a^15, a^240, a^252, a^254. */
static void gf_inv(uint64_t r[8], const uint64_t a[8])
{
	uint64_t x2[8], x3[8], x12[8], x15[8], t[8];

	gf_sq(x2, a);
	gf_mul(x3, x2, a);
	gf_sq(x12, x3);
	gf_sq(x12, x12);
	gf_mul(x15, x12, x3);
	gf_sq(t, x15);
	gf_sq(t, t);
	gf_sq(t, t);
	gf_sq(t, t);
	gf_mul(t, t, x12);
	gf_mul(r, t, x2);
}

/* FIPS-197 (5.1): b'_i = b_i ^ b_i+4 ^ b_i+5 ^ b_i+6 ^ b_i+7 ^ c_i, c = 0x63. */
static void affine(uint64_t p[8])
{
	uint64_t t[8];

	for (int i = 0; i < 8; i++)
		t[i] = p[i] ^ p[(i + 4) & 7] ^ p[(i + 5) & 7] ^ p[(i + 6) & 7] ^
		       p[(i + 7) & 7];
	for (int i = 0; i < 8; i++)
		p[i] = (0x63 >> i & 1) ? ~t[i] : t[i];
}

/* The inverse map (5.3.2): b_i = s_i+2 ^ s_i+5 ^ s_i+7 ^ d_i, d = 0x05. */
static void inv_affine(uint64_t p[8])
{
	uint64_t t[8];

	for (int i = 0; i < 8; i++)
		t[i] = p[(i + 2) & 7] ^ p[(i + 5) & 7] ^ p[(i + 7) & 7];
	for (int i = 0; i < 8; i++)
		p[i] = (0x05 >> i & 1) ? ~t[i] : t[i];
}

/* SubBytes (or InvSubBytes) on all 64 bytes of w[16]. */
static void sub_bytes(uint32_t w[16], bool inverse)
{
	uint64_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint64_t)w[2 * i] | (uint64_t)w[2 * i + 1] << 32;
	transpose(x);
	if (inverse) {
		inv_affine(x);
		gf_inv(x, x);
	} else {
		gf_inv(x, x);
		affine(x);
	}
	transpose(x);
	for (int i = 0; i < 8; i++) {
		w[2 * i] = (uint32_t)x[i];
		w[2 * i + 1] = (uint32_t)(x[i] >> 32);
	}
}

/* ---- linear layers on columns --------------------------------------------- */

/* multiplication by x (02) of each byte */
static inline uint32_t xtime4(uint32_t v)
{
	return ((v & 0x7f7f7f7fu) << 1) ^ (((v >> 7) & 0x01010101u) * 0x1b);
}

/* MixColumns (5.1.3): s'_r = 02 s_r ^ 03 s_r+1 ^ s_r+2 ^ s_r+3. Byte r of
 * ror32(v, 8) is s_r+1. */
static inline uint32_t mix_column(uint32_t v)
{
	uint32_t r1 = ror32(v, 8);

	return xtime4(v ^ r1) ^ r1 ^ ror32(v, 16) ^ ror32(v, 24);
}

/* InvMixColumns (5.3.3): the matrix {0e,0b,0d,09} equals {02,03,01,01}
 * times {05,00,04,00} (circulants), so first s_r ^= 04 (s_r ^ s_r+2). */
static inline uint32_t inv_mix_column(uint32_t v)
{
	return mix_column(v ^ xtime4(xtime4(v ^ ror32(v, 16))));
}

/* ShiftRows (5.1.2): new column c takes row r from column c + r. */
static void shift_rows(uint32_t w[16])
{
	for (int b = 0; b < 16; b += 4) {
		uint32_t c0 = w[b], c1 = w[b + 1], c2 = w[b + 2], c3 = w[b + 3];

		w[b + 0] = (c0 & 0xff) | (c1 & 0xff00) | (c2 & 0xff0000) | (c3 & 0xff000000);
		w[b + 1] = (c1 & 0xff) | (c2 & 0xff00) | (c3 & 0xff0000) | (c0 & 0xff000000);
		w[b + 2] = (c2 & 0xff) | (c3 & 0xff00) | (c0 & 0xff0000) | (c1 & 0xff000000);
		w[b + 3] = (c3 & 0xff) | (c0 & 0xff00) | (c1 & 0xff0000) | (c2 & 0xff000000);
	}
}

/* InvShiftRows (5.3.1): new column c takes row r from column c - r. */
static void inv_shift_rows(uint32_t w[16])
{
	for (int b = 0; b < 16; b += 4) {
		uint32_t c0 = w[b], c1 = w[b + 1], c2 = w[b + 2], c3 = w[b + 3];

		w[b + 0] = (c0 & 0xff) | (c3 & 0xff00) | (c2 & 0xff0000) | (c1 & 0xff000000);
		w[b + 1] = (c1 & 0xff) | (c0 & 0xff00) | (c3 & 0xff0000) | (c2 & 0xff000000);
		w[b + 2] = (c2 & 0xff) | (c1 & 0xff00) | (c0 & 0xff0000) | (c3 & 0xff000000);
		w[b + 3] = (c3 & 0xff) | (c2 & 0xff00) | (c1 & 0xff0000) | (c0 & 0xff000000);
	}
}

static inline void add_round_key(uint32_t w[16], const uint32_t *rk)
{
	for (int i = 0; i < 16; i++)
		w[i] ^= rk[i & 3];
}

/* ---- the cipher ------------------------------------------------------------ */

static void encrypt_words(const struct aes_ctx *ctx, uint32_t w[16])
{
	unsigned nr = ctx->rounds;

	add_round_key(w, ctx->ek);
	for (unsigned r = 1; r < nr; r++) {
		sub_bytes(w, false);
		shift_rows(w);
		for (int i = 0; i < 16; i++)
			w[i] = mix_column(w[i]);
		add_round_key(w, ctx->ek + 4 * r);
	}
	sub_bytes(w, false);
	shift_rows(w);
	add_round_key(w, ctx->ek + 4 * nr);
}

/* The inverse cipher (5.3) with the encryption schedule in reverse. */
static void decrypt_words(const struct aes_ctx *ctx, uint32_t w[16])
{
	unsigned nr = ctx->rounds;

	add_round_key(w, ctx->ek + 4 * nr);
	for (unsigned r = nr - 1; r > 0; r--) {
		inv_shift_rows(w);
		sub_bytes(w, true);
		add_round_key(w, ctx->ek + 4 * r);
		for (int i = 0; i < 16; i++)
			w[i] = inv_mix_column(w[i]);
	}
	inv_shift_rows(w);
	sub_bytes(w, true);
	add_round_key(w, ctx->ek);
}

static void crypt_x4(const struct aes_ctx *ctx, uint8_t *out, const uint8_t *in,
		     size_t nblocks, bool decrypt)
{
	uint32_t w[16] = { 0 };

	for (size_t i = 0; i < 4 * nblocks; i++)
		w[i] = load32le(in + 4 * i);
	if (decrypt)
		decrypt_words(ctx, w);
	else
		encrypt_words(ctx, w);
	for (size_t i = 0; i < 4 * nblocks; i++)
		store32le(out + 4 * i, w[i]);
	crypto_wipe(w, sizeof(w));
}

void aes_encrypt_x4(const struct aes_ctx *ctx, uint8_t blocks[64])
{
	crypt_x4(ctx, blocks, blocks, 4, false);
}

void aes_decrypt_x4(const struct aes_ctx *ctx, uint8_t blocks[64])
{
	crypt_x4(ctx, blocks, blocks, 4, true);
}

void aes_encrypt_blocks(const struct aes_ctx *ctx, uint8_t *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i += 4)
		crypt_x4(ctx, out + 16 * i, in + 16 * i, MIN(n - i, 4), false);
}

void aes_decrypt_blocks(const struct aes_ctx *ctx, uint8_t *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i += 4)
		crypt_x4(ctx, out + 16 * i, in + 16 * i, MIN(n - i, 4), true);
}

/* ---- key expansion (5.2) ---------------------------------------------------- */

static uint32_t sub_word(uint32_t v)
{
	uint32_t w[16] = { v };

	sub_bytes(w, false);
	v = w[0];
	crypto_wipe(w, sizeof(w));
	return v;
}

int aes_set_key(struct aes_ctx *ctx, const uint8_t *key, size_t key_len)
{
	unsigned nk = (unsigned)(key_len / 4), nr, total;
	uint32_t rcon = 1;

	ctx->rounds = 0;
	if (key_len != 16 && key_len != 24 && key_len != 32)
		return E_INVAL;
	nr = nk + 6;
	total = 4 * (nr + 1);
	for (unsigned i = 0; i < nk; i++)
		ctx->ek[i] = load32le(key + 4 * i);
	for (unsigned i = nk; i < total; i++) {
		uint32_t t = ctx->ek[i - 1];

		/* the branches depend on i only (public) */
		if (i % nk == 0) {
			/* RotWord: [a0,a1,a2,a3] -> [a1,a2,a3,a0] */
			t = sub_word(ror32(t, 8)) ^ rcon;
			rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
		} else if (nk > 6 && i % nk == 4) {
			t = sub_word(t);
		}
		ctx->ek[i] = ctx->ek[i - nk] ^ t;
	}
	/* equivalent inverse cipher (5.3.5): reversed, InvMixColumns on the
	 * inner round keys */
	for (unsigned r = 0; r <= nr; r++)
		for (unsigned j = 0; j < 4; j++) {
			uint32_t v = ctx->ek[4 * (nr - r) + j];

			ctx->dk[4 * r + j] = (r == 0 || r == nr) ? v : inv_mix_column(v);
		}
	for (unsigned i = total; i < ARRAY_SIZE(ctx->ek); i++)
		ctx->ek[i] = ctx->dk[i] = 0;
	ctx->rounds = nr;
	return 0;
}

void aes_wipe(struct aes_ctx *ctx)
{
	crypto_wipe(ctx, sizeof(*ctx));
}

uint8_t aes_sbox(uint8_t x)
{
	return (uint8_t)sub_word(x);
}

uint8_t aes_inv_sbox(uint8_t x)
{
	uint32_t w[16] = { x };

	sub_bytes(w, true);
	return (uint8_t)w[0];
}
