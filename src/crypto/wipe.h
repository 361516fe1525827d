/* Erasing secrets. crypto_wipe(p, n) zeroes n bytes through a volatile
 * pointer followed by a compiler barrier, so the stores cannot be dropped as
 * "dead" even when the object is about to go out of scope or be freed (a
 * plain memset there may legally be removed by the optimiser). */
#ifndef SHOJI_CRYPTO_WIPE_H
#define SHOJI_CRYPTO_WIPE_H

#include "lib/types.h"

void crypto_wipe(void *p, size_t n);

/* Constant-time comparison: 0 when the n bytes at a and b are equal, non-zero
 * otherwise; the time taken depends on n only. */
int crypto_memneq(const void *a, const void *b, size_t n);

#endif
