/* The IOAPIC, virtualised (82093AA datasheet 3.0-3.2; QEMU's is version
 * 0x20 with an EOI register): its MMIO page is an NPT hole emulated here.
 * IOREGSEL is kept per IOAPIC; ID, version and arbitration registers are
 * the hardware's; every redirection entry the guest writes is kept and
 * read back as written (delivery status and remote IRR from the hardware),
 * checked by irq_policy_check(), and the hardware entry gets the entry the
 * IOMMU back-end makes for the pin's own remapping handle (VT-d: the
 * remappable format naming the handle; AMD-Vi: the guest's vector, which
 * is the index in the IOAPIC's table; both keep the guest's vector and
 * trigger mode: EOIs are matched by vector), masked while the guest's
 * entry is masked or refused. A refusal is logged (vmm/irq_log.h).
 * The EOI register passes through. Nothing traps per interrupt: Linux
 * reaches the IOAPIC only to program or mask pins. */
#ifndef SHOJI_VMM_IOAPIC_VIRT_H
#define SHOJI_VMM_IOAPIC_VIRT_H

#include "lib/types.h"
#include "vmm/mmio_emul.h"

#define IOAPIC_VIRT_MAX 4
#define IOAPIC_MAX_PINS 120	/* version register bits 23:16 + 1 at most */

/* One IOAPIC at base with this id (MADT) whose requests carry the
 * requester id in src (the DMAR's IOAPIC scope, the IVRS special entry): every hardware entry
 * masked in remappable format, handles allocated. Needs interrupt
 * remapping on. */
struct irq_source;
int ioapic_virt_add(uint8_t id, paddr_t base, const struct irq_source *src);

/* Forgets every IOAPIC (host unit tests start from nothing). */
void ioapic_virt_reset(void);

/* MMIO callbacks for the hole; ctx is what ioapic_virt_ctx() returns. */
extern const struct mmio_ops ioapic_mmio_ops;
void *ioapic_virt_ctx(unsigned i);
unsigned ioapic_virt_count(void);
paddr_t ioapic_virt_base(unsigned i);

#endif
