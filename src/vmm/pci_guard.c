/* PCI configuration write policy (see pci_guard.h). Register offsets: PCI
 * Local Bus Spec 3.0 6.1/6.2.5 and PCI-to-PCI Bridge Spec 1.2 3.2. */
#include "lib/log.h"
#include "platform/pci.h"
#include "vmm/chipset_guard.h"
#include "vmm/pci_guard.h"

struct range {
	paddr_t start, end;
	const char *what;
};

static struct range ranges[PCI_GUARD_MAX_RANGES];
static unsigned n_ranges;
static uint64_t refusals;

#define MAX_PINS 4
static struct {
	struct pci_bdf bdf;
	unsigned bar;
	uint32_t addr;		/* the address bits the BAR must keep */
	const char *what;
} pins[MAX_PINS];
static unsigned n_pins;

void pci_guard_reset(void)
{
	n_ranges = 0;
	n_pins = 0;
	refusals = 0;
}

int pci_guard_pin_bar(struct pci_bdf bdf, unsigned bar, const char *what)
{
	const struct pci_device *d = pci_find(bdf);

	if (n_pins == MAX_PINS || bar > 5 || !d)
		return -1;
	pins[n_pins].bdf = bdf;
	pins[n_pins].bar = bar;
	pins[n_pins].addr = (uint32_t)d->bars[bar].addr & ~0xfu;
	pins[n_pins].what = what;
	n_pins++;
	return 0;
}

/* A pinned BAR may be sized (all-ones) and written back to where it is;
 * nothing else. The register reads as the size mask between the two, so
 * the check is against the pinned address, not the current value. */
static const char *pin_refuses(struct pci_bdf bdf, uint16_t reg, uint32_t nv)
{
	for (unsigned i = 0; i < n_pins; i++) {
		if (!pci_bdf_eq(pins[i].bdf, bdf) || reg != PCI_BAR0 + 4 * pins[i].bar)
			continue;
		if ((nv | 0xf) == ~0u || (nv & ~0xfu) == pins[i].addr)
			return NULL;
		return pins[i].what;
	}
	return NULL;
}

int pci_guard_forbid(paddr_t start, paddr_t end, const char *what)
{
	if (n_ranges == PCI_GUARD_MAX_RANGES || end <= start)
		return -1;
	ranges[n_ranges++] = (struct range){ start, end, what };
	return 0;
}

uint64_t pci_guard_refusals(void)
{
	return refusals;
}

/* The dword after the write. */
static uint32_t merged(uint16_t off, int size, uint32_t value, uint32_t current)
{
	unsigned shift = (off & 3) * 8;
	uint32_t mask = size == 4 ? ~0u : ((1u << (size * 8)) - 1) << shift;

	return (current & ~mask) | ((value << shift) & mask);
}

static const struct range *forbidden(uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < n_ranges; i++)
		if (base < ranges[i].end && ranges[i].start < base + size)
			return &ranges[i];
	return NULL;
}

static bool refuse(struct pci_bdf bdf, uint16_t off, uint32_t value, const char *why)
{
	refusals++;
	log_warn("pci guard: refused guest write to %02x:%02x.%x offset 0x%02x value=0x%08x: %s",
		 bdf.bus, bdf.dev, bdf.fn, off, value, why);
	return false;
}

/* Checks a memory BAR register `reg` (or the expansion ROM) whose dword
 * is about to become nv: where would the device decode after the write? */
static bool bar_allowed(const struct pci_device *d, struct pci_bdf bdf, uint16_t reg,
			uint32_t nv, uint16_t off, uint32_t value, bool rom)
{
	uint64_t base, size = PAGE_SIZE;
	const struct range *r;

	if (nv == ~0u || (!rom && (nv | 0xf) == ~0u))
		return true;	/* sizing: the device answers with its size mask */
	if (rom) {
		/* Address in bits 31:11, bit 0 enables decode (PCI 3.0 6.2.5.2). */
		if (!(nv & 1))
			return true;
		base = nv & ~0x7ffu;
	} else {
		unsigned i = (reg - PCI_BAR0) / 4;
		const struct pci_bar *b = &d->bars[i];

		if (i > 0 && d->bars[i - 1].type == PCI_BAR_MEM64) {	/* upper half */
			b = &d->bars[i - 1];
			base = ((uint64_t)nv << 32) | (b->addr & 0xfffffff0u);
		} else if (b->type == PCI_BAR_MEM32 || b->type == PCI_BAR_MEM64) {
			base = (b->addr & ~0xffffffffULL) | (nv & ~0xfu);
		} else {
			return true;	/* I/O space or unimplemented */
		}
		if (b->size)
			size = b->size;
	}
	r = forbidden(base, size);
	if (r)
		return refuse(bdf, off, value, r->what);
	return true;
}

bool pci_guard_allows(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
		      uint32_t current)
{
	const struct pci_device *d = pci_find(bdf);
	uint16_t reg = off & ~3u;
	uint32_t nv = merged(off, size, value, current);
	uint8_t layout;

	if (!d)
		return true;	/* no device there: the write reaches nothing */
	if (chipset_guard_check(bdf, d->vendor, d->device, d->class_code, off, size, value,
				current).refused) {
		refusals++;
		return false;	/* logged by the chipset guard, rate-limited */
	}
	layout = d->header_type & 0x7f;
	if (layout == 1 && reg == PCI_PRIMARY_BUS &&
	    (nv & 0xffffff) != (current & 0xffffff))
		return refuse(bdf, off, value,
			      "bridge bus numbers are fixed (they key the IOMMU's context entries)");
	if (pin_refuses(bdf, reg, nv))
		return refuse(bdf, off, value, pin_refuses(bdf, reg, nv));
	if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4u * d->nr_bars)
		return bar_allowed(d, bdf, reg, nv, off, value, false);
	if ((layout == 0 && reg == 0x30) || (layout == 1 && reg == 0x38))
		return bar_allowed(d, bdf, reg, nv, off, value, true);
	return true;
}
