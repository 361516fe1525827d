/* PCI configuration-space access (portable; hardware only through lib/hal.h).
 *
 * Two mechanisms:
 *  - ECAM (PCIe Base Spec 7.2.2, "PCI Express Enhanced Configuration Access
 *    Mechanism"): 4 KiB of memory-mapped config space per function at
 *        base + (bus << 20 | dev << 15 | fn << 12 | offset)
 *    for every range registered with pci_add_ecam() (the ACPI MCFG parser
 *    does that, one call per MCFG allocation entry).
 *  - Legacy configuration mechanism #1 (PCI Local Bus Spec 3.0, 3.2.2.3.2):
 *    a dword address written to port 0xCF8
 *        bit 31 enable | bus << 16 | dev << 11 | fn << 8 | (offset & 0xFC)
 *    then data at port 0xCFC + (offset & 3). Segment 0 only, offsets < 256.
 *    Used for any (segment 0) bus that no ECAM range covers.
 *
 * Accesses are naturally aligned (8/16/32 bits; an unaligned offset is
 * E_INVAL, nothing is touched). Offsets >= 256 need ECAM (E_RANGE without).
 *
 * Concurrency: nothing here takes a lock. A CF8/CFC access is two port
 * accesses, so two CPUs (or an interrupt handler interrupting a CF8 access
 * on the same CPU) must not use the CF8 path at the same time; the caller
 * serialises (shoji enumerates on the boot CPU before anything else runs).
 * ECAM accesses are single MMIO accesses and need no serialisation. */
#ifndef SHOJI_PLATFORM_PCI_CFG_H
#define SHOJI_PLATFORM_PCI_CFG_H

#include "lib/types.h"

/* A function's address: PCI segment group, bus, device (0-31), function (0-7). */
struct pci_bdf {
	uint16_t seg;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};

#define PCI_BDF(s, b, d, f) \
	((struct pci_bdf){ .seg = (s), .bus = (b), .dev = (d), .fn = (f) })

/* The 16-bit requester/source ID (bus << 8 | dev << 3 | fn) VT-d uses. */
static inline uint16_t pci_bdf_sid(struct pci_bdf a)
{
	return (uint16_t)(a.bus << 8 | (a.dev & 0x1f) << 3 | (a.fn & 7));
}

static inline bool pci_bdf_eq(struct pci_bdf a, struct pci_bdf b)
{
	return a.seg == b.seg && a.bus == b.bus && a.dev == b.dev && a.fn == b.fn;
}

/* Limit: ECAM ranges that can be registered (MCFG entries). */
#define PCI_MAX_ECAM 16

/* Legacy mechanism #1 ports (PCI Local Bus Spec 3.0, 3.2.2.3.2). */
#define PCI_CF8_ADDR_PORT 0xcf8
#define PCI_CF8_DATA_PORT 0xcfc
#define PCI_CF8_ENABLE 0x80000000u

/* The dword written to 0xCF8 for (bus, dev, fn, offset). */
static inline uint32_t pci_cf8_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return PCI_CF8_ENABLE | (uint32_t)bus << 16 | (uint32_t)(dev & 0x1f) << 11 |
	       (uint32_t)(fn & 7) << 8 | (off & 0xfc);
}

/* ECAM address of (bus, dev, fn, offset) relative to the range's base. */
static inline uint64_t pci_ecam_offset(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return (uint64_t)bus << 20 | (uint64_t)(dev & 0x1f) << 15 |
	       (uint64_t)(fn & 7) << 12 | (off & 0xfff);
}

enum pci_cfg_mech {
	PCI_CFG_NONE = 0,	/* no way to reach this (segment, bus) */
	PCI_CFG_CF8,		/* legacy CF8/CFC mechanism #1 */
	PCI_CFG_ECAM,		/* memory-mapped (enhanced) */
};

/* Registers an ECAM range: segment, base = the MCFG "base address" (the
 * address of bus 0's config space, even when bus_start > 0, i.e. bus B is
 * at base + (B << 20)), inclusive bus range. Returns 0, E_INVAL (base 0 or
 * not 1 MiB aligned, bus_start > bus_end, address overflow), E_BUSY (buses
 * overlap a range already registered for the segment), E_NOMEM (more than
 * PCI_MAX_ECAM ranges; warned). */
int pci_add_ecam(uint16_t seg, paddr_t base, uint8_t bus_start, uint8_t bus_end);

/* Forgets every ECAM range (back to CF8 only). For tests and re-probing. */
void pci_cfg_reset(void);

/* Number of registered ranges and the i-th one (false if i is out of range). */
size_t pci_ecam_count(void);
bool pci_ecam_get(size_t i, uint16_t *seg, paddr_t *base, uint8_t *bus_start,
		  uint8_t *bus_end);

/* Which mechanism reaches (seg, bus): ECAM if a range covers it, else CF8
 * for segment 0, else none. */
enum pci_cfg_mech pci_cfg_mech_for(uint16_t seg, uint8_t bus);

/* For the boot report: "ecam" when at least one ECAM range is registered,
 * "cf8" otherwise. */
const char *pci_cfg_mechanism(void);

/* Config reads and writes. 0 on success; E_INVAL for dev > 31, fn > 7,
 * offset > 0xfff or an offset not aligned to the width; E_RANGE for an
 * offset >= 0x100 without ECAM; E_NOENT when no mechanism reaches the
 * segment. On failure reads store all-ones (what an absent function returns)
 * so a caller that ignores the result still sees "nothing there". */
/* The configuration-space lock (docs/smp.md): the legacy mechanism is an
 * address/data pair of ports every CPU shares, and the guest's accesses are
 * judged (vmm/pci_guard.h) against the live configuration, so a whole
 * judged access is one critical section. Every pci_cfg_read/write takes it;
 * vmm/pci_ports.c holds it across the guest's access. Re-entrant on the
 * holding CPU. */
void pci_cfg_lock(void);
void pci_cfg_unlock(void);

int pci_cfg_read8(struct pci_bdf a, uint16_t off, uint8_t *val);
int pci_cfg_read16(struct pci_bdf a, uint16_t off, uint16_t *val);
int pci_cfg_read32(struct pci_bdf a, uint16_t off, uint32_t *val);
int pci_cfg_write8(struct pci_bdf a, uint16_t off, uint8_t val);
int pci_cfg_write16(struct pci_bdf a, uint16_t off, uint16_t val);
int pci_cfg_write32(struct pci_bdf a, uint16_t off, uint32_t val);

#endif
