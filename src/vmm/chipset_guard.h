/* The chipset registers that decide the platform's memory map and SMM are
 * shoji's, not the guest's. One table (chipset_guard.c) maps chipset
 * device IDs (host bridge, LPC bridge) to guarded registers: offset,
 * width, which bits are fixed, and why. A guest configuration write that
 * would change a fixed bit is refused (dropped and logged, rate-limited);
 * reads pass (the guest may see the memory map, not change it).
 *
 * Every configuration path (CF8/CFC, ECAM) reaches this through
 * pci_guard_allows(), so the decision is the same whatever path the guest
 * takes. A host bridge or ISA/LPC bridge on bus 0 that the table does not
 * know gets the conservative default: its device-specific registers
 * (0x40-0xFF, PCI 3.0 6.1) and its extended space are all fixed.
 *
 * SMM: chipset_lock_smram() sets D_LCK before the guest runs when the
 * firmware left SMRAM open; chipset_smi_allowed() says whether a guest SMI
 * trigger (APMC port 0xB2) may pass: only when SMRAM is locked, so the SMI
 * handler that runs is the firmware's. */
#ifndef SHOJI_VMM_CHIPSET_GUARD_H
#define SHOJI_VMM_CHIPSET_GUARD_H

#include "platform/pci_cfg.h"

struct chipset_reg {
	uint16_t off;
	uint8_t width;		/* bytes, 1-8 */
	uint64_t fixed;		/* bits (from off, little-endian) the guest may not change */
	const char *name;
	const char *reason;
};

struct chipset_model {
	const char *name;
	uint16_t vendor;
	const uint16_t *devices;	/* 0-terminated */
	const struct chipset_reg *regs;
	unsigned n_regs;
	int smram_off;			/* SMRAM control register, or -1 */
};

/* The guard's answer for one write. */
struct chipset_verdict {
	bool refused;
	const char *model;		/* table entry, or "unknown-host-bridge" ... */
	const char *reg;		/* register name */
	const char *reason;
	uint64_t count;			/* refusals of this register so far */
};

/* The table itself (for tests and docs): n models. */
const struct chipset_model *chipset_models(unsigned *n);

/* Which model (or NULL) a function with these IDs is; class_code is
 * class << 16 | subclass << 8 | prog-if (for the unknown-bridge default). */
const struct chipset_model *chipset_model_of(uint16_t vendor, uint16_t device);

/* Decides a write of `size` bytes (1, 2, 4) of `value` at `off` (0-0xFFF)
 * to function bdf with the given IDs; `current` is the dword at off & ~3
 * as the hardware holds it now. Counts and logs a refusal. */
struct chipset_verdict chipset_guard_check(struct pci_bdf bdf, uint16_t vendor, uint16_t device,
					   uint32_t class_code, uint16_t off, int size,
					   uint32_t value, uint32_t current);

/* Logs what the guard knows about the enumerated chipset (one line per
 * chipset function, and one for every unknown bridge it defaults). */
void chipset_guard_report(void);

/* Sets SMRAM's D_LCK (clearing D_OPEN) when the firmware left it unlocked.
 * Returns 0 when SMRAM is locked afterwards (read back), E_UNSUPPORTED
 * when no known host bridge has an SMRAM register, E_FAULT when the lock did
 * not stick. Logs "chipset smram ..." */
int chipset_lock_smram(void);

/* Whether the SMI handler is locked away now (the SMRAM register of a
 * known host bridge reads D_LCK=1, D_OPEN=0). Reads the hardware. */
bool chipset_smi_allowed(void);

/* A guest write of `value` to the APMC port: allowed (the caller does it)
 * only when chipset_smi_allowed(); a refusal is counted and logged. */
bool chipset_apmc_write_allowed(uint8_t value);

/* Whether the compatible SMRAM segment (ASEG, 0xA0000-0xBFFFF) must be
 * taken out of the guest's memory: the known host bridge has it enabled
 * (G_SMRAME) and no display device decodes the legacy VGA window. Real
 * chipsets then send non-SMM accesses there to the bus (master abort);
 * QEMU's q35 without VGA shows the SMRAM's own RAM instead, so a guest
 * could plant an SMI handler without D_OPEN. Logs its decision. */
#define ASEG_BASE 0xa0000
#define ASEG_END 0xc0000
bool chipset_hide_aseg(void);

/* SMRAM control bits (Intel 3 Series Chipset datasheet, 5.1.17 SMRAM;
 * QEMU hw/pci-host/q35.h MCH_HOST_BRIDGE_SMRAM_*). */
#define SMRAM_D_OPEN 0x40
#define SMRAM_D_CLS 0x20
#define SMRAM_D_LCK 0x10
#define SMRAM_G_SMRAME 0x08

/* Refusals counted since chipset_guard_reset(). */
uint64_t chipset_guard_refusals(void);
void chipset_guard_reset(void);

/* The APM control port (ICH9 datasheet 13.7.2 APM_CNT): a write raises an
 * SMI when SMI_EN.APMC_EN is set. 0xB3 (APM_STS) is a scratch register. */
#define APMC_PORT 0xb2

#endif
