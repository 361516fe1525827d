/* Domain policy: what the default and confined domains reach, checked
 * against the I/O page tables they produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/domain.h"
#include "lib/error.h"

#define HV_BASE 0x3be00000ULL
#define HV_END 0x3fe00000ULL
#define REGS 0xfed90000ULL

static const struct domain_config cfg39 = {
	.levels = 3, .max_page_level = 3, .coherent = false, .dma_limit = 1ULL << 39,
};

static int setup(void **state)
{
	host_log_clear();
	assert_int_equal(domain_policy_init(&cfg39), 0);
	assert_int_equal(domain_forbid(HV_BASE, HV_END, "hypervisor-region"), 0);
	assert_int_equal(domain_forbid(REGS, REGS + 0x1000, "iommu-registers"), 0);
	return 0;
}

static int teardown(void **state)
{
	struct domain_config c = cfg39;

	domain_policy_init(&c);	/* destroys every domain */
	assert_int_equal(host_pages_in_use, 0);
	return 0;
}

static bool mapped(const struct domain *d, uint64_t a, unsigned *perm)
{
	paddr_t pa;
	unsigned p = 0;
	bool ok = iopt_translate(&d->pt, a, &pa, &p, NULL) == 0;

	if (ok)
		assert_int_equal(pa, a);	/* identity where mapped */
	if (perm)
		*perm = p;
	return ok;
}

static void test_default_excludes_forbidden(void **state)
{
	struct domain *d;
	unsigned perm;

	assert_int_equal(domain_build_default(), 0);
	d = domain_default();
	assert_non_null(d);
	assert_int_equal(d->id, DOMAIN_DEFAULT_ID);
	for (uint64_t a = HV_BASE; a < HV_END; a += 0x1000) {
		assert_false(mapped(d, a, NULL));
		assert_false(domain_may_reach(d, a, IOPT_READ));
	}
	assert_false(mapped(d, REGS, NULL));
	assert_true(mapped(d, HV_BASE - 0x1000, &perm));
	assert_int_equal(perm, IOPT_READ | IOPT_WRITE);
	assert_true(mapped(d, HV_END, NULL));
	assert_true(mapped(d, REGS - 0x1000, NULL));
	assert_true(mapped(d, REGS + 0x1000, NULL));
	assert_true(mapped(d, 0, NULL));
	assert_true(mapped(d, (1ULL << 39) - 0x1000, NULL));
	assert_true(domain_may_reach(d, HV_END, IOPT_WRITE));
	/* Reach: the complement, in order. */
	assert_int_equal(d->n_ranges, 3);
	assert_int_equal(d->ranges[0].end, HV_BASE);
	assert_int_equal(d->ranges[1].start, HV_END);
	assert_int_equal(d->ranges[1].end, REGS);
	assert_int_equal(d->ranges[2].start, REGS + 0x1000);
	domain_log(d);
	assert_int_equal(host_log_count("name=default"), 1);
	assert_int_equal(host_log_count("reach=0x0-0x3be00000:rw,0x3fe00000-0xfed90000:rw,"
					"0xfed91000-0x8000000000:rw"), 1);
}

static void test_default_uses_superpages_away_from_holes(void **state)
{
	struct domain *d;
	uint64_t size;

	assert_int_equal(domain_build_default(), 0);
	d = domain_default();
	assert_int_equal(iopt_translate(&d->pt, 0x80000000ULL, NULL, NULL, &size), 0);
	assert_int_equal(size, 1ULL << 30);
	assert_int_equal(iopt_translate(&d->pt, HV_BASE - 0x200000, NULL, NULL, &size), 0);
	assert_int_equal(size, 1ULL << 21);
	/* A few dozen table pages, not thousands. */
	assert_true(d->pt.table_pages < 16);
}

static void test_forbid_merges_and_sorts(void **state)
{
	assert_int_equal(domain_forbid(HV_END - 0x1000, HV_END + 0x2000, "overlap"), 0);
	assert_int_equal(domain_forbid(0x1000, 0x2000, "low"), 0);
	assert_int_equal(domain_build_default(), 0);
	assert_false(mapped(domain_default(), HV_END + 0x1000, NULL));
	assert_true(mapped(domain_default(), HV_END + 0x2000, NULL));
	assert_false(mapped(domain_default(), 0x1000, NULL));
	assert_true(mapped(domain_default(), 0x2000, NULL));
	assert_int_equal(domain_default()->n_ranges, 4);
}

static void test_confined_domain(void **state)
{
	struct domain_range shadow = { HV_END - 0x400000, HV_END, IOPT_READ | IOPT_WRITE };
	struct domain_range bad_hv = { HV_BASE, HV_BASE + 0x1000, IOPT_READ };
	struct domain_range bad_regs = { REGS, REGS + 0x1000, IOPT_READ };
	struct domain_range beyond = { 1ULL << 39, (1ULL << 39) + 0x1000, IOPT_READ };
	struct domain *d = NULL;

	assert_int_equal(domain_create("disk", &bad_hv, 1, &d), E_RANGE);
	assert_int_equal(domain_create("disk", &shadow, 1, &d), E_RANGE);	/* no window yet */
	assert_int_equal(domain_allow_shadow(HV_END - 0x400000, HV_END), 0);
	assert_int_equal(domain_create("disk", &bad_hv, 1, &d), E_RANGE);
	assert_int_equal(domain_create("disk", &bad_regs, 1, &d), E_RANGE);
	assert_int_equal(domain_create("disk", &beyond, 1, &d), E_RANGE);
	assert_int_equal(host_log_count("refused"), 5);
	assert_int_equal(domain_create("disk", &shadow, 1, &d), 0);
	assert_non_null(d);
	assert_int_not_equal(d->id, DOMAIN_DEFAULT_ID);
	assert_true(mapped(d, HV_END - 0x1000, NULL));
	assert_false(mapped(d, HV_END - 0x401000, NULL));
	assert_false(mapped(d, 0x100000, NULL));	/* guest memory: not reachable */
	assert_true(domain_may_reach(d, HV_END - 0x400000, IOPT_WRITE));
	assert_false(domain_may_reach(d, HV_END, IOPT_READ));
	domain_destroy(d);
}

static void test_read_only_range(void **state)
{
	struct domain_range ro = { 0x100000, 0x200000, IOPT_READ };
	struct domain *d;
	unsigned perm;

	assert_int_equal(domain_create("ro", &ro, 1, &d), 0);
	assert_true(mapped(d, 0x100000, &perm));
	assert_int_equal(perm, IOPT_READ);
	assert_false(domain_may_reach(d, 0x100000, IOPT_WRITE));
	domain_destroy(d);
}

static void test_bad_config(void **state)
{
	struct domain_config c = cfg39;

	c.dma_limit = 1ULL << 40;	/* more than 3 levels translate */
	assert_int_equal(domain_policy_init(&c), E_INVAL);
	c = cfg39;
	c.levels = 2;
	assert_int_equal(domain_policy_init(&c), E_INVAL);
	assert_int_equal(domain_policy_init(&cfg39), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_default_excludes_forbidden),
		T(test_default_uses_superpages_away_from_holes),
		T(test_forbid_merges_and_sorts),
		T(test_confined_domain),
		T(test_read_only_range),
		T(test_bad_config),
	};
	return cmocka_run_group_tests_name("domain", tests, NULL, NULL);
}
