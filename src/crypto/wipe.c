/* See wipe.h. */
#include "crypto/wipe.h"
#include "lib/string.h"

void crypto_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	if (!n)
		return;
	memset(p, 0, n);
	/* The barrier says the memory at p may be read afterwards, so the
	 * memset above is not a dead store the compiler may drop; the volatile
	 * store of the last byte makes the intent explicit as well. */
	__asm__ volatile("" : : "r"(p) : "memory");
	v[n - 1] = 0;
}

int crypto_memneq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	while (n--)
		d |= *x++ ^ *y++;
	return d != 0;
}
