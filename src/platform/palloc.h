/* Physical page allocator over the hypervisor region (one pool).
 *
 * Everything the hypervisor allocates at run time (IOMMU tables, NPT,
 * queues, shadow DMA buffers) comes from here, in 4 KiB pages. The pool is
 * a bitmap (one bit per page, static, sized for PALLOC_MAX_BYTES), so the
 * allocator needs no memory of its own and keeps no state in the pages.
 *
 * Not SMP-safe: callers serialize (boot is single-CPU; later users take
 * their own lock around palloc calls). */
#ifndef SHOJI_PLATFORM_PALLOC_H
#define SHOJI_PLATFORM_PALLOC_H

#include "lib/types.h"

#define PALLOC_MAX_BYTES GiB(1)
#define PALLOC_MAX_PAGES (PALLOC_MAX_BYTES / PAGE_SIZE)

/* The pool covers [base, base+size): both 4 KiB aligned, size > 0 and
 * <= PALLOC_MAX_BYTES. Returns 0, E_INVAL (unaligned, empty, wraps) or
 * E_RANGE (larger than PALLOC_MAX_BYTES). Re-initialising forgets every
 * allocation. */
int palloc_init(paddr_t base, uint64_t size);

/* Take [base, base+size) out of the pool for good (e.g. the hypervisor
 * image at the start of the region); rounded outward to whole pages. Must
 * lie inside the pool (E_RANGE otherwise). Reserving pages already
 * reserved is fine; pages currently allocated make it fail with E_BUSY and
 * change nothing. Reserved pages are never handed out and palloc_free
 * refuses them. size 0 is a no-op. */
int palloc_reserve(paddr_t base, uint64_t size);

/* n contiguous pages whose first is aligned to `align` bytes (a power of
 * two; 0 or anything <= 4096 means page alignment). Zeroed (through
 * hal_phys_to_virt). Returns 0 and *out, E_NOMEM when no such run is free,
 * E_INVAL for n == 0 or an alignment that is not a power of two. */
int palloc_alloc(unsigned n, uint64_t align, paddr_t *out);

/* Free n pages at pa. Freeing a page that is not allocated (double free),
 * a reserved page, an unaligned address or one outside the pool is a bug:
 * it is logged with log_error ("palloc: ...") and the whole call is
 * ignored, so the bitmap is never corrupted. */
void palloc_free(paddr_t pa, unsigned n);

bool palloc_contains(paddr_t pa);	/* inside [base, base+size) */
uint64_t palloc_free_pages(void);
uint64_t palloc_total_pages(void);	/* pages in the pool, reserved included */
paddr_t palloc_base(void);
uint64_t palloc_size(void);

/* Addition: whether the page containing pa is in use (allocated or
 * reserved). False outside the pool. */
bool palloc_page_in_use(paddr_t pa);

#endif
