/* shoji_vsnprintf against the host libc's snprintf on the same formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "lib/printf.h"

#define SAME(...)							\
	do {								\
		char a[256], b[256];					\
		int na = shoji_snprintf(a, sizeof(a), __VA_ARGS__);	\
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);		\
		assert_string_equal(a, b);				\
		assert_int_equal(na, nb);				\
	} while (0)

static void test_integers(void **state)
{
	SAME("%d %i %u", 0, -1, 4000000000u);
	SAME("%d", -2147483647 - 1);
	SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
	SAME("%ld %lu %zu %zd", -5L, 7UL, (size_t)99, (ptrdiff_t)-3);
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%x %X %o %#x %#X %#o", 0xabcdu, 0xabcdu, 8u, 255u, 255u, 8u);
	SAME("%#x %#o", 0u, 0u);
	SAME("%llx %016llx", 0xdeadbeefcafeULL, 0x12ULL);
}

static void test_width_precision_flags(void **state)
{
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME("[%.3d] [%8.3d] [%-8.3d]", 7, 7, 7);
	SAME("[%.0d] [%.0x]", 0, 0u);
	SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
	SAME("[%*d]", -6, 1);
	SAME("[%+05d] [%-+5d]", -3, 3);
	SAME("[%#010x] [%#10x]", 0x1fu, 0x1fu);
}

static void test_strings_chars(void **state)
{
	SAME("[%s] [%10s] [%-10s] [%.2s] [%5.1s]", "abc", "abc", "abc", "abc", "abc");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("100%% %s", "done");
	SAME("%s", "");
}

static void test_pointer(void **state)
{
	SAME("%p", (void *)0x1234);
	SAME("%p", (void *)0xffffffff80000000ULL);
}

static void test_truncation_and_return(void **state)
{
	char buf[8];
	int n = shoji_snprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345);

	assert_int_equal(n, 12);
	assert_string_equal(buf, "abcdef-");
	n = shoji_snprintf(buf, 1, "xyz");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");
	n = shoji_snprintf(NULL, 0, "%d", 123456);
	assert_int_equal(n, 6);
}

/* Formats built at run time so the compiler's format check does not object
 * to what this test does on purpose. */
static int fmt_runtime(char *buf, size_t n, const char *fmt)
{
	return shoji_snprintf(buf, n, fmt, 0);
}

static void test_unknown_conversion_is_visible(void **state)
{
	char buf[32];
	volatile const char *f1 = "a%wb", *f2 = "end%";

	fmt_runtime(buf, sizeof(buf), (const char *)f1);
	assert_string_equal(buf, "a%wb");
	fmt_runtime(buf, sizeof(buf), (const char *)f2);
	assert_string_equal(buf, "end%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_precision_flags),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_truncation_and_return),
		cmocka_unit_test(test_unknown_conversion_is_visible),
	};
	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
