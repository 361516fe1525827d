/* IOAPIC virtualisation (see ioapic_virt.h). Registers (82093AA 3.0):
 * IOREGSEL at +0x00, IOWIN at +0x10, EOI at +0x40 (version 0x20); indirect
 * registers 0x00 ID, 0x01 version (bits 23:16 max redirection entry),
 * 0x02 arbitration, 0x10 + 2n / 0x11 + 2n redirection entry n low/high. */
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "vmm/apic_guard.h"
#include "vmm/ioapic_virt.h"
#include "vmm/irq_log.h"
#include "vmm/irq_policy.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOEOI 0x40
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_RTE 0x10
#define RTE_STATUS_BITS ((1u << 12) | (1u << 14))	/* delivery status, remote IRR */

struct ioapic {
	uint8_t id;
	paddr_t base;
	unsigned pins;
	uint32_t sel;			/* the guest's IOREGSEL */
	uint16_t handle;		/* first of `pins` */
	uint64_t rte[IOAPIC_MAX_PINS];	/* the guest's entries */
	uint64_t refused_rte[IOAPIC_MAX_PINS];	/* last refusal logged, per pin */
	char name[16];
};

static struct ioapic ioapics[IOAPIC_VIRT_MAX];
static unsigned n_ioapics;

static uint32_t hw_read(const struct ioapic *a, uint32_t reg)
{
	hal_mmio_write32(a->base + IOREGSEL, reg);
	return hal_mmio_read32(a->base + IOWIN);
}

static void hw_write(const struct ioapic *a, uint32_t reg, uint32_t v)
{
	hal_mmio_write32(a->base + IOREGSEL, reg);
	hal_mmio_write32(a->base + IOWIN, v);
}

/* The hardware entry: high dword first while masked, so the pin never
 * sends with half an entry. */
static void hw_write_rte(const struct ioapic *a, unsigned pin, uint64_t rte)
{
	hw_write(a, REG_RTE + 2 * pin, (uint32_t)rte | (1u << 16));
	hw_write(a, REG_RTE + 2 * pin + 1, (uint32_t)(rte >> 32));
	if (!(rte & (1u << 16)))
		hw_write(a, REG_RTE + 2 * pin, (uint32_t)rte);
}

static void evaluate(struct ioapic *a, unsigned pin)
{
	uint16_t h = (uint16_t)(a->handle + pin);
	struct irq_guest_cpus cpus;
	struct irq_request r;
	struct irq_route route;
	const char *why;
	char dev[24];

	irq_decode_ioapic(a->rte[pin], &r);
	if (r.masked && !r.malformed) {
		/* Masked: the pin sends nothing; the entry behind it is left as
		 * it is (Linux masks and unmasks around some interrupts). */
		hw_write_rte(a, pin, irq_remap_ioapic_rte(h, r.vector, r.level, r.active_low, true));
		return;
	}
	apic_guest_cpus(&cpus);
	why = irq_policy_check(&r, &cpus, &route);
	if (why) {
		/* The pin first (it sends nothing more), then its entry. */
		hw_write_rte(a, pin, irq_remap_ioapic_rte(h, r.vector, r.level, r.active_low, true));
		irq_remap_block(h);
		if (a->refused_rte[pin] != a->rte[pin]) {
			shoji_snprintf(dev, sizeof(dev), "%s-pin%u", a->name, pin);
			irq_log_refusal("ioapic", dev, &r, why);
		}
		a->refused_rte[pin] = a->rte[pin];
		return;
	}
	a->refused_rte[pin] = 0;
	if (irq_remap_set(h, &route)) {
		log_error("%s pin %u: remapping entry %u not written: pin masked", a->name, pin, h);
		hw_write_rte(a, pin, irq_remap_ioapic_rte(h, r.vector, r.level, r.active_low, true));
		return;
	}
	hw_write_rte(a, pin, irq_remap_ioapic_rte(h, r.vector, r.level, r.active_low, false));
	/* The pin sends through the entry just written: what it used before
	 * may go (AMD-Vi moves a pin's entry with its vector). */
	if (irq_remap_commit(h))
		log_error("%s pin %u: the remapping entry it used before was not released",
			  a->name, pin);
}

static uint32_t reg_read(struct ioapic *a, uint32_t reg)
{
	if (reg >= REG_RTE && reg < REG_RTE + 2 * a->pins) {
		unsigned pin = (reg - REG_RTE) / 2;

		if (reg & 1)
			return (uint32_t)(a->rte[pin] >> 32);
		return ((uint32_t)a->rte[pin] & ~RTE_STATUS_BITS) |
		       (hw_read(a, reg) & RTE_STATUS_BITS);
	}
	return hw_read(a, reg);	/* ID, version, arbitration, and nothing */
}

static void reg_write(struct ioapic *a, uint32_t reg, uint32_t v)
{
	if (reg >= REG_RTE && reg < REG_RTE + 2 * a->pins) {
		unsigned pin = (reg - REG_RTE) / 2;

		if (reg & 1)
			a->rte[pin] = (a->rte[pin] & 0xffffffffULL) | (uint64_t)v << 32;
		else
			a->rte[pin] = (a->rte[pin] & ~0xffffffffULL) | (v & ~RTE_STATUS_BITS);
		evaluate(a, pin);
	} else if (reg == REG_ID) {
		hw_write(a, reg, v);	/* the id is the guest's to set (bits 27:24) */
	}
	/* version, arbitration: read-only; other indices: nothing there */
}

static uint64_t read_locked(void *ctx, uint64_t gpa, int size)
{
	struct ioapic *a = ctx;
	unsigned off = gpa & 0xfff;

	if (off == IOREGSEL)
		return a->sel;
	if (off >= IOWIN && off < IOWIN + 4) {
		uint32_t v = reg_read(a, a->sel);

		return size == 4 ? v : (v >> ((off - IOWIN) * 8)) & ((1u << (size * 8)) - 1);
	}
	return 0;
}

static void write_locked(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	struct ioapic *a = ctx;
	unsigned off = gpa & 0xfff;

	if (off == IOREGSEL)
		a->sel = (uint32_t)v & 0xff;
	else if (off == IOWIN && size == 4)
		reg_write(a, a->sel, (uint32_t)v);
	else if (off == IOEOI)
		hal_mmio_write32(a->base + IOEOI, (uint32_t)v);	/* vectors are the guest's */
	else
		log_warn("%s: guest write of %d bytes at +0x%x ignored", a->name, size, off);
}

/* IOREGSEL is the IOAPIC's, shared by every CPU, and so are the
 * redirection entries shoji keeps: one access at a time (docs/smp.md). */
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint64_t ioapic_read(void *ctx, uint64_t gpa, int size)
{
	uint64_t v;

	spin_lock(&ioapic_lock);
	v = read_locked(ctx, gpa, size);
	spin_unlock(&ioapic_lock);
	return v;
}

static void ioapic_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	spin_lock(&ioapic_lock);
	write_locked(ctx, gpa, size, v);
	spin_unlock(&ioapic_lock);
}

const struct mmio_ops ioapic_mmio_ops = { .read = ioapic_read, .write = ioapic_write };

int ioapic_virt_add(uint8_t id, paddr_t base, const struct irq_source *src)
{
	struct ioapic *a;
	int rc;

	if (!irq_remap_active())
		return E_UNSUPPORTED;
	if (n_ioapics == IOAPIC_VIRT_MAX)
		return E_NOMEM;
	a = &ioapics[n_ioapics];
	*a = (struct ioapic){ .id = id, .base = base };
	shoji_snprintf(a->name, sizeof(a->name), "ioapic%u", id);
	a->pins = ((hw_read(a, REG_VER) >> 16) & 0xff) + 1;
	if (a->pins > IOAPIC_MAX_PINS)
		return E_UNSUPPORTED;
	rc = irq_remap_alloc(a->pins, src, a->name, &a->handle);
	if (rc)
		return rc;
	for (unsigned pin = 0; pin < a->pins; pin++) {
		a->rte[pin] = ((uint64_t)hw_read(a, REG_RTE + 2 * pin + 1) << 32 |
			       hw_read(a, REG_RTE + 2 * pin)) & ~(uint64_t)RTE_STATUS_BITS;
		/* Whatever firmware left: decided like a guest write. */
		evaluate(a, pin);
	}
	n_ioapics++;
	log_info("ioapic virt id=%u base=0x%llx pins=%u handles=%u-%u sid=%02x:%02x.%x", id,
		 (unsigned long long)base, a->pins, a->handle, a->handle + a->pins - 1,
		 src->rid >> 8, (src->rid >> 3) & 0x1f, src->rid & 7);
	return 0;
}

void ioapic_virt_reset(void)
{
	n_ioapics = 0;
}

void *ioapic_virt_ctx(unsigned i)
{
	return i < n_ioapics ? &ioapics[i] : NULL;
}

unsigned ioapic_virt_count(void)
{
	return n_ioapics;
}

paddr_t ioapic_virt_base(unsigned i)
{
	return ioapics[i].base;
}
