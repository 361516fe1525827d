/* AMD-Vi I/O page-table entries (AMD IOMMU spec 48882 rev 3.x, 2.2.3), the
 * entry format an I/O page-table builder needs to produce AMD tables. Each
 * encoder checks its arguments against the format and refuses what it
 * cannot express. Which pages a domain maps is decided elsewhere (the
 * domain policy); how the tables are allocated and filled is the builder's
 * job (src/iommu/iopt.c, to be parameterised by entry format, issue 11). */
#ifndef SHOJI_IOMMU_AMDVI_PTE_H
#define SHOJI_IOMMU_AMDVI_PTE_H

#include "lib/types.h"

/* log2 of the bytes one entry of a level-L table maps: 12 + 9 (L - 1). */
static inline unsigned amdvi_level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* Index of addr's entry in a level-L table (L = 1 .. 6). */
static inline unsigned amdvi_pt_index(uint64_t addr, unsigned level)
{
	return (unsigned)(addr >> amdvi_level_shift(level)) & 0x1ff;
}

/* A level-L entry (L = 2 .. 6) pointing at a 4 KiB aligned table of level
 * next (1 .. L-1; below L-1 skips levels, whose address bits must then be
 * zero in every address that goes through it). read/write are ANDed with the
 * leaf's. Returns 0 or E_INVAL (*pte zeroed). */
int amdvi_pde(unsigned level, unsigned next, paddr_t table, bool read, bool write,
	      uint64_t *pte);

/* A leaf in a level-L table (L = 1 .. 6) mapping 2^size_log2 bytes at the
 * naturally aligned paddr. size_log2 equal to the level's shift is a plain
 * leaf (NextLevel 0: 4 KiB, 2 MiB, 1 GiB, ...); a size between it and the
 * next level's shift is a sized leaf (NextLevel 7), which the caller must
 * write into each of the 2^(size_log2 - shift) entries it spans
 * (amdvi_leaf_span). fc: force coherent. E_INVAL (*pte zeroed) when
 * misaligned, beyond 52 bits or of a size the level cannot hold. */
int amdvi_leaf(unsigned level, paddr_t paddr, unsigned size_log2, bool read, bool write,
	       bool fc, uint64_t *pte);

/* How many consecutive level-L entries a leaf of 2^size_log2 bytes fills. */
static inline unsigned amdvi_leaf_span(unsigned level, unsigned size_log2)
{
	return 1u << (size_log2 - amdvi_level_shift(level));
}

/* The format for iopt_init_format (iopt.h): host page tables with 4 KiB,
 * 2 MiB and 1 GiB leaves, directories one level apart. */
struct iopt_format;
extern const struct iopt_format iopt_format_amdvi;

#endif
