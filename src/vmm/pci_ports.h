/* The guest's PCI configuration mechanism #1 (PCI Local Bus Spec 3.0,
 * 3.2.2.3.2): ports 0xcf8 (CONFIG_ADDRESS, dword) and 0xcfc-0xcff
 * (CONFIG_DATA), intercepted by the CPU back-end and handed here.
 *
 *  - A dword access to 0xcf8 reads or sets the vCPU's own latch (struct
 *    pci_ports, per CPU); the hardware's CONFIG_ADDRESS is shoji's.
 *  - A data access with the latch enabled (bit 31) is replayed on the
 *    hardware: CONFIG_ADDRESS is written from the latch, then the data port
 *    accessed with the guest's size and byte offset. Reads and writes go
 *    through the same path as the ECAM window's (vmm/pci_guard.h:
 *    pci_guard_read, pci_guard_write_to_device, pci_guard_written): hidden
 *    functions read all-ones, MSI dwords shoji keeps go to vmm/msi_virt.h,
 *    other writes are checked by the PCI guard; a refused write is dropped.
 *  - A data access with the latch disabled reads all-ones, writes nothing.
 *  - Anything else in 0xcf8-0xcff (a byte or word at 0xcf8-0xcfb, e.g. the
 *    reset control register at 0xcf9) goes to the hardware unchanged.
 * Portable (hal port I/O), unit-tested (tests/unit/test_protect.c: the ports over a modelled bus). */
#ifndef SHOJI_VMM_PCI_PORTS_H
#define SHOJI_VMM_PCI_PORTS_H

#include "lib/types.h"

#define PCI_PORTS_FIRST 0xcf8
#define PCI_PORTS_LAST 0xcff

struct pci_ports {
	uint32_t cf8;	/* the guest's CONFIG_ADDRESS */
};

/* port in [PCI_PORTS_FIRST, PCI_PORTS_LAST], size 1, 2 or 4. */
uint32_t pci_ports_in(struct pci_ports *p, uint16_t port, unsigned size);
void pci_ports_out(struct pci_ports *p, uint16_t port, unsigned size, uint32_t v);

#endif
