/* Interrupt remapping handles (see irq_remap.h), back-end neutral: which
 * handle belongs to which source and owner, and whether it delivers. The
 * entries themselves are the back-end's (struct irq_remap_ops). */
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/log.h"
#include "platform/pci.h"

static struct {
	struct irq_source src;
	const char *owner;
	bool present;
} slots[IRQ_REMAP_ENTRIES];
static unsigned n_used;
static bool active;
static const struct irq_remap_ops *ops;

bool irq_remap_active(void)
{
	return active;
}

int irq_remap_init(const struct irq_remap_ops *o)
{
	int rc;

	active = false;
	n_used = 0;
	ops = o;
	if (!o)
		return E_NOENT;
	rc = o->enable();
	if (rc)
		return rc;
	for (unsigned i = 0; i < IRQ_REMAP_ENTRIES; i++)
		slots[i].present = false;
	active = true;
	return 0;
}

int irq_remap_alloc(unsigned count, const struct irq_source *src, const char *owner,
		    uint16_t *first)
{
	if (!active)
		return E_UNSUPPORTED;
	unsigned start = n_used;
	int rc;

	if (count && !(count & (count - 1)))
		start = ALIGN_UP(n_used, count);
	if (!count || count > IRQ_REMAP_ENTRIES || start > IRQ_REMAP_ENTRIES - count) {
		log_error("irq remap: no room for %u entries for %s (%u of %u used)", count, owner,
			  n_used, IRQ_REMAP_ENTRIES);
		return E_NOMEM;
	}
	if (ops->claim) {
		rc = ops->claim((uint16_t)start, count, src);
		if (rc) {
			log_error("irq remap: %s: the %s back-end refused its %u entries (%s)", owner,
				  ops->name, count, err_str(rc));
			return rc;
		}
	}
	/* Skipped (alignment) handles stay unowned: never present. */
	for (unsigned i = n_used; i < start; i++)
		slots[i] = (typeof(slots[i])){ .owner = "unused" };
	*first = (uint16_t)start;
	for (unsigned i = 0; i < count; i++) {
		slots[start + i].src = *src;
		slots[start + i].owner = owner;
		slots[start + i].present = false;
	}
	n_used = start + count;
	return 0;
}

int irq_remap_set(uint16_t handle, const struct irq_route *route)
{
	int rc;

	if (!active || handle >= n_used || !route)
		return E_INVAL;
	rc = ops->write(handle, &slots[handle].src, route);
	if (!rc)
		slots[handle].present = true;
	return rc;
}

int irq_remap_block(uint16_t handle)
{
	int rc;

	if (!active || handle >= n_used)
		return E_INVAL;
	if (!slots[handle].present)
		return 0;
	rc = ops->write(handle, &slots[handle].src, NULL);
	if (!rc)
		slots[handle].present = false;
	return rc;
}

int irq_remap_commit(uint16_t handle)
{
	if (!active || handle >= n_used)
		return E_INVAL;
	return ops->commit ? ops->commit(handle, &slots[handle].src) : 0;
}

bool irq_remap_present(uint16_t handle)
{
	return active && handle < n_used && slots[handle].present;
}

void irq_remap_msi_message(uint16_t handle, uint64_t *addr, uint32_t *data)
{
	ops->msi_message(handle, addr, data);
}

uint64_t irq_remap_ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			      bool masked)
{
	return ops->ioapic_rte(handle, vector, level, active_low, masked);
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
