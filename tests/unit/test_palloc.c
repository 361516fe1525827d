/* Unit tests for src/platform/palloc.c. The host HAL maps physical ==
 * pointer value, so the pool lives in an aligned host buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/palloc.h"

#define POOL_SIZE (8ull << 20)		/* 8 MiB = 2048 pages */
#define POOL_PAGES (POOL_SIZE / 4096)
#define PG 4096ull

static uint8_t *buf;
static paddr_t base;

static int group_setup(void **state)
{
	(void)state;
	/* 8 MiB aligned so that alignment expectations are exact */
	buf = aligned_alloc(POOL_SIZE, POOL_SIZE);
	if (!buf)
		return -1;
	base = (paddr_t)(uintptr_t)buf;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(buf);
	return 0;
}

/* Every test starts from a fresh pool over the whole buffer, full of junk. */
static int setup(void **state)
{
	(void)state;
	memset(buf, 0x5a, POOL_SIZE);
	if (palloc_init(base, POOL_SIZE) != 0)
		return -1;
	host_log_clear();
	return 0;
}

static bool all_zero(paddr_t pa, uint64_t len)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)pa;

	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_init_and_accessors(void **state)
{
	(void)state;
	assert_int_equal(palloc_total_pages(), POOL_PAGES);
	assert_int_equal(palloc_free_pages(), POOL_PAGES);
	assert_int_equal(palloc_base(), base);
	assert_int_equal(palloc_size(), POOL_SIZE);
	assert_true(palloc_contains(base));
	assert_true(palloc_contains(base + POOL_SIZE - 1));
	assert_false(palloc_contains(base + POOL_SIZE));
	assert_false(palloc_contains(base - 1));
	assert_false(palloc_page_in_use(base));
}

static void test_init_rejects(void **state)
{
	(void)state;
	/* unaligned base, unaligned size, empty, wrapping */
	assert_int_equal(palloc_init(base + 0x800, POOL_SIZE - PG), E_INVAL);
	assert_int_equal(palloc_init(base, POOL_SIZE - 1), E_INVAL);
	assert_int_equal(palloc_init(base, 0), E_INVAL);
	assert_int_equal(palloc_init(0xfffffffffffff000ull, 0x2000), E_INVAL);
	/* more than 1 GiB */
	assert_int_equal(palloc_init(0x40000000, (1ull << 30) + PG), E_RANGE);
	assert_int_equal(palloc_init(0x40000000, 2ull << 30), E_RANGE);
	assert_int_equal(host_log_count("shoji: error: palloc"), 6);
	/* exactly 1 GiB is fine (init touches no pool memory) */
	assert_int_equal(palloc_init(0x40000000, 1ull << 30), 0);
	assert_int_equal(palloc_total_pages(), 262144);
	assert_int_equal(palloc_free_pages(), 262144);
	assert_true(palloc_contains(0x40000000 + (1ull << 30) - PG));
	assert_false(palloc_contains(0x40000000 + (1ull << 30)));
	/* back to the test pool */
	assert_int_equal(palloc_init(base, POOL_SIZE), 0);
}

static void test_reserve_start(void **state)
{
	paddr_t pa = 0;
	(void)state;
	/* the "image": 1 MiB + 100 bytes, rounded up to 257 pages */
	assert_int_equal(palloc_reserve(base, 0x100000 + 100), 0);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 257);
	assert_true(palloc_page_in_use(base));
	assert_true(palloc_page_in_use(base + 256 * PG));
	assert_false(palloc_page_in_use(base + 257 * PG));
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base + 257 * PG);
	assert_int_equal(palloc_alloc(1, PG, &pa), 0);
	assert_int_equal(pa, base + 258 * PG);
	/* reserving what is already reserved is fine and counts nothing */
	assert_int_equal(palloc_reserve(base + 10 * PG, PG), 0);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 259);
	/* an unaligned reservation is rounded outward */
	assert_int_equal(palloc_reserve(base + 300 * PG + 10, PG), 0);	/* pages 300, 301 */
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 261);
	assert_true(palloc_page_in_use(base + 301 * PG));
	/* overlapping an allocated page: refused, nothing changes */
	assert_int_equal(palloc_reserve(base + 256 * PG, 4 * PG), E_BUSY);
	assert_false(palloc_page_in_use(base + 259 * PG));
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 261);
	/* outside the pool */
	assert_int_equal(palloc_reserve(base - PG, 2 * PG), E_RANGE);
	assert_int_equal(palloc_reserve(base + POOL_SIZE - PG, 2 * PG), E_RANGE);
	assert_int_equal(palloc_reserve(base + POOL_SIZE, PG), E_RANGE);
	assert_int_equal(palloc_reserve(UINT64_MAX - 10, 100), E_RANGE);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 261);
	/* the last page can be reserved; size 0 is a no-op */
	assert_int_equal(palloc_reserve(base + POOL_SIZE - PG, PG), 0);
	assert_int_equal(palloc_reserve(base + 500 * PG, 0), 0);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 262);
	/* reserved pages are never handed out: allocate everything else */
	unsigned got = 0;
	while (palloc_alloc(1, 0, &pa) == 0) {
		assert_true(pa >= base + 259 * PG && pa < base + POOL_SIZE - PG);
		assert_true(pa != base + 300 * PG && pa != base + 301 * PG);
		got++;
	}
	assert_int_equal(got, POOL_PAGES - 262);
	assert_int_equal(palloc_free_pages(), 0);
}

static void test_zeroed(void **state)
{
	paddr_t pa = 0, pa2 = 0, run = 0, run2 = 0;
	(void)state;
	/* fresh pages come zeroed out of a junk-filled buffer */
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base);
	assert_true(all_zero(pa, PG));
	/* dirty, free, reallocate: same page, zero again */
	memset((void *)(uintptr_t)pa, 0xff, PG);
	palloc_free(pa, 1);
	assert_int_equal(palloc_alloc(1, 0, &pa2), 0);
	assert_int_equal(pa2, pa);
	assert_true(all_zero(pa2, PG));
	/* the same for a multi-page run */
	assert_int_equal(palloc_alloc(16, 0, &run), 0);
	assert_int_equal(run, base + PG);
	memset((void *)(uintptr_t)run, 0xee, 16 * PG);
	palloc_free(run, 16);
	assert_int_equal(palloc_alloc(16, 0, &run2), 0);
	assert_int_equal(run2, run);
	assert_true(all_zero(run2, 16 * PG));
	/* the neighbours were not touched */
	assert_int_equal(((uint8_t *)buf)[17 * PG], 0x5a);
	assert_int_equal(host_log_count("error"), 0);
}

static void test_alignment(void **state)
{
	paddr_t pa = 0;
	(void)state;
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base);
	/* 2 MiB alignment: page 0 is taken, the next 2 MiB boundary is used */
	assert_int_equal(palloc_alloc(1, 2u << 20, &pa), 0);
	assert_int_equal(pa, base + (2u << 20));
	assert_int_equal(pa % (2u << 20), 0);
	/* a 2 MiB run on a 2 MiB boundary: the next free one is at 4 MiB */
	assert_int_equal(palloc_alloc(512, 2u << 20, &pa), 0);
	assert_int_equal(pa, base + (4u << 20));
	/* 64 KiB: pages 1..15 are free but unaligned; page 16 is the first */
	assert_int_equal(palloc_alloc(3, 0x10000, &pa), 0);
	assert_int_equal(pa, base + 0x10000);
	/* small alignments are page alignment; the low pages are still free */
	assert_int_equal(palloc_alloc(1, 64, &pa), 0);
	assert_int_equal(pa, base + PG);
	assert_int_equal(palloc_alloc(2, 1, &pa), 0);
	assert_int_equal(pa, base + 2 * PG);
	/* 8 MiB alignment: only page 0 of the pool qualifies, and it is taken */
	assert_int_equal(palloc_alloc(1, 8u << 20, &pa), E_NOMEM);
	/* bad arguments */
	assert_int_equal(palloc_alloc(1, 3 * PG, &pa), E_INVAL);
	assert_int_equal(palloc_alloc(0, 0, &pa), E_INVAL);
	/* huge alignments do not overflow */
	assert_int_equal(palloc_alloc(1, 1ull << 63, &pa), E_NOMEM);
}

static void test_alignment_is_physical(void **state)
{
	paddr_t pa = 0;
	(void)state;
	/* pool starting one page past a 2 MiB boundary */
	assert_int_equal(palloc_init(base + PG, 4u << 20), 0);
	assert_int_equal(palloc_alloc(1, 2u << 20, &pa), 0);
	assert_int_equal(pa, base + (2u << 20));	/* pool page 511 */
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base + PG);		/* pool page 0 */
	/* the only other 2 MiB boundary, base + 4 MiB, has 1 page after it */
	assert_int_equal(palloc_alloc(2, 2u << 20, &pa), E_NOMEM);
	assert_int_equal(palloc_alloc(1, 2u << 20, &pa), 0);
	assert_int_equal(pa, base + (4u << 20));
}

static void test_exhaustion(void **state)
{
	paddr_t pa = 0, last = 0, mid = base + 1000 * PG;
	(void)state;
	for (unsigned i = 0; i < POOL_PAGES; i++) {
		assert_int_equal(palloc_alloc(1, 0, &pa), 0);
		assert_int_equal(pa, base + i * PG);	/* first fit, in order */
		last = pa;
	}
	assert_int_equal(last, base + POOL_SIZE - PG);
	assert_int_equal(palloc_free_pages(), 0);
	pa = 0x1234;
	assert_int_equal(palloc_alloc(1, 0, &pa), E_NOMEM);
	assert_int_equal(pa, 0x1234);
	/* freeing one page makes exactly that page available again */
	palloc_free(mid, 1);
	assert_int_equal(palloc_free_pages(), 1);
	assert_int_equal(palloc_alloc(2, 0, &pa), E_NOMEM);
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, mid);
	assert_int_equal(palloc_alloc(1, 0, &pa), E_NOMEM);
	/* the last page too (the bitmap tail bits must not leak) */
	palloc_free(last, 1);
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, last);
	/* free everything: the whole pool is one run again */
	palloc_free(base, (unsigned)POOL_PAGES);
	assert_int_equal(palloc_free_pages(), POOL_PAGES);
	assert_int_equal(palloc_alloc((unsigned)POOL_PAGES, 0, &pa), 0);
	assert_int_equal(pa, base);
	assert_int_equal(palloc_alloc(1, 0, &pa), E_NOMEM);
	assert_int_equal(host_log_count("error"), 0);
}

/* A pool whose size is not a multiple of 64 pages: the tail of the last
 * bitmap word must never be handed out. */
static void test_odd_pool_size(void **state)
{
	paddr_t pa = 0;
	unsigned got = 0;
	(void)state;
	assert_int_equal(palloc_init(base, 67 * PG), 0);
	while (palloc_alloc(1, 0, &pa) == 0) {
		assert_true(pa < base + 67 * PG);
		got++;
	}
	assert_int_equal(got, 67);
	palloc_free(base, 67);
	assert_int_equal(palloc_alloc(68, 0, &pa), E_NOMEM);
	assert_int_equal(palloc_alloc(67, 0, &pa), 0);
	assert_int_equal(pa, base);
}

static void test_bad_frees(void **state)
{
	paddr_t pa = 0, run = 0;
	int stack_var = 0;
	(void)state;
	assert_int_equal(palloc_reserve(base, 4 * PG), 0);
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base + 4 * PG);
	assert_int_equal(palloc_alloc(2, 0, &run), 0);
	assert_int_equal(run, base + 5 * PG);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 7);

	/* double free: the second one is logged and ignored */
	palloc_free(pa, 1);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 6);
	assert_int_equal(host_log_count("error"), 0);
	palloc_free(pa, 1);
	assert_int_equal(host_log_count("shoji: error: palloc: free"), 1);
	assert_int_equal(host_log_count("not allocated"), 1);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 6);

	/* a run that is only partly allocated: whole call ignored */
	palloc_free(run, 3);
	assert_int_equal(host_log_count("not allocated"), 2);
	assert_true(palloc_page_in_use(run));
	assert_true(palloc_page_in_use(run + PG));
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 6);

	/* reserved pages */
	palloc_free(base, 1);
	palloc_free(base + 3 * PG, 2);	/* reserved page 3 + free page 4 */
	assert_int_equal(host_log_count("is reserved"), 2);
	assert_true(palloc_page_in_use(base));

	/* foreign: outside the pool, unaligned, crossing the end, n == 0 */
	palloc_free(base - PG, 1);
	palloc_free(base + POOL_SIZE, 1);
	palloc_free((paddr_t)(uintptr_t)&stack_var, 1);
	palloc_free(run + 8, 1);
	palloc_free(base + POOL_SIZE - PG, 2);
	palloc_free(run, 0);
	assert_int_equal(host_log_count("outside the pool or unaligned"), 6);
	assert_int_equal(host_log_count("shoji: error: palloc"), 10);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 6);

	/* all harmless: allocation still behaves */
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base + 4 * PG);
	palloc_free(run, 2);
	assert_int_equal(palloc_alloc(3, 0, &run), 0);
	assert_int_equal(run, base + 5 * PG);
	assert_int_equal(palloc_free_pages(), POOL_PAGES - 8);
	assert_int_equal(host_log_count("shoji: error: palloc"), 10);
}

static void test_contiguous_fragmented(void **state)
{
	paddr_t pa = 0;
	(void)state;
	for (unsigned i = 0; i < POOL_PAGES; i++)
		assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	/* free every even page: 1024 free pages, no two adjacent */
	for (unsigned i = 0; i < POOL_PAGES; i += 2)
		palloc_free(base + i * PG, 1);
	assert_int_equal(palloc_free_pages(), POOL_PAGES / 2);
	assert_int_equal(palloc_alloc(2, 0, &pa), E_NOMEM);
	/* open a 7-page hole 600..606 (crosses no word boundary) and a
	 * 5-page hole 126..130 (crosses the 128 boundary) */
	palloc_free(base + 601 * PG, 1);
	palloc_free(base + 603 * PG, 1);
	palloc_free(base + 605 * PG, 1);
	palloc_free(base + 127 * PG, 1);
	palloc_free(base + 129 * PG, 1);
	assert_int_equal(palloc_alloc(4, 0, &pa), 0);
	assert_int_equal(pa, base + 126 * PG);	/* 126..129 */
	assert_int_equal(palloc_alloc(4, 0, &pa), 0);
	assert_int_equal(pa, base + 600 * PG);	/* 600..603 */
	assert_int_equal(palloc_alloc(4, 0, &pa), E_NOMEM);
	assert_int_equal(palloc_alloc(3, 0, &pa), 0);
	assert_int_equal(pa, base + 604 * PG);
	/* single pages still come first-fit from the bottom */
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base);
	assert_int_equal(palloc_alloc(1, 0, &pa), 0);
	assert_int_equal(pa, base + 2 * PG);
	assert_int_equal(palloc_free_pages(), POOL_PAGES / 2 + 5 - 4 - 4 - 3 - 2);
	assert_int_equal(host_log_count("error"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_and_accessors, setup),
		cmocka_unit_test_setup(test_init_rejects, setup),
		cmocka_unit_test_setup(test_reserve_start, setup),
		cmocka_unit_test_setup(test_zeroed, setup),
		cmocka_unit_test_setup(test_alignment, setup),
		cmocka_unit_test_setup(test_alignment_is_physical, setup),
		cmocka_unit_test_setup(test_exhaustion, setup),
		cmocka_unit_test_setup(test_odd_pool_size, setup),
		cmocka_unit_test_setup(test_bad_frees, setup),
		cmocka_unit_test_setup(test_contiguous_fragmented, setup),
	};

	return cmocka_run_group_tests_name("palloc", tests, group_setup, group_teardown);
}
