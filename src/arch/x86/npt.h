/* Nested page tables for the guest (AMD APM vol. 2, 15.25): guest-physical
 * == host-physical everywhere, except forbidden pages (the hypervisor
 * region, the IOMMU's registers, the PCI ECAM window), which start out
 * not present. The guest's first touch of a forbidden page exits (#NPF):
 * shoji logs it and backs the page with a shared zero page (read-only, for
 * reads) or a shared sink page (for writes), so the guest sees nothing of
 * the hypervisor, its writes land nowhere that matters, and no instruction
 * has to be decoded or emulated. */
#ifndef SHOJI_ARCH_X86_NPT_H
#define SHOJI_ARCH_X86_NPT_H

#include "lib/types.h"
#include "vmm/mmio_emul.h"

#define NPT_MAX_HOLES 16

/* A hole is either forbidden memory (mmio == NULL: backed lazily by the
 * zero/sink pages) or a device shoji emulates or intercepts (mmio != NULL:
 * every access exits and is emulated through mmio->read/write, or only
 * writes do when reads_pass is set). */
struct npt_hole {
	paddr_t start, end;	/* 4 KiB aligned */
	const char *what;	/* for the log: "hypervisor-region", ... */
	const struct mmio_ops *mmio;
	void *ctx;
	/* With mmio: the page is mapped read-only to the real device, so the
	 * guest's reads reach it without an exit and only writes fault (for
	 * registers whose reads have no side effects and reveal nothing). */
	bool reads_pass;
};

/* Builds the tables for [0, top) minus the holes; returns the root (nCR3)
 * or 0 when out of memory. */
paddr_t npt_build(uint64_t top, const struct npt_hole *holes, unsigned n);

/* The intercepted-device hole containing gpa, or NULL. */
const struct npt_hole *npt_mmio_hole(paddr_t gpa);

/* A nested page fault at gpa (exit_info1 = error code) in forbidden
 * memory. Returns true when it hit such a hole and was handled (the page
 * now backed by zero/sink), false when the fault is not one shoji expects. */
bool npt_handle_fault(paddr_t gpa, uint64_t error_code);

/* Counters for the VMMCALL status and tests. */
uint64_t npt_hole_touches(void);
uint64_t npt_table_pages(void);

#endif
