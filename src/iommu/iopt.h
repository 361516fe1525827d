/* I/O page tables (portable; no hardware access): the builder is generic,
 * the entry format a parameter (struct iopt_format). The VT-d second-level
 * format is iopt_format_vtd (iopt_init uses it); another IOMMU (AMD-Vi's
 * page tables, AMD IOMMU spec 2.2.3) plugs in its own entry encoding with
 * iopt_init_format and reuses everything else: planning, all-or-nothing
 * maps, superpage splits, the write ordering below, reclaim, walks.
 *
 * What follows describes the VT-d format:
 *
 * Builds the tables a VT-d unit walks for a domain in legacy mode: the
 * context entry's SLPTPTR points at `root`, and the unit translates a DMA
 * address (IOVA) through `levels` tables of 512 64-bit entries, 9 address
 * bits per level (VT-d spec 3.6/3.7 "second-level translation", entry
 * formats in 9.8 "Second-Level Paging Entries"):
 *
 *   levels  AGAW   address width   context-entry AW (9.3)
 *   3       1      39 bits         1
 *   4       2      48 bits         2
 *   5       3      57 bits         3
 *
 * Level numbering used here: level 1 holds 4 KiB leaves (SL-PTE), level 2
 * may hold 2 MiB leaves (SL-PDE with PS=1), level 3 may hold 1 GiB leaves
 * (SL-PDPE with PS=1), levels 4 and 5 (SL-PML4E/PML5E) only point to tables.
 * Which superpages the hardware accepts comes from CAP.SLLPS (11.4.2), the
 * tables' depth from CAP.SAGAW: the caller picks values every unit supports.
 *
 * Entries written (9.8): R (bit 0), W (bit 1), PS (bit 7, superpage leaves
 * only), address bits (HAW-1):12. Never set: X (bit 2), EMT/IPAT (6:3),
 * SNP (bit 11), TM (bit 62); reserved bits are zero (the unit would fault
 * with reason 0xC otherwise). Non-leaf entries carry R|W so the leaf alone
 * decides the permissions. An entry with R=W=0 is not present.
 *
 * Concurrency with the hardware: the unit may walk the tables while they
 * change, so every change is made so that each 64-bit entry the unit can
 * read is either the old or the new value, never a half-built state:
 *  - a new table is filled completely (and written back to memory when the
 *    unit is not coherent, ECAP.C=0) before the single 64-bit store that
 *    links it into its parent;
 *  - a superpage that has to be split is replaced by a fully built table in
 *    one 64-bit store;
 *  - when !coherent every entry written into a linked table is flushed with
 *    hal_cache_flush before the call returns (hal_cache_flush must order the
 *    write-back before later stores: clflush + sfence/mfence in the image).
 *
 * What the builder cannot do because it does not know the IOMMU:
 *  - invalidation. After iopt_unmap (including splits: the old superpage
 *    may still sit in the IOTLB) the caller must invalidate the IOTLB for
 *    the domain (and the paging-structure caches) before it relies on the
 *    range being unreachable. After iopt_map no invalidation is needed for
 *    a unit with CAP.CM=0 (not-present entries are not cached); with
 *    CAP.CM=1 (e.g. QEMU's caching mode) the caller must invalidate too.
 *  - freeing unlinked tables at the right time. A table unlinked by
 *    iopt_unmap may still be read by a walk in flight or held in the unit's
 *    paging-structure cache until the caller's invalidation completes; if
 *    the page were reused (say, as another domain's table) in between, the
 *    unit could follow garbage. So iopt_unmap moves tables that became
 *    empty (or whose whole range was unmapped) to a pending list
 *    (pending_pages) and the caller calls iopt_reclaim() once its
 *    invalidation has completed; iopt_destroy frees pending pages too.
 *
 * Errors: E_INVAL (misaligned or malformed arguments, bad permissions),
 * E_RANGE (IOVA beyond the address width, or a physical address at or
 * above 2^haw), E_BUSY (mapping over an existing mapping), E_NOMEM (page
 * allocation failed). Every map/unmap call either completes or, on error,
 * leaves the tables exactly as they were: the call first walks the range
 * (checking for overlaps and counting the table pages it will need), then
 * allocates all those pages, and only then writes. Nothing is written and
 * no page is kept when any of this fails.
 *
 * Not thread-safe: the caller serialises calls on one struct iopt. */
#ifndef SHOJI_IOMMU_IOPT_H
#define SHOJI_IOMMU_IOPT_H

#include "lib/types.h"

#define IOPT_READ  1u
#define IOPT_WRITE 2u

#define IOPT_MAX_HAW 52u	/* the entry address field ends at bit 51 (9.8) */

/* How one 64-bit entry is encoded. Levels as above (1 = 4 KiB leaves). */
struct iopt_format {
	const char *name;
	/* A leaf at `level` mapping pa (aligned to the level's size). */
	uint64_t (*leaf)(paddr_t pa, unsigned level, unsigned perm);
	/* An entry at `level` pointing to the table at pa (one level down). */
	uint64_t (*table)(paddr_t pa, unsigned level);
	bool (*present)(uint64_t e);
	bool (*is_leaf)(uint64_t e, unsigned level);	/* level 1: always */
	paddr_t (*addr)(uint64_t e);			/* the page or table it points to */
	unsigned (*perm)(uint64_t e);			/* IOPT_READ | IOPT_WRITE it grants */
	/* What an unused slot holds (present() false). 0 for VT-d. AMD-Vi
	 * writes PR=0 with a non-zero NextLevel: the hardware ignores every
	 * bit but PR, and QEMU 7.2's model reports the walk's fault only for
	 * such an entry (a zero one it refuses silently). */
	uint64_t empty;
};

extern const struct iopt_format iopt_format_vtd;

struct iopt {
	const struct iopt_format *fmt;	/* the entries' encoding */
	paddr_t root;		/* physical address of the top-level table (goes into
				 * the context entry's SLPTPTR); 0 after destroy */
	unsigned levels;	/* 3 (39-bit, AGAW 1), 4 (48-bit, AGAW 2) or 5 (57-bit, AGAW 3) */
	unsigned max_page_level;/* largest leaf allowed: 1 = 4 KiB only, 2 = up to 2 MiB,
				 * 3 = up to 1 GiB (from CAP.SLLPS of every unit) */
	bool coherent;		/* false: every written entry/table is hal_cache_flush'ed
				 * (ECAP.C = 0) */
	uint64_t table_pages;	/* table pages currently linked, root included
				 * (for reports/benchmarks) */
	/* Added: */
	unsigned haw;		/* host address width (ACPI DMAR "Host Address Width" + 1):
				 * every physical address written into an entry (mapped
				 * pages and tables) must be below 2^haw. iopt_init sets
				 * IOPT_MAX_HAW; the caller may lower it (not raise it)
				 * before mapping. */
	uint64_t pending_pages;	/* unlinked tables waiting for iopt_reclaim() */
	void *pending;		/* their list (internal) */
};

/* Allocates the (empty) root table, VT-d format. E_INVAL for levels outside
 * 3..5 or max_page_level outside 1..3, E_NOMEM. */
int iopt_init(struct iopt *pt, unsigned levels, unsigned max_page_level, bool coherent);
/* The same with another entry format (E_INVAL if fmt is NULL). */
int iopt_init_format(struct iopt *pt, const struct iopt_format *fmt, unsigned levels,
		     unsigned max_page_level, bool coherent);

/* Map [iova, iova+len) -> [pa, pa+len) with permissions perm (IOPT_READ,
 * IOPT_WRITE or both); iova, pa, len 4 KiB aligned, iova+len within the
 * address width, pa+len within 2^haw. Uses the largest page size allowed
 * where iova and pa are both aligned to it and the range covers it. Mapping
 * over an existing mapping is an error (E_BUSY) and leaves the table
 * unchanged (check first, then write). len == 0 does nothing. */
int iopt_map(struct iopt *pt, uint64_t iova, paddr_t pa, uint64_t len, unsigned perm);

/* Unmap [iova, iova+len) (4 KiB aligned, within the address width).
 * Superpages partly inside the range are split (the remainder stays mapped
 * with the same pa/perm; this needs new tables, so unmap can fail with
 * E_NOMEM, and then changes nothing); unmapping what is not mapped is fine.
 * Tables that become empty are unlinked and put on the pending list (see
 * above): the caller invalidates, then calls iopt_reclaim(). */
int iopt_unmap(struct iopt *pt, uint64_t iova, uint64_t len);

/* Frees the tables that iopt_unmap unlinked. Call only after the IOTLB and
 * paging-structure-cache invalidation covering those unmaps has completed. */
void iopt_reclaim(struct iopt *pt);

/* Software walk: 0 and *pa (the address iova translates to), *perm and
 * *page_size (of the leaf) if mapped, E_NOENT otherwise (also for an iova
 * beyond the address width). Output pointers may be NULL. */
int iopt_translate(const struct iopt *pt, uint64_t iova, paddr_t *pa, unsigned *perm,
		   uint64_t *page_size);

/* Frees every table page, pending ones included. The caller must already
 * have detached the tables from every context entry and invalidated. */
void iopt_destroy(struct iopt *pt);

/* Helper for domains: identity-map [start, end) minus the sorted,
 * non-overlapping holes (each 4 KiB aligned, start < end; they may reach
 * outside [start, end)), using superpages everywhere except around the
 * holes. All or nothing like iopt_map: E_BUSY if any page to be mapped is
 * mapped already, E_INVAL for unsorted/overlapping/empty/misaligned holes. */
struct iopt_hole {
	uint64_t start, end;
};
int iopt_map_identity_except(struct iopt *pt, uint64_t start, uint64_t end,
			     const struct iopt_hole *holes, unsigned n_holes, unsigned perm);

/* Added helpers. */

/* Address width in bits (39, 48, 57) and the context entry's AW field
 * (9.3: 1, 2, 3) for these tables. */
static inline unsigned iopt_addr_bits(const struct iopt *pt)
{
	return 12u + 9u * pt->levels;
}

static inline unsigned iopt_context_aw(const struct iopt *pt)
{
	return pt->levels - 2u;
}

/* What the tables hold, by walking them: for reports ("what it may reach")
 * and benchmarks. */
struct iopt_stats {
	uint64_t tables;	/* linked table pages, root included */
	uint64_t leaves[3];	/* leaf entries: [0] 4 KiB, [1] 2 MiB, [2] 1 GiB */
	uint64_t mapped_bytes;	/* sum of the leaves' sizes */
	uint64_t read_only_bytes; /* of which without IOPT_WRITE */
};
void iopt_stats(const struct iopt *pt, struct iopt_stats *st);

#endif
