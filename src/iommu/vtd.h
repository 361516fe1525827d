/* The Intel VT-d remapping-unit driver: one struct vtd_unit per DRHD.
 *
 * Portable (registers through the HAL), so the command/invalidation/fault
 * paths run against a simulated register file in host unit tests.
 *
 * Every wait on the hardware has a deadline. When a unit misses one it is
 * marked broken: shoji stops using it, and the memory the unit may still
 * write (its invalidation queue, its wait-status word) is static or never
 * freed, so a late hardware write cannot land in reused memory. */
#ifndef SHOJI_IOMMU_VTD_H
#define SHOJI_IOMMU_VTD_H

#include "iommu/vtd_fault.h"
#include "lib/spinlock.h"
#include "lib/types.h"

#define VTD_MAX_UNITS 8
#define VTD_CMD_TIMEOUT_US 1000000ULL	/* GCMD, CCMD, IOTLB, queued waits */
#define VTD_IQ_ENTRIES 256		/* one 4 KiB page of 16-byte descriptors */

struct vtd_unit {
	unsigned index;
	paddr_t base;
	uint32_t ver;
	uint64_t cap, ecap;
	bool coherent;		/* ECAP.C: else every table write is flushed */
	bool use_qi;		/* queued invalidation is on */
	bool broken;		/* missed a deadline: no longer used */
	bool translating;	/* TE is on with shoji's tables */
	bool remapping;		/* IRE is on with shoji's table */
	paddr_t root;		/* root table (256 x 16 bytes) */
	paddr_t ctx[256];	/* context table per bus, 0 = none yet */
	paddr_t iq;		/* invalidation queue page */
	uint32_t iq_tail;
	uint32_t wait_seq;
	volatile uint32_t wait_status;	/* written by the unit's wait descriptors */
	struct spinlock qi_lock;	/* iq_tail, wait_seq: one submitter at a time (docs/smp.md) */
	struct fault_policy faults;
	void (*stop_device)(uint16_t sid);	/* called when a source crosses the threshold */
};

/* Reads VER/CAP/ECAP. E_INVAL when the registers read as all-ones or
 * zero (no unit there), or the unit lacks what shoji needs (legacy-mode
 * root tables, a 39- or 48-bit AGAW). */
int vtd_probe(struct vtd_unit *u, unsigned index, paddr_t base);
/* One line: "vtd unit=0 base=0x.. ver=1.0 cap=0x.. ecap=0x.. agaw=39,48 mgaw=39 superpages=2M,1G
 * nfr=1 qi=yes coherent=no rwbf=no pmr=none ir=yes caching_mode=no" */
void vtd_log(const struct vtd_unit *u);

/* Turns off what firmware may have left on (translation, interrupt
 * remapping, queued invalidation), one GCMD bit at a time. */
int vtd_disable(struct vtd_unit *u);

/* Protected memory regions (VT-d 3.15): block all DMA to [base, end) where
 * the unit has PLMR (below 4 GiB) / PHMR. Returns E_UNSUPPORTED when the
 * unit has neither (then say so: the region is unprotected until
 * translation is on). */
int vtd_pmr_protect(struct vtd_unit *u, paddr_t base, paddr_t end);
int vtd_pmr_disable(struct vtd_unit *u);

/* Root table, RTADDR + SRTP, queued invalidation if the unit has it, and
 * global context/IOTLB invalidation. Translation stays off. */
int vtd_setup(struct vtd_unit *u);

/* Points bus:devfn at domain `did` whose second-level table root is
 * slptptr with `levels` levels (3/4/5), replacing any earlier entry safely
 * (not-present, invalidate, then the new entry), then invalidates. */
int vtd_set_context(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t did,
		    paddr_t slptptr, unsigned levels);
/* Removes the entry (DMA from that source then faults). */
int vtd_clear_context(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t old_did);

/* IOTLB invalidation for one domain (after unmapping) or all. */
int vtd_flush_iotlb_domain(struct vtd_unit *u, uint16_t did);
int vtd_flush_all(struct vtd_unit *u);

int vtd_enable_translation(struct vtd_unit *u);

/* Interrupt remapping (VT-d 5.1, 6.5.2.7, 11.4.4): IRTA = the table at
 * `table` with 2^entries_log2 entries, xAPIC mode (EIME clear); SIRTP;
 * global interrupt-entry-cache invalidation; compatibility-format
 * interrupts off (CFI cleared if firmware set it); IRE. Each step one GCMD
 * bit with its deadline. Needs queued invalidation (the IEC has no
 * register interface): E_UNSUPPORTED without it or without ECAP.IR. */
int vtd_ir_enable(struct vtd_unit *u, paddr_t table, unsigned entries_log2);
/* Invalidates the cached copies of 2^mask_log2 entries from index
 * (index aligned to that size), through the queue with a wait descriptor. */
int vtd_ir_invalidate(struct vtd_unit *u, uint16_t index, unsigned mask_log2);
/* Writes back table memory the unit reads (when it is not coherent). */
void vtd_ir_flush_table(const struct vtd_unit *u, const void *p, size_t len);

/* Fault events as an NMI to the CPU with this APIC id (VT-d 11.4.10-12:
 * FEDATA delivery mode 100b), unmasked: faults are noticed while the guest
 * runs, whatever it does with its interrupts. */
void vtd_fault_event_nmi(struct vtd_unit *u, uint32_t apic_id);
bool vtd_fault_pending(const struct vtd_unit *u);

/* Reads and clears every pending fault record, logs (rate-limited) and
 * applies the fault policy; also reports and clears overflow and
 * invalidation errors. Returns the number of fault records handled. */
unsigned vtd_poll_faults(struct vtd_unit *u);

/* Helpers for the domain code. */
unsigned vtd_levels_supported(const struct vtd_unit *u);	/* bitmask: 1<<3, 1<<4, 1<<5 */
unsigned vtd_superpage_level(const struct vtd_unit *u);	/* 1 none, 2 = 2M, 3 = 1G */
unsigned vtd_domain_id_count(const struct vtd_unit *u);

#endif
