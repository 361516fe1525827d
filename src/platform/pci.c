/* PCI enumeration and the device list. See pci.h for the rules. */
#include "platform/pci.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

static struct pci_device devs[PCI_MAX_DEVICES];
static size_t ndevs;
static size_t ndropped;

/* Buses of the segment being enumerated that have been scanned. */
static uint8_t visited[256 / 8];

static bool bus_visited(uint8_t bus)
{
	return visited[bus / 8] & (1u << (bus % 8));
}

static void bus_mark(uint8_t bus)
{
	visited[bus / 8] |= (uint8_t)(1u << (bus % 8));
}

/* "SSSS:BB:DD.F" or "BB:DD.F". */
static const char *fmt_bdf(char *buf, size_t n, struct pci_bdf a)
{
	if (a.seg)
		shoji_snprintf(buf, n, "%04x:%02x:%02x.%x", a.seg, a.bus, a.dev, a.fn);
	else
		shoji_snprintf(buf, n, "%02x:%02x.%x", a.bus, a.dev, a.fn);
	return buf;
}

#define BDF_STR_LEN 16

static uint8_t rd8(struct pci_bdf a, uint16_t off)
{
	uint8_t v;

	pci_cfg_read8(a, off, &v);
	return v;
}

static uint16_t rd16(struct pci_bdf a, uint16_t off)
{
	uint16_t v;

	pci_cfg_read16(a, off, &v);
	return v;
}

static uint32_t rd32(struct pci_bdf a, uint16_t off)
{
	uint32_t v;

	pci_cfg_read32(a, off, &v);
	return v;
}

/* Vendor 0xffff is what an absent function returns (PCI 3.0, 6.2.1);
 * 0x0000 is not a valid vendor either and some broken bridges return it. */
static bool vendor_present(uint16_t vendor)
{
	return vendor != 0xffff && vendor != 0x0000;
}

/* ---- BARs (PCI Local Bus Spec 3.0, 6.2.5.1) ---- */

#define BAR_IO_SPACE 0x1u
#define BAR_IO_RESERVED 0x2u
#define BAR_MEM_TYPE_MASK 0x6u
#define BAR_MEM_TYPE_32 0x0u
#define BAR_MEM_TYPE_1M 0x2u		/* PCI 2.x "below 1 MiB", treated as 32-bit */
#define BAR_MEM_TYPE_64 0x4u
#define BAR_MEM_TYPE_RESERVED 0x6u
#define BAR_MEM_PREFETCH 0x8u

static void bar_bad(const struct pci_device *d, unsigned i, const char *why)
{
	char b[BDF_STR_LEN];

	log_warn("pci %s bar%u %s, size unknown", fmt_bdf(b, sizeof(b), d->bdf), i, why);
}

/* True when mask is of the form 1...10...0 (some ones, then zeros). */
static bool mask_contiguous(uint64_t mask)
{
	uint64_t low = ~mask;

	return mask != 0 && (low & (low + 1)) == 0;
}

/* Sizes BAR i of d (decode already off). Returns the number of slots it
 * takes (2 for a 64-bit BAR, else 1). */
static unsigned size_bar(struct pci_device *d, unsigned i)
{
	struct pci_bar *bar = &d->bars[i];
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
	uint32_t orig = rd32(d->bdf, off), orig_hi = 0, m, m_hi = 0, type_bits;
	uint64_t mask;
	bool is64 = false, restored;

	if (orig & BAR_IO_SPACE) {
		bar->type = PCI_BAR_IO;
		bar->addr = orig & ~3u;
		if (orig & BAR_IO_RESERVED) {
			bar->flags |= PCI_BAR_F_BAD;
			bar_bad(d, i, "io with reserved bit 1 set");
			return 1;
		}
	} else {
		uint32_t mt = orig & BAR_MEM_TYPE_MASK;

		bar->type = PCI_BAR_MEM32;
		bar->addr = orig & ~0xfu;
		if (orig & BAR_MEM_PREFETCH)
			bar->flags |= PCI_BAR_F_PREFETCH;
		if (mt == BAR_MEM_TYPE_RESERVED) {
			bar->flags |= PCI_BAR_F_BAD;
			bar_bad(d, i, "reserved memory type");
			return 1;
		}
		if (mt == BAR_MEM_TYPE_64) {
			bar->type = PCI_BAR_MEM64;
			if (i + 1u >= d->nr_bars) {
				bar->flags |= PCI_BAR_F_BAD;
				bar_bad(d, i, "64-bit in the last slot");
				return 1;
			}
			is64 = true;
			orig_hi = rd32(d->bdf, (uint16_t)(off + 4));
			bar->addr |= (uint64_t)orig_hi << 32;
		}
	}

	pci_cfg_write32(d->bdf, off, 0xffffffffu);
	m = rd32(d->bdf, off);
	pci_cfg_write32(d->bdf, off, orig);
	restored = rd32(d->bdf, off) == orig;
	if (is64) {
		uint16_t off_hi = (uint16_t)(off + 4);

		pci_cfg_write32(d->bdf, off_hi, 0xffffffffu);
		m_hi = rd32(d->bdf, off_hi);
		pci_cfg_write32(d->bdf, off_hi, orig_hi);
		restored &= rd32(d->bdf, off_hi) == orig_hi;
	}
	if (!restored) {
		char b[BDF_STR_LEN];

		log_warn("pci %s bar%u not restored to 0x%llx", fmt_bdf(b, sizeof(b), d->bdf),
			 i, (unsigned long long)((uint64_t)orig_hi << 32 | orig));
	}

	if (m == 0 && orig == 0 && m_hi == 0 && orig_hi == 0) {
		/* Hardwired to zero: not implemented. */
		bar->type = PCI_BAR_NONE;
		bar->flags = 0;
		bar->addr = 0;
		return 1;
	}
	/* The type bits are read-only: a read-back that changes them is not
	 * a BAR behaving as the spec says (or the function went away). */
	type_bits = bar->type == PCI_BAR_IO ? 0x3u : 0xfu;
	if ((m & type_bits) != (orig & type_bits)) {
		bar->flags |= PCI_BAR_F_BAD;
		bar_bad(d, i, "type bits changed while sizing");
		return is64 ? 2 : 1;
	}
	mask = m & ~type_bits;
	if (is64)
		mask |= (uint64_t)m_hi << 32;
	if (mask == 0) {
		bar->flags |= PCI_BAR_F_BAD;
		bar_bad(d, i, "no writable address bits");
		return is64 ? 2 : 1;
	}
	/* The upper 16 bits of an I/O BAR may be hardwired to 0 on devices
	 * that decode only 64 KiB of I/O space. */
	if (bar->type == PCI_BAR_IO && !(mask & 0xffff0000u))
		mask |= 0xffff0000u;
	if (!is64)
		mask |= 0xffffffff00000000ull;
	if (!mask_contiguous(mask)) {
		bar->flags |= PCI_BAR_F_BAD;
		bar_bad(d, i, "non-contiguous size mask");
		return is64 ? 2 : 1;
	}
	bar->size = ~mask + 1;
	return is64 ? 2 : 1;
}

/* PCI 3.0 6.2.5.2: address bits 31:11, bit 0 enables decode. Written with
 * enable clear so the ROM never decodes at the sizing address. */
static void size_rom(struct pci_device *d)
{
	uint16_t off = (d->header_type & 0x7f) == 1 ? PCI_ROM_BRIDGE : PCI_ROM;
	uint32_t orig = rd32(d->bdf, off), m;

	pci_cfg_write32(d->bdf, off, 0xfffff800u);
	m = rd32(d->bdf, off) & 0xfffff800u;
	pci_cfg_write32(d->bdf, off, orig);
	d->rom_size = m ? (uint64_t)(~m + 1) : 0;
}

static void size_bars(struct pci_device *d)
{
	/* Host bridges keep decoding: some stop forwarding memory cycles
	 * (RAM included) when their memory decode bit is cleared. */
	bool host_bridge = (d->class_code >> 8) == 0x0600;
	uint16_t cmd = rd16(d->bdf, PCI_COMMAND);
	uint16_t decode = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	bool off = !host_bridge && (cmd & decode);

	if (off)
		pci_cfg_write16(d->bdf, PCI_COMMAND, (uint16_t)(cmd & ~decode));
	for (unsigned i = 0; i < d->nr_bars; )
		i += size_bar(d, i);
	if ((d->header_type & 0x7f) <= 1)
		size_rom(d);
	if (off) {
		pci_cfg_write16(d->bdf, PCI_COMMAND, cmd);
		if ((rd16(d->bdf, PCI_COMMAND) & decode) != (cmd & decode)) {
			char b[BDF_STR_LEN];

			log_warn("pci %s command not restored: wrote 0x%04x",
				 fmt_bdf(b, sizeof(b), d->bdf), cmd);
		}
	}
}

/* ---- Capabilities ---- */

/* PCI 3.0, 6.7: a list in the device-specific area (0x40-0xff); each entry
 * is id (byte 0) and next pointer (byte 1), whose low two bits are reserved
 * and masked off. At most (256 - 64) / 4 = 48 distinct entries fit. */
#define CAP_MAX_WALK 48

static void read_caps(struct pci_device *d)
{
	uint64_t seen = 0;	/* one bit per dword slot 0x40..0xfc */
	uint8_t ptr;
	bool truncated = false;
	char b[BDF_STR_LEN];

	if (!(rd16(d->bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	ptr = rd8(d->bdf, d->header_type == 2 ? PCI_CB_CAP_PTR : PCI_CAP_PTR) & 0xfc;
	for (unsigned n = 0; ptr; n++) {
		uint16_t h;
		uint64_t bit;

		if (ptr < 0x40) {
			log_warn("pci %s capability pointer 0x%02x into the header, list ends",
				 fmt_bdf(b, sizeof(b), d->bdf), ptr);
			return;
		}
		bit = 1ull << ((ptr - 0x40) / 4);
		if ((seen & bit) || n >= CAP_MAX_WALK) {
			log_warn("pci %s capability list loops at 0x%02x, list ends",
				 fmt_bdf(b, sizeof(b), d->bdf), ptr);
			return;
		}
		seen |= bit;
		h = rd16(d->bdf, ptr);
		if (h == 0xffff)	/* function went away */
			return;
		if (d->nr_caps < PCI_MAX_CAPS) {
			d->caps[d->nr_caps].id = (uint8_t)h;
			d->caps[d->nr_caps].offset = ptr;
			d->nr_caps++;
		} else if (!truncated) {
			truncated = true;
			log_warn("pci %s more than %d capabilities, rest not recorded",
				 fmt_bdf(b, sizeof(b), d->bdf), PCI_MAX_CAPS);
		}
		ptr = (uint8_t)(h >> 8) & 0xfc;
	}
}

/* PCIe Base Spec 7.6.3: header = id (15:0), version (19:16), next (31:20,
 * low two bits reserved). Chain from 0x100 within 0x100..0xfff. */
static void read_ext_caps(struct pci_device *d)
{
	uint64_t seen[4096 / 4 / 64] = { 0 };
	uint16_t off = PCI_EXT_CAP_START;
	bool truncated = false;
	char b[BDF_STR_LEN];
	uint32_t h;

	if (pci_cfg_mech_for(d->bdf.seg, d->bdf.bus) != PCI_CFG_ECAM ||
	    !pci_find_cap(d, PCI_CAP_ID_EXP))
		return;
	h = rd32(d->bdf, PCI_EXT_CAP_START);
	/* Some functions alias 0x100.. onto 0x000..: no extended space. */
	if (h == rd32(d->bdf, 0))
		return;
	while (off) {
		unsigned slot = off / 4;

		if (off < PCI_EXT_CAP_START) {
			log_warn("pci %s extended capability pointer 0x%03x below 0x100, list ends",
				 fmt_bdf(b, sizeof(b), d->bdf), off);
			return;
		}
		if (seen[slot / 64] & (1ull << (slot % 64))) {
			log_warn("pci %s extended capability list loops at 0x%03x, list ends",
				 fmt_bdf(b, sizeof(b), d->bdf), off);
			return;
		}
		seen[slot / 64] |= 1ull << (slot % 64);
		h = rd32(d->bdf, off);
		if (h == 0 || h == 0xffffffffu)
			return;
		if ((h & 0xffff) == 0) {
			/* A null capability: no entry, but the chain goes on. */
		} else if (d->nr_ext_caps < PCI_MAX_EXT_CAPS) {
			struct pci_ext_cap *c = &d->ext_caps[d->nr_ext_caps++];

			c->id = (uint16_t)h;
			c->version = (uint8_t)((h >> 16) & 0xf);
			c->offset = off;
		} else if (!truncated) {
			truncated = true;
			log_warn("pci %s more than %d extended capabilities, rest not recorded",
				 fmt_bdf(b, sizeof(b), d->bdf), PCI_MAX_EXT_CAPS);
		}
		off = (uint16_t)((h >> 20) & 0xffc);
	}
}

/* ---- Enumeration ---- */

/* Records the present function at a (vendor already read). Returns the
 * header type byte; for bridges also the bus numbers. */
static uint8_t probe_function(struct pci_bdf a, uint16_t vendor, uint8_t *pri,
			      uint8_t *sec, uint8_t *sub)
{
	uint8_t ht = rd8(a, PCI_HEADER_TYPE);
	uint8_t layout = ht & 0x7f;
	struct pci_device *d;
	uint32_t v;

	if (layout == 1) {
		*pri = rd8(a, PCI_PRIMARY_BUS);
		*sec = rd8(a, PCI_SECONDARY_BUS);
		*sub = rd8(a, PCI_SUBORDINATE_BUS);
	}
	if (ndevs == ARRAY_SIZE(devs)) {
		if (ndropped++ == 0) {
			char b[BDF_STR_LEN];

			log_warn("pci device list full (%d entries), %s and later not recorded",
				 PCI_MAX_DEVICES, fmt_bdf(b, sizeof(b), a));
		}
		return ht;
	}
	d = &devs[ndevs++];
	memset(d, 0, sizeof(*d));
	d->bdf = a;
	d->vendor = vendor;
	d->device = rd16(a, PCI_DEVICE_ID);
	v = rd32(a, PCI_REVISION);
	d->revision = (uint8_t)v;
	d->class_code = v >> 8;
	d->header_type = layout;
	d->multifunction = ht & PCI_HEADER_MULTIFUNCTION;
	switch (layout) {
	case 0:
		d->nr_bars = 6;
		break;
	case 1:
		d->nr_bars = 2;
		d->primary = *pri;
		d->secondary = *sec;
		d->subordinate = *sub;
		break;
	case 2:
		d->nr_bars = 1;	/* CardBus socket registers */
		break;
	default:
		d->nr_bars = 0;	/* unknown layout: only the common header */
		break;
	}
	if (d->nr_bars)
		size_bars(d);
	if (layout <= 2) {
		read_caps(d);
		read_ext_caps(d);
	}
	return ht;
}

/* One level of the depth-first walk: the bus being scanned, where the scan
 * is, and the highest bus a bridge on it may lead to. */
struct scan_frame {
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
	bool multi;
	uint8_t hi;
};

/* Each push is to an unvisited bus, so 256 frames always suffice. */
static struct scan_frame stack[256];

/* Decides whether the bridge at a (on bus a.bus, in a bus range ending at
 * hi) may be followed to sec. Warns when not. */
static bool bridge_followable(struct pci_bdf a, uint8_t pri, uint8_t sec, uint8_t sub,
			      uint8_t hi)
{
	char b[BDF_STR_LEN];
	const char *why = NULL;

	fmt_bdf(b, sizeof(b), a);
	if (pri != a.bus)
		log_warn("pci %s bridge primary=%x but it sits on bus %x", b, pri, a.bus);
	if (sec == 0 && sub == 0)
		why = "not configured";
	else if (sec <= a.bus)
		why = "secondary bus not above its own bus (loop)";
	else if (bus_visited(sec))
		why = "secondary bus already visited (loop)";
	else if (sub < sec)
		why = "subordinate below secondary";
	else if (sec > hi)
		why = "secondary outside the parent bridge's bus range";
	if (why) {
		log_warn("pci %s bridge primary=%x secondary=%x subordinate=%x not followed: %s",
			 b, pri, sec, sub, why);
		return false;
	}
	if (sub > hi)
		log_warn("pci %s bridge subordinate=%x beyond the parent's range (%x)", b, sub, hi);
	return true;
}

static void scan_from(uint16_t seg, uint8_t root)
{
	size_t depth = 0;

	bus_mark(root);
	stack[depth++] = (struct scan_frame){ .bus = root, .hi = 0xff };
	while (depth) {
		struct scan_frame *f = &stack[depth - 1];
		struct pci_bdf a = PCI_BDF(seg, f->bus, f->dev, f->fn);
		uint16_t vendor;
		uint8_t ht, pri = 0, sec = 0, sub = 0, hi = f->hi;

		if (f->dev == 32) {
			depth--;
			continue;
		}
		vendor = rd16(a, PCI_VENDOR_ID);
		if (!vendor_present(vendor)) {
			/* No function 0: no device. Others may be sparse. */
			if (f->fn == 0 || ++f->fn == 8) {
				f->dev++;
				f->fn = 0;
			}
			continue;
		}
		ht = probe_function(a, vendor, &pri, &sec, &sub);
		if (f->fn == 0)
			f->multi = ht & PCI_HEADER_MULTIFUNCTION;
		if (!f->multi || ++f->fn == 8) {
			f->dev++;
			f->fn = 0;
		}
		if ((ht & 0x7f) == 1 && bridge_followable(a, pri, sec, sub, hi)) {
			bus_mark(sec);
			stack[depth++] = (struct scan_frame){ .bus = sec, .hi = MIN(sub, hi) };
		}
	}
}

static bool bus_has_device(uint16_t seg, uint8_t bus)
{
	for (uint8_t dev = 0; dev < 32; dev++)
		if (vendor_present(rd16(PCI_BDF(seg, bus, dev, 0), PCI_VENDOR_ID)))
			return true;
	return false;
}

/* Enumerates one segment: from its root bus, then its peer root buses. */
static void scan_segment(uint16_t seg)
{
	uint8_t root = 0xff;
	bool any_ecam = false;
	uint16_t s;
	uint8_t lo, hi;

	memset(visited, 0, sizeof(visited));
	for (size_t i = 0; pci_ecam_get(i, &s, NULL, &lo, &hi); i++) {
		if (s == seg) {
			any_ecam = true;
			root = MIN(root, lo);
		}
	}
	if (!any_ecam)
		root = 0;	/* segment 0 through CF8 */
	scan_from(seg, root);

	for (unsigned bus = 0; bus < 256; bus++) {
		if (bus_visited((uint8_t)bus))
			continue;
		if (any_ecam && pci_cfg_mech_for(seg, (uint8_t)bus) != PCI_CFG_ECAM)
			continue;
		if (!bus_has_device(seg, (uint8_t)bus))
			continue;
		log_info("pci peer root bus=%x seg=%04x (not reached from bus %x)", bus, seg, root);
		scan_from(seg, (uint8_t)bus);
	}
}

int pci_enumerate(void)
{
	bool seg0 = false;
	uint16_t seg, s;

	ndevs = 0;
	ndropped = 0;
	for (size_t i = 0; pci_ecam_get(i, &seg, NULL, NULL, NULL); i++) {
		bool dup = false;

		for (size_t j = 0; j < i && pci_ecam_get(j, &s, NULL, NULL, NULL); j++)
			dup |= s == seg;
		if (dup)
			continue;
		seg0 |= seg == 0;
		scan_segment(seg);
	}
	if (!seg0)
		scan_segment(0);
	if (ndropped)
		log_warn("pci %zu functions not recorded (list holds %d)", ndropped,
			 PCI_MAX_DEVICES);
	return (int)ndevs;
}

/* ---- The list ---- */

uint8_t pci_last_bus(uint16_t segment)
{
	uint8_t last = 0;

	for (size_t i = 0; i < pci_device_count(); i++) {
		const struct pci_device *d = pci_device_at(i);

		if (d->bdf.seg != segment)
			continue;
		last = MAX(last, d->bdf.bus);
		if ((d->header_type & 0x7f) == 1)
			last = MAX(last, d->subordinate);
	}
	return last;
}

size_t pci_device_count(void)
{
	return ndevs;
}

size_t pci_devices_dropped(void)
{
	return ndropped;
}

const struct pci_device *pci_device_at(size_t i)
{
	return i < ndevs ? &devs[i] : NULL;
}

const struct pci_device *pci_first(void)
{
	return pci_device_at(0);
}

const struct pci_device *pci_next(const struct pci_device *d)
{
	if (!d || d < devs || d >= devs + ndevs)
		return NULL;
	return pci_device_at((size_t)(d - devs) + 1);
}

const struct pci_device *pci_find(struct pci_bdf a)
{
	for (size_t i = 0; i < ndevs; i++)
		if (pci_bdf_eq(devs[i].bdf, a))
			return &devs[i];
	return NULL;
}

uint8_t pci_find_cap(const struct pci_device *d, uint8_t id)
{
	for (unsigned i = 0; i < d->nr_caps; i++)
		if (d->caps[i].id == id)
			return d->caps[i].offset;
	return 0;
}

uint16_t pci_find_ext_cap(const struct pci_device *d, uint16_t id)
{
	for (unsigned i = 0; i < d->nr_ext_caps; i++)
		if (d->ext_caps[i].id == id)
			return d->ext_caps[i].offset;
	return 0;
}

/* ---- Helpers ---- */

int pci_bridge_secondary_bus(struct pci_bdf a, uint8_t *secondary)
{
	uint16_t vendor;
	uint8_t ht;
	int e = pci_cfg_read16(a, PCI_VENDOR_ID, &vendor);

	if (e)
		return e;
	if (!vendor_present(vendor))
		return E_NOENT;
	e = pci_cfg_read8(a, PCI_HEADER_TYPE, &ht);
	if (e)
		return e;
	if ((ht & 0x7f) != 1)
		return E_INVAL;
	return pci_cfg_read8(a, PCI_SECONDARY_BUS, secondary);
}

int pci_disable_bus_master(struct pci_bdf a)
{
	uint16_t vendor, cmd;
	int e = pci_cfg_read16(a, PCI_VENDOR_ID, &vendor);

	if (e)
		return e;
	if (!vendor_present(vendor))
		return E_NOENT;
	e = pci_cfg_read16(a, PCI_COMMAND, &cmd);
	if (e)
		return e;
	if (!(cmd & PCI_COMMAND_MASTER))
		return 0;
	return pci_cfg_write16(a, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_MASTER));
}

/* ---- Boot report ---- */

static const char *bar_type_name(const struct pci_bar *bar)
{
	switch (bar->type) {
	case PCI_BAR_IO: return "io";
	case PCI_BAR_MEM32: return "mem32";
	case PCI_BAR_MEM64: return "mem64";
	default: return "none";
	}
}

static void log_device(const struct pci_device *d)
{
	char b[BDF_STR_LEN];
	char caps[8 + 3 * PCI_MAX_CAPS];
	char ecaps[8 + 5 * PCI_MAX_EXT_CAPS];
	size_t n = 0;

	fmt_bdf(b, sizeof(b), d->bdf);
	caps[0] = ecaps[0] = '\0';
	for (unsigned i = 0; i < d->nr_caps; i++)
		n += (size_t)shoji_snprintf(caps + n, sizeof(caps) - n, "%s%02x",
					    i ? "," : " caps=", d->caps[i].id);
	n = 0;
	for (unsigned i = 0; i < d->nr_ext_caps; i++)
		n += (size_t)shoji_snprintf(ecaps + n, sizeof(ecaps) - n, "%s%04x",
					    i ? "," : " ecaps=", d->ext_caps[i].id);
	log_info("pci %s vendor=%04x device=%04x class=%06x rev=%02x type=%x%s%s", b,
		 d->vendor, d->device, d->class_code, d->revision, d->header_type, caps, ecaps);
	for (unsigned i = 0; i < d->nr_bars; i++) {
		const struct pci_bar *bar = &d->bars[i];

		if (bar->type == PCI_BAR_NONE)
			continue;
		if (bar->flags & PCI_BAR_F_BAD)
			log_info("pci %s bar%u %s addr=0x%llx size=unknown%s", b, i,
				 bar_type_name(bar), (unsigned long long)bar->addr,
				 bar->flags & PCI_BAR_F_PREFETCH ? " prefetchable" : "");
		else
			log_info("pci %s bar%u %s addr=0x%llx size=0x%llx%s", b, i,
				 bar_type_name(bar), (unsigned long long)bar->addr,
				 (unsigned long long)bar->size,
				 bar->flags & PCI_BAR_F_PREFETCH ? " prefetchable" : "");
	}
	if (d->header_type == 1)
		log_info("pci %s bridge primary=%x secondary=%x subordinate=%x", b,
			 d->primary, d->secondary, d->subordinate);
}

void pci_log_devices(void)
{
	for (size_t i = 0; i < ndevs; i++)
		log_device(&devs[i]);
	log_info("pci devices=%zu config=%s", ndevs, pci_cfg_mechanism());
}
