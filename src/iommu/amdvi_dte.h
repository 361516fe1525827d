/* AMD-Vi device table entries (AMD IOMMU spec 48882 rev 3.x, 2.2.2): the
 * 256-bit entry the IOMMU reads, indexed by requester ID, to decide what a
 * device's DMA and interrupts may do. Portable encoder only: it checks every
 * field against what the format can hold and refuses the rest, so nothing
 * is truncated silently. Writing entries into a live table (order, and the
 * INVALIDATE_DEVTAB_ENTRY that must follow) is the driver's job. */
#ifndef SHOJI_IOMMU_AMDVI_DTE_H
#define SHOJI_IOMMU_AMDVI_DTE_H

#include "lib/types.h"

struct amdvi_dte {
	uint64_t q[4];
};

/* What an entry says. Fields not listed (guest translation, IOTLB, PPR,
 * virtual APIC) are left zero: shoji uses none of them. */
struct amdvi_dte_config {
	bool valid;			/* V: DMA is checked against this entry */
	bool translate;			/* TV: mode/root/IR/IW below are valid */
	uint8_t mode;			/* 0: no translation (IR/IW still apply),
					   1-6: levels of I/O page tables */
	paddr_t root;			/* top table, 4 KiB aligned (mode 1-6) */
	bool read, write;		/* IR, IW */
	uint16_t domain_id;		/* tags the IOMMU's TLB entries */
	uint8_t sys_mgt;		/* SysMgt, 0-3 */

	bool intr_valid;		/* IV: the interrupt fields are valid */
	uint8_t int_ctl;		/* AMDVI_INTCTL_* */
	uint8_t int_tab_len;		/* log2 of the remapping table entries */
	paddr_t int_table;		/* remapping table, 128-byte aligned */
	bool init_pass, eint_pass, nmi_pass, lint0_pass, lint1_pass;
};

/* Encode c into *dte. Returns 0, or E_INVAL (dte zeroed) when a field does
 * not fit: mode 7, a root or table that is misaligned or beyond 52 bits, a
 * root of 0 with a translating mode, IntTabLen above 11, IntCtl 3, a remap
 * IntCtl without a table, SysMgt above 3, translation fields without TV. */
int amdvi_dte_encode(const struct amdvi_dte_config *c, struct amdvi_dte *dte);

/* The entry that refuses every DMA and interrupt from a device: V and TV
 * set, mode 0, IR and IW clear, IV set with IntCtl abort and no pass bits.
 * (An entry with V clear would let DMA through untranslated.) */
void amdvi_dte_blocked(uint16_t domain_id, struct amdvi_dte *dte);

/* Pages a device table needs to index device IDs 0 .. highest_devid
 * (32-byte entries, 128 per page): 1 .. 512. */
unsigned amdvi_devtab_pages(uint16_t highest_devid);

/* The Device Table Base Address Register value (3.4) for a table of pages
 * 4 KiB pages at pa: base | Size (pages - 1). E_INVAL (*reg 0) for a
 * misaligned or >52-bit pa, or pages outside 1 .. 512. */
int amdvi_devtab_base_reg(paddr_t pa, unsigned pages, uint64_t *reg);

#endif
