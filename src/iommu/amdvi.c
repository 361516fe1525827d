/* AMD-Vi as an IOMMU back-end (struct iommu_backend, iommu_backend.h).
 * Section numbers: AMD I/O Virtualization Technology (IOMMU) Specification
 * 48882 rev 3.x. Portable: registers through the HAL, tables in HAL pages.
 *
 * What it builds, from the IVRS (ivrs.c):
 *  - one unit per IVHD in effect (5.2.2): registers at the IVHD base (3.4,
 *    16 KiB, a protected range), its own PCI function (the IVHD's device
 *    ID) hidden from the guest through the registry;
 *  - one device table for segment 0 shared by every unit (each unit only
 *    reads the entries of the requester IDs it translates), sized from the
 *    highest device ID the IVRS names (2.2.2). Every entry starts blocked
 *    (V=1 TV=1 mode 0 IR=IW=0: no DMA; V=0 would let DMA through
 *    untranslated); attaching a device writes its entry and, when the IVRS
 *    gives it an alias, the alias's entry too (the DMA arrives under the
 *    alias: a device behind a PCIe-to-PCI bridge uses the bridge's ID);
 *  - host page tables in AMD's format (iopt_format_amdvi) built by the
 *    generic builder from the domain policy;
 *  - the command buffer (amdvi_cmdbuf.c, COMPLETION_WAIT with a deadline,
 *    static status word) for INVALIDATE_DEVTAB_ENTRY / IOMMU_PAGES /
 *    INTERRUPT_TABLE / IOMMU_ALL; the event log (amdvi_evlog.c) decoded
 *    into the neutral fault record, rate-limited, storm-contained.
 *
 * Interrupts: no remapping tables yet; attached entries leave interrupt
 * requests untranslated (IV clear, see dte_interrupts_untranslated), the
 * entries of requester IDs nobody uses abort them.
 *
 * Exclusion ranges (IVMD flag bit 3) let DMA bypass translation: none is
 * ever programmed (the registers are cleared at probe), each one the IVRS
 * names is reported; unity ranges are mapped by the default domain unless
 * they touch protected memory (reported, the region wins). */
#include "iommu/amdvi.h"
#include "iommu/amdvi_cmd.h"
#include "iommu/amdvi_dte.h"
#include "iommu/amdvi_pte.h"
#include "iommu/amdvi_regs.h"
#include "iommu/iommu_backend.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "platform/pci.h"
#include "vmm/protect.h"

static struct amdvi_unit units[AMDVI_MAX_UNITS];
static unsigned n_units;
static int unit_of_ivhd[IVRS_MAX_IVHDS];
static struct ivrs_info ivrs;
static struct amdvi_dte *devtab;
static paddr_t devtab_pa;
static unsigned devtab_pages;
static uint32_t devtab_entries;		/* device IDs 0 .. devtab_entries-1 */
static unsigned levels;
static bool enabled;			/* IommuEn set: commands run, caches live */

static uint64_t rd64(const struct amdvi_unit *u, uint32_t reg)
{
	return hal_mmio_read64(u->base + reg);
}

static void wr64(struct amdvi_unit *u, uint32_t reg, uint64_t v)
{
	hal_mmio_write64(u->base + reg, v);
}

static int unit_fail(struct amdvi_unit *u, int rc, const char *what)
{
	u->broken = true;
	log_error("amdvi iommu=%u: %s (%s): the unit is no longer used", u->index, what,
		  err_str(rc));
	return rc;
}

/* ---- probe ---- */

static bool is_reserved_cb(void *ctx, paddr_t base, paddr_t last)
{
	return iommu_range_reserved(ctx, base, last);
}

/* Stops what firmware may have left running (3.4 Control): translation,
 * the command buffer and the event log, then waits for CmdBufRun and
 * EventLogRun to clear. No exclusion range stays programmed. */
static int unit_disable(struct amdvi_unit *u)
{
	uint64_t ctrl = rd64(u, AMDVI_MMIO_CONTROL);
	struct deadline d;

	ctrl &= ~(AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMD_BUF_EN | AMDVI_CTRL_EVENT_LOG_EN |
		  AMDVI_CTRL_EVENT_INT_EN | AMDVI_CTRL_COM_WAIT_INT_EN | AMDVI_CTRL_GA_EN);
	wr64(u, AMDVI_MMIO_CONTROL, ctrl);
	d = deadline_in_us(AMDVI_CMD_TIMEOUT_US);
	while (rd64(u, AMDVI_MMIO_STATUS) &
	       (AMDVI_STATUS_CMD_BUF_RUN | AMDVI_STATUS_EVENT_LOG_RUN)) {
		if (deadline_passed(&d))
			return unit_fail(u, E_TIMEOUT, "command buffer or event log did not stop");
		hal_cpu_relax();
	}
	wr64(u, AMDVI_MMIO_EXCL_BASE, 0);	/* ExEn clear: no exclusion range */
	wr64(u, AMDVI_MMIO_EXCL_LIMIT, 0);
	return 0;
}

static void unit_log(const struct amdvi_unit *u)
{
	log_info("amdvi iommu=%u base=0x%llx devid=%02x:%02x.%x segment=%u efr=0x%llx "
		 "efr_source=%s hats=%u ia=%s ga=%s xt=%s nx=%s bringup_guard=none",
		 u->index, (unsigned long long)u->base, IVRS_DEVID_BUS(u->devid),
		 IVRS_DEVID_DEV(u->devid), IVRS_DEVID_FN(u->devid), u->ivhd->segment,
		 (unsigned long long)u->efr, u->efr_from_mmio ? "mmio" : "ivhd",
		 AMDVI_EFR_HATS(u->efr), (u->efr & AMDVI_EFR_IA_SUP) ? "yes" : "no",
		 (u->efr & AMDVI_EFR_GA_SUP) ? "yes" : "no",
		 (u->efr & AMDVI_EFR_XT_SUP) ? "yes" : "no",
		 (u->efr & AMDVI_EFR_NX_SUP) ? "yes" : "no");
}

static int unit_probe(struct amdvi_unit *u, unsigned index, const struct ivrs_ivhd *h)
{
	uint64_t mmio_efr;
	int rc;

	memset(u, 0, sizeof(*u));
	u->index = index;
	u->ivhd = h;
	u->base = h->base;
	u->devid = h->devid;
	if (h->segment != 0) {
		log_error("amdvi iommu=%u: PCI segment %u: only segment 0 is supported", index,
			  h->segment);
		return E_UNSUPPORTED;
	}
	mmio_efr = rd64(u, AMDVI_MMIO_EFR);
	if (mmio_efr == ~0ULL) {
		log_error("amdvi iommu=%u: registers at 0x%llx read as all-ones: no IOMMU there",
			  index, (unsigned long long)u->base);
		return E_INVAL;
	}
	/* The register is the truth; the IVHD's image (11h/40h) is a copy. */
	u->efr = mmio_efr ? mmio_efr : h->efr;
	u->efr_from_mmio = mmio_efr != 0;
	u->stop_device = iommu_stop_source;
	/* Its registers: no guest access, no DMA at them, no BAR over them. */
	rc = protect_add(u->base, u->base + AMDVI_MMIO_SIZE, PROTECT_ALL, "iommu-registers");
	/* Its own function: its capability block holds the register base. */
	if (!rc)
		rc = protect_add_pci_function(PCI_BDF(0, IVRS_DEVID_BUS(u->devid),
						      IVRS_DEVID_DEV(u->devid),
						      IVRS_DEVID_FN(u->devid)), "amdvi-iommu");
	if (!rc)
		rc = unit_disable(u);
	return rc;
}

/* IVMD exclusion ranges are never programmed; IVMD unity ranges are in the
 * default identity domain already, unless they touch protected memory. */
static void report_ivmds(const struct iommu_config *c)
{
	for (unsigned i = 0; i < ivrs.nivmds; i++) {
		const struct ivrs_ivmd *m = &ivrs.ivmds[i];
		paddr_t end = m->start + m->length;
		const struct protected_range *p;

		if (!m->valid)
			continue;
		p = protect_find(PROTECT_SPACE_MEM, m->start, end, PROTECT_DMA);
		if (m->flags & IVRS_IVMD_EXCLUSION)
			log_warn("amdvi ivmd exclusion range 0x%llx-0x%llx devid=%02x:%02x.%x-"
				 "%02x:%02x.%x not programmed%s: DMA there is translated like any "
				 "other (an exclusion range would bypass translation)",
				 (unsigned long long)m->start, (unsigned long long)end,
				 IVRS_DEVID_BUS(m->first), IVRS_DEVID_DEV(m->first),
				 IVRS_DEVID_FN(m->first), IVRS_DEVID_BUS(m->last),
				 IVRS_DEVID_DEV(m->last), IVRS_DEVID_FN(m->last),
				 p ? " (it overlaps protected memory)" : "");
		else if ((m->flags & IVRS_IVMD_UNITY) && p)
			log_error("amdvi ivmd unity range 0x%llx-0x%llx overlaps %s: not mapped; "
				  "its devices may malfunction", (unsigned long long)m->start,
				  (unsigned long long)end, p->what);
		else if (m->flags & IVRS_IVMD_UNITY)
			log_info("amdvi ivmd unity range 0x%llx-0x%llx: identity-mapped by the "
				 "default domain", (unsigned long long)m->start,
				 (unsigned long long)end);
	}
	(void)c;
}

static int amdvi_be_probe(const struct iommu_config *c)
{
	struct ivrs_env env = { .ctx = (void *)c->mem, .is_reserved = is_reserved_cb };
	int rc;

	n_units = 0;
	enabled = false;
	devtab = NULL;
	rc = ivrs_parse(c->ivrs, c->ivrs_len, &env, &ivrs);
	ivrs_print(&ivrs);
	if (rc) {
		log_error("iommu: the IVRS table is unusable (%s); refusing to go on "
			  "(iommu=off runs without DMA protection)", ivrs.reason);
		return rc;
	}
	for (unsigned i = 0; i < IVRS_MAX_IVHDS; i++)
		unit_of_ivhd[i] = -1;
	for (unsigned i = 0; i < ivrs.nivhds; i++) {
		const struct ivrs_ivhd *h = &ivrs.ivhds[i];

		if (h->superseded_by >= 0)
			continue;	/* the same IOMMU, described by a newer block */
		if (!h->usable) {
			log_error("iommu: IVHD %u (base 0x%llx) is unusable; its devices would be "
				  "unprotected", i, (unsigned long long)h->base);
			return E_INVAL;
		}
		if (n_units == AMDVI_MAX_UNITS) {
			log_error("iommu: more than %d AMD-Vi units; not supported",
				  AMDVI_MAX_UNITS);
			return E_UNSUPPORTED;
		}
		rc = unit_probe(&units[n_units], n_units, h);
		if (rc)
			return rc;
		unit_log(&units[n_units]);
		unit_of_ivhd[i] = (int)n_units++;
	}
	if (!n_units) {
		log_error("iommu: the IVRS describes no IOMMU");
		return E_NOENT;
	}
	return 0;
}

/* ---- geometry ---- */

/* EFR.HATS (3.4): 00b 4 levels, 01b 5, 10b 6. */
static unsigned max_levels(const struct amdvi_unit *u)
{
	unsigned h = AMDVI_EFR_HATS(u->efr);

	return h == 3 ? 4 : 4 + h;
}

static int amdvi_be_geometry(uint64_t need, struct domain_config *dc)
{
	unsigned top = 6;

	for (unsigned i = 0; i < n_units; i++)
		top = MIN(top, max_levels(&units[i]));
	top = MIN(top, 5u);	/* the builder's deepest */
	levels = 3;
	while (levels < top && 12 + 9 * levels < 64 && (1ULL << (12 + 9 * levels)) < need)
		levels++;
	dc->format = &iopt_format_amdvi;
	dc->levels = levels;
	dc->max_page_level = 3;	/* NextLevel 0 leaves at levels 2 and 3 (2.2.3) */
	dc->coherent = false;	/* written back anyway: cheap, and safe on any part */
	dc->dma_limit = MIN(need, 1ULL << (12 + 9 * levels));
	dc->haw = 0;		/* the format's 52 bits */
	return 0;
}

static int amdvi_be_check_firmware_maps(const struct iommu_config *c)
{
	report_ivmds(c);
	return 0;
}

/* ---- device table ---- */

static void flush(const void *p, size_t len)
{
	hal_cache_flush(p, len);	/* not coherent unless told (see geometry) */
}

/* Runs a batch on every usable unit once translation is on (commands are
 * processed only with IommuEn set: 3.4 Control). */
static int run_all(const struct amdvi_cmd *cmds, unsigned n)
{
	int rc = 0;

	if (!enabled)
		return 0;	/* nothing cached yet: enable() invalidates everything */
	for (unsigned i = 0; i < n_units && !rc; i++) {
		struct amdvi_unit *u = &units[i];

		if (u->broken)
			return E_FAULT;
		rc = amdvi_cmdbuf_run(&u->cmd, cmds, n);
		if (rc)
			unit_fail(u, rc, "command failed");
	}
	return rc;
}

static int invalidate_dte(uint16_t devid, int domain_id)
{
	struct amdvi_cmd c[3];
	unsigned n = 0;

	amdvi_cmd_inval_devtab_entry(&c[n++], devid);
	amdvi_cmd_inval_interrupt_table(&c[n++], devid);
	if (domain_id >= 0 && !amdvi_cmd_inval_iommu_pages(&c[n], (uint16_t)domain_id, 0, 64,
							     true))
		n++;
	return run_all(c, n);
}

/* Replaces devid's entry without a moment in which it is half written:
 * quadword 0 (V, TV, mode, root, IR/IW) first becomes "blocked" and is
 * invalidated, then quadwords 1-3 change (domain ID, interrupt fields),
 * then quadword 0 gets its new value in one 64-bit store, and the entry,
 * its interrupt table and the domain's translations are invalidated. */
static int dte_write(uint16_t devid, const struct amdvi_dte *e)
{
	volatile uint64_t *q = devtab[devid].q;
	int rc;

	if (devid >= devtab_entries)
		return E_RANGE;
	q[0] = AMDVI_DTE0_V | AMDVI_DTE0_TV;
	flush((const void *)q, AMDVI_DTE_SIZE);
	rc = invalidate_dte(devid, -1);
	if (rc)
		return rc;
	q[1] = e->q[1];
	q[2] = e->q[2];
	q[3] = e->q[3];
	__atomic_store_n(&devtab[devid].q[0], e->q[0], __ATOMIC_RELEASE);
	flush((const void *)q, AMDVI_DTE_SIZE);
	return invalidate_dte(devid, (int)(e->q[1] & AMDVI_DTE1_DOMAIN_MASK));
}

/* Interrupts without a remapping table: IV clear, the device's interrupt
 * requests are not translated (2.2.2), as under VT-d without interrupt
 * remapping. The DTE's own filter (IV=1, IntCtl 01b "pass", no pass bits:
 * fixed/arbitrated forwarded, INIT/NMI/ExtINT/LINT/SMI aborted) would keep
 * the dangerous delivery modes out, but QEMU 7.2's model rewrites every
 * message on that path (addr 0xfee01004 data 0x30 comes out as 0xfee00000
 * data 0x4000: vector 0), so the guest's interrupts would be lost; the
 * remapping tables (IntCtl 10b) are the way to filter (docs/iommu.md). */
static void dte_interrupts_untranslated(struct amdvi_dte_config *dc)
{
	dc->intr_valid = false;
}

static int devtab_init(void)
{
	int highest = ivrs_highest_devid(&ivrs, 0);
	struct amdvi_dte blocked;

	for (const struct pci_device *p = pci_first(); p; p = pci_next(p))
		if (p->bdf.seg == 0)
			highest = MAX(highest, (int)pci_bdf_sid(p->bdf));
	if (highest < 0)
		highest = 0;
	devtab_entries = (uint32_t)highest + 1;
	devtab_pages = amdvi_devtab_pages((uint16_t)highest);
	devtab = hal_pages_alloc(devtab_pages);
	if (!devtab) {
		log_error("amdvi: no %u contiguous pages for the device table", devtab_pages);
		return E_NOMEM;
	}
	devtab_pa = hal_virt_to_phys(devtab);
	amdvi_dte_blocked(0, &blocked);
	for (unsigned i = 0; i < devtab_pages * (PAGE_SIZE / AMDVI_DTE_SIZE); i++)
		devtab[i] = blocked;
	flush(devtab, (size_t)devtab_pages * PAGE_SIZE);
	log_info("amdvi device table at 0x%llx pages=%u entries=%u highest_devid=%02x:%02x.%x "
		 "default=blocked", (unsigned long long)devtab_pa, devtab_pages,
		 (unsigned)(devtab_pages * (PAGE_SIZE / AMDVI_DTE_SIZE)), IVRS_DEVID_BUS(highest),
		 IVRS_DEVID_DEV(highest), IVRS_DEVID_FN(highest));
	return 0;
}

/* The IOAPICs' and HPETs' requester IDs (IVRS special entries) carry their
 * interrupts: no DMA, interrupts untranslated like a device's until
 * interrupt remapping gives them a table (an IOAPIC's: amdvi_ir.c). */
static int special_entries(void)
{
	for (unsigned i = 0; i < ivrs.ndevs; i++) {
		const struct ivrs_dev *s = &ivrs.devs[i];
		struct amdvi_dte_config dc = { .valid = true, .translate = true };
		struct amdvi_dte e;
		int rc;

		if (s->kind != IVRS_KIND_SPECIAL)
			continue;
		dte_interrupts_untranslated(&dc);
		rc = amdvi_dte_encode(&dc, &e);
		if (!rc)
			rc = dte_write(s->first, &e);
		if (rc)
			return rc;
		log_info("amdvi special %s=%u devid=%02x:%02x.%x dma=blocked interrupts=untranslated",
			 s->variety == IVRS_SPECIAL_IOAPIC ? "ioapic" : "hpet", s->handle,
			 IVRS_DEVID_BUS(s->first), IVRS_DEVID_DEV(s->first), IVRS_DEVID_FN(s->first));
	}
	return 0;
}

static int amdvi_be_setup(void)
{
	int rc = devtab_init();

	for (unsigned i = 0; !rc && i < n_units; i++) {
		struct amdvi_unit *u = &units[i];
		uint64_t reg;

		rc = amdvi_devtab_base_reg(devtab_pa, devtab_pages, &reg);
		if (rc)
			break;
		wr64(u, AMDVI_MMIO_DEV_TABLE_BASE, reg);
		rc = amdvi_cmdbuf_init(&u->cmd, i, u->base, false);
		if (!rc)
			rc = amdvi_evlog_init(&u->evlog, i, u->base);
	}
	if (!rc)
		rc = special_entries();
	return rc;
}

/* ---- attach ---- */

static int amdvi_be_unit_of(struct pci_bdf bdf)
{
	const struct ivrs_ivhd *h;
	int i;

	if (bdf.seg != 0)
		return -1;
	h = ivrs_ivhd_for_device(&ivrs, 0, pci_bdf_sid(bdf));
	if (!h)
		return -1;
	i = unit_of_ivhd[h->index];
	if (i < 0 || units[i].broken)
		return -1;
	return i;
}

/* Functions whose DMA arrives under requester ID rid (their own or an
 * alias the IVRS gives them). */
static unsigned users_of_rid(uint16_t rid)
{
	unsigned n = 0;

	for (const struct pci_device *p = pci_first(); p; p = pci_next(p))
		if (p->bdf.seg == 0 && ivrs_requester_id(&ivrs, 0, pci_bdf_sid(p->bdf)) == rid)
			n++;
	return n;
}

static int amdvi_be_attach(int unit, struct pci_bdf bdf, const struct domain *d)
{
	uint16_t devid = pci_bdf_sid(bdf);
	uint16_t rid = ivrs_requester_id(&ivrs, 0, devid);
	struct amdvi_dte_config dc = {
		.valid = true, .translate = true, .mode = (uint8_t)levels, .root = d->pt.root,
		.read = true, .write = true, .domain_id = d->id,
	};
	struct amdvi_dte e;
	int rc;

	(void)unit;
	/* QEMU 7.2's model treats DTE bit 72 (domain ID bit 8) as reserved. */
	if (d->id > 0xff)
		return E_RANGE;
	/* Functions behind one alias share one entry: they can only move
	 * between domains together, which shoji does not do. */
	if (rid != devid && d != domain_default() && users_of_rid(rid) > 1) {
		log_error("amdvi: %02x:%02x.%x uses alias %02x:%02x.%x with other functions: it "
			  "cannot get a domain of its own", bdf.bus, bdf.dev, bdf.fn,
			  IVRS_DEVID_BUS(rid), IVRS_DEVID_DEV(rid), IVRS_DEVID_FN(rid));
		return E_BUSY;
	}
	dte_interrupts_untranslated(&dc);
	rc = amdvi_dte_encode(&dc, &e);
	/* A device whose interrupts are remapped already keeps its table. */
	if (!rc && devid < devtab_entries &&
	    ((devtab[devid].q[2] & AMDVI_DTE2_INTCTL_MASK) >> AMDVI_DTE2_INTCTL_SHIFT) ==
		    AMDVI_INTCTL_REMAP)
		e.q[2] = devtab[devid].q[2];
	if (!rc)
		rc = dte_write(devid, &e);
	if (!rc && rid != devid) {
		rc = dte_write(rid, &e);
		log_info("amdvi device %02x:%02x.%x alias=%02x:%02x.%x: both entries in domain %u",
			 bdf.bus, bdf.dev, bdf.fn, IVRS_DEVID_BUS(rid), IVRS_DEVID_DEV(rid),
			 IVRS_DEVID_FN(rid), d->id);
	}
	return rc;
}

/* ---- enable ---- */

/* Everything any unit may have cached from before: all at once where the
 * unit has INVALIDATE_IOMMU_ALL, else entry by entry and every domain. */
static int invalidate_everything(struct amdvi_unit *u)
{
	struct amdvi_cmd c[AMDVI_CMDBUF_ENTRIES - 2];
	unsigned n = 0;
	int rc = 0;

	if (u->efr & AMDVI_EFR_IA_SUP) {
		amdvi_cmd_inval_iommu_all(&c[0]);
		return amdvi_cmdbuf_run(&u->cmd, c, 1);
	}
	for (uint32_t id = 0; id < devtab_entries && !rc; id++) {
		amdvi_cmd_inval_devtab_entry(&c[n++], (uint16_t)id);
		amdvi_cmd_inval_interrupt_table(&c[n++], (uint16_t)id);
		if (n + 2 > ARRAY_SIZE(c)) {
			rc = amdvi_cmdbuf_run(&u->cmd, c, n);
			n = 0;
		}
	}
	for (unsigned dom = 0; dom <= DOMAIN_DEFAULT_ID + DOMAIN_MAX && !rc; dom++) {
		if (!amdvi_cmd_inval_iommu_pages(&c[n], (uint16_t)dom, 0, 64, true))
			n++;
		if (n + 2 > ARRAY_SIZE(c)) {
			rc = amdvi_cmdbuf_run(&u->cmd, c, n);
			n = 0;
		}
	}
	if (!rc && n)
		rc = amdvi_cmdbuf_run(&u->cmd, c, n);
	return rc;
}

static int amdvi_be_enable(void)
{
	for (unsigned i = 0; i < n_units; i++) {
		struct amdvi_unit *u = &units[i];
		uint64_t ctrl = rd64(u, AMDVI_MMIO_CONTROL);
		int rc;

		ctrl |= AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMD_BUF_EN | AMDVI_CTRL_EVENT_LOG_EN |
			AMDVI_CTRL_COHERENT;
		wr64(u, AMDVI_MMIO_CONTROL, ctrl);
		rc = invalidate_everything(u);
		if (rc)
			return unit_fail(u, rc, "invalidation after enabling failed");
		u->translating = true;
		log_info("amdvi iommu=%u translation=on control=0x%llx", i,
			 (unsigned long long)rd64(u, AMDVI_MMIO_CONTROL));
	}
	enabled = true;
	return 0;
}

/* ---- faults ---- */

static void fault_log(const struct amdvi_unit *u, const struct iommu_fault *f,
		      const struct amdvi_event *ev)
{
	log_warn("amdvi fault iommu=%u sid=%02x:%02x.%x addr=0x%llx type=%s event=0x%x (%s) "
		 "flags=0x%x domain=%u", u->index, f->sid >> 8, (f->sid >> 3) & 0x1f, f->sid & 7,
		 (unsigned long long)f->addr, ev->interrupt ? "interrupt" :
		 f->is_read ? "read" : "write", ev->code, f->why, ev->flags,
		 ev->has_pasid ? ev->pasid : 0);
}

static void event_sink(void *ctx, const struct amdvi_event *ev)
{
	struct amdvi_unit *u = ctx;
	struct iommu_fault f;
	uint32_t suppressed;
	enum fault_action a;

	if (!ev->has_devid) {
		/* Command and hardware errors name no requester: always logged. */
		log_error("amdvi iommu=%u event=0x%x (%s) addr=0x%llx flags=0x%x", u->index,
			  ev->code, ev->name, (unsigned long long)ev->address, ev->flags);
		return;
	}
	f = (struct iommu_fault){
		.sid = ev->devid,
		.addr = ev->has_address ? ev->address : 0,
		.is_read = !ev->write,
		.reason = ev->code,
		.why = ev->name,
		.backend = "amdvi",
	};
	fault_ring_push(u->index, &f, hal_time_us());
	a = fault_policy_note(&u->faults, f.sid, hal_time_us(), &suppressed);
	if (suppressed)
		log_warn("amdvi iommu=%u: %u faults not logged (rate limit)", u->index, suppressed);
	if (a == FAULT_LOG || a == FAULT_STOP_DEVICE)
		fault_log(u, &f, ev);
	if (a == FAULT_STOP_DEVICE) {
		log_error("amdvi iommu=%u: device %02x:%02x.%x faulted %u times: bus mastering "
			  "turned off", u->index, f.sid >> 8, (f.sid >> 3) & 0x1f, f.sid & 7,
			  fault_policy_count(&u->faults, f.sid));
		if (u->stop_device)
			u->stop_device(f.sid);
	}
}

static unsigned amdvi_be_poll_faults(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_units; i++) {
		struct amdvi_unit *u = &units[i];

		if (u->broken || u->evlog.broken || !u->evlog.ring)
			continue;
		n += amdvi_evlog_poll(&u->evlog, event_sink, u);
		/* Event-log and completion interrupt status: W1C what was seen. */
		wr64(u, AMDVI_MMIO_STATUS, rd64(u, AMDVI_MMIO_STATUS) &
		     (AMDVI_STATUS_EVENT_LOG_INT | AMDVI_STATUS_COM_WAIT_INT));
	}
	return n;
}

static bool amdvi_be_fault_pending(void)
{
	for (unsigned i = 0; i < n_units; i++) {
		const struct amdvi_unit *u = &units[i];

		if (u->broken || !u->evlog.ring)
			continue;
		if (rd64(u, AMDVI_MMIO_EVENT_LOG_HEAD) != rd64(u, AMDVI_MMIO_EVENT_LOG_TAIL) ||
		    (rd64(u, AMDVI_MMIO_STATUS) & AMDVI_STATUS_EVENT_OVERFLOW))
			return true;
	}
	return false;
}

/* An event log that has never delivered an entry cannot be told apart
 * from one that never will (QEMU 7.2's model writes none: its status test
 * is broken, fixed in QEMU in 2025). */
static bool amdvi_be_faults_reported(void)
{
	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken && units[i].evlog.events == 0)
			return false;
	return n_units > 0;
}

/* The event-log interrupt is the unit's own MSI (its PCI function's MSI
 * capability, 3.2): pointed at this CPU as an NMI (data: delivery mode
 * 100b, Intel SDM 3A 10.11.2), then EventIntEn. */
static void amdvi_be_fault_events_to_nmi(uint32_t apic_id)
{
	for (unsigned i = 0; i < n_units; i++) {
		struct amdvi_unit *u = &units[i];
		struct pci_bdf bdf = PCI_BDF(0, IVRS_DEVID_BUS(u->devid), IVRS_DEVID_DEV(u->devid),
					     IVRS_DEVID_FN(u->devid));
		const struct pci_device *p = pci_find(bdf);
		uint8_t cap = p ? pci_find_cap(p, PCI_CAP_ID_MSI) : 0;
		uint16_t ctl;

		if (u->broken)
			continue;
		if (!cap || pci_cfg_read16(bdf, (uint16_t)(cap + 2), &ctl)) {
			log_warn("amdvi iommu=%u: no MSI capability: faults are polled only", i);
			continue;
		}
		pci_cfg_write32(bdf, (uint16_t)(cap + 4), 0xfee00000u | (apic_id & 0xff) << 12);
		if (ctl & (1u << 7)) {		/* 64-bit address */
			pci_cfg_write32(bdf, (uint16_t)(cap + 8), 0);
			pci_cfg_write16(bdf, (uint16_t)(cap + 12), 4u << 8);
		} else {
			pci_cfg_write16(bdf, (uint16_t)(cap + 8), 4u << 8);
		}
		pci_cfg_write16(bdf, (uint16_t)(cap + 2), (uint16_t)((ctl & ~0x70u) | 1u));
		wr64(u, AMDVI_MMIO_CONTROL, rd64(u, AMDVI_MMIO_CONTROL) | AMDVI_CTRL_EVENT_INT_EN);
	}
}

/* ---- lookups ---- */

static int amdvi_be_ioapic_source(uint8_t ioapic_id, struct irq_source *out)
{
	const struct ivrs_dev *s = ivrs_special(&ivrs, IVRS_SPECIAL_IOAPIC, ioapic_id);

	if (!s)
		return E_NOENT;
	*out = (struct irq_source){ IRQ_SRC_RID, s->first, 0, 0 };
	return 0;
}

static int amdvi_be_hpet_source(uint8_t hpet_number, struct irq_source *out)
{
	const struct ivrs_dev *s = ivrs_special(&ivrs, IVRS_SPECIAL_HPET, hpet_number);

	if (!s)
		return E_NOENT;
	*out = (struct irq_source){ IRQ_SRC_RID, s->first, 0, 0 };
	return 0;
}

static unsigned amdvi_be_unit_count(void)
{
	return n_units;
}

static void amdvi_be_unit_regs(unsigned i, paddr_t *start, paddr_t *end)
{
	*start = units[i].base;
	*end = units[i].base + AMDVI_MMIO_SIZE;
}

/* ---- for the interrupt remapping back-end (amdvi_ir.c) ---- */

uint16_t amdvi_requester_id(uint16_t devid)
{
	return ivrs_requester_id(&ivrs, 0, devid);
}

/* Quadword 2 (IV, IntTabLen, IntCtl, the table root, the pass bits) in
 * one 64-bit store, then the entry and its interrupt table invalidated. */
int amdvi_set_interrupt_table(uint16_t devid, paddr_t table, unsigned len_log2)
{
	struct amdvi_dte_config dc = {
		.valid = true, .intr_valid = true, .int_ctl = AMDVI_INTCTL_REMAP,
		.int_tab_len = (uint8_t)len_log2, .int_table = table,
	};
	struct amdvi_dte e;
	int rc;

	if (!devtab || devid >= devtab_entries)
		return E_RANGE;
	rc = amdvi_dte_encode(&dc, &e);
	if (rc)
		return rc;
	__atomic_store_n(&devtab[devid].q[2], e.q[2], __ATOMIC_RELEASE);
	flush(&devtab[devid], AMDVI_DTE_SIZE);
	return invalidate_dte(devid, -1);
}

int amdvi_invalidate_interrupts(uint16_t devid)
{
	struct amdvi_cmd c;

	amdvi_cmd_inval_interrupt_table(&c, devid);
	return run_all(&c, 1);
}

bool amdvi_translating(void)
{
	return enabled;
}

bool amdvi_is_ioapic(uint16_t devid)
{
	for (unsigned i = 0; i < ivrs.ndevs; i++)
		if (ivrs.devs[i].kind == IVRS_KIND_SPECIAL &&
		    ivrs.devs[i].variety == IVRS_SPECIAL_IOAPIC && ivrs.devs[i].first == devid)
			return true;
	return false;
}

static const struct irq_remap_ops *amdvi_be_irq_ops(void)
{
	return amdvi_ir_ops();
}

const struct amdvi_unit *amdvi_unit_get(unsigned i)
{
	return i < n_units ? &units[i] : NULL;
}

const struct iommu_backend amdvi_backend = {
	.name = "amdvi",
	.table = "IVRS",
	.probe = amdvi_be_probe,
	.geometry = amdvi_be_geometry,
	.check_firmware_maps = amdvi_be_check_firmware_maps,
	.setup = amdvi_be_setup,
	.unit_of = amdvi_be_unit_of,
	.attach = amdvi_be_attach,
	.enable = amdvi_be_enable,
	.irq_ops = amdvi_be_irq_ops,
	.poll_faults = amdvi_be_poll_faults,
	.fault_pending = amdvi_be_fault_pending,
	.faults_reported = amdvi_be_faults_reported,
	.fault_events_to_nmi = amdvi_be_fault_events_to_nmi,
	.ioapic_source = amdvi_be_ioapic_source,
	.hpet_source = amdvi_be_hpet_source,
	.unit_count = amdvi_be_unit_count,
	.unit_regs = amdvi_be_unit_regs,
};
