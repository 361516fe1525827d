/* The IOMMU layer: from the firmware's table (DMAR or IVRS) to translation
 * on, and the devices' attachment to domains (domain.h decides what a
 * domain reaches). Back-end neutral; the back-ends are behind
 * iommu_backend.h. */
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
	const void *ivrs;		/* the firmware's IVRS table, or NULL */
	size_t ivrs_len;
};

/* Brings the IOMMU up: picks the back-end from the tables (DMAR -> VT-d,
 * IVRS -> AMD-Vi), parses and checks its table, probes the units, protects
 * the region during bring-up where the units can, builds the default
 * domain, attaches every PCI device, enables translation. Fails closed:
 * with iommu=on, no usable table or unit is an error (the caller stops);
 * with iommu=off it says loudly that nothing is protected. */
int iommu_init(const struct iommu_config *c);

bool iommu_active(void);
/* "vtd", "amdvi", or "none" before iommu_init chose one. */
const char *iommu_backend_name(void);

/* Moves a device into a domain (and back: pass domain_default()). */
int iommu_attach(struct pci_bdf bdf, struct domain *d);

/* Fault events become NMIs to this CPU (VT-d: FEDATA; AMD-Vi: its MSI). */
void iommu_fault_events_to_nmi(uint32_t apic_id);
/* Whether any unit has a fault or error to report. */
bool iommu_fault_pending(void);

/* Whether the IOMMU reports faults: VT-d always; AMD-Vi once its event log
 * has delivered an entry (an event log that never does, as in QEMU 7.2's
 * model, cannot be told apart from no faults). */
bool iommu_faults_reported(void);

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

/* The requester id the DMAR (IOAPIC scope) or IVRS (special entry) gives
 * the IOAPIC with this id; E_NOENT when it lists none (then its interrupts
 * cannot be source-checked). */
struct irq_source;
int iommu_ioapic_source(uint8_t ioapic_id, struct irq_source *out);
/* The same for the HPET with this HPET number (DMAR HPET scope, IVRS
 * special HPET entry); E_NOENT when the table names none. */
int iommu_hpet_source(uint8_t hpet_number, struct irq_source *out);

#endif
