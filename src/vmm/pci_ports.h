/* The guest's PCI configuration mechanism #1 (PCI Local Bus Spec 3.0,
 * 3.2.2.3.2): ports 0xcf8 (CONFIG_ADDRESS, dword) and 0xcfc-0xcff
 * (CONFIG_DATA), intercepted by the CPU back-end and handed here.
 *
 *  - A dword access to 0xcf8 reads or sets the guest's latch (struct
 *    pci_ports); the hardware's CONFIG_ADDRESS is shoji's. The latch is one
 *    per machine, as the register is: CONFIG_ADDRESS sits in the host
 *    bridge, not in a CPU, so an address one CPU writes is the one another
 *    CPU's data access uses (pci_ports_machine()).
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
#include "vmm/x86_decode.h"

#define PCI_PORTS_FIRST 0xcf8
#define PCI_PORTS_LAST 0xcff

struct pci_ports {
	uint32_t cf8;	/* the guest's CONFIG_ADDRESS */
};

/* The machine's latch, the one every guest CPU's port exits use. Read and
 * written only inside pci_ports_in/out (under pci_cfg_lock). */
struct pci_ports *pci_ports_machine(void);

/* port in [PCI_PORTS_FIRST, PCI_PORTS_LAST], size 1, 2 or 4. */
uint32_t pci_ports_in(struct pci_ports *p, uint16_t port, unsigned size);
void pci_ports_out(struct pci_ports *p, uint16_t port, unsigned size, uint32_t v);

/* The data read that follows a CONFIG_ADDRESS write in Linux's early
 * read_pci_config() (arch/x86/pci/early.c): "mov $0xcfc, %edx" (BA id: MOV
 * r32, imm32, SDM vol. 2B; 32- and 64-bit code only) and "in (%dx), %eax"
 * (ED; 66 ED for AX, EC for AL: IN, SDM vol. 2A), at bytes[0..n). The
 * imm32 must name a data port (0xcfc-0xcff) and the read must end within
 * 0xcff. Returns the length of both instructions (6 or 7) and sets *port
 * and *size; 0 for anything else (the CPU back-end then lets the guest run
 * to the IN, which exits as usual). The back-end performs both in the exit
 * of the CONFIG_ADDRESS write, through pci_ports_in() as the IN's own exit
 * would (docs/apic.md, "Boot: the config reads"). */
unsigned pci_ports_fused_read(const uint8_t *bytes, size_t n, enum x86_mode mode,
			      uint16_t *port, unsigned *size);

#endif
