/* MSI capability virtualisation (see msi_virt.h). Capability layout, PCI
 * Local Bus 3.0 6.8.1: +2 message control (bit 0 enable, 3:1 multiple
 * message capable, 6:4 multiple message enable, 7 64-bit, 8 per-vector
 * masking), +4 address, then for 64-bit functions +8 upper address and
 * +0xc data, else +8 data; with per-vector masking the mask bits follow the
 * data dword and the pending bits the mask. */
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "platform/pci.h"
#include "vmm/apic_guard.h"
#include "vmm/irq_log.h"
#include "vmm/irq_policy.h"
#include "vmm/msi_virt.h"
#include "vmm/protect.h"

#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_MMC(c) (((c) >> 1) & 7)
#define MSI_CTRL_MME(c) (((c) >> 4) & 7)
#define MSI_CTRL_64 0x0080
#define MSI_CTRL_PVM 0x0100

struct msi_fn {
	struct pci_bdf bdf;
	char name[8];		/* "BB:DD.F" */
	uint8_t cap;
	bool is64, pvm;
	unsigned mmc;		/* log2 of the messages the function can send */
	uint16_t handle;	/* first of 2^mmc */
	uint16_t off_addr, off_hi, off_data, off_mask;	/* off_hi/off_mask 0: none */
	/* The guest's values. */
	uint32_t addr, hi, data, mask;
	bool refused;
	uint32_t refused_key[3];	/* addr, data, control of the logged refusal */
};

static struct msi_fn fns[MSI_VIRT_MAX];
static unsigned n_fns;

static struct msi_fn *find(struct pci_bdf bdf)
{
	for (unsigned i = 0; i < n_fns; i++)
		if (pci_bdf_eq(fns[i].bdf, bdf))
			return &fns[i];
	return NULL;
}

bool msi_virt_function(struct pci_bdf bdf)
{
	return find(bdf) != NULL;
}

/* The guest value held for the dword at reg, or NULL when reg is not one. */
static uint32_t *owned(struct msi_fn *f, uint16_t reg)
{
	if (reg == f->off_addr)
		return &f->addr;
	if (f->off_hi && reg == f->off_hi)
		return &f->hi;
	if (reg == f->off_data)
		return &f->data;
	if (f->off_mask && reg == f->off_mask)
		return &f->mask;
	return NULL;
}

bool msi_virt_owns(struct pci_bdf bdf, uint16_t off)
{
	struct msi_fn *f = find(bdf);

	return f && owned(f, off & ~3u);
}

static uint16_t control(const struct msi_fn *f)
{
	uint16_t c = 0;

	pci_cfg_read16(f->bdf, (uint16_t)(f->cap + 2), &c);
	return c;
}

/* The function's mask bits: the guest's, plus all of them while refused. */
static void write_mask(const struct msi_fn *f)
{
	if (f->off_mask)
		pci_cfg_write32(f->bdf, f->off_mask, f->mask | (f->refused ? ~0u : 0));
}

static void block_all(struct msi_fn *f)
{
	for (unsigned i = 0; i < (1u << f->mmc); i++)
		irq_remap_block((uint16_t)(f->handle + i));
}

/* Decides what the handles deliver, after any change of the guest's
 * message or control register. */
static void evaluate(struct msi_fn *f)
{
	uint16_t ctrl = control(f);
	unsigned n = 1u << MIN(MSI_CTRL_MME(ctrl), f->mmc);
	struct irq_guest_cpus cpus;
	struct irq_request r;
	struct irq_route route[32];
	const char *why = NULL;

	if (!(ctrl & MSI_CTRL_ENABLE)) {
		/* Disabled: nothing to deliver. Block, so a later enable is
		 * decided afresh. */
		block_all(f);
		f->refused = false;
		write_mask(f);
		return;
	}
	apic_guest_cpus(&cpus);
	irq_decode_msi(f->addr, f->hi, f->data, &r);
	if (n > 1 && (r.vector & (n - 1)))
		why = "multiple-message vector not aligned to the number of messages";
	/* Message i carries data | i in its low bits: vector + i. */
	for (unsigned i = 0; i < n && !why; i++) {
		struct irq_request ri = r;

		ri.vector = (uint8_t)(r.vector | i);
		why = irq_policy_check(&ri, &cpus, &route[i]);
	}
	if (why) {
		uint32_t key[3] = { f->addr, f->data, ctrl };

		block_all(f);
		if (!f->refused || key[0] != f->refused_key[0] || key[1] != f->refused_key[1] ||
		    key[2] != f->refused_key[2])
			irq_log_refusal("msi", f->name, &r, why);
		f->refused = true;
		f->refused_key[0] = key[0], f->refused_key[1] = key[1], f->refused_key[2] = key[2];
		write_mask(f);
		return;
	}
	f->refused = false;
	for (unsigned i = 0; i < (1u << f->mmc); i++) {
		int rc = i < n ? irq_remap_set((uint16_t)(f->handle + i), &route[i])
			       : irq_remap_block((uint16_t)(f->handle + i));

		if (rc)
			log_error("msi %s: remapping entry %u not written (%s)", f->name,
				  f->handle + i, err_str(rc));
	}
	write_mask(f);
}

void msi_virt_write(struct pci_bdf bdf, uint16_t off, int size, uint32_t value)
{
	struct msi_fn *f = find(bdf);
	uint32_t *v = f ? owned(f, off & ~3u) : NULL;
	unsigned shift = (off & 3) * 8;
	uint32_t mask = size == 4 ? ~0u : ((1u << (size * 8)) - 1) << shift;

	if (!v)
		return;
	*v = (*v & ~mask) | ((value << shift) & mask);
	if (f->off_data == (off & ~3u))
		f->data &= 0xffff;	/* bits 31:16 of the data dword are reserved */
	if (!f->is64 && v == &f->hi)
		f->hi = 0;
	if (v == &f->mask)
		write_mask(f);
	else
		evaluate(f);
}

void msi_virt_after_write(struct pci_bdf bdf, uint16_t off, int size)
{
	struct msi_fn *f = find(bdf);

	/* The control register is the word at cap + 2. */
	if (f && off < f->cap + 4 && off + size > f->cap + 2)
		evaluate(f);
}

uint32_t msi_virt_read_fixup(struct pci_bdf bdf, uint16_t off, int size, uint32_t hw)
{
	struct msi_fn *f = find(bdf);
	uint32_t *v = f ? owned(f, off & ~3u) : NULL;
	unsigned shift = (off & 3) * 8;
	uint32_t mask = size == 4 ? ~0u : (1u << (size * 8)) - 1;

	if (!v)
		return hw;
	return (*v >> shift) & mask;
}

static int setup(const struct pci_device *d, uint8_t cap)
{
	struct msi_fn *f = &fns[n_fns];
	struct irq_source src = irq_source_of(d->bdf);
	uint64_t addr;
	uint32_t data;
	uint16_t ctrl;
	int rc;

	*f = (struct msi_fn){ .bdf = d->bdf, .cap = cap };
	shoji_snprintf(f->name, sizeof(f->name), "%02x:%02x.%x", d->bdf.bus, d->bdf.dev, d->bdf.fn);
	if (pci_cfg_read16(d->bdf, (uint16_t)(cap + 2), &ctrl))
		return E_FAULT;
	f->is64 = ctrl & MSI_CTRL_64;
	f->pvm = ctrl & MSI_CTRL_PVM;
	f->mmc = MIN(MSI_CTRL_MMC(ctrl), 5u);	/* 32 messages at most (6.8.1.3) */
	f->off_addr = (uint16_t)(cap + 4);
	f->off_hi = f->is64 ? (uint16_t)(cap + 8) : 0;
	f->off_data = (uint16_t)(cap + (f->is64 ? 0xc : 8));
	f->off_mask = f->pvm ? (uint16_t)(f->off_data + 4) : 0;
	rc = irq_remap_alloc(1u << f->mmc, &src, f->name, &f->handle);
	if (rc)
		return rc;
	/* What the guest reads until it writes: what firmware left. */
	pci_cfg_read32(d->bdf, f->off_addr, &f->addr);
	if (f->off_hi)
		pci_cfg_read32(d->bdf, f->off_hi, &f->hi);
	pci_cfg_read32(d->bdf, f->off_data, &f->data);
	f->data &= 0xffff;
	if (f->off_mask)
		pci_cfg_read32(d->bdf, f->off_mask, &f->mask);
	/* The function sends only shoji's message from now on. */
	irq_remap_msi_message(f->handle, &addr, &data);
	pci_cfg_write32(d->bdf, f->off_addr, (uint32_t)addr);
	if (f->off_hi)
		pci_cfg_write32(d->bdf, f->off_hi, (uint32_t)(addr >> 32));
	pci_cfg_write16(d->bdf, f->off_data, (uint16_t)data);
	n_fns++;
	evaluate(f);
	log_info("msi virt device=%s cap=0x%02x messages=%u 64bit=%s maskable=%s handles=%u-%u "
		 "source=%s", f->name, cap, 1u << f->mmc, f->is64 ? "yes" : "no",
		 f->pvm ? "yes" : "no", f->handle, f->handle + (1u << f->mmc) - 1,
		 src.kind == IRQ_SRC_BUS_RANGE ? "bus-range" : "rid");
	return 0;
}

int msi_virt_init(void)
{
	n_fns = 0;
	if (!irq_remap_active())
		return E_UNSUPPORTED;
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d)) {
		uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSI);
		int rc;

		/* A function hidden from the guest (the AMD-Vi IOMMU's own) is
		 * shoji's: the guest cannot program it. */
		if (!cap || protect_pci_function_hidden(d->bdf))
			continue;
		if (n_fns == MSI_VIRT_MAX) {
			log_error("msi virt: more than %d functions with MSI", MSI_VIRT_MAX);
			return E_NOMEM;
		}
		rc = setup(d, cap);
		if (rc) {
			log_error("msi virt: %02x:%02x.%x not virtualised (%s)", d->bdf.bus,
				  d->bdf.dev, d->bdf.fn, err_str(rc));
			return rc;
		}
	}
	return (int)n_fns;
}
