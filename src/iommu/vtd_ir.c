/* VT-d interrupt remapping back-end (struct irq_remap_ops, irq_remap.h):
 * one table of IRQ_REMAP_ENTRIES IRTEs (VT-d 9.10) shared by every unit,
 * so a handle means the same entry wherever the request enters; the
 * requester check is in the entry itself (SVT/SQ/SID). */
#include "iommu/vtd_ir.h"
#include "iommu/vtd_irte.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"

#define ENTRIES_LOG2 8	/* 2^8 = IRQ_REMAP_ENTRIES */
_Static_assert((1u << ENTRIES_LOG2) == IRQ_REMAP_ENTRIES, "table size");
_Static_assert(IRQ_REMAP_ENTRIES * sizeof(struct vtd_entry128) == PAGE_SIZE, "one page");

static struct vtd_entry128 *table;
static struct vtd_unit *const *ir_units;
static unsigned n_ir_units;

static int enable(void)
{
	unsigned on = 0;
	int rc = 0;

	if (!n_ir_units)
		return E_NOENT;
	for (unsigned i = 0; i < n_ir_units; i++)
		if (!(ir_units[i]->ecap & VTD_ECAP_IR)) {
			log_warn("vtd unit=%u has no interrupt remapping (ECAP.IR=0): device "
				 "interrupts are checked only where shoji programs them", i);
			return E_UNSUPPORTED;
		}
	table = hal_page_alloc();	/* zeroed: every entry not present */
	if (!table)
		return E_NOMEM;
	for (unsigned i = 0; i < n_ir_units && !rc; i++) {
		struct vtd_unit *u = ir_units[i];

		vtd_ir_flush_table(u, table, PAGE_SIZE);
		rc = vtd_ir_enable(u, hal_virt_to_phys(table), ENTRIES_LOG2);
		if (!rc)
			on++;
	}
	if (rc) {
		log_error("iommu: interrupt remapping could not be enabled (%s)", err_str(rc));
		return rc;
	}
	log_info("irq remap on units=%u table=0x%llx entries=%u mode=xapic compat_format=blocked",
		 on, (unsigned long long)hal_virt_to_phys(table), IRQ_REMAP_ENTRIES);
	return 0;
}

static int invalidate(uint16_t handle)
{
	int rc = 0;

	for (unsigned i = 0; i < n_ir_units; i++) {
		struct vtd_unit *u = ir_units[i];

		vtd_ir_flush_table(u, &table[handle], sizeof(table[handle]));
		if (!rc)
			rc = vtd_ir_invalidate(u, handle, 0);
	}
	return rc;
}

static int write_entry(uint16_t handle, const struct irq_source *src,
		       const struct irq_route *route)
{
	struct vtd_entry128 e;

	if (!route) {
		*(volatile uint64_t *)&table[handle].lo = 0;	/* P clear: blocked */
		return invalidate(handle);
	}
	e = vtd_irte_encode(route, src);
	if (!(table[handle].lo & VTD_IRTE_P)) {
		/* Not present: the unit ignores the rest, so fill the source
		 * check first and make it present last. */
		table[handle].hi = e.hi;
		__asm__ volatile("" ::: "memory");
	} else if (table[handle].hi != e.hi) {
		return E_INVAL;	/* a handle's source never changes */
	}
	/* The whole routing is in the low qword: one aligned 64-bit store is
	 * atomic, so the unit sees the old entry or the new, never a mix. */
	*(volatile uint64_t *)&table[handle].lo = e.lo;
	return invalidate(handle);
}

static void msi_message(uint16_t handle, uint64_t *addr, uint32_t *data)
{
	*addr = vtd_ir_msi_address(handle);
	*data = 0;	/* subhandle 0; a multi-message device adds its number */
}

static const struct irq_remap_ops vtd_ir_ops = {
	.name = "vtd",
	.enable = enable,
	.write = write_entry,
	.msi_message = msi_message,
	.ioapic_rte = vtd_ir_ioapic_rte,
};

const struct irq_remap_ops *vtd_ir_ops_for(struct vtd_unit *const *units, unsigned n)
{
	ir_units = units;
	n_ir_units = n;
	return &vtd_ir_ops;
}
