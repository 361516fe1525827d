/* Page tables for the hypervisor itself (not the guest's nested tables).
 * Entry format: Intel SDM 3A 4.5 (4-level paging), AMD APM 2 5.3. */
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "boot/layout.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "platform/palloc.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

extern char _image_start[], _end[];
void relocate_and_switch(paddr_t dst, const void *src, uint64_t len, paddr_t cr3);

static paddr_t image_base = LOAD_PA;
static paddr_t root;

paddr_t image_phys_base(void)
{
	return image_base;
}

uint64_t image_size(void)
{
	return (uint64_t)(_end - _image_start);
}

paddr_t paging_root(void)
{
	return root ? root : read_cr3() & PTE_ADDR;
}

static uint64_t *table(paddr_t pa)
{
	return (uint64_t *)hal_phys_to_virt(pa);
}

/* The table an entry points to, allocating it if absent. */
static int next_table(uint64_t *entry, paddr_t *out)
{
	if (!(*entry & PTE_P)) {
		paddr_t pa;
		int rc = palloc_alloc(1, PAGE_SIZE, &pa);

		if (rc)
			return rc;
		*entry = pa | PTE_P | PTE_W;
	}
	*out = *entry & PTE_ADDR;
	return 0;
}

/* Maps [va, va+len) -> [pa, ...) with pages of `page` bytes (2 MiB or
 * 1 GiB); all three must be aligned to it. */
static int map_large(paddr_t pml4, uint64_t va, paddr_t pa, uint64_t len, uint64_t page)
{
	for (uint64_t off = 0; off < len; off += page) {
		uint64_t v = va + off;
		paddr_t pdpt, pd;
		int rc = next_table(&table(pml4)[(v >> 39) & 511], &pdpt);

		if (rc)
			return rc;
		if (page == GiB(1)) {
			table(pdpt)[(v >> 30) & 511] = (pa + off) | PTE_P | PTE_W | PTE_PS;
			continue;
		}
		rc = next_table(&table(pdpt)[(v >> 30) & 511], &pd);
		if (rc)
			return rc;
		table(pd)[(v >> 21) & 511] = (pa + off) | PTE_P | PTE_W | PTE_PS;
	}
	return 0;
}

static paddr_t identity_top;

paddr_t paging_identity_top(void)
{
	return identity_top;
}

int paging_relocate(paddr_t region_base, uint64_t region_size, paddr_t phys_top)
{
	bool gb = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
	uint64_t page = gb ? GiB(1) : MiB(2);
	uint64_t ident = ALIGN_UP(MAX(phys_top, GiB(4)), GiB(1));
	paddr_t pml4;
	int rc;

	if (!IS_ALIGNED(region_base, MiB(2)) || !IS_ALIGNED(region_size, MiB(2)) ||
	    image_size() > region_size)
		return E_INVAL;
	rc = palloc_alloc(1, PAGE_SIZE, &pml4);
	if (!rc)
		rc = map_large(pml4, 0, 0, ident, page);
	if (!rc)
		rc = map_large(pml4, KERNEL_VMA, region_base, region_size, MiB(2));
	if (rc) {
		log_error("paging: out of memory building the hypervisor's page tables");
		return rc;
	}
	/* Memory types: the identity map is write-back by PAT; MMIO in it is
	 * uncached because the firmware's MTRRs say so (SDM 3A 11.5.2.2: UC
	 * MTRR + WB PAT = UC). */
	relocate_and_switch(region_base, _image_start, image_size(), pml4);
	/* From here on we run from the copy: these writes land in it. */
	image_base = region_base;
	root = pml4;
	identity_top = ident;
	log_info("paging root=0x%llx identity=0x%llx page=%s image=0x%llx-0x%llx",
		 (unsigned long long)pml4, (unsigned long long)ident, gb ? "1G" : "2M",
		 (unsigned long long)region_base,
		 (unsigned long long)(region_base + image_size()));
	return 0;
}
