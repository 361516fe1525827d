/* VT-d interrupt remapping formats (portable, no register access):
 * the remapping table entry (IRTE, VT-d 3.x section 9.10), the
 * remappable-format MSI address/data a device sends (5.1.2.2) and the
 * remappable-format IOAPIC redirection entry (5.1.5.1). xAPIC mode only
 * (EIM off: QEMU refuses eim without KVM): 8-bit destinations. */
#ifndef SHOJI_IOMMU_VTD_IRTE_H
#define SHOJI_IOMMU_VTD_IRTE_H

#include "iommu/irq_remap.h"
#include "iommu/vtd_regs.h"

/* 9.10, remapped format (IM = 0), low qword: */
#define VTD_IRTE_P		(1ULL << 0)	/* present */
#define VTD_IRTE_FPD		(1ULL << 1)	/* fault processing disable */
#define VTD_IRTE_DM_LOGICAL	(1ULL << 2)	/* destination mode */
#define VTD_IRTE_RH		(1ULL << 3)	/* redirection hint */
#define VTD_IRTE_TM_LEVEL	(1ULL << 4)	/* trigger mode */
#define VTD_IRTE_DLM(m)		((uint64_t)((m) & 7) << 5)	/* delivery mode */
#define VTD_IRTE_IM_POSTED	(1ULL << 15)	/* IRTE mode: 1 = posted */
#define VTD_IRTE_VECTOR(v)	((uint64_t)((v) & 0xff) << 16)
#define VTD_IRTE_DST_XAPIC(id)	((uint64_t)((id) & 0xff) << 40)	/* DST[15:8], xAPIC mode */
/* high qword: bits 15:0 SID, 17:16 SQ, 19:18 SVT, the rest reserved. */
#define VTD_IRTE_SID(s)		((uint64_t)(s) & 0xffff)
#define VTD_IRTE_SQ(q)		((uint64_t)((q) & 3) << 16)
#define VTD_IRTE_SVT(t)		((uint64_t)((t) & 3) << 18)
#define VTD_SVT_NONE		0	/* no requester check */
#define VTD_SVT_SID		1	/* SID and SQ checked */
#define VTD_SVT_BUS		2	/* SID = start bus << 8 | end bus */
#define VTD_SQ_ALL		0	/* compare all 16 bits */

/* 5.1.2.2 remappable MSI address: bits 31:20 0xFEE, 19:5 handle[14:0],
 * bit 4 interrupt format (1 = remappable), bit 3 SHV (subhandle valid:
 * data[15:0] is added to the handle), bit 2 handle[15]. */
#define VTD_IR_MSI_FORMAT	(1u << 4)
#define VTD_IR_MSI_SHV		(1u << 3)

/* 5.1.5.1 remappable IOAPIC RTE: bits 7:0 vector (must equal the IRTE's:
 * EOIs are matched by it), 10:8 zero, bit 11 handle[15], 13 polarity,
 * 15 trigger (must match the IRTE), 16 mask, 47:17 zero, bit 48 format (1),
 * 63:49 handle[14:0]. */
#define VTD_IR_RTE_FORMAT	(1ULL << 48)

struct vtd_entry128 vtd_irte_encode(const struct irq_route *r, const struct irq_source *s);
uint32_t vtd_ir_msi_address(uint16_t handle);
uint64_t vtd_ir_ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			   bool masked);

#endif
