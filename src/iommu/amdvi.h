/* The AMD-Vi driver (amdvi.c): one struct amdvi_unit per IOMMU the IVRS
 * describes; the back-end itself is amdvi_backend (iommu_backend.h). */
#ifndef SHOJI_IOMMU_AMDVI_H
#define SHOJI_IOMMU_AMDVI_H

#include "iommu/amdvi_cmdbuf.h"
#include "iommu/amdvi_evlog.h"
#include "iommu/fault.h"
#include "iommu/ivrs.h"
#include "lib/types.h"

#define AMDVI_MAX_UNITS 8

/* Static storage: the command buffer's status word and both rings must
 * outlive any timeout (the IOMMU may still write them). */
struct amdvi_unit {
	unsigned index;
	const struct ivrs_ivhd *ivhd;
	paddr_t base;			/* MMIO registers (3.4), AMDVI_MMIO_SIZE bytes */
	uint16_t devid;			/* its own PCI function (IVHD device ID) */
	uint64_t efr;			/* Extended Feature Register */
	bool efr_from_mmio;		/* else the IVHD's image */
	bool broken;			/* missed a deadline or a command failed */
	bool translating;		/* IommuEn on with shoji's tables */
	struct amdvi_cmdbuf cmd;
	struct amdvi_evlog evlog;
	struct fault_policy faults;
	void (*stop_device)(uint16_t sid);	/* a source crossed the fault threshold */
};

/* For the interrupt remapping back-end (amdvi_ir.c): the requester ID a
 * function's requests arrive under (its IVRS alias, else itself); point
 * devid's device table entry at a remapping table of 2^len_log2 32-bit
 * entries (IV, IntCtl remap), invalidating; invalidate its cached entries;
 * whether translation is on (commands run). */
uint16_t amdvi_requester_id(uint16_t devid);
int amdvi_set_interrupt_table(uint16_t devid, paddr_t table, unsigned len_log2);
int amdvi_invalidate_interrupts(uint16_t devid);
bool amdvi_translating(void);
/* Whether devid is an IOAPIC's requester ID (an IVRS special entry, 48h
 * variety 01h): its remapping table is indexed by the guest's vectors. */
bool amdvi_is_ioapic(uint16_t devid);
struct irq_remap_ops;
const struct irq_remap_ops *amdvi_ir_ops(void);

/* Unit i (NULL past the last), for reports and tests. */
const struct amdvi_unit *amdvi_unit_get(unsigned i);

#endif
