/* Physical page allocator. See palloc.h.
 *
 * State: two static bitmaps of PALLOC_MAX_PAGES bits (32 KiB each):
 *   used      page is allocated or reserved (bits past the pool's end are
 *             set once at init, as a second guard behind the scans' own
 *             bound of pool_pages);
 *   reserved  page was taken by palloc_reserve; it is never handed out and
 *             palloc_free refuses it (a stray free of the hypervisor image
 *             would otherwise hand its code out, zeroed, to the next caller).
 * A second bitmap rather than a list of reserved ranges keeps reserve
 * unlimited and the checks word-at-a-time.
 *
 * Search: `hint` is a lower bound on the lowest free page (every page below
 * it is in use). Single pages are taken from the hint forward, scanning the
 * bitmap 64 pages per word with ctz, and the hint moves past them; a free
 * below the hint lowers it. So single-page allocation is first-fit at
 * amortised O(1) cost (the words below the hint are full and never looked
 * at again), and first-fit keeps the pool's low end dense, which leaves long
 * free runs at the top for the rare contiguous requests. Those (n > 1 or
 * alignment > 4 KiB) are first-fit too: try each suitably aligned start
 * from the hint up; on a used page inside the candidate run, skip the whole
 * used stretch word-at-a-time and re-align after it.
 *
 * Every allocation is zeroed through hal_phys_to_virt. */
#include "platform/palloc.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"

typedef unsigned long long ull;

#define WORDS (PALLOC_MAX_PAGES / 64)

static uint64_t used[WORDS];
static uint64_t reserved[WORDS];
static paddr_t pool_base;
static uint64_t pool_pages;	/* 0: no pool */
static uint64_t free_count;
static uint64_t hint;		/* every page below is in use */
/* The bitmaps, the hint and the free count, from any CPU (docs/smp.md):
 * taken by reserve, alloc and free; a leaf lock (nothing is called with it
 * held but memset and the log). */
static struct spinlock pool_lock = SPINLOCK_INIT;

static uint64_t word_mask(uint64_t lo, uint64_t n)
{
	uint64_t m = n >= 64 ? ~0ull : (1ull << n) - 1;

	return m << lo;
}

/* Calls over [i, end) one word at a time: word index, mask of the bits. */
#define FOR_EACH_WORD(i, end, w, mask)					\
	for (uint64_t _p = (i), w, mask;				\
	     _p < (end) && ((w = _p / 64), (mask = word_mask(_p % 64,	\
		MIN(64 - _p % 64, (end) - _p))), true);			\
	     _p = (w + 1) * 64)

/* First index in [i, end) whose bit in bm equals want, or end. */
static uint64_t find_bit(const uint64_t *bm, uint64_t i, uint64_t end, bool want)
{
	while (i < end) {
		uint64_t w = i / 64;
		uint64_t bits = (want ? bm[w] : ~bm[w]) & (~0ull << (i % 64));

		if (bits) {
			uint64_t idx = w * 64 + (uint64_t)__builtin_ctzll(bits);

			return MIN(idx, end);
		}
		i = (w + 1) * 64;
	}
	return end;
}

static void set_bits(uint64_t *bm, uint64_t i, uint64_t end)
{
	FOR_EACH_WORD(i, end, w, mask)
		bm[w] |= mask;
}

static void clear_bits(uint64_t *bm, uint64_t i, uint64_t end)
{
	FOR_EACH_WORD(i, end, w, mask)
		bm[w] &= ~mask;
}

/* No __builtin_popcountll: without -mpopcnt it calls libgcc. */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

int palloc_init(paddr_t base, uint64_t size)
{
	if (!IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    size == 0 || base + size < base) {
		log_error("palloc: bad pool base=0x%016llx size=0x%llx",
			  (ull)base, (ull)size);
		return E_INVAL;
	}
	if (size > PALLOC_MAX_BYTES) {
		log_error("palloc: pool size=0x%llx exceeds the maximum 0x%llx",
			  (ull)size, (ull)PALLOC_MAX_BYTES);
		return E_RANGE;
	}
	memset(used, 0, sizeof(used));
	memset(reserved, 0, sizeof(reserved));
	pool_base = base;
	pool_pages = size / PAGE_SIZE;
	free_count = pool_pages;
	hint = 0;
	/* Bits past the end of the pool (in its last word) read as used. */
	if (pool_pages % 64)
		used[pool_pages / 64] |= ~word_mask(0, pool_pages % 64);
	log_info("palloc pool base=0x%016llx end=0x%016llx pages=%llu",
		 (ull)base, (ull)(base + size), (ull)pool_pages);
	return 0;
}

bool palloc_contains(paddr_t pa)
{
	return pool_pages && pa >= pool_base &&
	       (pa - pool_base) / PAGE_SIZE < pool_pages;
}

static int reserve_locked(paddr_t base, uint64_t size)
{
	paddr_t lo, hi;
	uint64_t first, end, newly = 0;

	if (size == 0)
		return 0;
	lo = ALIGN_DOWN(base, PAGE_SIZE);
	hi = base + size;
	if (hi < base || !pool_pages || lo < pool_base ||
	    ALIGN_UP(hi, PAGE_SIZE) < hi ||
	    (ALIGN_UP(hi, PAGE_SIZE) - pool_base) / PAGE_SIZE > pool_pages) {
		log_error("palloc: reserve base=0x%016llx size=0x%llx outside the pool",
			  (ull)base, (ull)size);
		return E_RANGE;
	}
	hi = ALIGN_UP(hi, PAGE_SIZE);
	first = (lo - pool_base) / PAGE_SIZE;
	end = (hi - pool_base) / PAGE_SIZE;

	FOR_EACH_WORD(first, end, w, mask) {
		if (used[w] & ~reserved[w] & mask) {
			log_error("palloc: reserve base=0x%016llx size=0x%llx overlaps allocated pages",
				  (ull)base, (ull)size);
			return E_BUSY;
		}
		newly += popcount64(~used[w] & mask);
	}
	set_bits(used, first, end);
	set_bits(reserved, first, end);
	free_count -= newly;
	return 0;
}

static int alloc_locked(unsigned n, uint64_t align, paddr_t *out)
{
	uint64_t step, base_pfn, i;

	if (n == 0 || (align & (align - 1)) || !out)
		return E_INVAL;
	if (!pool_pages || n > free_count)
		return E_NOMEM;
	step = align <= PAGE_SIZE ? 1 : align / PAGE_SIZE;
	base_pfn = pool_base / PAGE_SIZE;

	if (n == 1 && step == 1) {
		i = find_bit(used, hint, pool_pages, false);
		if (i >= pool_pages)
			return E_NOMEM;
	} else {
		/* Pool indices whose address is aligned: (base_pfn + i) % step == 0.
		 * pfns are < 2^52 and step <= 2^51, so this cannot wrap. */
		i = ALIGN_UP(base_pfn + hint, step) - base_pfn;
		for (;;) {
			uint64_t busy;

			if (i >= pool_pages || pool_pages - i < n)
				return E_NOMEM;
			busy = find_bit(used, i, i + n, true);
			if (busy == i + n)
				break;
			busy = find_bit(used, busy, pool_pages, false);
			i = ALIGN_UP(base_pfn + busy, step) - base_pfn;
		}
	}

	set_bits(used, i, i + n);
	free_count -= n;
	if (i == hint)
		hint = i + n;
	*out = pool_base + i * PAGE_SIZE;
	memset(hal_phys_to_virt(*out), 0, (size_t)n * PAGE_SIZE);
	return 0;
}

static void free_locked(paddr_t pa, unsigned n)
{
	uint64_t first, end, bad;

	if (n == 0 || !IS_ALIGNED(pa, PAGE_SIZE) || !palloc_contains(pa) ||
	    n > pool_pages - (pa - pool_base) / PAGE_SIZE) {
		log_error("palloc: free pa=0x%016llx n=%u outside the pool or unaligned (ignored)",
			  (ull)pa, n);
		return;
	}
	first = (pa - pool_base) / PAGE_SIZE;
	end = first + n;
	bad = find_bit(reserved, first, end, true);
	if (bad < end) {
		log_error("palloc: free pa=0x%016llx n=%u: page 0x%016llx is reserved (ignored)",
			  (ull)pa, n, (ull)(pool_base + bad * PAGE_SIZE));
		return;
	}
	bad = find_bit(used, first, end, false);
	if (bad < end) {
		log_error("palloc: free pa=0x%016llx n=%u: page 0x%016llx is not allocated (double free? ignored)",
			  (ull)pa, n, (ull)(pool_base + bad * PAGE_SIZE));
		return;
	}
	clear_bits(used, first, end);
	free_count += n;
	if (first < hint)
		hint = first;
}

int palloc_reserve(paddr_t base, uint64_t size)
{
	int rc;

	spin_lock(&pool_lock);
	rc = reserve_locked(base, size);
	spin_unlock(&pool_lock);
	return rc;
}

int palloc_alloc(unsigned n, uint64_t align, paddr_t *out)
{
	int rc;

	spin_lock(&pool_lock);
	rc = alloc_locked(n, align, out);
	spin_unlock(&pool_lock);
	return rc;
}

void palloc_free(paddr_t pa, unsigned n)
{
	spin_lock(&pool_lock);
	free_locked(pa, n);
	spin_unlock(&pool_lock);
}

bool palloc_page_in_use(paddr_t pa)
{
	uint64_t i;

	if (!palloc_contains(pa))
		return false;
	i = (pa - pool_base) / PAGE_SIZE;
	return (used[i / 64] >> (i % 64)) & 1;
}

uint64_t palloc_free_pages(void) { return free_count; }
uint64_t palloc_total_pages(void) { return pool_pages; }
paddr_t palloc_base(void) { return pool_base; }
uint64_t palloc_size(void) { return pool_pages * PAGE_SIZE; }
