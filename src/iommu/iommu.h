/* The IOMMU layer: from the DMAR table to translation on, and the devices'
 * attachment to domains (domain.h decides what a domain reaches). */
#ifndef SHOJI_IOMMU_IOMMU_H
#define SHOJI_IOMMU_IOMMU_H

#include "iommu/domain.h"
#include "lib/types.h"
#include "platform/memmap.h"
#include "platform/pci_cfg.h"

struct iommu_config {
	bool enabled;			/* iommu=on */
	const struct memmap *mem;
	paddr_t hv_base, hv_end;	/* the hypervisor region */
	const void *dmar;		/* the firmware's DMAR table, or NULL */
	size_t dmar_len;
};

/* Brings the IOMMU up: parse and check the DMAR, probe the units, protect
 * the region with PMRs where the units have them, build the default domain,
 * attach every PCI device, enable translation. Fails closed: with
 * iommu=on, a missing or unusable DMAR or unit is an error (the caller
 * stops); with iommu=off it says loudly that nothing is protected. */
int iommu_init(const struct iommu_config *c);

bool iommu_active(void);

/* Moves a device into a domain (and back: pass domain_default()). */
int iommu_attach(struct pci_bdf bdf, struct domain *d);

/* Fault events become NMIs to this CPU (see vtd_fault_event_nmi). */
void iommu_fault_events_to_nmi(uint32_t apic_id);
/* Whether any unit has a fault or error to report. */
bool iommu_fault_pending(void);

/* Polls every unit's fault records; returns how many were handled. */
unsigned iommu_poll_faults(void);

/* Units in use, and the register range of unit i (for the guest's NPT). */
unsigned iommu_unit_count(void);
void iommu_unit_regs(unsigned i, paddr_t *start, paddr_t *end);

/* "device=BB:DD.F domain=NAME" lines, one per PCI device (VMMCALL STATUS);
 * returns the length written. */
size_t iommu_devices_text(char *buf, size_t len);

/* One line per PCI device: "iommu device 00:02.0 unit=0 domain=default reach=...". */
void iommu_log_devices(void);

/* The requester id the DMAR gives the IOAPIC with this id; E_NOENT when it
 * lists none (then its interrupts cannot be source-checked). */
struct irq_source;
int iommu_ioapic_source(uint8_t ioapic_id, struct irq_source *out);

#endif
