/* VMMCALL functions (ABI in vmm/vmmcall.h and docs/vmmcall.md). */
#include "arch/x86/vcpu_select.h"
#include "arch/x86/time.h"
#include "core/disk.h"
#include "core/status.h"
#include "iommu/iommu.h"
#include "iommu/fault.h"
#include "iommu/irq_remap.h"
#include "vmm/irq_log.h"
#include "lib/printf.h"
#include "lib/prof.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "vmm/apic_guard.h"
#include "vmm/pci_guard.h"
#include "vmm/vmmcall.h"

#define SHOJI_VERSION_CODE ((0u << 16) | (1u << 8) | 0u)
#define TEXT_MAX 8192	/* the status with its profile (lib/prof.h) */

extern char _image_start[], _erodata[];

static char text[TEXT_MAX];

uint64_t image_checksum(void)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = _image_start; p < _erodata; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h;
}

static size_t status_text(void)
{
	const struct vcpu_backend *cpu = vcpu_backend_for_this_cpu();
	const struct vcpu_stats *s = cpu->stats();
	const struct shoji_status *st = shoji_status();
	size_t n = 0;

	n += (size_t)shoji_snprintf(text + n, TEXT_MAX - n,
		"version=0.1.0\niommu=%s\niommu_units=%u\nhv_base=0x%llx\nhv_end=0x%llx\n"
		"default_domain_reach=%s\niommu_faults=%llu\nnpt_hole_touches=%llu\n"
		"pci_refusals=%llu\napic_ipis_refused=%llu\nexits=%llu\nexits_io=%llu\nexits_msr=%llu\nexits_cpuid=%llu\n"
		"exits_npf=%llu\nexits_mmio=%llu\nexits_vmmcall=%llu\nexits_nmi=%llu\n"
		"fault_nmis=%llu\n",
		iommu_active() ? "on" : "off", st->iommu_units,
		(unsigned long long)st->hv_base, (unsigned long long)st->hv_end, st->reach,
		(unsigned long long)fault_ring_seq(), (unsigned long long)cpu->hole_touches(),
		(unsigned long long)pci_guard_refusals(), (unsigned long long)apic_ipis_refused(),
		(unsigned long long)s->exits,
		(unsigned long long)s->io, (unsigned long long)s->msr,
		(unsigned long long)s->cpuid, (unsigned long long)s->npf,
		(unsigned long long)s->mmio, (unsigned long long)s->vmmcall, (unsigned long long)s->nmi,
		(unsigned long long)s->fault_nmis);
	/* The per-reason histogram (added keys; the totals above stay). */
	n += (size_t)shoji_snprintf(text + n, TEXT_MAX - n,
		"exits_io_pci_cfg=%llu\nexits_mmio_read=%llu\nexits_mmio_write=%llu\n"
		"exits_apic_read=%llu\nexits_apic_eoi=%llu\nexits_apic_tpr=%llu\n"
		"exits_apic_timer=%llu\nexits_apic_icr=%llu\nexits_apic_other=%llu\n"
		"exits_apic_fast=%llu\nexits_npf_forbidden=%llu\nexits_msr_icr=%llu\n"
		"exit_tsc_ticks=%llu\ntsc_khz=%llu\napic_writes_refused=%llu\n"
		"exits_io_trapped=%llu\nexits_io_string=%llu\n"
		"exits_cr0_write=%llu\nexits_cr4_write=%llu\npci_cfg_reads_fused=%llu\n"
		"mmio_followon_stores=%llu\n",
		(unsigned long long)s->io_pci_cfg, (unsigned long long)s->mmio_read,
		(unsigned long long)s->mmio_write, (unsigned long long)s->apic_read,
		(unsigned long long)s->apic_write[APIC_CLASS_EOI],
		(unsigned long long)s->apic_write[APIC_CLASS_TPR],
		(unsigned long long)s->apic_write[APIC_CLASS_TIMER],
		(unsigned long long)s->apic_write[APIC_CLASS_ICR],
		(unsigned long long)s->apic_write[APIC_CLASS_OTHER],
		(unsigned long long)s->apic_fast, (unsigned long long)s->npf_forbidden,
		(unsigned long long)s->msr_icr, (unsigned long long)s->tsc,
		(unsigned long long)time_tsc_khz(), (unsigned long long)apic_writes_refused(),
		(unsigned long long)s->io_trapped, (unsigned long long)s->io_string,
		(unsigned long long)s->cr0_write, (unsigned long long)s->cr4_write,
		(unsigned long long)s->io_pci_cfg_fused, (unsigned long long)s->mmio_followon);
	/* Interrupt remapping (docs/guest.md#interrupts): on, and how many
	 * interrupt programmings of the guest's were refused. */
	n += (size_t)shoji_snprintf(text + n, TEXT_MAX - n, "irq_remap=%s\nirq_refused=%llu\n",
				    irq_remap_active() ? "on" : "off",
				    (unsigned long long)irq_refusals());
	/* Which IOMMU (added keys): its kind, the first unit's registers, and
	 * whether its faults reach shoji at all (iommu.h). */
	{
		paddr_t rs = 0, re = 0;

		if (iommu_unit_count())
			iommu_unit_regs(0, &rs, &re);
		n += (size_t)shoji_snprintf(text + n, TEXT_MAX - n,
					    "iommu_backend=%s\niommu_regs=0x%llx\n"
					    "iommu_faults_reported=%s\n", iommu_backend_name(),
					    (unsigned long long)rs,
					    iommu_faults_reported() ? "yes" : "no");
	}
	/* shoji's own time by section, summed over CPUs (lib/prof.h, added
	 * keys: the bench's per-disk-command profile). */
	if (n < TEXT_MAX - 1)
		n += prof_text(text + n, TEXT_MAX - n);
	if (iommu_active() && n < TEXT_MAX - 1)
		n += iommu_devices_text(text + n, TEXT_MAX - n);
	if (disk_active() && n < TEXT_MAX - 1) {
		disk_stats_text(text + n, TEXT_MAX - n);
		n += strlen(text + n);
	}
	return MIN(n, TEXT_MAX - 1);
}

static size_t faults_text(void)
{
	uint64_t last = fault_ring_seq();
	uint64_t first = last > FAULT_RING_SIZE ? last - FAULT_RING_SIZE + 1 : 1;
	size_t n = 0;

	text[0] = '\0';
	for (uint64_t s = first; s <= last && n < TEXT_MAX - 1; s++) {
		struct fault_event e;

		if (!fault_ring_get(s, &e))
			continue;
		n += (size_t)shoji_snprintf(text + n, TEXT_MAX - n,
			"seq=%llu unit=%u sid=%02x:%02x.%x addr=0x%llx type=%s reason=0x%02x (%s)\n",
			(unsigned long long)e.seq, e.unit, e.f.sid >> 8, (e.f.sid >> 3) & 0x1f,
			e.f.sid & 7, (unsigned long long)e.f.addr, e.f.is_read ? "read" : "write",
			e.f.reason, e.f.why);
	}
	return MIN(n, TEXT_MAX - 1);
}

static void reply_text(struct vcpu_regs *r, const struct guest_paging *pg, size_t len)
{
	if (r->rcx < len + 1) {
		r->rax = (uint64_t)(int64_t)VMMCALL_ETOOSMALL;
		r->rbx = len + 1;
		return;
	}
	if (copy_to_guest(pg, r->rbx, text, len + 1)) {
		r->rax = (uint64_t)(int64_t)VMMCALL_EFAULT;
		return;
	}
	r->rax = 0;
	r->rbx = len + 1;
}

static void dispatch_locked(struct vcpu_regs *r, const struct guest_paging *pg)
{
	uint32_t fn = (uint32_t)r->rax;

	iommu_poll_faults();	/* the freshest fault log */
	if ((fn & 0xffff0000u) != VMMCALL_MAGIC) {
		r->rax = (uint64_t)(int64_t)VMMCALL_EINVAL;
		return;
	}
	switch (fn & 0xffff) {
	case VMMCALL_VERSION:
		r->rax = 0;
		r->rbx = SHOJI_VERSION_CODE;
		r->rcx = 0x4a4f4853;
		break;
	case VMMCALL_STATUS:
		reply_text(r, pg, status_text());
		break;
	case VMMCALL_FAULTS:
		reply_text(r, pg, faults_text());
		break;
	case VMMCALL_SELFCHECK:
		r->rax = 0;
		r->rbx = image_checksum();
		r->rcx = (uint64_t)(_erodata - _image_start);
		break;
	default:
		r->rax = (uint64_t)(int64_t)VMMCALL_EINVAL;
	}
}

/* One call at a time from any CPU (docs/smp.md): the replies are built in
 * one shared text buffer, and the calls that change state (the disk's) are
 * not re-entrant. */
static struct spinlock vmmcall_lock = SPINLOCK_INIT;

void vmmcall_dispatch(struct vcpu_regs *r, const struct guest_paging *pg)
{
	spin_lock(&vmmcall_lock);
	dispatch_locked(r, pg);
	spin_unlock(&vmmcall_lock);
}
