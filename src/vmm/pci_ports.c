/* PCI configuration ports as the guest sees them (see pci_ports.h). */
#include "lib/hal.h"
#include "platform/pci_cfg.h"
#include "vmm/pci_guard.h"
#include "vmm/pci_ports.h"

static uint32_t mask_of(unsigned size)
{
	return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

/* CONFIG_ADDRESS: bit 31 enable, 23:16 bus, 15:11 device, 10:8 function,
 * 7:2 register; the data port's low bits give the byte. */
static bool target(const struct pci_ports *p, uint16_t port, struct pci_bdf *bdf,
		   uint16_t *off)
{
	if (port < PCI_CF8_DATA_PORT || !(p->cf8 & PCI_CF8_ENABLE))
		return false;
	*bdf = PCI_BDF(0, (p->cf8 >> 16) & 0xff, (p->cf8 >> 11) & 0x1f, (p->cf8 >> 8) & 7);
	*off = (uint16_t)((p->cf8 & 0xfc) | (port & 3));
	return true;
}

static uint32_t ports_in(struct pci_ports *p, uint16_t port, unsigned size)
{
	struct pci_bdf bdf;
	uint16_t off;

	if (port == PCI_CF8_ADDR_PORT && size == 4)
		return p->cf8;
	if (target(p, port, &bdf, &off)) {
		hal_outl(PCI_CF8_ADDR_PORT, p->cf8);
		return pci_guard_read(bdf, off, (int)size, hal_in(port, size)) & mask_of(size);
	}
	if (port >= PCI_CF8_DATA_PORT)
		return mask_of(size);	/* disabled: nothing answers */
	return hal_in(port, size) & mask_of(size);
}

static void ports_out(struct pci_ports *p, uint16_t port, unsigned size, uint32_t v)
{
	struct pci_bdf bdf;
	uint16_t off;

	v &= mask_of(size);
	if (port == PCI_CF8_ADDR_PORT && size == 4) {
		p->cf8 = v;
		return;
	}
	if (target(p, port, &bdf, &off)) {
		uint32_t cur;

		/* The guard may use CF8 itself (no ECAM): the address is written
		 * again before the data access. */
		hal_outl(PCI_CF8_ADDR_PORT, p->cf8 & ~3u);
		cur = hal_inl(PCI_CF8_DATA_PORT);
		if (!pci_guard_write_to_device(bdf, off, (int)size, v, cur))
			return;
		hal_outl(PCI_CF8_ADDR_PORT, p->cf8);
		hal_out(port, size, v);
		pci_guard_written(bdf, off, (int)size);
		return;
	}
	if (port < PCI_CF8_DATA_PORT)
		hal_out(port, size, v);
}

/* The latch, the hardware's address port, the guard's view of the live
 * configuration and the MSI state are everyone's: one critical section per
 * access (platform/pci_cfg.h: pci_cfg_lock). A CONFIG_ADDRESS write and the
 * data access after it are two sections, as on hardware, where another CPU
 * may write the address in between: the guest serialises them itself
 * (Linux: pci_config_lock), and the guard decides each data access on the
 * latch as it is at that access. */
struct pci_ports *pci_ports_machine(void)
{
	static struct pci_ports machine;

	return &machine;
}

uint32_t pci_ports_in(struct pci_ports *p, uint16_t port, unsigned size)
{
	uint32_t v;

	pci_cfg_lock();
	v = ports_in(p, port, size);
	pci_cfg_unlock();
	return v;
}

void pci_ports_out(struct pci_ports *p, uint16_t port, unsigned size, uint32_t v)
{
	pci_cfg_lock();
	ports_out(p, port, size, v);
	pci_cfg_unlock();
}

unsigned pci_ports_fused_read(const uint8_t *b, size_t n, enum x86_mode mode,
			      uint16_t *port, unsigned *size)
{
	uint32_t imm;
	unsigned len, sz;

	if (mode == X86_MODE_16 || n < 6 || b[0] != 0xba)
		return 0;	/* 16-bit code: BA iw, another instruction */
	imm = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 24;
	if (imm < PCI_CF8_DATA_PORT || imm > PCI_PORTS_LAST)
		return 0;
	if (b[5] == 0xec) {
		sz = 1, len = 6;
	} else if (b[5] == 0xed) {
		sz = 4, len = 6;
	} else if (b[5] == 0x66 && n >= 7 && b[6] == 0xed) {
		sz = 2, len = 7;
	} else {
		return 0;
	}
	if (imm + sz > PCI_PORTS_LAST + 1)
		return 0;
	*port = (uint16_t)imm;
	*size = sz;
	return len;
}
