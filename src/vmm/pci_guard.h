/* The guest's writes to PCI configuration space: passed through, except
 * those that would defeat the IOMMU or the protected-range registry:
 *  - a bridge's primary/secondary/subordinate bus numbers: they define the
 *    requester ids the IOMMU's context entries are keyed by;
 *  - any write after which an address decoder of the function would decode
 *    over a range the registry marks PROTECT_BAR (vmm/protect.h): a memory
 *    or I/O BAR (32- or 64-bit, either half written first, sizing writes of
 *    all-ones included: the BAR then holds its size mask, an address too),
 *    the expansion ROM BAR, a bridge's I/O, memory and prefetchable (64-bit)
 *    windows. A decoder counts when it is enabled after the write: memory
 *    or I/O space enable in the command register (PCI 3.0 6.2.2), the ROM's
 *    own enable bit (6.2.5.2), a window's base <= limit (PCI-to-PCI Bridge
 *    1.2, 3.2.5). So BARs may be moved and sized freely with decoding off
 *    (as Linux does); the command write that turns decoding on is checked
 *    against every BAR, ROM and window as they are then;
 *  - a write that moves the BAR owning an emulated range (the intercepted
 *    disk's registers): it is pinned where it is (sizing passes);
 *  - a chipset register that shapes the memory map or SMM (PCIEXBAR, PAM,
 *    SMRAM, RCBA, ...: the table in vmm/chipset_guard.c), asked first.
 * Everything is judged on the function's live configuration, read through
 * platform/pci_cfg.h at the time of the write (never a boot-time copy);
 * only BAR types and sizes, which the hardware fixes, come from
 * enumeration. A refused write is dropped and logged; the guest reads the
 * register back unchanged, as if the device ignored it. */
#ifndef SHOJI_VMM_PCI_GUARD_H
#define SHOJI_VMM_PCI_GUARD_H

#include "platform/pci_cfg.h"

void pci_guard_reset(void);

/* Whether the guest may write `size` bytes (1, 2, 4) of `value` at config
 * offset `off` of bdf; `current` is the dword at (off & ~3) as it is now. */
bool pci_guard_allows(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
		      uint32_t current);

uint64_t pci_guard_refusals(void);

/* ---- One path for every guest configuration access (CF8/CFC in
 * vmm/pci_ports.c, the ECAM window in vmm/ecam_guard.c): both call these,
 * so a write refused through one mechanism is refused through the other. */

/* A function the registry hides (protect_add_pci_function: the AMD IOMMU's
 * own PCI function) reads all-ones (no device, PCI 3.0 6.1) and drops
 * writes, through the ports and through ECAM alike.
 *
 * Whether the guest's config READS of bdf must be seen by shoji (hidden
 * functions, functions whose MSI capability vmm/msi_virt.h virtualises):
 * their ECAM page is not mapped for the guest, every access traps. */
bool pci_guard_reads_trapped(struct pci_bdf bdf);

/* What the guest reads: `hw` is what the device returned for `size` bytes
 * at `off` (all-ones for a hidden function, msi_virt's fix-up applied). */
uint32_t pci_guard_read(struct pci_bdf bdf, uint16_t off, int size, uint32_t hw);

/* A guest write of `size` bytes at `off`: false when it must not reach the
 * device (a hidden function: dropped, the first 4 logged; an MSI dword shoji keeps:
 * given to msi_virt_write; pci_guard_allows() refused it). When true the
 * caller writes the device, then calls pci_guard_written(). `current` is
 * the dword at (off & ~3) as it is now. */
bool pci_guard_write_to_device(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
			       uint32_t current);
void pci_guard_written(struct pci_bdf bdf, uint16_t off, int size);

#endif
