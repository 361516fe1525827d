/* The guest's writes to PCI configuration space: passed through, except
 * those that would defeat the IOMMU (one place decides):
 *  - a bridge's primary/secondary/subordinate bus numbers: they define the
 *    requester ids the IOMMU's context entries are keyed by;
 *  - a memory BAR (or expansion ROM) placed over forbidden memory (the
 *    hypervisor region, the IOMMU's registers);
 *  - a chipset register that shapes the memory map or SMM (PCIEXBAR, PAM,
 *    SMRAM, RCBA, ...: the table in vmm/chipset_guard.c).
 * A refused write is dropped and logged; the guest reads the register back
 * unchanged, as if the device ignored it. BAR sizing (all-ones) passes. */
#ifndef SHOJI_VMM_PCI_GUARD_H
#define SHOJI_VMM_PCI_GUARD_H

#include "platform/pci_cfg.h"

#define PCI_GUARD_MAX_RANGES 8

void pci_guard_reset(void);
int pci_guard_forbid(paddr_t start, paddr_t end, const char *what);

/* Whether the guest may write `size` bytes (1, 2, 4) of `value` at config
 * offset `off` of bdf; `current` is the dword at (off & ~3) as it is now. */
bool pci_guard_allows(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
		      uint32_t current);

uint64_t pci_guard_refusals(void);

/* The BAR (index 0-5) of a device shoji emulates stays where it is: any
 * write that would move it is refused (sizing passes). */
int pci_guard_pin_bar(struct pci_bdf bdf, unsigned bar, const char *what);

#endif
