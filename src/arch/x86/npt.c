/* Nested page tables (see npt.h). Entries use the long-mode page-table
 * format (APM vol. 2, 5.3): nested walks are user accesses, so U/S is set
 * on every level; the memory type comes from PAT index 0 (write-back)
 * combined with the guest's own PAT/MTRR view (APM 15.25.8), so MMIO that
 * the guest maps uncached stays uncached. */
#include "arch/x86/cpu.h"
#include "arch/x86/npt.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define NPT_TABLE (PTE_P | PTE_W | PTE_U)
#define NPT_LEAF_RW (PTE_P | PTE_W | PTE_U)
#define NPT_LEAF_RO (PTE_P | PTE_U)

static paddr_t root;
static struct npt_hole holes[NPT_MAX_HOLES];
static unsigned n_holes;
static paddr_t zero_page, sink_page;
static uint64_t touches, tables;
static bool big_pages;

static uint64_t *tbl(paddr_t pa)
{
	return hal_phys_to_virt(pa);
}

static paddr_t new_table(void)
{
	void *p = hal_page_alloc();

	if (!p)
		return 0;
	tables++;
	return hal_virt_to_phys(p);
}

static bool hits_hole(uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < n_holes; i++)
		if (start < holes[i].end && holes[i].start < end)
			return true;
	return false;
}

/* A span that lies wholly inside one read-only passthrough hole and meets
 * no other hole can be one read-only leaf (a large page when it is 2 MiB
 * or 1 GiB, e.g. an ECAM window). */
static bool all_read_only(uint64_t start, uint64_t end)
{
	bool inside = false;

	for (unsigned i = 0; i < n_holes; i++) {
		if (!(start < holes[i].end && holes[i].start < end))
			continue;
		if (!holes[i].mmio || !holes[i].reads_pass || start < holes[i].start ||
		    end > holes[i].end)
			return false;
		inside = true;
	}
	return inside;
}

static const struct npt_hole *hole_at(paddr_t a)
{
	for (unsigned i = 0; i < n_holes; i++)
		if (a >= holes[i].start && a < holes[i].end)
			return &holes[i];
	return NULL;
}

/* Fills one table at `level` (4 = PML4 .. 1 = PT) covering [base, ...). */
static int fill(paddr_t t, int level, uint64_t base, uint64_t top)
{
	uint64_t span = 1ULL << (12 + 9 * (level - 1));

	for (unsigned i = 0; i < 512; i++) {
		uint64_t a = base + i * span;
		uint64_t *e = &tbl(t)[i];
		paddr_t sub;

		if (a >= top)
			break;
		if (level == 1) {
			*e = !hits_hole(a, a + span) ? (a | NPT_LEAF_RW)
			     : all_read_only(a, a + span) ? (a | NPT_LEAF_RO) : 0;
			continue;
		}
		if ((level == 2 || (level == 3 && big_pages)) && a + span <= top) {
			if (!hits_hole(a, a + span)) {
				*e = a | NPT_LEAF_RW | PTE_PS;
				continue;
			}
			if (all_read_only(a, a + span)) {
				*e = a | NPT_LEAF_RO | PTE_PS;
				continue;
			}
		}
		sub = new_table();
		if (!sub)
			return -1;
		if (fill(sub, level - 1, a, top))
			return -1;
		*e = sub | NPT_TABLE;
	}
	return 0;
}

paddr_t npt_build(uint64_t top, const struct npt_hole *h, unsigned n)
{
	void *z = hal_page_alloc(), *s = hal_page_alloc();

	if (n > NPT_MAX_HOLES || !z || !s)
		return 0;
	memcpy(holes, h, n * sizeof(*h));
	n_holes = n;
	zero_page = hal_virt_to_phys(z);
	sink_page = hal_virt_to_phys(s);
	big_pages = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
	root = new_table();
	if (!root || fill(root, 4, 0, top))
		return 0;
	for (unsigned i = 0; i < n; i++)
		log_info("npt hole %s 0x%llx-0x%llx traps=%s", h[i].what,
			 (unsigned long long)h[i].start, (unsigned long long)h[i].end,
			 !h[i].mmio ? "none(forbidden)" : h[i].reads_pass ? "writes" : "reads,writes");
	log_info("npt root=0x%llx top=0x%llx table_pages=%llu page=%s", (unsigned long long)root,
		 (unsigned long long)top, (unsigned long long)tables, big_pages ? "1G" : "2M");
	return root;
}

/* The 4 KiB entry for gpa, if the walk reaches a PT (holes always do). */
static uint64_t *pte_of(paddr_t gpa)
{
	paddr_t t = root;

	for (int level = 4; level > 1; level--) {
		uint64_t e = tbl(t)[(gpa >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = e & PTE_ADDR;
	}
	return &tbl(t)[(gpa >> 12) & 511];
}

const struct npt_hole *npt_mmio_hole(paddr_t gpa)
{
	const struct npt_hole *h = hole_at(gpa);

	return h && h->mmio ? h : NULL;
}

bool npt_handle_fault(paddr_t gpa, uint64_t error_code)
{
	const struct npt_hole *h = hole_at(gpa);
	uint64_t *pte = pte_of(gpa);
	bool write = error_code & 2;

	if (!h || !pte || h->mmio)
		return false;
	touches++;
	log_warn("npt guest %s of %s at gpa=0x%llx: %s", write ? "write" : "read", h->what,
		 (unsigned long long)gpa,
		 write ? "sent to a sink page" : "reads as zeros");
	/* Writes go to the sink (readable too: the guest reads back its own
	 * bytes, never the hypervisor's); reads get the read-only zero page
	 * until the first write. Only whole-TLB flushes exist on TCG's SVM
	 * (no flush-by-ASID): the caller sets TLB_CONTROL. */
	*pte = write ? (sink_page | NPT_LEAF_RW) : (zero_page | NPT_LEAF_RO);
	return true;
}

uint64_t npt_hole_touches(void)
{
	return touches;
}

uint64_t npt_table_pages(void)
{
	return tables;
}
