/* SHA-256 (FIPS 180-4, 6.2) and HMAC-SHA256 (RFC 2104 / FIPS 198-1).
 * Streaming: init, any number of updates, final. Contexts hold secret state
 * (HMAC keys): wipe them (crypto_wipe) when done; the final functions do. */
#ifndef SHOJI_CRYPTO_SHA256_H
#define SHOJI_CRYPTO_SHA256_H

#include "lib/types.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t len;			/* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK_SIZE];
	size_t fill;			/* bytes in buf */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes ctx. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

struct hmac_sha256_ctx {
	struct sha256_ctx inner;	/* after H(K ^ ipad) */
	struct sha256_ctx outer;	/* after H(K ^ opad) */
};

/* Any key length: keys longer than 64 bytes are hashed first (RFC 2104). */
void hmac_sha256_init(struct hmac_sha256_ctx *ctx, const void *key, size_t key_len);
void hmac_sha256_update(struct hmac_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the MAC and wipes ctx. */
void hmac_sha256_final(struct hmac_sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_SIZE]);
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[SHA256_DIGEST_SIZE]);

#endif
