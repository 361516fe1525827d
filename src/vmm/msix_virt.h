/* MSI-X tables of passthrough functions, virtualised (PCI Local Bus 3.0,
 * 6.8.2): the pages of the BAR that hold a function's table are NPT holes
 * emulated here (the rest of the BAR, the PBA included when it has pages of
 * its own, stays passed through; other registers on a table page are
 * forwarded to the device). Every table entry the guest writes (address,
 * upper address, data, vector control) is kept and read back as written;
 * the device's entry holds shoji's remappable-format message for the
 * entry's own remapping handle, made at launch, and stays masked unless the
 * guest's entry is unmasked, MSI-X is enabled, the function is not masked
 * and irq_policy_check() allowed the guest's message; a refusal is logged
 * (vmm/irq_log.h). The table's BAR is pinned (it may not move under the
 * holes). The message control register passes through; a config write to it
 * must be followed by msix_virt_after_write(). Only programming traps: no
 * exit per interrupt. */
#ifndef SHOJI_VMM_MSIX_VIRT_H
#define SHOJI_VMM_MSIX_VIRT_H

#include "lib/types.h"
#include "platform/pci_cfg.h"
#include "vmm/mmio_emul.h"

#define MSIX_VIRT_MAX 8
#define MSIX_MAX_ENTRIES 64	/* per function; more is refused at launch */

/* Every enumerated function with an MSI-X capability and a usable table
 * BAR. Needs interrupt remapping. Returns the number of functions or a
 * negative error. */
int msix_virt_init(void);

unsigned msix_virt_count(void);
/* The table pages of function i: [*start, *end), 4 KiB aligned. */
void msix_virt_table_pages(unsigned i, paddr_t *start, paddr_t *end);
void *msix_virt_ctx(unsigned i);
extern const struct mmio_ops msix_mmio_ops;

void msix_virt_after_write(struct pci_bdf bdf, uint16_t off, int size);

#endif
