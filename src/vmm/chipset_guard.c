/* Chipset register guard (see chipset_guard.h): the one table of what is
 * shoji's on each chipset, and the decision for a configuration write.
 *
 * Sources: Intel 3 Series Chipset Family datasheet (316966), chapter 5.1
 * "Host Bridge/DRAM Controller Registers (D0:F0)"; Intel I/O Controller Hub 9
 * (ICH9) Family datasheet (316972), chapter 13.1 "LPC Interface Bridge
 * Registers (D31:F0)"; QEMU hw/pci-host/q35.h and include/hw/southbridge/
 * ich9.h for the registers QEMU's q35 model adds or implements; Intel 440FX
 * PCIset 82441FX PMC datasheet (290549), section 3.2, for the SMRAM
 * register of the i440FX host bridge (Bochs; QEMU's pc machine,
 * hw/pci-host/i440fx.c I440FX_SMRAM 0x72). */
#include "lib/error.h"
#include "lib/log.h"
#include "platform/pci.h"
#include "vmm/chipset_guard.h"

#define ALL_BITS(width) ((width) >= 8 ? ~0ULL : (1ULL << ((width) * 8)) - 1)
#define FIXED(o, w, n, why) { (o), (w), ALL_BITS(w), (n), (why) }

#define WHY_MMIO_BASE "an MMIO register block the chipset decodes wherever it points: " \
	"moved over shoji's memory it overlays it"
#define WHY_PAM "decode of 0xC0000-0xFFFFF (DRAM or DMI/firmware): the memory map is shoji's"
#define WHY_TOP "the DRAM/MMIO split the chipset decodes: the memory map is shoji's"
#define WHY_LPC_DECODE "routes I/O ranges to the LPC bus: it could claim the ports shoji " \
	"uses (serial console, 0xCF8/0xCFC) or checks"

/* Host bridge/DRAM controller of the 82Q35/Q33/G33/G31/P35/P31 (QEMU's
 * q35 is 8086:29c0). Sections of the 3 Series datasheet in brackets. */
static const struct chipset_reg q35_mch_regs[] = {
	FIXED(0x40, 8, "EPBAR", WHY_MMIO_BASE " [5.1.12 PXPEPBAR]"),
	FIXED(0x48, 8, "MCHBAR", WHY_MMIO_BASE " [5.1.13]"),
	FIXED(0x50, 2, "EXT_TSEG_MBYTES",
	      "QEMU's extended TSEG size (hw/pci-host/q35.h): it sizes SMRAM below TOLUD"),
	FIXED(0x52, 2, "GGC", "graphics stolen memory size: carves DRAM below TOLUD [5.1.14]"),
	FIXED(0x54, 4, "DEVEN",
	      "device enables: would reveal functions the IOMMU has no context for [5.1.15]"),
	FIXED(0x60, 8, "PCIEXBAR",
	      "the ECAM window: moved, it gives configuration access where no guard watches, "
	      "or overlays memory [5.1.16]"),
	FIXED(0x68, 8, "DMIBAR", WHY_MMIO_BASE " [5.1.17]"),
	FIXED(0x90, 1, "PAM0", WHY_PAM " [5.1.18]"),
	FIXED(0x91, 1, "PAM1", WHY_PAM),
	FIXED(0x92, 1, "PAM2", WHY_PAM),
	FIXED(0x93, 1, "PAM3", WHY_PAM),
	FIXED(0x94, 1, "PAM4", WHY_PAM),
	FIXED(0x95, 1, "PAM5", WHY_PAM),
	FIXED(0x96, 1, "PAM6", WHY_PAM),
	FIXED(0x97, 1, "LAC", "legacy access control: routes the 0xA0000-0xBFFFF window (ASEG) "
	      "[5.1.25]"),
	FIXED(0x98, 2, "REMAPBASE", WHY_TOP " [5.1.26]"),
	FIXED(0x9a, 2, "REMAPLIMIT", WHY_TOP " [5.1.27]"),
	FIXED(0x9c, 1, "F_SMBASE",
	      "QEMU's SMBASE-in-RAM lock (hw/pci-host/q35.h MCH_HOST_BRIDGE_F_SMBASE): SMM state"),
	/* Only D_CLS may change: it steers SMM data accesses (harmless outside
	 * SMM); D_OPEN, D_LCK, G_SMRAME and C_BASE_SEG are shoji's. */
	{ 0x9d, 1, 0xffu & ~(uint64_t)SMRAM_D_CLS, "SMRAM",
	  "SMRAM control: D_OPEN would let the guest write the SMI handler; shoji sets D_LCK "
	  "at boot [5.1.28]" },
	FIXED(0x9e, 1, "ESMRAMC",
	      "extended SMRAM: TSEG enable and size take DRAM below TOLUD for SMM [5.1.29]"),
	FIXED(0xa0, 2, "TOM", WHY_TOP " [5.1.30]"),
	FIXED(0xa2, 2, "TOUUD", WHY_TOP " [5.1.31]"),
	FIXED(0xa4, 4, "GBSM", WHY_TOP " [5.1.32]"),
	FIXED(0xa8, 4, "BGSM", WHY_TOP " [5.1.33]"),
	FIXED(0xac, 4, "TSEGMB", "TSEG base: where SMRAM sits below TOLUD [5.1.34]"),
	FIXED(0xb0, 2, "TOLUD", WHY_TOP " [5.1.35]"),
};

/* LPC interface bridge of the ICH9 family (QEMU's q35 is 8086:2918).
 * Sections of the ICH9 datasheet in brackets. PIRQx_ROUT (0x60-0x6B) and
 * SIRQ_CNTL are the guest's interrupt routing and pass. */
static const struct chipset_reg ich9_lpc_regs[] = {
	FIXED(0x40, 4, "PMBASE",
	      "ACPI I/O block (PM1 sleep control, SMI_EN, TCO): moved, it can cover the ports "
	      "shoji checks [13.1.10]"),
	FIXED(0x44, 1, "ACPI_CNTL", "decode of the ACPI block and SCI routing [13.1.11]"),
	FIXED(0x48, 4, "GPIOBASE", "the GPIO I/O block's base [13.1.12]"),
	FIXED(0x4c, 1, "GPIO_CNTL", "decode of the GPIO block [13.1.13]"),
	FIXED(0x80, 2, "LPC_IO_DEC", WHY_LPC_DECODE " [13.1.19]"),
	FIXED(0x82, 2, "LPC_EN", WHY_LPC_DECODE " [13.1.20]"),
	FIXED(0x84, 4, "GEN1_DEC", WHY_LPC_DECODE " [13.1.21]"),
	FIXED(0x88, 4, "GEN2_DEC", WHY_LPC_DECODE " [13.1.22]"),
	FIXED(0x8c, 4, "GEN3_DEC", WHY_LPC_DECODE " [13.1.23]"),
	FIXED(0x90, 4, "GEN4_DEC", WHY_LPC_DECODE " [13.1.24]"),
	FIXED(0xd0, 4, "FWH_SEL1", "firmware hub decode below 4 GiB: the memory map [13.1.30]"),
	FIXED(0xd4, 2, "FWH_SEL2", "firmware hub decode below 4 GiB: the memory map [13.1.31]"),
	FIXED(0xd8, 2, "FWH_DEC_EN1", "firmware hub decode enables: the memory map [13.1.32]"),
	/* BIOSWE (bit 0), BLE (1) and SMM_BWP (5): the firmware flash is the
	 * firmware's (its SMM code is trusted); the cache bits may change. */
	{ 0xdc, 1, 0x23, "BIOS_CNTL",
	  "firmware flash write enable and its locks [13.1.33]" },
	FIXED(0xf0, 4, "RCBA",
	      "root complex register block (16 KiB of MMIO the chipset decodes wherever it "
	      "points): moved over shoji's memory it overlays it [13.1.35]"),
};

static const uint16_t q35_mch_ids[] = { 0x29b0, 0x29c0, 0x29d0, 0 };
static const uint16_t ich9_lpc_ids[] = { 0x2912, 0x2914, 0x2916, 0x2917, 0x2918, 0x2919, 0 };

#define N_MODELS 2
#define MAX_REGS 32
static const struct chipset_model models[N_MODELS] = {
	{ "q35-mch", 0x8086, q35_mch_ids, q35_mch_regs, ARRAY_SIZE(q35_mch_regs), 0x9d },
	{ "ich9-lpc", 0x8086, ich9_lpc_ids, ich9_lpc_regs, ARRAY_SIZE(ich9_lpc_regs), -1 },
};
STATIC_ASSERT(ARRAY_SIZE(q35_mch_regs) <= MAX_REGS, "counter slots");
STATIC_ASSERT(ARRAY_SIZE(ich9_lpc_regs) <= MAX_REGS, "counter slots");

static uint64_t reg_counts[N_MODELS][MAX_REGS];
static uint64_t default_count, ext_count, total;

/* The conservative default for chipset functions the table does not know,
 * and the extended space (>= 0x100) of those it does: nothing there the
 * guest needs, and we cannot tell what it decodes. */
static const struct chipset_reg default_reg = {
	0x40, 0, ~0ULL, "device-specific",
	"a chipset function shoji has no table for: its device-specific registers are fixed",
};
static const struct chipset_reg ext_reg = {
	0x100, 0, ~0ULL, "extended-space",
	"the extended configuration space of a chipset function is fixed",
};

void chipset_guard_reset(void)
{
	for (unsigned m = 0; m < N_MODELS; m++)
		for (unsigned r = 0; r < MAX_REGS; r++)
			reg_counts[m][r] = 0;
	default_count = ext_count = total = 0;
}

uint64_t chipset_guard_refusals(void)
{
	return total;
}

const struct chipset_model *chipset_models(unsigned *n)
{
	*n = N_MODELS;
	return models;
}

const struct chipset_model *chipset_model_of(uint16_t vendor, uint16_t device)
{
	for (unsigned m = 0; m < N_MODELS; m++) {
		if (models[m].vendor != vendor)
			continue;
		for (const uint16_t *id = models[m].devices; *id; id++)
			if (*id == device)
				return &models[m];
	}
	return NULL;
}

/* A host bridge (06/00) or ISA bridge (06/01, the LPC bridge's class) on
 * bus 0: the functions that decode the platform's memory map. */
static bool is_chipset_class(struct pci_bdf bdf, uint32_t class_code)
{
	uint32_t cls = class_code >> 8;

	return bdf.seg == 0 && bdf.bus == 0 && (cls == 0x0600 || cls == 0x0601);
}

/* Whether byte `b` (config offset) changes a fixed bit of r. */
static bool changes_fixed(const struct chipset_reg *r, uint16_t b, uint8_t old, uint8_t nw)
{
	uint8_t fixed;

	if (r->width == 0)	/* open-ended: every byte from r->off on */
		return b >= r->off && old != nw;
	if (b < r->off || b >= r->off + r->width)
		return false;
	fixed = (uint8_t)(r->fixed >> ((b - r->off) * 8));
	return ((old ^ nw) & fixed) != 0;
}

/* Logs the first refusals of a register, then every power of two. */
static void log_refusal(struct pci_bdf bdf, const struct chipset_verdict *v, uint16_t off,
			int size, uint32_t value)
{
	if (v->count > 8 && (v->count & (v->count - 1)))
		return;
	log_warn("chipset guard refused bdf=%02x:%02x.%x model=%s reg=%s off=0x%02x size=%d "
		 "value=0x%x count=%llu: %s",
		 bdf.bus, bdf.dev, bdf.fn, v->model, v->reg, off, size, value,
		 (unsigned long long)v->count, v->reason);
}

/* The first register of the model whose fixed bits the write changes. */
static int find_change(const struct chipset_model *m, uint16_t off, int size, uint32_t value,
		       uint32_t current, const struct chipset_reg **hit)
{
	for (int i = 0; i < size; i++) {
		uint16_t b = (uint16_t)(off + i);
		uint8_t old = (uint8_t)(current >> ((b & 3) * 8));
		uint8_t nw = (uint8_t)(value >> (i * 8));

		if (!m) {
			if (changes_fixed(&default_reg, b, old, nw)) {
				*hit = &default_reg;
				return -1;
			}
			continue;
		}
		if (changes_fixed(&ext_reg, b, old, nw)) {
			*hit = &ext_reg;
			return -1;
		}
		for (unsigned r = 0; r < m->n_regs; r++) {
			if (changes_fixed(&m->regs[r], b, old, nw)) {
				*hit = &m->regs[r];
				return (int)r;
			}
		}
	}
	*hit = NULL;
	return -1;
}

struct chipset_verdict chipset_guard_check(struct pci_bdf bdf, uint16_t vendor, uint16_t device,
					   uint32_t class_code, uint16_t off, int size,
					   uint32_t value, uint32_t current)
{
	const struct chipset_model *m = chipset_model_of(vendor, device);
	struct chipset_verdict v = { 0 };
	const struct chipset_reg *hit;
	int idx;

	if (!m && !is_chipset_class(bdf, class_code))
		return v;
	idx = find_change(m, off, size, value, current, &hit);
	if (!hit)
		return v;
	v.refused = true;
	v.reg = hit->name;
	v.reason = hit->reason;
	if (!m) {
		v.model = (class_code >> 8) == 0x0600 ? "unknown-host-bridge" : "unknown-isa-bridge";
		v.count = ++default_count;
	} else {
		v.model = m->name;
		v.count = idx >= 0 ? ++reg_counts[m - models][idx] : ++ext_count;
	}
	total++;
	log_refusal(bdf, &v, off, size, value);
	return v;
}

void chipset_guard_report(void)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d)) {
		const struct chipset_model *m = chipset_model_of(d->vendor, d->device);

		if (m)
			log_info("chipset %02x:%02x.%x id=%04x:%04x model=%s guarded=%u", d->bdf.bus,
				 d->bdf.dev, d->bdf.fn, d->vendor, d->device, m->name, m->n_regs);
		else if (is_chipset_class(d->bdf, d->class_code))
			log_warn("chipset %02x:%02x.%x id=%04x:%04x model=unknown: not in shoji's "
				 "table, its registers 0x40-0xfff are fixed for the guest",
				 d->bdf.bus, d->bdf.dev, d->bdf.fn, d->vendor, d->device);
	}
}

/* Host bridges without a register table here (every register of theirs
 * from 0x40 stays fixed for the guest: the default) whose SMRAM control
 * shoji still locks. The 82441FX's has the Q35's bits (D_OPEN 6, D_CLS 5,
 * D_LCK 4, G_SMRAME 3; datasheet 3.2 "SMRAM"). */
static const struct {
	uint16_t vendor, device;
	int smram_off;
} smram_only[] = {
	{ 0x8086, 0x1237, 0x72 },	/* 82441FX PMC (i440FX) */
};

/* The host bridge with an SMRAM register, if shoji knows one. */
static const struct pci_device *smram_bridge(int *off)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d)) {
		const struct chipset_model *m = chipset_model_of(d->vendor, d->device);

		if (m && m->smram_off >= 0) {
			*off = m->smram_off;
			return d;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(smram_only); i++) {
			if (d->vendor == smram_only[i].vendor && d->device == smram_only[i].device) {
				*off = smram_only[i].smram_off;
				return d;
			}
		}
	}
	return NULL;
}

int chipset_lock_smram(void)
{
	int off;
	const struct pci_device *d = smram_bridge(&off);
	uint8_t was, now;

	if (!d) {
		log_warn("chipset smram locked=unknown: no known host bridge; guest SMI "
			 "triggers (APMC) will be refused");
		return E_UNSUPPORTED;
	}
	if (pci_cfg_read8(d->bdf, (uint16_t)off, &was))
		return E_FAULT;
	if (was & SMRAM_D_LCK) {
		log_info("chipset smram locked=yes by=firmware value=0x%02x", was);
		return (was & SMRAM_D_OPEN) ? E_FAULT : 0;
	}
	/* D_OPEN off first (in the same write): once locked it cannot be. */
	if (pci_cfg_write8(d->bdf, (uint16_t)off, (uint8_t)((was & ~SMRAM_D_OPEN) | SMRAM_D_LCK)) ||
	    pci_cfg_read8(d->bdf, (uint16_t)off, &now))
		return E_FAULT;
	if (!(now & SMRAM_D_LCK) || (now & SMRAM_D_OPEN)) {
		log_error("chipset smram locked=no was=0x%02x now=0x%02x: the lock did not stick",
			  was, now);
		return E_FAULT;
	}
	log_info("chipset smram locked=yes by=shoji was=0x%02x now=0x%02x", was, now);
	return 0;
}

bool chipset_smi_allowed(void)
{
	int off;
	const struct pci_device *d = smram_bridge(&off);
	uint8_t v;

	if (!d || pci_cfg_read8(d->bdf, (uint16_t)off, &v))
		return false;
	return (v & SMRAM_D_LCK) && !(v & SMRAM_D_OPEN);
}

bool chipset_apmc_write_allowed(uint8_t value)
{
	static uint64_t refused;

	if (chipset_smi_allowed())
		return true;
	refused++;
	total++;
	if (refused <= 8 || !(refused & (refused - 1)))
		log_warn("chipset guard refused apmc port=0x%x value=0x%02x count=%llu: SMRAM is "
			 "not locked, the SMI handler could be the guest's", APMC_PORT, value,
			 (unsigned long long)refused);
	return false;
}

bool chipset_hide_aseg(void)
{
	int off;
	const struct pci_device *d = smram_bridge(&off);
	uint8_t v;

	if (!d || pci_cfg_read8(d->bdf, (uint16_t)off, &v) || !(v & SMRAM_G_SMRAME))
		return false;
	for (const struct pci_device *p = pci_first(); p; p = pci_next(p)) {
		if ((p->class_code >> 16) == 0x03) {
			log_info("chipset aseg hidden=no vga=%02x:%02x.%x: the legacy window is "
				 "the display's outside SMM", p->bdf.bus, p->bdf.dev, p->bdf.fn);
			return false;
		}
	}
	log_info("chipset aseg hidden=yes range=0x%x-0x%x: compatible SMRAM, no VGA decodes it",
		 ASEG_BASE, ASEG_END);
	return true;
}
