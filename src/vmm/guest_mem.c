/* Guest virtual memory access (see guest_mem.h). Paging structures: AMD
 * APM vol. 2 5.3 (long mode), Intel SDM 3A 4.5. Long mode with paging, or
 * paging off (APM 5.1: linear == physical); legacy 32-bit and PAE paging are
 * refused (E_UNSUPPORTED), never guessed at. */
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/prof.h"
#include "lib/string.h"
#include "vmm/guest_mem.h"
#include "vmm/protect.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define CR0_PG (1ULL << 31)
#define CR0_WP (1ULL << 16)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)
#define PTE_XD (1ULL << 63)

bool guest_phys_ok(paddr_t pa, uint64_t len, unsigned access)
{
	/* Beyond shoji's map there is nothing to read, and reading it would
	 * fault in shoji: the guest's walk or access fails instead. */
	if (!len || pa + len < pa || pa + len > hal_phys_limit())
		return false;
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->space == PROTECT_SPACE_MEM && pa < r->end && r->start < pa + len &&
		    ((r->forbids & access) || r->mmio))
			return false;
	}
	return true;
}

/* The walk's combined permissions decide, as the CPU's would (APM 5.6):
 * user access needs U/S at every level; a write needs R/W at every level,
 * for supervisor code only when CR0.WP is set. */
int guest_translate(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa)
{
	struct guest_walk w;
	int rc;

	if (!(p->cr0 & CR0_PG)) {
		*pa = va;	/* paging off: linear == physical */
		return 0;
	}
	rc = guest_walk(p, va, &w);
	if (rc)
		return rc;
	if (p->user && !w.user)
		return E_FAULT;
	if (write && !w.write && (p->user || (p->cr0 & CR0_WP)))
		return E_FAULT;
	*pa = w.pa;
	return 0;
}

static int walk(const struct guest_paging *p, uint64_t va, struct guest_walk *w);

int guest_walk(const struct guest_paging *p, uint64_t va, struct guest_walk *w)
{
	int rc;

	prof_enter(PROF_WALK);
	rc = walk(p, va, w);
	prof_leave();
	return rc;
}

static int walk(const struct guest_paging *p, uint64_t va, struct guest_walk *w)
{
	int levels = (p->cr4 & CR4_LA57) ? 5 : 4;
	paddr_t table = p->cr3 & PTE_ADDR;

	if (!(p->cr0 & CR0_PG) || !(p->efer & EFER_LMA))
		return E_UNSUPPORTED;
	w->user = w->write = true;
	w->nx = false;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		paddr_t ea = table + ((va >> shift) & 511) * 8;
		uint64_t e;

		if (!guest_phys_ok(ea, 8, PROTECT_CPU_READ))
			return E_FAULT;
		e = __atomic_load_n((const uint64_t *)hal_phys_to_virt(ea), __ATOMIC_RELAXED);
		if (!(e & PTE_P))
			return E_FAULT;
		if ((e & PTE_XD) && !(p->efer & EFER_NXE))
			return E_FAULT;
		w->user = w->user && (e & PTE_U);
		w->write = w->write && (e & PTE_W);
		w->nx = w->nx || (e & PTE_XD);
		if (level >= 4 && (e & PTE_PS))
			return E_FAULT;
		if (level == 1 || (e & PTE_PS)) {
			uint64_t mask = (1ULL << shift) - 1;

			w->pa = ((e & PTE_ADDR) & ~mask) | (va & mask);
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return E_FAULT;
}

int guest_virt_to_phys(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa)
{
	int rc = guest_translate(p, va, write, pa);

	if (rc)
		return rc;
	return guest_phys_ok(*pa, 1, write ? PROTECT_CPU_WRITE : PROTECT_CPU_READ) ? 0 : E_FAULT;
}

size_t guest_fetch(const struct guest_paging *p, uint64_t lin, uint8_t *buf, size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t chunk = MIN(max - n, PAGE_SIZE - ((lin + n) & (PAGE_SIZE - 1)));
		paddr_t pa;

		if (guest_translate(p, lin + n, false, &pa) ||
		    !guest_phys_ok(pa, chunk, PROTECT_CPU_EXEC))
			break;
		memcpy(buf + n, hal_phys_to_virt(pa), chunk);
		n += chunk;
	}
	return n;
}

/* Every page is translated and checked before any byte moves: a refused
 * copy changes nothing. */
static int copy(const struct guest_paging *p, uint64_t va, void *buf, size_t n, bool to_guest)
{
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *b = buf;
		uint64_t at = va;
		size_t left = n;

		while (left) {
			size_t chunk = MIN(left, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
			paddr_t pa;
			int rc = guest_virt_to_phys(p, at, to_guest, &pa);

			if (rc)
				return rc;
			if (pass && to_guest)
				memcpy(hal_phys_to_virt(pa), b, chunk);
			else if (pass)
				memcpy(b, hal_phys_to_virt(pa), chunk);
			at += chunk;
			b += chunk;
			left -= chunk;
		}
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
