/* Nested page tables (see npt.h). Entries use the long-mode page-table
 * format (APM vol. 2, 5.3): nested walks are user accesses, so U/S is set
 * on every level; the memory type comes from PAT index 0 (write-back)
 * combined with the guest's own PAT/MTRR view (APM 15.25.8), so MMIO that
 * the guest maps uncached stays uncached. */
#include "arch/x86/cpu.h"
#include "arch/x86/npt.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "vmm/mmio_emul.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define NPT_TABLE (PTE_P | PTE_W | PTE_U)
#define NPT_LEAF_RW (PTE_P | PTE_W | PTE_U)
#define NPT_LEAF_RO (PTE_P | PTE_U)
#define PTE_NX (1ULL << 63)

static paddr_t root;
static paddr_t zero_page, sink_page;
static uint64_t touches, tables;
static bool big_pages;
/* Stand-in PTE updates from any CPU's fault (docs/smp.md): one writer at a
 * time, and every change bumps the generation, which each vCPU compares at
 * its next VMRUN (a whole-TLB flush when it moved). */
static struct spinlock npt_lock = SPINLOCK_INIT;
static uint64_t generation;

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

/* A range the nested tables must not map plainly: an emulator's, or one
 * that forbids any CPU access. */
static bool shapes_npt(const struct protected_range *r)
{
	return r->space == PROTECT_SPACE_MEM && (r->mmio || (r->forbids & PROTECT_CPU));
}

static bool hits_hole(uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (shapes_npt(r) && start < r->end && r->start < end)
			return true;
	}
	return false;
}

static const struct protected_range *hole_at(paddr_t a)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (shapes_npt(r) && a >= r->start && a < r->end)
			return r;
	}
	return NULL;
}

/* The leaf bits for what range r allows the CPU on [start, end) (r may be
 * NULL): not present when reads are forbidden (stand-ins or the emulator
 * take over) or the emulator traps reads of a page there, otherwise the
 * real page, read-only and/or NX as r says. Emulated ranges always forbid
 * writes (they would reach the device unchecked). */
static uint64_t leaf_bits(const struct protected_range *r, uint64_t start, uint64_t end)
{
	unsigned f;

	if (!r)
		return NPT_LEAF_RW;
	f = r->forbids | (r->mmio ? PROTECT_CPU_WRITE : 0);
	if (f & PROTECT_CPU_READ)
		return 0;
	if (r->mmio && r->mmio->reads_trapped && r->mmio->reads_trapped(r->ctx, start, end))
		return 0;
	return ((f & PROTECT_CPU_WRITE) ? NPT_LEAF_RO : NPT_LEAF_RW) |
	       ((f & PROTECT_CPU_EXEC) ? PTE_NX : 0);
}

/* Whether [start, end) lies wholly inside one range that maps the real
 * pages (reads allowed) and meets no other: it can then be one large leaf
 * with that range's bits (e.g. a read-only ECAM window). */
static const struct protected_range *sole_mapped_range(uint64_t start, uint64_t end)
{
	const struct protected_range *only = NULL;

	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (!shapes_npt(r) || !(start < r->end && r->start < end))
			continue;
		if (only || start < r->start || end > r->end || !leaf_bits(r, start, end))
			return NULL;
		only = r;
	}
	return only;
}

/* The 4 KiB leaf for page a. */
static uint64_t leaf(paddr_t a)
{
	uint64_t bits = leaf_bits(hole_at(a), a, a + PAGE_SIZE);

	return bits ? a | bits : 0;
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
			*e = leaf(a);
			continue;
		}
		if ((level == 2 || (level == 3 && big_pages)) && a + span <= top) {
			const struct protected_range *r = sole_mapped_range(a, a + span);

			if (!hits_hole(a, a + span)) {
				*e = a | NPT_LEAF_RW | PTE_PS;
				continue;
			}
			if (r) {
				*e = a | leaf_bits(r, a, a + span) | PTE_PS;
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

paddr_t npt_build(const struct memmap *m, uint64_t top)
{
	(void)m;
	void *z = hal_page_alloc(), *s = hal_page_alloc();

	if (!z || !s)
		return 0;
	zero_page = hal_virt_to_phys(z);
	sink_page = hal_virt_to_phys(s);
	big_pages = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
	root = new_table();
	if (!root || fill(root, 4, 0, top))
		return 0;
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (shapes_npt(r))
			log_info("npt hole %s 0x%llx-0x%llx traps=%s", r->what,
				 (unsigned long long)r->start, (unsigned long long)r->end,
				 !r->mmio ? "none(forbidden)"
				 : (r->forbids & PROTECT_CPU_READ) ? "reads,writes"
				 : r->mmio->reads_trapped ? "writes(reads of some pages)" : "writes");
	}
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

const struct protected_range *npt_mmio_hole(paddr_t gpa)
{
	const struct protected_range *h = hole_at(gpa);

	return h && h->mmio ? h : NULL;
}

static enum npt_fault handle_fault_locked(paddr_t gpa, uint64_t error_code)
{
	const struct protected_range *h = hole_at(gpa);
	uint64_t *pte = pte_of(gpa);
	bool write = error_code & NPF_WRITE;

	if (!h || !pte || h->mmio)
		return NPT_FAULT_UNEXPECTED;
	if (error_code & NPF_FETCH) {
		log_error("npt guest instruction fetch from %s at gpa=0x%llx: refused (stand-in "
			  "pages are not executable)", h->what, (unsigned long long)gpa);
		return NPT_FAULT_EXEC;
	}
	touches++;	/* under npt_lock */
	log_warn("npt guest %s of %s at gpa=0x%llx: %s", write ? "write" : "read", h->what,
		 (unsigned long long)gpa,
		 write ? "sent to a sink page" : "reads as zeros");
	/* Writes go to the sink (readable too: the guest reads back its own
	 * bytes, never the hypervisor's); reads get the read-only zero page
	 * until the first write. Neither is executable. Only whole-TLB flushes
	 * exist on TCG's SVM (no flush-by-ASID): the caller sets TLB_CONTROL. */
	*pte = write ? (sink_page | NPT_LEAF_RW | PTE_NX) : (zero_page | NPT_LEAF_RO | PTE_NX);
	__atomic_fetch_add(&generation, 1, __ATOMIC_SEQ_CST);
	return NPT_FAULT_HANDLED;
}

enum npt_fault npt_handle_fault(paddr_t gpa, uint64_t error_code)
{
	enum npt_fault f;

	spin_lock(&npt_lock);
	f = handle_fault_locked(gpa, error_code);
	spin_unlock(&npt_lock);
	return f;
}

uint64_t npt_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
}

int npt_set_read_page(paddr_t gpa, paddr_t page)
{
	const struct protected_range *h = hole_at(gpa);
	const struct protected_range *own = page ? protect_at(page) : NULL;
	uint64_t *pte;

	if ((gpa | page) & (PAGE_SIZE - 1) || !h || !h->mmio || leaf_bits(h, gpa, gpa + PAGE_SIZE))
		return E_INVAL;
	/* The page must be memory the guest cannot otherwise reach. */
	if (page && (!own || own->mmio || own->space != PROTECT_SPACE_MEM ||
		     !(own->forbids & PROTECT_CPU_READ)))
		return E_INVAL;
	spin_lock(&npt_lock);
	pte = pte_of(gpa);
	if (pte) {
		*pte = page ? (page | NPT_LEAF_RO | PTE_NX) : 0;
		__atomic_fetch_add(&generation, 1, __ATOMIC_SEQ_CST);
	}
	spin_unlock(&npt_lock);
	return pte ? 0 : E_INVAL;
}

uint64_t npt_hole_touches(void)
{
	return touches;
}

uint64_t npt_table_pages(void)
{
	return tables;
}
