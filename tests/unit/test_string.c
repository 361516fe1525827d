/* The image's own memcpy/memmove/memset (src/lib/string.c, word-at-a-time
 * paths): compiled here under other names and checked against a byte-wise
 * reference for every alignment of source and destination, lengths around
 * the word and 4-word boundaries, and overlaps in both directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define memcpy img_memcpy
#define memmove img_memmove
#define memset img_memset
#define memcmp img_memcmp
#define strlen img_strlen
#define strnlen img_strnlen
#define strcmp img_strcmp
#define strncmp img_strncmp
#define strchr img_strchr
#undef SHOJI_HOST
#include "../../src/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define BUF 256

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 131 + seed * 7 + 1);
}

static const size_t lens[] = { 0, 1, 2, 7, 8, 9, 15, 16, 31, 32, 33, 39, 40, 63, 64, 65, 100, 127 };

static void test_memcpy(void **state)
{
	(void)state;
	for (size_t so = 0; so < 16; so++)
		for (size_t dof = 0; dof < 16; dof++)
			for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
				unsigned char src[BUF], dst[BUF], want[BUF];
				size_t n = lens[li];

				fill(src, BUF, 1), fill(dst, BUF, 2), fill(want, BUF, 2);
				for (size_t i = 0; i < n; i++)
					want[dof + i] = src[so + i];
				assert_ptr_equal(img_memcpy(dst + dof, src + so, n), dst + dof);
				assert_memory_equal(dst, want, BUF);
			}
}

static void test_memmove_overlap(void **state)
{
	(void)state;
	for (size_t so = 0; so < 40; so++)
		for (size_t dof = 0; dof < 40; dof++)
			for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
				unsigned char buf[BUF], want[BUF], tmp[BUF];
				size_t n = lens[li];

				fill(buf, BUF, 3), fill(want, BUF, 3);
				for (size_t i = 0; i < n; i++)
					tmp[i] = want[so + i];
				for (size_t i = 0; i < n; i++)
					want[dof + i] = tmp[i];
				assert_ptr_equal(img_memmove(buf + dof, buf + so, n), buf + dof);
				assert_memory_equal(buf, want, BUF);
			}
}

static void test_memset(void **state)
{
	(void)state;
	for (size_t o = 0; o < 16; o++)
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			unsigned char buf[BUF], want[BUF];
			size_t n = lens[li];

			fill(buf, BUF, 4), fill(want, BUF, 4);
			for (size_t i = 0; i < n; i++)
				want[o + i] = 0xa5;
			assert_ptr_equal(img_memset(buf + o, 0x1a5, n), buf + o);	/* (unsigned char)c */
			assert_memory_equal(buf, want, BUF);
		}
}

static void test_memcmp_and_strings(void **state)
{
	(void)state;
	assert_int_equal(img_memcmp("abc", "abc", 3), 0);
	assert_true(img_memcmp("abd", "abc", 3) > 0);
	assert_int_equal(img_strlen("shoji"), 5);
	assert_int_equal(img_strnlen("shoji", 3), 3);
	assert_true(img_strcmp("a", "b") < 0);
	assert_int_equal(img_strncmp("abcx", "abcy", 3), 0);
	assert_string_equal(img_strchr("a=b", '='), "=b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memmove_overlap),
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcmp_and_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
