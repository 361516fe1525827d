/* PCI configuration-space access: ECAM and legacy CF8/CFC. See pci_cfg.h. */
#include "platform/pci_cfg.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"

struct ecam_range {
	paddr_t base;		/* address of bus 0 of the segment (MCFG) */
	uint16_t seg;
	uint8_t bus_start;
	uint8_t bus_end;
};

static struct rec_spinlock cfg_lock = REC_SPINLOCK_INIT;

void pci_cfg_lock(void)
{
	rec_spin_lock(&cfg_lock);
}

void pci_cfg_unlock(void)
{
	rec_spin_unlock(&cfg_lock);
}

static struct ecam_range ecam[PCI_MAX_ECAM];
static size_t ecam_n;

/* ECAM: 1 MiB of config space per bus (PCIe Base Spec 7.2.2). */
#define ECAM_BUS_SHIFT 20

int pci_add_ecam(uint16_t seg, paddr_t base, uint8_t bus_start, uint8_t bus_end)
{
	if (base == 0 || !IS_ALIGNED(base, MiB(1)) || bus_start > bus_end) {
		log_warn("pci ecam seg=%04x base=0x%llx buses=%02x-%02x rejected: invalid",
			 seg, (unsigned long long)base, bus_start, bus_end);
		return E_INVAL;
	}
	/* The range's last byte must not wrap the address space. */
	if (base + ((uint64_t)(bus_end + 1) << ECAM_BUS_SHIFT) - 1 < base) {
		log_warn("pci ecam seg=%04x base=0x%llx rejected: address overflow",
			 seg, (unsigned long long)base);
		return E_INVAL;
	}
	for (size_t i = 0; i < ecam_n; i++) {
		if (ecam[i].seg == seg && bus_start <= ecam[i].bus_end &&
		    ecam[i].bus_start <= bus_end) {
			log_warn("pci ecam seg=%04x buses=%02x-%02x rejected: overlaps buses=%02x-%02x",
				 seg, bus_start, bus_end, ecam[i].bus_start, ecam[i].bus_end);
			return E_BUSY;
		}
	}
	if (ecam_n == ARRAY_SIZE(ecam)) {
		log_warn("pci ecam seg=%04x buses=%02x-%02x ignored: more than %d ECAM ranges",
			 seg, bus_start, bus_end, PCI_MAX_ECAM);
		return E_NOMEM;
	}
	ecam[ecam_n].base = base;
	ecam[ecam_n].seg = seg;
	ecam[ecam_n].bus_start = bus_start;
	ecam[ecam_n].bus_end = bus_end;
	ecam_n++;
	return 0;
}

void pci_cfg_reset(void)
{
	ecam_n = 0;
}

size_t pci_ecam_count(void)
{
	return ecam_n;
}

bool pci_ecam_get(size_t i, uint16_t *seg, paddr_t *base, uint8_t *bus_start,
		  uint8_t *bus_end)
{
	if (i >= ecam_n)
		return false;
	if (seg)
		*seg = ecam[i].seg;
	if (base)
		*base = ecam[i].base;
	if (bus_start)
		*bus_start = ecam[i].bus_start;
	if (bus_end)
		*bus_end = ecam[i].bus_end;
	return true;
}

static const struct ecam_range *ecam_find(uint16_t seg, uint8_t bus)
{
	for (size_t i = 0; i < ecam_n; i++)
		if (ecam[i].seg == seg && bus >= ecam[i].bus_start && bus <= ecam[i].bus_end)
			return &ecam[i];
	return NULL;
}

enum pci_cfg_mech pci_cfg_mech_for(uint16_t seg, uint8_t bus)
{
	if (ecam_find(seg, bus))
		return PCI_CFG_ECAM;
	return seg == 0 ? PCI_CFG_CF8 : PCI_CFG_NONE;
}

const char *pci_cfg_mechanism(void)
{
	return ecam_n ? "ecam" : "cf8";
}

/* Checks an access and finds how to do it. Returns 0 and sets *ecam_pa
 * (0 = use CF8), or a negative error. */
static int cfg_route(struct pci_bdf a, uint16_t off, unsigned width, paddr_t *ecam_pa)
{
	const struct ecam_range *r;

	if (a.dev > 31 || a.fn > 7 || off > 0xfff || (off & (width - 1)))
		return E_INVAL;
	r = ecam_find(a.seg, a.bus);
	if (r) {
		*ecam_pa = r->base + pci_ecam_offset(a.bus, a.dev, a.fn, off);
		return 0;
	}
	if (a.seg != 0)
		return E_NOENT;
	if (off >= 0x100)
		return E_RANGE;
	*ecam_pa = 0;
	return 0;
}

static int cfg_read_locked(struct pci_bdf a, uint16_t off, unsigned width, uint32_t *val)
{
	paddr_t pa;
	int e = cfg_route(a, off, width, &pa);

	if (e) {
		*val = width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
		return e;
	}
	if (pa) {
		*val = width == 1 ? hal_mmio_read8(pa) :
		       width == 2 ? hal_mmio_read16(pa) : hal_mmio_read32(pa);
		return 0;
	}
	hal_outl(PCI_CF8_ADDR_PORT, pci_cf8_address(a.bus, a.dev, a.fn, off));
	*val = width == 1 ? hal_inb((uint16_t)(PCI_CF8_DATA_PORT + (off & 3))) :
	       width == 2 ? hal_inw((uint16_t)(PCI_CF8_DATA_PORT + (off & 3))) :
	       hal_inl(PCI_CF8_DATA_PORT);
	return 0;
}

static int cfg_write_locked(struct pci_bdf a, uint16_t off, unsigned width, uint32_t val)
{
	paddr_t pa;
	int e = cfg_route(a, off, width, &pa);

	if (e)
		return e;
	if (pa) {
		if (width == 1)
			hal_mmio_write8(pa, (uint8_t)val);
		else if (width == 2)
			hal_mmio_write16(pa, (uint16_t)val);
		else
			hal_mmio_write32(pa, val);
		return 0;
	}
	hal_outl(PCI_CF8_ADDR_PORT, pci_cf8_address(a.bus, a.dev, a.fn, off));
	if (width == 1)
		hal_outb((uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), (uint8_t)val);
	else if (width == 2)
		hal_outw((uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), (uint16_t)val);
	else
		hal_outl(PCI_CF8_DATA_PORT, val);
	return 0;
}

static int cfg_read(struct pci_bdf a, uint16_t off, unsigned width, uint32_t *val)
{
	int rc;

	pci_cfg_lock();
	rc = cfg_read_locked(a, off, width, val);
	pci_cfg_unlock();
	return rc;
}

static int cfg_write(struct pci_bdf a, uint16_t off, unsigned width, uint32_t val)
{
	int rc;

	pci_cfg_lock();
	rc = cfg_write_locked(a, off, width, val);
	pci_cfg_unlock();
	return rc;
}

int pci_cfg_read8(struct pci_bdf a, uint16_t off, uint8_t *val)
{
	uint32_t v;
	int e = cfg_read(a, off, 1, &v);

	*val = (uint8_t)v;
	return e;
}

int pci_cfg_read16(struct pci_bdf a, uint16_t off, uint16_t *val)
{
	uint32_t v;
	int e = cfg_read(a, off, 2, &v);

	*val = (uint16_t)v;
	return e;
}

int pci_cfg_read32(struct pci_bdf a, uint16_t off, uint32_t *val)
{
	return cfg_read(a, off, 4, val);
}

int pci_cfg_write8(struct pci_bdf a, uint16_t off, uint8_t val)
{
	return cfg_write(a, off, 1, val);
}

int pci_cfg_write16(struct pci_bdf a, uint16_t off, uint16_t val)
{
	return cfg_write(a, off, 2, val);
}

int pci_cfg_write32(struct pci_bdf a, uint16_t off, uint32_t val)
{
	return cfg_write(a, off, 4, val);
}
