/* AMD-Vi interrupt remapping back-end (struct irq_remap_ops, irq_remap.h).
 * AMD IOMMU spec 48882 rev 3.x, 2.2.5: the remapping table is per device
 * (the DTE's IntTableRootPtr, 2^IntTabLen entries), indexed by the MSI
 * data's bits 10:0. So a requester can only ever reach its own table: the
 * source check is the device table itself.
 *
 * Functions (MSI, MSI-X): a handle h means entry h in the table of the
 * requester ID that owns it (the IVRS alias of the function, when it has
 * one); every other entry of that table is zero (RemapEn clear: the request
 * is refused). A table is 256 32-bit entries (Control.GAEn clear: 8-bit
 * destinations, xAPIC), one page; it is made, and the DTE pointed at it
 * with IntCtl "remap", when the handles are allocated, before the device is
 * programmed with a message that names them. The message: address
 * 0xfee00000, data = the handle (a multi-message function adds its message
 * number; the handles of such a function start at a multiple of their
 * count).
 *
 * IOAPICs (their IVRS special entries' requester IDs): the IOAPIC's message
 * data is its redirection entry's vector and delivery mode, so the entry's
 * index travels in those fields, and the IOAPIC also matches EOIs (the
 * local APIC's broadcast and its EOI register) by the vector field. The
 * guest does not know of the remapping: its EOIs name its own vectors. So a
 * pin's entry sits at index = the guest's vector (delivery mode field
 * fixed), or vector + 256 (the field "lowest priority") when another pin
 * already has that vector with another route: the hardware entry carries
 * the guest's vector exactly as it would natively and EOIs match as they
 * would natively; the remapping entry decides what is delivered. The table
 * has 512 entries (IntTabLen 9): the IOMMU looks up only fixed and
 * arbitrated requests. A third pin on one vector with a third route is
 * refused (the pin stays masked, logged). When a pin moves to another
 * index, its old entry stays until the IOAPIC has been given the new one
 * (irq_remap_commit): an interrupt sent in between is delivered, not
 * aborted (an aborted level-triggered one would leave Remote IRR set). */
#include "iommu/amdvi.h"
#include "iommu/amdvi_irte.h"
#include "iommu/amdvi_regs.h"
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"

#define TABLE_LOG2 8		/* 256 entries = IRQ_REMAP_ENTRIES */
#define MAX_TABLES 32		/* requester IDs with interrupt handles */
#define MAX_IOAPIC_TABLES 4
#define NO_INDEX 0xffffu
_Static_assert((1u << TABLE_LOG2) == IRQ_REMAP_ENTRIES, "one entry per handle");
_Static_assert(AMDVI_IOAPIC_IR_ENTRIES * sizeof(uint32_t) <= PAGE_SIZE, "one page");
_Static_assert((1u << AMDVI_IOAPIC_IR_LOG2) == AMDVI_IOAPIC_IR_ENTRIES, "table length");

struct ir_table {
	uint16_t devid;
	uint32_t *table;	/* never freed: the IOMMU may read it any time */
	uint16_t *owner;	/* IOAPIC tables: handle + 1 using each index, 0 free */
};

static struct ir_table tables[MAX_TABLES];
static unsigned n_tables;
static uint16_t ioapic_owner[MAX_IOAPIC_TABLES][AMDVI_IOAPIC_IR_ENTRIES];
static unsigned n_ioapic_tables;
/* IOAPIC pins' handles: the index in use, and the one used before it
 * until the IOAPIC has been given the new one. */
static uint16_t cur_index[IRQ_REMAP_ENTRIES], old_index[IRQ_REMAP_ENTRIES];

static int enable(void)
{
	n_tables = 0;
	n_ioapic_tables = 0;
	for (unsigned i = 0; i < IRQ_REMAP_ENTRIES; i++)
		cur_index[i] = old_index[i] = NO_INDEX;
	if (!amdvi_translating())
		return E_UNSUPPORTED;
	log_info("irq remap on backend=amdvi tables=per-device entries=%u format=32-bit "
		 "mode=xapic ioapic=vector-indexed ioapic_entries=%u", IRQ_REMAP_ENTRIES,
		 AMDVI_IOAPIC_IR_ENTRIES);
	return 0;
}

static struct ir_table *find(uint16_t devid)
{
	for (unsigned i = 0; i < n_tables; i++)
		if (tables[i].devid == devid)
			return &tables[i];
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
	struct ir_table *t;
	bool ioapic;
	int rc = ids_of(src, ids, &n);

	if (rc)
		return rc;
	if (find(ids[0]))
		return 0;
	ioapic = amdvi_is_ioapic(ids[0]);
	if (n_tables == MAX_TABLES || (ioapic && n_ioapic_tables == MAX_IOAPIC_TABLES)) {
		log_error("amdvi irq remap: more than %u requester IDs (%u IOAPICs) with interrupts",
			  MAX_TABLES, MAX_IOAPIC_TABLES);
		return E_NOMEM;
	}
	t = &tables[n_tables];
	t->table = hal_page_alloc();		/* zeroed: every entry refuses */
	if (!t->table)
		return E_NOMEM;
	hal_cache_flush(t->table, PAGE_SIZE);
	/* Recorded first: the page is never freed (an entry may point at it). */
	t->devid = ids[0];
	t->owner = NULL;
	if (ioapic) {
		t->owner = ioapic_owner[n_ioapic_tables++];
		for (unsigned i = 0; i < AMDVI_IOAPIC_IR_ENTRIES; i++)
			t->owner[i] = 0;
	}
	n_tables++;
	for (unsigned i = 0; i < n && !rc; i++)
		rc = amdvi_set_interrupt_table(ids[i], hal_virt_to_phys(t->table),
					       ioapic ? AMDVI_IOAPIC_IR_LOG2 : TABLE_LOG2);
	if (rc)
		return rc;
	log_info("amdvi irq table devid=%02x:%02x.%x table=0x%llx entries=%u first_handle=%u "
		 "count=%u%s%s", ids[0] >> 8, (ids[0] >> 3) & 0x1f, ids[0] & 7,
		 (unsigned long long)hal_virt_to_phys(t->table),
		 ioapic ? AMDVI_IOAPIC_IR_ENTRIES : IRQ_REMAP_ENTRIES, first, count,
		 ioapic ? " ioapic=yes index=vector" : "",
		 n == 2 ? " (alias of the function's own id, which uses it too)" : "");
	return 0;
}

static int invalidate(const uint16_t ids[2], unsigned n)
{
	int rc = 0;

	for (unsigned i = 0; i < n && !rc; i++)
		rc = amdvi_invalidate_interrupts(ids[i]);
	return rc;
}

/* One aligned 32-bit store: the IOMMU sees the old or the new entry. */
static void store(struct ir_table *t, unsigned index, uint32_t e)
{
	__atomic_store_n(&t->table[index], e, __ATOMIC_RELEASE);
	hal_cache_flush(&t->table[index], sizeof(t->table[index]));
}

/* An IOAPIC pin's index goes back to the pool, its entry refusing. */
static void release(struct ir_table *t, uint16_t *index)
{
	if (*index == NO_INDEX)
		return;
	store(t, *index, AMDVI_IRTE32_BLOCKED);
	t->owner[*index] = 0;
	*index = NO_INDEX;
}

static int write_ioapic(struct ir_table *t, uint16_t handle, const struct irq_route *route,
			uint32_t e)
{
	uint16_t idx = cur_index[handle];

	if (!route) {
		release(t, &cur_index[handle]);
		release(t, &old_index[handle]);
		return 0;
	}
	if (idx == NO_INDEX || (idx & 0xff) != route->vector) {
		/* A move not yet given to the IOAPIC is superseded. */
		release(t, &old_index[handle]);
		idx = NO_INDEX;
		for (unsigned c = route->vector; c < AMDVI_IOAPIC_IR_ENTRIES && idx == NO_INDEX;
		     c += 256)
			if (!t->owner[c])
				idx = (uint16_t)c;
		if (idx == NO_INDEX) {
			log_error("amdvi irq remap: ioapic devid=%02x:%02x.%x: vector 0x%02x is used "
				  "by two other pins with other routes (entries 0x%02x and 0x%03x)",
				  t->devid >> 8, (t->devid >> 3) & 0x1f, t->devid & 7, route->vector,
				  route->vector, route->vector + 256);
			return E_BUSY;
		}
		old_index[handle] = cur_index[handle];
		cur_index[handle] = idx;
		t->owner[idx] = (uint16_t)(handle + 1);
	}
	store(t, idx, e);
	return 0;
}

static int write_entry(uint16_t handle, const struct irq_source *src,
		       const struct irq_route *route)
{
	uint16_t ids[2];
	unsigned n;
	struct ir_table *t;
	uint32_t e = AMDVI_IRTE32_BLOCKED;
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
	if (t->owner)
		rc = write_ioapic(t, handle, route, e);
	else
		store(t, handle, e);
	if (rc)
		return rc;
	return invalidate(ids, n);
}

/* The IOAPIC now sends through the pin's current index: the one before it
 * may go. */
static int commit(uint16_t handle, const struct irq_source *src)
{
	uint16_t ids[2];
	unsigned n;
	struct ir_table *t;
	int rc;

	if (old_index[handle] == NO_INDEX)
		return 0;
	rc = ids_of(src, ids, &n);
	if (rc)
		return rc;
	t = find(ids[0]);
	if (!t || !t->owner)
		return E_NOENT;
	release(t, &old_index[handle]);
	return invalidate(ids, n);
}

static void msi_message(uint16_t handle, uint64_t *addr, uint32_t *data)
{
	if (amdvi_ir_msi_message(handle, addr, data)) {
		*addr = 0xfee00000u;
		*data = 0;
	}
}

/* The hardware entry for an IOAPIC pin: its current index when that index
 * carries the vector asked for; otherwise (the pin's entry is elsewhere or
 * it has none) the vector with delivery mode fixed, masked: a masked entry
 * sends nothing but still matches EOIs by its vector. */
static uint64_t ioapic_rte(uint16_t handle, uint8_t vector, bool level, bool active_low,
			   bool masked)
{
	uint16_t idx = cur_index[handle];
	uint64_t rte;

	if (idx == NO_INDEX || (idx & 0xff) != vector) {
		idx = vector;
		masked = true;
	}
	if (amdvi_ioapic_rte(idx, level, active_low, masked, &rte))
		return 1ULL << 16;
	return rte;
}

static const struct irq_remap_ops ops = {
	.name = "amdvi",
	.enable = enable,
	.write = write_entry,
	.msi_message = msi_message,
	.ioapic_rte = ioapic_rte,
	.claim = claim,
	.commit = commit,
};

const struct irq_remap_ops *amdvi_ir_ops(void)
{
	return &ops;
}
