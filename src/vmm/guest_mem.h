/* Copying to and from the guest by its virtual addresses: a software walk
 * of the guest's own page tables (4-level long mode; 5-level when CR4.LA57),
 * the way the CPU would do it for a user or supervisor access. Guest-
 * physical == host-physical, but a guest address inside forbidden memory
 * (the hypervisor region) is refused: the guest cannot make shoji copy
 * into or out of itself. Portable (hal_phys_to_virt), unit-tested. */
#ifndef SHOJI_VMM_GUEST_MEM_H
#define SHOJI_VMM_GUEST_MEM_H

#include "lib/types.h"

struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	bool user;	/* the access is made for CPL 3 */
};

/* Ranges no guest address may resolve to (set once at launch). */
void guest_mem_forbid(paddr_t start, paddr_t end);

/* Translates one guest-virtual address; E_FAULT when not mapped, not
 * writable (write), not user-accessible (user), or forbidden. */
int guest_virt_to_phys(const struct guest_paging *p, uint64_t va, bool write, paddr_t *pa);

int copy_to_guest(const struct guest_paging *p, uint64_t va, const void *src, size_t n);
int copy_from_guest(const struct guest_paging *p, void *dst, uint64_t va, size_t n);

#endif
