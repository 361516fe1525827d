/* The IOMMU layer (see iommu.h): bring-up order and device attachment.
 *
 * Order, and why:
 *  1. Parse the DMAR; without a usable one, stop (fail closed).
 *  2. Probe every unit; PMRs over the hypervisor region where the units
 *     have them, before anything else is changed, so the region is covered
 *     from here until translation is on.
 *  3. Turn off what firmware left on (translation, IR, QI).
 *  4. Pick one table depth and one superpage size every unit supports;
 *     build the default domain (domain.c decides what it reaches).
 *  5. Root/context tables per unit, every PCI device attached.
 *  6. Translation on, then PMRs off (translation now protects the region). */
#include "iommu/dmar.h"
#include "iommu/iommu.h"
#include "iommu/irq_remap.h"
#include "iommu/vtd.h"
#include "iommu/vtd_regs.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/pci.h"
#include "vmm/protect.h"

static struct vtd_unit units[VTD_MAX_UNITS];
static struct vtd_unit *unit_ptrs[VTD_MAX_UNITS];	/* for the interrupt remapping layer */
static unsigned n_units;
/* DRHD index -> units[] index (two DRHDs with one base share a unit). */
static int unit_of_drhd[DMAR_MAX_UNITS];
static bool active;
static struct dmar_info dmar;
static unsigned levels;

/* Which domain each device is in (by requester id), for the report and
 * for moving devices back. */
struct attachment {
	struct pci_bdf bdf;
	int unit;
	struct domain *domain;
};
static struct attachment attached[PCI_MAX_DEVICES];
static unsigned n_attached;

bool iommu_active(void)
{
	return active;
}

static int secondary_bus_cb(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	uint8_t sec;

	(void)ctx;
	if (pci_bridge_secondary_bus(PCI_BDF(seg, bus, dev, fn), &sec))
		return -1;
	return sec;
}

static int subordinate_bus_cb(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	uint8_t sub;

	(void)ctx;
	if (secondary_bus_cb(ctx, seg, bus, dev, fn) < 0 ||
	    pci_cfg_read8(PCI_BDF(seg, bus, dev, fn), PCI_SUBORDINATE_BUS, &sub))
		return -1;
	return sub;
}

/* [base, last] (inclusive) lies wholly in memory the firmware map does not
 * give to the OS as RAM. */
static bool is_reserved_cb(void *ctx, paddr_t base, paddr_t last)
{
	const struct memmap *m = ctx;
	paddr_t end = last + 1;

	for (paddr_t a = base; a < end;) {
		bool found = false;

		for (unsigned i = 0; i < m->n; i++) {
			if (a >= m->r[i].base && a < m->r[i].end) {
				if (m->r[i].type == MEM_USABLE)
					return false;
				a = m->r[i].end;
				found = true;
				break;
			}
		}
		if (!found)
			return false;	/* a hole in the map: not reported as reserved */
	}
	return true;
}

static void stop_device(uint16_t sid)
{
	struct pci_bdf bdf = PCI_BDF(0, sid >> 8, (sid >> 3) & 0x1f, sid & 7);

	if (pci_disable_bus_master(bdf))
		log_error("iommu: could not turn off bus mastering of %02x:%02x.%x", bdf.bus,
			  bdf.dev, bdf.fn);
}

/* The unit that translates for bdf, or -1. */
static int unit_of(struct pci_bdf bdf)
{
	const struct dmar_unit *d = dmar_unit_for_device(&dmar, bdf.seg, bdf.bus,
							 DMAR_DEVFN(bdf.dev, bdf.fn));
	int i;

	if (!d)
		return -1;
	i = unit_of_drhd[d->index];
	if (i < 0 || units[i].broken)
		return -1;
	return i;
}

static int probe_units(const struct iommu_config *c)
{
	n_units = 0;
	for (unsigned i = 0; i < dmar.nunits; i++) {
		const struct dmar_unit *d = &dmar.units[i];
		struct vtd_unit *u = &units[n_units];
		int rc;

		if (d->dup_of >= 0) {	/* the same registers listed twice */
			unit_of_drhd[i] = unit_of_drhd[d->dup_of];
			continue;
		}
		if (n_units == VTD_MAX_UNITS) {
			log_error("iommu: more than %d remapping units; not supported", VTD_MAX_UNITS);
			return E_UNSUPPORTED;
		}
		if (!d->usable) {
			log_error("iommu: DRHD %u (base 0x%llx) is unusable; its devices would be "
				  "unprotected", i, (unsigned long long)d->base);
			return E_INVAL;
		}
		rc = vtd_probe(u, n_units, d->base);
		if (rc)
			return rc;
		u->stop_device = stop_device;
		vtd_log(u);
		unit_of_drhd[i] = (int)n_units++;
	}
	if (!n_units) {
		log_error("iommu: the DMAR lists no remapping unit");
		return E_NOENT;
	}
	return 0;
}

/* Protected memory regions guard the region while translation is off
 * during bring-up. A unit that has them but fails to enable them stops the
 * bring-up: its DMA would reach the region in that window. */
static int pmr_on(const struct iommu_config *c)
{
	for (unsigned i = 0; i < n_units; i++) {
		int rc = vtd_pmr_protect(&units[i], c->hv_base, c->hv_end);

		if (rc == E_UNSUPPORTED) {
			log_info("vtd unit=%u pmr=unsupported: the hypervisor region relies on "
				 "translation alone (nothing runs DMA before it is on)", i);
		} else if (rc) {
			log_error("vtd unit=%u pmr=failed (%s): the region would be open to DMA "
				  "during bring-up", i, err_str(rc));
			return rc;
		} else {
			log_info("vtd unit=%u pmr=on region=0x%llx-0x%llx", i,
				 (unsigned long long)c->hv_base, (unsigned long long)c->hv_end);
		}
	}
	return 0;
}

/* Every unit's register window, in the protected-range registry: no CPU
 * access by the guest, no device DMA (a device must not reprogram its IOMMU
 * peer to peer), no BAR over it. All DRHDs, however many. */
static int protect_units(void)
{
	for (unsigned i = 0; i < dmar.nunits; i++) {
		paddr_t base = dmar.units[i].base;
		int rc = protect_add(base, base + ALIGN_UP(MAX(dmar.units[i].size, PAGE_SIZE),
							   PAGE_SIZE),
				     PROTECT_ALL, "iommu-registers");

		if (rc)
			return rc;
	}
	return 0;
}

/* The highest address a device may need to reach: RAM and ACPI memory in
 * the map, everything below 4 GiB (MMIO), and every PCI BAR (peer to
 * peer). Reserved ranges above that (e.g. QEMU's HyperTransport hole near
 * 1 TiB) hold nothing a device could use. */
static uint64_t dma_top(const struct memmap *m)
{
	uint64_t top = GiB(4);

	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].type == MEM_USABLE || m->r[i].type == MEM_ACPI_RECLAIM ||
		    m->r[i].type == MEM_ACPI_NVS || m->r[i].type == MEM_HYPERVISOR)
			top = MAX(top, m->r[i].end);
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d))
		for (unsigned b = 0; b < d->nr_bars; b++)
			if (d->bars[b].type == PCI_BAR_MEM32 || d->bars[b].type == PCI_BAR_MEM64)
				top = MAX(top, d->bars[b].addr + d->bars[b].size);
	return ALIGN_UP(top, GiB(1));
}

/* One table depth and superpage size for all units: domains are shared. */
static int choose_geometry(const struct iommu_config *c, struct domain_config *dc)
{
	unsigned common = ~0u, sp = 3, mgaw = 64;
	bool coherent = true;
	uint64_t need = dma_top(c->mem);

	for (unsigned i = 0; i < n_units; i++) {
		common &= vtd_levels_supported(&units[i]);
		sp = MIN(sp, vtd_superpage_level(&units[i]));
		mgaw = MIN(mgaw, (unsigned)VTD_CAP_MGAW(units[i].cap));
		coherent = coherent && units[i].coherent;
	}
	levels = 0;
	for (unsigned l = 3; l <= 5; l++) {
		if (!(common & (1u << l)))
			continue;
		levels = l;
		if (12 + 9 * l >= 64 || (1ULL << (12 + 9 * l)) >= need)
			break;
	}
	if (!levels) {
		log_error("iommu: the units share no page-table depth (sagaw)");
		return E_UNSUPPORTED;
	}
	dc->levels = levels;
	dc->max_page_level = sp;
	dc->coherent = coherent;
	dc->dma_limit = MIN(need, 1ULL << MIN(12 + 9 * levels, mgaw));
	dc->haw = dmar.haw;
	if (dc->dma_limit < need)
		log_warn("iommu: devices can reach only the first 0x%llx bytes (%u-bit width); "
			 "RAM or device memory goes up to 0x%llx", (unsigned long long)dc->dma_limit,
			 MIN(12 + 9 * levels, mgaw), (unsigned long long)need);
	log_info("iommu geometry levels=%u superpages=%s coherent=%s dma_limit=0x%llx", levels,
		 sp == 3 ? "2M,1G" : sp == 2 ? "2M" : "none", coherent ? "yes" : "no",
		 (unsigned long long)dc->dma_limit);
	return 0;
}

static int build_domains(const struct iommu_config *c, const struct domain_config *dc)
{
	int rc = domain_policy_init(dc);

	if (!rc)
		rc = domain_forbid_protected();
	/* RMRRs are identity-mapped in the default domain already, unless
	 * they hit forbidden memory: that conflict is reported, and the
	 * hypervisor region wins. */
	for (unsigned i = 0; i < dmar.nrmrrs; i++) {
		const struct dmar_rmrr *r = &dmar.rmrrs[i];

		if (r->valid && r->base < c->hv_end && r->limit >= c->hv_base)
			log_error("iommu: RMRR 0x%llx-0x%llx overlaps the hypervisor region: "
				  "not mapped; its devices may malfunction",
				  (unsigned long long)r->base, (unsigned long long)r->limit);
	}
	if (!rc)
		rc = domain_build_default();
	if (!rc)
		domain_log(domain_default());
	return rc;
}

static int attach_at(struct attachment *a, struct domain *d)
{
	struct vtd_unit *u = &units[a->unit];
	int rc = vtd_set_context(u, a->bdf.bus, (uint8_t)(a->bdf.dev << 3 | a->bdf.fn), d->id,
				 d->pt.root, levels);

	if (rc)
		return rc;
	if (a->domain)
		a->domain->devices--;
	a->domain = d;
	d->devices++;
	return 0;
}

static int attach_all(void)
{
	unsigned uncovered = 0;

	n_attached = 0;
	for (const struct pci_device *p = pci_first(); p; p = pci_next(p)) {
		struct attachment *a = &attached[n_attached];
		int rc;

		a->bdf = p->bdf;
		a->unit = unit_of(p->bdf);
		a->domain = NULL;
		n_attached++;
		if (a->unit < 0) {
			log_error("iommu: device %02x:%02x.%x (%04x:%04x) is covered by no remapping "
				  "unit: it can DMA anywhere, the hypervisor included",
				  p->bdf.bus, p->bdf.dev, p->bdf.fn, p->vendor, p->device);
			uncovered++;
			continue;
		}
		rc = attach_at(a, domain_default());
		if (rc)
			return rc;
	}
	return uncovered ? E_INVAL : 0;
}

int iommu_init(const struct iommu_config *c)
{
	struct dmar_env env = {
		.ctx = (void *)c->mem,
		.secondary_bus = secondary_bus_cb,
		.subordinate_bus = subordinate_bus_cb,
		.is_reserved = is_reserved_cb,
	};
	struct domain_config dc;
	int rc;

	active = false;
	if (!c->enabled) {
		log_warn("iommu=off: DMA protection is OFF; any device can read and write all "
			 "memory, the hypervisor's included");
		return 0;
	}
	if (!c->dmar) {
		log_error("iommu: no DMAR table: no IOMMU to protect the hypervisor; refusing to "
			  "go on (iommu=off runs without DMA protection)");
		return E_NOENT;
	}
	rc = dmar_parse(c->dmar, c->dmar_len, &env, &dmar);
	dmar_print(&dmar);
	if (rc) {
		log_error("iommu: the DMAR table is unusable (%s); refusing to go on "
			  "(iommu=off runs without DMA protection)", dmar.reason);
		return rc;
	}
	rc = probe_units(c);
	if (!rc)
		rc = protect_units();
	if (!rc)
		rc = pmr_on(c);
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_disable(&units[i]);
	if (!rc)
		rc = choose_geometry(c, &dc);
	if (!rc)
		rc = build_domains(c, &dc);
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_setup(&units[i]);
	if (!rc)
		rc = attach_all();
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_enable_translation(&units[i]);
	/* The shadow window lies in the region: the PMRs must be off. */
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_pmr_disable(&units[i]);
	if (rc) {
		log_error("iommu: bring-up failed (%s); DMA protection is not in place", err_str(rc));
		return rc;
	}
	active = true;
	iommu_poll_faults();
	log_info("iommu active units=%u levels=%u", n_units, levels);
	/* Interrupt remapping where every unit has it; without it the guest's
	 * interrupt messages are still checked where shoji programs them. */
	for (unsigned i = 0; i < n_units; i++)
		unit_ptrs[i] = &units[i];
	rc = irq_remap_init(unit_ptrs, n_units);
	if (rc && rc != E_UNSUPPORTED) {
		log_error("iommu: bring-up failed: interrupt remapping (%s)", err_str(rc));
		return rc;
	}
	return 0;
}

/* The DMAR names each IOAPIC's requester id in an IOAPIC device scope
 * (VT-d 8.3.1.1): start bus and a one-hop path. */
int iommu_ioapic_source(uint8_t ioapic_id, struct irq_source *out)
{
	for (unsigned i = 0; i < dmar.nscopes; i++) {
		const struct dmar_scope *sc = &dmar.scopes[i];

		if (sc->type != DMAR_SCOPE_IOAPIC || sc->enum_id != ioapic_id || sc->hops < 1)
			continue;
		*out = (struct irq_source){
			IRQ_SRC_RID,
			(uint16_t)(sc->start_bus << 8 | DMAR_DEVFN(sc->path[0].dev, sc->path[0].fn)),
			0, 0 };
		if (sc->hops > 1 && sc->resolved)
			out->rid = (uint16_t)(sc->bus << 8 | sc->devfn);
		return 0;
	}
	return E_NOENT;
}

int iommu_attach(struct pci_bdf bdf, struct domain *d)
{
	for (unsigned i = 0; i < n_attached; i++) {
		struct attachment *a = &attached[i];

		if (!pci_bdf_eq(a->bdf, bdf))
			continue;
		if (a->unit < 0)
			return E_NOENT;
		return attach_at(a, d);
	}
	return E_NOENT;
}

unsigned iommu_poll_faults(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken)
			n += vtd_poll_faults(&units[i]);
	return n;
}

void iommu_log_devices(void)
{
	char reach[256];

	for (unsigned i = 0; i < n_attached; i++) {
		const struct attachment *a = &attached[i];

		if (a->unit < 0 || !a->domain)
			log_info("iommu device %02x:%02x.%x unit=none domain=none reach=everything",
				 a->bdf.bus, a->bdf.dev, a->bdf.fn);
		else
			log_info("iommu device %02x:%02x.%x unit=%d domain=%s reach=%s", a->bdf.bus,
				 a->bdf.dev, a->bdf.fn, a->unit, a->domain->name,
				 domain_reach_str(a->domain, reach, sizeof(reach)));
	}
}

unsigned iommu_unit_count(void)
{
	return active ? n_units : 0;
}

void iommu_unit_regs(unsigned i, paddr_t *start, paddr_t *end)
{
	*start = units[i].base;
	*end = units[i].base + PAGE_SIZE;
	/* The DRHD's size field may say more: use it when it does. */
	for (unsigned d = 0; d < dmar.nunits; d++)
		if (dmar.units[d].base == units[i].base)
			*end = units[i].base + MAX(dmar.units[d].size, PAGE_SIZE);
}

void iommu_fault_events_to_nmi(uint32_t apic_id)
{
	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken)
			vtd_fault_event_nmi(&units[i], apic_id);
	if (n_units)
		log_info("iommu fault events -> NMI apic_id=%u", apic_id);
}

bool iommu_fault_pending(void)
{
	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken && vtd_fault_pending(&units[i]))
			return true;
	return false;
}

size_t iommu_devices_text(char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < n_attached && n + 1 < len; i++) {
		const struct attachment *a = &attached[i];

		n += (size_t)shoji_snprintf(buf + n, len - n, "device=%02x:%02x.%x domain=%s\n",
					    a->bdf.bus, a->bdf.dev, a->bdf.fn,
					    a->domain ? a->domain->name : "none");
	}
	return MIN(n, len ? len - 1 : 0);
}
