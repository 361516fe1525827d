/* MSI capabilities of passthrough functions, virtualised (PCI Local Bus
 * 3.0, 6.8.1): the guest's message address, upper address, data and mask
 * bits are kept by shoji and read back as written; the function itself
 * holds shoji's remappable-format message for its own remapping handles
 * (iommu/irq_remap.h), made at boot. Each time the guest enables MSI or
 * changes the message while enabled, irq_policy_check() decides; allowed,
 * the handles deliver what the guest asked (vector, destination, trigger;
 * multiple messages: one handle per message); refused, the handles stay
 * blocked, the mask bits (where the function has them) stay set and the
 * refusal is logged (vmm/irq_log.h). The control register passes through
 * (enable, multiple message enable); pending bits are read from the device.
 * No exit per interrupt: only configuration writes trap.
 *
 * The contract for every guest config-space path (CF8/CFC today; ECAM when
 * the guest gets it): a write to a dword for which msi_virt_owns() is true
 * goes to msi_virt_write() and never to the device; any other write goes
 * to the device and then to msi_virt_after_write(); every read is passed
 * through msi_virt_read_fixup(). msi_virt_function() tells which functions
 * have such dwords: their ECAM pages must trap reads as well as writes. */
#ifndef SHOJI_VMM_MSI_VIRT_H
#define SHOJI_VMM_MSI_VIRT_H

#include "lib/types.h"
#include "platform/pci_cfg.h"

#define MSI_VIRT_MAX 32

/* Every enumerated function with an MSI capability: handles, the device
 * programmed with shoji's message. Needs interrupt remapping on. Returns
 * the number of functions, or a negative error. */
int msi_virt_init(void);

bool msi_virt_function(struct pci_bdf bdf);
bool msi_virt_owns(struct pci_bdf bdf, uint16_t off);
/* off/size as the guest accessed them (size 1, 2, 4, not crossing a dword). */
void msi_virt_write(struct pci_bdf bdf, uint16_t off, int size, uint32_t value);
void msi_virt_after_write(struct pci_bdf bdf, uint16_t off, int size);
uint32_t msi_virt_read_fixup(struct pci_bdf bdf, uint16_t off, int size, uint32_t hw);

#endif
