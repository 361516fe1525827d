/* The hypervisor's own page tables and its move into the hypervisor region. */
#ifndef SHOJI_ARCH_X86_PAGING_H
#define SHOJI_ARCH_X86_PAGING_H

#include "lib/types.h"

/* Physical address of the image's first byte (LOAD_PA, then the region). */
paddr_t image_phys_base(void);
uint64_t image_size(void);

/* Builds 4-level tables from the page pool (which must already cover the
 * region, with the image's future place reserved at region_base):
 *   - VA == PA for [0, max(4 GiB, phys_top)), 1 GiB pages if the CPU has
 *     them, else 2 MiB;
 *   - KERNEL_VMA -> region_base for region_size, 2 MiB pages;
 * then copies the running image to region_base and switches CR3 in one
 * step. Afterwards nothing of shoji is left at LOAD_PA. */
int paging_relocate(paddr_t region_base, uint64_t region_size, paddr_t phys_top);

/* The page-table root in use. */
paddr_t paging_root(void);

/* The end of the identity map (0 before paging_relocate: nothing a guest
 * names is dereferenced before it). */
paddr_t paging_identity_top(void);

#endif
