/* Interrupt remapping table and handles (see irq_remap.h), on the VT-d
 * units the IOMMU bring-up made. One table serves every unit: a handle
 * means the same entry wherever the request enters. */
#include "iommu/irq_remap.h"
#include "iommu/vtd.h"
#include "iommu/vtd_irte.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "platform/pci.h"

#define ENTRIES_LOG2 8	/* 2^8 = IRQ_REMAP_ENTRIES */
_Static_assert((1u << ENTRIES_LOG2) == IRQ_REMAP_ENTRIES, "table size");
_Static_assert(IRQ_REMAP_ENTRIES * sizeof(struct vtd_entry128) == PAGE_SIZE, "one page");

static struct vtd_entry128 *table;
static struct {
	struct irq_source src;
	const char *owner;
} slots[IRQ_REMAP_ENTRIES];
static unsigned n_used;
static bool active;
static struct vtd_unit *const *ir_units;
static unsigned n_ir_units;

bool irq_remap_active(void)
{
	return active;
}

int irq_remap_init(struct vtd_unit *const *units, unsigned n)
{
	unsigned on = 0;
	int rc = 0;

	active = false;
	n_used = 0;
	ir_units = units;
	n_ir_units = n;
	if (!n)
		return E_NOENT;
	for (unsigned i = 0; i < n; i++)
		if (!(units[i]->ecap & VTD_ECAP_IR)) {
			log_warn("vtd unit=%u has no interrupt remapping (ECAP.IR=0): device "
				 "interrupts are checked only where shoji programs them", i);
			return E_UNSUPPORTED;
		}
	table = hal_page_alloc();	/* zeroed: every entry not present */
	if (!table)
		return E_NOMEM;
	for (unsigned i = 0; i < n && !rc; i++) {
		struct vtd_unit *u = units[i];

		vtd_ir_flush_table(u, table, PAGE_SIZE);
		rc = vtd_ir_enable(u, hal_virt_to_phys(table), ENTRIES_LOG2);
		if (!rc)
			on++;
	}
	if (rc) {
		log_error("iommu: interrupt remapping could not be enabled (%s)", err_str(rc));
		return rc;
	}
	active = true;
	log_info("irq remap on units=%u table=0x%llx entries=%u mode=xapic compat_format=blocked",
		 on, (unsigned long long)hal_virt_to_phys(table), IRQ_REMAP_ENTRIES);
	return 0;
}

int irq_remap_alloc(unsigned count, const struct irq_source *src, const char *owner,
		    uint16_t *first)
{
	if (!active)
		return E_UNSUPPORTED;
	if (!count || count > IRQ_REMAP_ENTRIES - n_used) {
		log_error("irq remap: no room for %u entries for %s (%u of %u used)", count, owner,
			  n_used, IRQ_REMAP_ENTRIES);
		return E_NOMEM;
	}
	*first = (uint16_t)n_used;
	for (unsigned i = 0; i < count; i++) {
		slots[n_used + i].src = *src;
		slots[n_used + i].owner = owner;
	}
	n_used += count;
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

int irq_remap_set(uint16_t handle, const struct irq_route *route)
{
	struct vtd_entry128 e;

	if (!active || handle >= n_used)
		return E_INVAL;
	e = vtd_irte_encode(route, &slots[handle].src);
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

int irq_remap_block(uint16_t handle)
{
	if (!active || handle >= n_used)
		return E_INVAL;
	if (!(table[handle].lo & VTD_IRTE_P))
		return 0;
	*(volatile uint64_t *)&table[handle].lo = 0;
	return invalidate(handle);
}

bool irq_remap_present(uint16_t handle)
{
	return active && handle < n_used && (table[handle].lo & VTD_IRTE_P);
}

void irq_remap_msi_message(uint16_t handle, uint64_t *addr, uint32_t *data)
{
	*addr = vtd_ir_msi_address(handle);
	*data = 0;	/* subhandle 0; a multi-message device adds its number */
}

uint64_t irq_remap_ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			      bool masked)
{
	return vtd_ir_ioapic_rte(handle, vector, level, active_low, masked);
}

/* PCI Express capability register (PCIe Base 7.5.3.2) bits 7:4. */
#define PCIE_TYPE_PCIE_TO_PCI 0x7

static int pcie_type(const struct pci_device *d)
{
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_EXP);
	uint16_t v;

	if (!cap)
		return -1;	/* conventional PCI */
	if (pci_cfg_read16(d->bdf, (uint16_t)(cap + 2), &v))
		return -1;
	return (v >> 4) & 0xf;
}

static const struct pci_device *bridge_above(uint16_t seg, uint8_t bus)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d))
		if ((d->header_type & 0x7f) == 1 && d->bdf.seg == seg && d->secondary == bus &&
		    d->secondary > d->bdf.bus)
			return d;
	return NULL;
}

/* Requester-id aliasing (PCIe-to-PCI/PCI-X Bridge Spec 1.0, 2.3; the rules
 * VT-d 5.1.1 relies on): a PCIe-to-PCI bridge may issue a device's
 * requests as its own, with the secondary bus and devfn 0, or pass the
 * device's id (PCI-X), so any id on its secondary..subordinate buses is
 * accepted; a conventional PCI-to-PCI bridge (no PCIe capability) forwards
 * them under its own id; PCIe ports forward the id unchanged. The alias
 * nearest the root wins: it is what arrives at the unit. */
struct irq_source irq_source_of(struct pci_bdf bdf)
{
	struct irq_source s = { IRQ_SRC_RID, pci_bdf_sid(bdf), 0, 0 };
	uint8_t bus = bdf.bus;

	for (unsigned depth = 0; depth < 256; depth++) {
		const struct pci_device *br = bridge_above(bdf.seg, bus);
		int type;

		if (!br)
			break;
		type = pcie_type(br);
		if (type == PCIE_TYPE_PCIE_TO_PCI)
			s = (struct irq_source){ IRQ_SRC_BUS_RANGE, 0, br->secondary,
						 br->subordinate };
		else if (type < 0)
			s = (struct irq_source){ IRQ_SRC_RID, pci_bdf_sid(br->bdf), 0, 0 };
		bus = br->bdf.bus;
	}
	return s;
}
