/* Guest launch (see guest.h). Modules come from the boot loader as
 *   "PATH role=kernel GUEST COMMAND LINE"   (QEMU -initrd / GRUB module2)
 *   "PATH role=initrd"
 * The path word, when present, is skipped like the hypervisor's own. */
#include "arch/x86/cpu.h"
#include "arch/x86/vcpu_select.h"
#include "core/fwboot.h"
#include "core/guest.h"
#include "core/status.h"
#include "core/power.h"
#include "core/smp.h"
#include "iommu/iommu.h"
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "platform/acpi.h"
#include "platform/memmap.h"
#include "platform/pci.h"
#include "vmm/apic_guard.h"
#include "vmm/bios_hook.h"
#include "vmm/ecam_guard.h"
#include "vmm/hpet_virt.h"
#include "vmm/ioapic_virt.h"
#include "vmm/msi_virt.h"
#include "vmm/msix_virt.h"
#include "vmm/protect.h"
#include "vmm/pvh.h"
#include "vmm/vcpu_exit.h"
#include "vmm/vmmcall.h"

#define PVH_INFO_PA 0x6000ULL	/* start info, memory map, command line */

struct module_args {
	const struct boot_module *m;
	const char *cmdline;	/* what follows role=... */
};

static bool find_module(const struct boot_info *bi, const char *role, struct module_args *out)
{
	out->m = bootinfo_module(bi, role, &out->cmdline);
	return out->m != NULL;
}

bool guest_present(const struct boot_info *bi)
{
	struct module_args k;

	return find_module(bi, "kernel", &k);
}

static bool overlaps(paddr_t a, paddr_t ae, paddr_t b, paddr_t be)
{
	return a < be && b < ae;
}

/* Moves a module out of the way to free RAM below the region. */
static int relocate(struct boot_info *bi, struct boot_module *m, const struct mem_range *excl,
		    unsigned n, paddr_t limit, const char *what)
{
	uint64_t size = m->end - m->start;
	paddr_t to;

	if (memmap_find_top(&bi->mem, ALIGN_UP(size, PAGE_SIZE), PAGE_SIZE, limit, excl, n, &to)) {
		log_error("guest: no room to place the %s (%llu bytes)", what,
			  (unsigned long long)size);
		return E_NOMEM;
	}
	memmove(hal_phys_to_virt(to), hal_phys_to_virt(m->start), size);
	log_info("guest %s moved from 0x%llx to 0x%llx size=%llu", what,
		 (unsigned long long)m->start, (unsigned long long)to, (unsigned long long)size);
	m->start = to;
	m->end = to + size;
	return 0;
}

static int prepare_acpi(void)
{
	int n;

	if (!acpi_root_info())
		return 0;
	n = acpi_hide_table("DMAR");
	log_info("guest acpi: DMAR hidden (%d root entries removed): the IOMMU is shoji's", n);
	n = acpi_hide_table("IVRS");
	log_info("guest acpi: IVRS hidden (%d root entries removed): the IOMMU is shoji's", n);
	/* MCFG stays: the ECAM windows are the guest's, read-only (writes
	 * trap to vmm/ecam_guard.c, registered in core/main.c). Its bus range
	 * ends at the last bus that exists (the PCI guard keeps bridges' bus
	 * numbers as they are): Linux probes every bus up to the MCFG's last
	 * one through the trapped ports (its peer host bridge scan, 64 port
	 * exits a bus), ~16,000 exits at boot for QEMU's 0-255. */
	n = acpi_mcfg_limit_end_bus(0, pci_last_bus(0));
	if (n > 0)
		log_info("guest acpi: MCFG segment 0 ends at bus %u (%d allocation(s) shortened): "
			 "no bus past it exists", pci_last_bus(0), n);
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *pr = protect_get(i);

		if (pr->mmio == &ecam_mmio_ops)
			log_info("guest pci: ECAM window 0x%llx-0x%llx given to the guest read-only "
				 "(writes go through the PCI guard)", (unsigned long long)pr->start,
				 (unsigned long long)pr->end);
	}
	n = acpi_madt_hide_cpus(smp_cpu_is_guests);
	if (n > 0)
		log_info("guest acpi: %d CPU(s) hidden: shoji could not start them", n);
	return 0;
}

/* Every interrupt source the guest can program goes through shoji's
 * remapping entries: the MSI capabilities of the PCI functions and the
 * IOAPICs (their pages become emulated NPT holes). Without interrupt
 * remapping there is nothing to point them at: say so. */
static int virtualise_hpet(void)
{
	struct acpi_hpet hp;
	struct irq_source src;
	bool remap;
	int rc = acpi_hpet_parse(&hp);

	if (rc == E_NOENT)
		return 0;		/* no HPET: nothing to virtualise */
	if (rc)
		return rc;
	remap = irq_remap_active() && !iommu_hpet_source(hp.number, &src);
	rc = hpet_virt_init(hp.base, hp.number, remap ? &src : NULL);
	if (rc) {
		log_error("guest: hpet number=%u at 0x%llx not virtualised (%s)", hp.number,
			  (unsigned long long)hp.base, err_str(rc));
		return rc;
	}
	/* Writes exit (the FSB routes and enables are decided there); reads
	 * pass, the main counter among them. */
	return protect_add_emulated(hp.base & ~(paddr_t)(PAGE_SIZE - 1),
				    (hp.base & ~(paddr_t)(PAGE_SIZE - 1)) + PAGE_SIZE,
				    PROTECT_CPU_WRITE | PROTECT_CPU_EXEC, "hpet", &hpet_mmio_ops,
				    NULL, PCI_BDF(0, 0, 0, 0), -1);
}

static int virtualise_interrupts(const struct guest_platform *p)
{
	int n, nx;

	/* The HPET's FSB messages do not need a remapping unit: without one
	 * (or without a source id for the HPET) shoji writes the checked
	 * route in compatibility format (vmm/hpet_virt.h). */
	n = virtualise_hpet();
	if (n)
		return n;
	if (!irq_remap_active()) {
		log_warn("guest: no interrupt remapping: the guest programs device interrupts "
			 "(MSI, IOAPIC) unchecked");
		return 0;
	}
	n = msi_virt_init();
	if (n < 0)
		return n;
	nx = msix_virt_init();
	if (nx < 0)
		return nx;
	/* msix_virt_init registered each table's pages (reads exit too: the
	 * table reads back the guest's entries) with the BAR pinned. */
	for (unsigned i = 0; p->madt && i < p->madt->nioapics; i++) {
		const struct acpi_ioapic *io = &p->madt->ioapics[i];
		struct irq_source src;
		int rc = iommu_ioapic_source(io->id, &src);

		if (rc)
			log_error("guest: the %s IOMMU's table names no requester id for ioapic id=%u: "
				  "its interrupts cannot be source-checked", iommu_backend_name(),
				  io->id);
		else
			rc = ioapic_virt_add(io->id, io->addr, &src);
		if (rc) {
			log_error("guest: ioapic id=%u not virtualised (%s)", io->id, err_str(rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < ioapic_virt_count(); i++) {
		/* Reads exit too: IOWIN means what the guest's IOREGSEL says, and
		 * redirection entries read back as the guest wrote them. */
		int rc = protect_add_emulated(ioapic_virt_base(i), ioapic_virt_base(i) + PAGE_SIZE,
					      PROTECT_CPU | PROTECT_BAR, "ioapic", &ioapic_mmio_ops,
					      ioapic_virt_ctx(i), PCI_BDF(0, 0, 0, 0), -1);

		if (rc)
			return rc;
	}
	log_info("guest interrupts: msi_functions=%d msix_functions=%d ioapics=%u remapped=yes", n,
		 nx, ioapic_virt_count());
	return 0;
}

/* The CPU back-end for this CPU (arch/x86/vcpu_select.h: SVM or VT-x), set
 * by guest_launch. */
static const struct vcpu_backend *cpu;

int guest_set_read_page(paddr_t gpa, paddr_t page)
{
	return cpu->set_read_page ? cpu->set_read_page(gpa, page) : E_UNSUPPORTED;
}

void guest_kick_others(void)
{
	if (cpu && cpu->kick_others)
		cpu->kick_others();
}

/* The PVH kernel given as a module: loaded, its start info built. */
static int prepare_pvh(const struct guest_platform *p, struct vcpu_entry *entry)
{
	struct boot_info *bi = p->bi;
	struct module_args k, ird = { 0 };
	struct pvh_image img;
	struct mem_range excl[4];
	const struct acpi_root_info *ai = acpi_root_info();
	struct boot_module *km, *im = NULL;
	paddr_t rsdp = 0;
	uint8_t order[PVH_MAX_LOAD];
	bool in_place = false;
	int rc;

	if (!find_module(bi, "kernel", &k))
		return E_NOENT;
	km = (struct boot_module *)k.m;
	if (find_module(bi, "initrd", &ird))
		im = (struct boot_module *)ird.m;
	rc = pvh_parse(hal_phys_to_virt(km->start), km->end - km->start, &img);
	if (rc)
		return rc;
	log_info("guest kernel entry=0x%x load=0x%llx-0x%llx segments=%u cmdline=\"%s\"", img.entry,
		 (unsigned long long)img.lowest, (unsigned long long)img.highest, img.n_load,
		 k.cmdline);
	if (memmap_type_of(&bi->mem, img.lowest, img.highest) != MEM_USABLE ||
	    img.lowest < PVH_INFO_PA + PVH_INFO_SIZE) {
		log_error("guest: the kernel's load range 0x%llx-0x%llx is not free RAM",
			  (unsigned long long)img.lowest, (unsigned long long)img.highest);
		return E_RANGE;
	}

	/* Nothing may overlap the kernel's destination, the start info or
	 * each other: move the modules below the region, clear of both. */
	excl[0] = (struct mem_range){ img.lowest, img.highest, MEM_RESERVED };
	excl[1] = (struct mem_range){ 0, PVH_INFO_PA + PVH_INFO_SIZE, MEM_RESERVED };
	excl[2] = (struct mem_range){ im ? im->start : 0, im ? im->end : 0, MEM_RESERVED };
	/* A kernel image inside its own load range is loaded where it lies
	 * when its segments can be copied in some order without one
	 * overwriting the source of another (vmm/pvh.h); else it is moved out
	 * of the way first (one more copy of the whole image). */
	if (overlaps(km->start, km->end, img.lowest, img.highest)) {
		in_place = pvh_load_order(km->start, &img, order) == 0;
		if (!in_place && (rc = relocate(bi, km, excl, 3, p->hv_base, "kernel image")))
			return rc;
	}
	excl[2] = (struct mem_range){ km->start, km->end, MEM_RESERVED };
	if (im && (rc = relocate(bi, im, excl, 3, p->hv_base, "initrd")))
		return rc;
	if (in_place) {
		pvh_load_ordered(hal_phys_to_virt(km->start), &img, order);
		log_info("guest kernel image loaded in place from 0x%llx size=%llu",
			 (unsigned long long)km->start, (unsigned long long)(km->end - km->start));
	} else {
		pvh_load(hal_phys_to_virt(km->start), &img);
	}

	prepare_acpi();
	if (ai && ai->rsdp_addr < MiB(1))
		rsdp = ai->rsdp_addr;	/* firmware's own; a Multiboot2 copy is ours */
	rc = pvh_build_start_info(PVH_INFO_PA, k.cmdline, im ? im->start : 0,
				  im ? im->end - im->start : 0, &bi->mem, rsdp);
	if (rc) {
		log_error("guest: command line or memory map too large for the start info");
		return rc;
	}
	*entry = (struct vcpu_entry){ .mode = VCPU_ENTRY_PVH32, .rip = img.entry,
				      .rbx = (uint32_t)PVH_INFO_PA };
	return 0;
}

/* guest=disk: the firmware's boot path in real mode (core/fwboot.h). The
 * guest finds the firmware's own RSDP; its RSDT/XSDT and MADT are edited in
 * place by prepare_acpi, so it sees them without DMAR and MCFG too. */
static int prepare_disk_boot(const struct guest_platform *p, struct vcpu_entry *entry)
{
	struct module_args k;
	int rc;

	if (find_module(p->bi, "kernel", &k)) {
		log_error("guest: guest=disk boots the disk, but a kernel module (role=kernel) "
			  "was given too: drop one of them");
		return E_INVAL;
	}
	rc = fwboot_prepare(&p->bi->mem, p->boot_drive, cpu->hypercall, entry);
	if (rc)
		return rc;
	prepare_acpi();
	cpu->set_realmode_call_handler(bios_hook_call);
	return 0;
}

int guest_launch(const struct guest_platform *p)
{
	struct boot_info *bi = p->bi;
	struct vcpu_entry entry;
	paddr_t ncr3;
	int rc;

	if (!p->boot_disk && !guest_present(bi))
		return E_NOENT;
	cpu = vcpu_backend_for_this_cpu();
	rc = cpu->init();
	if (rc)
		return rc;
	/* Every CPU is shoji's before any guest code runs (docs/smp.md). */
	smp_start_aps(cpu, p->madt, cpuid(1, 0).ebx >> 24);
	boot_phase("cpus");	/* SVM or VT-x on, the APs started and parked */
	cpu->set_power_ops(&power_guest_ops);
	rc = p->boot_disk ? prepare_disk_boot(p, &entry) : prepare_pvh(p, &entry);
	if (rc)
		return rc;
	boot_phase("guest-load");	/* the kernel loaded, its modules moved, ACPI edited */

	/* The APIC window (the APIC page and QEMU's CPU-write MSI aliases):
	 * its writes are emulated so that INIT/SIPI go to shoji's start-up
	 * state machine instead of the hardware (every CPU's APIC is at the
	 * same base); its reads go to the APIC without an exit
	 * (vmm/apic_guard.h). */
	{
		paddr_t apic = rdmsr(MSR_IA32_APIC_BASE) & 0x000ffffffffff000ULL;

		rc = protect_add_emulated(apic, apic + APIC_WINDOW_SIZE,
					  PROTECT_CPU_WRITE | PROTECT_CPU_EXEC | PROTECT_BAR,
					  "local-apic", &apic_mmio_ops, (void *)(uintptr_t)apic,
					  PCI_BDF(0, 0, 0, 0), -1);
		if (rc)
			return rc;
	}
	rc = virtualise_interrupts(p);
	if (rc)
		return rc;
	protect_seal(PROTECT_CPU);
	protect_log();
	boot_phase("interrupts");	/* the guest's MSI, IOAPIC; the registry sealed */
	ncr3 = cpu->build_nested(&bi->mem, MAX(memmap_top(&bi->mem), GiB(4)));
	if (!ncr3)
		return E_NOMEM;
	boot_phase("nested");	/* the nested page tables */
	rc = cpu->setup(ncr3, &entry);
	if (rc)
		return rc;
	boot_phase("vcpu");	/* the VMCB or VMCS; then the guest starts */
	iommu_fault_events_to_nmi(cpuid(1, 0).ebx >> 24);
	cpu->set_exit_hook(p->on_exit);
	cpu->set_vmmcall_handler(vmmcall_dispatch);
	vcpu_set_guest_ram(&bi->mem);	/* the MMIO follow-on loads only RAM */
	cpu->run();
}
