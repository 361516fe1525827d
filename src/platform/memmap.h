/* The physical memory map: what the boot loader reported (e820 / Multiboot
 * memory map), made sorted and non-overlapping, with the hypervisor region
 * carved out of it. The guest's e820 and the identity NPT / IOMMU default
 * domain are derived from it.
 *
 * Usage:
 *	memmap_init(&m);
 *	for each boot loader entry: memmap_add(&m, base, len, type);
 *	memmap_sanitize(&m);
 *	memmap_find_top(&m, size, MiB(2), GiB(4), excl, n_excl, &hv_base);
 *	memmap_set(&m, hv_base, hv_base + size, MEM_HYPERVISOR);
 *	memmap_log(&m);
 *
 * Functions that read the map (find_top, total, top, log) expect it to be
 * sanitized; memmap_set and memmap_sanitize leave it sanitized.
 *
 * Not thread-safe (one static scratch buffer): the map is built at boot on
 * one CPU. */
#ifndef SHOJI_PLATFORM_MEMMAP_H
#define SHOJI_PLATFORM_MEMMAP_H

#include "lib/types.h"

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
	MEM_HYPERVISOR = 100,
};

struct mem_range {
	paddr_t base;
	paddr_t end;		/* exclusive */
	enum mem_type type;
};

#define MEMMAP_MAX 128

struct memmap {
	struct mem_range r[MEMMAP_MAX];
	unsigned n;
	bool truncated;		/* information had to be dropped to fit */
};

void memmap_init(struct memmap *m);

/* Add a range as the boot loader reported it (e820 types 1..5; unknown
 * types are treated as reserved; MEM_HYPERVISOR is accepted as itself).
 * Zero length is ignored; an end past 2^64 is clamped to UINT64_MAX.
 * Ranges are stored as given until memmap_sanitize; when the array is full
 * the map is sanitized first (without page trimming) and, if it still does
 * not fit, usable entries are dropped (never restrictive information; see
 * memmap.c), truncated is set and a warning logged. Returns 0, or E_INVAL
 * for a NULL map. */
int memmap_add(struct memmap *m, paddr_t base, uint64_t len, uint32_t type);

/* Make the map sorted and non-overlapping: where ranges overlap the more
 * restrictive type wins (usable < acpi-reclaim < acpi-nvs < reserved < bad
 * < hypervisor), adjacent ranges of one type merge. Usable RAM is trimmed to
 * whole 4 KiB pages (base rounded up, end rounded down); a usable range with
 * no whole page disappears. */
void memmap_sanitize(struct memmap *m);

/* Mark [base,end) as type, overriding whatever was there (splitting ranges
 * as needed), then sanitize. end == base is a no-op (the map is still
 * sanitized); end < base or an invalid type is E_INVAL. Returns 0. */
int memmap_set(struct memmap *m, paddr_t base, paddr_t end, enum mem_type type);

/* Highest [b, b+size) with b aligned to `align` (a power of two; 0 means
 * 1), b+size <= limit, lying entirely in one MEM_USABLE range and
 * overlapping none of the `n_excl` exclusion ranges (the loaded image, boot
 * modules, multiboot info; their types are ignored, empty ones skipped).
 * Returns 0 and *out = b, E_NOMEM when nothing fits, E_INVAL for size 0 or
 * a bad alignment. */
int memmap_find_top(const struct memmap *m, uint64_t size, uint64_t align,
		    paddr_t limit, const struct mem_range *excl, unsigned n_excl,
		    paddr_t *out);

/* Bytes of the given type. */
uint64_t memmap_total(const struct memmap *m, enum mem_type type);

/* End of the highest range of any type (0 for an empty map). */
paddr_t memmap_top(const struct memmap *m);

/* "usable", "reserved", "acpi-reclaim", "acpi-nvs", "bad", "hypervisor";
 * "unknown" otherwise. */
const char *memmap_type_name(enum mem_type t);

/* The type a range in [base,end) has: the type of the range containing
 * every byte of it, or 0 when it is not covered by a single range (additions
 * to the API: handy for checks such as "is this all usable"). */
enum mem_type memmap_type_of(const struct memmap *m, paddr_t base, paddr_t end);

/* Log the map for the boot report, one line per range:
 *   memmap base=0x%016llx end=0x%016llx size=0x%llx type=%s
 * (end exclusive). */
void memmap_log(const struct memmap *m);

#endif
