/* Unit tests for src/platform/memmap.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/memmap.h"

static struct memmap m;

struct e820 {
	uint64_t base, len;
	uint32_t type;
};

/* What QEMU (q35, 2 GiB below 4 GiB + 2 GiB above) reports. */
static const struct e820 qemu_e820[] = {
	{ 0x0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0xf0000, 0x10000, 2 },
	{ 0x100000, 0x7ffe0000 - 0x100000, 1 },
	{ 0x7ffe0000, 0x20000, 2 },
	{ 0xfeffc000, 0x4000, 2 },
	{ 0xfffc0000, 0x40000, 2 },
	{ 0x100000000, 0x80000000, 1 },
};

static void add_all(const struct e820 *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(memmap_add(&m, e[i].base, e[i].len, e[i].type), 0);
}

static void load_qemu(void)
{
	memmap_init(&m);
	add_all(qemu_e820, sizeof(qemu_e820) / sizeof(qemu_e820[0]));
	memmap_sanitize(&m);
}

static void expect(unsigned i, uint64_t base, uint64_t end, enum mem_type type)
{
	assert_true(i < m.n);
	assert_int_equal(m.r[i].base, base);
	assert_int_equal(m.r[i].end, end);
	assert_int_equal(m.r[i].type, type);
}

static void assert_sorted_disjoint(void)
{
	for (unsigned i = 0; i < m.n; i++) {
		assert_true(m.r[i].base < m.r[i].end);
		if (i > 0)
			assert_true(m.r[i - 1].end <= m.r[i].base);
	}
}

static int setup(void **state)
{
	(void)state;
	host_log_clear();
	memmap_init(&m);
	return 0;
}

static void test_init_empty(void **state)
{
	(void)state;
	assert_int_equal(m.n, 0);
	assert_false(m.truncated);
	assert_int_equal(memmap_top(&m), 0);
	assert_int_equal(memmap_total(&m, MEM_USABLE), 0);
	memmap_sanitize(&m);
	assert_int_equal(m.n, 0);
}

static void test_qemu_e820(void **state)
{
	(void)state;
	load_qemu();
	assert_int_equal(m.n, 8);
	expect(0, 0x0, 0x9f000, MEM_USABLE);	/* trimmed from 0x9fc00 */
	expect(1, 0x9fc00, 0xa0000, MEM_RESERVED);
	expect(2, 0xf0000, 0x100000, MEM_RESERVED);
	expect(3, 0x100000, 0x7ffe0000, MEM_USABLE);
	expect(4, 0x7ffe0000, 0x80000000, MEM_RESERVED);
	expect(5, 0xfeffc000, 0xff000000, MEM_RESERVED);
	expect(6, 0xfffc0000, 0x100000000, MEM_RESERVED);
	expect(7, 0x100000000, 0x180000000, MEM_USABLE);
	assert_false(m.truncated);
	assert_int_equal(memmap_total(&m, MEM_USABLE),
			 0x9f000 + (0x7ffe0000 - 0x100000) + 0x80000000ull);
	assert_int_equal(memmap_total(&m, MEM_RESERVED),
			 0x400 + 0x10000 + 0x20000 + 0x4000 + 0x40000);
	assert_int_equal(memmap_total(&m, MEM_HYPERVISOR), 0);
	assert_int_equal(memmap_top(&m), 0x180000000ull);
	/* Sanitizing again changes nothing. */
	memmap_sanitize(&m);
	assert_int_equal(m.n, 8);
	expect(0, 0x0, 0x9f000, MEM_USABLE);
	expect(7, 0x100000000, 0x180000000, MEM_USABLE);
}

static void test_overlap_reserved_wins_either_order(void **state)
{
	(void)state;
	/* usable first, then reserved overlapping its end */
	memmap_add(&m, 0x100000, 0x100000, MEM_USABLE);
	memmap_add(&m, 0x180000, 0x100000, MEM_RESERVED);
	memmap_sanitize(&m);
	assert_int_equal(m.n, 2);
	expect(0, 0x100000, 0x180000, MEM_USABLE);
	expect(1, 0x180000, 0x280000, MEM_RESERVED);

	/* same ranges, reserved first */
	memmap_init(&m);
	memmap_add(&m, 0x180000, 0x100000, MEM_RESERVED);
	memmap_add(&m, 0x100000, 0x100000, MEM_USABLE);
	memmap_sanitize(&m);
	assert_int_equal(m.n, 2);
	expect(0, 0x100000, 0x180000, MEM_USABLE);
	expect(1, 0x180000, 0x280000, MEM_RESERVED);

	/* reserved inside usable splits it in three, either order */
	for (int order = 0; order < 2; order++) {
		memmap_init(&m);
		if (order)
			memmap_add(&m, 0x300000, 0x1000, MEM_RESERVED);
		memmap_add(&m, 0x200000, 0x200000, MEM_USABLE);
		if (!order)
			memmap_add(&m, 0x300000, 0x1000, MEM_RESERVED);
		memmap_sanitize(&m);
		assert_int_equal(m.n, 3);
		expect(0, 0x200000, 0x300000, MEM_USABLE);
		expect(1, 0x300000, 0x301000, MEM_RESERVED);
		expect(2, 0x301000, 0x400000, MEM_USABLE);
	}
}

static void test_overlap_type_ranking(void **state)
{
	(void)state;
	/* acpi-reclaim < acpi-nvs < reserved < bad < hypervisor */
	memmap_add(&m, 0x0000, 0x6000, MEM_ACPI_RECLAIM);
	memmap_add(&m, 0x1000, 0x1000, MEM_ACPI_NVS);
	memmap_add(&m, 0x3000, 0x1000, MEM_RESERVED);
	memmap_add(&m, 0x3800, 0x1000, MEM_ACPI_NVS);	/* under reserved, then sticks out */
	memmap_add(&m, 0x6000, 0x1000, MEM_BAD);
	memmap_add(&m, 0x6000, 0x2000, MEM_RESERVED);
	memmap_add(&m, 0x9000, 0x1000, MEM_HYPERVISOR);
	memmap_add(&m, 0x8000, 0x3000, MEM_BAD);	/* hypervisor splits it */
	memmap_sanitize(&m);
	assert_sorted_disjoint();
	assert_int_equal(m.n, 11);
	expect(0, 0x0000, 0x1000, MEM_ACPI_RECLAIM);
	expect(1, 0x1000, 0x2000, MEM_ACPI_NVS);
	expect(2, 0x2000, 0x3000, MEM_ACPI_RECLAIM);
	expect(3, 0x3000, 0x4000, MEM_RESERVED);
	expect(4, 0x4000, 0x4800, MEM_ACPI_NVS);
	expect(5, 0x4800, 0x6000, MEM_ACPI_RECLAIM);
	expect(6, 0x6000, 0x7000, MEM_BAD);
	expect(7, 0x7000, 0x8000, MEM_RESERVED);
	expect(8, 0x8000, 0x9000, MEM_BAD);
	expect(9, 0x9000, 0xa000, MEM_HYPERVISOR);
	expect(10, 0xa000, 0xb000, MEM_BAD);
	assert_int_equal(memmap_top(&m), 0xb000);
	assert_int_equal(memmap_total(&m, MEM_BAD), 0x3000);
}

static void test_unsorted_and_merge(void **state)
{
	static const struct e820 e[] = {
		{ 0x100000000, 0x80000000, 1 },
		{ 0xfffc0000, 0x40000, 2 },
		{ 0x5000, 0x4000, 1 },
		{ 0x100000, 0x7ff00000, 1 },
		{ 0x1000, 0x4000, 1 },		/* touches 0x5000: merges */
		{ 0xe0000, 0x10000, 2 },
		{ 0xf0000, 0x10000, 2 },	/* touches 0xe0000 reserved: merges */
		{ 0x80000, 0x10000, 1 },	/* overlaps 0x80000-0x90000 below */
		{ 0x88000, 0x10000, 1 },
	};
	(void)state;
	add_all(e, sizeof(e) / sizeof(e[0]));
	memmap_sanitize(&m);
	assert_int_equal(m.n, 6);
	expect(0, 0x1000, 0x9000, MEM_USABLE);
	expect(1, 0x80000, 0x98000, MEM_USABLE);
	expect(2, 0xe0000, 0x100000, MEM_RESERVED);
	expect(3, 0x100000, 0x80000000, MEM_USABLE);
	expect(4, 0xfffc0000, 0x100000000, MEM_RESERVED);
	expect(5, 0x100000000, 0x180000000, MEM_USABLE);
}

static void test_unaligned_usable_trimmed(void **state)
{
	(void)state;
	memmap_add(&m, 0x1234, 0x5678 - 0x1234, MEM_USABLE);	/* -> 0x2000-0x5000 */
	memmap_add(&m, 0x10001, 0xffe, MEM_USABLE);		/* no whole page: gone */
	memmap_add(&m, 0x20800, 0x1000, MEM_USABLE);		/* 0x20800-0x21800: gone */
	memmap_add(&m, 0x30800, 0x1000, MEM_USABLE);		/* merges first with */
	memmap_add(&m, 0x31800, 0x1000, MEM_USABLE);		/* this: 0x31000-0x32000 */
	memmap_add(&m, 0x40123, 0x10, MEM_RESERVED);		/* reserved not rounded */
	memmap_sanitize(&m);
	assert_int_equal(m.n, 3);
	expect(0, 0x2000, 0x5000, MEM_USABLE);
	expect(1, 0x31000, 0x32000, MEM_USABLE);
	expect(2, 0x40123, 0x40133, MEM_RESERVED);
}

static void test_add_edge_cases(void **state)
{
	(void)state;
	/* zero length ignored */
	assert_int_equal(memmap_add(&m, 0x1000, 0, MEM_USABLE), 0);
	assert_int_equal(m.n, 0);
	/* unknown types (0, 6 = e820 "disabled", 7 = pmem, 12) become reserved */
	memmap_add(&m, 0x10000, 0x1000, 0);
	memmap_add(&m, 0x20000, 0x1000, 6);
	memmap_add(&m, 0x30000, 0x1000, 7);
	memmap_add(&m, 0x40000, 0x1000, 12);
	memmap_add(&m, 0x50000, 0x1000, MEM_ACPI_RECLAIM);
	/* end overflow clamped */
	memmap_add(&m, 0xfffffffffffff000ull, 0x2000, MEM_RESERVED);
	memmap_sanitize(&m);
	assert_int_equal(m.n, 6);
	expect(0, 0x10000, 0x11000, MEM_RESERVED);
	expect(1, 0x20000, 0x21000, MEM_RESERVED);
	expect(2, 0x30000, 0x31000, MEM_RESERVED);
	expect(3, 0x40000, 0x41000, MEM_RESERVED);
	expect(4, 0x50000, 0x51000, MEM_ACPI_RECLAIM);
	expect(5, 0xfffffffffffff000ull, UINT64_MAX, MEM_RESERVED);
	assert_int_equal(memmap_top(&m), UINT64_MAX);
	assert_int_equal(memmap_add(NULL, 0, 1, 1), E_INVAL);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(memmap_type_name(MEM_USABLE), "usable");
	assert_string_equal(memmap_type_name(MEM_RESERVED), "reserved");
	assert_string_equal(memmap_type_name(MEM_ACPI_RECLAIM), "acpi-reclaim");
	assert_string_equal(memmap_type_name(MEM_ACPI_NVS), "acpi-nvs");
	assert_string_equal(memmap_type_name(MEM_BAD), "bad");
	assert_string_equal(memmap_type_name(MEM_HYPERVISOR), "hypervisor");
	assert_string_equal(memmap_type_name((enum mem_type)42), "unknown");
}

#define LIMIT_4G 0x100000000ull

static void test_find_top_basic(void **state)
{
	paddr_t b = 0;
	(void)state;
	load_qemu();
	/* 32 MiB, 2 MiB aligned, below 4 GiB: highest usable ends 0x7ffe0000 */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(b, 0x7de00000);
	/* no limit: RAM above 4 GiB */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, UINT64_MAX, NULL, 0, &b), 0);
	assert_int_equal(b, 0x17e000000ull);
	/* limit inside a usable range */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, 0x40000000, NULL, 0, &b), 0);
	assert_int_equal(b, 0x3e000000);
	/* 4 KiB alignment hugs the end exactly */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x1000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(b, 0x7dfe0000);
	/* 1 GiB alignment */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x40000000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(b, 0x40000000);
	/* align 0 means byte alignment */
	assert_int_equal(memmap_find_top(&m, 0x123, 0, 0x9f000, NULL, 0, &b), 0);
	assert_int_equal(b, 0x9f000 - 0x123);
}

static void test_find_top_exclusions(void **state)
{
	paddr_t b = 0;
	/* a boot module right below the top of usable RAM */
	struct mem_range module = { 0x7f000000, 0x7f800000, MEM_RESERVED };
	struct mem_range three[] = {
		{ 0x100000, 0x200000, MEM_RESERVED },	/* image */
		{ 0x7f000000, 0x7f800000, MEM_RESERVED },	/* module */
		{ 0x7e000000, 0x7e001000, MEM_RESERVED },	/* mbi */
	};
	struct mem_range touching = { 0x7fe00000, 0x7ffe0000, MEM_RESERVED };
	struct mem_range empty = { 0x7e000000, 0x7e000000, MEM_RESERVED };
	struct mem_range low_all = { 0x100000, 0x7ffe0000, MEM_RESERVED };
	(void)state;
	load_qemu();

	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, &module, 1, &b), 0);
	assert_int_equal(b, 0x7d000000);	/* ends at the module's base */

	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, three, 3, &b), 0);
	assert_int_equal(b, 0x7c000000);	/* below module, then below mbi */

	/* exclusions are half-open: ending where one starts is fine */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, &touching, 1, &b), 0);
	assert_int_equal(b, 0x7de00000);

	/* empty exclusion ignored */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, &empty, 1, &b), 0);
	assert_int_equal(b, 0x7de00000);

	/* everything above 1 MiB excluded: falls back into low memory */
	assert_int_equal(memmap_find_top(&m, 0x10000, 0x1000, LIMIT_4G, &low_all, 1, &b), 0);
	assert_int_equal(b, 0x8f000);
}

static void test_find_top_nomem(void **state)
{
	paddr_t b = 0x1234;
	struct mem_range low_all = { 0x0, 0x80000000, MEM_RESERVED };
	(void)state;
	load_qemu();
	/* larger than any usable range below 4 GiB */
	assert_int_equal(memmap_find_top(&m, 0x80000000, 0x200000, LIMIT_4G, NULL, 0, &b), E_NOMEM);
	assert_int_equal(b, 0x1234);
	/* the same fits above 4 GiB when the limit allows it */
	assert_int_equal(memmap_find_top(&m, 0x80000000, 0x200000, UINT64_MAX, NULL, 0, &b), 0);
	assert_int_equal(b, 0x100000000ull);
	/* limit at 4 GiB ignores RAM above it */
	b = 0x1234;
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x1000, LIMIT_4G, &low_all, 1, &b), E_NOMEM);
	assert_int_equal(b, 0x1234);
	/* limit below all usable RAM but 1 page */
	assert_int_equal(memmap_find_top(&m, 0x2000, 0x1000, 0x1000, NULL, 0, &b), E_NOMEM);
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x1000, 0x1000, NULL, 0, &b), 0);
	assert_int_equal(b, 0);
	/* alignment pushes the only fit below the range's base */
	memmap_init(&m);
	memmap_add(&m, 0x201000, 0x1fe000, MEM_USABLE);	/* 0x201000-0x3ff000 */
	memmap_sanitize(&m);
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x200000, LIMIT_4G, NULL, 0, &b), E_NOMEM);
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x1000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(b, 0x3fe000);
	/* bad arguments */
	assert_int_equal(memmap_find_top(&m, 0, 0x1000, LIMIT_4G, NULL, 0, &b), E_INVAL);
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x3000, LIMIT_4G, NULL, 0, &b), E_INVAL);
	/* an empty map */
	memmap_init(&m);
	assert_int_equal(memmap_find_top(&m, 0x1000, 0x1000, LIMIT_4G, NULL, 0, &b), E_NOMEM);
}

static void test_set_hypervisor_splits(void **state)
{
	paddr_t b = 0;
	uint64_t usable;
	(void)state;
	load_qemu();
	usable = memmap_total(&m, MEM_USABLE);
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(memmap_set(&m, b, b + 0x2000000, MEM_HYPERVISOR), 0);
	assert_int_equal(m.n, 10);
	expect(2, 0xf0000, 0x100000, MEM_RESERVED);
	expect(3, 0x100000, 0x7de00000, MEM_USABLE);
	expect(4, 0x7de00000, 0x7fe00000, MEM_HYPERVISOR);
	expect(5, 0x7fe00000, 0x7ffe0000, MEM_USABLE);
	expect(6, 0x7ffe0000, 0x80000000, MEM_RESERVED);
	assert_int_equal(memmap_total(&m, MEM_HYPERVISOR), 0x2000000);
	assert_int_equal(memmap_total(&m, MEM_USABLE), usable - 0x2000000);
	assert_int_equal(memmap_type_of(&m, 0x7e000000, 0x7e001000), MEM_HYPERVISOR);
	assert_int_equal(memmap_type_of(&m, 0x7de00000 - 1, 0x7de00001), 0);
	/* the region is no longer a candidate */
	assert_int_equal(memmap_find_top(&m, 0x2000000, 0x200000, LIMIT_4G, NULL, 0, &b), 0);
	assert_int_equal(b, 0x7be00000);
	/* sanitize keeps it (hypervisor beats everything) */
	memmap_add(&m, 0x7d000000, 0x3000000, MEM_USABLE);
	memmap_sanitize(&m);
	assert_int_equal(memmap_total(&m, MEM_HYPERVISOR), 0x2000000);
	expect(4, 0x7de00000, 0x7fe00000, MEM_HYPERVISOR);
}

static void test_set_override_and_edges(void **state)
{
	(void)state;
	load_qemu();
	/* spanning a usable/reserved boundary: both parts replaced */
	assert_int_equal(memmap_set(&m, 0x7ff00000, 0x80000000, MEM_HYPERVISOR), 0);
	expect(3, 0x100000, 0x7ff00000, MEM_USABLE);
	expect(4, 0x7ff00000, 0x80000000, MEM_HYPERVISOR);
	expect(5, 0xfeffc000, 0xff000000, MEM_RESERVED);
	/* set overrides (even towards a less restrictive type) */
	assert_int_equal(memmap_set(&m, 0x7ff00000, 0x80000000, MEM_RESERVED), 0);
	expect(4, 0x7ff00000, 0x80000000, MEM_RESERVED);
	assert_int_equal(memmap_total(&m, MEM_HYPERVISOR), 0);
	/* a hole gets filled */
	assert_int_equal(memmap_set(&m, 0xa0000, 0xf0000, MEM_RESERVED), 0);
	expect(1, 0x9fc00, 0x100000, MEM_RESERVED);
	/* usable set is page-trimmed like everything else */
	assert_int_equal(memmap_set(&m, 0x200000000ull, 0x200001800ull, MEM_USABLE), 0);
	expect(m.n - 1, 0x200000000ull, 0x200001000ull, MEM_USABLE);
	/* empty is a no-op, reversed and bad types are errors */
	unsigned n = m.n;
	assert_int_equal(memmap_set(&m, 0x5000, 0x5000, MEM_HYPERVISOR), 0);
	assert_int_equal(m.n, n);
	assert_int_equal(memmap_set(&m, 0x6000, 0x5000, MEM_HYPERVISOR), E_INVAL);
	assert_int_equal(memmap_set(&m, 0x5000, 0x6000, (enum mem_type)7), E_INVAL);
	assert_int_equal(m.n, n);
	assert_false(m.truncated);
}

/* 100 reserved + 100 usable disjoint ranges: 200 entries do not fit. The
 * reserved ones must all survive, usable ones give way. */
static void test_overflow_keeps_reserved(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		paddr_t base = 0x100000ull * i;

		memmap_add(&m, base, 0x10000, MEM_USABLE);
		memmap_add(&m, base + 0x20000, 0x1000 + i, MEM_RESERVED);
	}
	assert_true(m.truncated);
	assert_true(host_log_count("shoji: warning: memmap full") > 0);
	memmap_sanitize(&m);
	assert_int_equal(m.n, MEMMAP_MAX);
	assert_sorted_disjoint();
	for (unsigned i = 0; i < 100; i++) {
		paddr_t base = 0x100000ull * i + 0x20000;

		assert_int_equal(memmap_type_of(&m, base, base + 0x1000 + i), MEM_RESERVED);
	}
	assert_int_equal(memmap_total(&m, MEM_RESERVED), 100 * 0x1000 + 99 * 100 / 2);
	assert_int_equal(memmap_total(&m, MEM_USABLE), 28 * 0x10000);
	/* kept usable ranges are original ones, untouched */
	for (unsigned i = 0; i < m.n; i++)
		if (m.r[i].type == MEM_USABLE) {
			assert_int_equal(m.r[i].base % 0x100000, 0);
			assert_int_equal(m.r[i].end - m.r[i].base, 0x10000);
		}
}

/* One usable range holed by 101 reserved pages: splitting it needs 203
 * entries. Usable pieces are dropped (smallest first), holes all kept. */
static void test_overflow_split_usable(void **state)
{
	unsigned usable = 0;
	(void)state;
	memmap_add(&m, 0, 0x40000000, MEM_USABLE);
	for (unsigned i = 0; i < 100; i++)
		memmap_add(&m, 0x100000ull * (i + 1), 0x1000, MEM_RESERVED);
	/* splits the big top piece in two large ones, which must survive */
	memmap_add(&m, 0x20000000, 0x1000, MEM_RESERVED);
	memmap_sanitize(&m);
	assert_true(m.truncated);
	assert_int_equal(m.n, MEMMAP_MAX);
	assert_sorted_disjoint();
	assert_int_equal(memmap_total(&m, MEM_RESERVED), 101 * 0x1000);
	for (unsigned i = 0; i < 100; i++) {
		paddr_t base = 0x100000ull * (i + 1);

		assert_int_equal(memmap_type_of(&m, base, base + 0x1000), MEM_RESERVED);
	}
	assert_int_equal(memmap_type_of(&m, 0x20000000, 0x20001000), MEM_RESERVED);
	assert_int_equal(memmap_type_of(&m, 0x6401000, 0x20000000), MEM_USABLE);
	assert_int_equal(memmap_type_of(&m, 0x20001000, 0x40000000), MEM_USABLE);
	for (unsigned i = 0; i < m.n; i++)
		usable += m.r[i].type == MEM_USABLE;
	assert_int_equal(usable, MEMMAP_MAX - 101);
	assert_true(host_log_count("warning: memmap full: dropped usable") > 0);
}

/* Nothing but non-usable ranges, more than fit: neighbours merge into the
 * more restrictive type; every original byte stays non-usable and the
 * hypervisor range stays exact. */
static void test_overflow_merges_restrictive(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 160; i++)
		memmap_add(&m, 0x10000ull * i, 0x1000,
			   i % 4 == 1 ? MEM_ACPI_NVS : MEM_RESERVED);
	memmap_add(&m, 0x10000ull * 80 + 0x4000, 0x2000, MEM_HYPERVISOR);
	memmap_sanitize(&m);
	assert_true(m.truncated);
	assert_int_equal(m.n, MEMMAP_MAX);
	assert_sorted_disjoint();
	assert_int_equal(memmap_total(&m, MEM_USABLE), 0);
	for (unsigned i = 0; i < 160; i++) {
		paddr_t base = 0x10000ull * i;
		enum mem_type t = memmap_type_of(&m, base, base + 0x1000);

		assert_true(t == MEM_RESERVED || t == MEM_ACPI_NVS);
		if (t == MEM_ACPI_NVS)
			assert_int_equal(i % 4, 1);
	}
	assert_int_equal(memmap_total(&m, MEM_HYPERVISOR), 0x2000);
	assert_int_equal(memmap_type_of(&m, 0x10000ull * 80 + 0x4000, 0x10000ull * 80 + 0x6000),
			 MEM_HYPERVISOR);
	assert_true(host_log_count("warning: memmap full: merged") > 0);
}

static void test_log_format(void **state)
{
	static const char want[] =
		"shoji: memmap base=0x0000000000000000 end=0x000000000009f000 size=0x9f000 type=usable\n"
		"shoji: memmap base=0x000000000009fc00 end=0x00000000000a0000 size=0x400 type=reserved\n"
		"shoji: memmap base=0x00000000000f0000 end=0x0000000000100000 size=0x10000 type=reserved\n"
		"shoji: memmap base=0x0000000000100000 end=0x000000007de00000 size=0x7dd00000 type=usable\n"
		"shoji: memmap base=0x000000007de00000 end=0x000000007fe00000 size=0x2000000 type=hypervisor\n"
		"shoji: memmap base=0x000000007fe00000 end=0x000000007ffe0000 size=0x1e0000 type=usable\n"
		"shoji: memmap base=0x000000007ffe0000 end=0x0000000080000000 size=0x20000 type=reserved\n"
		"shoji: memmap base=0x00000000feffc000 end=0x00000000ff000000 size=0x4000 type=reserved\n"
		"shoji: memmap base=0x00000000fffc0000 end=0x0000000100000000 size=0x40000 type=reserved\n"
		"shoji: memmap base=0x0000000100000000 end=0x0000000180000000 size=0x80000000 type=usable\n"
		"shoji: memmap base=0x0000000180000000 end=0x0000000180001000 size=0x1000 type=acpi-nvs\n";
	(void)state;
	load_qemu();
	memmap_set(&m, 0x7de00000, 0x7fe00000, MEM_HYPERVISOR);
	memmap_set(&m, 0x180000000ull, 0x180001000ull, MEM_ACPI_NVS);
	host_log_clear();
	memmap_log(&m);
	assert_string_equal(host_log, want);
	assert_int_equal(host_log_count("shoji: memmap "), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_empty, setup),
		cmocka_unit_test_setup(test_qemu_e820, setup),
		cmocka_unit_test_setup(test_overlap_reserved_wins_either_order, setup),
		cmocka_unit_test_setup(test_overlap_type_ranking, setup),
		cmocka_unit_test_setup(test_unsorted_and_merge, setup),
		cmocka_unit_test_setup(test_unaligned_usable_trimmed, setup),
		cmocka_unit_test_setup(test_add_edge_cases, setup),
		cmocka_unit_test_setup(test_type_names, setup),
		cmocka_unit_test_setup(test_find_top_basic, setup),
		cmocka_unit_test_setup(test_find_top_exclusions, setup),
		cmocka_unit_test_setup(test_find_top_nomem, setup),
		cmocka_unit_test_setup(test_set_hypervisor_splits, setup),
		cmocka_unit_test_setup(test_set_override_and_edges, setup),
		cmocka_unit_test_setup(test_overflow_keeps_reserved, setup),
		cmocka_unit_test_setup(test_overflow_split_usable, setup),
		cmocka_unit_test_setup(test_overflow_merges_restrictive, setup),
		cmocka_unit_test_setup(test_log_format, setup),
	};

	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
