/* The physical memory map. See memmap.h.
 *
 * Normalisation is a sweep over elementary intervals: every range endpoint
 * (of the stored ranges plus at most one extra range) is a boundary; for
 * each interval between consecutive boundaries the winning type is the
 * most restrictive one covering it (or the extra range's type, when it is
 * an override from memmap_set). Consecutive intervals of one type that
 * touch are merged. With n <= MEMMAP_MAX + 1 inputs there are at most
 * 2n - 1 output ranges, so the result goes to a static scratch array and is
 * copied back once it fits; O(n^2) with n <= 129 is nothing at boot.
 *
 * When the result does not fit in MEMMAP_MAX entries, information is
 * dropped in the order that loses the least safety:
 *   1. usable ranges, smallest first (memory that is not in the map is not
 *      used by anyone, so losing a usable range only wastes RAM);
 *   2. then the two neighbouring non-usable ranges with the smallest gap
 *      are merged into one of the more restrictive type (preferring ranges
 *      of one type, and never involving a hypervisor range while another
 *      pair exists); after step 1 the gap between them is not usable, so
 *      nothing usable is created and nothing restrictive is lost.
 * Each step logs a warning and sets m->truncated. */
#include "platform/memmap.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string.h"

typedef unsigned long long ull;

/* Most restrictive wins. Unknown values rank as reserved. */
static int type_rank(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE: return 0;
	case MEM_ACPI_RECLAIM: return 1;
	case MEM_ACPI_NVS: return 2;
	case MEM_RESERVED: return 3;
	case MEM_BAD: return 4;
	case MEM_HYPERVISOR: return 5;
	}
	return 3;
}

static bool type_valid(uint32_t t)
{
	return (t >= MEM_USABLE && t <= MEM_BAD) || t == MEM_HYPERVISOR;
}

const char *memmap_type_name(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE: return "usable";
	case MEM_RESERVED: return "reserved";
	case MEM_ACPI_RECLAIM: return "acpi-reclaim";
	case MEM_ACPI_NVS: return "acpi-nvs";
	case MEM_BAD: return "bad";
	case MEM_HYPERVISOR: return "hypervisor";
	}
	return "unknown";
}

void memmap_init(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
}

/* Scratch space for normalize(): boundaries and the result before it is
 * known to fit. Boot-time, single CPU (see memmap.h). */
#define SCRATCH_MAX (2 * (MEMMAP_MAX + 1))
static paddr_t pts[SCRATCH_MAX];
static struct mem_range out[SCRATCH_MAX];

static void sort_points(paddr_t *p, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		paddr_t v = p[i];
		unsigned j = i;

		while (j > 0 && p[j - 1] > v) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = v;
	}
}

static void remove_at(struct mem_range *r, unsigned *n, unsigned i)
{
	memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(*r));
	(*n)--;
}

/* Merge touching neighbours of one type. */
static void coalesce(struct mem_range *r, unsigned *n)
{
	unsigned i = 0;

	while (i + 1 < *n) {
		if (r[i].end == r[i + 1].base && r[i].type == r[i + 1].type) {
			r[i].end = r[i + 1].end;
			remove_at(r, n, i + 1);
		} else {
			i++;
		}
	}
}

/* Shrink the sorted, disjoint list r[0..*n) to at most MEMMAP_MAX entries
 * (see the comment at the top). Returns true if anything was lost. */
static bool reduce(struct mem_range *r, unsigned *n)
{
	bool lost = false;

	while (*n > MEMMAP_MAX) {
		unsigned best = *n;

		for (unsigned i = 0; i < *n; i++)
			if (r[i].type == MEM_USABLE &&
			    (best == *n || r[i].end - r[i].base < r[best].end - r[best].base))
				best = i;
		if (best == *n)
			break;
		log_warn("memmap full: dropped usable range base=0x%016llx end=0x%016llx",
			 (ull)r[best].base, (ull)r[best].end);
		remove_at(r, n, best);
		lost = true;
	}
	while (*n > MEMMAP_MAX) {
		/* Cost: hypervisor involved, then different types, then gap. */
		unsigned best = 0;
		uint64_t best_cost[3] = { ~0ull, ~0ull, ~0ull };

		for (unsigned i = 0; i + 1 < *n; i++) {
			uint64_t c[3] = {
				r[i].type == MEM_HYPERVISOR || r[i + 1].type == MEM_HYPERVISOR,
				r[i].type != r[i + 1].type,
				r[i + 1].base - r[i].end,
			};
			if (c[0] < best_cost[0] ||
			    (c[0] == best_cost[0] && (c[1] < best_cost[1] ||
			     (c[1] == best_cost[1] && c[2] < best_cost[2])))) {
				memcpy(best_cost, c, sizeof(c));
				best = i;
			}
		}
		if (type_rank(r[best + 1].type) > type_rank(r[best].type))
			r[best].type = r[best + 1].type;
		log_warn("memmap full: merged base=0x%016llx end=0x%016llx into type=%s",
			 (ull)r[best].base, (ull)r[best + 1].end,
			 memmap_type_name(r[best].type));
		r[best].end = r[best + 1].end;
		remove_at(r, n, best + 1);
		coalesce(r, n);
		lost = true;
	}
	return lost;
}

/* Rebuild m from its ranges plus *extra (if not NULL). override: extra's
 * type replaces whatever it covers instead of competing by rank. trim:
 * round usable ranges to whole pages. */
static void normalize(struct memmap *m, const struct mem_range *extra,
		      bool override, bool trim)
{
	unsigned np = 0, no = 0;

	for (unsigned i = 0; i < m->n; i++) {
		if (m->r[i].end <= m->r[i].base)
			continue;
		pts[np++] = m->r[i].base;
		pts[np++] = m->r[i].end;
	}
	if (extra && extra->end > extra->base) {
		pts[np++] = extra->base;
		pts[np++] = extra->end;
	}
	sort_points(pts, np);

	for (unsigned k = 0; k + 1 < np; k++) {
		paddr_t a = pts[k], b = pts[k + 1];
		int rank = -1;
		enum mem_type t = MEM_RESERVED;

		if (a == b)
			continue;
		if (extra && override && extra->base <= a && b <= extra->end) {
			t = extra->type;
			rank = 0;
		} else {
			for (unsigned i = 0; i <= m->n; i++) {
				const struct mem_range *r = i < m->n ? &m->r[i] : extra;

				if (!r || r->base > a || r->end < b || r->end <= r->base)
					continue;
				if (type_rank(r->type) > rank) {
					rank = type_rank(r->type);
					t = r->type;
				}
			}
		}
		if (rank < 0)
			continue;
		if (no > 0 && out[no - 1].end == a && out[no - 1].type == t) {
			out[no - 1].end = b;
		} else {
			out[no].base = a;
			out[no].end = b;
			out[no].type = t;
			no++;
		}
	}

	if (trim) {
		unsigned i = 0;

		while (i < no) {
			if (out[i].type == MEM_USABLE) {
				paddr_t lo = ALIGN_UP(out[i].base, PAGE_SIZE);
				paddr_t hi = ALIGN_DOWN(out[i].end, PAGE_SIZE);

				/* ALIGN_UP wraps to 0 at the very top. */
				if (lo < out[i].base || lo >= hi) {
					remove_at(out, &no, i);
					continue;
				}
				out[i].base = lo;
				out[i].end = hi;
			}
			i++;
		}
	}

	if (reduce(out, &no))
		m->truncated = true;
	memcpy(m->r, out, no * sizeof(out[0]));
	m->n = no;
}

int memmap_add(struct memmap *m, paddr_t base, uint64_t len, uint32_t type)
{
	struct mem_range r;

	if (!m)
		return E_INVAL;
	if (len == 0)
		return 0;
	r.base = base;
	r.end = base + len < base ? UINT64_MAX : base + len;
	r.type = type_valid(type) ? (enum mem_type)type : MEM_RESERVED;
	if (r.end <= r.base)
		return 0;	/* base == UINT64_MAX: nothing representable */
	if (m->n < MEMMAP_MAX) {
		m->r[m->n++] = r;
		return 0;
	}
	normalize(m, &r, false, false);
	return 0;
}

void memmap_sanitize(struct memmap *m)
{
	normalize(m, NULL, false, true);
}

int memmap_set(struct memmap *m, paddr_t base, paddr_t end, enum mem_type type)
{
	struct mem_range r = { base, end, type };

	if (!m || end < base || !type_valid(type))
		return E_INVAL;
	normalize(m, &r, true, true);
	return 0;
}

static bool overlaps(paddr_t a, paddr_t b, const struct mem_range *e)
{
	return e->end > e->base && a < e->end && e->base < b;
}

int memmap_find_top(const struct memmap *m, uint64_t size, uint64_t align,
		    paddr_t limit, const struct mem_range *excl, unsigned n_excl,
		    paddr_t *out_base)
{
	bool found = false;
	paddr_t best = 0;

	if (align == 0)
		align = 1;
	if (!m || !out_base || size == 0 || (align & (align - 1)))
		return E_INVAL;

	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_range *r = &m->r[i];
		paddr_t hi = MIN(r->end, limit);

		if (r->type != MEM_USABLE)
			continue;
		/* Each pass either fits or lowers hi to an exclusion's base, so
		 * this ends after at most n_excl + 1 passes. */
		for (;;) {
			paddr_t b;
			unsigned j;

			if (hi < r->base || hi - r->base < size)
				break;
			b = ALIGN_DOWN(hi - size, align);
			if (b < r->base)
				break;
			for (j = 0; j < n_excl; j++)
				if (overlaps(b, b + size, &excl[j]))
					break;
			if (j == n_excl) {
				if (!found || b > best)
					best = b;
				found = true;
				break;
			}
			hi = excl[j].base;
		}
	}
	if (!found)
		return E_NOMEM;
	*out_base = best;
	return 0;
}

uint64_t memmap_total(const struct memmap *m, enum mem_type type)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].type == type)
			sum += m->r[i].end - m->r[i].base;
	return sum;
}

paddr_t memmap_top(const struct memmap *m)
{
	paddr_t top = 0;

	for (unsigned i = 0; i < m->n; i++)
		top = MAX(top, m->r[i].end);
	return top;
}

enum mem_type memmap_type_of(const struct memmap *m, paddr_t base, paddr_t end)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].base <= base && end <= m->r[i].end && base < end)
			return m->r[i].type;
	return (enum mem_type)0;
}

void memmap_log(const struct memmap *m)
{
	for (unsigned i = 0; i < m->n; i++)
		log_info("memmap base=0x%016llx end=0x%016llx size=0x%llx type=%s",
			 (ull)m->r[i].base, (ull)m->r[i].end,
			 (ull)(m->r[i].end - m->r[i].base),
			 memmap_type_name(m->r[i].type));
}
