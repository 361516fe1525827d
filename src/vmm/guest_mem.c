/* Guest virtual memory access (see guest_mem.h). Paging structures: AMD
 * APM vol. 2 5.3 (long mode), Intel SDM 3A 4.5. Only long mode with paging
 * is supported: that is where a guest program calls shoji from. */
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/string.h"
#include "vmm/guest_mem.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define CR0_PG (1ULL << 31)
#define CR0_WP (1ULL << 16)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)
#define MAX_FORBIDDEN 4

static struct {
	paddr_t start, end;
} forbidden[MAX_FORBIDDEN];
static unsigned n_forbidden;

void guest_mem_forbid(paddr_t start, paddr_t end)
{
	if (n_forbidden < MAX_FORBIDDEN) {
		forbidden[n_forbidden].start = start;
		forbidden[n_forbidden].end = end;
		n_forbidden++;
	}
}

static bool is_forbidden(paddr_t a)
{
	for (unsigned i = 0; i < n_forbidden; i++)
		if (a >= forbidden[i].start && a < forbidden[i].end)
			return true;
	return false;
}

int guest_virt_to_phys(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa)
{
	int levels = (p->cr4 & CR4_LA57) ? 5 : 4;
	paddr_t table = p->cr3 & PTE_ADDR;
	bool wp = p->cr0 & CR0_WP;

	if (!(p->cr0 & CR0_PG) || !(p->efer & EFER_LMA))
		return E_UNSUPPORTED;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e;

		if (is_forbidden(table))
			return E_FAULT;
		e = ((const uint64_t *)hal_phys_to_virt(table))[(va >> shift) & 511];
		if (!(e & PTE_P))
			return E_FAULT;
		if (p->user && !(e & PTE_U))
			return E_FAULT;
		if (write && !(e & PTE_W) && (p->user || wp))
			return E_FAULT;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			uint64_t mask = (1ULL << shift) - 1;

			*pa = ((e & PTE_ADDR) & ~mask) | (va & mask);
			return is_forbidden(*pa) ? E_FAULT : 0;
		}
		table = e & PTE_ADDR;
	}
	return E_FAULT;
}

static int copy(const struct guest_paging *p, uint64_t va, void *buf, size_t n, bool to_guest)
{
	uint8_t *b = buf;

	while (n) {
		size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		paddr_t pa;
		int rc = guest_virt_to_phys(p, va, to_guest, &pa);

		if (rc)
			return rc;
		if (to_guest)
			memcpy(hal_phys_to_virt(pa), b, chunk);
		else
			memcpy(b, hal_phys_to_virt(pa), chunk);
		va += chunk;
		b += chunk;
		n -= chunk;
	}
	return 0;
}

int copy_to_guest(const struct guest_paging *p, uint64_t va, const void *src, size_t n)
{
	return copy(p, va, (void *)src, n, true);
}

int copy_from_guest(const struct guest_paging *p, void *dst, uint64_t va, size_t n)
{
	return copy(p, va, dst, n, false);
}
