/* AMD-Vi I/O page-table entry encoders: see amdvi_pte.h; bits in
 * amdvi_regs.h (2.2.3). */
#include "iommu/amdvi_pte.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"

static uint64_t perms(bool read, bool write)
{
	return (read ? AMDVI_PTE_IR : 0) | (write ? AMDVI_PTE_IW : 0);
}

int amdvi_pde(unsigned level, unsigned next, paddr_t table, bool read, bool write,
	      uint64_t *pte)
{
	*pte = 0;
	if (level < 2 || level > AMDVI_MODE_MAX_LEVELS || next < 1 || next >= level ||
	    table == 0 || (table & ~AMDVI_PTE_ADDR_MASK))
		return E_INVAL;
	*pte = AMDVI_PTE_PR | (uint64_t)next << AMDVI_PTE_NEXT_SHIFT | table | perms(read, write);
	return 0;
}

int amdvi_leaf(unsigned level, paddr_t paddr, unsigned size_log2, bool read, bool write,
	       bool fc, uint64_t *pte)
{
	unsigned shift;
	uint64_t addr;

	*pte = 0;
	if (level < 1 || level > AMDVI_MODE_MAX_LEVELS)
		return E_INVAL;
	shift = amdvi_level_shift(level);
	/* A leaf spans at most one entry's worth of the level above (and a
	 * sized leaf never reaches 2^52: the address field ends there). */
	if (size_log2 < shift || size_log2 >= shift + 9 || size_log2 >= 52)
		return E_INVAL;
	if ((paddr & ((1ULL << size_log2) - 1)) || (paddr & ~AMDVI_PTE_ADDR_MASK))
		return E_INVAL;
	if (size_log2 == shift) {
		addr = paddr;
		*pte = AMDVI_PTE_PR | (uint64_t)AMDVI_NEXT_LEAF << AMDVI_PTE_NEXT_SHIFT;
	} else {
		/* Ones below the size bit (down to bit 12), zero at bit
		 * size_log2 - 1: 2^size_log2 bytes. */
		addr = (paddr | ((1ULL << (size_log2 - 1)) - 1)) & AMDVI_PTE_ADDR_MASK;
		*pte = AMDVI_PTE_PR | (uint64_t)AMDVI_NEXT_SIZED_LEAF << AMDVI_PTE_NEXT_SHIFT;
	}
	*pte |= addr | perms(read, write) | (fc ? AMDVI_PTE_FC : 0);
	return 0;
}
