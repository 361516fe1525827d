/* Known-answer tests of the crypto code, for the hypervisor to run at boot
 * before it uses a disk key (and before logging that encryption is on):
 * SHA-256 (FIPS 180-4 "abc"), HMAC-SHA256 (RFC 4231 case 2), PBKDF2-HMAC-
 * SHA256 ("password"/"salt", c = 2), AES-256 (FIPS-197 C.3, both ways) and
 * XTS-AES-256 (IEEE 1619-2007 vector 10, both ways) on the portable path
 * and, when xts_aesni_available(), on the AES-NI path (so call it after
 * crypto_cpu_init()). A few milliseconds natively; a failure means the
 * disk must not be exposed. */
#ifndef SHOJI_CRYPTO_SELFTEST_H
#define SHOJI_CRYPTO_SELFTEST_H

#include "lib/types.h"

struct crypto_selftest_result {
	bool aesni_tested;	/* the AES-NI path was exercised too */
	const char *failed;	/* NULL, or the name of the first failing check */
};

/* Returns 0, or E_CHECKSUM with res->failed naming the check. res may be
 * NULL. */
int crypto_selftest(struct crypto_selftest_result *res);

#endif
