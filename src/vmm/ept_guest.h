/* The guest's EPT (Intel VT-x): the identity map of [0, top) that the
 * protected-range registry (vmm/protect.h) shapes, exactly as it shapes the
 * NPT on SVM (arch/x86/npt.h):
 *  - a range that forbids CPU reads is a hole (unmapped: an EPT violation).
 *    The guest's first touch of a page there is backed by a stand-in: the
 *    shared zero page, read-only, for a read; the shared sink page,
 *    read-write, for a write. Stand-ins are never executable; an
 *    instruction fetch there stops the guest;
 *  - an emulated range (mmio != NULL) is a hole too when it forbids reads,
 *    otherwise its real pages are mapped read-only: the accesses it forbids
 *    exit and go to its emulator (never to a stand-in);
 *  - a range that allows reads but forbids writes or execution maps the
 *    real pages without W or X.
 * Memory types: with EPT the guest's MTRRs no longer apply, the leaf's type
 * takes their role (SDM vol. 3C 29.3.7.2), so RAM in the memory map
 * (usable, ACPI) is write-back and everything else (MMIO, ROM, holes in
 * the map, above it) uncacheable; a page only partly RAM is uncacheable.
 * The guest's PAT still combines with it (IPAT is clear).
 * Portable (vmm/ept.h underneath), host unit tests in tests/unit/test_ept.c. */
#ifndef SHOJI_VMM_EPT_GUEST_H
#define SHOJI_VMM_EPT_GUEST_H

#include "lib/types.h"
#include "platform/memmap.h"
#include "vmm/ept.h"
#include "vmm/protect.h"

struct ept_guest {
	struct ept ept;
	paddr_t zero_page, sink_page;	/* the stand-ins */
	uint64_t touches;		/* stand-ins put in */
	unsigned leaves;		/* ranges mapped at build (for the log) */
};

/* Whether range r shapes the CPU's second-level map, and the accesses that
 * map allows on its real pages (a subset of PROTECT_CPU_READ | _WRITE |
 * _EXEC; without READ it is a hole). */
bool ept_guest_shapes(const struct protected_range *r);
unsigned ept_guest_allowed(const struct protected_range *r);

/* Builds the map of [0, top) from the registry as it is now and the memory
 * map m (for memory types). Returns 0, E_INVAL (top not 4 KiB aligned or
 * 0) or E_NOMEM. */
int ept_guest_build(struct ept_guest *g, const struct memmap *m, uint64_t top, bool use_2m,
		    bool use_1g);

/* Frees the tables and the stand-in pages (unit tests; the guest's map
 * lives as long as shoji). */
void ept_guest_free(struct ept_guest *g);

/* The emulated range containing gpa, or NULL. */
const struct protected_range *ept_guest_mmio_range(paddr_t gpa);

enum ept_guest_fault {
	EPT_GUEST_HANDLED,	/* a stand-in now backs gpa: flush (INVEPT), resume */
	EPT_GUEST_EXEC,		/* instruction fetch from a protected range: stop */
	EPT_GUEST_UNEXPECTED,	/* not a range shoji expects violations in */
};

/* An EPT violation at gpa outside every emulated range (the exit
 * qualification's access: write, fetch; else a read). */
enum ept_guest_fault ept_guest_violation(struct ept_guest *g, paddr_t gpa, bool write,
					 bool fetch);

#endif
