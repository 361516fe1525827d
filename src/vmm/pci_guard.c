/* PCI configuration write policy (see pci_guard.h). Register layouts: PCI
 * Local Bus Spec 3.0 6.1/6.2.2/6.2.5 (BARs, command, expansion ROM) and
 * PCI-to-PCI Bridge Architecture Spec 1.2 3.2.5 (windows). */
#include "lib/log.h"
#include "platform/pci.h"
#include "vmm/chipset_guard.h"
#include "vmm/msi_virt.h"
#include "vmm/msix_virt.h"
#include "vmm/pci_guard.h"
#include "vmm/protect.h"

static uint64_t refusals;
/* Writes to hidden functions dropped (the first few are logged). Global:
 * an atomic counter when SMP comes (docs/architecture.md). */
static unsigned hidden_writes;

void pci_guard_reset(void)
{
	refusals = 0;
	hidden_writes = 0;
}

/* Hidden functions (the AMD IOMMU's own) are the registry's
 * (protect_add_pci_function): the guest sees nothing there by either path. */
bool pci_guard_reads_trapped(struct pci_bdf bdf)
{
	return protect_pci_function_hidden(bdf) || msi_virt_function(bdf);
}

uint32_t pci_guard_read(struct pci_bdf bdf, uint16_t off, int size, uint32_t hw)
{
	if (protect_pci_function_hidden(bdf))
		return size == 4 ? ~0u : (1u << (size * 8)) - 1;	/* no device answers */
	return msi_virt_read_fixup(bdf, off, size, hw);
}

uint64_t pci_guard_refusals(void)
{
	return refusals;
}

/* The function's configuration as it will be after the write: the dword
 * being written holds nv, every other dword is read live. A read that
 * fails marks the view bad (the write is then refused: fail closed). */
struct cfg_view {
	struct pci_bdf bdf;
	uint16_t reg;
	uint32_t nv;
	bool bad;
};

static uint32_t cfg32(struct cfg_view *v, uint16_t off)
{
	uint32_t x;

	if (off == v->reg)
		return v->nv;
	if (pci_cfg_read32(v->bdf, off, &x)) {
		v->bad = true;
		return ~0u;
	}
	return x;
}

static uint16_t cfg16(struct cfg_view *v, uint16_t off)
{
	return (uint16_t)(cfg32(v, off & ~3u) >> ((off & 2) * 8));
}

static uint8_t cfg8(struct cfg_view *v, uint16_t off)
{
	return (uint8_t)(cfg32(v, off & ~3u) >> ((off & 3) * 8));
}

/* The dword after the write. */
static uint32_t merged(uint16_t off, int size, uint32_t value, uint32_t current)
{
	unsigned shift = (off & 3) * 8;
	uint32_t mask = size == 4 ? ~0u : ((1u << (size * 8)) - 1) << shift;

	return (current & ~mask) | ((value << shift) & mask);
}

static bool refuse(struct pci_bdf bdf, uint16_t off, uint32_t value, const char *why)
{
	refusals++;
	log_warn("pci guard: refused guest write to %02x:%02x.%x offset 0x%02x value=0x%08x: %s",
		 bdf.bus, bdf.dev, bdf.fn, off, value, why);
	return false;
}

/* The protected range [base, end) would decode over, or NULL. The BAR that
 * owns an emulated range (bar = its index, -1 for ROMs and windows) does
 * not collide with that range. */
static const struct protected_range *collides(struct pci_bdf bdf, enum protect_space space,
					      uint64_t base, uint64_t end, int bar)
{
	if (end <= base)
		end = ~0ULL;	/* wrapped past the top: decodes up to it */
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->space != space || !(r->forbids & PROTECT_BAR) || base >= r->end ||
		    r->start >= end)
			continue;
		if (bar >= 0 && r->owner_bar == bar && pci_bdf_eq(r->owner, bdf))
			continue;
		return r;
	}
	return NULL;
}

/* ---- BARs ---- */

/* The BAR owning an emulated range stays where it is: writing its own
 * address back, or sizing it, is all the guest may do. */
static const char *pin_refuses(struct pci_bdf bdf, const struct pci_device *d, uint16_t reg,
			       uint32_t nv)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);
		uint16_t lo;

		if (r->owner_bar < 0 || !pci_bdf_eq(r->owner, bdf))
			continue;
		lo = (uint16_t)(PCI_BAR0 + 4 * r->owner_bar);
		if (r->space == PROTECT_SPACE_IO) {
			/* I/O BAR: bits 1:0 are the type (PCI 3.0 6.2.5.1). */
			if (reg == lo && (nv | 3) != ~0u && (nv & ~3u) != (uint32_t)r->owner_addr)
				return r->what;
			continue;
		}
		if (reg == lo && (nv | 0xf) != ~0u && (nv & ~0xfu) != (uint32_t)r->owner_addr)
			return r->what;
		if (reg == lo + 4 && d->bars[r->owner_bar].type == PCI_BAR_MEM64 && nv != ~0u &&
		    nv != (uint32_t)(r->owner_addr >> 32))
			return r->what;
	}
	return NULL;
}

/* A function whose registers shoji emulates keeps its programming
 * interface (class code byte 0, offset 0x09; PCI 3.0 6.2.1): on IDE
 * controllers bits 0 and 2 switch a channel between the legacy ports and
 * native-mode BARs (PCI IDE Controller Spec 1.0 2.1; writable on the ICH9
 * in IDE mode), which would move the registers shoji traps. */
static const char *progif_refuses(struct pci_bdf bdf, uint16_t reg, uint32_t nv,
				  uint32_t current)
{
	if (reg != 0x08 || ((nv ^ current) & 0xff00) == 0)
		return NULL;
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->owner_bar >= 0 && pci_bdf_eq(r->owner, bdf))
			return "the programming interface of an emulated device is fixed";
	}
	return NULL;
}

/* BAR i as the view has it: where it decodes, in which space. */
static void bar_range(struct cfg_view *v, const struct pci_device *d, unsigned i,
		      enum protect_space *space, uint64_t *base, uint64_t *end)
{
	const struct pci_bar *b = &d->bars[i];
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
	uint64_t a = cfg32(v, off), size;

	if (b->type == PCI_BAR_IO) {
		size = b->size ? b->size : 4;
		*space = PROTECT_SPACE_IO;
		a &= ~3ULL;
	} else {
		size = b->size ? b->size : PAGE_SIZE;
		*space = PROTECT_SPACE_MEM;
		if (b->type == PCI_BAR_MEM64)
			a |= (uint64_t)cfg32(v, (uint16_t)(off + 4)) << 32;
		a &= ~0xfULL;
	}
	*base = a & ~(size - 1);	/* the bits below the size are read-only zero */
	*end = *base + size;
}

/* A sizing write: the written half is all-ones (but for the type bits). */
static bool sizing(const struct pci_bar *b, uint16_t reg, uint16_t lo, uint32_t nv)
{
	if (reg != lo)
		return nv == ~0u;	/* upper half of a 64-bit BAR */
	return (nv | (b->type == PCI_BAR_IO ? 3u : 0xfu)) == ~0u;
}

/* BARs touched by the write (all of them for a command write that enables
 * their space). A BAR is checked whether or not it decodes now, except
 * that sizing with decoding off passes: the register then holds its size
 * mask, and the command write that turns decoding on checks it again. */
static const char *bars_refuse(struct cfg_view *v, const struct pci_device *d, uint16_t reg)
{
	uint16_t cmd = cfg16(v, PCI_COMMAND);

	for (unsigned i = 0; i < d->nr_bars; i++) {
		const struct pci_bar *b = &d->bars[i];
		uint16_t lo = (uint16_t)(PCI_BAR0 + 4 * i);
		uint16_t hi = b->type == PCI_BAR_MEM64 ? (uint16_t)(lo + 4) : lo;
		uint16_t enable = b->type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		const struct protected_range *r;
		enum protect_space space;
		uint64_t base, end;

		if (b->type == PCI_BAR_NONE)
			continue;
		if (reg == PCI_COMMAND ? !(cmd & enable) : (reg != lo && reg != hi))
			continue;
		if (reg != PCI_COMMAND && !(cmd & enable) && sizing(b, reg, lo, v->nv))
			continue;
		bar_range(v, d, i, &space, &base, &end);
		r = collides(v->bdf, space, base, end, (int)i);
		if (r)
			return r->what;
	}
	return NULL;
}

/* ---- expansion ROM ---- */

static const char *rom_refuses(struct cfg_view *v, const struct pci_device *d, uint16_t reg,
			       uint16_t rom_off)
{
	uint32_t rom;
	const struct protected_range *r;

	if (reg != PCI_COMMAND && reg != rom_off)
		return NULL;
	rom = cfg32(v, rom_off);
	if (!(rom & 1) || !d->rom_size)
		return NULL;	/* not enabled (6.2.5.2: bit 0), or no ROM */
	r = collides(v->bdf, PROTECT_SPACE_MEM, (rom & ~0x7ffu) & ~(d->rom_size - 1),
		     ((rom & ~0x7ffu) & ~(d->rom_size - 1)) + d->rom_size, -1);
	return r ? r->what : NULL;
}

/* ---- bridge windows (PCI-to-PCI Bridge 1.2, 3.2.5.6/3.2.5.8/3.2.5.9) ---- */

/* A window may cover a range that a BAR of a device behind the bridge owns
 * (an emulated device's pinned BAR sits inside its bridges' windows); any
 * other protected range is refused. The bus numbers are fixed (see above). */
static const char *window(struct cfg_view *v, enum protect_space space, uint64_t base,
			  uint64_t limit)
{
	uint8_t sec = cfg8(v, PCI_SECONDARY_BUS), sub = cfg8(v, PCI_SUBORDINATE_BUS);

	if (base > limit)
		return NULL;	/* base above limit: the window is closed */
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->space != space || !(r->forbids & PROTECT_BAR) || base >= r->end ||
		    r->start > limit)
			continue;
		if (r->owner_bar >= 0 && r->owner.seg == v->bdf.seg && r->owner.bus >= sec &&
		    r->owner.bus <= sub)
			continue;
		return r->what;
	}
	return NULL;
}

static const char *windows_refuse(struct cfg_view *v, uint16_t reg)
{
	bool cmd = reg == PCI_COMMAND;
	const char *why = NULL;

	/* I/O: bits 7:4 are address 15:12; low nibble 1 = 32-bit, upper 16 bits
	 * at 0x30 (base) and 0x32 (limit). */
	if (cmd || reg == PCI_IO_BASE || reg == PCI_IO_BASE_UPPER) {
		uint8_t b = cfg8(v, PCI_IO_BASE), l = cfg8(v, PCI_IO_BASE + 1);
		bool io32 = (b & 0xf) == 1;
		uint64_t base = (uint64_t)(b & 0xf0) << 8, limit = ((uint64_t)(l & 0xf0) << 8) | 0xfff;

		if (io32) {
			base |= (uint64_t)cfg16(v, PCI_IO_BASE_UPPER) << 16;
			limit |= (uint64_t)cfg16(v, PCI_IO_BASE_UPPER + 2) << 16;
		}
		why = window(v, PROTECT_SPACE_IO, base, limit);
	}
	/* Memory: bits 15:4 are address 31:20, 1 MiB granular. */
	if (!why && (cmd || reg == PCI_MEM_BASE)) {
		uint32_t w = cfg32(v, PCI_MEM_BASE);

		why = window(v, PROTECT_SPACE_MEM, (uint64_t)(w & 0xfff0) << 16,
			     ((uint64_t)(w >> 16 & 0xfff0) << 16) | 0xfffff);
	}
	/* Prefetchable: the same, low nibble 1 = 64-bit with the upper halves
	 * at 0x28 (base) and 0x2c (limit). */
	if (!why && (cmd || reg == PCI_PREF_BASE || reg == PCI_PREF_BASE_UPPER ||
		     reg == PCI_PREF_LIMIT_UPPER)) {
		uint32_t w = cfg32(v, PCI_PREF_BASE);
		uint64_t base = (uint64_t)(w & 0xfff0) << 16;
		uint64_t limit = ((uint64_t)(w >> 16 & 0xfff0) << 16) | 0xfffff;

		if ((w & 0xf) == 1) {
			base |= (uint64_t)cfg32(v, PCI_PREF_BASE_UPPER) << 32;
			limit |= (uint64_t)cfg32(v, PCI_PREF_LIMIT_UPPER) << 32;
		}
		why = window(v, PROTECT_SPACE_MEM, base, limit);
	}
	return why;
}

bool pci_guard_allows(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
		      uint32_t current)
{
	const struct pci_device *d = pci_find(bdf);
	uint16_t reg = off & ~3u;
	struct cfg_view v = { bdf, reg, merged(off, size, value, current), false };
	const char *why;
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
	    (v.nv & 0xffffff) != (current & 0xffffff))
		return refuse(bdf, off, value,
			      "bridge bus numbers are fixed (they key the IOMMU's context entries)");
	why = pin_refuses(bdf, d, reg, v.nv);
	if (!why)
		why = progif_refuses(bdf, reg, v.nv, current);
	if (!why)
		why = bars_refuse(&v, d, reg);
	if (!why && layout <= 1)
		why = rom_refuses(&v, d, reg, layout == 1 ? PCI_ROM_BRIDGE : PCI_ROM);
	if (!why && layout == 1)
		why = windows_refuse(&v, reg);
	if (!why && v.bad)
		why = "the function's configuration could not be read";
	return why ? refuse(bdf, off, value, why) : true;
}

bool pci_guard_write_to_device(struct pci_bdf bdf, uint16_t off, int size, uint32_t value,
			       uint32_t current)
{
	const char *hidden = protect_pci_function_hidden(bdf);

	if (hidden) {
		/* Nothing is there for the guest: the write is dropped. */
		if (hidden_writes++ < 4)
			log_warn("pci: guest write to hidden function %02x:%02x.%x (%s) off=0x%x "
				 "dropped", bdf.bus, bdf.dev, bdf.fn, hidden, off);
		return false;
	}
	if (msi_virt_owns(bdf, off)) {
		msi_virt_write(bdf, off, size, value);	/* shoji keeps the guest's MSI */
		return false;
	}
	return pci_guard_allows(bdf, off, size, value, current);
}

void pci_guard_written(struct pci_bdf bdf, uint16_t off, int size)
{
	msi_virt_after_write(bdf, off, size);
	msix_virt_after_write(bdf, off, size);
}
