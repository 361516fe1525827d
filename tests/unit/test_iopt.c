/* Unit tests for src/iommu/iopt.c (VT-d second-level page tables).
 *
 * The checks never trust iopt_translate: they use a walker written here
 * from the VT-d spec (9.8 "Second-Level Paging Entries", 3.7 second-level
 * translation) that starts at pt.root and goes through hal_phys_to_virt as
 * the hardware would: 9 IOVA bits per level, R/W ANDed over the levels, PS
 * at levels 2/3 ends the walk, reserved bits must be zero (the unit would
 * fault with reason 0xC otherwise). The expected mappings come from an
 * independent oracle (a greedy "largest aligned page that fits" over the
 * ranges between the holes) and, for the random test, from a per-page
 * model. Host HAL: physical address == host pointer value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/iopt.h"
#include "lib/error.h"
#include "lib/hal.h"

#define K4 0x1000ULL
#define M2 0x200000ULL
#define G1 0x40000000ULL
#define RW (IOPT_READ | IOPT_WRITE)

/* ==== the independent walker ==== */

#define E_R	(1ULL << 0)
#define E_W	(1ULL << 1)
#define E_PS	(1ULL << 7)
#define E_ADDR	0x000ffffffffff000ULL

static unsigned lvl_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static uint64_t lvl_size(unsigned level)
{
	return 1ULL << lvl_shift(level);
}

/* Format check of one present entry (9.8). NULL if fine, else what is wrong. */
static const char *bad_entry(const struct iopt *pt, uint64_t e, unsigned level)
{
	uint64_t haw_mask = (pt->haw >= 64 ? ~0ULL : (1ULL << pt->haw) - 1) & E_ADDR;
	bool leaf = level == 1 || ((level == 2 || level == 3) && (e & E_PS));
	uint64_t allowed = E_R | E_W | haw_mask;

	if (!(e & (E_R | E_W)))
		return "not-present entry with bits set";
	if (level >= 4 && (e & E_PS))
		return "PS set at level 4/5 (reserved)";
	if (level >= 2 && level <= 3 && (e & E_PS)) {
		if (level > pt->max_page_level)
			return "superpage larger than max_page_level";
		allowed |= E_PS;
		allowed &= ~((lvl_size(level) - 1) & E_ADDR);	/* bits 20:12 / 29:12 reserved */
	}
	if (e & ~allowed)
		return "reserved/unexpected bits set (X, EMT, SNP, TM, above HAW or misaligned)";
	if (!leaf && (e & (E_R | E_W)) != (E_R | E_W))
		return "non-leaf entry without R|W";
	return NULL;
}

/* Hardware-style walk of one IOVA: 1 mapped, 0 not mapped, -1 malformed
 * (message in *err). */
static int hw_walk(const struct iopt *pt, uint64_t iova, uint64_t *pa, unsigned *perm,
		   uint64_t *size, const char **err)
{
	const uint64_t *t;
	uint64_t rw = E_R | E_W;

	*err = NULL;
	if (iova >> (12 + 9 * pt->levels))
		return 0;	/* beyond the AGAW: the unit faults */
	t = hal_phys_to_virt(pt->root);
	for (unsigned level = pt->levels;; level--) {
		uint64_t e = t[(iova >> lvl_shift(level)) & 511];

		if (!(e & (E_R | E_W))) {
			if (e) {
				*err = "not-present entry with bits set";
				return -1;
			}
			return 0;
		}
		if ((*err = bad_entry(pt, e, level)))
			return -1;
		rw &= e;
		if (level == 1 || (e & E_PS)) {
			uint64_t sz = lvl_size(level);

			*pa = (e & E_ADDR & ~(sz - 1)) + (iova & (sz - 1));
			*perm = ((rw & E_R) ? IOPT_READ : 0) | ((rw & E_W) ? IOPT_WRITE : 0);
			*size = sz;
			return rw ? 1 : 0;
		}
		t = hal_phys_to_virt(e & E_ADDR);
	}
}

/* Walk of the whole tree: format of every entry, no empty table but the
 * root, leaves reported in IOVA order, tables counted, contents hashed. */
struct walk {
	void (*leaf)(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned perm);
	void *ctx;
	uint64_t tables;
	uint64_t leaves[3];
	uint64_t bytes;
	uint64_t hash;
	const char *err;
	uint64_t err_va;
};

static void hash_in(struct walk *w, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		w->hash ^= (v >> (8 * i)) & 0xff;
		w->hash *= 0x100000001b3ULL;
	}
}

static void walk_table(const struct iopt *pt, struct walk *w, uint64_t table_pa,
		       unsigned level, uint64_t base, uint64_t rw)
{
	const uint64_t *t = hal_phys_to_virt(table_pa);
	unsigned present = 0;

	w->tables++;
	if (!table_pa || (table_pa & 0xfff)) {
		w->err = "table address not page aligned";
		w->err_va = base;
		return;
	}
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i], va = base + (uint64_t)i * lvl_size(level);
		const char *bad;

		if (!e)
			continue;
		hash_in(w, level);
		hash_in(w, va);
		hash_in(w, e);
		if ((bad = (e & (E_R | E_W)) ? bad_entry(pt, e, level)
					     : "not-present entry with bits set"))  {
			if (!w->err) {
				w->err = bad;
				w->err_va = va;
			}
			continue;
		}
		present++;
		if (level == 1 || (e & E_PS)) {
			uint64_t sz = lvl_size(level);
			uint64_t r = rw & e;

			w->leaves[level - 1]++;
			w->bytes += sz;
			if (w->leaf)
				w->leaf(w->ctx, va, e & E_ADDR, sz,
					((r & E_R) ? IOPT_READ : 0) | ((r & E_W) ? IOPT_WRITE : 0));
		} else {
			walk_table(pt, w, e & E_ADDR, level - 1, va, rw & e);
		}
	}
	if (!present && level != pt->levels && !w->err) {
		w->err = "empty table left linked";
		w->err_va = base;
	}
}

static struct walk walk_all(const struct iopt *pt,
			    void (*leaf)(void *, uint64_t, uint64_t, uint64_t, unsigned), void *ctx)
{
	struct walk w = { .leaf = leaf, .ctx = ctx, .hash = 0xcbf29ce484222325ULL };

	walk_table(pt, &w, pt->root, pt->levels, 0, E_R | E_W);
	return w;
}

#define ASSERT_WALK_OK(w)							\
	do {									\
		if ((w).err)							\
			fail_msg("walker: %s at iova 0x%llx", (w).err,		\
				 (unsigned long long)(w).err_va);		\
	} while (0)

/* ==== expected mappings ==== */

struct expect {
	uint64_t start, end;
	const struct iopt_hole *holes;
	unsigned n_holes;
	uint64_t delta;		/* pa - iova */
	unsigned perm;
};

static bool in_hole(const struct expect *x, uint64_t va)
{
	for (unsigned i = 0; i < x->n_holes; i++)
		if (va >= x->holes[i].start && va < x->holes[i].end)
			return true;
	return false;
}

static bool exp_mapped(const struct expect *x, uint64_t va)
{
	return va >= x->start && va < x->end && !in_hole(x, va);
}

/* The mapped ranges: [start,end) minus holes, at most 16. */
static unsigned gaps_of(const struct expect *x, uint64_t (*g)[2])
{
	uint64_t cur = x->start;
	unsigned n = 0;

	for (unsigned i = 0; i < x->n_holes && cur < x->end; i++) {
		uint64_t hs = x->holes[i].start, he = x->holes[i].end;

		if (he <= cur)
			continue;
		if (hs > cur) {
			g[n][0] = cur;
			g[n][1] = hs < x->end ? hs : x->end;
			n++;
		}
		cur = he;
	}
	if (cur < x->end) {
		g[n][0] = cur;
		g[n][1] = x->end;
		n++;
	}
	return n;
}

/* Oracle: leaves of each size a "largest aligned page that fits" mapping
 * of the gaps uses. */
static void oracle_leaves(const struct expect *x, unsigned max_level, uint64_t out[3])
{
	uint64_t g[16][2];
	unsigned n = gaps_of(x, g);

	out[0] = out[1] = out[2] = 0;
	for (unsigned i = 0; i < n; i++) {
		for (uint64_t va = g[i][0]; va < g[i][1];) {
			unsigned level = max_level;

			while (level > 1 && !(((va | (va + x->delta)) & (lvl_size(level) - 1)) == 0 &&
					      va + lvl_size(level) <= g[i][1]))
				level--;
			out[level - 1]++;
			va += lvl_size(level);
		}
	}
}

/* Oracle for a 4 KiB-only map: a table at level k exists for every
 * lvl_size(k+1) slot that holds a mapped page; plus the root. */
static uint64_t oracle_tables_4k(const struct expect *x, unsigned levels)
{
	uint64_t g[16][2], total = 1;
	unsigned n = gaps_of(x, g);

	for (unsigned k = 1; k < levels; k++) {
		uint64_t span = lvl_size(k + 1), last = ~0ULL;

		for (unsigned i = 0; i < n; i++) {
			uint64_t first = g[i][0] / span, end = (g[i][1] - 1) / span;

			if (first == last)
				first++;
			if (end >= first)
				total += end - first + 1;
			last = end;
		}
	}
	return total;
}

struct leaf_check {
	const struct expect *x;
	uint64_t bad;		/* leaves that break the expectation */
	uint64_t first_bad_va;
};

static void leaf_matches(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned perm)
{
	struct leaf_check *c = ctx;
	const struct expect *x = c->x;
	bool ok = va >= x->start && va + size <= x->end && pa == va + x->delta && perm == x->perm;

	for (unsigned i = 0; ok && i < x->n_holes; i++)
		if (x->holes[i].start < va + size && x->holes[i].end > va)
			ok = false;
	if (!ok && !c->bad++)
		c->first_bad_va = va;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_page(const struct iopt *pt, const struct expect *x, uint64_t va)
{
	uint64_t pa = 0, size = 0;
	unsigned perm = 0;
	const char *err;
	int m = hw_walk(pt, va, &pa, &perm, &size, &err);

	if (m < 0)
		fail_msg("iova 0x%llx: %s", (unsigned long long)va, err);
	if (exp_mapped(x, va)) {
		if (m != 1 || pa != va + x->delta || perm != x->perm)
			fail_msg("iova 0x%llx: mapped=%d pa=0x%llx perm=%u, expected pa=0x%llx perm=%u",
				 (unsigned long long)va, m, (unsigned long long)pa, perm,
				 (unsigned long long)(va + x->delta), x->perm);
	} else if (m != 0) {
		fail_msg("iova 0x%llx must not be mapped (pa=0x%llx size=0x%llx)",
			 (unsigned long long)va, (unsigned long long)pa, (unsigned long long)size);
	}
}

/* Everything about a mapping built from x: the whole tree's leaves (each
 * inside a gap, identity/offset and permission right, total = expected
 * bytes, sizes = oracle), the table count, every page of every hole (and
 * 16 MiB on each side of each hole edge) page by page, random samples. */
static void check_mapping(const struct iopt *pt, const struct expect *x, unsigned max_level)
{
	struct leaf_check c = { .x = x };
	struct walk w = walk_all(pt, leaf_matches, &c);
	uint64_t want[3], g[16][2], bytes = 0;
	unsigned n = gaps_of(x, g);

	ASSERT_WALK_OK(w);
	if (c.bad)
		fail_msg("%llu leaves outside the expected mapping, first at 0x%llx",
			 (unsigned long long)c.bad, (unsigned long long)c.first_bad_va);
	for (unsigned i = 0; i < n; i++)
		bytes += g[i][1] - g[i][0];
	assert_int_equal(w.bytes, bytes);
	oracle_leaves(x, max_level, want);
	assert_int_equal(w.leaves[0], want[0]);
	assert_int_equal(w.leaves[1], want[1]);
	assert_int_equal(w.leaves[2], want[2]);
	assert_int_equal(w.tables, pt->table_pages);

	for (unsigned i = 0; i < x->n_holes; i++) {
		const struct iopt_hole *h = &x->holes[i];
		uint64_t lo = h->start > 16 * 1024 * 1024 ? h->start - 16 * 1024 * 1024 : 0;

		for (uint64_t va = h->start; va < h->end; va += K4)
			check_page(pt, x, va);
		for (uint64_t va = lo; va < h->start + 16 * 1024 * 1024; va += K4)
			check_page(pt, x, va);
		lo = h->end > 16 * 1024 * 1024 ? h->end - 16 * 1024 * 1024 : 0;
		for (uint64_t va = lo; va < h->end + 16 * 1024 * 1024; va += K4)
			check_page(pt, x, va);
	}
	if (x->start)
		check_page(pt, x, x->start - K4);
	check_page(pt, x, x->start);
	check_page(pt, x, x->end - K4);
	check_page(pt, x, x->end);
	for (int i = 0; i < 20000; i++) {
		uint64_t span = x->end - x->start + G1;
		uint64_t va = (x->start > G1 / 2 ? x->start - G1 / 2 : 0) + (rnd() % span & ~(K4 - 1));

		check_page(pt, x, va);
	}
}

/* ==== fixtures ==== */

static long pages_at_start;

static int setup(void **state)
{
	(void)state;
	host_page_limit = 0;
	pages_at_start = host_pages_in_use;
	rng_state = 0x9e3779b97f4a7c15ULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_page_limit = 0;
	assert_int_equal(host_pages_in_use, pages_at_start);	/* no leak */
	return 0;
}

/* ==== the walker can fail ==== */

static void test_walker_detects_bad_entries(void **state)
{
	struct iopt pt;
	uint64_t *t, saved;
	struct walk w;

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map(&pt, G1, G1, G1 + M2 + K4, RW), 0);
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);

	/* the 1 GiB leaf lives in root[0] -> L3[1] */
	t = hal_phys_to_virt(((uint64_t *)hal_phys_to_virt(pt.root))[0] & E_ADDR);
	saved = t[1];
	assert_true(saved & E_PS);
	t[1] = saved | (1ULL << 11);	/* SNP */
	w = walk_all(&pt, NULL, NULL);
	assert_non_null(w.err);
	t[1] = saved | (1ULL << 12);	/* inside the 1 GiB page's reserved bits 29:12 */
	w = walk_all(&pt, NULL, NULL);
	assert_non_null(w.err);
	t[1] = saved | (1ULL << 60);
	w = walk_all(&pt, NULL, NULL);
	assert_non_null(w.err);
	t[1] = saved + G1;		/* maps elsewhere: leaf check must catch it */
	{
		struct expect x = { G1, 2 * G1 + M2 + K4, NULL, 0, 0, RW };
		struct leaf_check c = { .x = &x };

		w = walk_all(&pt, leaf_matches, &c);
		assert_null(w.err);
		assert_int_equal(c.bad, 1);
	}
	t[1] = saved;
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);
	iopt_destroy(&pt);
}

/* ==== identity maps with one hole ==== */

static void identity_case(unsigned levels, unsigned max_level, bool coherent, uint64_t size,
			  uint64_t hs, uint64_t he, uint64_t want_leaves[3], uint64_t want_tables)
{
	struct iopt pt;
	struct iopt_hole hole = { hs, he };
	struct expect x = { 0, size, &hole, 1, 0, RW };
	struct walk w;

	assert_int_equal(iopt_init(&pt, levels, max_level, coherent), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 0, size, &hole, 1, RW), 0);
	check_mapping(&pt, &x, max_level);
	w = walk_all(&pt, NULL, NULL);
	if (want_leaves) {
		assert_int_equal(w.leaves[0], want_leaves[0]);
		assert_int_equal(w.leaves[1], want_leaves[1]);
		assert_int_equal(w.leaves[2], want_leaves[2]);
	}
	if (want_tables)
		assert_int_equal(pt.table_pages, want_tables);
	iopt_destroy(&pt);
}

/* A 64 MiB hypervisor region at 2 MiB-aligned offsets inside the first GiB:
 * that GiB is 2 MiB leaves, all other GiBs 1 GiB leaves, no 4 KiB leaves. */
static void test_identity_aligned_hole(void **state)
{
	uint64_t l1[3] = { 0, 480, 0 }, l4[3] = { 0, 480, 3 }, l64[3] = { 0, 480, 63 };

	identity_case(4, 3, true, G1, 0x3be00000, 0x3fe00000, l1, 3);
	identity_case(4, 3, true, 4 * G1, 0x3be00000, 0x3fe00000, l4, 3);
	identity_case(4, 3, true, 64 * G1, 0x3be00000, 0x3fe00000, l64, 3);
	/* 3 levels: root is the 1 GiB level */
	identity_case(3, 3, true, 64 * G1, 0x3be00000, 0x3fe00000, l64, 2);
	/* hole in the middle of the 4th GiB */
	identity_case(4, 3, false, 4 * G1, 3 * G1 + 0x10000000, 3 * G1 + 0x14000000, l4, 3);
}

/* Holes not 2 MiB aligned, across a 1 GiB boundary, at the start, at the end. */
static void test_identity_unaligned_hole(void **state)
{
	/* 0x3bf01000..0x3fe03000: 4 KiB leaves in the two 2 MiB slots at the edges */
	uint64_t want[3] = {
		(0x3bf01000 - 0x3be00000) / K4 + (0x40000000 - 0x3fe03000) / K4,	/* 257 + 509 */
		0x3be00000 / M2,							/* 479 */
		3,
	};

	identity_case(4, 3, true, 4 * G1, 0x3bf01000, 0x3fe03000, want, 0);
	/* across the 1 GiB boundary, odd edges */
	identity_case(4, 3, true, 4 * G1, G1 - 0x2345000, G1 + 0x1f01000, NULL, 0);
	/* at 0 and at the very end, and a hole reaching past the end */
	identity_case(4, 3, true, 4 * G1, 0, 0x4000000 + K4, NULL, 0);
	identity_case(4, 3, true, 4 * G1, 4 * G1 - 0x4001000, 4 * G1, NULL, 0);
	identity_case(4, 3, true, 4 * G1, 4 * G1 - 0x3fff000, 5 * G1, NULL, 0);
	identity_case(5, 3, true, 64 * G1, 37 * G1 + 0x123000, 37 * G1 + 0x4123000, NULL, 0);
	/* 2 MiB superpages only */
	identity_case(4, 2, true, 4 * G1, 0x3bf01000, 0x3fe03000, NULL, 0);
}

/* 4 KiB leaves only: the table count is plain arithmetic. */
static void test_identity_no_superpages(void **state)
{
	struct iopt_hole hole = { 0x3be00000, 0x3fe00000 };
	struct expect x1 = { 0, G1, &hole, 1, 0, RW }, x4 = { 0, 4 * G1, &hole, 1, 0, RW };
	uint64_t l1[3] = { (G1 - 0x4000000) / K4, 0, 0 };
	uint64_t l4[3] = { (4 * G1 - 0x4000000) / K4, 0, 0 };

	/* 1 GiB, 2 MiB-aligned 64 MiB hole: 512 - 32 = 480 level-1 tables,
	 * one level-2, one level-3, the root. */
	assert_int_equal(oracle_tables_4k(&x1, 4), 483);
	identity_case(4, 1, true, G1, hole.start, hole.end, l1, 483);
	/* 4 GiB: 2048 - 32 level-1 tables, 4 level-2, 1 level-3, root */
	assert_int_equal(oracle_tables_4k(&x4, 4), 2016 + 4 + 1 + 1);
	identity_case(4, 1, true, 4 * G1, hole.start, hole.end, l4, 2022);
	identity_case(3, 1, true, 4 * G1, hole.start, hole.end, l4, 2021);
	identity_case(5, 1, true, 4 * G1, hole.start, hole.end, l4, 2023);
	/* unaligned hole: the edge slots keep their level-1 tables */
	{
		struct iopt_hole h2 = { 0x3bf01000, 0x3fe03000 };
		struct expect x = { 0, 4 * G1, &h2, 1, 0, RW };
		uint64_t want = oracle_tables_4k(&x, 4);

		assert_int_equal(want, 2048 - 31 + 4 + 1 + 1);
		identity_case(4, 1, true, 4 * G1, h2.start, h2.end, NULL, want);
	}
}

static void test_identity_64g_no_superpages(void **state)
{
	struct iopt_hole hole = { 0x3be00000, 0x3fe00000 };
	struct expect x = { 0, 64 * G1, &hole, 1, 0, RW };
	uint64_t l[3] = { (64 * G1 - 0x4000000) / K4, 0, 0 };

	/* 32768 - 32 level-1, 64 level-2, 1 level-3, root: ~128 MiB of tables */
	assert_int_equal(oracle_tables_4k(&x, 4), 32768 - 32 + 64 + 1 + 1);
	identity_case(4, 1, true, 64 * G1, hole.start, hole.end, l, 32768 - 32 + 66);
}

/* Several holes, adjacent holes, holes outside the range; bad hole lists. */
static void test_identity_holes(void **state)
{
	struct iopt pt;
	const struct iopt_hole holes[] = {
		{ 0, 0x100000 },			/* low MiB */
		{ 0x9f000, 0xa0000 },			/* overlaps the previous: invalid */
	};
	const struct iopt_hole good[] = {
		{ 0xa0000, 0x100000 },
		{ 0x3be00000, 0x3c000000 },
		{ 0x3c000000, 0x3fe00000 },		/* adjacent */
		{ 0xfec00000, 0xfee01000 },
		{ 5 * G1, 6 * G1 },			/* outside the range */
	};
	struct expect x = { K4, 4 * G1, good, ARRAY_SIZE(good), 0, IOPT_READ };
	const struct iopt_hole unsorted[] = { { 0x200000, 0x300000 }, { 0x100000, 0x180000 } };
	const struct iopt_hole empty[] = { { 0x200000, 0x200000 } };
	const struct iopt_hole misaligned[] = { { 0x200000, 0x200800 } };

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, holes, 2, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, unsorted, 2, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, empty, 1, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, misaligned, 1, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1 + 1, NULL, 0, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, G1, 0, NULL, 0, RW), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, NULL, 0, 0), E_INVAL);
	assert_int_equal(iopt_map_identity_except(&pt, 0, G1, NULL, 1, RW), E_INVAL);
	assert_int_equal(pt.table_pages, 1);
	assert_int_equal(iopt_map_identity_except(&pt, G1, G1, NULL, 0, RW), 0);
	assert_int_equal(iopt_map_identity_except(&pt, K4, 4 * G1, good, ARRAY_SIZE(good),
						  IOPT_READ), 0);
	check_mapping(&pt, &x, 3);
	/* all of it again, or a part: busy */
	assert_int_equal(iopt_map_identity_except(&pt, 0, 4 * G1, good, ARRAY_SIZE(good), RW),
			 E_BUSY);
	/* exactly the holes (inside the range): fits */
	assert_int_equal(iopt_map_identity_except(&pt, 0xa0000, 0x100000, NULL, 0, RW), 0);
	iopt_destroy(&pt);
}

/* ==== address widths ==== */

static void test_levels(void **state)
{
	struct iopt pt;
	uint64_t pa, size;
	unsigned perm;
	const char *err;

	assert_int_equal(iopt_init(&pt, 2, 1, true), E_INVAL);
	assert_int_equal(iopt_init(&pt, 6, 1, true), E_INVAL);
	assert_int_equal(iopt_init(&pt, 4, 0, true), E_INVAL);
	assert_int_equal(iopt_init(&pt, 4, 4, true), E_INVAL);
	assert_int_equal(host_pages_in_use, pages_at_start);

	/* 3 levels, 39 bits */
	assert_int_equal(iopt_init(&pt, 3, 3, true), 0);
	assert_int_equal(iopt_addr_bits(&pt), 39);
	assert_int_equal(iopt_context_aw(&pt), 1);
	assert_int_equal(iopt_map(&pt, 1ULL << 39, 0, K4, RW), E_RANGE);
	assert_int_equal(iopt_map(&pt, (1ULL << 39) - K4, 0, 2 * K4, RW), E_RANGE);
	assert_int_equal(iopt_map(&pt, ~0ULL & ~(K4 - 1), 0, 2 * K4, RW), E_RANGE);	/* wraps */
	assert_int_equal(iopt_map_identity_except(&pt, 0, (1ULL << 39) + K4, NULL, 0, RW), E_RANGE);
	assert_int_equal(iopt_unmap(&pt, 1ULL << 39, K4), E_RANGE);
	assert_int_equal(iopt_map(&pt, (1ULL << 39) - G1, 0x123000, G1, RW), 0);
	assert_int_equal(hw_walk(&pt, (1ULL << 39) - K4, &pa, &perm, &size, &err), 1);
	assert_int_equal(pa, 0x123000 + G1 - K4);
	assert_int_equal(size, K4);
	assert_int_equal(iopt_translate(&pt, 1ULL << 39, &pa, &perm, &size), E_NOENT);
	assert_int_equal(pt.table_pages, 1 + 1 + 512);	/* root, one L2, 512 L1 */
	iopt_destroy(&pt);

	/* 4 levels, 48 bits */
	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map(&pt, 1ULL << 48, 0, K4, RW), E_RANGE);
	assert_int_equal(iopt_map(&pt, 1ULL << 39, 1ULL << 39, G1, RW), 0);
	assert_int_equal(hw_walk(&pt, (1ULL << 39) + 0x5000, &pa, &perm, &size, &err), 1);
	assert_int_equal(pa, (1ULL << 39) + 0x5000);
	assert_int_equal(size, G1);
	assert_int_equal(iopt_map(&pt, (1ULL << 48) - G1, 2 * G1, G1, IOPT_READ), 0);
	assert_int_equal(hw_walk(&pt, (1ULL << 48) - K4, &pa, &perm, &size, &err), 1);
	assert_int_equal(pa, 3 * G1 - K4);
	assert_int_equal(perm, IOPT_READ);
	iopt_destroy(&pt);

	/* 5 levels, 57 bits */
	assert_int_equal(iopt_init(&pt, 5, 3, true), 0);
	assert_int_equal(iopt_context_aw(&pt), 3);
	assert_int_equal(iopt_map(&pt, 1ULL << 57, 0, K4, RW), E_RANGE);
	assert_int_equal(iopt_map(&pt, (1ULL << 56) + G1, G1, G1 + M2 + K4, RW), 0);
	assert_int_equal(hw_walk(&pt, (1ULL << 56) + G1 + 77 * K4, &pa, &perm, &size, &err), 1);
	assert_int_equal(pa, G1 + 77 * K4);
	assert_int_equal(size, G1);
	assert_int_equal(hw_walk(&pt, (1ULL << 56) + 2 * G1 + M2, &pa, &perm, &size, &err), 1);
	assert_int_equal(size, K4);
	assert_int_equal(hw_walk(&pt, (1ULL << 56) + 2 * G1 + M2 + K4, &pa, &perm, &size, &err), 0);
	assert_int_equal(hw_walk(&pt, (1ULL << 55) + G1, &pa, &perm, &size, &err), 0);
	assert_int_equal(pt.table_pages, 5);	/* root, L4, L3, L2, L1 */
	iopt_destroy(&pt);
}

/* Physical addresses at or above 2^haw are refused. */
static void test_haw(void **state)
{
	struct iopt pt;

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(pt.haw, 52);
	assert_int_equal(iopt_map(&pt, 0, (1ULL << 52) - K4, 2 * K4, RW), E_RANGE);
	/* host pointers (the tables' addresses here) are below 2^47 */
	pt.haw = 47;
	assert_int_equal(iopt_map(&pt, 0, 1ULL << 47, K4, RW), E_RANGE);
	assert_int_equal(iopt_map(&pt, 0, (1ULL << 47) - G1, G1, RW), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 1ULL << 47, (1ULL << 47) + G1, NULL, 0, RW),
			 E_RANGE);
	assert_int_equal(pt.table_pages, 2);
	/* a table page the unit could not address: refused, nothing kept */
	pt.haw = 20;
	assert_int_equal(iopt_map(&pt, 8 * G1, 0, K4, RW), E_RANGE);
	assert_int_equal(pt.table_pages, 2);
	assert_int_equal(host_pages_in_use, pages_at_start + 2);
	pt.haw = 47;
	iopt_destroy(&pt);
}

/* ==== overlaps ==== */

static void test_map_busy_unchanged(void **state)
{
	struct iopt pt;
	struct iopt_hole hole = { 0x3be00000, 0x3fe00000 };
	struct walk before, after;
	long pages;
	const struct { uint64_t iova, len; } tries[] = {
		{ 0x3bdff000, K4 },			/* last page below the hole */
		{ 0x3bc00000, 0x400000 },		/* overlaps the hole's lower edge */
		{ 0x3fe00000 - K4, 2 * K4 },		/* first page above the hole */
		{ 0, 8 * G1 },				/* contains everything */
		{ 6 * G1 + K4, G1 },			/* new tables planned, then overlap */
		{ 2 * G1 + 0x123000, K4 },		/* inside a 1 GiB leaf */
		{ 7 * G1, K4 },				/* the 4 KiB page mapped below */
		{ 6 * G1, G1 + M2 },
	};

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 0, 4 * G1, &hole, 1, RW), 0);
	assert_int_equal(iopt_map(&pt, 7 * G1, 0x5000, K4, IOPT_READ), 0);
	before = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(before);
	pages = host_pages_in_use;
	for (unsigned i = 0; i < ARRAY_SIZE(tries); i++) {
		assert_int_equal(iopt_map(&pt, tries[i].iova, 0x100000000ULL, tries[i].len, RW), E_BUSY);
		after = walk_all(&pt, NULL, NULL);
		assert_int_equal(after.hash, before.hash);
		assert_int_equal(after.tables, before.tables);
		assert_int_equal(pt.table_pages, before.tables);
		assert_int_equal(host_pages_in_use, pages);
	}
	/* the hole itself is free */
	assert_int_equal(iopt_map(&pt, hole.start, hole.start, hole.end - hole.start, IOPT_READ), 0);
	iopt_destroy(&pt);
}

/* ==== unmap ==== */

struct model_check {
	uint64_t win;			/* leaves must lie below this */
	const uint64_t *model;		/* per 4 KiB page: pa | perm | 0x800 (mapped) */
	uint64_t pages, bad, first_bad;
};

#define M_MAPPED 0x800ULL

static void leaf_vs_model(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned perm)
{
	struct model_check *m = ctx;

	for (uint64_t off = 0; off < size; off += K4) {
		uint64_t p = (va + off) / K4;

		m->pages++;
		if (va + off >= m->win || m->model[p] != ((pa + off) | perm | M_MAPPED)) {
			if (!m->bad++)
				m->first_bad = va + off;
		}
	}
}

static void check_model(const struct iopt *pt, const uint64_t *model, uint64_t win)
{
	struct model_check m = { win, model, 0, 0, 0 };
	struct walk w = walk_all(pt, leaf_vs_model, &m);
	uint64_t mapped = 0;

	ASSERT_WALK_OK(w);
	for (uint64_t p = 0; p < win / K4; p++)
		mapped += (model[p] & M_MAPPED) != 0;
	if (m.bad)
		fail_msg("%llu pages differ from the model, first 0x%llx",
			 (unsigned long long)m.bad, (unsigned long long)m.first_bad);
	assert_int_equal(m.pages, mapped);
	assert_int_equal(w.tables, pt->table_pages);
}

static void test_unmap_split_1g(void **state)
{
	struct iopt pt;
	uint64_t va = G1 + 0x12c00000, pa, size;	/* 300 MiB into the GiB: 2 MiB aligned */
	unsigned perm;
	const char *err;
	struct walk w;
	long pages;

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map(&pt, G1, 5 * G1, G1, IOPT_READ), 0);
	w = walk_all(&pt, NULL, NULL);
	assert_int_equal(w.leaves[2], 1);
	assert_int_equal(iopt_unmap(&pt, va + K4, 3 * K4), 0);
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);
	assert_int_equal(w.leaves[2], 0);
	assert_int_equal(w.leaves[1], 511);
	assert_int_equal(w.leaves[0], 509);
	assert_int_equal(w.bytes, G1 - 3 * K4);
	assert_int_equal(pt.table_pages, 4);
	for (uint64_t a = G1 - 2 * K4; a < 2 * G1 + 2 * K4; a += (a > va - 4 * M2 && a < va + 4 * M2) ? K4 : 0x3f000) {
		int m = hw_walk(&pt, a, &pa, &perm, &size, &err);
		bool want = a >= G1 && a < 2 * G1 && !(a >= va + K4 && a < va + 4 * K4);

		if (m < 0)
			fail_msg("0x%llx: %s", (unsigned long long)a, err);
		assert_int_equal(m, want);
		if (want) {
			assert_int_equal(pa, a + 4 * G1);
			assert_int_equal(perm, IOPT_READ);
		}
	}
	/* a range across two 2 MiB leaves, partly in each */
	assert_int_equal(iopt_unmap(&pt, G1 + 3 * M2 - 5 * K4, 10 * K4), 0);
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);
	assert_int_equal(w.bytes, G1 - 13 * K4);
	assert_int_equal(pt.table_pages, 6);
	/* unmapping what is not mapped */
	pages = host_pages_in_use;
	assert_int_equal(iopt_unmap(&pt, va + K4, 3 * K4), 0);
	assert_int_equal(iopt_unmap(&pt, 100 * G1, 7 * G1), 0);
	assert_int_equal(iopt_unmap(&pt, 0, 0), 0);
	assert_int_equal(iopt_unmap(&pt, 0x800, K4), E_INVAL);
	assert_int_equal(iopt_unmap(&pt, 0, 0x800), E_INVAL);
	assert_int_equal(host_pages_in_use, pages);
	assert_int_equal(pt.pending_pages, 0);
	/* all of it: the tables go to the pending list, the root stays */
	assert_int_equal(iopt_unmap(&pt, 0, 4 * G1), 0);
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);
	assert_int_equal(w.bytes, 0);
	assert_int_equal(pt.table_pages, 1);
	assert_int_equal(pt.pending_pages, 5);
	assert_int_equal(host_pages_in_use, pages);	/* not freed before reclaim */
	iopt_reclaim(&pt);
	assert_int_equal(pt.pending_pages, 0);
	assert_int_equal(host_pages_in_use, pages_at_start + 1);
	iopt_destroy(&pt);
}

/* Unmapping a page at a time frees tables as they empty. */
static void test_unmap_frees_empty_tables(void **state)
{
	struct iopt pt;
	struct walk w;

	assert_int_equal(iopt_init(&pt, 4, 1, true), 0);
	assert_int_equal(iopt_map(&pt, 0x7fe000, 0x1000, 4 * K4, RW), 0);	/* across 2 MiB */
	assert_int_equal(pt.table_pages, 5);
	assert_int_equal(iopt_unmap(&pt, 0x7fe000, K4), 0);
	assert_int_equal(pt.table_pages, 5);
	assert_int_equal(iopt_unmap(&pt, 0x7ff000, K4), 0);
	assert_int_equal(pt.table_pages, 4);
	w = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(w);
	assert_int_equal(iopt_unmap(&pt, 0x800000, 2 * K4), 0);
	assert_int_equal(pt.table_pages, 1);
	assert_int_equal(pt.pending_pages, 4);
	iopt_destroy(&pt);	/* frees pending pages too (teardown checks) */
}

/* ==== allocation failure ==== */

/* For every possible limit below what the call needs: E_NOMEM, the tree
 * exactly as before (hash of all entries), no page kept. */
static void test_alloc_failure(void **state)
{
	struct iopt pt;
	struct iopt_hole hole = { 0x3bf01000, 0x3fe03000 };
	struct expect x = { 0, 4 * G1, &hole, 1, 0, RW };
	struct walk before, after;
	long pages, k;
	int rc;

	void *held = hal_page_alloc();		/* (limit 0 would mean "no limit") */

	host_page_limit = host_pages_in_use;	/* nothing left */
	assert_int_equal(iopt_init(&pt, 4, 3, true), E_NOMEM);
	host_page_limit = 0;
	hal_page_free(held);

	assert_int_equal(iopt_init(&pt, 4, 3, false), 0);
	assert_int_equal(iopt_map(&pt, 5 * G1, 5 * G1, 3 * K4, RW), 0);	/* shares the L3 */
	before = walk_all(&pt, NULL, NULL);
	pages = host_pages_in_use;
	for (k = 0;; k++) {
		host_page_limit = pages + k;
		rc = iopt_map_identity_except(&pt, 0, 4 * G1, &hole, 1, RW);
		if (rc == 0)
			break;
		assert_int_equal(rc, E_NOMEM);
		after = walk_all(&pt, NULL, NULL);
		ASSERT_WALK_OK(after);
		assert_int_equal(after.hash, before.hash);
		assert_int_equal(pt.table_pages, before.tables);
		assert_int_equal(host_pages_in_use, pages);
		assert_true(k < 100);
	}
	host_page_limit = 0;
	/* exactly what it needed: L2 for GiB 0, 2 edge L1s (the L3 existed) */
	assert_int_equal(k, 3);
	assert_int_equal(host_pages_in_use, pages + 3);
	iopt_unmap(&pt, 5 * G1, 3 * K4);
	iopt_reclaim(&pt);
	check_mapping(&pt, &x, 3);

	/* unmap that has to split a 1 GiB and a 2 MiB leaf needs 2 pages */
	before = walk_all(&pt, NULL, NULL);
	pages = host_pages_in_use;
	for (k = 0;; k++) {
		host_page_limit = pages + k;
		rc = iopt_unmap(&pt, 2 * G1 + 0x123000, K4);
		if (rc == 0)
			break;
		assert_int_equal(rc, E_NOMEM);
		after = walk_all(&pt, NULL, NULL);
		assert_int_equal(after.hash, before.hash);
		assert_int_equal(host_pages_in_use, pages);
		assert_true(k < 100);
	}
	host_page_limit = 0;
	assert_int_equal(k, 2);
	after = walk_all(&pt, NULL, NULL);
	ASSERT_WALK_OK(after);
	assert_int_equal(after.bytes, before.bytes - K4);
	iopt_destroy(&pt);
}

/* ==== cache flushes ==== */

static void test_cache_flushes(void **state)
{
	struct iopt pt;
	struct iopt_hole hole = { 0x3bf01000, 0x3fe03000 };
	long f;

	f = host_cache_flushes;
	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 0, 4 * G1, &hole, 1, RW), 0);
	assert_int_equal(iopt_unmap(&pt, G1 + K4, K4), 0);
	assert_int_equal(iopt_unmap(&pt, 0, 8 * G1), 0);
	iopt_destroy(&pt);
	assert_int_equal(host_cache_flushes, f);

	assert_int_equal(iopt_init(&pt, 4, 3, false), 0);
	assert_true(host_cache_flushes >= f + 1);		/* the empty root */
	f = host_cache_flushes;
	assert_int_equal(iopt_map(&pt, 0, 0, K4, RW), 0);
	/* three new tables (L3, L2, L1) and the root entry at least */
	assert_true(host_cache_flushes >= f + 4);
	f = host_cache_flushes;
	assert_int_equal(iopt_map(&pt, K4, K4, K4, RW), 0);	/* one entry in a linked table */
	assert_true(host_cache_flushes >= f + 1);
	f = host_cache_flushes;
	assert_int_equal(iopt_unmap(&pt, 0, K4), 0);
	assert_true(host_cache_flushes >= f + 1);
	f = host_cache_flushes;
	assert_int_equal(iopt_map_identity_except(&pt, G1, 4 * G1, &hole, 0, RW), 0);
	assert_true(host_cache_flushes >= f + 1);
	f = host_cache_flushes;
	assert_int_equal(iopt_unmap(&pt, 2 * G1 + 5 * K4, K4), 0);	/* split: 2 tables + entry */
	assert_true(host_cache_flushes >= f + 3);
	iopt_destroy(&pt);
}

/* ==== permissions ==== */

static void test_permissions(void **state)
{
	struct iopt pt;
	uint64_t pa, size;
	unsigned perm;
	const char *err;
	struct iopt_stats st;

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map(&pt, 0, 0, K4, 0), E_INVAL);
	assert_int_equal(iopt_map(&pt, 0, 0, K4, 4), E_INVAL);
	assert_int_equal(iopt_map(&pt, 0x800, 0, K4, RW), E_INVAL);
	assert_int_equal(iopt_map(&pt, 0, 0x800, K4, RW), E_INVAL);
	assert_int_equal(iopt_map(&pt, 0, 0, 0x800, RW), E_INVAL);
	assert_int_equal(iopt_map(&pt, 0, 0, 0, RW), 0);
	assert_int_equal(pt.table_pages, 1);

	assert_int_equal(iopt_map(&pt, 0, 0x10000000, G1, IOPT_READ), 0);	/* 2 MiB leaves */
	assert_int_equal(iopt_map(&pt, G1, G1, G1, RW), 0);			/* 1 GiB leaf */
	assert_int_equal(iopt_map(&pt, 2 * G1, 0x7000, K4, IOPT_WRITE), 0);	/* 4 KiB leaf */
	assert_int_equal(iopt_map(&pt, 2 * G1 + K4, 0x8000, K4, IOPT_READ), 0);

	assert_int_equal(hw_walk(&pt, 0x1234000, &pa, &perm, &size, &err), 1);
	assert_int_equal(perm, IOPT_READ);
	assert_int_equal(size, M2);
	assert_int_equal(pa, 0x11234000);
	assert_int_equal(hw_walk(&pt, G1 + 0x1234000, &pa, &perm, &size, &err), 1);
	assert_int_equal(perm, RW);
	assert_int_equal(size, G1);
	assert_int_equal(hw_walk(&pt, 2 * G1, &pa, &perm, &size, &err), 1);
	assert_int_equal(perm, IOPT_WRITE);
	assert_int_equal(hw_walk(&pt, 2 * G1 + K4, &pa, &perm, &size, &err), 1);
	assert_int_equal(perm, IOPT_READ);
	assert_int_equal(pa, 0x8000);

	/* iopt_translate agrees with the walker */
	for (int i = 0; i < 5000; i++) {
		uint64_t va = rnd() % (3 * G1) & ~(K4 - 1), p2 = 0, s2 = 0;
		unsigned q2 = 0;
		int m = hw_walk(&pt, va, &pa, &perm, &size, &err);
		int rc = iopt_translate(&pt, va + 0x123, &p2, &q2, &s2);

		assert_int_equal(m == 1, rc == 0);
		if (m == 1) {
			assert_int_equal(p2, pa + 0x123);
			assert_int_equal(q2, perm);
			assert_int_equal(s2, size);
		}
	}
	iopt_stats(&pt, &st);
	assert_int_equal(st.tables, pt.table_pages);
	assert_int_equal(st.leaves[0], 2);
	assert_int_equal(st.leaves[1], 512);
	assert_int_equal(st.leaves[2], 1);
	assert_int_equal(st.mapped_bytes, 2 * G1 + 2 * K4);
	assert_int_equal(st.read_only_bytes, G1 + K4);
	iopt_destroy(&pt);
}

/* iova and pa aligned differently: the smaller alignment decides. */
static void test_alignment_decides(void **state)
{
	struct iopt pt;
	struct walk w;

	assert_int_equal(iopt_init(&pt, 4, 3, true), 0);
	assert_int_equal(iopt_map(&pt, 0, 0x1000, 2 * M2, RW), 0);	/* pa 4 KiB aligned */
	w = walk_all(&pt, NULL, NULL);
	assert_int_equal(w.leaves[0], 1024);
	assert_int_equal(w.leaves[1], 0);
	assert_int_equal(iopt_map(&pt, 2 * G1, 5 * M2, G1, RW), 0);	/* pa 2 MiB aligned */
	w = walk_all(&pt, NULL, NULL);
	assert_int_equal(w.leaves[1], 512);
	assert_int_equal(w.leaves[2], 0);
	assert_int_equal(iopt_map(&pt, 4 * G1 + M2, 7 * G1 + M2, 2 * G1, RW), 0);
	w = walk_all(&pt, NULL, NULL);	/* iova and pa 2 MiB aligned: 2M up to 5G, 1G, 2M */
	assert_int_equal(w.leaves[1], 512 + 511 + 1);
	assert_int_equal(w.leaves[2], 1);
	ASSERT_WALK_OK(w);
	iopt_destroy(&pt);
}

/* ==== random operations against a per-page model ==== */

static void test_random_vs_model(void **state)
{
	const uint64_t win = 4 * G1;
	uint64_t *model = calloc(win / K4, sizeof(*model));
	struct iopt pt;
	int busy = 0, maps = 0, unmaps = 0;

	assert_non_null(model);
	assert_int_equal(iopt_init(&pt, 4, 3, rnd() & 1), 0);
	for (int op = 0; op < 300; op++) {
		static const uint64_t gran[] = { K4, M2, G1 };
		uint64_t g = gran[rnd() % 3], len, iova, pa;
		unsigned perm = 1 + rnd() % 3;
		bool over = false;

		iova = rnd() % win & ~(g - 1);
		len = (g == G1 ? G1 : g * (1 + rnd() % 600)) + (rnd() % 3 ? 0 : (rnd() % 1024) * K4);
		if (rnd() % 4 == 0)
			iova += (rnd() % 512) * K4;
		if (iova + len > win)
			len = win - iova;
		if (rnd() % 3) {		/* map */
			pa = ((rnd() % (1ULL << 40)) & ~(g - 1)) + (iova & (g - 1));
			if (rnd() % 5 == 0)
				pa = (pa & ~(G1 - 1)) | (iova & (G1 - 1));
			for (uint64_t a = iova; a < iova + len && !over; a += K4)
				over = model[a / K4] & M_MAPPED;
			int rc = iopt_map(&pt, iova, pa, len, perm);

			assert_int_equal(rc, over ? E_BUSY : 0);
			if (!over) {
				for (uint64_t a = 0; a < len; a += K4)
					model[(iova + a) / K4] = (pa + a) | perm | M_MAPPED;
				maps++;
			} else {
				busy++;
			}
		} else {			/* unmap */
			assert_int_equal(iopt_unmap(&pt, iova, len), 0);
			for (uint64_t a = 0; a < len; a += K4)
				model[(iova + a) / K4] = 0;
			unmaps++;
			if (rnd() % 2)
				iopt_reclaim(&pt);
		}
		check_model(&pt, model, win);
	}
	assert_true(busy > 10 && maps > 50 && unmaps > 50);
	iopt_destroy(&pt);
	free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walker_detects_bad_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_aligned_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_unaligned_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_no_superpages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_64g_no_superpages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_haw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_busy_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_split_1g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_frees_empty_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alignment_decides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_vs_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
