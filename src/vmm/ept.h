/* Intel EPT (extended page tables) entries and a range mapper (SDM vol. 3C,
 * 29.3.2 "EPT translation mechanism", tables 29-1 to 29-6 in the 2022+
 * numbering; 28.3.2 before). Portable: tables come from hal_page_alloc and
 * are reached through hal_phys_to_virt, so the host unit tests walk exactly
 * what the image would hand to the CPU. The VT-x back-end builds the
 * guest's map with it from the same holes as the NPT. */
#ifndef SHOJI_VMM_EPT_H
#define SHOJI_VMM_EPT_H

#include "lib/types.h"

#define EPT_R (1ULL << 0)
#define EPT_W (1ULL << 1)
#define EPT_X (1ULL << 2)	/* supervisor-mode execute without mode-based control */
#define EPT_MEMTYPE_SHIFT 3	/* bits 5:3 of a leaf */
#define EPT_IGNORE_PAT (1ULL << 6)
#define EPT_LARGE (1ULL << 7)	/* PDPTE: 1 GiB page, PDE: 2 MiB page */
#define EPT_ADDR 0x000ffffffffff000ULL

#define EPT_PERM_MASK (EPT_R | EPT_W | EPT_X)

/* Leaf memory types (29.3.7): UC, WC, WT, WP, WB; 2, 3, 7 are reserved
 * (an EPT misconfiguration). */
#define EPT_MT_UC 0u
#define EPT_MT_WC 1u
#define EPT_MT_WT 4u
#define EPT_MT_WP 5u
#define EPT_MT_WB 6u

#define EPT_LEVELS 4
#define EPT_PAGE_4K (1ULL << 12)
#define EPT_PAGE_2M (1ULL << 21)
#define EPT_PAGE_1G (1ULL << 30)

/* A non-leaf entry: all permissions (the leaf decides). */
uint64_t ept_table_entry(paddr_t table);

/* A leaf at level 1 (4 KiB), 2 (2 MiB) or 3 (1 GiB). perms is a subset of
 * R|W|X; W without R and X without R (execute-only, which shoji does not
 * use) are refused, as are a reserved memory type and an address not
 * aligned to the page. Returns 0 or E_INVAL. */
int ept_leaf_entry(paddr_t pa, unsigned level, uint64_t perms, unsigned memtype,
		   uint64_t *entry);

struct ept {
	paddr_t root;		/* PML4 */
	bool use_2m, use_1g;	/* from IA32_VMX_EPT_VPID_CAP */
	unsigned tables;	/* pages of tables, for the log */
};

/* An empty map. Returns 0 or E_NOMEM. */
int ept_init(struct ept *e, bool use_2m, bool use_1g);

/* Maps [gpa, gpa+size) to [hpa, ...) with perms and memtype, with the
 * largest pages that alignment, the range and the capabilities allow. The
 * range must be 4 KiB aligned, below 2^48, perms must include R (holes
 * are left unmapped: an EPT violation), and not overlap anything mapped
 * before (E_BUSY: the caller decides holes once, mapping twice is a bug).
 * Returns 0, E_INVAL, E_BUSY or E_NOMEM (what was mapped stays mapped). */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms,
	    unsigned memtype);

/* Puts a 4 KiB leaf at gpa, replacing the one there (a stand-in page
 * swapped for another): tables on the way are created; a large page
 * covering gpa is E_BUSY (holes are never inside one). The caller flushes
 * (INVEPT). Returns 0, E_INVAL, E_BUSY or E_NOMEM. */
int ept_set_4k(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t perms, unsigned memtype);

/* The leaf entry translating gpa (any level), 0 when none. */
uint64_t ept_lookup(const struct ept *e, uint64_t gpa, unsigned *level);

/* Frees every table of the map. */
void ept_free(struct ept *e);

#endif
