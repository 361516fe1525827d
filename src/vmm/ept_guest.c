/* The guest's EPT from the registry (see ept_guest.h). */
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "vmm/ept_guest.h"
#include "vmm/mmio_emul.h"

#define MAX_BOUNDS (2 * PROTECT_MAX_RANGES + 2 * MEMMAP_MAX + 2)
#define HOLE 0ULL

bool ept_guest_shapes(const struct protected_range *r)
{
	return r->space == PROTECT_SPACE_MEM && (r->mmio || (r->forbids & PROTECT_CPU));
}

unsigned ept_guest_allowed(const struct protected_range *r)
{
	/* Emulated ranges always forbid writes: they would reach the device
	 * unchecked. */
	unsigned f = r->forbids | (r->mmio ? PROTECT_CPU_WRITE : 0);

	/* An emulator that traps reads of some of its pages (the ECAM window:
	 * functions whose MSI shoji virtualises) gets every read here: the
	 * EPT runs are not split per page yet (the NPT's are, npt.c). */
	if ((f & PROTECT_CPU_READ) || (r->mmio && r->mmio->reads_trapped))
		return 0;
	return PROTECT_CPU & ~f;
}

static const struct protected_range *shaping_range_at(paddr_t a)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (ept_guest_shapes(r) && a >= r->start && a < r->end)
			return r;
	}
	return NULL;
}

static bool is_ram(enum mem_type t)
{
	return t == MEM_USABLE || t == MEM_ACPI_RECLAIM || t == MEM_ACPI_NVS ||
	       t == MEM_HYPERVISOR;
}

/* The RAM entry of m holding all of page [a, a + 4 KiB), if any. */
static bool page_is_ram(const struct memmap *m, paddr_t a)
{
	for (unsigned i = 0; i < m->n; i++)
		if (is_ram(m->r[i].type) && m->r[i].base <= a && a + EPT_PAGE_4K <= m->r[i].end)
			return true;
	return false;
}

static uint64_t perms_of(unsigned allowed)
{
	if (!(allowed & PROTECT_CPU_READ))
		return HOLE;
	return EPT_R | ((allowed & PROTECT_CPU_WRITE) ? EPT_W : 0) |
	       ((allowed & PROTECT_CPU_EXEC) ? EPT_X : 0);
}

/* The EPT permissions of page a (HOLE for none). */
static uint64_t page_perms(paddr_t a)
{
	const struct protected_range *r = shaping_range_at(a);

	return r ? perms_of(ept_guest_allowed(r)) : (EPT_R | EPT_W | EPT_X);
}

static void add_bound(uint64_t *b, unsigned *n, uint64_t v, uint64_t top)
{
	v = MIN(v, top);
	for (unsigned i = 0; i < *n; i++)
		if (b[i] == v)
			return;
	if (*n < MAX_BOUNDS)
		b[(*n)++] = v;
}

static void sort(uint64_t *b, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && b[j - 1] > b[j]; j--) {
			uint64_t t = b[j];

			b[j] = b[j - 1];
			b[j - 1] = t;
		}
}

/* Every address where the permissions or the memory type may change: the
 * shaping ranges' ends, the RAM entries' ends rounded inwards to pages. */
static unsigned bounds(const struct memmap *m, uint64_t top, uint64_t *b)
{
	unsigned n = 0;

	add_bound(b, &n, 0, top);
	add_bound(b, &n, top, top);
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (ept_guest_shapes(r)) {
			add_bound(b, &n, r->start, top);
			add_bound(b, &n, r->end, top);
		}
	}
	for (unsigned i = 0; i < m->n; i++) {
		if (!is_ram(m->r[i].type))
			continue;
		add_bound(b, &n, ALIGN_UP(m->r[i].base, EPT_PAGE_4K), top);
		add_bound(b, &n, m->r[i].end & ~(EPT_PAGE_4K - 1), top);
	}
	sort(b, n);
	return n;
}

static int map_run(struct ept_guest *g, uint64_t start, uint64_t end, uint64_t perms,
		   unsigned mt)
{
	int rc;

	if (perms == HOLE || start >= end)
		return 0;
	rc = ept_map(&g->ept, start, start, end - start, perms, mt);
	if (!rc)
		g->leaves++;
	return rc;
}

int ept_guest_build(struct ept_guest *g, const struct memmap *m, uint64_t top, bool use_2m,
		    bool use_1g)
{
	static uint64_t b[MAX_BOUNDS];
	void *z, *s;
	unsigned n;
	uint64_t run_start = 0, run_perms = HOLE;
	unsigned run_mt = EPT_MT_UC;
	int rc;

	if (!top || (top & (EPT_PAGE_4K - 1)))
		return E_INVAL;
	*g = (struct ept_guest){ 0 };
	z = hal_page_alloc();
	s = hal_page_alloc();
	if (!z || !s)
		return E_NOMEM;
	g->zero_page = hal_virt_to_phys(z);
	g->sink_page = hal_virt_to_phys(s);
	rc = ept_init(&g->ept, use_2m, use_1g);
	if (rc)
		return rc;
	n = bounds(m, top, b);
	/* Each interval between two bounds is uniform; neighbours with the
	 * same attributes are mapped as one run (larger pages). */
	for (unsigned i = 0; i + 1 < n; i++) {
		uint64_t a = b[i], perms = page_perms(a);
		unsigned mt = page_is_ram(m, a) ? EPT_MT_WB : EPT_MT_UC;

		if (i > 0 && perms == run_perms && mt == run_mt)
			continue;
		if ((rc = map_run(g, run_start, a, run_perms, run_mt)))
			return rc;
		run_start = a;
		run_perms = perms;
		run_mt = mt;
	}
	return map_run(g, run_start, top, run_perms, run_mt);
}

void ept_guest_free(struct ept_guest *g)
{
	ept_free(&g->ept);
	if (g->zero_page)
		hal_page_free(hal_phys_to_virt(g->zero_page));
	if (g->sink_page)
		hal_page_free(hal_phys_to_virt(g->sink_page));
	*g = (struct ept_guest){ 0 };
}

const struct protected_range *ept_guest_mmio_range(paddr_t gpa)
{
	const struct protected_range *r = shaping_range_at(gpa);

	return r && r->mmio ? r : NULL;
}

enum ept_guest_fault ept_guest_violation(struct ept_guest *g, paddr_t gpa, bool write,
					 bool fetch)
{
	const struct protected_range *h = shaping_range_at(gpa);
	paddr_t page = gpa & ~(EPT_PAGE_4K - 1);
	int rc;

	if (!h || h->mmio)
		return EPT_GUEST_UNEXPECTED;
	if (fetch) {
		log_error("ept guest instruction fetch from %s at gpa=0x%llx: refused (stand-in "
			  "pages are not executable)", h->what, (unsigned long long)gpa);
		return EPT_GUEST_EXEC;
	}
	/* Writes go to the sink (readable too: the guest reads back its own
	 * bytes, never the hypervisor's); reads get the read-only zero page
	 * until the first write. */
	rc = write ? ept_set_4k(&g->ept, page, g->sink_page, EPT_R | EPT_W, EPT_MT_WB)
		   : ept_set_4k(&g->ept, page, g->zero_page, EPT_R, EPT_MT_WB);
	if (rc) {
		log_error("ept stand-in for %s at gpa=0x%llx not put in (%s)", h->what,
			  (unsigned long long)gpa, err_str(rc));
		return EPT_GUEST_UNEXPECTED;
	}
	g->touches++;
	log_warn("ept guest %s of %s at gpa=0x%llx: %s", write ? "write" : "read", h->what,
		 (unsigned long long)gpa, write ? "sent to a sink page" : "reads as zeros");
	return EPT_GUEST_HANDLED;
}
