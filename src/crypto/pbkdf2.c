/* PBKDF2-HMAC-SHA256, RFC 8018 5.2:
 *   DK = T_1 || T_2 || ... (first dkLen bytes)
 *   T_i = U_1 ^ U_2 ^ ... ^ U_c,  U_1 = PRF(P, S || INT(i)),  U_j = PRF(P, U_j-1)
 * INT(i) is i as four big-endian bytes. The HMAC key state (P ^ ipad,
 * P ^ opad) is computed once and copied for every U. */
#include "crypto/pbkdf2.h"
#include "crypto/sha256.h"
#include "crypto/wipe.h"
#include "lib/error.h"
#include "lib/string.h"

int pbkdf2_hmac_sha256(const void *pass, size_t pass_len, const void *salt, size_t salt_len,
		       uint32_t iterations, uint8_t *out, size_t out_len)
{
	struct hmac_sha256_ctx base, c;
	uint8_t u[SHA256_DIGEST_SIZE], t[SHA256_DIGEST_SIZE];

	if (!iterations || !out_len)
		return E_INVAL;
	hmac_sha256_init(&base, pass, pass_len);
	for (uint32_t block = 1; out_len; block++) {
		uint8_t be[4] = { (uint8_t)(block >> 24), (uint8_t)(block >> 16),
				  (uint8_t)(block >> 8), (uint8_t)block };
		size_t n = MIN(out_len, sizeof(t));

		c = base;
		hmac_sha256_update(&c, salt, salt_len);
		hmac_sha256_update(&c, be, sizeof(be));
		hmac_sha256_final(&c, u);
		memcpy(t, u, sizeof(t));
		for (uint32_t j = 1; j < iterations; j++) {
			c = base;
			hmac_sha256_update(&c, u, sizeof(u));
			hmac_sha256_final(&c, u);
			for (size_t k = 0; k < sizeof(t); k++)
				t[k] ^= u[k];
		}
		memcpy(out, t, n);
		out += n;
		out_len -= n;
	}
	crypto_wipe(&base, sizeof(base));
	crypto_wipe(u, sizeof(u));
	crypto_wipe(t, sizeof(t));
	return 0;
}

int shoji_passphrase_key(const void *pass, size_t pass_len, const char *disk_id,
			 uint8_t key[SHOJI_KDF_KEY_SIZE])
{
	static const char prefix[] = SHOJI_KDF_SALT_PREFIX;
	uint8_t salt[sizeof(prefix) - 1 + SHOJI_KDF_MAX_DISK_ID];
	size_t id_len = disk_id ? strnlen(disk_id, SHOJI_KDF_MAX_DISK_ID + 1) : 0;
	int rc;

	if (id_len > SHOJI_KDF_MAX_DISK_ID)
		return E_INVAL;
	memcpy(salt, prefix, sizeof(prefix) - 1);
	if (id_len)
		memcpy(salt + sizeof(prefix) - 1, disk_id, id_len);
	rc = pbkdf2_hmac_sha256(pass, pass_len, salt, sizeof(prefix) - 1 + id_len,
				SHOJI_KDF_ITERATIONS, key, SHOJI_KDF_KEY_SIZE);
	crypto_wipe(salt, sizeof(salt));
	return rc;
}
