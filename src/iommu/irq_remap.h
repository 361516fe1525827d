/* Interrupt remapping, back-end neutral: what the guest-facing interrupt
 * virtualisation (src/vmm/irq_policy.h, msi_virt.h, ioapic_virt.h) asks of
 * the IOMMU. shoji owns one remapping table; every interrupt source the
 * guest can program (a function's MSI/MSI-X messages, an IOAPIC pin) gets
 * its own handles in it, made at boot with the source's requester-ID check.
 * The device is programmed once, by shoji, with a message that names its
 * handle; what the guest asks for only ever changes the entry behind it,
 * and only after irq_policy_check() allowed it. An entry that is not
 * present blocks the interrupt (the unit records a fault).
 *
 * This file keeps the handles (who owns which, with which source check,
 * present or not); how an entry is encoded, where it lives and how the
 * unit is told is the back-end's (struct irq_remap_ops): VT-d in
 * src/iommu/vtd_ir.c (one shared IRTE table, remappable MSI and IOAPIC
 * formats), AMD-Vi in src/iommu/amdvi_ir.c (a table per requester ID; an
 * IOAPIC's indexed by the guest's vector). */
#ifndef SHOJI_IOMMU_IRQ_REMAP_H
#define SHOJI_IOMMU_IRQ_REMAP_H

#include "lib/types.h"
#include "platform/pci_cfg.h"

/* Who may send through a handle (checked by the unit on every request). */
enum irq_source_kind {
	IRQ_SRC_RID,		/* exactly this requester id */
	IRQ_SRC_BUS_RANGE,	/* any requester on buses bus_first..bus_last
				   (a device behind a PCIe-to-PCI bridge: the
				   bridge may take the requests over) */
};

struct irq_source {
	uint8_t kind;		/* enum irq_source_kind */
	uint16_t rid;		/* bus << 8 | dev << 3 | fn */
	uint8_t bus_first, bus_last;
};

/* Delivery modes shoji programs (Intel SDM 3A 10.11.2 encoding). */
#define IRQ_DLM_FIXED 0
#define IRQ_DLM_LOWEST 1

/* What one remapping entry delivers: always a physical destination, one
 * CPU of the guest's. */
struct irq_route {
	uint8_t vector;
	uint8_t delivery;	/* IRQ_DLM_FIXED or IRQ_DLM_LOWEST */
	bool level;		/* trigger mode */
	uint32_t dest_apic_id;
};

#define IRQ_REMAP_ENTRIES 256	/* one 4 KiB table of 16-byte entries */

/* What an IOMMU back-end does for interrupt remapping. Handles are
 * 0 .. IRQ_REMAP_ENTRIES-1 and mean the same entry on every unit. */
struct irq_remap_ops {
	const char *name;		/* "vtd", "amdvi" */
	/* Tables installed and remapping on in every unit, every entry not
	 * present (blocking). E_UNSUPPORTED when a unit cannot remap. */
	int (*enable)(void);
	/* Makes handle deliver route (present) with src as its requester
	 * check, or blocks it (route NULL), and invalidates the units'
	 * cached copies before returning. */
	int (*write)(uint16_t handle, const struct irq_source *src, const struct irq_route *route);
	/* The message a PCI function sends to use handle. */
	void (*msi_message)(uint16_t handle, uint64_t *addr, uint32_t *data);
	/* An IOAPIC redirection entry that sends through handle. */
	uint64_t (*ioapic_rte)(uint16_t handle, uint8_t vector, bool level, bool active_low,
			       bool masked);
	/* Optional: handles first .. first+count-1 now belong to src (called
	 * by irq_remap_alloc; AMD-Vi points src's device table entry at its
	 * remapping table here, every entry blocking). */
	int (*claim)(uint16_t first, unsigned count, const struct irq_source *src);
	/* Optional: the source now sends what ioapic_rte/msi_message gave for
	 * handle's current entry, so entries it used before may go (AMD-Vi's
	 * IOAPIC entries move with the guest's vector, see amdvi_ir.c). */
	int (*commit)(uint16_t handle, const struct irq_source *src);
};

/* Called by the IOMMU bring-up once translation is on, with its back-end's
 * operations: enable(), then handles can be allocated. E_UNSUPPORTED when a
 * unit cannot remap (then nothing is on). */
int irq_remap_init(const struct irq_remap_ops *ops);
bool irq_remap_active(void);

/* count consecutive handles for one source, all not present. A power-of-two
 * count (multi-message MSI) starts at a multiple of itself: the function
 * puts the message number in the low bits of the data it sends. */
int irq_remap_alloc(unsigned count, const struct irq_source *src, const char *owner,
		    uint16_t *first);
/* Makes handle deliver route (present), or blocks it (not present). */
int irq_remap_set(uint16_t handle, const struct irq_route *route);
int irq_remap_block(uint16_t handle);
/* The source has been programmed with handle's message or redirection
 * entry as irq_remap_set left it: what it used before may be released. */
int irq_remap_commit(uint16_t handle);
bool irq_remap_present(uint16_t handle);

/* The message a PCI function sends to use handle (multi-message MSI adds
 * the message number to the data, which selects handle + n). */
void irq_remap_msi_message(uint16_t handle, uint64_t *addr, uint32_t *data);
/* An IOAPIC redirection entry that sends through handle; vector and
 * trigger stay in the entry because the IOAPIC matches EOIs by vector. */
uint64_t irq_remap_ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			      bool masked);

/* The source check for a PCI function: its own requester id, or the alias
 * a bridge above it makes (rules in irq_remap.c). */
struct irq_source irq_source_of(struct pci_bdf bdf);


#endif
