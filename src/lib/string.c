/* Freestanding memory/string routines for the image (host builds use libc).
 * gcc may emit calls to memcpy/memset/memmove/memcmp itself, so these keep
 * their standard names and semantics. */
#include "lib/string.h"

/* Under TCG every guest instruction costs, and shoji moves and loads the
 * guest's kernel (tens of MiB) at boot and copies disk data through the
 * shadow: memcpy, memmove and memset go a word, or four, at a time when
 * both pointers share their alignment within a word, bytes otherwise.
 * no-tree-loop-distribute-patterns: gcc must not turn these loops back into
 * calls to themselves. */
#define WORD sizeof(uint64_t)
#define NOLIB __attribute__((optimize("no-tree-loop-distribute-patterns")))

static inline bool co_aligned(const void *a, const void *b)
{
	return (((uintptr_t)a ^ (uintptr_t)b) & (WORD - 1)) == 0;
}

NOLIB static void copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
	if (co_aligned(d, s)) {
		for (; n && ((uintptr_t)d & (WORD - 1)); n--)
			*d++ = *s++;
		for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD, s += 4 * WORD) {
			const uint64_t *sw = (const uint64_t *)s;
			uint64_t *dw = (uint64_t *)d;
			uint64_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];

			dw[0] = a, dw[1] = b, dw[2] = c, dw[3] = e;
		}
		for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
			*(uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
}

/* From the end down (d above s, overlapping): d and s point past the end. */
NOLIB static void copy_down(unsigned char *d, const unsigned char *s, size_t n)
{
	if (co_aligned(d, s)) {
		for (; n && ((uintptr_t)d & (WORD - 1)); n--)
			*--d = *--s;
		for (; n >= 4 * WORD; n -= 4 * WORD) {
			const uint64_t *sw;
			uint64_t *dw, a, b, c, e;

			d -= 4 * WORD, s -= 4 * WORD;
			sw = (const uint64_t *)s, dw = (uint64_t *)d;
			a = sw[3], b = sw[2], c = sw[1], e = sw[0];
			dw[3] = a, dw[2] = b, dw[1] = c, dw[0] = e;
		}
		for (; n >= WORD; n -= WORD) {
			d -= WORD, s -= WORD;
			*(uint64_t *)d = *(const uint64_t *)s;
		}
	}
	while (n--)
		*--d = *--s;
}

NOLIB void *memcpy(void *dst, const void *src, size_t n)
{
	copy_up(dst, src, n);
	return dst;
}

NOLIB void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		copy_up(d, s, n);
	else
		copy_down(d + n, s + n, n);
	return dst;
}

NOLIB void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = 0x0101010101010101ULL * (unsigned char)c;

	for (; n && ((uintptr_t)d & (WORD - 1)); n--)
		*d++ = (unsigned char)c;
	for (; n >= 4 * WORD; n -= 4 * WORD, d += 4 * WORD) {
		uint64_t *dw = (uint64_t *)d;

		dw[0] = w, dw[1] = w, dw[2] = w, dw[3] = w;
	}
	for (; n >= WORD; n -= WORD, d += WORD)
		*(uint64_t *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
