/* The guest's PCI Express configuration window (ECAM: PCI Express Base 4.0
 * 7.2.2; ranges from the ACPI MCFG, PCI Firmware 3.2 4.1.2). The guest keeps
 * the MCFG and uses the window as on bare metal. The window is registered
 * with protect_add_emulated (vmm/protect.h): the nested mapping is
 * read-only, so configuration reads cost no exit, and every write faults,
 * is decoded by the MMIO emulator (vmm/mmio_emul.h) and runs through the
 * same path as the CF8/CFC ports (vmm/pci_guard.h: pci_guard_write_to_device,
 * i.e. hidden functions, msi_virt, chipset guard, BAR/bridge guard). The
 * pages of functions whose reads shoji must see (pci_guard_reads_trapped:
 * hidden functions, MSI-virtualised ones) are not mapped: their reads trap
 * too and give pci_guard_read()'s answer. Portable: the window is reached
 * through hal_mmio_*; unit-tested in tests/unit/test_vmm.c. */
#ifndef SHOJI_VMM_ECAM_GUARD_H
#define SHOJI_VMM_ECAM_GUARD_H

#include "lib/types.h"
#include "vmm/mmio_emul.h"

#define ECAM_GUARD_MAX 8

struct ecam_window {
	paddr_t base;		/* MCFG base: bus 0's config space, even if bus_start > 0 */
	uint16_t seg;
	uint8_t bus_start, bus_end;
};

/* Registers a window; returns its context for ecam_mmio_ops, or NULL (more
 * than ECAM_GUARD_MAX, a bus range that is empty, a base not 1 MiB aligned). */
struct ecam_window *ecam_guard_add(uint16_t seg, paddr_t base, uint8_t bus_start,
				   uint8_t bus_end);
void ecam_guard_reset(void);

/* [start, end) of the window's buses. */
paddr_t ecam_window_start(const struct ecam_window *w);
paddr_t ecam_window_end(const struct ecam_window *w);

/* MMIO callbacks (ctx = the window): accesses of 1, 2 or 4 bytes within one
 * config dword; 8 bytes as two dwords when dword aligned; anything that
 * crosses a dword is refused (PCIe 7.2.2: a configuration request is within
 * one DW): a write is dropped and logged, a read gives all-ones.
 * reads_trapped: whether a page of [start, end) belongs to a function whose
 * reads must trap. */
extern const struct mmio_ops ecam_mmio_ops;

/* Writes refused here for their shape (pci_guard_refusals counts the rest). */
uint64_t ecam_guard_malformed(void);

#endif
