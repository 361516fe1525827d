/* MSI-X table virtualisation (see msix_virt.h). Layout, PCI Local Bus 3.0
 * 6.8.2: capability +2 message control (10:0 table size - 1, bit 14
 * function mask, bit 15 enable), +4 table offset (31:3) and BIR (2:0), +8
 * PBA offset/BIR; table entries of 16 bytes: +0 address, +4 upper address,
 * +8 data, +12 vector control (bit 0 mask). */
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "platform/pci.h"
#include "platform/pci_cfg.h"
#include "vmm/apic_guard.h"
#include "vmm/irq_log.h"
#include "vmm/irq_policy.h"
#include "vmm/msix_virt.h"
#include "vmm/protect.h"

#define MSIX_CTRL_SIZE(c) (((c) & 0x7ff) + 1u)
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define ENTRY_SIZE 16
#define VCTRL_MASK 1u

struct msix_entry {
	uint32_t addr, hi, data, vctrl;	/* the guest's */
	bool refused;
	uint32_t refused_key[3];
};

struct msix_fn {
	struct pci_bdf bdf;
	char name[8];
	uint8_t cap;
	unsigned n;
	paddr_t table;			/* physical address of entry 0 */
	uint16_t handle;		/* first of n */
	struct msix_entry e[MSIX_MAX_ENTRIES];
};

static struct msix_fn fns[MSIX_VIRT_MAX];
static unsigned n_fns;

static uint16_t control(const struct msix_fn *f)
{
	uint16_t c = 0;

	pci_cfg_read16(f->bdf, (uint16_t)(f->cap + 2), &c);
	return c;
}

static void hw_vctrl(const struct msix_fn *f, unsigned i, bool masked)
{
	hal_mmio_write32(f->table + i * ENTRY_SIZE + 12, masked ? VCTRL_MASK : 0);
}

/* Decides entry i after a change of it or of the control register. */
static void evaluate(struct msix_fn *f, unsigned i, uint16_t ctrl)
{
	struct msix_entry *e = &f->e[i];
	uint16_t h = (uint16_t)(f->handle + i);
	struct irq_guest_cpus cpus;
	struct irq_request r;
	struct irq_route route;
	const char *why;

	if ((e->vctrl & VCTRL_MASK) || !(ctrl & MSIX_CTRL_ENABLE) || (ctrl & MSIX_CTRL_MASKALL)) {
		hw_vctrl(f, i, true);	/* nothing to send; the entry behind stays */
		return;
	}
	apic_guest_cpus(&cpus);
	irq_decode_msi(e->addr, e->hi, e->data, &r);
	why = irq_policy_check(&r, &cpus, &route);
	if (why) {
		uint32_t key[3] = { e->addr, e->hi, e->data };

		hw_vctrl(f, i, true);
		irq_remap_block(h);
		if (!e->refused || key[0] != e->refused_key[0] || key[1] != e->refused_key[1] ||
		    key[2] != e->refused_key[2]) {
			char dev[24];

			shoji_snprintf(dev, sizeof(dev), "%s-entry%u", f->name, i);
			irq_log_refusal("msix", dev, &r, why);
		}
		e->refused = true;
		e->refused_key[0] = key[0], e->refused_key[1] = key[1], e->refused_key[2] = key[2];
		return;
	}
	e->refused = false;
	if (irq_remap_set(h, &route)) {
		log_error("msix %s entry %u: remapping entry %u not written: stays masked", f->name,
			  i, h);
		hw_vctrl(f, i, true);
		return;
	}
	hw_vctrl(f, i, false);
}

static void evaluate_all(struct msix_fn *f)
{
	uint16_t ctrl = control(f);

	for (unsigned i = 0; i < f->n; i++)
		evaluate(f, i, ctrl);
}

void msix_virt_after_write(struct pci_bdf bdf, uint16_t off, int size)
{
	for (unsigned i = 0; i < n_fns; i++)
		if (pci_bdf_eq(fns[i].bdf, bdf) && off < fns[i].cap + 4 && off + size > fns[i].cap + 2)
			evaluate_all(&fns[i]);
}

static uint32_t *entry_word(struct msix_fn *f, uint64_t rel)
{
	struct msix_entry *e = &f->e[rel / ENTRY_SIZE];
	uint32_t *w[4] = { &e->addr, &e->hi, &e->data, &e->vctrl };

	return w[(rel % ENTRY_SIZE) / 4];
}

static bool in_table(const struct msix_fn *f, uint64_t gpa)
{
	return gpa >= f->table && gpa < f->table + (uint64_t)f->n * ENTRY_SIZE;
}

static uint64_t read_locked(void *ctx, uint64_t gpa, int size)
{
	struct msix_fn *f = ctx;

	if (!in_table(f, gpa))	/* PBA or other registers on the page: the device's */
		return size == 8 ? hal_mmio_read64(gpa) : size == 4 ? hal_mmio_read32(gpa)
		       : size == 2 ? hal_mmio_read16(gpa) : hal_mmio_read8(gpa);
	if (size == 8)
		return read_locked(ctx, gpa, 4) | read_locked(ctx, gpa + 4, 4) << 32;
	{
		uint64_t rel = gpa - f->table;
		uint32_t v = *entry_word(f, rel & ~3ULL);
		unsigned shift = (rel & 3) * 8;

		return (v >> shift) & (size == 4 ? ~0u : (1u << (size * 8)) - 1);
	}
}

static void write_locked(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	struct msix_fn *f = ctx;
	uint64_t rel;
	uint32_t *w, mask;
	unsigned shift;

	if (!in_table(f, gpa)) {
		if (size == 8)
			hal_mmio_write64(gpa, v);
		else if (size == 4)
			hal_mmio_write32(gpa, (uint32_t)v);
		else if (size == 2)
			hal_mmio_write16(gpa, (uint16_t)v);
		else
			hal_mmio_write8(gpa, (uint8_t)v);
		return;
	}
	if (size == 8) {
		write_locked(ctx, gpa, 4, (uint32_t)v);
		write_locked(ctx, gpa + 4, 4, v >> 32);
		return;
	}
	rel = gpa - f->table;
	w = entry_word(f, rel & ~3ULL);
	shift = (rel & 3) * 8;
	mask = (size == 4 ? ~0u : (1u << (size * 8)) - 1) << shift;
	*w = (*w & ~mask) | (((uint32_t)v << shift) & mask);
	evaluate(f, (unsigned)(rel / ENTRY_SIZE), control(f));
}

/* The table shoji keeps is judged against the function's live MSI-X
 * control word, which the guest changes through configuration space: the
 * table's accesses take the configuration lock too (platform/pci_cfg.h), so
 * the two paths see one order and no lock is taken in the other order. */
static uint64_t msix_read(void *ctx, uint64_t gpa, int size)
{
	uint64_t v;

	pci_cfg_lock();
	v = read_locked(ctx, gpa, size);
	pci_cfg_unlock();
	return v;
}

static void msix_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	pci_cfg_lock();
	write_locked(ctx, gpa, size, v);
	pci_cfg_unlock();
}

const struct mmio_ops msix_mmio_ops = { .read = msix_read, .write = msix_write };

static int setup(const struct pci_device *d, uint8_t cap)
{
	struct msix_fn *f = &fns[n_fns];
	struct irq_source src = irq_source_of(d->bdf);
	uint32_t tbl;
	uint16_t ctrl, cmd;
	unsigned bir;
	int rc;

	*f = (struct msix_fn){ .bdf = d->bdf, .cap = cap };
	shoji_snprintf(f->name, sizeof(f->name), "%02x:%02x.%x", d->bdf.bus, d->bdf.dev, d->bdf.fn);
	if (pci_cfg_read16(d->bdf, (uint16_t)(cap + 2), &ctrl) ||
	    pci_cfg_read32(d->bdf, (uint16_t)(cap + 4), &tbl))
		return E_FAULT;
	f->n = MSIX_CTRL_SIZE(ctrl);
	bir = tbl & 7;
	if (f->n > MSIX_MAX_ENTRIES || bir > 5 ||
	    (d->bars[bir].type != PCI_BAR_MEM32 && d->bars[bir].type != PCI_BAR_MEM64) ||
	    !d->bars[bir].addr || (tbl & ~7u) + f->n * ENTRY_SIZE > d->bars[bir].size) {
		log_error("msix virt %s: table (%u entries, BIR %u, offset 0x%x) not usable", f->name,
			  f->n, bir, tbl & ~7u);
		return E_UNSUPPORTED;
	}
	f->table = d->bars[bir].addr + (tbl & ~7u);
	rc = irq_remap_alloc(f->n, &src, f->name, &f->handle);
	/* The table pages: every CPU access traps here, and the BAR that holds
	 * them is pinned (vmm/protect.h: the owner BAR stays where it is). */
	if (!rc)
		rc = protect_add_emulated(f->table & ~(paddr_t)(PAGE_SIZE - 1),
					  ALIGN_UP(f->table + (uint64_t)f->n * ENTRY_SIZE, PAGE_SIZE),
					  PROTECT_CPU | PROTECT_BAR, "msix-table", &msix_mmio_ops, f,
					  d->bdf, (int)bir);
	if (rc)
		return rc;
	/* Program the table with memory decoding on; restore the command. */
	pci_cfg_read16(d->bdf, PCI_COMMAND, &cmd);
	pci_cfg_write16(d->bdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	for (unsigned i = 0; i < f->n; i++) {
		paddr_t ent = f->table + i * ENTRY_SIZE;
		uint64_t addr;
		uint32_t data;

		f->e[i].addr = hal_mmio_read32(ent);
		f->e[i].hi = hal_mmio_read32(ent + 4);
		f->e[i].data = hal_mmio_read32(ent + 8);
		f->e[i].vctrl = hal_mmio_read32(ent + 12);
		hw_vctrl(f, i, true);
		irq_remap_msi_message((uint16_t)(f->handle + i), &addr, &data);
		hal_mmio_write32(ent, (uint32_t)addr);
		hal_mmio_write32(ent + 4, (uint32_t)(addr >> 32));
		hal_mmio_write32(ent + 8, data);
	}
	evaluate_all(f);
	pci_cfg_write16(d->bdf, PCI_COMMAND, cmd);
	n_fns++;
	log_info("msix virt device=%s cap=0x%02x entries=%u table=0x%llx bar=%u handles=%u-%u "
		 "source=%s", f->name, cap, f->n, (unsigned long long)f->table, bir, f->handle,
		 f->handle + f->n - 1, src.kind == IRQ_SRC_BUS_RANGE ? "bus-range" : "rid");
	return 0;
}

int msix_virt_init(void)
{
	n_fns = 0;
	if (!irq_remap_active())
		return E_UNSUPPORTED;
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d)) {
		uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX);
		int rc;

		/* A function hidden from the guest (the AMD-Vi IOMMU's own) is
		 * shoji's: the guest cannot program it. */
		if (!cap || protect_pci_function_hidden(d->bdf))
			continue;
		if (n_fns == MSIX_VIRT_MAX)
			return E_NOMEM;
		rc = setup(d, cap);
		if (rc) {
			log_error("msix virt: %02x:%02x.%x not virtualised (%s)", d->bdf.bus,
				  d->bdf.dev, d->bdf.fn, err_str(rc));
			return rc;
		}
	}
	return (int)n_fns;
}

unsigned msix_virt_count(void)
{
	return n_fns;
}

void msix_virt_table_pages(unsigned i, paddr_t *start, paddr_t *end)
{
	*start = fns[i].table & ~(paddr_t)(PAGE_SIZE - 1);
	*end = ALIGN_UP(fns[i].table + (uint64_t)fns[i].n * ENTRY_SIZE, PAGE_SIZE);
}

void *msix_virt_ctx(unsigned i)
{
	return &fns[i];
}
