/* VT-d interrupt remapping formats (see vtd_irte.h). */
#include "iommu/vtd_irte.h"

struct vtd_entry128 vtd_irte_encode(const struct irq_route *r, const struct irq_source *s)
{
	struct vtd_entry128 e;

	/* Physical destination mode, no redirection hint: exactly the one
	 * CPU the policy chose; remapped (not posted) format. */
	e.lo = VTD_IRTE_P | VTD_IRTE_DLM(r->delivery) | VTD_IRTE_VECTOR(r->vector) |
	       VTD_IRTE_DST_XAPIC(r->dest_apic_id) | (r->level ? VTD_IRTE_TM_LEVEL : 0);
	if (s->kind == IRQ_SRC_BUS_RANGE)
		e.hi = VTD_IRTE_SVT(VTD_SVT_BUS) |
		       VTD_IRTE_SID((uint16_t)(s->bus_first << 8 | s->bus_last));
	else
		e.hi = VTD_IRTE_SVT(VTD_SVT_SID) | VTD_IRTE_SQ(VTD_SQ_ALL) | VTD_IRTE_SID(s->rid);
	return e;
}

uint32_t vtd_ir_msi_address(uint16_t handle)
{
	return 0xfee00000u | (uint32_t)(handle & 0x7fff) << 5 | VTD_IR_MSI_FORMAT |
	       VTD_IR_MSI_SHV | (uint32_t)(handle >> 15) << 2;
}

uint64_t vtd_ir_ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			   bool masked)
{
	return (uint64_t)(handle & 0x7fff) << 49 | VTD_IR_RTE_FORMAT | (masked ? 1ULL << 16 : 0) |
	       (level ? 1ULL << 15 : 0) | (active_low ? 1ULL << 13 : 0) |
	       (uint64_t)(handle >> 15) << 11 | vector;
}
