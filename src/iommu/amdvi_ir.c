/* AMD-Vi interrupt remapping back-end (struct irq_remap_ops, irq_remap.h).
 * AMD IOMMU spec 48882 rev 3.x, 2.2.5: the remapping table is per device
 * (the DTE's IntTableRootPtr, 2^IntTabLen entries), indexed by the MSI
 * data's bits 10:0. So a requester can only ever reach its own table: the
 * source check is the device table itself.
 *
 * Layout: a handle h means entry h in the table of the requester ID that
 * owns it (the IVRS alias of the function, when it has one); every other
 * entry of that table is zero (RemapEn clear: the request is refused). A
 * table is 256 32-bit entries (Control.GAEn clear: 8-bit destinations,
 * xAPIC), one page; it is made, and the DTE pointed at it with IntCtl
 * "remap", when the handles are allocated, before the device is programmed
 * with a message that names them. The message: address 0xfee00000, data =
 * the handle (a multi-message function adds its message number; the
 * handles of such a function start at a multiple of their count).
 *
 * IOAPIC entries are not remapped here (ops.ioapic false): AMD-Vi takes the
 * index from the redirection entry's vector field, which the IOAPIC also
 * uses to match EOIs, and that needs an EOI design of its own. */
#include "iommu/amdvi.h"
#include "iommu/amdvi_irte.h"
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"

#define TABLE_LOG2 8		/* 256 entries = IRQ_REMAP_ENTRIES */
#define MAX_TABLES 32		/* requester IDs with interrupt handles */
_Static_assert((1u << TABLE_LOG2) == IRQ_REMAP_ENTRIES, "one entry per handle");

static struct {
	uint16_t devid;
	uint32_t *table;	/* never freed: the IOMMU may read it any time */
} tables[MAX_TABLES];
static unsigned n_tables;

static int enable(void)
{
	n_tables = 0;
	if (!amdvi_translating())
		return E_UNSUPPORTED;
	log_info("irq remap on backend=amdvi tables=per-device entries=%u format=32-bit "
		 "mode=xapic ioapic=untranslated", IRQ_REMAP_ENTRIES);
	return 0;
}

static uint32_t *find(uint16_t devid)
{
	for (unsigned i = 0; i < n_tables; i++)
		if (tables[i].devid == devid)
			return tables[i].table;
	return NULL;
}

/* The requester IDs a source's requests may carry: its own and the IVRS
 * alias (a bridge may take them over); both entries use one table. */
static int ids_of(const struct irq_source *src, uint16_t ids[2], unsigned *n)
{
	if (src->kind != IRQ_SRC_RID) {
		log_error("amdvi irq remap: a bus-range source (buses %02x-%02x) is not supported",
			  src->bus_first, src->bus_last);
		return E_UNSUPPORTED;
	}
	ids[0] = amdvi_requester_id(src->rid);
	ids[1] = src->rid;
	*n = ids[1] != ids[0] ? 2 : 1;
	return 0;
}

static int claim(uint16_t first, unsigned count, const struct irq_source *src)
{
	uint16_t ids[2];
	unsigned n;
	uint32_t *t;
	int rc = ids_of(src, ids, &n);

	if (rc)
		return rc;
	if (find(ids[0]))
		return 0;
	if (n_tables == MAX_TABLES) {
		log_error("amdvi irq remap: more than %u requester IDs with interrupts", MAX_TABLES);
		return E_NOMEM;
	}
	t = hal_page_alloc();		/* zeroed: every entry refuses */
	if (!t)
		return E_NOMEM;
	hal_cache_flush(t, PAGE_SIZE);
	/* Recorded first: the page is never freed (an entry may point at it). */
	tables[n_tables].devid = ids[0];
	tables[n_tables].table = t;
	n_tables++;
	for (unsigned i = 0; i < n && !rc; i++)
		rc = amdvi_set_interrupt_table(ids[i], hal_virt_to_phys(t), TABLE_LOG2);
	if (rc)
		return rc;
	log_info("amdvi irq table devid=%02x:%02x.%x table=0x%llx entries=%u first_handle=%u "
		 "count=%u%s", ids[0] >> 8, (ids[0] >> 3) & 0x1f, ids[0] & 7,
		 (unsigned long long)hal_virt_to_phys(t), IRQ_REMAP_ENTRIES, first, count,
		 n == 2 ? " (alias of the function's own id, which uses it too)" : "");
	return 0;
}

static int write_entry(uint16_t handle, const struct irq_source *src,
		       const struct irq_route *route)
{
	uint16_t ids[2];
	unsigned n;
	uint32_t *t, e = AMDVI_IRTE32_BLOCKED;
	int rc = ids_of(src, ids, &n);

	if (rc)
		return rc;
	t = find(ids[0]);
	if (!t)
		return E_NOENT;	/* claim made it, or the allocation failed */
	if (route) {
		rc = amdvi_irte32_encode(route, &e);
		if (rc)
			return rc;
	}
	/* One aligned 32-bit store: the IOMMU sees the old or the new entry. */
	__atomic_store_n(&t[handle], e, __ATOMIC_RELEASE);
	hal_cache_flush(&t[handle], sizeof(t[handle]));
	for (unsigned i = 0; i < n && !rc; i++)
		rc = amdvi_invalidate_interrupts(ids[i]);
	return rc;
}

static void msi_message(uint16_t handle, uint64_t *addr, uint32_t *data)
{
	if (amdvi_ir_msi_message(handle, addr, data)) {
		*addr = 0xfee00000u;
		*data = 0;
	}
}

/* Not used (ops.ioapic is false): a masked entry, should it ever be. */
static uint64_t ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			   bool masked)
{
	(void)handle, (void)vector, (void)level, (void)active_low, (void)masked;
	return 1ULL << 16;
}

static const struct irq_remap_ops ops = {
	.name = "amdvi",
	.enable = enable,
	.write = write_entry,
	.msi_message = msi_message,
	.ioapic_rte = ioapic_rte,
	.claim = claim,
	.ioapic = false,
};

const struct irq_remap_ops *amdvi_ir_ops(void)
{
	return &ops;
}
