/* Intel VT-d remapping-unit driver (see vtd.h). Section numbers refer to the
 * VT-d Architecture Specification. */
#include "iommu/vtd.h"
#include "iommu/vtd_regs.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

static uint32_t rd32(const struct vtd_unit *u, uint32_t reg) { return hal_mmio_read32(u->base + reg); }
static uint64_t rd64(const struct vtd_unit *u, uint32_t reg) { return hal_mmio_read64(u->base + reg); }
static void wr32(struct vtd_unit *u, uint32_t reg, uint32_t v) { hal_mmio_write32(u->base + reg, v); }
static void wr64(struct vtd_unit *u, uint32_t reg, uint64_t v) { hal_mmio_write64(u->base + reg, v); }

static void flush(const struct vtd_unit *u, const void *p, size_t len)
{
	if (!u->coherent)
		hal_cache_flush(p, len);
}

static int fail(struct vtd_unit *u, const char *what)
{
	u->broken = true;
	log_error("vtd unit=%u: %s did not complete within %llu ms; unit disabled",
		  u->index, what, (unsigned long long)(VTD_CMD_TIMEOUT_US / 1000));
	return E_TIMEOUT;
}

/* Waits until (reg & mask) == want, against the command deadline. */
static int wait32(struct vtd_unit *u, uint32_t reg, uint32_t mask, uint32_t want,
		  const char *what)
{
	struct deadline d = deadline_in_us(VTD_CMD_TIMEOUT_US);

	while ((rd32(u, reg) & mask) != want)
		if (deadline_passed(&d))
			return (rd32(u, reg) & mask) == want ? 0 : fail(u, what);
	return 0;
}

static int wait64_clear(struct vtd_unit *u, uint32_t reg, uint64_t bit, const char *what)
{
	struct deadline d = deadline_in_us(VTD_CMD_TIMEOUT_US);

	while (rd64(u, reg) & bit)
		if (deadline_passed(&d))
			return (rd64(u, reg) & bit) ? fail(u, what) : 0;
	return 0;
}

/* 11.4.4: one GCMD bit at a time, carrying the other persistent states
 * from GSTS along and never repeating a one-shot command. `status` is the
 * GSTS bit that reports completion and `want` its value when done. */
static int gcmd(struct vtd_unit *u, uint32_t bit, bool set, uint32_t status, bool want,
		const char *what)
{
	uint32_t cmd = rd32(u, VTD_REG_GSTS) & ~VTD_GCMD_ONE_SHOT;

	if (u->broken)
		return E_FAULT;
	cmd = set ? (cmd | bit) : (cmd & ~bit);
	wr32(u, VTD_REG_GCMD, cmd);
	return wait32(u, VTD_REG_GSTS, status, want ? status : 0, what);
}

unsigned vtd_levels_supported(const struct vtd_unit *u)
{
	unsigned sagaw = VTD_CAP_SAGAW(u->cap), m = 0;

	if (sagaw & 2)
		m |= 1u << 3;
	if (sagaw & 4)
		m |= 1u << 4;
	if (sagaw & 8)
		m |= 1u << 5;
	return m;
}

unsigned vtd_superpage_level(const struct vtd_unit *u)
{
	unsigned sllps = VTD_CAP_SLLPS(u->cap);

	if ((sllps & 3) == 3)
		return 3;
	return (sllps & 1) ? 2 : 1;
}

unsigned vtd_domain_id_count(const struct vtd_unit *u)
{
	return 1u << (4 + 2 * VTD_CAP_ND(u->cap));
}

int vtd_probe(struct vtd_unit *u, unsigned index, paddr_t base)
{
	memset(u, 0, sizeof(*u));
	u->index = index;
	u->base = base;
	u->ver = rd32(u, VTD_REG_VER);
	u->cap = rd64(u, VTD_REG_CAP);
	u->ecap = rd64(u, VTD_REG_ECAP);
	u->coherent = u->ecap & VTD_ECAP_C;
	if (u->cap == ~0ULL || u->cap == 0 || u->ver == ~0u) {
		log_error("vtd unit=%u base=0x%llx: no remapping unit answers there "
			  "(cap=0x%llx)", index, (unsigned long long)base,
			  (unsigned long long)u->cap);
		return E_INVAL;
	}
	if (!(vtd_levels_supported(u) & ((1u << 3) | (1u << 4)))) {
		log_error("vtd unit=%u: supports neither 3- nor 4-level tables (sagaw=0x%x)",
			  index, (unsigned)VTD_CAP_SAGAW(u->cap));
		return E_UNSUPPORTED;
	}
	return 0;
}

void vtd_log(const struct vtd_unit *u)
{
	unsigned lv = vtd_levels_supported(u), sp = vtd_superpage_level(u);
	bool plmr = u->cap & VTD_CAP_PLMR, phmr = u->cap & VTD_CAP_PHMR;
	char agaw[12];

	shoji_snprintf(agaw, sizeof(agaw), "%s%s%s", lv & 8 ? ",39" : "", lv & 16 ? ",48" : "",
		       lv & 32 ? ",57" : "");
	log_info("vtd unit=%u base=0x%llx ver=%u.%u cap=0x%llx ecap=0x%llx agaw=%s "
		 "mgaw=%u superpages=%s nfr=%u qi=%s coherent=%s rwbf=%s pmr=%s ir=%s "
		 "caching_mode=%s domains=%u",
		 u->index, (unsigned long long)u->base, VTD_VER_MAJOR(u->ver),
		 VTD_VER_MINOR(u->ver), (unsigned long long)u->cap,
		 (unsigned long long)u->ecap, agaw + 1, (unsigned)VTD_CAP_MGAW(u->cap),
		 sp == 3 ? "2M,1G" : sp == 2 ? "2M" : "none", (unsigned)VTD_CAP_NFR(u->cap),
		 u->ecap & VTD_ECAP_QI ? "yes" : "no", u->coherent ? "yes" : "no",
		 u->cap & VTD_CAP_RWBF ? "yes" : "no",
		 plmr && phmr ? "low,high" : plmr ? "low" : phmr ? "high" : "none",
		 u->ecap & VTD_ECAP_IR ? "yes" : "no", u->cap & VTD_CAP_CM ? "yes" : "no",
		 vtd_domain_id_count(u));
}

int vtd_disable(struct vtd_unit *u)
{
	uint32_t sts = rd32(u, VTD_REG_GSTS);
	int rc = 0;

	if (sts & VTD_GSTS_TES) {
		log_warn("vtd unit=%u: firmware left DMA translation on; turning it off",
			 u->index);
		rc = gcmd(u, VTD_GCMD_TE, false, VTD_GSTS_TES, false, "disable translation");
	}
	if (!rc && (sts & VTD_GSTS_IRES)) {
		log_warn("vtd unit=%u: firmware left interrupt remapping on; turning it off",
			 u->index);
		rc = gcmd(u, VTD_GCMD_IRE, false, VTD_GSTS_IRES, false,
			  "disable interrupt remapping");
	}
	if (!rc && (sts & VTD_GSTS_QIES))
		rc = gcmd(u, VTD_GCMD_QIE, false, VTD_GSTS_QIES, false,
			  "disable queued invalidation");
	u->translating = false;
	return rc;
}

/* 10.4.16-10.4.20: PLMBASE/PLMLIMIT and PHMBASE/PHMLIMIT; the hardware
 * implements only the upper bits (its alignment): write all-ones and read
 * back to learn it, then round the protected range outwards. */
int vtd_pmr_protect(struct vtd_unit *u, paddr_t base, paddr_t end)
{
	bool plmr = u->cap & VTD_CAP_PLMR, phmr = u->cap & VTD_CAP_PHMR;

	if (!plmr && !phmr)
		return E_UNSUPPORTED;
	if (end <= GiB(4) && plmr) {
		uint32_t mask;

		wr32(u, VTD_REG_PLMBASE, ~0u);
		mask = rd32(u, VTD_REG_PLMBASE);
		wr32(u, VTD_REG_PLMBASE, (uint32_t)base & mask);
		wr32(u, VTD_REG_PLMLIMIT, ((uint32_t)(end - 1) & mask) | ~mask);
	} else if (phmr) {
		uint64_t mask;

		wr64(u, VTD_REG_PHMBASE, ~0ULL);
		mask = rd64(u, VTD_REG_PHMBASE);
		wr64(u, VTD_REG_PHMBASE, base & mask);
		wr64(u, VTD_REG_PHMLIMIT, ((end - 1) & mask) | ~mask);
	} else {
		return E_UNSUPPORTED;
	}
	wr32(u, VTD_REG_PMEN, VTD_PMEN_EPM);
	return wait32(u, VTD_REG_PMEN, VTD_PMEN_PRS, VTD_PMEN_PRS, "enable protected memory");
}

int vtd_pmr_disable(struct vtd_unit *u)
{
	if (!(u->cap & (VTD_CAP_PLMR | VTD_CAP_PHMR)))
		return 0;
	wr32(u, VTD_REG_PMEN, 0);
	return wait32(u, VTD_REG_PMEN, VTD_PMEN_PRS, 0, "disable protected memory");
}

/* 6.8: with CAP.RWBF, software flushes the write buffer after updating
 * tables so the unit sees them. */
static int flush_write_buffer(struct vtd_unit *u)
{
	if (!(u->cap & VTD_CAP_RWBF))
		return 0;
	return gcmd(u, VTD_GCMD_WBF, true, VTD_GSTS_WBFS, false, "write-buffer flush");
}

/* ---- Queued invalidation (6.5.2) ---- */

static int qi_error(struct vtd_unit *u)
{
	uint32_t fsts = rd32(u, VTD_REG_FSTS);
	uint32_t err = fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE);

	if (!err)
		return 0;
	log_error("vtd unit=%u: invalidation queue error fsts=0x%x (%s%s%s) at head=0x%llx; "
		  "unit disabled", u->index, fsts, err & VTD_FSTS_IQE ? "bad descriptor " : "",
		  err & VTD_FSTS_ICE ? "completion error " : "",
		  err & VTD_FSTS_ITE ? "device-TLB timeout" : "",
		  (unsigned long long)rd64(u, VTD_REG_IQH));
	wr32(u, VTD_REG_FSTS, err);
	u->broken = true;
	return E_FAULT;
}

/* Queues the descriptors plus a wait descriptor that writes a fresh
 * sequence number to u->wait_status, then waits for it. u->wait_status
 * lives in the static unit array, so even after a timeout the hardware's
 * late write lands in memory that is never reused. */
static int qi_submit_locked(struct vtd_unit *u, const struct vtd_entry128 *desc, unsigned n)
{
	struct vtd_entry128 *q = hal_phys_to_virt(u->iq);
	uint32_t seq = ++u->wait_seq;
	paddr_t status = hal_virt_to_phys((const void *)&u->wait_status);
	struct deadline d;

	if (u->broken)
		return E_FAULT;
	for (unsigned i = 0; i <= n; i++) {
		struct vtd_entry128 *slot = &q[u->iq_tail];

		if (i < n)
			*slot = desc[i];
		else
			*slot = (struct vtd_entry128){
				VTD_INV_WAIT | VTD_INV_WAIT_SW | VTD_INV_WAIT_FN |
					VTD_INV_WAIT_DATA(seq),
				status & ~3ULL };
		flush(u, slot, sizeof(*slot));
		u->iq_tail = (u->iq_tail + 1) % VTD_IQ_ENTRIES;
	}
	wr64(u, VTD_REG_IQT, (uint64_t)u->iq_tail << VTD_IQ_INDEX_SHIFT);
	d = deadline_in_us(VTD_CMD_TIMEOUT_US);
	while (u->wait_status != seq) {
		if (qi_error(u))
			return E_FAULT;
		if (deadline_passed(&d))
			return u->wait_status == seq ? 0 : fail(u, "queued invalidation");
	}
	return 0;
}

/* Any CPU may invalidate (an interrupt entry rewritten on one CPU while
 * another's write to an IOAPIC does the same): the queue's tail and the
 * wait sequence are one submitter's at a time. */
static int qi_submit(struct vtd_unit *u, const struct vtd_entry128 *desc, unsigned n)
{
	int rc;

	spin_lock(&u->qi_lock);
	rc = qi_submit_locked(u, desc, n);
	spin_unlock(&u->qi_lock);
	return rc;
}

/* ---- Context cache and IOTLB invalidation (6.5) ---- */

static int inv_context_global(struct vtd_unit *u)
{
	if (u->use_qi) {
		struct vtd_entry128 cc = { VTD_INV_CC | VTD_INV_CC_GLOBAL, 0 };

		return qi_submit(u, &cc, 1);
	}
	wr64(u, VTD_REG_CCMD, VTD_CCMD_ICC | VTD_CCMD_CIRG_GLOBAL);
	return wait64_clear(u, VTD_REG_CCMD, VTD_CCMD_ICC, "context-cache invalidation");
}

static int inv_iotlb(struct vtd_unit *u, bool global, uint16_t did)
{
	uint32_t iotlb = VTD_ECAP_IRO(u->ecap) + VTD_IOTLB_REG_IOTLB;

	if (u->use_qi) {
		struct vtd_entry128 d = {
			VTD_INV_IOTLB | VTD_INV_IOTLB_DR | VTD_INV_IOTLB_DW |
				(global ? VTD_INV_IOTLB_GLOBAL
					: VTD_INV_IOTLB_DOMAIN | VTD_INV_IOTLB_DID(did)),
			0 };

		return qi_submit(u, &d, 1);
	}
	wr64(u, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_DR | VTD_IOTLB_DW |
			       (global ? VTD_IOTLB_IIRG_GLOBAL
				       : VTD_IOTLB_IIRG_DOMAIN | VTD_IOTLB_DID(did)));
	return wait64_clear(u, iotlb, VTD_IOTLB_IVT, "IOTLB invalidation");
}

int vtd_flush_iotlb_domain(struct vtd_unit *u, uint16_t did)
{
	int rc = flush_write_buffer(u);

	return rc ? rc : inv_iotlb(u, false, did);
}

int vtd_flush_all(struct vtd_unit *u)
{
	int rc = flush_write_buffer(u);

	if (!rc)
		rc = inv_context_global(u);
	if (!rc)
		rc = inv_iotlb(u, true, 0);
	return rc;
}

static int enable_qi(struct vtd_unit *u)
{
	void *page = hal_page_alloc();

	if (!page)
		return E_NOMEM;
	u->iq = hal_virt_to_phys(page);
	u->iq_tail = 0;
	wr64(u, VTD_REG_IQT, 0);
	wr64(u, VTD_REG_IQA, u->iq | VTD_IQA_QS(0));
	if (gcmd(u, VTD_GCMD_QIE, true, VTD_GSTS_QIES, true, "enable queued invalidation"))
		return E_TIMEOUT;	/* the queue page stays allocated: see vtd.h */
	u->use_qi = true;
	return 0;
}

int vtd_setup(struct vtd_unit *u)
{
	void *root = hal_page_alloc();
	int rc;

	if (!root)
		return E_NOMEM;
	u->root = hal_virt_to_phys(root);
	flush(u, root, PAGE_SIZE);
	/* Fault events are polled (the guest will own the interrupt
	 * controllers): keep the fault interrupt masked. */
	wr32(u, VTD_REG_FECTL, VTD_FECTL_IM);
	wr64(u, VTD_REG_RTADDR, u->root);	/* TTM = 0: legacy root table */
	rc = gcmd(u, VTD_GCMD_SRTP, true, VTD_GSTS_RTPS, true, "set root table pointer");
	if (!rc && (u->ecap & VTD_ECAP_QI))
		rc = enable_qi(u);
	if (!rc)
		rc = vtd_flush_all(u);
	return rc;
}

/* ---- Context entries (9.3) ---- */

static struct vtd_entry128 *context_slot(struct vtd_unit *u, uint8_t bus, uint8_t devfn,
					 bool create)
{
	struct vtd_entry128 *root = hal_phys_to_virt(u->root);

	if (!u->ctx[bus]) {
		void *t;

		if (!create || !(t = hal_page_alloc()))
			return NULL;
		flush(u, t, PAGE_SIZE);
		u->ctx[bus] = hal_virt_to_phys(t);
		/* The table is complete (all not-present) before it is linked. */
		root[bus].hi = 0;
		root[bus].lo = u->ctx[bus] | VTD_ROOT_P;
		flush(u, &root[bus], sizeof(root[bus]));
	}
	return (struct vtd_entry128 *)hal_phys_to_virt(u->ctx[bus]) + devfn;
}

int vtd_clear_context(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t old_did)
{
	struct vtd_entry128 *e = context_slot(u, bus, devfn, false);
	int rc;

	if (!e || !(e->lo & VTD_CTX_LO_P))
		return 0;
	e->lo = 0;	/* P first: the unit ignores the rest of a non-present entry */
	flush(u, e, sizeof(*e));
	e->hi = 0;
	flush(u, e, sizeof(*e));
	rc = flush_write_buffer(u);
	if (!rc)
		rc = inv_context_global(u);
	if (!rc)
		rc = inv_iotlb(u, false, old_did);
	return rc;
}

int vtd_set_context(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t did,
		    paddr_t slptptr, unsigned levels)
{
	struct vtd_entry128 *e = context_slot(u, bus, devfn, true);
	int rc;

	if (!e)
		return E_NOMEM;
	if (u->broken)
		return E_FAULT;
	if (e->lo & VTD_CTX_LO_P) {
		/* 6.5.3.3: an entry is made not-present and invalidated before
		 * it is rewritten, so the unit never sees half of each. */
		rc = vtd_clear_context(u, bus, devfn, (uint16_t)((e->hi >> 8) & 0xffff));
		if (rc)
			return rc;
	}
	e->hi = VTD_CTX_HI_AW(levels - 2) | VTD_CTX_HI_DID(did);
	flush(u, e, sizeof(*e));
	e->lo = (slptptr & ~0xfffULL) | VTD_CTX_LO_TT_SLT | VTD_CTX_LO_P;
	flush(u, e, sizeof(*e));
	rc = flush_write_buffer(u);
	/* Caching mode (QEMU caching-mode=on, virtual IOMMUs) caches
	 * not-present entries too: invalidate in every case. */
	if (!rc)
		rc = inv_context_global(u);
	if (!rc)
		rc = inv_iotlb(u, false, did);
	return rc;
}

int vtd_enable_translation(struct vtd_unit *u)
{
	int rc = gcmd(u, VTD_GCMD_TE, true, VTD_GSTS_TES, true, "enable translation");

	u->translating = rc == 0;
	return rc;
}

/* ---- Interrupt remapping (5.1, 6.5.2.7) ---- */

int vtd_ir_invalidate(struct vtd_unit *u, uint16_t index, unsigned mask_log2)
{
	struct vtd_entry128 d = { VTD_INV_IEC | VTD_INV_IEC_INDEX | VTD_INV_IEC_IM(mask_log2) |
					  VTD_INV_IEC_IIDX(index),
				  0 };

	if (!u->use_qi)
		return E_UNSUPPORTED;
	return qi_submit(u, &d, 1);
}

void vtd_ir_flush_table(const struct vtd_unit *u, const void *p, size_t len)
{
	flush(u, p, len);
}

int vtd_ir_enable(struct vtd_unit *u, paddr_t table, unsigned entries_log2)
{
	struct vtd_entry128 global = { VTD_INV_IEC, 0 };
	int rc;

	if (!(u->ecap & VTD_ECAP_IR) || !u->use_qi)
		return E_UNSUPPORTED;
	if (u->broken)
		return E_FAULT;
	/* EIME stays clear: xAPIC destinations (8 bits). */
	wr64(u, VTD_REG_IRTA, (table & ~0xfffULL) | VTD_IRTA_S(entries_log2));
	rc = gcmd(u, VTD_GCMD_SIRTP, true, VTD_GSTS_IRTPS, true,
		  "set interrupt remapping table pointer");
	/* 6.5.2.7: after SIRTP, before IRE, nothing stale may be cached. */
	if (!rc)
		rc = qi_submit(u, &global, 1);
	if (!rc && (rd32(u, VTD_REG_GSTS) & VTD_GSTS_CFIS))
		rc = gcmd(u, VTD_GCMD_CFI, false, VTD_GSTS_CFIS, false,
			  "block compatibility-format interrupts");
	if (!rc)
		rc = gcmd(u, VTD_GCMD_IRE, true, VTD_GSTS_IRES, true,
			  "enable interrupt remapping");
	if (!rc && (rd32(u, VTD_REG_GSTS) & VTD_GSTS_CFIS)) {
		log_error("vtd unit=%u: compatibility-format interrupts still allowed "
			  "(GSTS.CFIS set) after IRE", u->index);
		u->broken = true;
		rc = E_FAULT;
	}
	u->remapping = rc == 0;
	return rc;
}

/* ---- Faults (7.2.1, 11.4.9, 11.4.14) ---- */

static void handle_record(struct vtd_unit *u, uint64_t lo, uint64_t hi)
{
	struct iommu_fault f;
	uint32_t suppressed;
	enum fault_action a;

	vtd_fault_decode(lo, hi, &f);
	fault_ring_push(u->index, &f, hal_time_us());
	a = fault_policy_note(&u->faults, f.sid, hal_time_us(), &suppressed);
	if (suppressed)
		log_warn("vtd unit=%u: %u faults not logged (rate limit)", u->index, suppressed);
	if (a == FAULT_LOG)
		vtd_fault_log(u->index, &f);
	if (a == FAULT_STOP_DEVICE) {
		vtd_fault_log(u->index, &f);
		log_error("vtd unit=%u: device %02x:%02x.%x faulted %u times: bus mastering "
			  "turned off", u->index, f.sid >> 8, (f.sid >> 3) & 0x1f, f.sid & 7,
			  fault_policy_count(&u->faults, f.sid));
		if (u->stop_device)
			u->stop_device(f.sid);
	}
}

unsigned vtd_poll_faults(struct vtd_unit *u)
{
	uint32_t fsts = rd32(u, VTD_REG_FSTS);
	unsigned nfr = VTD_CAP_NFR(u->cap), handled = 0;
	uint32_t fro = VTD_CAP_FRO(u->cap);
	uint32_t clear = 0;

	if (fsts & VTD_FSTS_PPF) {
		/* Records are used cyclically from FRI; process until one
		 * without F (7.2.1). Clearing F frees the record. */
		for (unsigned i = 0; i < nfr; i++) {
			uint32_t reg = fro + ((VTD_FSTS_FRI(fsts) + i) % nfr) * VTD_FRCD_SIZE;
			uint64_t hi = rd64(u, reg + 8), lo;

			if (!(hi & VTD_FRCD_HI_F))
				break;
			lo = rd64(u, reg);
			wr32(u, reg + 12, (uint32_t)(VTD_FRCD_HI_F >> 32));	/* W1C F only */
			handle_record(u, lo, hi);
			handled++;
		}
	}
	if (fsts & VTD_FSTS_PFO) {
		log_warn("vtd unit=%u: fault records overflowed: some faults were not recorded",
			 u->index);
		clear |= VTD_FSTS_PFO;
	}
	if (fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE))
		qi_error(u);	/* logs and clears those bits itself */
	if (clear)
		wr32(u, VTD_REG_FSTS, clear);	/* only the bits handled here */
	return handled;
}

#define MSI_ADDR_BASE 0xfee00000u
#define MSI_DEST_SHIFT 12
#define MSI_DM_NMI (4u << 8)

void vtd_fault_event_nmi(struct vtd_unit *u, uint32_t apic_id)
{
	wr32(u, VTD_REG_FEDATA, MSI_DM_NMI);
	wr32(u, VTD_REG_FEADDR, MSI_ADDR_BASE | (apic_id & 0xff) << MSI_DEST_SHIFT);
	wr32(u, VTD_REG_FEUADDR, 0);
	wr32(u, VTD_REG_FECTL, 0);	/* unmask */
}

bool vtd_fault_pending(const struct vtd_unit *u)
{
	return (rd32(u, VTD_REG_FSTS) & (VTD_FSTS_PPF | VTD_FSTS_PFO | VTD_FSTS_IQE |
					  VTD_FSTS_ICE | VTD_FSTS_ITE)) != 0;
}
