/* AMD-Vi I/O page-table entry encoders: see amdvi_pte.h; bits in
 * amdvi_regs.h (2.2.3). */
#include "iommu/amdvi_pte.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "iommu/iopt.h"

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

/* ---- The entry format for the generic I/O page-table builder (iopt.h) ----
 * Host page tables as the DTE's root points at them (2.2.3): levels 1-3
 * hold leaves of their natural size (NextLevel 0: 4 KiB, 2 MiB, 1 GiB),
 * every directory points one level down (no skipped levels) and carries
 * IR|IW, so the leaf alone decides (permissions are ANDed along the walk).
 * The builder's arguments are aligned and in range by construction; an
 * encoder refusal would mean a builder bug, and yields 0 (not present). */

static uint64_t fmt_leaf(paddr_t pa, unsigned level, unsigned perm)
{
	uint64_t e;

	if (amdvi_leaf(level, pa, amdvi_level_shift(level), perm & IOPT_READ, perm & IOPT_WRITE,
		       false, &e))
		return 0;
	return e;
}

static uint64_t fmt_table(paddr_t pa, unsigned level)
{
	uint64_t e;

	if (amdvi_pde(level, level - 1, pa, true, true, &e))
		return 0;
	return e;
}

static bool fmt_present(uint64_t e)
{
	return (e & AMDVI_PTE_PR) != 0;
}

static bool fmt_is_leaf(uint64_t e, unsigned level)
{
	unsigned next = (unsigned)((e & AMDVI_PTE_NEXT_MASK) >> AMDVI_PTE_NEXT_SHIFT);

	return level == 1 || next == AMDVI_NEXT_LEAF || next == AMDVI_NEXT_SIZED_LEAF;
}

static paddr_t fmt_addr(uint64_t e)
{
	return e & AMDVI_PTE_ADDR_MASK;
}

static unsigned fmt_perm(uint64_t e)
{
	return ((e & AMDVI_PTE_IR) ? IOPT_READ : 0) | ((e & AMDVI_PTE_IW) ? IOPT_WRITE : 0);
}

const struct iopt_format iopt_format_amdvi = {
	.name = "amdvi-host",
	.leaf = fmt_leaf,
	.table = fmt_table,
	.present = fmt_present,
	.is_leaf = fmt_is_leaf,
	.addr = fmt_addr,
	.perm = fmt_perm,
	/* PR=0 (not present: 2.2.3, the rest is ignored), NextLevel 1. */
	.empty = (uint64_t)1 << AMDVI_PTE_NEXT_SHIFT,
};
