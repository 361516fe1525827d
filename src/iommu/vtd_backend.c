/* VT-d as an IOMMU back-end (struct iommu_backend, iommu_backend.h): the
 * DMAR's remapping units (vtd.c drives one), their protected memory
 * regions during bring-up, context entries per requester ID, the fault
 * registers, interrupt remapping (vtd_ir.c). Section numbers: Intel VT-d
 * Architecture Specification. */
#include "iommu/dmar.h"
#include "iommu/iommu_backend.h"
#include "iommu/vtd.h"
#include "iommu/vtd_ir.h"
#include "iommu/vtd_regs.h"
#include "lib/error.h"
#include "lib/log.h"
#include "platform/pci.h"
#include "vmm/protect.h"

static struct vtd_unit units[VTD_MAX_UNITS];
static struct vtd_unit *unit_ptrs[VTD_MAX_UNITS];	/* for the interrupt remapping layer */
static unsigned n_units;
/* DRHD index -> units[] index (two DRHDs with one base share a unit). */
static int unit_of_drhd[DMAR_MAX_UNITS];
static struct dmar_info dmar;
static unsigned levels;
static paddr_t hv_base, hv_end;

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

static bool is_reserved_cb(void *ctx, paddr_t base, paddr_t last)
{
	return iommu_range_reserved(ctx, base, last);
}

static int probe_units(void)
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
		u->stop_device = iommu_stop_source;
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
static int pmr_on(void)
{
	for (unsigned i = 0; i < n_units; i++) {
		int rc = vtd_pmr_protect(&units[i], hv_base, hv_end);

		if (rc == E_UNSUPPORTED) {
			log_info("vtd unit=%u pmr=unsupported: the hypervisor region relies on "
				 "translation alone (nothing runs DMA before it is on)", i);
		} else if (rc) {
			log_error("vtd unit=%u pmr=failed (%s): the region would be open to DMA "
				  "during bring-up", i, err_str(rc));
			return rc;
		} else {
			log_info("vtd unit=%u pmr=on region=0x%llx-0x%llx", i,
				 (unsigned long long)hv_base, (unsigned long long)hv_end);
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

static int vtd_be_probe(const struct iommu_config *c)
{
	struct dmar_env env = {
		.ctx = (void *)c->mem,
		.secondary_bus = secondary_bus_cb,
		.subordinate_bus = subordinate_bus_cb,
		.is_reserved = is_reserved_cb,
	};
	int rc;

	hv_base = c->hv_base;
	hv_end = c->hv_end;
	rc = dmar_parse(c->dmar, c->dmar_len, &env, &dmar);
	dmar_print(&dmar);
	if (rc) {
		log_error("iommu: the DMAR table is unusable (%s); refusing to go on "
			  "(iommu=off runs without DMA protection)", dmar.reason);
		return rc;
	}
	rc = probe_units();
	if (!rc)
		rc = protect_units();
	if (!rc)
		rc = pmr_on();
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_disable(&units[i]);
	return rc;
}

/* One table depth and superpage size for all units: domains are shared. */
static int vtd_be_geometry(uint64_t need, struct domain_config *dc)
{
	unsigned common = ~0u, sp = 3, mgaw = 64;
	bool coherent = true;

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
	dc->format = &iopt_format_vtd;
	dc->levels = levels;
	dc->max_page_level = sp;
	dc->coherent = coherent;
	dc->dma_limit = MIN(need, 1ULL << MIN(12 + 9 * levels, mgaw));
	dc->haw = dmar.haw;
	return 0;
}

/* RMRRs are identity-mapped in the default domain already, unless they hit
 * forbidden memory: that conflict is reported, and the hypervisor region
 * wins. */
static int vtd_be_check_firmware_maps(const struct iommu_config *c)
{
	for (unsigned i = 0; i < dmar.nrmrrs; i++) {
		const struct dmar_rmrr *r = &dmar.rmrrs[i];

		if (r->valid && r->base < c->hv_end && r->limit >= c->hv_base)
			log_error("iommu: RMRR 0x%llx-0x%llx overlaps the hypervisor region: "
				  "not mapped; its devices may malfunction",
				  (unsigned long long)r->base, (unsigned long long)r->limit);
	}
	return 0;
}

static int vtd_be_setup(void)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_setup(&units[i]);
	return rc;
}

static int vtd_be_unit_of(struct pci_bdf bdf)
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

static int vtd_be_attach(int unit, struct pci_bdf bdf, const struct domain *d)
{
	return vtd_set_context(&units[unit], bdf.bus, (uint8_t)(bdf.dev << 3 | bdf.fn), d->id,
			       d->pt.root, levels);
}

static int vtd_be_enable(void)
{
	int rc = 0;

	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_enable_translation(&units[i]);
	/* The shadow window lies in the region: the PMRs must be off. */
	for (unsigned i = 0; !rc && i < n_units; i++)
		rc = vtd_pmr_disable(&units[i]);
	return rc;
}

static const struct irq_remap_ops *vtd_be_irq_ops(void)
{
	for (unsigned i = 0; i < n_units; i++)
		unit_ptrs[i] = &units[i];
	return vtd_ir_ops_for(unit_ptrs, n_units);
}

static unsigned vtd_be_poll_faults(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken)
			n += vtd_poll_faults(&units[i]);
	return n;
}

static bool vtd_be_fault_pending(void)
{
	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken && vtd_fault_pending(&units[i]))
			return true;
	return false;
}

static void vtd_be_fault_events_to_nmi(uint32_t apic_id)
{
	for (unsigned i = 0; i < n_units; i++)
		if (!units[i].broken)
			vtd_fault_event_nmi(&units[i], apic_id);
}

/* The DMAR names each IOAPIC's (and HPET's) requester id in an IOAPIC
 * (HPET) device scope (VT-d 8.3.1.1): start bus and a one-hop path. */
static int scope_source(unsigned type, uint8_t enum_id, struct irq_source *out)
{
	for (unsigned i = 0; i < dmar.nscopes; i++) {
		const struct dmar_scope *sc = &dmar.scopes[i];

		if (sc->type != type || sc->enum_id != enum_id || sc->hops < 1)
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

static int vtd_be_ioapic_source(uint8_t ioapic_id, struct irq_source *out)
{
	return scope_source(DMAR_SCOPE_IOAPIC, ioapic_id, out);
}

static int vtd_be_hpet_source(uint8_t hpet_number, struct irq_source *out)
{
	return scope_source(DMAR_SCOPE_HPET, hpet_number, out);
}

static unsigned vtd_be_unit_count(void)
{
	return n_units;
}

static void vtd_be_unit_regs(unsigned i, paddr_t *start, paddr_t *end)
{
	*start = units[i].base;
	*end = units[i].base + PAGE_SIZE;
	/* The DRHD's size field may say more: use it when it does. */
	for (unsigned d = 0; d < dmar.nunits; d++)
		if (dmar.units[d].base == units[i].base)
			*end = units[i].base + MAX(dmar.units[d].size, PAGE_SIZE);
}

const struct iommu_backend vtd_backend = {
	.name = "vtd",
	.table = "DMAR",
	.probe = vtd_be_probe,
	.geometry = vtd_be_geometry,
	.check_firmware_maps = vtd_be_check_firmware_maps,
	.setup = vtd_be_setup,
	.unit_of = vtd_be_unit_of,
	.attach = vtd_be_attach,
	.enable = vtd_be_enable,
	.irq_ops = vtd_be_irq_ops,
	.poll_faults = vtd_be_poll_faults,
	.fault_pending = vtd_be_fault_pending,
	.fault_events_to_nmi = vtd_be_fault_events_to_nmi,
	.ioapic_source = vtd_be_ioapic_source,
	.hpet_source = vtd_be_hpet_source,
	.unit_count = vtd_be_unit_count,
	.unit_regs = vtd_be_unit_regs,
};
