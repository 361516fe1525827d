/* VT-d second-level I/O page tables: see iopt.h for the rules.
 *
 * Every operation is a request over a set of IOVAs: a range, minus sorted
 * holes (identity maps), with pa = iova + delta. A request runs in three
 * steps so that it either completes or changes nothing:
 *   1. plan:  walk the existing tables over the request; find overlaps
 *             (map: E_BUSY) and count the table pages the write will need;
 *   2. stash: allocate exactly that many pages up front (E_NOMEM: free them,
 *             nothing was written);
 *   3. write: walk again, taking tables from the stash; cannot fail.
 */
#include "iommu/iopt.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/string.h"

#define ENTRIES		512u
#define LEVEL_SHIFT(l)	(PAGE_SHIFT + 9u * ((l) - 1u))
#define LEVEL_SIZE(l)	(1ULL << LEVEL_SHIFT(l))

/* ---- the VT-d second-level entry format (VT-d 9.8) ---- */

#define SL_R		(1ULL << 0)
#define SL_W		(1ULL << 1)
#define SL_PS		(1ULL << 7)	/* level 2/3: the entry is a 2 MiB/1 GiB leaf */
#define SL_ADDR		0x000ffffffffff000ULL	/* bits 51:12 */

static uint64_t sl_perm_bits(unsigned perm)
{
	return ((perm & IOPT_READ) ? SL_R : 0) | ((perm & IOPT_WRITE) ? SL_W : 0);
}

static uint64_t sl_leaf(paddr_t pa, unsigned level, unsigned perm)
{
	return pa | sl_perm_bits(perm) | (level > 1 ? SL_PS : 0);
}

/* Non-leaf entries carry R|W: the leaf alone decides. */
static uint64_t sl_table(paddr_t pa, unsigned level)
{
	(void)level;
	return pa | SL_R | SL_W;
}

static bool sl_present(uint64_t e)
{
	return (e & (SL_R | SL_W)) != 0;
}

static bool sl_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || (e & SL_PS);
}

static paddr_t sl_addr(uint64_t e)
{
	return e & SL_ADDR;
}

static unsigned sl_perm(uint64_t e)
{
	return ((e & SL_R) ? IOPT_READ : 0) | ((e & SL_W) ? IOPT_WRITE : 0);
}

const struct iopt_format iopt_format_vtd = {
	.name = "vtd-second-level",
	.leaf = sl_leaf,
	.table = sl_table,
	.present = sl_present,
	.is_leaf = sl_is_leaf,
	.addr = sl_addr,
	.perm = sl_perm,
};

/* ---- entries, through the table's format ---- */

static inline bool present(const struct iopt_format *f, uint64_t e)
{
	return f->present(e);
}

static inline bool is_leaf(const struct iopt_format *f, uint64_t e, unsigned level)
{
	return f->is_leaf(e, level);
}

static inline uint64_t *table_at(const struct iopt_format *f, uint64_t e)
{
	return hal_phys_to_virt(f->addr(e));
}

static inline uint64_t *root_table(const struct iopt *pt)
{
	return hal_phys_to_virt(pt->root);
}

/* One aligned 64-bit store, ordered after every earlier store (so a table
 * filled before it is complete when the unit can see it) and not split or
 * reordered by the compiler. On x86 a release store is a plain mov. */
static inline void set_entry(uint64_t *slot, uint64_t v)
{
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

/* ---- the request ---- */

struct req {
	uint64_t start, end;		/* IOVA range [start, end) */
	uint64_t delta;			/* pa = iova + delta (mod 2^64) */
	unsigned perm;			/* IOPT_READ/IOPT_WRITE of the leaves */
	const struct iopt_format *fmt;	/* the tables' entry format */
	const struct iopt_hole *holes;	/* sorted, non-overlapping, non-empty */
	unsigned n_holes;
};

enum cover { COVER_NONE, COVER_PART, COVER_FULL };

/* How much of [s, e) the request covers. */
static enum cover cover(const struct req *r, uint64_t s, uint64_t e)
{
	uint64_t a = MAX(s, r->start), b = MIN(e, r->end);
	unsigned lo = 0, hi = r->n_holes, i;

	if (a >= b)
		return COVER_NONE;
	while (lo < hi) {		/* first hole that ends after a */
		unsigned mid = lo + (hi - lo) / 2;

		if (r->holes[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a == s && b == e && (lo == r->n_holes || r->holes[lo].start >= e))
		return COVER_FULL;
	/* Skip the holes (possibly adjacent ones) that start at or before a. */
	for (i = lo; i < r->n_holes && r->holes[i].start <= a; i++)
		a = MAX(a, r->holes[i].end);
	return a < b ? COVER_PART : COVER_NONE;
}

/* Visits the entries of a level-`level` table based at `base` whose slots
 * intersect [r->start, r->end). */
#define FOR_EACH_SLOT(r, level, base, i, s)					\
	for (unsigned i = (unsigned)((MAX((base), (r)->start) - (base)) >> LEVEL_SHIFT(level)), \
	     i##_last = (unsigned)((MIN((base) + LEVEL_SIZE(level) * ENTRIES, (r)->end) - 1 - (base)) \
				   >> LEVEL_SHIFT(level));			\
	     i <= i##_last; i++)						\
		for (uint64_t s = (base) + (uint64_t)i * LEVEL_SIZE(level), s##_once = 1; \
		     s##_once; s##_once = 0)

/* A leaf of this level may map the slot at s (wholly covered by r). */
static inline bool leaf_ok(const struct iopt *pt, unsigned level, uint64_t s,
			   const struct req *r)
{
	return level <= pt->max_page_level && IS_ALIGNED(s + r->delta, LEVEL_SIZE(level));
}

static inline uint64_t leaf_entry(const struct iopt_format *f, uint64_t pa, unsigned level,
				  unsigned perm)
{
	return f->leaf(pa, level, perm);
}

/* ---- the stash: pages allocated before any write ---- */

struct stash {
	void *head;		/* linked through the pages' first word */
	uint64_t count;
};

static void push_page(void **list, void *page)
{
	/* The link is a page-aligned address: as an entry it has R=W=0, i.e.
	 * not present, so a stale hardware walk through a pending table
	 * finds nothing there. */
	set_entry(page, (uint64_t)(uintptr_t)*list);
	*list = page;
}

/* Every slot of a fresh (unlinked) table unused, in the format's way. */
static void fill_empty(const struct iopt_format *f, uint64_t *table)
{
	if (f->empty)
		for (unsigned i = 0; i < 512; i++)
			table[i] = f->empty;
}

static void *pop_page(void **list)
{
	uint64_t *page = *list;

	*list = (void *)(uintptr_t)page[0];
	page[0] = 0;
	return page;
}

static void free_list(void **list)
{
	while (*list)
		hal_page_free(pop_page(list));
}

static int stash_fill(const struct iopt *pt, struct stash *st, uint64_t n)
{
	while (st->count < n) {
		void *page = hal_page_alloc();

		if (!page)
			return E_NOMEM;
		if (hal_virt_to_phys(page) >> pt->haw) {
			/* Hypervisor memory the unit cannot address. */
			hal_page_free(page);
			return E_RANGE;
		}
		push_page(&st->head, page);
		st->count++;
	}
	return 0;
}

static uint64_t *stash_take(struct iopt *pt, struct stash *st)
{
	uint64_t *page;

	st->count--;
	pt->table_pages++;
	page = pop_page(&st->head);
	fill_empty(pt->fmt, page);
	return page;
}

static void stash_drain(struct stash *st)
{
	free_list(&st->head);
	st->count = 0;
}

/* ---- flushing ---- */

/* Entries [first, last] of a table written since the last flush. */
struct dirty {
	unsigned first, last;
	bool any;
};

static inline void mark(struct dirty *d, unsigned i)
{
	if (!d->any || i < d->first)
		d->first = i;
	if (!d->any || i > d->last)
		d->last = i;
	d->any = true;
}

static void flush_dirty(const struct iopt *pt, const uint64_t *table, const struct dirty *d)
{
	if (!pt->coherent && d->any)
		hal_cache_flush(&table[d->first], (d->last - d->first + 1) * sizeof(uint64_t));
}

/* A table filled while unlinked: write all of it back (the zeroes from
 * hal_page_alloc included) before it is linked. */
static void flush_table(const struct iopt *pt, const uint64_t *table)
{
	if (!pt->coherent)
		hal_cache_flush(table, PAGE_SIZE);
}

/* The entry at `level` pointing to the table one level down. */
static inline uint64_t table_entry(const struct iopt_format *f, const uint64_t *table,
				   unsigned level)
{
	return f->table(hal_virt_to_phys(table), level);
}

/* ---- map ---- */

/* Step 1: overlaps and table count. table may be NULL (not built yet);
 * full: the request covers this table's whole span. */
static int plan_map(const struct iopt *pt, const uint64_t *table, unsigned level,
		    uint64_t base, const struct req *r, bool full, uint64_t *need)
{
	FOR_EACH_SLOT(r, level, base, i, s) {
		enum cover c = full ? COVER_FULL : cover(r, s, s + LEVEL_SIZE(level));
		uint64_t e = table ? table[i] : 0;
		int rc;

		if (c == COVER_NONE)
			continue;
		if (present(r->fmt, e)) {
			if (is_leaf(r->fmt, e, level))
				return E_BUSY;
			rc = plan_map(pt, table_at(r->fmt, e), level - 1, s, r, c == COVER_FULL, need);
			if (rc)
				return rc;
		} else if (c != COVER_FULL || !leaf_ok(pt, level, s, r)) {
			(*need)++;
			/* A new level-1 table needs nothing below it. */
			if (level > 2)
				plan_map(pt, NULL, level - 1, s, r, c == COVER_FULL, need);
		}
	}
	return 0;
}

/* Step 3. linked: the unit can see this table (flush what is written). */
static void fill_map(struct iopt *pt, uint64_t *table, unsigned level, uint64_t base,
		     const struct req *r, bool full, bool linked, struct stash *st)
{
	struct dirty d = { 0, 0, false };

	if (full && level == 1) {
		/* Fast path (most of a 4 KiB-only map): no coverage checks. */
		FOR_EACH_SLOT(r, level, base, i, s) {
			set_entry(&table[i], leaf_entry(r->fmt, s + r->delta, 1, r->perm));
			mark(&d, i);
		}
		if (linked)
			flush_dirty(pt, table, &d);
		return;
	}
	FOR_EACH_SLOT(r, level, base, i, s) {
		enum cover c = full ? COVER_FULL : cover(r, s, s + LEVEL_SIZE(level));
		uint64_t e = table[i];
		uint64_t *child;

		if (c == COVER_NONE)
			continue;
		if (present(r->fmt, e)) {
			/* A table (plan_map found no leaf in the way). */
			if (!is_leaf(r->fmt, e, level))
				fill_map(pt, table_at(r->fmt, e), level - 1, s, r, c == COVER_FULL, true, st);
			continue;
		}
		if (c == COVER_FULL && leaf_ok(pt, level, s, r)) {
			e = leaf_entry(r->fmt, s + r->delta, level, r->perm);
		} else {
			child = stash_take(pt, st);
			fill_map(pt, child, level - 1, s, r, c == COVER_FULL, false, st);
			flush_table(pt, child);
			e = table_entry(r->fmt, child, level);
		}
		set_entry(&table[i], e);
		mark(&d, i);
	}
	if (linked)
		flush_dirty(pt, table, &d);
}

static int run_map(struct iopt *pt, const struct req *r)
{
	struct stash st = { NULL, 0 };
	uint64_t need = 0;
	int rc;

	rc = plan_map(pt, root_table(pt), pt->levels, 0, r, false, &need);
	if (rc)
		return rc;
	rc = stash_fill(pt, &st, need);
	if (rc) {
		stash_drain(&st);
		return rc;
	}
	fill_map(pt, root_table(pt), pt->levels, 0, r, false, true, &st);
	stash_drain(&st);	/* empty when the plan was exact */
	return 0;
}

/* ---- unmap ---- */

/* Tables needed to split the level-`level` leaf at s, which r covers in
 * part: one table of 512 smaller leaves, plus splits of those of them that
 * r covers in part (only where the range starts or ends). */
static uint64_t split_need(unsigned level, uint64_t s, const struct req *r)
{
	uint64_t n = 1;

	if (level - 1 >= 2) {
		struct req in = *r;

		in.start = MAX(r->start, s);
		in.end = MIN(r->end, s + LEVEL_SIZE(level));
		FOR_EACH_SLOT(&in, level - 1, s, i, cs) {
			(void)i;
			if (cover(r, cs, cs + LEVEL_SIZE(level - 1)) == COVER_PART)
				n += split_need(level - 1, cs, r);
		}
	}
	return n;
}

static void plan_unmap(const uint64_t *table, unsigned level, uint64_t base,
		       const struct req *r, uint64_t *need)
{
	FOR_EACH_SLOT(r, level, base, i, s) {
		uint64_t e = table[i];

		if (!present(r->fmt, e) || cover(r, s, s + LEVEL_SIZE(level)) == COVER_FULL)
			continue;
		if (is_leaf(r->fmt, e, level))
			*need += split_need(level, s, r);
		else
			plan_unmap(table_at(r->fmt, e), level - 1, s, r, need);
	}
}

/* Moves the table and every table below it to the pending list. */
static void release_tree(struct iopt *pt, uint64_t *table, unsigned level)
{
	if (level > 1) {
		for (unsigned i = 0; i < ENTRIES; i++) {
			uint64_t e = table[i];

			if (present(pt->fmt, e) && !is_leaf(pt->fmt, e, level))
				release_tree(pt, table_at(pt->fmt, e), level - 1);
		}
	}
	push_page(&pt->pending, table);
	pt->table_pages--;
	pt->pending_pages++;
}

static bool table_empty(const struct iopt_format *f, const uint64_t *table)
{
	for (unsigned i = 0; i < ENTRIES; i++)
		if (present(f, table[i]))
			return false;
	return true;
}

/* Step 3 of unmap. Returns true when the table is left empty. */
static bool fill_unmap(struct iopt *pt, uint64_t *table, unsigned level, uint64_t base,
		       const struct req *r, bool linked, struct stash *st)
{
	struct dirty d = { 0, 0, false };
	bool cleared = false;

	FOR_EACH_SLOT(r, level, base, i, s) {
		uint64_t e = table[i];
		enum cover c;
		uint64_t *child;

		if (!present(r->fmt, e))
			continue;
		c = cover(r, s, s + LEVEL_SIZE(level));
		if (c == COVER_FULL) {
			set_entry(&table[i], r->fmt->empty);
			mark(&d, i);
			cleared = true;
			if (!is_leaf(r->fmt, e, level))
				release_tree(pt, table_at(r->fmt, e), level - 1);
		} else if (is_leaf(r->fmt, e, level)) {
			/* A superpage partly unmapped: replace it by a table of
			 * the same mapping one level down, minus the range. */
			uint64_t pa = r->fmt->addr(e);
			unsigned perm = r->fmt->perm(e);
			uint64_t csize = LEVEL_SIZE(level - 1);

			child = stash_take(pt, st);
			for (unsigned j = 0; j < ENTRIES; j++)
				child[j] = leaf_entry(r->fmt, pa + j * csize, level - 1, perm);
			fill_unmap(pt, child, level - 1, s, r, false, st);
			flush_table(pt, child);
			set_entry(&table[i], table_entry(r->fmt, child, level));
			mark(&d, i);
		} else {
			child = table_at(r->fmt, e);
			if (fill_unmap(pt, child, level - 1, s, r, linked, st)) {
				set_entry(&table[i], r->fmt->empty);
				mark(&d, i);
				cleared = true;
				release_tree(pt, child, level - 1);
			}
		}
	}
	if (linked)
		flush_dirty(pt, table, &d);
	return cleared && table_empty(pt->fmt, table);
}

/* ---- public ---- */

int iopt_init(struct iopt *pt, unsigned levels, unsigned max_page_level, bool coherent)
{
	return iopt_init_format(pt, &iopt_format_vtd, levels, max_page_level, coherent);
}

int iopt_init_format(struct iopt *pt, const struct iopt_format *fmt, unsigned levels,
		     unsigned max_page_level, bool coherent)
{
	void *root;

	if (!pt)
		return E_INVAL;
	memset(pt, 0, sizeof(*pt));
	if (!fmt || levels < 3 || levels > 5 || max_page_level < 1 || max_page_level > 3)
		return E_INVAL;
	pt->fmt = fmt;
	root = hal_page_alloc();
	if (!root)
		return E_NOMEM;
	pt->levels = levels;
	pt->max_page_level = max_page_level;
	pt->coherent = coherent;
	pt->haw = IOPT_MAX_HAW;
	fill_empty(fmt, root);
	pt->root = hal_virt_to_phys(root);
	pt->table_pages = 1;
	flush_table(pt, root);
	return 0;
}

static bool usable(const struct iopt *pt)
{
	return pt && pt->fmt && pt->root && pt->levels >= 3 && pt->levels <= 5 &&
	       pt->haw >= 12 && pt->haw <= IOPT_MAX_HAW;
}

static bool perm_ok(unsigned perm)
{
	return perm && !(perm & ~(IOPT_READ | IOPT_WRITE));
}

/* [a, a+len) within [0, limit)? (len > 0) */
static bool within(uint64_t a, uint64_t len, uint64_t limit)
{
	return a < limit && len <= limit - a;
}

int iopt_map(struct iopt *pt, uint64_t iova, paddr_t pa, uint64_t len, unsigned perm)
{
	struct req r;

	if (!usable(pt) || !perm_ok(perm) || !IS_ALIGNED(iova | pa | len, PAGE_SIZE))
		return E_INVAL;
	if (!len)
		return 0;
	if (!within(iova, len, 1ULL << iopt_addr_bits(pt)) || !within(pa, len, 1ULL << pt->haw))
		return E_RANGE;
	r = (struct req){ .start = iova, .end = iova + len, .delta = pa - iova,
			  .perm = perm, .fmt = pt->fmt };
	return run_map(pt, &r);
}

int iopt_map_identity_except(struct iopt *pt, uint64_t start, uint64_t end,
			     const struct iopt_hole *holes, unsigned n_holes, unsigned perm)
{
	struct req r;

	if (!usable(pt) || !perm_ok(perm) || !IS_ALIGNED(start | end, PAGE_SIZE) || start > end ||
	    (n_holes && !holes))
		return E_INVAL;
	for (unsigned i = 0; i < n_holes; i++) {
		if (!IS_ALIGNED(holes[i].start | holes[i].end, PAGE_SIZE) ||
		    holes[i].start >= holes[i].end ||
		    (i && holes[i].start < holes[i - 1].end))
			return E_INVAL;
	}
	if (start == end)
		return 0;
	if (!within(start, end - start, 1ULL << iopt_addr_bits(pt)) ||
	    !within(start, end - start, 1ULL << pt->haw))
		return E_RANGE;
	r = (struct req){ .start = start, .end = end, .delta = 0, .perm = perm, .fmt = pt->fmt,
			  .holes = holes, .n_holes = n_holes };
	return run_map(pt, &r);
}

int iopt_unmap(struct iopt *pt, uint64_t iova, uint64_t len)
{
	struct stash st = { NULL, 0 };
	uint64_t need = 0;
	struct req r;
	int rc;

	if (!usable(pt) || !IS_ALIGNED(iova | len, PAGE_SIZE))
		return E_INVAL;
	if (!len)
		return 0;
	if (!within(iova, len, 1ULL << iopt_addr_bits(pt)))
		return E_RANGE;
	r = (struct req){ .start = iova, .end = iova + len, .fmt = pt->fmt };
	plan_unmap(root_table(pt), pt->levels, 0, &r, &need);
	rc = stash_fill(pt, &st, need);
	if (rc) {
		stash_drain(&st);
		return rc;
	}
	fill_unmap(pt, root_table(pt), pt->levels, 0, &r, true, &st);	/* the root stays */
	stash_drain(&st);
	return 0;
}

void iopt_reclaim(struct iopt *pt)
{
	if (!pt)
		return;
	free_list(&pt->pending);
	pt->pending_pages = 0;
}

int iopt_translate(const struct iopt *pt, uint64_t iova, paddr_t *pa, unsigned *perm,
		   uint64_t *page_size)
{
	const struct iopt_format *f = pt->fmt;
	const uint64_t *table;
	unsigned p = IOPT_READ | IOPT_WRITE;

	if (!usable(pt) || iova >= (1ULL << iopt_addr_bits(pt)))
		return E_NOENT;
	table = root_table(pt);
	for (unsigned level = pt->levels; level >= 1; level--) {
		uint64_t e = table[(iova >> LEVEL_SHIFT(level)) & (ENTRIES - 1)];

		if (!present(f, e))
			return E_NOENT;
		p &= f->perm(e);
		if (is_leaf(f, e, level)) {
			uint64_t size = LEVEL_SIZE(level);

			if (pa)
				*pa = (f->addr(e) & ~(size - 1)) | (iova & (size - 1));
			if (perm)
				*perm = p;
			if (page_size)
				*page_size = size;
			return p ? 0 : E_NOENT;
		}
		table = table_at(f, e);
	}
	return E_NOENT;
}

void iopt_destroy(struct iopt *pt)
{
	if (!pt)
		return;
	if (pt->root && pt->levels >= 3 && pt->levels <= 5)
		release_tree(pt, root_table(pt), pt->levels);
	iopt_reclaim(pt);
	pt->root = 0;
	pt->table_pages = 0;
}

static void stats_walk(const struct iopt_format *f, const uint64_t *table, unsigned level,
		       struct iopt_stats *st)
{
	st->tables++;
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = table[i];

		if (!present(f, e))
			continue;
		if (is_leaf(f, e, level)) {
			st->leaves[level - 1]++;
			st->mapped_bytes += LEVEL_SIZE(level);
			if (!(f->perm(e) & IOPT_WRITE))
				st->read_only_bytes += LEVEL_SIZE(level);
		} else {
			stats_walk(f, table_at(f, e), level - 1, st);
		}
	}
}

void iopt_stats(const struct iopt *pt, struct iopt_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (usable(pt))
		stats_walk(pt->fmt, root_table(pt), pt->levels, st);
}
