/* The IOMMU layer (see iommu.h): bring-up order and device attachment,
 * back-end neutral. The back-end (iommu_backend.h: VT-d from the DMAR,
 * AMD-Vi from the IVRS) is chosen from the firmware tables.
 *
 * Order, and why:
 *  1. Pick the back-end from the tables; without one, stop (fail closed).
 *  2. probe: parse and check its table, probe every unit, register the
 *     units' registers (and PCI functions) as protected, guard the region
 *     where the hardware can (VT-d PMRs) before anything else is changed,
 *     turn off what firmware left on.
 *  3. One table format, depth and superpage size every unit supports; build
 *     the default domain (domain.c decides what it reaches).
 *  4. setup: root/device tables, queues; then every PCI device attached.
 *  5. enable: translation on (then the bring-up guard off: translation now
 *     protects the region); interrupt remapping where every unit has it. */
#include "iommu/iommu.h"
#include "iommu/iommu_backend.h"
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/pci.h"
#include "vmm/protect.h"

static const struct iommu_backend *be;
static bool active;

/* Which domain each device is in (by requester id), for the report and
 * for moving devices back. */
struct attachment {
	struct pci_bdf bdf;
	int unit;
	struct domain *domain;
};
static struct attachment attached[PCI_MAX_DEVICES];
#define UNIT_NONE (-1)		/* no unit covers it */
#define UNIT_HIDDEN (-2)	/* hidden from the guest: no domain, DMA blocked */
static unsigned n_attached;

bool iommu_active(void)
{
	return active;
}

const char *iommu_backend_name(void)
{
	return be ? be->name : "none";
}

/* [base, last] (inclusive) lies wholly in memory the firmware map does not
 * give to the OS as RAM. */
bool iommu_range_reserved(const struct memmap *m, paddr_t base, paddr_t last)
{
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

void iommu_stop_source(uint16_t sid)
{
	struct pci_bdf bdf = PCI_BDF(0, sid >> 8, (sid >> 3) & 0x1f, sid & 7);

	if (pci_disable_bus_master(bdf))
		log_error("iommu: could not turn off bus mastering of %02x:%02x.%x", bdf.bus,
			  bdf.dev, bdf.fn);
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

/* One table format, depth and superpage size for all units: domains are
 * shared. */
static int choose_geometry(const struct iommu_config *c, struct domain_config *dc)
{
	uint64_t need = dma_top(c->mem);
	int rc;

	memset(dc, 0, sizeof(*dc));
	rc = be->geometry(need, dc);
	if (rc)
		return rc;
	if (dc->dma_limit < need)
		log_warn("iommu: devices can reach only the first 0x%llx bytes; RAM or device "
			 "memory goes up to 0x%llx", (unsigned long long)dc->dma_limit,
			 (unsigned long long)need);
	log_info("iommu geometry levels=%u superpages=%s coherent=%s dma_limit=0x%llx format=%s",
		 dc->levels, dc->max_page_level == 3 ? "2M,1G" :
		 dc->max_page_level == 2 ? "2M" : "none", dc->coherent ? "yes" : "no",
		 (unsigned long long)dc->dma_limit, dc->format->name);
	return 0;
}

static int build_domains(const struct iommu_config *c, const struct domain_config *dc)
{
	int rc = domain_policy_init(dc);

	if (!rc)
		rc = domain_forbid_protected();
	if (!rc)
		rc = be->check_firmware_maps(c);
	if (!rc)
		rc = domain_build_default();
	if (!rc)
		domain_log(domain_default());
	return rc;
}

static int attach_at(struct attachment *a, struct domain *d)
{
	int rc = be->attach(a->unit, a->bdf, d);

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
		a->domain = NULL;
		n_attached++;
		/* A function the guest must not see (the AMD-Vi IOMMU's own) gets
		 * no domain: its entry stays blocked. */
		if (protect_pci_function_hidden(p->bdf)) {
			a->unit = UNIT_HIDDEN;
			continue;
		}
		a->unit = be->unit_of(p->bdf);
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

/* DMAR -> VT-d, IVRS -> AMD-Vi. A machine has one kind; if firmware gave
 * both, the DMAR is taken (and the choice logged). */
static const struct iommu_backend *pick_backend(const struct iommu_config *c)
{
	if (c->dmar)
		return &vtd_backend;
	if (c->ivrs)
		return &amdvi_backend;
	return NULL;
}

int iommu_init(const struct iommu_config *c)
{
	struct domain_config dc;
	int rc;

	active = false;
	be = NULL;
	if (!c->enabled) {
		log_warn("iommu=off: DMA protection is OFF; any device can read and write all "
			 "memory, the hypervisor's included");
		return 0;
	}
	be = pick_backend(c);
	if (!be) {
		log_error("iommu: no DMAR table (VT-d) and no IVRS (AMD-Vi): no IOMMU to protect the "
			  "hypervisor; "
			  "refusing to go on (iommu=off runs without DMA protection)");
		return E_NOENT;
	}
	log_info("iommu backend=%s table=%s%s", be->name, be->table,
		 c->dmar && c->ivrs ? " (an IVRS is present too: ignored)" : "");
	rc = be->probe(c);
	if (!rc)
		rc = choose_geometry(c, &dc);
	if (!rc)
		rc = build_domains(c, &dc);
	if (!rc)
		rc = be->setup();
	if (!rc)
		rc = attach_all();
	if (!rc)
		rc = be->enable();
	if (rc) {
		log_error("iommu: bring-up failed (%s); DMA protection is not in place", err_str(rc));
		return rc;
	}
	active = true;
	iommu_poll_faults();
	log_info("iommu active units=%u levels=%u backend=%s", be->unit_count(), dc.levels,
		 be->name);
	/* Interrupt remapping where every unit has it; without it the guest's
	 * interrupt messages are still checked where shoji programs them. */
	rc = irq_remap_init(be->irq_ops());
	if (rc && rc != E_UNSUPPORTED && rc != E_NOENT) {
		log_error("iommu: bring-up failed: interrupt remapping (%s)", err_str(rc));
		return rc;
	}
	return 0;
}

int iommu_ioapic_source(uint8_t ioapic_id, struct irq_source *out)
{
	if (!be)
		return E_NOENT;
	return be->ioapic_source(ioapic_id, out);
}

int iommu_hpet_source(uint8_t hpet_number, struct irq_source *out)
{
	if (!be || !be->hpet_source)
		return E_NOENT;
	return be->hpet_source(hpet_number, out);
}

int iommu_attach(struct pci_bdf bdf, struct domain *d)
{
	if (!active)
		return E_UNSUPPORTED;
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

bool iommu_faults_reported(void)
{
	return active && (!be->faults_reported || be->faults_reported());
}

/* The fault records and the fault policy's counters: whichever CPU took
 * the fault NMI (or a VMMCALL) polls, one at a time (docs/smp.md). A CPU
 * that finds another polling does not wait: it leaves a request
 * (poll_again), and the holder polls once more after it lets go, so a
 * record that arrived during the holder's poll is not left uncleared (the
 * unit records nothing new until it is: VT-d's fault compression). */
static struct spinlock fault_lock = SPINLOCK_INIT;
static bool poll_again;

unsigned iommu_poll_faults(void)
{
	unsigned n = 0;

	if (!active)
		return 0;
	__atomic_store_n(&poll_again, true, __ATOMIC_SEQ_CST);
	while (spin_trylock(&fault_lock)) {
		__atomic_store_n(&poll_again, false, __ATOMIC_SEQ_CST);
		n += be->poll_faults();
		spin_unlock(&fault_lock);
		if (!__atomic_load_n(&poll_again, __ATOMIC_SEQ_CST))
			break;
	}
	return n;
}

void iommu_log_devices(void)
{
	char reach[256];

	for (unsigned i = 0; i < n_attached; i++) {
		const struct attachment *a = &attached[i];

		if (a->unit == UNIT_HIDDEN)
			log_info("iommu device %02x:%02x.%x unit=none domain=none reach=nothing "
				 "hidden=%s", a->bdf.bus, a->bdf.dev, a->bdf.fn,
				 protect_pci_function_hidden(a->bdf));
		else if (a->unit < 0 || !a->domain)
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
	return active ? be->unit_count() : 0;
}

void iommu_unit_regs(unsigned i, paddr_t *start, paddr_t *end)
{
	be->unit_regs(i, start, end);
}

void iommu_fault_events_to_nmi(uint32_t apic_id)
{
	if (!active || !be->unit_count())
		return;
	be->fault_events_to_nmi(apic_id);
	log_info("iommu fault events -> NMI apic_id=%u", apic_id);
}

bool iommu_fault_pending(void)
{
	return active && be->fault_pending();
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
