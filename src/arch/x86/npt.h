/* Nested page tables for the guest (AMD APM vol. 2, 15.25): guest-physical
 * == host-physical everywhere, except the ranges the protected-range
 * registry (vmm/protect.h) forbids to the CPU or gives to an emulator:
 *  - an emulated range (mmio != NULL): the CPU accesses it forbids exit
 *    and are emulated through its mmio->read/write; when it forbids writes
 *    but not reads, it is mapped read-only to the device, so reads reach
 *    it without an exit (the APIC window);
 *  - a range that forbids CPU reads starts out not present. The guest's
 *    first touch exits (#NPF): shoji logs it and backs the page with a
 *    shared zero page (read-only, for reads) or a shared sink page (for
 *    writes), so the guest sees nothing of what is there and its writes land
 *    nowhere that matters. Stand-in pages are never executable (NX): an
 *    instruction fetch from a protected range stops the guest;
 *  - a range that allows reads but forbids writes (or execution) maps the
 *    real pages read-only (or NX).
 * The host must run with EFER.NXE (svm_init sets it) for NX to count in
 * nested entries (APM 15.25.5: nested walks use the host's paging mode). */
#ifndef SHOJI_ARCH_X86_NPT_H
#define SHOJI_ARCH_X86_NPT_H

#include "lib/types.h"
#include "vmm/protect.h"

/* Builds the tables for [0, top) from the registry as it is now; returns
 * the root (nCR3) or 0 when out of memory. The memory map is not needed:
 * the memory types come from the guest's PAT and MTRR view (APM 15.25.8). */
struct memmap;
paddr_t npt_build(const struct memmap *m, uint64_t top);

/* The emulated range containing gpa, or NULL. */
const struct protected_range *npt_mmio_hole(paddr_t gpa);

/* Nested page fault error code bits (EXITINFO1, APM 15.25.6: as a #PF
 * error code). */
#define NPF_WRITE (1ULL << 1)
#define NPF_FETCH (1ULL << 4)

enum npt_fault {
	NPT_FAULT_HANDLED,	/* a stand-in page now backs gpa: resume */
	NPT_FAULT_EXEC,		/* instruction fetch from a protected range: stop */
	NPT_FAULT_UNEXPECTED,	/* not a protected range shoji expects faults in */
};

/* A nested page fault at gpa (exit_info1 = error code, APM 15.25.6). */
enum npt_fault npt_handle_fault(paddr_t gpa, uint64_t error_code);

/* Serves the guest's reads of one 4 KiB page of an emulated range from
 * `page`, a page of hypervisor memory that the emulator keeps current
 * (read-only and not executable: writes and fetches still exit), or,
 * page == 0, makes every access to it exit again. For an emulator that
 * keeps what reads would return (the AHCI register image, docs/ahci.md).
 * E_INVAL unless gpa is page aligned and inside an emulated range that
 * traps reads, and page is page aligned inside a range the guest may not
 * read (the hypervisor's memory). Bumps the generation (every vCPU
 * flushes at its next VMRUN); the back-end's set_read_page also makes CPUs
 * in the guest exit before it returns (svm: npt_shootdown). */
int npt_set_read_page(paddr_t gpa, paddr_t page);


/* Counters for the VMMCALL status and tests. */
uint64_t npt_hole_touches(void);
uint64_t npt_table_pages(void);

/* Bumped by every change npt_handle_fault makes (on any CPU): a vCPU whose
 * last VMRUN saw an older value flushes its TLB before the next one. */
uint64_t npt_generation(void);

#endif
