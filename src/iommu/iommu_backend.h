/* The IOMMU back-end interface: what the generic bring-up (iommu.c) asks of
 * one kind of IOMMU. VT-d (vtd_backend.c, from the DMAR) and AMD-Vi
 * (amdvi.c, from the IVRS) are the two instances; iommu.c picks one from
 * the firmware tables and keeps the order and the domain policy
 * (domain.c: who may reach what), which are the same for both.
 *
 * Calls come in this order, each only after the previous succeeded:
 *   probe -> geometry -> (domains built) -> check_firmware_maps -> setup ->
 *   unit_of/attach for every PCI function -> enable -> irq_ops
 * and later, while the guest runs: attach (moving a device), poll_faults,
 * fault_pending, fault_events_to_nmi. A back-end that misses a hardware
 * deadline marks that unit broken and returns an error; iommu.c stops. */
#ifndef SHOJI_IOMMU_IOMMU_BACKEND_H
#define SHOJI_IOMMU_IOMMU_BACKEND_H

#include "iommu/domain.h"
#include "iommu/iommu.h"
#include "iommu/irq_remap.h"
#include "lib/types.h"
#include "platform/pci_cfg.h"

struct iommu_backend {
	const char *name;	/* "vtd", "amdvi": the log's and VMMCALL's name */
	const char *table;	/* the firmware table it reads: "DMAR", "IVRS" */
	/* Parses and checks the firmware table, probes every unit, registers
	 * each unit's registers (and, on AMD-Vi, its own PCI function) in the
	 * protected-range registry, guards the hypervisor region where the
	 * unit can before translation is on, and turns off what firmware left
	 * on. Fails closed: anything unusable is an error. */
	int (*probe)(const struct iommu_config *c);
	/* Fills dc with what every unit supports (table format and depth,
	 * superpages, coherence, address width); need is the highest address
	 * a device may have to reach. */
	int (*geometry)(uint64_t need, struct domain_config *dc);
	/* Firmware-required mappings (RMRR, IVMD unity and exclusion ranges)
	 * checked against the built default domain; conflicts with protected
	 * memory are reported and the region wins. */
	int (*check_firmware_maps)(const struct iommu_config *c);
	/* Root/device tables, command or invalidation queue, event log; every
	 * requester ID blocked until attached. Translation stays off. */
	int (*setup)(void);
	/* The unit translating for bdf, or -1 when none covers it. */
	int (*unit_of)(struct pci_bdf bdf);
	/* Points bdf (and the requester IDs it may use as aliases) at d on
	 * unit, replacing any earlier entry safely, invalidating. */
	int (*attach)(int unit, struct pci_bdf bdf, const struct domain *d);
	/* Translation on in every unit (protection of the bring-up off). */
	int (*enable)(void);
	/* Interrupt remapping operations, or NULL when a unit cannot remap. */
	const struct irq_remap_ops *(*irq_ops)(void);
	/* Fault records/event logs into struct iommu_fault (fault.h): logged
	 * rate-limited, ringed, storm-contained. Returns how many. */
	unsigned (*poll_faults)(void);
	bool (*fault_pending)(void);
	/* Optional (NULL: always): whether faults reach poll_faults at all. */
	bool (*faults_reported)(void);
	void (*fault_events_to_nmi)(uint32_t apic_id);
	/* The requester ID of the IOAPIC with this id (DMAR scope, IVRS
	 * special entry); E_NOENT when the table names none. */
	int (*ioapic_source)(uint8_t ioapic_id, struct irq_source *out);
	/* The same for an HPET number (DMAR HPET scope, IVRS special entry). */
	int (*hpet_source)(uint8_t hpet_number, struct irq_source *out);
	unsigned (*unit_count)(void);
	void (*unit_regs)(unsigned i, paddr_t *start, paddr_t *end);
};

extern const struct iommu_backend vtd_backend;
extern const struct iommu_backend amdvi_backend;

/* For back-ends: turns off bus mastering of the source a storm came from. */
void iommu_stop_source(uint16_t sid);
/* For back-ends: the firmware memory map says [base, last] is reserved. */
bool iommu_range_reserved(const struct memmap *m, paddr_t base, paddr_t last);

#endif
